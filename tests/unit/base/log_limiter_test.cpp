#include "base/log_limiter.hpp"

#include <gtest/gtest.h>

namespace dnspush {
namespace {

using std::chrono::milliseconds;

TEST(LogLimiter, LetsAFewLinesThroughPerSecondAndCountsTheRest) {
  LogLimiter lim(3);
  const TimePoint t0{std::chrono::hours(1)};
  std::uint64_t suppressed = 99;
  int logged = 0;
  for (int i = 0; i < 20000; ++i) {
    if (lim.allow(t0 + milliseconds(i / 100), suppressed)) ++logged;  // 20,000 in 0.2 s
  }
  EXPECT_EQ(logged, 3);
  EXPECT_EQ(suppressed, 0u);  // the first lines had nothing to report
  EXPECT_EQ(lim.total(), 20000u);

  // A second later the next line passes and reports what was dropped.
  ASSERT_TRUE(lim.allow(t0 + milliseconds(1200), suppressed));
  EXPECT_EQ(suppressed, 19997u);
  EXPECT_EQ(suppressed_note(suppressed), " (19997 similar suppressed)");
  ASSERT_TRUE(lim.allow(t0 + milliseconds(1201), suppressed));
  EXPECT_EQ(suppressed, 0u);
  EXPECT_EQ(suppressed_note(0), "");
}

TEST(LogLimiter, ReasonsAreIndependent) {
  LogLimiter a(1), b(1);
  const TimePoint t0{std::chrono::hours(1)};
  std::uint64_t s = 0;
  EXPECT_TRUE(a.allow(t0, s));
  EXPECT_FALSE(a.allow(t0, s));
  EXPECT_TRUE(b.allow(t0, s));
}

}  // namespace
}  // namespace dnspush
