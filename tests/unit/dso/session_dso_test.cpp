// A client and a server session back to back (fake clock): establishment, Keepalive
// negotiation, the application's TLVs, Retry Delay and padding.
#include <gtest/gtest.h>

#include "dso/session.hpp"
#include "dso_test_util.hpp"

namespace dnspush::dso {
namespace {

using namespace test;
using State = Session::State;
using wire::Rcode;

const Bytes kQuestion{3, 'w', 'w', 'w', 0, 0, 1, 0, 1};  // SUBSCRIBE data (opaque here)

Frame push_frame() {
  return frame(unidirectional({tlv(TlvType::PUSH, {0xC0, 0x0C})}));
}

TEST(SessionDso, KeepaliveEstablishesAndTheServerValuesWin) {
  SessionConfig sc = server_config();
  sc.timeouts = {std::chrono::seconds(30), std::chrono::minutes(20)};
  SessionConfig cc = client_config();
  cc.timeouts = {std::chrono::hours(1), std::chrono::hours(2)};  // what the client asks for
  Pair p(sc, cc);
  EXPECT_FALSE(p.server.established());
  auto id = p.client.send_keepalive(p.now);
  ASSERT_TRUE(id.has_value());
  EXPECT_NE(*id, 0);
  p.pump();
  EXPECT_TRUE(p.server.established());
  EXPECT_TRUE(p.client.established());
  // RFC 8490 §7.1: the client uses what the server answered.
  EXPECT_EQ(p.client.timeouts(), sc.timeouts);
  EXPECT_EQ(p.server.timeouts(), sc.timeouts);
  EXPECT_TRUE(has<EstablishedEvent>(p.client_events));
  EXPECT_TRUE(has<EstablishedEvent>(p.server_events));
  auto ct = only<TimeoutsEvent>(p.client_events);
  ASSERT_EQ(ct.size(), 1u);
  EXPECT_EQ(ct[0].timeouts, sc.timeouts);
  // The client asked: no unidirectional announcement follows.
  EXPECT_EQ(only<TimeoutsEvent>(p.server_events).size(), 1u);
}

TEST(SessionDso, ResponseEchoesTheMessageId) {
  Server srv;
  srv.feed(request(0xBEEF, {tlv(TlvType::KeepAlive, keepalive_data(1000, 20000))}));
  auto out = sent(srv.s);
  ASSERT_EQ(out.size(), 1u);
  auto v = parse_message(out[0]);
  ASSERT_TRUE(v.has_value());
  EXPECT_TRUE(v->qr);
  EXPECT_EQ(v->id, 0xBEEF);
  EXPECT_EQ(v->rcode, 0);
  ASSERT_EQ(v->tlvs.size(), 1u);
  auto k = decode_keepalive(v->primary()->data);
  ASSERT_TRUE(k.has_value());
  EXPECT_EQ(*k, (Keepalive{15000, 3600000}));  // SessionConfig's defaults, not the request's
}

TEST(SessionDso, SubscribeEstablishesAndTheServerAnnouncesItsTimeouts) {
  // Apple's client: SUBSCRIBE first, never a Keepalive.
  SessionConfig sc = server_config();
  sc.timeouts = {std::chrono::seconds(20), std::chrono::minutes(30)};
  Pair p(sc);
  auto id = p.client.request(Tlv{TlvType::SUBSCRIBE, kQuestion}, p.now, true);
  ASSERT_TRUE(id.has_value());
  p.pump();
  // The server must not send DSO before it answered NOERROR (RFC 8490 §5.1).
  EXPECT_FALSE(p.server.established());
  EXPECT_FALSE(p.server.send_unidirectional(push_frame(), p.now));
  auto reqs = only<RequestEvent>(p.server_events);
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].id, *id);
  EXPECT_EQ(reqs[0].type, TlvType::SUBSCRIBE);
  EXPECT_EQ(p.server.outstanding(), 1u);

  EXPECT_TRUE(p.server.respond(reqs[0].id, Rcode::NOERROR, p.now));
  EXPECT_TRUE(p.server.established());
  p.pump();
  EXPECT_TRUE(p.client.established());
  auto rs = only<ResponseEvent>(p.client_events);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].id, *id);
  EXPECT_EQ(rs[0].type, TlvType::SUBSCRIBE);
  EXPECT_EQ(rs[0].rcode, Rcode::NOERROR);
  EXPECT_FALSE(rs[0].cancelled);
  // The announcement (a unidirectional Keepalive) gave the client the server's values.
  EXPECT_EQ(p.client.timeouts(), sc.timeouts);
  // Now the server may push.
  EXPECT_TRUE(p.server.send_unidirectional(push_frame(), p.now));
  p.pump();
  auto pushes = only<UnidirectionalEvent>(p.client_events);
  ASSERT_EQ(pushes.size(), 1u);
  EXPECT_EQ(pushes[0].type, TlvType::PUSH);
}

