#include "xfr/notify_out.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "wire/tsig.hpp"
#include "xfr_test_util.hpp"

namespace dnspush::xfr {
namespace {

using namespace std::chrono_literals;
using test::Bytes;
using test::name;
using wire::Rcode;
using wire::RRType;
using Outcome = NotifyEvent::Outcome;

constexpr std::string_view kZone = "example.com.";
const TimePoint t0 = TimePoint() + 1000s;

wire::Record soa(std::uint32_t serial) {
  return test::rr("@ 300 SOA ns1 hostmaster " + std::to_string(serial) + " 7200 3600 1209600 60",
                  kZone);
}

// Ids 100, 101, 102, ... so tests can tell sends apart.
struct Ids {
  std::uint16_t next = 100;
  NotifyOut::RandomId fn() {
    return [this] { return next++; };
  }
};

wire::Message parse(const Bytes& b) {
  auto m = wire::Message::parse(b);
  EXPECT_TRUE(m.has_value());
  return m ? *m : wire::Message{};
}

// The secondary's answer (RFC 1996 §4.7): the request echoed with QR set.
Bytes response_to(const Bytes& request, Rcode rcode = Rcode::NOERROR, bool with_question = true) {
  wire::Message m = parse(request);
  m.header.qr = true;
  m.answers.clear();
  if (!with_question) m.questions.clear();
  m.set_rcode(rcode);
  return m.to_wire();
}

std::vector<NotifyTransmit> drain(NotifyOut& n) {
  std::vector<NotifyTransmit> out;
  for (int i = 0; i < 100; ++i) {
    auto t = n.poll_transmit();
    if (!t) break;
    out.push_back(std::move(*t));
  }
  return out;
}

std::vector<NotifyEvent> events(NotifyOut& n) {
  std::vector<NotifyEvent> out;
  for (int i = 0; i < 100; ++i) {
    auto e = n.poll_event();
    if (!e) break;
    out.push_back(*e);
  }
  return out;
}

TEST(NotifyOut, NotifiesEveryTargetWithTheNewSoa) {
  Ids ids;
  NotifyOut n(name(kZone), 3, ids.fn());
  EXPECT_TRUE(n.idle());
  EXPECT_FALSE(n.next_timeout().has_value());
  n.notify(soa(5), t0);
  const auto tx = drain(n);
  ASSERT_EQ(tx.size(), 3u);
  for (std::size_t i = 0; i < tx.size(); ++i) {
    EXPECT_EQ(tx[i].target, i);
    const auto m = parse(tx[i].bytes);
    // RFC 1996 §4.5: opcode NOTIFY, AA, one question (zone, IN, SOA); §3.7 SOA hint.
    EXPECT_EQ(m.header.opcode, wire::Opcode::NOTIFY);
    EXPECT_FALSE(m.header.qr);
    EXPECT_TRUE(m.header.aa);
    EXPECT_EQ(m.rcode(), Rcode::NOERROR);
    EXPECT_EQ(m.header.id, 100 + i);
    ASSERT_EQ(m.questions.size(), 1u);
    EXPECT_EQ(m.questions[0].name, name(kZone));
    EXPECT_EQ(m.questions[0].type, RRType::SOA);
    EXPECT_EQ(m.questions[0].cls, wire::RRClass::IN);
    ASSERT_EQ(m.answers.size(), 1u);
    EXPECT_EQ(m.answers[0], soa(5));
    EXPECT_TRUE(m.authorities.empty());  // §3.9
    EXPECT_TRUE(m.additionals.empty());
  }
  EXPECT_FALSE(n.idle());
  EXPECT_EQ(n.next_timeout(), t0 + 2s);
}

// RFC 1996 §3.6: retransmit until too many copies; ours: 2 s doubling, 5 retransmissions.
TEST(NotifyOut, RetriesWithBackoffThenTimesOut) {
  Ids ids;
  NotifyOut n(name(kZone), 1, ids.fn());
  n.notify(soa(5), t0);
  ASSERT_EQ(drain(n).size(), 1u);

  // Nothing happens before the deadline.
  n.on_timeout(t0 + 1s);
  EXPECT_TRUE(drain(n).empty());

  const std::vector<std::chrono::seconds> retries = {2s, 6s, 14s, 30s, 62s};
  for (const auto at : retries) {
    ASSERT_EQ(n.next_timeout(), t0 + at);
    n.on_timeout(t0 + at);
    const auto tx = drain(n);
    ASSERT_EQ(tx.size(), 1u) << at.count();
    EXPECT_EQ(parse(tx[0].bytes).header.id, 100);  // the same request, retransmitted
  }
  // After the fifth retransmission, one last wait (capped at 60 s), then give up.
  ASSERT_EQ(n.next_timeout(), t0 + 122s);
  n.on_timeout(t0 + 121s);
  EXPECT_TRUE(events(n).empty());
  n.on_timeout(t0 + 122s);
  EXPECT_TRUE(drain(n).empty());
  const auto ev = events(n);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].outcome, Outcome::kTimedOut);
  EXPECT_EQ(ev[0].sends, 6u);
  EXPECT_EQ(ev[0].serial, Serial(5));
  EXPECT_TRUE(n.idle());
  EXPECT_FALSE(n.next_timeout().has_value());
}

