#include "client/backoff.hpp"

#include <algorithm>

namespace dnspush::client {

TimePoint Backoff::failed(TimePoint now) {
  Duration d = cfg_.initial;
  for (unsigned i = 0; i < failures_ && d < cfg_.max; ++i) d *= 2;
  d = std::min(d, cfg_.max);
  ++failures_;
  const double j = std::clamp(cfg_.jitter, 0.0, 1.0) * std::clamp(random_(), 0.0, 1.0);
  d -= std::chrono::duration_cast<Duration>(d * j);
  TimePoint at = now + d;
  if (not_before_ && *not_before_ > at) at = *not_before_;
  return at;
}

void Backoff::retry_delay(TimePoint now, Duration delay) {
  const TimePoint until = now + delay;
  if (!not_before_ || until > *not_before_) not_before_ = until;
}

Duration poll_interval(std::uint32_t ttl, Duration configured) {
  // RFC 8765 §6.1: "at least the minimum of: 900 seconds (15 minutes), or two seconds more
  // than the TTL of the answer RRset".
  const Duration rfc =
      std::min<Duration>(std::chrono::seconds(900), std::chrono::seconds(std::uint64_t{ttl} + 2));
  return std::max(rfc, configured);
}

}  // namespace dnspush::client
