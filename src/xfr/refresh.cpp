#include "xfr/refresh.hpp"

#include <algorithm>

namespace dnspush::xfr {

using std::chrono::seconds;

namespace {

constexpr seconds kMinInterval{1};
constexpr seconds kMaxValue{0x7FFFFFFF};  // RFC 1982-style 31-bit bound, as for TTLs

seconds clamp(seconds v, seconds lo) {
  return std::clamp(v, lo, kMaxValue);
}

}  // namespace

RefreshTimers effective_timers(const zone::SoaFields& soa, const RefreshConfig& cfg) {
  RefreshTimers t;
  t.refresh = clamp(cfg.refresh.value_or(seconds(soa.refresh)), kMinInterval);
  t.retry = clamp(cfg.retry.value_or(seconds(soa.retry)), kMinInterval);
  t.expire = clamp(cfg.expire.value_or(seconds(soa.expire)), seconds(0));
  // As BIND: a copy must not expire before a refresh and a retry could even be tried.
  t.expire = std::max(t.expire, t.refresh + t.retry);
  return t;
}

Refresh::Refresh(RefreshConfig cfg) : cfg_(cfg) {
  if (cfg_.primaries == 0) cfg_.primaries = 1;
}

void Refresh::start(std::optional<zone::SoaFields> soa, std::optional<TimePoint> refreshed_at,
                    TimePoint now) {
  events_.clear();
  checking_ = false;
  again_ = false;
  expired_ = false;
  expire_at_.reset();
  timers_.reset();
  if (soa) {
    timers_ = effective_timers(*soa, cfg_);
    expire_at_ = refreshed_at.value_or(now) + timers_->expire;
  }
  // RFC 1996 §4.1 spirit: a server that (re)starts checks its zones at once; a restarted
  // secondary catches up by IXFR from its journal's serial.
  check_at_ = now;
  on_timeout(now);
}

void Refresh::notify(std::size_t primary, TimePoint now) {
  primary = primary < cfg_.primaries ? primary : 0;
  if (checking_) {
    // RFC 1996 §4.4: defer until the running transaction completes; many coalesce.
    again_ = true;
    again_primary_ = primary;
    return;
  }
  // RFC 1996 §3.11: as if REFRESH had run out, against the primary that notified.
  next_primary_ = primary;
  check_at_ = now;
  on_timeout(now);
}

void Refresh::begin(std::size_t primary) {
  checking_ = true;
  check_at_.reset();
  current_ = primary;
  tried_ = 1;
  events_.push_back(RefreshEvent{RefreshEvent::Kind::kCheck, primary});
}

void Refresh::round_over(TimePoint next, TimePoint now) {
  checking_ = false;
  next_primary_ = 0;
  check_at_ = next;
  if (again_) {
    // The deferred NOTIFY (RFC 1996 §4.4): its check runs now.
    again_ = false;
    next_primary_ = again_primary_;
    check_at_ = now;
  }
}

void Refresh::succeeded(const zone::SoaFields& soa, TimePoint now) {
  if (!checking_) return;
  timers_ = effective_timers(soa, cfg_);
  expire_at_ = now + timers_->expire;
  expired_ = false;
  backoff_ = kFirstBackoff;
  round_over(now + timers_->refresh, now);
  on_timeout(now);
}

void Refresh::failed(TimePoint now) {
  if (!checking_) return;
  if (tried_ < cfg_.primaries) {
    // RFC 1034 §4.3.5: every known primary in turn before the round counts as failed.
    current_ = (current_ + 1) % cfg_.primaries;
    ++tried_;
    events_.push_back(RefreshEvent{RefreshEvent::Kind::kCheck, current_});
    return;
  }
  seconds wait;
  if (timers_) {
    wait = timers_->retry;
  } else if (cfg_.retry) {
    wait = clamp(*cfg_.retry, kMinInterval);
  } else {
    wait = backoff_;
    backoff_ = std::min(backoff_ * 2, kMaxBackoff);
  }
  round_over(now + wait, now);
  on_timeout(now);
}

std::optional<RefreshEvent> Refresh::poll_event() {
  if (events_.empty()) return std::nullopt;
  RefreshEvent e = events_.front();
  events_.pop_front();
  return e;
}

std::optional<TimePoint> Refresh::next_timeout() const {
  std::optional<TimePoint> t;
  if (!checking_ && check_at_) t = check_at_;
  if (!expired_ && expire_at_ && (!t || *expire_at_ < *t)) t = expire_at_;
  return t;
}

void Refresh::on_timeout(TimePoint now) {
  if (!expired_ && expire_at_ && now >= *expire_at_) {
    // RFC 1034 §4.3.5: "it must assume that its copy of the zone is obsolete".
    expired_ = true;
    events_.push_back(RefreshEvent{RefreshEvent::Kind::kExpired, 0});
  }
  if (!checking_ && check_at_ && now >= *check_at_) begin(next_primary_);
}

}  // namespace dnspush::xfr
