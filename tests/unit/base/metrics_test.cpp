#include "base/metrics.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace dnspush {
namespace {

TEST(Metrics, CountsAreSummedOverThreads) {
  Metrics m;
  auto work = [&m] {
    for (int i = 0; i < 1000; ++i) m.add(Counter::kCommits);
  };
  std::thread a(work), b(work);
  a.join();
  b.join();
  m.add(Counter::kCommits, 0, 5);
  EXPECT_EQ(m.totals().value(Counter::kCommits), 2005u);
}

TEST(Metrics, LabelsAreSeparateSlots) {
  Metrics m;
  const std::size_t udp_nx = 0 * 16 + 3, tls_ok = 2 * 16 + 0;
  m.add(Counter::kQueries, udp_nx);
  m.add(Counter::kQueries, tls_ok, 2);
  m.add(Counter::kUpdates, 5);
  const auto t = m.totals();
  EXPECT_EQ(t.value(Counter::kQueries, udp_nx), 1u);
  EXPECT_EQ(t.value(Counter::kQueries, tls_ok), 2u);
  EXPECT_EQ(t.value(Counter::kQueries, 0), 0u);
  EXPECT_EQ(t.value(Counter::kUpdates, 5), 1u);
  EXPECT_EQ(t.value(Counter::kCommits), 0u);  // the next counter is untouched
}

TEST(Metrics, OutOfRangeLabelStaysInItsCounter) {
  Metrics m;
  m.add(Counter::kTlsHandshakes, 99);  // two labels: counted in the last
  const auto t = m.totals();
  EXPECT_EQ(t.value(Counter::kTlsHandshakes, 1), 1u);
  EXPECT_EQ(t.value(Counter::kDsoSessionsOpened), 0u);
}

TEST(Metrics, UpDownGaugeGoesNegativeAcrossThreads) {
  Metrics m;
  m.add(Counter::kDsoSessions, 0, 3);
  // Another thread closes more than it opened: its shard is negative, the sum is right.
  std::thread([&m] { m.sub(Counter::kDsoSessions, 0, 2); }).join();
  EXPECT_EQ(m.totals().gauge(Counter::kDsoSessions), 1);
  std::thread([&m] { m.sub(Counter::kDsoSessions, 0, 4); }).join();
  EXPECT_EQ(m.totals().gauge(Counter::kDsoSessions), -3);
}

TEST(Metrics, HistogramBucketsBySeconds) {
  Metrics m;
  m.observe(Histogram::kJournalFsync, std::chrono::microseconds(50));  // <= 0.0001
  m.observe(Histogram::kJournalFsync, std::chrono::milliseconds(3));   // <= 0.005
  m.observe(Histogram::kJournalFsync, std::chrono::seconds(10));       // +Inf
  const auto t = m.totals();
  const auto& b = t.buckets[static_cast<std::size_t>(Histogram::kJournalFsync)];
  EXPECT_EQ(b[0], 1u);
  EXPECT_EQ(b[5], 1u);
  EXPECT_EQ(b.back(), 1u);
  EXPECT_EQ(t.count(Histogram::kJournalFsync), 3u);
  EXPECT_EQ(t.sum_ns[0], 10'003'050'000u);
  EXPECT_EQ(t.count(Histogram::kUpdateToPush), 0u);
}

TEST(Metrics, InstancesDoNotShareCounts) {
  Metrics a;
  {
    Metrics b;
    b.add(Counter::kCommits);
  }
  Metrics c;  // may reuse b's address: its thread cache must not
  a.add(Counter::kCommits);
  c.add(Counter::kCommits, 0, 7);
  EXPECT_EQ(a.totals().value(Counter::kCommits), 1u);
  EXPECT_EQ(c.totals().value(Counter::kCommits), 7u);
}

}  // namespace
}  // namespace dnspush