TEST(NotifyOut, ConfigurableSchedule) {
  Ids ids;
  NotifyConfig cfg;
  cfg.initial_interval = 10s;
  cfg.max_interval = 15s;
  cfg.max_retransmissions = 2;
  NotifyOut n(name(kZone), 1, ids.fn(), cfg);
  n.notify(soa(5), t0);
  drain(n);
  EXPECT_EQ(n.next_timeout(), t0 + 10s);
  n.on_timeout(t0 + 10s);
  EXPECT_EQ(drain(n).size(), 1u);
  EXPECT_EQ(n.next_timeout(), t0 + 25s);  // 20 s capped at 15
  n.on_timeout(t0 + 25s);
  EXPECT_EQ(drain(n).size(), 1u);
  EXPECT_EQ(n.next_timeout(), t0 + 40s);
  n.on_timeout(t0 + 40s);
  EXPECT_TRUE(drain(n).empty());
  const auto ev = events(n);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].outcome, Outcome::kTimedOut);
  EXPECT_EQ(ev[0].sends, 3u);
}

// RFC 1996 §4.8: a response takes the target off the retry queue.
TEST(NotifyOut, ResponseStopsRetries) {
  Ids ids;
  NotifyOut n(name(kZone), 2, ids.fn());
  n.notify(soa(5), t0);
  const auto tx = drain(n);
  ASSERT_EQ(tx.size(), 2u);
  n.receive(0, response_to(tx[0].bytes), t0 + 100ms);
  auto ev = events(n);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].target, 0u);
  EXPECT_EQ(ev[0].outcome, Outcome::kAcknowledged);
  EXPECT_EQ(ev[0].serial, Serial(5));
  EXPECT_EQ(ev[0].sends, 1u);

  // Target 1 still retries; target 0 does not.
  n.on_timeout(t0 + 2s);
  const auto retry = drain(n);
  ASSERT_EQ(retry.size(), 1u);
  EXPECT_EQ(retry[0].target, 1u);
  n.receive(1, response_to(retry[0].bytes), t0 + 3s);
  ev = events(n);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].sends, 2u);
  EXPECT_TRUE(n.idle());
  EXPECT_FALSE(n.next_timeout().has_value());
  n.on_timeout(t0 + 1000s);
  EXPECT_TRUE(drain(n).empty());
  // A duplicate response changes nothing.
  n.receive(1, response_to(retry[0].bytes), t0 + 1001s);
  EXPECT_TRUE(events(n).empty());
}

TEST(NotifyOut, MismatchedResponsesAreIgnored) {
  Ids ids;
  NotifyOut n(name(kZone), 2, ids.fn());
  n.notify(soa(5), t0);
  const auto tx = drain(n);
  const Bytes good = response_to(tx[0].bytes);

  wire::Message wrong_id = parse(good);
  wrong_id.header.id ^= 1;
  n.receive(0, wrong_id.to_wire(), t0);

  wire::Message not_response = parse(good);
  not_response.header.qr = false;
  n.receive(0, not_response.to_wire(), t0);

  wire::Message wrong_opcode = parse(good);
  wrong_opcode.header.opcode = wire::Opcode::QUERY;
  n.receive(0, wrong_opcode.to_wire(), t0);

  wire::Message wrong_name = parse(good);
  wrong_name.questions[0].name = name("example.org.");
  n.receive(0, wrong_name.to_wire(), t0);

  wire::Message wrong_type = parse(good);
  wrong_type.questions[0].type = RRType::A;
  n.receive(0, wrong_type.to_wire(), t0);

  // A NOERROR answer without the question does not count (§4.7 echoes it).
  n.receive(0, response_to(tx[0].bytes, Rcode::NOERROR, false), t0);
  // From the other target (target 1's id differs), from an unknown target, and garbage.
  n.receive(1, good, t0);
  n.receive(7, good, t0);
  n.receive(0, Bytes{1, 2, 3}, t0);

  EXPECT_TRUE(events(n).empty());
  n.on_timeout(t0 + 2s);
  EXPECT_EQ(drain(n).size(), 2u);  // both still retried

  n.receive(0, good, t0 + 2s);  // and the right one still completes it
  const auto ev = events(n);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].outcome, Outcome::kAcknowledged);
}

