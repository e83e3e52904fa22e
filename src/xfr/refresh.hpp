// When a secondary zone checks its primaries, and when its copy expires: the SOA REFRESH,
// RETRY and EXPIRE timers of RFC 1034 §4.3.5, with NOTIFY (RFC 1996) as an early refresh.
// Sans-IO: one Refresh per secondary zone, time passed in; what a "check" is (an IXFR to
// a primary, TransferIn) is the owner's business.
//
// The owner: start() with the copy loaded at start-up (or none); run a check against the
// primary each RefreshEvent::kCheck names and report succeeded() (the primary answered,
// with or without a change: the copy is current) or failed(); stop serving the zone on
// kExpired until a later check succeeds; call notify() for an accepted NOTIFY; arm a
// timer at next_timeout() and call on_timeout(now).
//
// Rules:
//   - a check runs at start (a restart catches up at once, from the journal's serial),
//     REFRESH after each success, RETRY after a round in which every primary failed
//     (§4.3.5); a round tries the primaries in turn, starting with the first, or with the
//     sender of the NOTIFY that caused it (RFC 1996 §3.11 note);
//   - one check at a time; a NOTIFY during a check makes one more check right after it
//     (RFC 1996 §4.4: deferred, and any number of them coalesce into one);
//   - the copy expires EXPIRE after the last success (a restart passes the time of that
//     success in, so downtime counts); an expired copy is checked every RETRY and is
//     current again after the next success;
//   - with no copy at all (no SOA to read timers from) checks back off from 1 s, doubling,
//     up to 60 s, or run every configured `retry`.
// Timer values: the SOA's, or the configured overrides; REFRESH and RETRY are at least
// 1 s (a primary cannot make us poll in a loop), all three at most 2^31-1 s, and EXPIRE is
// raised to REFRESH + RETRY when it is smaller (as BIND does), so a copy cannot expire
// before a refresh was even tried.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>

#include "base/time.hpp"
#include "zone/changeset.hpp"

namespace dnspush::xfr {

struct RefreshConfig {
  std::size_t primaries = 1;
  // Configured overrides of the SOA's values (nullopt: the SOA's).
  std::optional<std::chrono::seconds> refresh, retry, expire;
};

// The values in force for a copy.
struct RefreshTimers {
  std::chrono::seconds refresh{0}, retry{0}, expire{0};
};
RefreshTimers effective_timers(const zone::SoaFields& soa, const RefreshConfig& cfg);

struct RefreshEvent {
  enum class Kind {
    kCheck,    // check now against `primary`
    kExpired,  // the copy is past EXPIRE: stop serving it (SERVFAIL)
  };
  Kind kind = Kind::kCheck;
  std::size_t primary = 0;
};

class Refresh {
 public:
  explicit Refresh(RefreshConfig cfg);

  // `soa` is the copy's SOA (nullopt: no copy yet); `refreshed_at` when it was last known
  // current (nullopt: now). A check starts at once; an overdue copy expires at once.
  void start(std::optional<zone::SoaFields> soa, std::optional<TimePoint> refreshed_at,
             TimePoint now);
  // An accepted NOTIFY from `primary` (RFC 1996 §4.7), or an operator's request.
  void notify(std::size_t primary, TimePoint now);
  // The check asked for by the last kCheck: the primary answered and the copy now has
  // `soa` (unchanged or newer).
  void succeeded(const zone::SoaFields& soa, TimePoint now);
  // It could not be completed (no answer, a refused or rejected transfer).
  void failed(TimePoint now);

  std::optional<RefreshEvent> poll_event();
  std::optional<TimePoint> next_timeout() const;
  void on_timeout(TimePoint now);

  bool checking() const { return checking_; }
  bool expired() const { return expired_; }
  bool has_copy() const { return timers_.has_value(); }
  std::optional<RefreshTimers> timers() const { return timers_; }
  std::optional<TimePoint> expire_at() const { return expire_at_; }
  std::optional<TimePoint> check_at() const { return check_at_; }

  static constexpr std::chrono::seconds kFirstBackoff{1};
  static constexpr std::chrono::seconds kMaxBackoff{60};

 private:
  void begin(std::size_t primary);
  void round_over(TimePoint next, TimePoint now);

  RefreshConfig cfg_;
  std::optional<RefreshTimers> timers_;  // set once there is a copy
  std::optional<TimePoint> check_at_;    // the next check (none while one runs)
  std::optional<TimePoint> expire_at_;
  bool expired_ = false;
  bool checking_ = false;
  std::size_t current_ = 0;  // the primary being tried
  std::size_t tried_ = 0;    // primaries tried in this round
  bool again_ = false;       // a NOTIFY came during the check
  std::size_t again_primary_ = 0;
  std::size_t next_primary_ = 0;  // where the next round starts
  std::chrono::seconds backoff_ = kFirstBackoff;
  std::deque<RefreshEvent> events_;  // at most two: a check and an expiry
};

}  // namespace dnspush::xfr
