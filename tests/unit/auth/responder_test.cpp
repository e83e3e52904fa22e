// Message-level rules: what is dropped, FORMERR/NOTIMP/REFUSED/BADVERS, EDNS(0), sizes
// and truncation, edns-tcp-keepalive, padding, case preservation.
#include "auth/responder.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "auth/response.hpp"
#include "auth_fixture.hpp"

namespace dnspush::auth::test {
namespace {

using namespace std::chrono_literals;
using wire::Rcode;

// RFC 1034 §4.3.5: a secondary zone past its expire time (or never transferred) is
// answered SERVFAIL, for every name and type in it, IXFR over UDP included; other zones
// are answered as ever.
TEST_F(ResponderTest, UnavailableZoneIsServfail) {
  const auto cat = responder_.catalogue();
  responder_.set_catalogue(cat->with_unavailable(N("example."), true));
  EXPECT_EQ(ask("www.example.", RRType::A).rcode(), Rcode::SERVFAIL);
  EXPECT_EQ(ask("nothere.example.", RRType::A).rcode(), Rcode::SERVFAIL);
  EXPECT_EQ(ask("example.", RRType::SOA).rcode(), Rcode::SERVFAIL);
  EXPECT_EQ(ask("example.", RRType::IXFR).rcode(), Rcode::SERVFAIL);
  EXPECT_TRUE(ask("www.example.", RRType::A).answers.empty());
  EXPECT_EQ(ask("kid.example.", RRType::SOA).rcode(), Rcode::NOERROR);  // its own zone
  EXPECT_EQ(ask("www.example.net.", RRType::A).rcode(), Rcode::REFUSED);
  responder_.set_catalogue(cat);
  EXPECT_EQ(ask("www.example.", RRType::A).rcode(), Rcode::NOERROR);
}

// A configuration reload replaces the synthetic (discovery) records: the next query on
// any thread answers from the new set, and a zone's own records still win.
TEST_F(ResponderTest, SyntheticRecordsAreReplacedForTheNextQuery) {
  const char* srv = "_dns-push-tls._tcp.example.";
  EXPECT_EQ(ask(srv, RRType::SRV).rcode(), Rcode::NXDOMAIN);
  auto make = [](std::uint16_t port) {
    auto s = std::make_shared<SyntheticRecords>();
    s->add(N("example."), wire::Record{N("_dns-push-tls._tcp.example."), RRType::SRV,
                                       wire::RRClass::IN, 300, rd_srv(0, 0, port, "ns1.example.")});
    return s;
  };
  responder_.set_synthetic(make(853));
  auto m = ask(srv, RRType::SRV);
  EXPECT_EQ(m.rcode(), Rcode::NOERROR);
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(m.answers[0].rdata, rd_srv(0, 0, 853, "ns1.example."));
  // Another thread sees it too (its own cached snapshot reloads on the version).
  std::thread([&] {
    auto t = ask(srv, RRType::SRV);
    ASSERT_EQ(t.answers.size(), 1u);
    EXPECT_EQ(t.answers[0].rdata, rd_srv(0, 0, 853, "ns1.example."));
  }).join();
  responder_.set_synthetic(make(8853));
  m = ask(srv, RRType::SRV);
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(m.answers[0].rdata, rd_srv(0, 0, 8853, "ns1.example."));
  responder_.set_synthetic(nullptr);
  EXPECT_EQ(ask(srv, RRType::SRV).rcode(), Rcode::NXDOMAIN);
}

TEST_F(ResponderTest, ShortInputIsDropped) {
  Bytes out;
  EXPECT_FALSE(responder_.respond(Bytes{}, udp(), out));
  EXPECT_FALSE(responder_.respond(Bytes(11, 0), udp(), out));
}

TEST_F(ResponderTest, ResponsesAreNeverAnswered) {
  Bytes q = make_query("www.example.", RRType::A);
  q[2] |= 0x80;  // QR
  Bytes out;
  EXPECT_FALSE(responder_.respond(q, udp(), out));
  // Not even a malformed one.
  Bytes garbage(40, 0xFF);
  garbage[2] = 0x80;
  EXPECT_FALSE(responder_.respond(garbage, udp(), out));
  // Nor our own answer fed back.
  const Bytes answer = raw(make_query("www.example.", RRType::A));
  EXPECT_FALSE(responder_.respond(answer, udp(), out));
}

TEST_F(ResponderTest, GarbageAfterHeaderIsFormErr) {
  Bytes q = {0xAB, 0xCD, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00,
             0x00, 0x00, 0x00, 0x00, 0xC0, 0xFF, 0x17};  // a question whose name is a bad pointer
  const auto m = ask(q);
  EXPECT_EQ(m.rcode(), Rcode::FORMERR);
  EXPECT_EQ(m.header.id, 0xABCD);
  EXPECT_TRUE(m.header.qr);
  EXPECT_TRUE(m.header.rd);
  EXPECT_TRUE(m.questions.empty());
  EXPECT_FALSE(m.edns.has_value());
}

TEST_F(ResponderTest, FormErrEchoesQuestionWhenItParsed) {
  Bytes q = make_query("www.example.", RRType::A);
  q.push_back(0x00);  // trailing byte: the message does not parse, the question does
  const auto m = ask(q);
  EXPECT_EQ(m.rcode(), Rcode::FORMERR);
  ASSERT_EQ(m.questions.size(), 1u);
  EXPECT_EQ(m.questions[0].name, N("www.example."));
}

TEST_F(ResponderTest, FormErrKeepsOpcode) {
  QueryOptions o;
  o.opcode = wire::Opcode::NOTIFY;
  Bytes q = make_query("example.", RRType::SOA, o);
  q.resize(q.size() - 2);  // cut the class off
  const auto m = ask(q);
  EXPECT_EQ(m.rcode(), Rcode::FORMERR);
  EXPECT_EQ(m.header.opcode, wire::Opcode::NOTIFY);
}

TEST_F(ResponderTest, TwoQuestionsIsFormErr) {
  wire::Message m;
  m.header.id = 7;
  m.questions.push_back(wire::Question{N("www.example."), RRType::A, wire::RRClass::IN});
  m.questions.push_back(wire::Question{N("mail.example."), RRType::A, wire::RRClass::IN});
  m.edns = edns();
  const auto a = ask(m.to_wire());
  EXPECT_EQ(a.rcode(), Rcode::FORMERR);
  EXPECT_TRUE(a.questions.empty());
  EXPECT_TRUE(a.edns.has_value());  // RFC 6891 §7: the query had EDNS
}

TEST_F(ResponderTest, NoQuestionIsFormErr) {
  wire::Message m;
  m.header.id = 8;
  EXPECT_EQ(ask(m.to_wire()).rcode(), Rcode::FORMERR);
}

TEST_F(ResponderTest, DuplicateOptIsFormErr) {
  Bytes q = make_query("www.example.", RRType::A, QueryOptions{.edns = edns()});
  const Bytes opt = {0x00, 0x00, 0x29, 0x04, 0xD0, 0, 0, 0, 0, 0x00, 0x00};
  q.insert(q.end(), opt.begin(), opt.end());
  q[11] = 2;  // ARCOUNT
  EXPECT_EQ(ask(q).rcode(), Rcode::FORMERR);
}

TEST_F(ResponderTest, OptWithNonRootOwnerIsFormErr) {
  Bytes q = make_query("www.example.", RRType::A);
  const Bytes opt = {0x01, 'x', 0x00, 0x00, 0x29, 0x04, 0xD0, 0, 0, 0, 0, 0x00, 0x00};
  q.insert(q.end(), opt.begin(), opt.end());
  q[11] = 1;  // ARCOUNT
  EXPECT_EQ(ask(q).rcode(), Rcode::FORMERR);
}

TEST_F(ResponderTest, UnknownOpcodeIsNotImp) {
  for (auto op : {wire::Opcode::IQUERY, wire::Opcode::STATUS, wire::Opcode::UPDATE,
                  wire::Opcode::NOTIFY, static_cast<wire::Opcode>(9)}) {
    QueryOptions o;
    o.opcode = op;
    const auto m = ask("example.", RRType::SOA, o);
    EXPECT_EQ(m.rcode(), Rcode::NOTIMP) << static_cast<int>(op);
    EXPECT_EQ(m.header.opcode, op);
    EXPECT_FALSE(m.header.aa);
    EXPECT_TRUE(m.answers.empty());
  }
}

TEST_F(ResponderTest, BadVersIsAnsweredWithOpt) {
  QueryOptions o;
  o.edns = edns();
  o.edns->version = 1;
  const auto m = ask("www.example.", RRType::A, o);
  ASSERT_TRUE(m.edns.has_value());
  EXPECT_EQ(m.rcode(), Rcode::BADVERS);  // 16: extended RCODE 1, header 0
  EXPECT_EQ(m.header.rcode, 0);
  EXPECT_EQ(m.edns->version, 0);
  EXPECT_TRUE(m.answers.empty());
}

TEST_F(ResponderTest, OtherClassesAreRefused) {
  for (auto cls : {wire::RRClass::CH, wire::RRClass::HS}) {
    QueryOptions o;
    o.cls = cls;
    const auto m = ask("version.bind.", RRType::TXT, o);
    EXPECT_EQ(m.rcode(), Rcode::REFUSED);
    EXPECT_FALSE(m.header.aa);
  }
}

TEST_F(ResponderTest, MetaTypesAsQuestionsAreFormErr) {
  for (auto t : {RRType::OPT, RRType::TSIG, RRType::TKEY, static_cast<RRType>(253)}) {
    EXPECT_EQ(ask("www.example.", t).rcode(), Rcode::FORMERR) << static_cast<int>(t);
  }
}

TEST_F(ResponderTest, AxfrOverUdpIsFormErr) {
  EXPECT_EQ(ask("example.", RRType::AXFR).rcode(), Rcode::FORMERR);
}

TEST_F(ResponderTest, ZoneTransferOverTcpReachingTheResponderIsNotImp) {
  EXPECT_EQ(ask("example.", RRType::AXFR, {}, tcp()).rcode(), Rcode::NOTIMP);
  EXPECT_EQ(ask("example.", RRType::IXFR, {}, tcp()).rcode(), Rcode::NOTIMP);
}

TEST_F(ResponderTest, IxfrOverUdpGetsTheSoa) {
  // RFC 1995 §2: a single SOA tells the client to come back over TCP.
  const auto m = ask("example.", RRType::IXFR);
  EXPECT_EQ(m.rcode(), Rcode::NOERROR);
  EXPECT_TRUE(m.header.aa);
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(m.answers[0].type, RRType::SOA);
  EXPECT_EQ(m.questions[0].type, RRType::IXFR);
  EXPECT_EQ(ask("www.example.", RRType::IXFR).rcode(), Rcode::NOTAUTH);
  EXPECT_EQ(ask("example.org.", RRType::IXFR).rcode(), Rcode::REFUSED);
}

TEST_F(ResponderTest, NoOptWithoutEdns) {
  const auto m = ask("www.example.", RRType::A);
  EXPECT_FALSE(m.edns.has_value());
}

TEST_F(ResponderTest, OptMirrorsOnlyWhatItShould) {
  QueryOptions o;
  o.edns = edns(4096, {wire::EdnsOption{wire::edns_option::kNsid, {}},
                       wire::EdnsOption{wire::edns_option::kCookie, Bytes(8, 1)}});
  o.edns->dnssec_ok = true;
  const auto m = ask("www.example.", RRType::A, o);
  ASSERT_TRUE(m.edns.has_value());
  EXPECT_EQ(m.edns->version, 0);
  EXPECT_EQ(m.edns->udp_payload, ResponderOptions{}.default_udp_payload);
  EXPECT_TRUE(m.edns->dnssec_ok);  // RFC 3225 §3
  EXPECT_TRUE(m.edns->options.empty());
}

TEST_F(ResponderTest, NegativeAnswersKeepEdns) {
  QueryOptions o;
  o.edns = edns();
  const auto m = ask("nope.example.", RRType::A, o);
  EXPECT_EQ(m.rcode(), Rcode::NXDOMAIN);
  EXPECT_TRUE(m.edns.has_value());
  const auto r = ask("nope.example.org.", RRType::A, o);
  EXPECT_EQ(r.rcode(), Rcode::REFUSED);
  EXPECT_TRUE(r.edns.has_value());
}

TEST(ResponseLimit, FollowsTransportAndEdns) {
  ResponderOptions opts;
  opts.max_udp_payload = 1232;
  auto e = edns(4096);
  EXPECT_EQ(response_limit(nullptr, udp(), opts), 512u);
  EXPECT_EQ(response_limit(&e, udp(), opts), 1232u);
  e.udp_payload = 100;  // RFC 6891 §6.2.5: below 512 means 512
  EXPECT_EQ(response_limit(&e, udp(), opts), 512u);
  e.udp_payload = 800;
  EXPECT_EQ(response_limit(&e, udp(), opts), 800u);
  EXPECT_EQ(response_limit(nullptr, tcp(), opts), 65535u);
  EXPECT_EQ(response_limit(&e, tls(), opts), 65535u);
}

TEST_F(ResponderTest, LargeAnswerIsTruncatedOverUdp512) {
  const Bytes out = raw(make_query("big.example.", RRType::TXT));
  EXPECT_LE(out.size(), 512u);
  const auto m = wire::Message::parse(out);
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->header.tc);
  EXPECT_TRUE(m->header.aa);
  EXPECT_EQ(m->rcode(), Rcode::NOERROR);
  ASSERT_EQ(m->questions.size(), 1u);
  EXPECT_TRUE(m->answers.empty());  // header + question only (RFC 2181 §9)
  EXPECT_TRUE(m->authorities.empty());
  EXPECT_TRUE(m->additionals.empty());
}

TEST_F(ResponderTest, LargeAnswerIsTruncatedWithEdns1232) {
  QueryOptions o;
  o.edns = edns(1232);
  const Bytes out = raw(make_query("big.example.", RRType::TXT, o));
  EXPECT_LE(out.size(), 1232u);
  const auto m = wire::Message::parse(out);
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->header.tc);
  EXPECT_TRUE(m->answers.empty());
  EXPECT_TRUE(m->edns.has_value());  // OPT even on a truncated answer
}

