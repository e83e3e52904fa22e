// SUBSCRIBE (RFC 8765 §6.2), UNSUBSCRIBE (§6.4), RECONFIRM (§6.5) and the limits.
#include <gtest/gtest.h>

#include <chrono>

#include "push/push_worker.hpp"
#include "push_test_util.hpp"

namespace dnspush::push {
namespace {

using namespace std::chrono_literals;
using test::Bytes;
using test::subscribe_data;
using test::t0;
using wire::Rcode;
using wire::RRClass;
using wire::RRType;
using Action = SubscribeResult::Action;

constexpr SessionId kS{1};
constexpr SessionId kOther{2};

struct Fixture {
  test::Zones zones;
  PushWorker worker;
  explicit Fixture(PushConfig cfg = {}) : worker(std::move(cfg)) {}
  SubscribeResult subscribe(SessionId s, std::uint16_t id, std::string_view n, RRType t,
                            RRClass c = RRClass::IN, TimePoint now = t0) {
    return worker.subscribe(s, id, subscribe_data(n, t, c), zones.now(), now);
  }
};

void expect_refused(const SubscribeResult& r, Rcode rcode, std::chrono::milliseconds delay) {
  EXPECT_EQ(r.action, Action::kRespond);
  EXPECT_EQ(r.rcode, rcode);
  EXPECT_EQ(r.retry_delay, delay);  // RFC 8765 §6.2.2: SHOULD append a Retry Delay TLV
  EXPECT_TRUE(r.initial_push.empty());
}

TEST(Subscribe, AcceptsAndSendsTheCurrentRecordsAsTheInitialPush) {
  Fixture f;
  const auto r = f.subscribe(kS, 7, "www.example.com.", RRType::A);
  EXPECT_EQ(r.action, Action::kRespond);
  EXPECT_EQ(r.rcode, Rcode::NOERROR);
  EXPECT_FALSE(r.retry_delay.has_value());
  EXPECT_EQ(test::describe(r.initial_push),
            (std::vector<std::string>{"add www.example.com. A 300 192.0.2.10",
                                      "add www.example.com. A 300 192.0.2.11"}));
  EXPECT_EQ(f.worker.subscriptions(kS), 1u);
  EXPECT_EQ(f.worker.counters().subscribe_accepted, 1u);
}

TEST(Subscribe, AnyTypeAndAnyClassMeanAll) {
  Fixture f;
  const auto r = f.subscribe(kS, 7, "www.example.com.", RRType::ANY, RRClass::ANY);
  EXPECT_EQ(r.rcode, Rcode::NOERROR);
  EXPECT_EQ(test::describe(r.initial_push),
            (std::vector<std::string>{"add www.example.com. A 300 192.0.2.10",
                                      "add www.example.com. A 300 192.0.2.11",
                                      "add www.example.com. AAAA 300 2001:db8::10"}));
}

TEST(Subscribe, NamesThatDoNotExistYetAreAcceptedWithoutInitialPush) {
  Fixture f;
  // §6.2.1: MUST NOT return NXDOMAIN; MUST accept. No records: no initial PUSH (§6.3).
  const auto r = f.subscribe(kS, 7, "later.example.com.", RRType::A);
  EXPECT_EQ(r.rcode, Rcode::NOERROR);
  EXPECT_TRUE(r.initial_push.empty());
  // An existing name without the type, and an empty non-terminal, likewise.
  EXPECT_EQ(f.subscribe(kS, 8, "ns1.example.com.", RRType::TXT).rcode, Rcode::NOERROR);
  EXPECT_EQ(f.subscribe(kS, 9, "_tcp.example.com.", RRType::PTR).rcode, Rcode::NOERROR);
  EXPECT_EQ(f.worker.subscriptions(kS), 3u);
}

TEST(Subscribe, NoCnameOrWildcardExpansion) {
  Fixture f;
  // §6.2.1: "a CNAME in a SUBSCRIBE message matches only a literal CNAME record".
  const auto a = f.subscribe(kS, 1, "alias.example.com.", RRType::A);
  EXPECT_EQ(a.rcode, Rcode::NOERROR);
  EXPECT_TRUE(a.initial_push.empty());
  const auto cname = f.subscribe(kS, 2, "alias.example.com.", RRType::CNAME);
  EXPECT_EQ(test::describe(cname.initial_push),
            (std::vector<std::string>{"add alias.example.com. CNAME 300 www.example.com."}));
  // "a wildcard in a SUBSCRIBE message matches only a literal wildcard character".
  EXPECT_TRUE(f.subscribe(kS, 3, "x.wild.example.com.", RRType::A).initial_push.empty());
  EXPECT_EQ(test::describe(f.subscribe(kS, 4, "*.wild.example.com.", RRType::A).initial_push),
            (std::vector<std::string>{"add *.wild.example.com. A 300 192.0.2.99"}));
}

TEST(Subscribe, MalformedTlvIsFormerrWithFiveMinutes) {
  Fixture f;
  Bytes bad = subscribe_data("www.example.com.", RRType::A);
  bad.push_back(0);  // trailing byte
  expect_refused(f.worker.subscribe(kS, 7, bad, f.zones.now(), t0), Rcode::FORMERR, 5min);
  expect_refused(f.worker.subscribe(kS, 7, Bytes{}, f.zones.now(), t0), Rcode::FORMERR, 5min);
  // Meta types other than ANY, TYPE 0, CLASS 0 and NONE do not describe records.
  for (const RRType t : {RRType::OPT, RRType::AXFR, RRType::IXFR, RRType::TSIG,
                         static_cast<RRType>(0), static_cast<RRType>(128)}) {
    expect_refused(f.subscribe(kS, 7, "www.example.com.", t), Rcode::FORMERR, 5min);
  }
  expect_refused(f.subscribe(kS, 7, "www.example.com.", RRType::A, static_cast<RRClass>(0)),
                 Rcode::FORMERR, 5min);
  expect_refused(f.subscribe(kS, 7, "www.example.com.", RRType::A, RRClass::NONE), Rcode::FORMERR,
                 5min);
  EXPECT_EQ(f.worker.counters().subscribe_formerr, 10u);
  EXPECT_EQ(f.worker.subscriptions(), 0u);
}

TEST(Subscribe, ProtocolErrorsAbortTheSession) {
  Fixture f;
  // RFC 8490 §5.4.1: a request needs a nonzero MESSAGE ID.
  EXPECT_EQ(f.subscribe(kS, 0, "www.example.com.", RRType::A).action, Action::kAbort);
  ASSERT_EQ(f.subscribe(kS, 7, "www.example.com.", RRType::A).rcode, Rcode::NOERROR);
  // §6.2.1: the same NAME, TYPE, CLASS again (case-insensitively) is fatal...
  EXPECT_EQ(f.subscribe(kS, 8, "WWW.Example.COM.", RRType::A).action, Action::kAbort);
  // ...and so is a MESSAGE ID still in use by an active subscription.
  EXPECT_EQ(f.subscribe(kS, 7, "ns1.example.com.", RRType::A).action, Action::kAbort);
  EXPECT_EQ(f.worker.counters().protocol_errors, 3u);
  EXPECT_EQ(f.worker.subscriptions(kS), 1u);
  // Another session may subscribe the same thing with the same id; other types are fine.
  EXPECT_EQ(f.subscribe(kOther, 7, "www.example.com.", RRType::A).rcode, Rcode::NOERROR);
  EXPECT_EQ(f.subscribe(kS, 9, "www.example.com.", RRType::AAAA).rcode, Rcode::NOERROR);
  EXPECT_EQ(f.subscribe(kS, 10, "www.example.com.", RRType::A, RRClass::ANY).rcode, Rcode::NOERROR);
  // Once unsubscribed, the MESSAGE ID and the name may be used again.
  Bytes unsub = {0, 7};
  EXPECT_EQ(f.worker.unsubscribe(kS, unsub), UnsubscribeResult::kRemoved);
  EXPECT_EQ(f.subscribe(kS, 7, "www.example.com.", RRType::A).rcode, Rcode::NOERROR);
}

TEST(Subscribe, NotAuthoritativeOutsideOurZonesAndBelowDelegations) {
  Fixture f;
  expect_refused(f.subscribe(kS, 1, "www.example.org.", RRType::A), Rcode::NOTAUTH, 5min);
  expect_refused(f.subscribe(kS, 2, "com.", RRType::A), Rcode::NOTAUTH, 5min);
  // RFC 1034 §4.2.1: sub.example.com. is delegated, so the child is authoritative for it
  // and everything below it (the glue ns.sub included).
  expect_refused(f.subscribe(kS, 3, "sub.example.com.", RRType::NS), Rcode::NOTAUTH, 5min);
  expect_refused(f.subscribe(kS, 4, "sub.example.com.", RRType::ANY), Rcode::NOTAUTH, 5min);
  expect_refused(f.subscribe(kS, 5, "ns.sub.example.com.", RRType::A), Rcode::NOTAUTH, 5min);
  expect_refused(f.subscribe(kS, 6, "deep.x.sub.example.com.", RRType::A), Rcode::NOTAUTH, 5min);
  // DS at the cut is the parent's data (RFC 4035 §2.4).
  EXPECT_EQ(f.subscribe(kS, 7, "sub.example.com.", RRType::DS).rcode, Rcode::NOERROR);
  // We serve class IN only.
  expect_refused(f.subscribe(kS, 8, "www.example.com.", RRType::A, RRClass::CH), Rcode::NOTAUTH,
                 5min);
  EXPECT_EQ(f.worker.counters().subscribe_notauth, 7u);
  // The apex is ours.
  EXPECT_EQ(f.subscribe(kS, 9, "example.com.", RRType::NS).rcode, Rcode::NOERROR);
}

TEST(Subscribe, RefusedByPolicy) {
  PushConfig cfg;
  cfg.allow = [](const wire::Name& zone, const Subscribe& s) {
    return zone == test::name("example.com.") && s.type != RRType::TXT;
  };
  Fixture f(cfg);
  EXPECT_EQ(f.subscribe(kS, 1, "www.example.com.", RRType::A).rcode, Rcode::NOERROR);
  expect_refused(f.subscribe(kS, 2, "www.example.com.", RRType::TXT), Rcode::REFUSED, 5min);
  EXPECT_EQ(f.worker.counters().subscribe_refused_policy, 1u);
}

TEST(Subscribe, RateLimitIsATokenBucketPerSession) {
  PushConfig cfg;
  cfg.subscribe_interval = 100ms;
  cfg.subscribe_burst = 5;
  Fixture f(cfg);
  // The burst: Apple's client pipelines every SUBSCRIBE when it connects.
  for (std::uint16_t i = 1; i <= 5; ++i) {
    EXPECT_EQ(f.subscribe(kS, i, "n" + std::to_string(i) + ".example.com.", RRType::A).rcode,
              Rcode::NOERROR);
  }
  // Then REFUSED with the time until the bucket has a token again: 100 ms from t0.
  expect_refused(f.subscribe(kS, 6, "n6.example.com.", RRType::A), Rcode::REFUSED, 100ms);
  expect_refused(f.subscribe(kS, 6, "n6.example.com.", RRType::A, RRClass::IN, t0 + 60ms),
                 Rcode::REFUSED, 40ms);
  EXPECT_EQ(f.worker.counters().subscribe_refused_rate, 2u);
  // Another session has its own bucket.
  EXPECT_EQ(f.subscribe(kOther, 1, "n1.example.com.", RRType::A).rcode, Rcode::NOERROR);
  // After the interval one more is accepted, and the next is refused again.
  EXPECT_EQ(f.subscribe(kS, 6, "n6.example.com.", RRType::A, RRClass::IN, t0 + 100ms).rcode,
            Rcode::NOERROR);
  expect_refused(f.subscribe(kS, 7, "n7.example.com.", RRType::A, RRClass::IN, t0 + 100ms),
                 Rcode::REFUSED, 100ms);
  // Refused ones took no token: the next interval admits exactly one.
  EXPECT_EQ(f.subscribe(kS, 7, "n7.example.com.", RRType::A, RRClass::IN, t0 + 200ms).rcode,
            Rcode::NOERROR);
  EXPECT_EQ(f.worker.subscriptions(kS), 7u);
}

TEST(Subscribe, AFloodIsRefusedWithoutGrowingAnything) {
  PushConfig cfg;
  cfg.subscribe_interval = 1s;
  cfg.subscribe_burst = 10;
  Fixture f(cfg);
  for (int i = 0; i < 100000; ++i) {
    // Fresh MESSAGE IDs (a reused one would be a protocol error, not a refusal).
    const auto id = static_cast<std::uint16_t>(i < 10 ? i + 1 : 11 + i % 60000);
    const auto r = f.subscribe(kS, id, "n" + std::to_string(i) + ".example.com.", RRType::A);
    if (i >= 10) {
      ASSERT_EQ(r.rcode, Rcode::REFUSED) << i;
    }
  }
  EXPECT_EQ(f.worker.subscriptions(), 10u);
  EXPECT_EQ(f.worker.index().names(), 10u);
  EXPECT_EQ(f.worker.counters().subscribe_refused_rate, 99990u);
}

TEST(Subscribe, LimitsPerSessionAndPerWorker) {
  PushConfig cfg;
  cfg.max_subscriptions_per_session = 3;
  cfg.max_subscriptions = 5;
  Fixture f(cfg);
  for (std::uint16_t i = 1; i <= 3; ++i)
    EXPECT_EQ(f.subscribe(kS, i, "a" + std::to_string(i) + ".example.com.", RRType::A).rcode,
              Rcode::NOERROR);
  expect_refused(f.subscribe(kS, 4, "a4.example.com.", RRType::A), Rcode::REFUSED, 1min);
  EXPECT_EQ(f.worker.counters().subscribe_refused_session_limit, 1u);
  EXPECT_EQ(f.subscribe(kOther, 1, "b1.example.com.", RRType::A).rcode, Rcode::NOERROR);
  EXPECT_EQ(f.subscribe(kOther, 2, "b2.example.com.", RRType::A).rcode, Rcode::NOERROR);
  expect_refused(f.subscribe(SessionId{3}, 1, "c1.example.com.", RRType::A), Rcode::REFUSED, 1min);
  EXPECT_EQ(f.worker.counters().subscribe_refused_worker_limit, 1u);
  // Room again after a session closes.
  f.worker.close_session(kOther);
  EXPECT_EQ(f.subscribe(SessionId{3}, 1, "c1.example.com.", RRType::A).rcode, Rcode::NOERROR);
}

TEST(Subscribe, TenThousandSubscriptionsInOneSession) {
  PushConfig cfg;
  cfg.max_subscriptions_per_session = 10000;
  cfg.subscribe_interval = Duration::zero();
  Fixture f(cfg);
  for (int i = 0; i < 10000; ++i) {
    const auto r = f.subscribe(kS, static_cast<std::uint16_t>(i + 1),
                               "h" + std::to_string(i) + ".example.com.", RRType::A);
    ASSERT_EQ(r.rcode, Rcode::NOERROR) << i;
  }
  EXPECT_EQ(f.worker.subscriptions(kS), 10000u);
  expect_refused(f.subscribe(kS, 10001, "one-more.example.com.", RRType::A), Rcode::REFUSED, 1min);
  EXPECT_TRUE(f.worker.index().check());
  // A commit touching 100 of them is one coalesced change set for the session.
  std::string added;
  for (int i = 0; i < 10000; i += 100) added += "h" + std::to_string(i) + " 60 A 192.0.2.7\n";
  const auto ds = f.worker.on_commit(*f.zones.commit("", added));
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(test::decode_all(test::for_session(ds, kS)).size(), 100u);
  f.worker.close_session(kS);
  EXPECT_EQ(f.worker.subscriptions(), 0u);
  EXPECT_EQ(f.worker.index().names(), 0u);
  EXPECT_TRUE(f.worker.index().check());
}

TEST(Subscribe, AStaleSnapshotIsServfail) {
  Fixture f;
  const auto old = f.zones.catalogue();
  (void)f.worker.on_commit(*f.zones.commit("", "new 60 A 192.0.2.8"));
  // Read from a catalogue before a commit already pushed here: it would miss that commit.
  const auto r = f.worker.subscribe(kS, 1, subscribe_data("new.example.com.", RRType::A), *old, t0);
  expect_refused(r, Rcode::SERVFAIL, 1min);
  EXPECT_EQ(f.worker.counters().subscribe_servfail_stale, 1u);
  EXPECT_EQ(f.subscribe(kS, 1, "new.example.com.", RRType::A).rcode, Rcode::NOERROR);
}

// ---- UNSUBSCRIBE (§6.4) ----

TEST(Unsubscribe, ByMessageIdOrDraftNameTypeClass) {
  Fixture f;
  ASSERT_EQ(f.subscribe(kS, 7, "www.example.com.", RRType::A).rcode, Rcode::NOERROR);
  ASSERT_EQ(f.subscribe(kS, 8, "_ipp._tcp.example.com.", RRType::PTR).rcode, Rcode::NOERROR);
  EXPECT_EQ(f.worker.unsubscribe(kS, Bytes{0, 7}), UnsubscribeResult::kRemoved);
  // Apple's form: NAME TYPE CLASS, matched case-insensitively.
  EXPECT_EQ(f.worker.unsubscribe(kS, subscribe_data("_IPP._tcp.example.com.", RRType::PTR)),
            UnsubscribeResult::kRemoved);
  EXPECT_EQ(f.worker.subscriptions(kS), 0u);
  EXPECT_EQ(f.worker.counters().unsubscribe_removed, 2u);
  EXPECT_EQ(f.worker.counters().unsubscribe_legacy, 1u);
  // Nothing is pushed to them any more.
  EXPECT_TRUE(f.worker.on_commit(*f.zones.commit("", "www 300 A 192.0.2.12")).empty());
}

TEST(Unsubscribe, UnmatchedIsIgnoredAndMalformedAborts) {
  Fixture f;
  ASSERT_EQ(f.subscribe(kS, 7, "www.example.com.", RRType::A).rcode, Rcode::NOERROR);
  // §6.4.1: MUST silently ignore (e.g. one whose SUBSCRIBE failed, or another session's).
  EXPECT_EQ(f.worker.unsubscribe(kS, Bytes{0, 9}), UnsubscribeResult::kNoMatch);
  EXPECT_EQ(f.worker.unsubscribe(kOther, Bytes{0, 7}), UnsubscribeResult::kNoMatch);
  EXPECT_EQ(f.worker.unsubscribe(kS, subscribe_data("www.example.com.", RRType::AAAA)),
            UnsubscribeResult::kNoMatch);
  EXPECT_EQ(f.worker.counters().unsubscribe_unmatched, 3u);
  EXPECT_EQ(f.worker.unsubscribe(kS, Bytes{0, 7, 0}), UnsubscribeResult::kAbort);
  EXPECT_EQ(f.worker.subscriptions(kS), 1u);
}

TEST(Unsubscribe, ClosingASessionRemovesEverySubscription) {
  Fixture f;
  for (std::uint16_t i = 1; i <= 20; ++i)
    ASSERT_EQ(f.subscribe(kS, i, "x" + std::to_string(i) + ".example.com.", RRType::ANY).rcode,
              Rcode::NOERROR);
  ASSERT_EQ(f.subscribe(kOther, 1, "x1.example.com.", RRType::ANY).rcode, Rcode::NOERROR);
  f.worker.close_session(kS);
  EXPECT_EQ(f.worker.subscriptions(kS), 0u);
  EXPECT_EQ(f.worker.subscriptions(), 1u);
  EXPECT_EQ(f.worker.sessions(), 1u);
  EXPECT_TRUE(f.worker.index().check());
  const auto ds = f.worker.on_commit(*f.zones.commit("", "x1 60 A 192.0.2.1\nx2 60 A 192.0.2.2"));
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].session, kOther);
}

