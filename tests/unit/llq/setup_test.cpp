// LLQ setup, refresh, cancel, expiry, limits and every error code (RFC 8764 §3.2, §5, §7),
// with a fake clock.
#include <gtest/gtest.h>

#include "llq_test_util.hpp"

namespace dnspush::llq {
namespace {

using namespace test;
using Strings = std::vector<std::string>;

TEST(LlqSetup, ChallengeEchoesIdAndQuestionGrantsLeaseAndKeepsNoState) {
  Fixture f;
  const auto q = question("www.example.com.");
  const auto a = f.send(message(4242, {q}, {setup_option(0, 7200)}));
  EXPECT_EQ(a.m.header.id, 4242);  // §5.1: Apple's client drops anything else
  EXPECT_TRUE(a.m.header.qr);
  EXPECT_EQ(a.m.rcode(), Rcode::NOERROR);
  ASSERT_EQ(a.m.questions.size(), 1u);
  EXPECT_EQ(a.m.questions[0].name, q.name);
  EXPECT_TRUE(a.m.answers.empty());  // no answers before the client proved its address
  ASSERT_EQ(a.options.size(), 1u);
  EXPECT_EQ(a.options[0].opcode, static_cast<std::uint16_t>(Opcode::LLQ_SETUP));
  EXPECT_EQ(a.options[0].error, 0);
  EXPECT_NE(a.options[0].id, 0u);
  EXPECT_EQ(a.options[0].lease, 7200u);
  EXPECT_EQ(f.llq.size(), 0u);
  EXPECT_EQ(f.push.subscriptions(), 0u);
  EXPECT_EQ(f.llq.counters().challenges, 1u);
}

TEST(LlqSetup, LeaseIsClamped) {
  LlqConfig cfg = Fixture::config();
  cfg.lease_min = 60s;
  cfg.lease_max = 600s;
  Fixture f(cfg);
  const auto q = question("www.example.com.");
  EXPECT_EQ(f.challenge(q, peer(), t0, 5).lease, 60u);
  EXPECT_EQ(f.challenge(q, peer(), t0, 0).lease, 60u);
  EXPECT_EQ(f.challenge(q, peer(), t0, 7200).lease, 600u);
  EXPECT_EQ(f.challenge(q, peer(), t0, 300).lease, 300u);
}

TEST(LlqSetup, ChallengeResponseGetsAckWithCurrentAnswers) {
  Fixture f;
  const auto q = question("www.example.com.");
  const Option c = f.challenge(q);
  const auto a = f.send(message(7, {q}, {setup_option(c.id, c.lease)}));
  EXPECT_EQ(a.m.header.id, 7);
  ASSERT_EQ(a.options.size(), 1u);
  EXPECT_EQ(a.options[0].error, 0);
  EXPECT_EQ(a.options[0].id, c.id);
  EXPECT_EQ(a.options[0].lease, 7200u);
  EXPECT_EQ(answer_text(a.m), (Strings{"www.example.com.\t300\tIN\tA\t192.0.2.10",
                                       "www.example.com.\t300\tIN\tA\t192.0.2.11"}));
  EXPECT_EQ(f.llq.size(), 1u);
  EXPECT_EQ(f.push.subscriptions(), 1u);  // in the one subscription index
  EXPECT_TRUE(f.llq.check());
}

TEST(LlqSetup, RetransmittedChallengeResponseIsAnsweredIdempotently) {
  Fixture f;
  const auto q = question("www.example.com.");
  const Option c = f.challenge(q);
  const Bytes resp = message(7, {q}, {setup_option(c.id, c.lease)});
  const auto first = f.send(resp);
  const auto again = f.send(resp, peer(), t0 + 3s);
  EXPECT_EQ(answer_text(again.m), answer_text(first.m));
  EXPECT_EQ(again.options[0].id, c.id);
  EXPECT_EQ(again.options[0].lease, 7200u - 3);  // what is left of it
  EXPECT_EQ(f.llq.size(), 1u);
  EXPECT_EQ(f.llq.counters().acks_repeated, 1u);
  // A retransmitted request gets another challenge; both stay valid.
  const Option c2 = f.challenge(q);
  EXPECT_NE(c2.id, c.id);
  EXPECT_TRUE(f.llq.check());
}

TEST(LlqSetup, ChallengeIsBoundToAddressPortQuestionAndTime) {
  Fixture f;
  const auto q = question("www.example.com.");
  const Option c = f.challenge(q);
  auto respond = [&](const wire::Question& qq, const Peer& p, TimePoint now) {
    return f.send(message(9, {qq}, {setup_option(c.id, c.lease)}), p, now).options.at(0).error;
  };
  const auto kNoSuch = static_cast<std::uint16_t>(ErrorCode::NO_SUCH_LLQ);
  EXPECT_EQ(respond(q, peer(2), t0), kNoSuch);         // another address (a spoofer)
  EXPECT_EQ(respond(q, peer(1, 40001), t0), kNoSuch);  // another port
  EXPECT_EQ(respond(question("ns1.example.com."), peer(), t0), kNoSuch);
  EXPECT_EQ(respond(q, peer(), t0 + 61s), kNoSuch);  // two buckets later
  EXPECT_EQ(f.llq.size(), 0u);
  EXPECT_EQ(respond(q, peer(), t0 + 29s), 0);  // within the next bucket
  EXPECT_EQ(f.llq.size(), 1u);
  // A made-up ID is not an LLQ either.
  EXPECT_EQ(f.send(message(9, {q}, {setup_option(c.id ^ 1, c.lease)})).options.at(0).error,
            kNoSuch);
}

TEST(LlqSetup, NameCaseDoesNotMatter) {
  Fixture f;
  const Option c = f.challenge(question("www.example.com."));
  const auto a = f.send(message(9, {question("WWW.Example.COM.")}, {setup_option(c.id, 7200)}));
  EXPECT_EQ(a.options.at(0).error, 0);
  EXPECT_EQ(a.m.answers.size(), 2u);
}

TEST(LlqSetup, EachQuestionIsItsOwnLlq) {
  Fixture f;
  const auto q1 = question("www.example.com.");
  const auto q2 = question("_ipp._tcp.example.com.", RRType::PTR);
  const auto ch = f.send(message(1, {q1, q2}, {setup_option(), setup_option()}));
  ASSERT_EQ(ch.options.size(), 2u);
  EXPECT_NE(ch.options[0].id, ch.options[1].id);
  const auto ack = f.send(message(
      2, {q1, q2}, {setup_option(ch.options[0].id, 7200), setup_option(ch.options[1].id, 7200)}));
  ASSERT_EQ(ack.options.size(), 2u);
  EXPECT_EQ(ack.options[0].error, 0);
  EXPECT_EQ(ack.options[1].error, 0);
  EXPECT_EQ(ack.m.answers.size(), 3u);  // two A, one PTR
  EXPECT_EQ(f.llq.size(), 2u);
  EXPECT_TRUE(f.llq.check());
}

TEST(LlqErrors, FormatErr) {
  Fixture f;
  const auto q = question("www.example.com.");
  const auto kFormat = static_cast<std::uint16_t>(ErrorCode::FORMAT_ERR);
  // Fewer options than questions.
  auto a = f.send(message(1, {q, q}, {setup_option()}));
  EXPECT_EQ(a.m.rcode(), Rcode::FORMERR);
  EXPECT_EQ(a.options.at(0).error, kFormat);
  // An option of the wrong length.
  wire::Message m;
  m.header.id = 2;
  m.questions = {q};
  m.edns = wire::Edns{};
  m.edns->options.push_back(wire::EdnsOption{1, Bytes(17, 0)});
  a = f.send(m.to_wire());
  EXPECT_EQ(a.m.header.id, 2);
  EXPECT_EQ(a.m.rcode(), Rcode::FORMERR);
  EXPECT_EQ(a.options.at(0).error, kFormat);
  // An unknown opcode, and opcodes that differ between options.
  a = f.send(message(3, {q}, {Option{1, 9, 0, 0, 10}}));
  EXPECT_EQ(a.options.at(0).error, kFormat);
  a = f.send(message(4, {q, q}, {setup_option(), refresh_option(1, 10)}));
  EXPECT_EQ(a.options.at(0).error, kFormat);
  // A meta type or another class.
  a = f.send(message(5, {question("www.example.com.", RRType::AXFR)}, {setup_option()}));
  EXPECT_EQ(a.options.at(0).error, kFormat);
  a = f.send(message(6, {wire::Question{name("www.example.com."), RRType::A, RRClass::CH}},
                     {setup_option()}));
  EXPECT_EQ(a.options.at(0).error, kFormat);
  EXPECT_EQ(f.llq.size(), 0u);
  EXPECT_GE(f.llq.counters().errors[3], 6u);
}

TEST(LlqErrors, UnparseableQueryGetsFormerrResponseGetsNothing) {
  Fixture f;
  Bytes junk{0x12, 0x34, 0x00, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0};
  Bytes out;
  EXPECT_EQ(f.send_raw(junk, peer(), t0, out), Disposition::kAnswer);
  auto a = decode(out);
  EXPECT_EQ(a.m.header.id, 0x1234);
  EXPECT_EQ(a.m.rcode(), Rcode::FORMERR);
  junk[2] = 0x80;  // QR
  EXPECT_EQ(f.send_raw(junk, peer(), t0, out), Disposition::kNoAnswer);
  EXPECT_TRUE(out.empty());
}

TEST(LlqErrors, BadVers) {
  Fixture f;
  const auto a = f.send(message(1, {question("www.example.com.")}, {Option{2, 1, 0, 0, 10}}));
  EXPECT_EQ(a.m.rcode(), Rcode::NOERROR);
  EXPECT_EQ(a.options.at(0).error, static_cast<std::uint16_t>(ErrorCode::BAD_VERS));
  EXPECT_EQ(f.llq.counters().errors[5], 1u);
}

TEST(LlqErrors, StaticWhenLlqIsOffForTheZoneOrTheNameIsNotOurs) {
  LlqConfig cfg = Fixture::config();
  cfg.allow = [](const wire::Name& zone) { return !(zone == name("example.com.")); };
  Fixture f(cfg);
  auto a = f.send(message(1, {question("www.example.com.")}, {setup_option()}));
  EXPECT_EQ(a.m.rcode(), Rcode::NOERROR);
  EXPECT_EQ(a.options.at(0).error, static_cast<std::uint16_t>(ErrorCode::STATIC));
  a = f.send(message(2, {question("www.example.org.")}, {setup_option()}));
  EXPECT_EQ(a.m.rcode(), Rcode::REFUSED);
  EXPECT_EQ(a.options.at(0).error, static_cast<std::uint16_t>(ErrorCode::STATIC));
  EXPECT_EQ(f.llq.counters().challenges, 0u);
}

// A secondary zone that expired, or was never transferred (configured, not held): SERVFAIL
// with no answers and no LLQ, as for a query and a push SUBSCRIBE; at every step.
TEST(LlqErrors, ServfailForAZoneThatIsNotBeingServed) {
  Fixture f;
  const auto q = question("www.example.com.");
  const Option c = f.challenge(q);  // given while the zone was still current
  const auto expired = f.zones.now().with_unavailable(name("example.com."), true);
  Bytes out;
  auto ask = [&](const Bytes& m, const zone::Catalogue& cat) {
    EXPECT_EQ(f.llq.receive(m, peer(), cat, t0, out), Disposition::kAnswer);
    return decode(out);
  };
  for (const auto& a : {ask(message(1, {q}, {setup_option()}), *expired),
                        ask(message(2, {q}, {setup_option(c.id, c.lease)}), *expired)}) {
    EXPECT_EQ(a.m.rcode(), Rcode::SERVFAIL);
    EXPECT_TRUE(a.m.answers.empty());
    ASSERT_EQ(a.options.size(), 1u);
    EXPECT_EQ(a.options[0].error, static_cast<std::uint16_t>(ErrorCode::UNKNOWN_ERR));
    EXPECT_EQ(a.options[0].lease, 0u);
  }
  EXPECT_EQ(f.llq.size(), 0u);
  EXPECT_EQ(f.llq.counters().challenges, 1u);  // only the one given before
  // A zone configured but not held at all.
  const auto none = f.zones.now().with_unavailable(name("example.net."), true);
  const auto a = ask(message(3, {question("www.example.net.")}, {setup_option()}), *none);
  EXPECT_EQ(a.m.rcode(), Rcode::SERVFAIL);
  EXPECT_EQ(f.llq.size(), 0u);
  // Current again: the same challenge response is accepted.
  const auto ok = ask(message(4, {q}, {setup_option(c.id, c.lease)}), f.zones.now());
  EXPECT_EQ(ok.m.rcode(), Rcode::NOERROR);
  EXPECT_EQ(f.llq.size(), 1u);
}

TEST(LlqErrors, ServFullPerAddressWithRetryLeaseOthersKeepWorking) {
  LlqConfig cfg = Fixture::config();
  cfg.max_llqs_per_address = 2;
  cfg.serv_full_retry = 120s;
  Fixture f(cfg);
  const auto q = question("www.example.com.");
  f.establish(q, peer(1, 1000));
  f.establish(q, peer(1, 1001));
  // The third from the same address: at the challenge already, and at the response.
  const Option c = f.challenge(q, peer(1, 1002));
  EXPECT_EQ(c.error, static_cast<std::uint16_t>(ErrorCode::SERV_FULL));
  EXPECT_EQ(c.lease, 120u);
  EXPECT_EQ(f.llq.size(), 2u);
  f.establish(q, peer(2, 1000));  // another address is not affected
  EXPECT_EQ(f.llq.size(), 3u);
  EXPECT_EQ(f.llq.for_address(peer(1)), 2u);
  // Counted as the per-address limit (metrics: limit max_llqs_per_address), not the total.
  EXPECT_EQ(f.llq.counters().full_address, 1u);
  EXPECT_EQ(f.llq.counters().full_total, 0u);
}

TEST(LlqErrors, ServFullAtTheTotalEvenForAChallengeAlreadyGiven) {
  LlqConfig cfg = Fixture::config();
  cfg.max_llqs = 1;
  Fixture f(cfg);
  const auto q = question("www.example.com.");
  const Option c = f.challenge(q, peer(2));
  f.establish(q, peer(1));
  const auto a = f.send(message(1, {q}, {setup_option(c.id, 7200)}), peer(2));
  EXPECT_EQ(a.options.at(0).error, static_cast<std::uint16_t>(ErrorCode::SERV_FULL));
  EXPECT_TRUE(a.m.answers.empty());
  EXPECT_EQ(f.llq.size(), 1u);
  EXPECT_EQ(f.llq.counters().full_total, 1u);
  EXPECT_EQ(f.llq.counters().full_address, 0u);
}

TEST(LlqRefresh, RenewsTheLeaseClampedAndAnswersWithoutRecords) {
  LlqConfig cfg = Fixture::config();
  cfg.lease_max = 3600s;
  Fixture f(cfg);
  const auto id = f.establish(question("www.example.com."));
  const TimePoint later = t0 + 3000s;
  const auto a = f.send(message(55, {question("www.example.com.")}, {refresh_option(id, 99999)}),
                        peer(), later);
  EXPECT_EQ(a.m.header.id, 55);
  EXPECT_TRUE(a.m.answers.empty());
  EXPECT_EQ(a.options.at(0).opcode, static_cast<std::uint16_t>(Opcode::LLQ_REFRESH));
  EXPECT_EQ(a.options.at(0).error, 0);
  EXPECT_EQ(a.options.at(0).lease, 3600u);
  EXPECT_EQ(f.llq.info(id)->expires, later + 3600s);
  // The old deadline passes: still there.
  f.llq.on_timeout(t0 + 3601s);
  EXPECT_EQ(f.llq.size(), 1u);
  f.llq.on_timeout(later + 3600s);
  EXPECT_EQ(f.llq.size(), 0u);
  EXPECT_EQ(f.llq.counters().expired, 1u);
}

TEST(LlqRefresh, NoSuchLlqForUnknownIdsOrAnotherAddress) {
  Fixture f;
  const auto q = question("www.example.com.");
  const auto id = f.establish(q);
  const auto kNoSuch = static_cast<std::uint16_t>(ErrorCode::NO_SUCH_LLQ);
  EXPECT_EQ(f.send(message(1, {q}, {refresh_option(id + 1, 7200)})).options.at(0).error, kNoSuch);
  EXPECT_EQ(f.send(message(1, {q}, {refresh_option(id, 7200)}), peer(9)).options.at(0).error,
            kNoSuch);
  EXPECT_EQ(f.llq.size(), 1u);
}

TEST(LlqRefresh, LeaseZeroCancels) {
  Fixture f;
  const auto q = question("www.example.com.");
  const auto id = f.establish(q);
  const auto a = f.send(message(1, {q}, {refresh_option(id, 0)}));
  EXPECT_EQ(a.options.at(0).error, 0);
  EXPECT_EQ(a.options.at(0).lease, 0u);
  EXPECT_EQ(f.llq.size(), 0u);
  EXPECT_EQ(f.push.subscriptions(), 0u);
  EXPECT_EQ(f.llq.counters().cancels, 1u);
  // Cancelled: a refresh now is NO-SUCH-LLQ; no events come.
  EXPECT_EQ(f.send(message(1, {q}, {refresh_option(id, 10)})).options.at(0).error,
            static_cast<std::uint16_t>(ErrorCode::NO_SUCH_LLQ));
  f.commit("", "www 300 A 192.0.2.77");
  EXPECT_TRUE(f.transmits().empty());
  EXPECT_TRUE(f.llq.check());
}

TEST(LlqLease, ExpiresAtTheGrantedLease) {
  Fixture f;
  f.establish(question("www.example.com."));
  EXPECT_EQ(f.llq.next_timeout(), t0 + 7200s);
  f.llq.on_timeout(t0 + 7199s);
  EXPECT_EQ(f.llq.size(), 1u);
  f.llq.on_timeout(t0 + 7200s);
  EXPECT_EQ(f.llq.size(), 0u);
  EXPECT_EQ(f.push.subscriptions(), 0u);
  EXPECT_EQ(f.llq.next_timeout(), std::nullopt);
}

TEST(LlqReceive, PlainQueriesAreNotLlq) {
  Fixture f;
  wire::Message m;
  m.questions = {question("www.example.com.")};
  Bytes out;
  EXPECT_EQ(f.send_raw(m.to_wire(), peer(), t0, out), Disposition::kNotLlq);
  m.edns = wire::Edns{};
  EXPECT_EQ(f.send_raw(m.to_wire(), peer(), t0, out), Disposition::kNotLlq);
}

TEST(LlqReceive, AnswerFitsTheClientsPayloadWithTc) {
  Fixture f;
  std::string many;
  for (int i = 0; i < 60; ++i) many += "big 300 TXT \"" + std::string(40, 'a' + i % 26) + "\"\n";
  f.commit("", many);
  const auto q = question("big.example.com.", RRType::TXT);
  const Option c = f.challenge(q);
  Bytes out;
  f.send_raw(message(1, {q}, {setup_option(c.id, 7200)}, false, 512), peer(), t0, out);
  EXPECT_LE(out.size(), 512u);
  const auto a = decode(out);
  EXPECT_TRUE(a.m.header.tc);
  EXPECT_TRUE(a.m.answers.empty());  // RFC 2181 §9: nothing half cached
  EXPECT_EQ(a.options.at(0).error, 0);
  EXPECT_EQ(f.llq.size(), 1u);
}

TEST(LlqLimits, SharedLimitsBindAcrossWorkers) {
  // Two workers' servers sharing one SharedLimits: one address's LLQs count once, whatever
  // worker its datagrams reach; the total likewise.
  LlqConfig cfg = Fixture::config();
  cfg.shared = std::make_shared<SharedLimits>(5, 3);
  Fixture w1(cfg), w2(cfg);
  const auto q = question("www.example.com.");
  w1.establish(q, peer(1, 1000));
  w1.establish(q, peer(1, 1001));
  w2.establish(q, peer(1, 1002));
  EXPECT_EQ(cfg.shared->total(), 3u);
  // A fourth from the same address on the other worker: SERV-FULL, already at the challenge.
  auto a = w2.send(message(9, {q}, {setup_option(0)}), peer(1, 1003));
  EXPECT_EQ(a.options.at(0).error, static_cast<std::uint16_t>(ErrorCode::SERV_FULL));
  // Another address still gets in, up to the total.
  w2.establish(q, peer(2, 1000));
  w1.establish(q, peer(3, 1000));
  EXPECT_EQ(cfg.shared->total(), 5u);
  a = w1.send(message(10, {q}, {setup_option(0)}), peer(4, 1000));
  EXPECT_EQ(a.options.at(0).error, static_cast<std::uint16_t>(ErrorCode::SERV_FULL));
  EXPECT_EQ(w1.llq.size() + w2.llq.size(), 5u);
  EXPECT_TRUE(w1.llq.check());
  EXPECT_TRUE(w2.llq.check());
}

TEST(LlqLimits, ChallengeGivenThenTheLastPlaceTakenElsewhereIsServFull) {
  LlqConfig cfg = Fixture::config();
  cfg.shared = std::make_shared<SharedLimits>(100, 1);
  Fixture w1(cfg), w2(cfg);
  const auto q = question("www.example.com.");
  // Both workers hand out a challenge while the address has no LLQ yet.
  const Option c1 = w1.challenge(q, peer(1, 1000));
  const Option c2 = w2.challenge(q, peer(1, 1001));
  auto a = w1.send(message(5, {q}, {setup_option(c1.id, c1.lease)}), peer(1, 1000));
  EXPECT_EQ(a.options.at(0).error, 0);
  a = w2.send(message(6, {q}, {setup_option(c2.id, c2.lease)}), peer(1, 1001));
  EXPECT_EQ(a.options.at(0).error, static_cast<std::uint16_t>(ErrorCode::SERV_FULL));
  EXPECT_EQ(w2.llq.size(), 0u);
  EXPECT_TRUE(w2.llq.check());
  // When the first ends, the place is free again for the other worker.
  a = w1.send(message(7, {q}, {refresh_option(c1.id, 0)}), peer(1, 1000));
  EXPECT_EQ(a.options.at(0).error, 0);
  EXPECT_EQ(cfg.shared->total(), 0u);
  w2.establish(q, peer(1, 1001));
  EXPECT_EQ(cfg.shared->total(), 1u);
}

}  // namespace
}  // namespace dnspush::llq