TEST_F(ResponderTest, ClientPayloadAboveOurCapIsCapped) {
  Responder small(ResponderOptions{.default_udp_payload = 1232, .max_udp_payload = 1232});
  small.set_catalogue(responder_.catalogue());
  QueryOptions o;
  o.edns = edns(65000);
  Bytes out;
  ASSERT_TRUE(small.respond(make_query("big.example.", RRType::TXT, o), udp(), out));
  EXPECT_LE(out.size(), 1232u);
  // Large enough cap and payload: the whole RRset over UDP.
  Responder large(ResponderOptions{.default_udp_payload = 1232, .max_udp_payload = 4096});
  large.set_catalogue(responder_.catalogue());
  o.edns = edns(4096);
  ASSERT_TRUE(large.respond(make_query("big.example.", RRType::TXT, o), udp(), out));
  const auto m = wire::Message::parse(out);
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->header.tc);
  EXPECT_EQ(m->answers.size(), 20u);
}

TEST(ResponseLimit, LeavesTheTrailerReserveFree) {
  ResponderOptions opts;
  auto e = edns(1232);
  QueryContext ctx = udp();
  ctx.trailer_reserve = 100;  // e.g. a TSIG the caller appends (RFC 8945 §5.3)
  EXPECT_EQ(response_limit(&e, ctx, opts), 1132u);
  EXPECT_EQ(response_limit(nullptr, ctx, opts), 412u);
  ctx.transport = Transport::kTcp;
  EXPECT_EQ(response_limit(nullptr, ctx, opts), 65435u);
  ctx.trailer_reserve = 70000;  // absurd: still room for a header
  EXPECT_EQ(response_limit(nullptr, ctx, opts), wire::kHeaderSize);
}