// RFC 1996 §3.12: NOTIMP completes the transaction; so does any other answer.
TEST(NotifyOut, ErrorAnswersCompleteTheTransaction) {
  Ids ids;
  NotifyOut n(name(kZone), 2, ids.fn());
  n.notify(soa(5), t0);
  const auto tx = drain(n);
  n.receive(0, response_to(tx[0].bytes, Rcode::NOTIMP, false), t0);
  n.receive(1, response_to(tx[1].bytes, Rcode::REFUSED), t0);
  const auto ev = events(n);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].outcome, Outcome::kNotImplemented);
  EXPECT_EQ(ev[1].outcome, Outcome::kRejected);
  EXPECT_EQ(ev[1].rcode, Rcode::REFUSED);
  EXPECT_TRUE(n.idle());
}

TEST(NotifyOut, NewerSerialSupersedesPendingNotify) {
  Ids ids;
  NotifyOut n(name(kZone), 1, ids.fn());
  n.notify(soa(5), t0);
  const auto first = drain(n);
  ASSERT_EQ(first.size(), 1u);
  n.on_timeout(t0 + 2s);
  ASSERT_EQ(drain(n).size(), 1u);  // one retransmission of serial 5

  n.notify(soa(6), t0 + 3s);
  const auto second = drain(n);
  ASSERT_EQ(second.size(), 1u);
  const auto m = parse(second[0].bytes);
  EXPECT_EQ(m.header.id, 101);  // a new transaction
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(zone::soa_serial(m.answers[0].rdata), Serial(6));
  // The schedule starts afresh.
  EXPECT_EQ(n.next_timeout(), t0 + 5s);

  // A late answer to serial 5's NOTIFY does not complete serial 6's.
  n.receive(0, response_to(first[0].bytes), t0 + 4s);
  EXPECT_TRUE(events(n).empty());
  EXPECT_FALSE(n.idle());

  // The same serial again while pending: nothing new is sent.
  n.notify(soa(6), t0 + 4s);
  EXPECT_TRUE(drain(n).empty());
  EXPECT_EQ(n.next_timeout(), t0 + 5s);

  n.receive(0, response_to(second[0].bytes), t0 + 4s);
  const auto ev = events(n);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].serial, Serial(6));
  EXPECT_EQ(ev[0].outcome, Outcome::kAcknowledged);

  // Once acknowledged, the same serial may be announced again (e.g. on restart, §4.1).
  n.notify(soa(6), t0 + 10s);
  EXPECT_EQ(drain(n).size(), 1u);
}

// A superseding notify before the queued copy was polled sends only the newest.
TEST(NotifyOut, QueuedCopyIsNotDuplicated) {
  Ids ids;
  NotifyOut n(name(kZone), 1, ids.fn());
  n.notify(soa(5), t0);
  n.notify(soa(6), t0);
  const auto tx = drain(n);
  ASSERT_EQ(tx.size(), 1u);
  EXPECT_EQ(zone::soa_serial(parse(tx[0].bytes).answers[0].rdata), Serial(6));
}

TEST(NotifyOut, SignerSignsEveryCopy) {
  Ids ids;
  auto key = wire::TsigKey::from_string("hmac-sha256:notify-key:c2VjcmV0LXNlY3JldC1zZWNyZXQ=");
  ASSERT_TRUE(key.has_value());
  std::vector<TargetId> signed_for;
  NotifyOut n(name(kZone), 2, ids.fn(), {}, [&](TargetId t, Bytes& b) -> Result<void> {
    signed_for.push_back(t);
    auto r = wire::tsig_sign_request(b, *key, 1700000000);
    if (!r) return tl::unexpected(r.error());
    return {};
  });
  n.notify(soa(5), t0);
  const auto tx = drain(n);
  ASSERT_EQ(tx.size(), 2u);
  EXPECT_EQ(signed_for, (std::vector<TargetId>{0, 1}));
  wire::TsigKeyring ring;
  ASSERT_TRUE(ring.add(*key).has_value());
  for (const auto& t : tx) {
    const auto m = parse(t.bytes);
    ASSERT_TRUE(m.tsig_offset.has_value());
    EXPECT_TRUE(wire::tsig_verify_request(t.bytes, m, ring, 1700000000).ok());
  }
}

