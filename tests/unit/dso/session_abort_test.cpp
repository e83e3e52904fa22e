// One test per fatal-error rule of RFC 8490 (and the rules that are deliberately not
// fatal). Each aborts only the session that saw the error, with a reason and a text.
#include <gtest/gtest.h>

#include "dso/edns_scan.hpp"
#include "dso/session.hpp"
#include "dso_test_util.hpp"

namespace dnspush::dso {
namespace {

using namespace test;
using State = Session::State;
using wire::Rcode;

const Bytes kQuestion{3, 'w', 'w', 'w', 0, 0, 1, 0, 1};
const auto kUnknown = static_cast<TlvType>(0xF900);

Bytes ka_tlv(std::uint32_t inactivity = 15000, std::uint32_t interval = 15000) {
  return tlv(TlvType::KeepAlive, keepalive_data(inactivity, interval));
}

// The session was aborted for `reason`, with a text, and sends nothing more.
void expect_abort(Session& s, const std::vector<Event>& es, CloseReason reason) {
  EXPECT_EQ(s.state(), State::kAborted);
  auto c = closed(es);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->reason, reason) << to_text(c->reason) << ": " << c->text;
  EXPECT_TRUE(c->aborted);
  EXPECT_FALSE(c->text.empty());
  EXPECT_TRUE(is_protocol_error(c->reason));
  EXPECT_FALSE(s.poll_transmit().has_value());
  EXPECT_FALSE(s.wants_read());
}

void expect_open(Session& s, const std::vector<Event>& es) {
  EXPECT_EQ(s.state(), State::kOpen);
  EXPECT_FALSE(closed(es).has_value()) << closed(es)->text;
}

TEST(SessionAbort, OnlyTheOffendingSessionEnds) {
  Server bad, good;
  bad.establish();
  good.establish();
  good.s.set_long_lived(1, t0);
  auto es = bad.feed(unidirectional({tlv(TlvType::PUSH)}));
  expect_abort(bad.s, es, CloseReason::kUnexpectedTlv);
  EXPECT_TRUE(good.s.send_unidirectional(frame(unidirectional({tlv(TlvType::PUSH)})), t0));
  expect_open(good.s, events(good.s));
}

// ---- message format (§5.4) -----------------------------------------------------------------

TEST(SessionAbort, NonzeroCountsInARequestGetFormerr) {
  // RFC 8490 §5.4: "a FORMERR MUST be returned"; the session goes on.
  Server srv;
  auto es = srv.feed(dso(5, false, {ka_tlv()}, 0, 1));
  expect_open(srv.s, es);
  auto out = sent(srv.s);
  ASSERT_EQ(out.size(), 1u);
  auto h = wire::Header::peek(out[0]);
  EXPECT_TRUE(h->qr);
  EXPECT_EQ(h->id, 5);
  EXPECT_EQ(h->rcode, 1);
  EXPECT_FALSE(srv.s.established());
}

TEST(SessionAbort, NonzeroCountsWhereNoAnswerIsPossible) {
  Server srv;
  srv.establish();
  expect_abort(srv.s, srv.feed(dso(0, false, {tlv(TlvType::UNSUBSCRIBE, {0, 1})}, 0, 1)),
               CloseReason::kMalformed);
  Client cl;
  auto id = cl.s.send_keepalive(t0);
  expect_abort(cl.s, cl.feed(dso(*id, true, {ka_tlv()}, 0, 1)), CloseReason::kMalformed);
}

TEST(SessionAbort, TlvLengthOverrun) {
  Server srv;
  expect_abort(srv.s, srv.feed(request(1, {tlv(TlvType::KeepAlive, Bytes(8, 0), 12)})),
               CloseReason::kMalformed);
}

TEST(SessionAbort, TrailingGarbage) {
  Server srv;
  Bytes m = request(1, {ka_tlv()});
  m.push_back(0);
  expect_abort(srv.s, srv.feed(m), CloseReason::kMalformed);
}

TEST(SessionAbort, RequestWithoutATlv) {
  Server srv;
  expect_abort(srv.s, srv.feed(request(1, {})), CloseReason::kMalformed);
}

TEST(SessionAbort, MalformedKeepaliveData) {
  Server srv;
  expect_abort(srv.s, srv.feed(request(1, {tlv(TlvType::KeepAlive, Bytes(7, 0))})),
               CloseReason::kMalformed);
  Client cl;
  cl.establish();
  expect_abort(cl.s, cl.feed(unidirectional({tlv(TlvType::KeepAlive, Bytes(9, 0))})),
               CloseReason::kMalformed);
}

// ---- MESSAGE ID (§5.4.1, §5.5.2) -------------------------------------------------------------

TEST(SessionAbort, RequestReusingAnOutstandingId) {
  Server srv;
  auto es = srv.feed(request(9, {tlv(TlvType::SUBSCRIBE, kQuestion)}));
  ASSERT_EQ(only<RequestEvent>(es).size(), 1u);
  expect_abort(srv.s, srv.feed(request(9, {tlv(TlvType::SUBSCRIBE, kQuestion)})),
               CloseReason::kBadMessageId);
}

TEST(SessionAbort, IdMayBeReusedOnceAnswered) {
  Server srv;
  srv.feed(request(9, {tlv(TlvType::SUBSCRIBE, kQuestion)}));
  srv.s.respond(9, Rcode::REFUSED, t0);
  auto es = srv.feed(request(9, {tlv(TlvType::SUBSCRIBE, kQuestion)}));
  expect_open(srv.s, es);
  EXPECT_EQ(only<RequestEvent>(es).size(), 1u);
}

TEST(SessionAbort, ResponseToARequestNeverSent) {
  Server srv;
  srv.establish();
  expect_abort(srv.s, srv.feed(response(77, {})), CloseReason::kBadMessageId);
  Client cl;
  cl.establish();
  expect_abort(cl.s, cl.feed(response(77, {})), CloseReason::kBadMessageId);
}

TEST(SessionAbort, SecondNoerrorForAnAcceptedOperation) {
  // Only an error RCODE may follow the response of a long-lived operation (§5.6).
  Client cl;
  cl.establish();
  auto id = cl.s.request(Tlv{TlvType::SUBSCRIBE, kQuestion}, t0, true);
  expect_open(cl.s, cl.feed(response(*id)));
  expect_abort(cl.s, cl.feed(response(*id)), CloseReason::kBadMessageId);
}

TEST(SessionAbort, ResponseWithIdZero) {
  Client cl;
  cl.establish();
  expect_abort(cl.s, cl.feed(response(0, {})), CloseReason::kBadMessageId);
}

TEST(SessionAbort, RequestTlvWithIdZero) {
  Server srv;
  srv.establish();
  expect_abort(srv.s, srv.feed(unidirectional({tlv(TlvType::SUBSCRIBE, kQuestion)})),
               CloseReason::kBadMessageId);
}

TEST(SessionAbort, UnidirectionalTlvWithNonzeroId) {
  Server srv;
  srv.establish();
  expect_abort(srv.s, srv.feed(request(3, {tlv(TlvType::UNSUBSCRIBE, {0, 1})})),
               CloseReason::kBadMessageId);
}

// ---- where each TLV may appear (§8.2) ------------------------------------------------------

TEST(SessionAbort, KeepaliveFromTheClientMustBeARequest) {
  Server srv;
  srv.establish();
  expect_abort(srv.s, srv.feed(unidirectional({ka_tlv()})), CloseReason::kBadMessageId);
}

TEST(SessionAbort, KeepaliveFromTheServerMustBeUnidirectional) {
  Client cl;
  cl.establish();
  expect_abort(cl.s, cl.feed(request(4, {ka_tlv()})), CloseReason::kBadMessageId);
}

TEST(SessionAbort, KeepaliveAsAnAdditionalTlv) {
  Server srv;
  expect_abort(srv.s, srv.feed(request(1, {tlv(TlvType::SUBSCRIBE, kQuestion), ka_tlv()})),
               CloseReason::kUnexpectedTlv);
}

TEST(SessionAbort, KeepaliveAsAResponseAdditionalTlv) {
  Client cl;
  cl.establish();
  auto id = cl.s.request(Tlv{TlvType::SUBSCRIBE, kQuestion}, t0);
  expect_abort(cl.s, cl.feed(response(*id, {ka_tlv()})), CloseReason::kUnexpectedTlv);
}

TEST(SessionAbort, KeepaliveResponseNeedsExactlyOneKeepaliveTlv) {
  for (int n : {0, 2}) {
    Client cl;
    auto id = cl.s.send_keepalive(t0);
    const Bytes r = n == 0 ? response(*id, {}) : response(*id, {ka_tlv(), ka_tlv()});
    expect_abort(cl.s, cl.feed(r), CloseReason::kResponseTlv);
  }
}

TEST(SessionAbort, ResponsePrimaryTlvMustComeFirst) {
  Client cl;
  cl.establish();
  auto id = cl.s.request(Tlv{TlvType::SUBSCRIBE, kQuestion}, t0);
  expect_abort(cl.s,
               cl.feed(response(*id, {tlv(TlvType::EncryptionPadding), tlv(TlvType::SUBSCRIBE)})),
               CloseReason::kResponseTlv);
}

TEST(SessionAbort, RetryDelayFromTheClient) {
  Server srv;
  srv.establish();
  expect_abort(srv.s, srv.feed(unidirectional({tlv(TlvType::RetryDelay, retry_data(1))})),
               CloseReason::kUnexpectedTlv);
}

TEST(SessionAbort, RetryDelayAsARequestAdditionalTlv) {
  Server srv;
  expect_abort(srv.s,
               srv.feed(request(1, {tlv(TlvType::SUBSCRIBE, kQuestion),
                                    tlv(TlvType::RetryDelay, retry_data(1))})),
               CloseReason::kUnexpectedTlv);
}

TEST(SessionAbort, RetryDelayWithANonzeroId) {
  Client cl;
  cl.establish();
  expect_abort(cl.s, cl.feed(request(5, {tlv(TlvType::RetryDelay, retry_data(1))})),
               CloseReason::kBadMessageId);
}

TEST(SessionAbort, EncryptionPaddingAsThePrimaryTlv) {
  Server srv;
  expect_abort(srv.s, srv.feed(request(1, {tlv(TlvType::EncryptionPadding, Bytes(4, 0))})),
               CloseReason::kUnexpectedTlv);
}

TEST(SessionAbort, ApplicationTlvFromTheWrongSide) {
  // A client sending PUSH; a server sending SUBSCRIBE.
  Server srv;
  srv.establish();
  expect_abort(srv.s, srv.feed(unidirectional({tlv(TlvType::PUSH)})), CloseReason::kUnexpectedTlv);
  Client cl;
  cl.establish();
  expect_abort(cl.s, cl.feed(request(3, {tlv(TlvType::SUBSCRIBE, kQuestion)})),
               CloseReason::kUnexpectedTlv);
}

// ---- unrecognized TLVs (§5.4.5) ----------------------------------------------------------

TEST(SessionAbort, UnknownPrimaryInARequestGetsDsotypeni) {
  Server srv;
  auto es = srv.feed(request(6, {tlv(kUnknown, {1, 2, 3})}));
  expect_open(srv.s, es);
  EXPECT_TRUE(es.empty());
  auto out = sent(srv.s);
  ASSERT_EQ(out.size(), 1u);
  auto v = parse_message(out[0]);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->id, 6);
  EXPECT_EQ(v->rcode, 11);
  EXPECT_TRUE(v->tlvs.empty());  // no copy of the unrecognized TLV
  EXPECT_FALSE(srv.s.established());
}