// An answer that just fits the client's payload is truncated once the caller needs room
// for a TSIG after it, and the truncated answer leaves that room.
TEST_F(ResponderTest, TrailerReserveTruncatesAnAnswerThatFitsOnlyWithoutIt) {
  Responder large(ResponderOptions{.default_udp_payload = 1232, .max_udp_payload = 4096});
  large.set_catalogue(responder_.catalogue());
  QueryOptions o;
  o.edns = edns(4096);
  const Bytes query = make_query("big.example.", RRType::TXT, o);
  Bytes whole;
  ASSERT_TRUE(large.respond(query, udp(), whole));
  ASSERT_FALSE(wire::Header::peek(whole)->tc);

  // The client's payload is exactly the whole answer's size: it fits as it is...
  o.edns = edns(static_cast<std::uint16_t>(whole.size()));
  const Bytes exact = make_query("big.example.", RRType::TXT, o);
  Bytes out;
  ASSERT_TRUE(large.respond(exact, udp(), out));
  EXPECT_FALSE(wire::Header::peek(out)->tc);
  EXPECT_EQ(out.size(), whole.size());

  // ...but not with 90 bytes of TSIG to come: TC, and room left for the TSIG.
  QueryContext ctx = udp();
  ctx.trailer_reserve = 90;
  ASSERT_TRUE(large.respond(exact, ctx, out));
  const auto m = wire::Message::parse(out);
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->header.tc);
  EXPECT_TRUE(m->answers.empty());
  EXPECT_TRUE(m->edns.has_value());
  EXPECT_LE(out.size() + 90, whole.size());
}