TEST(NotifyOut, SignerFailureIsReported) {
  Ids ids;
  NotifyOut n(name(kZone), 1, ids.fn(), {},
              [](TargetId, Bytes&) -> Result<void> { return fail(Errc::kNotFound, "no key"); });
  n.notify(soa(5), t0);
  EXPECT_TRUE(drain(n).empty());
  const auto ev = events(n);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].outcome, Outcome::kSignFailed);
  EXPECT_TRUE(n.idle());
}

TEST(NotifyOut, TsigNotifySignerSignsAsARequestAtTheClocksTime) {
  Ids ids;
  auto key = wire::TsigKey::from_string("hmac-sha256:notify-key:c2VjcmV0LXNlY3JldC1zZWNyZXQ=");
  ASSERT_TRUE(key.has_value());
  std::uint64_t clock = 1700000000;
  NotifyOut n(name(kZone), 1, ids.fn(), {}, tsig_notify_signer(*key, [&] { return clock; }));
  n.notify(soa(5), t0);
  const auto first = drain(n);
  ASSERT_EQ(first.size(), 1u);
  clock += 7;  // the retransmission is signed afresh, at its own time
  n.on_timeout(t0 + 2s);
  const auto second = drain(n);
  ASSERT_EQ(second.size(), 1u);
  wire::TsigKeyring ring;
  ASSERT_TRUE(ring.add(*key).has_value());
  const std::uint64_t times[] = {1700000000, 1700000007};
  for (int i = 0; i < 2; ++i) {
    const Bytes& b = (i == 0 ? first : second)[0].bytes;
    const auto m = parse(b);
    EXPECT_EQ(m.header.opcode, wire::Opcode::NOTIFY);
    ASSERT_TRUE(m.tsig_offset.has_value());
    const auto v = wire::tsig_verify_request(b, m, ring, times[i]);
    EXPECT_TRUE(v.ok()) << static_cast<int>(v.error);
    EXPECT_EQ(v.time_signed, times[i]);
  }
}

// With room kept for the TSIG, a NOTIFY whose SOA hint would push the signed message
// past 512 bytes goes without the hint (RFC 1996 §3.7: the hint is optional).
TEST(NotifyOut, SignerReserveKeepsTheSignedNotifyWithin512Bytes) {
  auto key = wire::TsigKey::from_string("hmac-sha256:notify-key:c2VjcmV0LXNlY3JldC1zZWNyZXQ=");
  ASSERT_TRUE(key.has_value());
  const std::string l63(63, 'a');
  const std::string big = l63 + "." + l63 + "." + l63;  // ~190 bytes a name, uncompressible
  const auto long_soa =
      test::rr("@ 300 SOA " + big + ".n " + big + ".h 5 7200 3600 1209600 60", kZone);
  const auto run = [&](std::size_t reserve) {
    Ids ids;
    NotifyConfig cfg;
    cfg.signer_reserve = reserve;
    NotifyOut n(name(kZone), 1, ids.fn(), cfg,
                tsig_notify_signer(*key, [] { return std::uint64_t{1700000000}; }));
    n.notify(long_soa, t0);
    auto tx = drain(n);
    EXPECT_EQ(tx.size(), 1u);
    return tx.empty() ? Bytes{} : tx[0].bytes;
  };
  const Bytes unreserved = run(0);
  ASSERT_GT(unreserved.size(), 512u);  // the premise: hint + TSIG overflow 512
  EXPECT_EQ(parse(unreserved).answers.size(), 1u);

  const Bytes reserved = run(wire::tsig_wire_size(*key));
  EXPECT_LE(reserved.size(), 512u);
  const auto m = parse(reserved);
  EXPECT_TRUE(m.answers.empty());
  ASSERT_EQ(m.questions.size(), 1u);
  ASSERT_TRUE(m.tsig_offset.has_value());
  wire::TsigKeyring ring;
  ASSERT_TRUE(ring.add(*key).has_value());
  EXPECT_TRUE(wire::tsig_verify_request(reserved, m, ring, 1700000000).ok());
}

}  // namespace
}  // namespace dnspush::xfr
