// When to reconnect after a failure: exponential back-off with jitter, never before a
// server's Retry Delay has expired (RFC 8490 §6.6.1: "the client MUST NOT attempt to
// reconnect ... until the retry delay has elapsed"), and the polling interval of RFC 8765
// §6.1's fallback. Pure: the random source and `now` are passed in.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

#include "base/time.hpp"

namespace dnspush::client {

struct BackoffConfig {
  Duration initial = std::chrono::seconds(1);
  Duration max = std::chrono::minutes(5);
  // Each delay is drawn from [(1 - jitter) * d, d], so clients that lost the same server
  // at the same moment do not come back in step.
  double jitter = 0.5;
};

class Backoff {
 public:
  // Returns a number uniformly in [0, 1).
  using Random = std::function<double()>;

  Backoff(BackoffConfig cfg, Random random) : cfg_(cfg), random_(std::move(random)) {}

  // A connection attempt failed (or an established session was lost) at `now`: the
  // time of the next attempt. Doubles up to `max` with each consecutive failure.
  TimePoint failed(TimePoint now);
  // The server said not before `now + delay` (Retry Delay): the next attempt is then or
  // later, and the back-off does not shrink it.
  void retry_delay(TimePoint now, Duration delay);
  // A session worked: the next failure starts from `initial` again.
  void succeeded() { failures_ = 0; }
  unsigned failures() const { return failures_; }
  std::optional<TimePoint> not_before() const { return not_before_; }

 private:
  BackoffConfig cfg_;
  Random random_;
  unsigned failures_ = 0;
  std::optional<TimePoint> not_before_;
};

// RFC 8765 §6.1 fallback polling: the next query for a name no sooner than
// min(900 s, TTL + 2 s) after the last answer, and no sooner than the configured
// interval. `ttl` is the answer's (the smallest record TTL, or the negative-caching
// TTL); an interval above 900 s is taken as given.
Duration poll_interval(std::uint32_t ttl, Duration configured);

}  // namespace dnspush::client