TEST_F(ResponderTest, LargeAnswerIsWholeOverTcp) {
  const auto m = ask("big.example.", RRType::TXT, {}, tcp());
  EXPECT_FALSE(m.header.tc);
  EXPECT_EQ(m.answers.size(), 20u);
}

TEST_F(ResponderTest, KeepaliveIsAnsweredOverTcpInHundredsOfMs) {
  QueryOptions o;
  o.edns = edns(1232, {wire::EdnsOption{wire::edns_option::kTcpKeepalive, {}}});
  const auto m = ask("www.example.", RRType::A, o, tcp(30s));
  ASSERT_TRUE(m.edns.has_value());
  const auto* ka = m.edns->find(wire::edns_option::kTcpKeepalive);
  ASSERT_NE(ka, nullptr);
  EXPECT_EQ(ka->data, (Bytes{0x01, 0x2C}));  // 300 x 100 ms (RFC 7828 §3.1)
}

TEST_F(ResponderTest, KeepaliveIsClampedToSixteenBits) {
  QueryOptions o;
  o.edns = edns(1232, {wire::EdnsOption{wire::edns_option::kTcpKeepalive, {}}});
  const auto m = ask("www.example.", RRType::A, o, tls(std::chrono::hours(10)));
  const auto* ka = m.edns->find(wire::edns_option::kTcpKeepalive);
  ASSERT_NE(ka, nullptr);
  EXPECT_EQ(ka->data, (Bytes{0xFF, 0xFF}));
}