TEST(SessionAbort, UnknownPrimaryInAUnidirectionalMessage) {
  Server srv;
  srv.establish();
  expect_abort(srv.s, srv.feed(unidirectional({tlv(kUnknown)})),
               CloseReason::kUnknownUnidirectional);
}

TEST(SessionAbort, UnknownAdditionalTlvsAreIgnored) {
  Server srv;
  auto es = srv.feed(request(1, {tlv(TlvType::SUBSCRIBE, kQuestion), tlv(kUnknown, {1})}));
  expect_open(srv.s, es);
  EXPECT_EQ(only<RequestEvent>(es).size(), 1u);
  Client cl;
  auto id = cl.s.send_keepalive(t0);
  es = cl.feed(response(*id, {ka_tlv(), tlv(kUnknown, {1})}));
  expect_open(cl.s, es);
  EXPECT_TRUE(cl.s.established());
}

// ---- establishment (§5.1) ------------------------------------------------------------------

TEST(SessionAbort, UnidirectionalBeforeTheSessionExists) {
  // The client may only send one after a NOERROR response, so the server has sent one.
  Server srv;
  expect_abort(srv.s, srv.feed(unidirectional({tlv(TlvType::UNSUBSCRIBE, {0, 1})})),
               CloseReason::kNotEstablished);
}