TEST(SessionDso, WithoutAnnouncementTheDefaultsStay) {
  SessionConfig sc = server_config();
  sc.announce_timeouts = false;
  Pair p(sc);
  p.client.request(Tlv{TlvType::SUBSCRIBE, kQuestion}, p.now, true);
  p.pump();
  p.server.respond(only<RequestEvent>(p.server_events)[0].id, Rcode::NOERROR, p.now);
  p.pump();
  EXPECT_TRUE(p.client.established());
  EXPECT_EQ(p.client.timeouts(), Timeouts{});  // RFC 8490 §6.2: 15 s and 15 s
}

TEST(SessionDso, TheServerMayChangeTimeoutsLater) {
  Pair p;
  p.client.send_keepalive(p.now);
  p.pump();
  const Timeouts t{std::chrono::seconds(5), std::chrono::hours(1)};
  p.server.set_timeouts(t, p.now);
  p.pump();
  EXPECT_EQ(p.client.timeouts(), t);
  // The server never grants a keepalive interval under ten seconds (§6.5.2).
  p.server.set_timeouts(Timeouts{std::chrono::seconds(5), std::chrono::seconds(1)}, p.now);
  p.pump();
  EXPECT_EQ(p.client.state(), State::kOpen);
  EXPECT_EQ(p.client.timeouts().keepalive, std::chrono::seconds(10));
}

TEST(SessionDso, DsotypeniDoesNotEstablishButKeepaliveStillCan) {
  SessionConfig sc = server_config();
  sc.app_tlvs = {};  // this server implements no application TLV
  Pair p(sc);
  auto id = p.client.request(Tlv{TlvType::SUBSCRIBE, kQuestion}, p.now);
  p.pump();
  auto rs = only<ResponseEvent>(p.client_events);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].id, *id);
  EXPECT_EQ(rs[0].rcode, Rcode::DSOTYPENI);
  EXPECT_FALSE(p.client.established());
  EXPECT_TRUE(p.client.dso_available());  // §5.1.1: DSO itself is implemented
  p.client.send_keepalive(p.now);
  p.pump();
  EXPECT_TRUE(p.client.established());
}

TEST(SessionDso, NotimpMeansNoDsoOnThisConnection) {
  SessionConfig sc = server_config();
  sc.dso_enabled = false;
  Pair p(sc);
  p.client.send_keepalive(p.now);
  p.pump();
  auto qs = only<QueryEvent>(p.server_events);
  ASSERT_EQ(qs.size(), 1u);
  // The DNS handler answers an unknown opcode NOTIMP, header only.
  Bytes notimp(qs[0].message.begin(), qs[0].message.begin() + 12);
  notimp[2] |= 0x80;
  notimp[3] = 4;
  p.server.answer(qs[0].token, frame(notimp), p.now);
  p.pump();
  EXPECT_FALSE(p.client.established());
  EXPECT_FALSE(p.client.dso_available());
  EXPECT_FALSE(p.client.request(Tlv{TlvType::SUBSCRIBE, kQuestion}, p.now).has_value());
  EXPECT_EQ(only<ResponseEvent>(p.client_events)[0].rcode, Rcode::NOTIMP);
  // Plain DNS carries on.
  EXPECT_TRUE(p.client.send_query(frame(query(9)), p.now));
  p.pump();
  EXPECT_EQ(only<QueryEvent>(p.server_events).size(), 2u);
}

