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
    : sends(opts.server->send_batch,
            [this](std::uint64_t id) {
              // A batched send left output behind (a full socket) or failed: the connection
              // waits until it can write, or closes; after the slice, not inside it.
              asio::post(ctx, [this, id] {
                if (auto* c = find(id)) c->service();
              });
            }),
      opts(opts),
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
  datagram_timer_.cancel();
  // Connections go before the context that owns their sockets; app last-but-one.
  conns_.clear();
  lru_.clear();
}

void Worker::adopt(asio::ip::tcp::socket s, bool tls, auth::ClientAddress peer,
                   ConnectionLimiter::Ticket ticket) {
  if (const std::size_t b = opts.server->tcp_send_buffer; b != 0) {
    std::error_code ignored;  // the kernel clamps it; a refusal leaves its default
    s.set_option(asio::socket_base::send_buffer_size(static_cast<int>(b)), ignored);
  }
  const ConnectionId id = next_id_++;
  auto c =
      std::make_shared<StreamConnection>(*this, id, std::move(s), tls, peer, std::move(ticket));
  c->lru_ = lru_.insert(lru_.end(), c.get());
  c->in_lru_ = true;
  conns_.emplace(id, c);
  c->start();
}

bool Worker::send_datagram(const DatagramPeer& to, std::span<const std::uint8_t> bytes) {
  if (to.stream != 0) {
    auto* c = find(to.stream);
    return c != nullptr && c->send_unsolicited(bytes);
  }
  for (auto& u : udp) {
    if (u.index() == to.socket) return u.send_to(to, bytes);
  }
  return false;
}

void Worker::schedule_datagram_timer(TimePoint at) {
  if (datagram_at_ && *datagram_at_ == at) return;
  datagram_at_ = at;
  datagram_timer_.expires_at(at);
  datagram_timer_.async_wait([this, at](std::error_code ec) {
    if (ec || !datagram_at_ || *datagram_at_ != at) return;  // replaced or cancelled
    datagram_at_.reset();
    if (DatagramApp* a = app ? app->datagram_app() : nullptr) a->on_datagram_timer(Clock::now());
  });
}

StreamConnection* Worker::find(ConnectionId id) {
  auto it = conns_.find(id);
  return it == conns_.end() ? nullptr : it->second.get();
}

void Worker::forget(ConnectionId id) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  StreamConnection& c = *it->second;
  if (c.in_lru_) lru_.erase(c.lru_);
  c.in_lru_ = false;
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
  if (c.in_lru_ && eligible) {
    lru_.splice(lru_.end(), lru_, c.lru_);  // to the back, no allocation
    return;
  }
  if (c.in_lru_) lru_.erase(c.lru_);
  c.in_lru_ = eligible;
  if (eligible) c.lru_ = lru_.insert(lru_.end(), &c);
}

bool Worker::evict_one() {
  // The front is the connection that made no progress for the longest: idle, or stuck in
  // the middle of a message it trickles (RFC 7766 §6.2.3 lets a server under pressure
  // close idle connections). Sessions with subscriptions are not in the list.
  if (lru_.empty()) return false;
  auto keep = lru_.front()->shared_from_this();  // evict() forgets it
  keep->evict();
  return true;
}

TimePoint Worker::schedule(ConnectionId id, TimePoint at, std::optional<TimePoint> current) {
  return timers_.schedule(id, at, current);
}

void Worker::drain(std::chrono::milliseconds retry_delay) {
  std::vector<std::shared_ptr<StreamConnection>> all;
  all.reserve(conns_.size());
  for (auto& [id, c] : conns_) all.push_back(c);
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

namespace dnspush::io::detail {

std::vector<ConnectionSummary> Worker::summaries(std::size_t max) const {
  std::vector<ConnectionSummary> out;
  out.reserve(std::min(max, conns_.size()));
  for (const auto& [id, c] : conns_) {
    if (out.size() >= max) break;
    out.push_back(c->summary());
  }
  return out;
}

bool Worker::close(ConnectionId id) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return false;
  auto keep = it->second;  // closing forgets it
  keep->close_by_operator();
  return true;
}

}  // namespace dnspush::io::detail
