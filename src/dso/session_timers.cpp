// dso::Session's timers: which deadline comes next, and what happens when it passes.
// Every timer is a deadline computed from the state, so there is nothing to cancel.
#include <algorithm>

#include <fmt/format.h>

#include "dso/session.hpp"

namespace dnspush::dso {

namespace {

// RFC 8490 §5.1.1: a client waits 30 s for the response to its first DSO request.
constexpr Duration kEstablishmentTimeout = std::chrono::seconds(30);
// §6.4.1: a server aborts an inactive session after five seconds or twice the inactivity
// timeout, whichever is greater.
constexpr Duration kDelinquencyFloor = std::chrono::seconds(5);

// t + d, where kInfinite never comes and a finite sum saturates.
std::optional<TimePoint> after(TimePoint t, Duration d) {
  if (d == kInfinite) return std::nullopt;
  if (d <= Duration::zero()) return t;
  if (t > TimePoint::max() - d) return TimePoint::max();
  return t + d;
}

Duration twice(Duration d) {
  return d >= kInfinite / 2 ? kInfinite : 2 * d;
}

std::string ms(Duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + " ms";
}

}  // namespace

std::optional<TimePoint> Session::next_timeout() const {
  auto d = next_deadline();
  if (!d) return std::nullopt;
  return d->at;
}

void Session::on_timeout(TimePoint now) {
  // Each firing closes the session or moves its own deadline past `now`; the bound only
  // guards against a mistake turning this into a spin.
  for (int i = 0; i < 8; ++i) {
    auto d = next_deadline();
    if (!d || d->at > now) return;
    fire(d->timer, now);
  }
}

std::optional<Session::Deadline> Session::next_deadline() const {
  if (state_ != State::kOpen) return std::nullopt;
  std::optional<Deadline> best;
  const auto consider = [&](std::optional<TimePoint> at, Timer t) {
    if (at && (!best || *at < best->at)) best = Deadline{*at, t};
  };
  // A message that has started must complete (RFC 7766 §6.2.3's slow-read concern).
  if (partial_since_) consider(after(*partial_since_, cfg_.message_timeout), Timer::kMessage);
  if (shutdown_) {
    consider(shutdown_deadline_, Timer::kShutdown);
    return best;
  }
  const bool is_active = active();
  if (!established_) {
    // RFC 8490 §5: before the DSO session, RFC 7766 idle handling is in effect.
    if (cfg_.role == Role::kClient) {
      for (const Pending& p : pending_)
        consider(after(p.sent, kEstablishmentTimeout), Timer::kEstablish);
    }
    // A DSO request awaiting its response is not idle either (the 30 s rule covers it).
    if (!is_active && pending_.empty())
      consider(after(last_activity_, cfg_.idle_timeout), Timer::kIdle);
    return best;
  }
  const Duration inactivity = timeouts_.inactivity;
  if (cfg_.role == Role::kServer) {
    if (!is_active) {
      // §6.4.1: the client should have closed at the inactivity timeout; it is delinquent
      // at max(5 s, 2 x timeout). §7.1.1: after the server changed the timeout, the client
      // gets max(5 s, timeout / 4) from the change to notice.
      auto at = after(last_activity_, std::max(kDelinquencyFloor, twice(inactivity)));
      if (at && timeouts_changed_) {
        if (auto grace = after(*timeouts_changed_, std::max(kDelinquencyFloor, inactivity / 4)))
          at = std::max(*at, *grace);
      }
      consider(at, Timer::kInactivity);
    }
    // §6.5.1: no message either way for twice the keepalive interval.
    consider(after(last_message_, twice(timeouts_.keepalive)), Timer::kKeepalive);
  } else {
    // §6.4.1: the client closes once the inactivity timeout passes without an operation.
    if (!is_active) consider(after(last_activity_, inactivity), Timer::kInactivity);
    // §6.5.1: the client keeps the session alive when the keepalive interval passes.
    consider(after(last_message_, timeouts_.keepalive), Timer::kKeepalive);
  }
  return best;
}

void Session::fire(Timer t, TimePoint now) {
  switch (t) {
    case Timer::kMessage:
      abort(fmt::format("a message did not complete within {}", ms(cfg_.message_timeout)), now,
            CloseReason::kMessageTimeout);
      return;
    case Timer::kShutdown:
      abort("the client did not close within 5 s of Retry Delay (RFC 8490 §6.6.1)", now,
            CloseReason::kRetryDelayIgnored);
      return;
    case Timer::kEstablish:
      abort("no response to a DSO request within 30 s (RFC 8490 §5.1.1)", now,
            CloseReason::kEstablishmentTimeout);
      return;
    case Timer::kIdle:
      finish(State::kClosed, CloseReason::kIdleTimeout,
             fmt::format("idle for {} (RFC 7766 §6.2.3)", ms(cfg_.idle_timeout)));
      return;
    case Timer::kInactivity:
      if (cfg_.role == Role::kServer) {
        abort(fmt::format("the client kept an inactive session open past its inactivity "
                          "timeout of {} (RFC 8490 §6.4.1)",
                          ms(timeouts_.inactivity)),
              now, CloseReason::kInactivityDelinquent);
      } else {
        finish(State::kClosed, CloseReason::kInactive,
               fmt::format("inactive for {} (RFC 8490 §6.4.1)", ms(timeouts_.inactivity)));
      }
      return;
    case Timer::kKeepalive:
      if (cfg_.role == Role::kServer) {
        abort(fmt::format("no message for twice the keepalive interval of {} (RFC 8490 §6.5.1)",
                          ms(timeouts_.keepalive)),
              now, CloseReason::kKeepaliveDelinquent);
        return;
      }
      // The previous Keepalive went a whole interval without a response: the server or
      // the path is gone.
      if (keepalive_id_) {
        abort(fmt::format("no response to a Keepalive within {}", ms(timeouts_.keepalive)), now,
              CloseReason::kPeerSilent);
        return;
      }
      if (!send_keepalive(now) && state_ == State::kOpen)
        abort("could not send a Keepalive", now, CloseReason::kPeerSilent);
      return;
  }
}

}  // namespace dnspush::dso