TEST(SessionDso, PipelinedRequestsFirstRefusedThenAccepted) {
  // Apple sends every SUBSCRIBE at once. The first answer, an error, makes the client
  // assume no DSO (§5.1.1); the NOERROR that follows proves otherwise and the session
  // works fully, Keepalives included.
  SessionConfig sc = server_config();
  sc.timeouts = {15s, 10s};
  Pair p(sc);
  auto a = p.client.request(Tlv{TlvType::SUBSCRIBE, kQuestion}, p.now, true);
  auto b = p.client.request(Tlv{TlvType::SUBSCRIBE, kQuestion}, p.now, true);
  p.pump();
  p.server.respond(*a, Rcode::REFUSED, p.now);
  p.pump();
  EXPECT_FALSE(p.client.dso_available());
  p.server.respond(*b, Rcode::NOERROR, p.now);
  p.server.set_long_lived(1, p.now);
  p.pump();
  EXPECT_TRUE(p.client.established());
  EXPECT_TRUE(p.client.dso_available());
  p.run_until(p.now + 1min);
  EXPECT_EQ(p.client.state(), State::kOpen);
  EXPECT_EQ(p.server.state(), State::kOpen);
}

TEST(SessionDso, OrdinaryDnsContinuesInTheSessionAndCountsAsActivity) {
  Pair p;
  p.client.send_keepalive(p.now);
  p.pump();
  p.now += 10s;
  ASSERT_TRUE(p.client.send_query(frame(query(5)), p.now));
  p.pump();
  auto qs = only<QueryEvent>(p.server_events);
  ASSERT_EQ(qs.size(), 1u);
  p.server.answer(qs[0].token, frame(answer_to(qs[0].message)), p.now);
  p.pump();
  EXPECT_EQ(only<DnsResponseEvent>(p.client_events).size(), 1u);
  // The client's inactivity timeout (15 s) runs from the answer, not from the Keepalive.
  EXPECT_EQ(p.client.next_timeout(), p.now + 15s);
}

TEST(SessionDso, UnsubscribeAndReconfirmReachTheServer) {
  Pair p;
  p.client.send_keepalive(p.now);
  p.pump();
  EXPECT_TRUE(p.client.send_unidirectional(
      frame(unidirectional({tlv(TlvType::UNSUBSCRIBE, {0, 1})})), p.now));
  EXPECT_TRUE(p.client.send_unidirectional(
      frame(unidirectional({tlv(TlvType::RECONFIRM, kQuestion)})), p.now));
  // Not the client's to send, or not unidirectional, or not a DSO message at all.
  EXPECT_FALSE(p.client.send_unidirectional(push_frame(), p.now));
  EXPECT_FALSE(p.client.send_unidirectional(
      frame(unidirectional({tlv(TlvType::SUBSCRIBE, kQuestion)})), p.now));
  EXPECT_FALSE(p.client.send_unidirectional(frame(query(1)), p.now));
  p.pump();
  auto us = only<UnidirectionalEvent>(p.server_events);
  ASSERT_EQ(us.size(), 2u);
  EXPECT_EQ(us[0].type, TlvType::UNSUBSCRIBE);
  EXPECT_EQ(us[1].type, TlvType::RECONFIRM);
  EXPECT_EQ(p.server.state(), State::kOpen);
}

TEST(SessionDso, ClientMayNotSendUnidirectionalBeforeTheSession) {
  Pair p;
  EXPECT_FALSE(p.client.send_unidirectional(
      frame(unidirectional({tlv(TlvType::UNSUBSCRIBE, {0, 1})})), p.now));
}

TEST(SessionDso, LongLivedOperationKeepsItsIdUntilCancelled) {
  Pair p;
  auto id = p.client.request(Tlv{TlvType::SUBSCRIBE, kQuestion}, p.now, true);
  p.pump();
  p.server.respond(*id, Rcode::NOERROR, p.now);
  p.server.set_long_lived(1, p.now);
  p.pump();
  // The id stays in use (§5.4.1): new requests get other ids.
  for (int i = 0; i < 5; ++i) {
    auto other = p.client.request(Tlv{TlvType::SUBSCRIBE, kQuestion}, p.now);
    ASSERT_TRUE(other.has_value());
    EXPECT_NE(*other, *id);
  }
  p.pump();
  for (const auto& r : only<RequestEvent>(p.server_events))
    if (r.id != *id) p.server.respond(r.id, Rcode::REFUSED, p.now);
  p.pump();
  // §5.6: the server cancels the subscription; the client learns it and the id is free.
  EXPECT_FALSE(p.server.cancel(*id, Rcode::NOERROR, p.now));
  EXPECT_TRUE(p.server.cancel(*id, Rcode::NOTAUTH, p.now));
  p.pump();
  auto rs = only<ResponseEvent>(p.client_events);
  ASSERT_FALSE(rs.empty());
  EXPECT_TRUE(rs.back().cancelled);
  EXPECT_EQ(rs.back().id, *id);
  EXPECT_EQ(rs.back().rcode, Rcode::NOTAUTH);
  EXPECT_EQ(p.client.state(), State::kOpen);
  // A second cancellation of the same operation is a response to nothing: fatal.
  p.server.cancel(*id, Rcode::NOTAUTH, p.now);
  p.pump();
  EXPECT_EQ(p.client.state(), State::kAborted);
  EXPECT_EQ(closed(p.client_events)->reason, CloseReason::kBadMessageId);
}

