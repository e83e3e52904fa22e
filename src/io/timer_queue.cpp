#include "io/timer_queue.hpp"

namespace dnspush::io::detail {

TimerQueue::TimerQueue(asio::io_context& ctx, Fire fire) : timer_(ctx), fire_(std::move(fire)) {}

TimePoint TimerQueue::schedule(Id id, TimePoint at, std::optional<TimePoint> current) {
  if (current && *current <= at) return *current;  // an earlier entry will fire first
  heap_.push(Entry{at, id});
  if (!armed_at_ || at < *armed_at_) arm();
  return at;
}

void TimerQueue::arm() {
  if (stopped_ || heap_.empty()) return;
  const TimePoint at = heap_.top().at;
  if (armed_at_ && *armed_at_ == at) return;
  armed_at_ = at;
  timer_.expires_at(at);
  timer_.async_wait([this](std::error_code ec) {
    if (ec) return;  // re-armed (cancelled) or stopped
    armed_at_.reset();
    on_timer();
  });
}

void TimerQueue::on_timer() {
  const TimePoint now = Clock::now();
  // Bounded by the entries due now; callbacks may schedule more (later ones wait).
  std::size_t due = heap_.size();
  while (!stopped_ && due-- > 0 && !heap_.empty() && heap_.top().at <= now) {
    const Entry e = heap_.top();
    heap_.pop();
    fire_(e.id, now);
  }
  arm();
}

void TimerQueue::cancel_all() {
  stopped_ = true;
  timer_.cancel();
  heap_ = {};
}

}  // namespace dnspush::io::detail