// ---- RECONFIRM (§6.5) ----

Bytes reconfirm_data(std::string_view n, RRType t, const Bytes& rdata) {
  wire::Writer w;
  encode_reconfirm(w, Reconfirm{test::name(n), t, RRClass::IN, rdata});
  return w.take();
}

TEST(Reconfirm, ReportsWithoutChangingAnything) {
  Fixture f;
  ASSERT_EQ(f.subscribe(kS, 7, "www.example.com.", RRType::A).rcode, Rcode::NOERROR);
  auto r = f.worker.reconfirm(kS, reconfirm_data("www.example.com.", RRType::A, {192, 0, 2, 10}),
                              f.zones.now());
  EXPECT_FALSE(r.abort);
  EXPECT_TRUE(r.authoritative);
  EXPECT_TRUE(r.present);
  EXPECT_EQ(r.record.name, test::name("www.example.com."));
  r = f.worker.reconfirm(kS, reconfirm_data("www.example.com.", RRType::A, {192, 0, 2, 77}),
                         f.zones.now());
  EXPECT_TRUE(r.authoritative);
  EXPECT_FALSE(r.present);
  r = f.worker.reconfirm(kS, reconfirm_data("www.example.org.", RRType::A, {1, 2, 3, 4}),
                         f.zones.now());
  EXPECT_FALSE(r.authoritative);
  r = f.worker.reconfirm(kS, reconfirm_data("ns.sub.example.com.", RRType::A, {192, 0, 2, 53}),
                         f.zones.now());
  EXPECT_FALSE(r.authoritative);  // glue below a cut
  EXPECT_EQ(f.worker.counters().reconfirms, 4u);
  // Our data is authoritative: nothing to push, nothing removed.
  EXPECT_EQ(f.worker.subscriptions(kS), 1u);
  EXPECT_EQ(f.zones.zone()->find(test::name("www.example.com."))->find(RRType::A)->rdatas.size(),
            2u);
}

TEST(Reconfirm, AnyTypeOrBadRdataAborts) {
  Fixture f;
  Bytes any;
  {
    wire::Writer w;
    w.name(test::name("www.example.com."), false);
    w.u16(255);
    w.u16(1);
    any = w.take();
  }
  EXPECT_TRUE(f.worker.reconfirm(kS, any, f.zones.now()).abort);
  EXPECT_TRUE(
      f.worker.reconfirm(kS, reconfirm_data("www.example.com.", RRType::A, {1, 2}), f.zones.now())
          .abort);
  EXPECT_EQ(f.worker.counters().protocol_errors, 2u);
}

}  // namespace
}  // namespace dnspush::push