TEST(SessionAbort, ServerDsoMessageBeforeTheSessionExists) {
  Client cl;
  expect_abort(cl.s, cl.feed(unidirectional({ka_tlv()})), CloseReason::kNotEstablished);
  Client cl2;
  cl2.s.send_keepalive(t0);  // in progress is not established
  expect_abort(cl2.s, cl2.feed(unidirectional({tlv(TlvType::PUSH)})), CloseReason::kNotEstablished);
}

// ---- Keepalive values (§6.5.2) -----------------------------------------------------------------

TEST(SessionAbort, KeepaliveIntervalBelowTenSeconds) {
  Client cl;
  auto id = cl.s.send_keepalive(t0);
  expect_abort(cl.s, cl.feed(response(*id, {ka_tlv(15000, 9999)})), CloseReason::kBadKeepalive);
  Client cl2;
  cl2.establish();
  auto es = cl2.feed(unidirectional({ka_tlv(15000, 10000)}));  // exactly ten seconds is fine
  expect_open(cl2.s, es);
  expect_abort(cl2.s, cl2.feed(unidirectional({ka_tlv(0, 5000)})), CloseReason::kBadKeepalive);
}

// ---- edns-tcp-keepalive (§5.4.6, §7.1.2) ----------------------------------------------------

TEST(SessionAbort, TcpKeepaliveOptionOnADsoSession) {
  Server srv;
  // Before the session it is an ordinary query.
  auto es = srv.feed(query(1, {tcp_keepalive_option()}));
  expect_open(srv.s, es);
  srv.establish();
  expect_abort(srv.s, srv.feed(query(2, {tcp_keepalive_option()})),
               CloseReason::kTcpKeepaliveOption);
}

TEST(SessionAbort, AnswersLoseTcpKeepaliveOnceTheSessionExists) {
  // A query from before the session asked for the option; its answer leaves after the
  // session was established, so the option must not be in it (the client would abort).
  Server srv;
  const Bytes q = query(1, {tcp_keepalive_option()});
  auto qs = only<QueryEvent>(srv.feed(q));
  srv.establish();
  const Bytes a = answer_to(q);
  ASSERT_TRUE(find_edns_option(a, wire::edns_option::kTcpKeepalive).has_value());
  ASSERT_TRUE(srv.s.answer(qs[0].token, frame(a), t0));
  auto out = sent(srv.s);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(find_edns_option(out[0], wire::edns_option::kTcpKeepalive).has_value());
  auto m = wire::Message::parse(out[0]);
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(m->edns.has_value());
}

}  // namespace
}  // namespace dnspush::dso
