// SRV target order (RFC 2782), reconnect back-off with Retry Delay (RFC 8490 §6.6.1) and
// the polling interval of RFC 8765 §6.1's fallback.
#include <gtest/gtest.h>

#include <map>

#include "client/backoff.hpp"
#include "client/srv.hpp"
#include "client_test_util.hpp"

namespace dnspush::client {
namespace {

using namespace test;

SrvRecord srv(std::uint16_t prio, std::uint16_t weight, std::string_view target) {
  return SrvRecord{prio, weight, 853, name(target), 300};
}

std::vector<std::string> targets(const std::vector<SrvRecord>& v) {
  std::vector<std::string> out;
  for (const auto& s : v) out.push_back(s.target.to_text());
  return out;
}

TEST(Srv, ParsesTheRecord) {
  auto s = SrvRecord::from_record(
      rr("_dns-push-tls._tcp.example.test.", 300, "SRV", "1 2 8530 push.example.test."));
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->priority, 1);
  EXPECT_EQ(s->weight, 2);
  EXPECT_EQ(s->port, 8530);
  EXPECT_EQ(s->target.to_text(), "push.example.test.");
  EXPECT_FALSE(SrvRecord::from_record(rr("x.", 1, "A", "192.0.2.1")).has_value());
}

TEST(Srv, LowestPriorityFirst) {
  const auto r = order_srv({srv(20, 0, "c."), srv(10, 0, "a."), srv(30, 0, "d."), srv(10, 0, "b.")},
                           [](std::uint32_t) { return 0u; });
  // Weight 0 all round: a random 0 picks the first of each group in turn.
  EXPECT_EQ(targets(r), (std::vector<std::string>{"a.", "b.", "c.", "d."}));
}

TEST(Srv, WeightedRandomWithinAPriority) {
  // RFC 2782: the running sum's first entry >= the random number is chosen.
  auto pick_max = [](std::uint32_t bound) { return bound; };
  auto pick_zero = [](std::uint32_t) { return 0u; };
  const std::vector<SrvRecord> in = {srv(0, 10, "light."), srv(0, 90, "heavy."),
                                     srv(0, 0, "zero.")};
  // Weight-0 first in the list: a 0 picks it.
  EXPECT_EQ(targets(order_srv(in, pick_zero)).front(), "zero.");
  EXPECT_EQ(targets(order_srv(in, pick_max)).front(), "heavy.");

  // Over many draws the 90-weight target comes first about 9 times in 10.
  std::uint32_t state = 12345;
  auto lcg = [&](std::uint32_t bound) {
    state = state * 1103515245u + 12345u;
    return (state >> 8) % (bound + 1);
  };
  std::map<std::string, int> first;
  const std::vector<SrvRecord> two = {srv(0, 10, "light."), srv(0, 90, "heavy.")};
  for (int i = 0; i < 2000; ++i) ++first[targets(order_srv(two, lcg)).front()];
  EXPECT_GT(first["heavy."], 1650);
  EXPECT_LT(first["heavy."], 1950);
}

TEST(Srv, DotTargetMeansNotOffered) {
  EXPECT_TRUE(order_srv({srv(0, 0, ".")}, [](std::uint32_t) { return 0u; }).empty());
}

TEST(Backoff, DoublesUpToTheMaximumAndResetsOnSuccess) {
  BackoffConfig c;
  c.initial = 1s;
  c.max = 10s;
  Backoff b(c, [] { return 0.0; });  // no jitter
  std::vector<Duration> delays;
  for (int i = 0; i < 6; ++i) delays.push_back(b.failed(t0) - t0);
  EXPECT_EQ(delays, (std::vector<Duration>{1s, 2s, 4s, 8s, 10s, 10s}));
  b.succeeded();
  EXPECT_EQ(b.failed(t0) - t0, Duration(1s));
}

TEST(Backoff, JitterShortensWithinItsFraction) {
  BackoffConfig c;
  c.initial = 4s;
  c.jitter = 0.5;
  Backoff b(c, [] { return 0.999; });
  const auto d = b.failed(t0) - t0;
  EXPECT_GE(d, Duration(2s));
  EXPECT_LT(d, Duration(2100ms));
}

TEST(Backoff, NeverBeforeTheRetryDelay) {
  Backoff b(BackoffConfig{}, [] { return 0.0; });
  b.retry_delay(t0, 30s);  // RFC 8490 §6.6.1
  EXPECT_EQ(b.failed(t0 + 1s), t0 + 30s);
  EXPECT_EQ(b.failed(t0 + 29s), t0 + 31s);  // backoff 2 s, past the delay now
  b.retry_delay(t0, 5s);                    // a shorter one does not shrink it
  EXPECT_EQ(b.not_before(), t0 + 30s);
}

TEST(PollInterval, RespectsTheTtlAndTheRfcCap) {
  // RFC 8765 §6.1: at least min(900 s, TTL + 2 s).
  EXPECT_EQ(poll_interval(10, 0s), Duration(12s));
  EXPECT_EQ(poll_interval(3600, 0s), Duration(900s));
  EXPECT_EQ(poll_interval(10, 60s), Duration(60s));   // a longer configured interval wins
  EXPECT_EQ(poll_interval(300, 5s), Duration(302s));  // a shorter one cannot beat the TTL
}

}  // namespace
}  // namespace dnspush::client