TEST_F(ResponderTest, KeepaliveIsNeverSentOverUdp) {
  // RFC 7828 §3.3.1: a server MUST ignore the option over UDP (not FORMERR).
  QueryOptions o;
  o.edns = edns(1232, {wire::EdnsOption{wire::edns_option::kTcpKeepalive, {0, 5}}});
  QueryContext ctx = udp();
  ctx.tcp_idle_timeout = 30s;
  const auto m = ask("www.example.", RRType::A, o, ctx);
  EXPECT_EQ(m.rcode(), Rcode::NOERROR);
  ASSERT_TRUE(m.edns.has_value());
  EXPECT_EQ(m.edns->find(wire::edns_option::kTcpKeepalive), nullptr);
}

TEST_F(ResponderTest, KeepaliveNotSentUnlessAsked) {
  QueryOptions o;
  o.edns = edns();
  const auto m = ask("www.example.", RRType::A, o, tcp(30s));
  ASSERT_TRUE(m.edns.has_value());
  EXPECT_TRUE(m.edns->options.empty());
}

TEST_F(ResponderTest, KeepaliveWithTimeoutFromClientIsFormErrOverTcp) {
  // RFC 7828 §3.2.1: clients send it empty; RFC 6891 §7: bad option -> FORMERR + OPT.
  QueryOptions o;
  o.edns = edns(1232, {wire::EdnsOption{wire::edns_option::kTcpKeepalive, {0, 5}}});
  const auto m = ask("www.example.", RRType::A, o, tcp(30s));
  EXPECT_EQ(m.rcode(), Rcode::FORMERR);
  EXPECT_TRUE(m.edns.has_value());
}