TEST(SessionDso, CancellationCrossingTheClientsOwnEndIsNoError) {
  // The client unsubscribes while the server, not yet knowing, cancels the same
  // subscription (§5.6): the response finds no operation, and must not kill the session.
  Pair p;
  auto id = p.client.request(Tlv{TlvType::SUBSCRIBE, kQuestion}, p.now, true);
  p.pump();
  p.server.respond(*id, Rcode::NOERROR, p.now);
  p.pump();
  p.client.send_unidirectional(frame(unidirectional({tlv(TlvType::UNSUBSCRIBE, {0, 1})})), p.now);
  p.client.end_operation(*id, p.now);
  p.server.cancel(*id, Rcode::REFUSED, p.now);
  p.pump();
  EXPECT_EQ(p.client.state(), State::kOpen);
  EXPECT_EQ(p.server.state(), State::kOpen);
  EXPECT_EQ(only<ResponseEvent>(p.client_events).size(), 1u);  // just the first response
}

// ---- Retry Delay --------------------------------------------------------------------------

TEST(SessionDso, RetryDelayClosesTheClientGracefully) {
  Pair p;
  p.client.send_keepalive(p.now);
  p.pump();
  ASSERT_TRUE(p.server.retry_delay(std::chrono::minutes(5), Rcode::SERVFAIL, p.now));
  EXPECT_FALSE(p.server.send_unidirectional(push_frame(), p.now));  // §6.6.1: nothing after
  p.pump();
  auto rd = only<RetryDelayEvent>(p.client_events);
  ASSERT_EQ(rd.size(), 1u);
  EXPECT_EQ(rd[0].delay, std::chrono::minutes(5));
  EXPECT_EQ(rd[0].rcode, Rcode::SERVFAIL);
  EXPECT_EQ(p.client.state(), State::kClosed);
  auto c = closed(p.client_events);
  EXPECT_EQ(c->reason, CloseReason::kRetryDelay);
  EXPECT_FALSE(c->aborted);
  // The client's FIN reaches the server, which ends without an abort.
  p.server.receive_eof(p.now);
  EXPECT_EQ(p.server.state(), State::kClosed);
  EXPECT_EQ(closed(events(p.server))->reason, CloseReason::kPeerClosed);
}

TEST(SessionDso, RetryDelayIsTheLastMessageAndLaterRequestsAreIgnored) {
  Server srv;
  srv.establish();
  srv.s.set_long_lived(1, t0);
  for (int i = 0; i < 3; ++i) srv.s.send_unidirectional(push_frame(), t0);
  auto qs = only<QueryEvent>(srv.feed(query(1)));
  ASSERT_TRUE(srv.s.retry_delay(10s, Rcode::NOERROR, t0));
  // §6.6.1.1: requests in flight are ignored, never answered.
  EXPECT_TRUE(srv.feed(query(2)).empty());
  EXPECT_TRUE(srv.feed(request(9, {tlv(TlvType::SUBSCRIBE, kQuestion)})).empty());
  EXPECT_FALSE(srv.s.answer(qs[0].token, frame(answer_to(qs[0].message)), t0));
  auto out = sent(srv.s);
  ASSERT_EQ(out.size(), 4u);  // what was queued before it, then the Retry Delay
  auto v = parse_message(out.back());
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->id, 0);
  EXPECT_EQ(v->primary()->type, TlvType::RetryDelay);
  EXPECT_EQ(*decode_retry_delay(v->primary()->data), 10000u);
  EXPECT_TRUE(srv.s.wants_read());  // still reading, to see the client close
}

TEST(SessionDso, RetryDelayRightAfterTheEstablishingResponse) {
  // The NOERROR that established the session is still queued when the server decides to
  // shed the client: it must reach the client first, or the Retry Delay would look like
  // a DSO message before the session (§5.1) and the client would abort.
  Pair p;
  auto id = p.client.request(Tlv{TlvType::SUBSCRIBE, kQuestion}, p.now, true);
  p.pump();
  p.server.respond(*id, Rcode::NOERROR, p.now);
  ASSERT_TRUE(p.server.retry_delay(1min, Rcode::SERVFAIL, p.now));
  p.pump();
  EXPECT_TRUE(has<EstablishedEvent>(p.client_events));
  EXPECT_EQ(only<RetryDelayEvent>(p.client_events).size(), 1u);
  EXPECT_EQ(closed(p.client_events)->reason, CloseReason::kRetryDelay);
}

