#include "xfr/refresh.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

namespace dnspush::xfr {
namespace {

using namespace std::chrono_literals;
using Kind = RefreshEvent::Kind;

const TimePoint t0 = TimePoint() + 1000s;

zone::SoaFields soa(std::uint32_t refresh, std::uint32_t retry, std::uint32_t expire,
                    std::uint32_t serial = 1) {
  zone::SoaFields f;
  f.serial = Serial(serial);
  f.refresh = refresh;
  f.retry = retry;
  f.expire = expire;
  f.minimum = 60;
  return f;
}

std::vector<RefreshEvent> events(Refresh& r) {
  std::vector<RefreshEvent> out;
  while (auto e = r.poll_event()) out.push_back(*e);
  return out;
}

bool is_check(const std::vector<RefreshEvent>& es, std::size_t primary = 0) {
  return es.size() == 1 && es[0].kind == Kind::kCheck && es[0].primary == primary;
}

// Advances the fake clock to the next deadline (bounded) and fires it.
TimePoint fire(Refresh& r) {
  auto t = r.next_timeout();
  EXPECT_TRUE(t.has_value());
  if (!t) return TimePoint();
  r.on_timeout(*t);
  return *t;
}

TEST(Refresh, ChecksAtStartThenEveryRefresh) {
  Refresh r({});
  r.start(soa(3600, 600, 86400), std::nullopt, t0);
  // A (re)start checks at once: a restarted secondary catches up by IXFR.
  EXPECT_TRUE(is_check(events(r)));
  EXPECT_TRUE(r.checking());
  r.succeeded(soa(3600, 600, 86400), t0 + 1s);
  EXPECT_TRUE(events(r).empty());
  // RFC 1034 §4.3.5: REFRESH seconds after a successful check.
  EXPECT_EQ(r.next_timeout(), t0 + 1s + 3600s);
  EXPECT_EQ(fire(r), t0 + 1s + 3600s);
  EXPECT_TRUE(is_check(events(r)));
}

TEST(Refresh, RetriesEveryRetryAfterAFailedRound) {
  Refresh r({});
  r.start(soa(3600, 600, 86400), std::nullopt, t0);
  events(r);
  r.failed(t0 + 2s);
  EXPECT_TRUE(events(r).empty());
  EXPECT_FALSE(r.checking());
  EXPECT_EQ(r.next_timeout(), t0 + 2s + 600s);
  fire(r);
  EXPECT_TRUE(is_check(events(r)));
}

TEST(Refresh, ARoundTriesEveryPrimaryInTurn) {
  RefreshConfig c;
  c.primaries = 3;
  Refresh r(c);
  r.start(soa(3600, 600, 86400), std::nullopt, t0);
  EXPECT_TRUE(is_check(events(r), 0));
  r.failed(t0);
  EXPECT_TRUE(is_check(events(r), 1));  // at once, the next primary
  r.failed(t0);
  EXPECT_TRUE(is_check(events(r), 2));
  r.failed(t0);
  EXPECT_TRUE(events(r).empty());  // the round failed: RETRY
  EXPECT_EQ(r.next_timeout(), t0 + 600s);
  fire(r);
  EXPECT_TRUE(is_check(events(r), 0));  // a new round starts with the first
}

TEST(Refresh, ExpiresExpireAfterTheLastSuccessAndRecoversOnTheNext) {
  Refresh r({});
  r.start(soa(20, 10, 60), std::nullopt, t0);
  events(r);
  r.succeeded(soa(20, 10, 60), t0);
  TimePoint now = t0;
  bool expired = false;
  for (int i = 0; i < 20 && !expired; ++i) {
    now = fire(r);
    for (const auto& e : events(r)) {
      if (e.kind == Kind::kExpired) expired = true;
      if (e.kind == Kind::kCheck) r.failed(now);  // the primary is down
    }
  }
  ASSERT_TRUE(expired);
  EXPECT_EQ(now, t0 + 60s);  // exactly EXPIRE after the last success
  EXPECT_TRUE(r.expired());
  // Checks go on every RETRY; the next success ends the expiry.
  now = fire(r);
  EXPECT_TRUE(is_check(events(r)));
  r.succeeded(soa(20, 10, 60, 2), now);
  EXPECT_FALSE(r.expired());
  EXPECT_EQ(r.expire_at(), now + 60s);
}

// The SOA values are used unless overridden; REFRESH and RETRY never go below 1 s, and
// EXPIRE is at least REFRESH + RETRY (as BIND), so a copy never expires untried.
TEST(Refresh, TimersComeFromTheSoaOrTheOverrides) {
  RefreshConfig none;
  auto t = effective_timers(soa(7200, 3600, 1209600), none);
  EXPECT_EQ(t.refresh, 7200s);
  EXPECT_EQ(t.retry, 3600s);
  EXPECT_EQ(t.expire, 1209600s);

  RefreshConfig o;
  o.refresh = 5s;
  o.retry = 2s;
  o.expire = 30s;
  t = effective_timers(soa(7200, 3600, 1209600), o);
  EXPECT_EQ(t.refresh, 5s);
  EXPECT_EQ(t.retry, 2s);
  EXPECT_EQ(t.expire, 30s);

  t = effective_timers(soa(0, 0, 0), none);  // a hostile SOA
  EXPECT_EQ(t.refresh, 1s);
  EXPECT_EQ(t.retry, 1s);
  EXPECT_EQ(t.expire, 2s);

  t = effective_timers(soa(100, 50, 10), none);
  EXPECT_EQ(t.expire, 150s);

  t = effective_timers(soa(0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF), none);
  EXPECT_EQ(t.refresh, std::chrono::seconds(0x7FFFFFFF));
}

// RFC 1996 §3.11: a NOTIFY checks at once, against its sender; §4.4: during a check it is
// deferred, and any number of them make one more check afterwards.
TEST(Refresh, NotifyChecksNowAndCoalescesDuringACheck) {
  RefreshConfig c;
  c.primaries = 2;
  Refresh r(c);
  r.start(soa(3600, 600, 86400), std::nullopt, t0);
  events(r);
  r.succeeded(soa(3600, 600, 86400), t0);
  r.notify(1, t0 + 5s);
  EXPECT_TRUE(is_check(events(r), 1));
  r.notify(1, t0 + 6s);
  r.notify(1, t0 + 6s);
  r.notify(0, t0 + 7s);
  EXPECT_TRUE(events(r).empty());  // deferred
  r.succeeded(soa(3600, 600, 86400, 2), t0 + 8s);
  EXPECT_TRUE(is_check(events(r), 0));  // one more, at once
  r.succeeded(soa(3600, 600, 86400, 2), t0 + 9s);
  EXPECT_TRUE(events(r).empty());  // and only one
  EXPECT_EQ(r.next_timeout(), t0 + 9s + 3600s);
}

TEST(Refresh, NoCopyChecksWithBackoff) {
  Refresh r({});
  r.start(std::nullopt, std::nullopt, t0);
  EXPECT_TRUE(is_check(events(r)));
  EXPECT_FALSE(r.has_copy());
  EXPECT_FALSE(r.expire_at().has_value());  // nothing to expire
  TimePoint now = t0;
  std::vector<Duration> waits;
  for (int i = 0; i < 9; ++i) {
    r.failed(now);
    const auto next = *r.next_timeout();
    waits.push_back(next - now);
    now = next;
    r.on_timeout(now);
    EXPECT_TRUE(is_check(events(r)));
  }
  const std::vector<Duration> want{1s, 2s, 4s, 8s, 16s, 32s, 60s, 60s, 60s};
  EXPECT_EQ(waits, want);
  r.succeeded(soa(3600, 600, 86400), now);
  EXPECT_TRUE(r.has_copy());
  EXPECT_EQ(r.expire_at(), now + 86400s);
}

TEST(Refresh, NoCopyUsesTheConfiguredRetry) {
  RefreshConfig c;
  c.retry = 7s;
  Refresh r(c);
  r.start(std::nullopt, std::nullopt, t0);
  events(r);
  r.failed(t0);
  EXPECT_EQ(r.next_timeout(), t0 + 7s);
}

// A restart passes the time of the last success in: downtime counts towards EXPIRE.
TEST(Refresh, ARestartCountsTheDowntime) {
  Refresh r({});
  r.start(soa(3600, 600, 86400), t0 - 86000s, t0);
  auto es = events(r);
  EXPECT_TRUE(is_check(es));
  EXPECT_EQ(r.expire_at(), t0 + 400s);
  r.failed(t0);
  fire(r);  // the expiry comes before the retry
  es = events(r);
  ASSERT_EQ(es.size(), 1u);
  EXPECT_EQ(es[0].kind, Kind::kExpired);

  Refresh late({});
  late.start(soa(3600, 600, 86400), t0 - 90000s, t0);  // already overdue at start
  es = events(late);
  ASSERT_EQ(es.size(), 2u);
  EXPECT_EQ(es[0].kind, Kind::kExpired);
  EXPECT_EQ(es[1].kind, Kind::kCheck);
  EXPECT_TRUE(late.expired());
}

TEST(Refresh, OutcomesWithoutACheckAreIgnored) {
  Refresh r({});
  r.start(soa(3600, 600, 86400), std::nullopt, t0);
  events(r);
  r.succeeded(soa(3600, 600, 86400), t0);
  r.failed(t0 + 1s);  // nothing was running
  r.succeeded(soa(1, 1, 1), t0 + 1s);
  EXPECT_EQ(r.next_timeout(), t0 + 3600s);
  EXPECT_TRUE(events(r).empty());
}

}  // namespace
}  // namespace dnspush::xfr