TEST_F(ResponderTest, PaddingOverTlsToBlocksOf468) {
  QueryOptions o;
  o.edns = edns(1232, {wire::EdnsOption{wire::edns_option::kPadding, Bytes(20, 0)}});
  for (const char* name : {"www.example.", "nope.example.", "_ipp._tcp.example."}) {
    const Bytes out = raw(make_query(name, RRType::A, o), tls());
    EXPECT_EQ(out.size() % kPaddingBlock, 0u) << name << " " << out.size();
    const auto m = wire::Message::parse(out);
    ASSERT_TRUE(m);
    ASSERT_NE(m->edns->find(wire::edns_option::kPadding), nullptr);
  }
  const Bytes big = raw(make_query("big.example.", RRType::TXT, o), tls());
  EXPECT_EQ(big.size() % kPaddingBlock, 0u);
  EXPECT_GT(big.size(), kPaddingBlock * 5);
}

TEST_F(ResponderTest, NoPaddingWithoutTlsOrWithoutTheOption) {
  QueryOptions padded;
  padded.edns = edns(1232, {wire::EdnsOption{wire::edns_option::kPadding, {}}});
  for (const auto& ctx : {udp(), tcp()}) {
    const auto m = ask("www.example.", RRType::A, padded, ctx);
    ASSERT_TRUE(m.edns.has_value());
    EXPECT_EQ(m.edns->find(wire::edns_option::kPadding), nullptr);
  }
  QueryOptions plain;
  plain.edns = edns();
  const auto m = ask("www.example.", RRType::A, plain, tls());
  EXPECT_EQ(m.edns->find(wire::edns_option::kPadding), nullptr);
}

TEST_F(ResponderTest, QuestionCaseIsEchoed) {
  const Bytes out = raw(make_query("WwW.ExAmPlE.", RRType::A));
  const auto m = wire::Message::parse(out);
  ASSERT_TRUE(m);
  ASSERT_EQ(m->questions.size(), 1u);
  EXPECT_EQ(m->questions[0].name.to_text(), "WwW.ExAmPlE.");
  ASSERT_EQ(m->answers.size(), 1u);
  EXPECT_EQ(m->answers[0].owner, N("www.example."));
  // The bytes of the question are the query's.
  const std::string wire_name(reinterpret_cast<const char*>(out.data()) + 12, 13);
  EXPECT_EQ(wire_name, std::string("\3WwW\7ExAmPlE", 12) + std::string(1, '\0'));
}

TEST_F(ResponderTest, CdIsCopied) {
  QueryOptions o;
  o.cd = true;
  EXPECT_TRUE(ask("www.example.", RRType::A, o).header.cd);
}

TEST_F(ResponderTest, ParsedEntryPointMatchesBytesEntryPoint) {
  const Bytes q = make_query("www.example.", RRType::A);
  auto msg = wire::Message::parse(q);
  ASSERT_TRUE(msg);
  Bytes a, b;
  ASSERT_TRUE(responder_.respond(q, udp(), a));
  ASSERT_TRUE(responder_.respond(*msg, udp(), b));
  EXPECT_EQ(a, b);
  msg->header.qr = true;
  EXPECT_FALSE(responder_.respond(*msg, udp(), b));
}

}  // namespace
}  // namespace dnspush::auth::test