TEST(SessionDso, RetryDelayAsResponseAdditionalTlv) {
  Pair p;
  auto id = p.client.request(Tlv{TlvType::SUBSCRIBE, kQuestion}, p.now);
  p.pump();
  p.server.respond(*id, Rcode::REFUSED, p.now, {}, std::chrono::seconds(30));
  p.pump();
  auto rs = only<ResponseEvent>(p.client_events);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].rcode, Rcode::REFUSED);
  ASSERT_TRUE(rs[0].retry_delay.has_value());
  EXPECT_EQ(*rs[0].retry_delay, std::chrono::seconds(30));
  EXPECT_EQ(p.client.state(), State::kOpen);  // §5.5.3: an error does not end the session
}

TEST(SessionDso, RetryDelayWithoutASessionJustCloses) {
  Server srv;
  EXPECT_FALSE(srv.s.retry_delay(10s, Rcode::NOERROR, t0));
  EXPECT_EQ(srv.s.state(), State::kClosed);
  EXPECT_TRUE(sent(srv.s).empty());
}

// ---- padding ------------------------------------------------------------------------------

TEST(SessionDso, PaddingBlocksOnBothSides) {
  SessionConfig sc = server_config();
  sc.pad = true;
  SessionConfig cc = client_config();
  cc.pad = true;
  Pair p(sc, cc);
  auto id = p.client.request(Tlv{TlvType::SUBSCRIBE, kQuestion}, p.now, true);
  auto req = sent(p.client);
  ASSERT_EQ(req.size(), 1u);
  EXPECT_EQ(req[0].size() % kClientPaddingBlock, 0u);  // RFC 8467 §4.1
  p.server.receive(framed(req[0]), p.now);
  p.collect();
  EXPECT_TRUE(p.server.peer_pads());
  p.server.respond(*id, Rcode::NOERROR, p.now);
  auto out = sent(p.server);
  ASSERT_EQ(out.size(), 2u);  // the response and the timeouts announcement
  for (const Bytes& m : out) {
    EXPECT_EQ(m.size() % kServerPaddingBlock, 0u);
    EXPECT_TRUE(parse_message(m)->has(TlvType::EncryptionPadding));
  }
  for (const Bytes& m : out) p.client.receive(framed(m), p.now);
  p.collect();
  EXPECT_TRUE(p.client.established());
  EXPECT_EQ(p.client.state(), State::kOpen);
}

TEST(SessionDso, ServerDoesNotPadForAClientThatDoesNot) {
  SessionConfig sc = server_config();
  sc.pad = true;
  Server srv(sc);
  srv.feed(request(1, {tlv(TlvType::KeepAlive, keepalive_data(1, 1))}));
  auto out = sent(srv.s);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(parse_message(out[0])->has(TlvType::EncryptionPadding));
  EXPECT_FALSE(srv.s.peer_pads());
}

TEST(SessionDso, PaddedRequestAlwaysGetsAPaddingTlv) {
  // RFC 8490 §7.3 MUST, even where this server does not pad (pad = false): the minimum.
  Server srv;
  srv.feed(request(1, {tlv(TlvType::KeepAlive, keepalive_data(1, 1)),
                       tlv(TlvType::EncryptionPadding, Bytes(20, 0))}));
  auto out = sent(srv.s);
  ASSERT_EQ(out.size(), 1u);
  auto v = parse_message(out[0]);
  auto pad = v->find(TlvType::EncryptionPadding);
  ASSERT_TRUE(pad.has_value());
  EXPECT_TRUE(pad->data.empty());
  // And for DSOTYPENI answers the session makes itself.
  srv.feed(request(2, {tlv(static_cast<TlvType>(0xF900)), tlv(TlvType::EncryptionPadding)}));
  out = sent(srv.s);
  ASSERT_EQ(out.size(), 1u);
  v = parse_message(out[0]);
  EXPECT_EQ(v->rcode, 11);
  EXPECT_TRUE(v->has(TlvType::EncryptionPadding));
}

}  // namespace
}  // namespace dnspush::dso
