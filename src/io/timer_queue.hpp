// One timer structure per worker (DESIGN.md "no per-session timers in a heap that must be
// scanned"): a min-heap of (deadline, connection id) behind a single asio::steady_timer,
// instead of one or two Asio timers per connection. Internal to io/.
//
// Lazy by design, because deadlines mostly move later (every message pushes an idle
// timer back): schedule() only pushes when the new deadline is earlier than the one the
// connection already has in the heap. When an entry fires, the owner is told
// (`fire(id, now)`) even if its real deadline moved later; the sans-IO cores' on_timeout
// acts only on deadlines that passed, and the owner schedules again from next_timeout().
// Entries of closed connections are dropped when they come up (the fire callback finds
// no connection). The heap holds at most one live entry per connection plus stale ones,
// which leave as time passes.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <queue>
#include <vector>

#include "base/time.hpp"
#include "io/asio.hpp"

namespace dnspush::io::detail {

class TimerQueue {
 public:
  using Id = std::uint64_t;
  // Called on the worker's thread for each entry that came due.
  using Fire = std::function<void(Id, TimePoint now)>;

  TimerQueue(asio::io_context& ctx, Fire fire);

  // Makes sure `id` is called back at `at` or earlier. `current` is the deadline the
  // caller already has queued (its bookkeeping): returns the deadline now queued for it.
  TimePoint schedule(Id id, TimePoint at, std::optional<TimePoint> current);
  std::size_t size() const { return heap_.size(); }
  void cancel_all();

 private:
  struct Entry {
    TimePoint at;
    Id id;
    bool operator>(const Entry& o) const { return at > o.at; }
  };
  void arm();
  void on_timer();

  asio::steady_timer timer_;
  Fire fire_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap_;
  std::optional<TimePoint> armed_at_;
  bool stopped_ = false;
};

}  // namespace dnspush::io::detail
