#include "io/worker.hpp"

#include <malloc.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "io/stream_connection.hpp"

namespace dnspush::io::detail {

namespace {
constexpr std::size_t kReadBufferSize = 64 * 1024;
constexpr std::size_t kTrimAfter = 1024;  // closed connections between two malloc_trim
}  // namespace

Worker::Worker(unsigned index, StreamOptions opts)
    : opts(opts),
      index_(index),
      timers_(ctx,
              [this](TimerQueue::Id id, TimePoint now) {
                if (auto* c = find(id)) c->on_timer(now);
              }),
      read_buf_(kReadBufferSize),
      // Ids carry the worker in their top bits: unique per server, never reused.
      next_id_((static_cast<ConnectionId>(index) << 48) + 1) {}

Worker::~Worker() {
  timers_.cancel_all();
  // Connections go before the context that owns their sockets; app last-but-one.
  conns_.clear();
  lru_.clear();
}

void Worker::adopt(asio::ip::tcp::socket s, bool tls, auth::ClientAddress peer,
                   ConnectionLimiter::Ticket ticket) {
  const ConnectionId id = next_id_++;
  auto c =
      std::make_shared<StreamConnection>(*this, id, std::move(s), tls, peer, std::move(ticket));
  Entry& e = conns_[id];
  e.conn = c;
  e.lru = lru_.insert(lru_.end(), id);
  e.in_lru = true;
  c->start();
}

StreamConnection* Worker::find(ConnectionId id) {
  auto it = conns_.find(id);
  return it == conns_.end() ? nullptr : it->second.conn.get();
}

void Worker::forget(ConnectionId id) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  if (it->second.in_lru) lru_.erase(it->second.lru);
  conns_.erase(it);
  // After a burst (thousands of connections gone), glibc keeps the freed heap in its
  // arenas; hand it back to the system so RSS follows the load down (measured: 84 MB
  // kept after 15,000 idle connections closed). Cheap, and rare: once per halving.
  peak_ = std::max(peak_, conns_.size() + 1);
  if (++closed_since_trim_ >= kTrimAfter && conns_.size() <= peak_ / 2) {
    closed_since_trim_ = 0;
    peak_ = conns_.size();
    asio::post(ctx, [] { ::malloc_trim(0); });
  }
}

void Worker::touch(StreamConnection& c, bool eligible) {
  auto it = conns_.find(c.id());
  if (it == conns_.end()) return;
  Entry& e = it->second;
  if (e.in_lru && eligible) {
    lru_.splice(lru_.end(), lru_, e.lru);  // to the back, no allocation
    return;
  }
  if (e.in_lru) lru_.erase(e.lru);
  e.in_lru = eligible;
  if (eligible) e.lru = lru_.insert(lru_.end(), c.id());
}

bool Worker::evict_one() {
  // The front is the connection that made no progress for the longest: idle, or stuck in
  // the middle of a message it trickles (RFC 7766 §6.2.3 lets a server under pressure
  // close idle connections). Sessions with subscriptions are not in the list.
  while (!lru_.empty()) {
    const ConnectionId id = lru_.front();
    auto it = conns_.find(id);
    if (it == conns_.end()) {
      lru_.pop_front();
      continue;
    }
    auto keep = it->second.conn;  // evict() forgets it
    keep->evict();
    return true;
  }
  return false;
}

TimePoint Worker::schedule(ConnectionId id, TimePoint at, std::optional<TimePoint> current) {
  return timers_.schedule(id, at, current);
}

void Worker::drain(std::chrono::milliseconds retry_delay) {
  std::vector<std::shared_ptr<StreamConnection>> all;
  all.reserve(conns_.size());
  for (auto& [id, e] : conns_) all.push_back(e.conn);
  for (auto& c : all) c->drain(retry_delay);
}

bool Worker::send_unidirectional(ConnectionId id, const dso::Frame& frame) {
  auto* c = find(id);
  return c != nullptr && c->send_unidirectional(frame);
}

bool Worker::set_long_lived(ConnectionId id, std::size_t active) {
  auto* c = find(id);
  if (c == nullptr) return false;
  c->set_long_lived(active);
  return true;
}

}  // namespace dnspush::io::detail
