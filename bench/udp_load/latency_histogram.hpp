// Latencies in nanoseconds, counted in log-linear buckets: exact below 256 ns, then 128
// buckets per power of two, so a percentile read back is within 1% of the true value.
// A fixed array of counters: recording costs no allocation and a few instructions, which
// a load generator meant to be cheaper per query than dnsperf needs (a sample per query
// kept for sorting would grow by millions of entries a second).
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace dnspush::bench {

class LatencyHistogram {
 public:
  void add(std::int64_t ns) {
    const std::uint64_t v = ns > 0 ? static_cast<std::uint64_t>(ns) : 0;
    ++buckets_[index(v)];
    ++count_;
    sum_ += static_cast<double>(v);
    sum_squares_ += static_cast<double>(v) * static_cast<double>(v);
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
  }

  std::uint64_t count() const { return count_; }
  std::uint64_t min() const { return count_ != 0 ? min_ : 0; }
  std::uint64_t max() const { return max_; }
  double mean() const { return count_ != 0 ? sum_ / static_cast<double>(count_) : 0; }
  double stddev() const {
    if (count_ < 2) return 0;
    const double n = static_cast<double>(count_);
    const double var = (sum_squares_ - sum_ * sum_ / n) / (n - 1);
    return var > 0 ? std::sqrt(var) : 0;
  }

  // Nearest rank (p in [0, 100]): the middle of the bucket holding that rank, within the
  // smallest and largest value seen.
  std::uint64_t percentile(double p) const {
    if (count_ == 0) return 0;
    const double want = std::ceil(p / 100.0 * static_cast<double>(count_));
    const std::uint64_t rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(want));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < kBuckets; ++i) {
      seen += buckets_[i];
      if (seen >= rank) {
        const std::uint64_t lo = lower_bound(i);
        const std::uint64_t hi = i + 1 < kBuckets ? lower_bound(i + 1) - 1 : lo;
        return std::clamp(lo + (hi - lo) / 2, min(), max_);
      }
    }
    return max_;
  }

 private:
  static constexpr int kSubBits = 7;  // 128 buckets per power of two
  static constexpr std::size_t kBuckets = (64 - kSubBits + 1) << kSubBits;  // up to 2^64

  // Values of bit width w <= 8 have a bucket each; a wider value keeps its top 8 bits,
  // shifted right by s = w - 8, and lands in bucket 128 * s + (v >> s): continuous with
  // the exact range, 128 buckets for each s.
  static std::size_t index(std::uint64_t v) {
    const int w = std::bit_width(v);
    if (w <= kSubBits + 1) return static_cast<std::size_t>(v);
    const int s = w - kSubBits - 1;
    return (static_cast<std::size_t>(s) << kSubBits) + static_cast<std::size_t>(v >> s);
  }
  static std::uint64_t lower_bound(std::size_t i) {
    if (i < (std::size_t{2} << kSubBits)) return i;
    const std::size_t s = (i >> kSubBits) - 1;
    return static_cast<std::uint64_t>(i - (s << kSubBits)) << s;
  }

  std::array<std::uint64_t, kBuckets> buckets_{};
  std::uint64_t count_ = 0;
  double sum_ = 0;
  double sum_squares_ = 0;
  std::uint64_t min_ = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t max_ = 0;
};

}  // namespace dnspush::bench
