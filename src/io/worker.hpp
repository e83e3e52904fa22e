// One io worker (internal to io/): an event loop on its own thread that owns its sockets,
// its stream connections, its timer queue and its SessionApp outright (DESIGN.md
// "shared-nothing workers"). Other threads reach it only by posting through its Gate.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "io/asio.hpp"
#include "io/connection_limiter.hpp"
#include "io/frame_pool.hpp"
#include "io/send_batch.hpp"
#include "io/server.hpp"
#include "io/session_app.hpp"
#include "io/timer_queue.hpp"
#include "io/udp_listener.hpp"

namespace dnspush::io::detail {

class StreamConnection;

// Lets other threads post to a worker's loop only while it runs: Server::stop closes
// every gate before it stops and destroys the loops.
class Gate {
 public:
  explicit Gate(asio::io_context& ctx) : ctx_(&ctx) {}
  template <class F>
  bool post(F&& f) {
    std::lock_guard lock(m_);
    if (ctx_ == nullptr) return false;
    asio::post(*ctx_, std::forward<F>(f));
    return true;
  }
  void close() {
    std::lock_guard lock(m_);
    ctx_ = nullptr;
  }

 private:
  std::mutex m_;
  asio::io_context* ctx_;
};

// What every stream connection of a server shares (read-only after start).
struct StreamOptions {
  const ServerOptions* server = nullptr;
  const AsyncHandler* handler = nullptr;
  ConnectionLimiter* limiter = nullptr;
};

struct Acceptor {
  asio::ip::tcp::acceptor socket;
  bool tls;
};

class Worker final : public WorkerLink {
 public:
  Worker(unsigned index, StreamOptions opts);
  ~Worker() override;

  // WorkerLink
  unsigned index() const override { return index_; }
  bool send_unidirectional(ConnectionId id, const dso::Frame& frame) override;
  void begin_send_batch() override { sends.begin(); }
  void end_send_batch() override { sends.end(); }
  bool set_long_lived(ConnectionId id, std::size_t active) override;
  void defer(std::function<void()> task) override { asio::post(ctx, std::move(task)); }
  bool send_datagram(const DatagramPeer& to, std::span<const std::uint8_t> bytes) override;
  void schedule_datagram_timer(TimePoint at) override;

  // Takes an accepted socket that got a limiter slot.
  void adopt(asio::ip::tcp::socket s, bool tls, auth::ClientAddress peer,
             ConnectionLimiter::Ticket ticket);
  // At the connection limit: closes the connection idle (or stalled in a message) the
  // longest among those that may be closed. False when there is none.
  bool evict_one();
  StreamConnection* find(ConnectionId id);
  // Called by a connection once it is closed: drops it from every structure.
  void forget(ConnectionId id);
  // Bookkeeping for eviction: `c` made progress (a message in or out) now; or stopped
  // being (`eligible` false) / became again (true) a candidate.
  void touch(StreamConnection& c, bool eligible);
  TimePoint schedule(ConnectionId id, TimePoint at, std::optional<TimePoint> current);
  // Graceful drain: Retry Delay to DSO sessions, close the others after their answers.
  void drain(std::chrono::milliseconds retry_delay);
  std::size_t connections() const { return conns_.size(); }
  std::vector<ConnectionSummary> summaries(std::size_t max) const;
  bool close(ConnectionId id);
  std::span<std::uint8_t> read_buffer() { return read_buf_; }
  // Reused between the connections of this worker (no heap allocation per query): the
  // answers' frames, and one write buffer that a connection borrows while it writes and
  // gives back once everything is sent (an idle connection holds none).
  FramePool frames;
  std::vector<std::uint8_t> spare_write_buffer;
  // The sends of a fan-out's slice, handed to the kernel together; before the
  // connections, whose transports refer to it until it is flushed.
  SendBatch sends;

  asio::io_context ctx{1};
  std::shared_ptr<Gate> gate = std::make_shared<Gate>(ctx);
  std::list<UdpListener> udp;  // std::list: callbacks hold references
  std::list<Acceptor> acceptors;
  std::thread thread;
  const StreamOptions opts;
  std::unique_ptr<SessionApp> app;  // made after construction (it gets this link)

 private:
  unsigned index_;
  std::unordered_map<ConnectionId, std::shared_ptr<StreamConnection>> conns_;
  // Eviction candidates, least recently active first; each connection holds its position.
  std::list<StreamConnection*> lru_;
  TimerQueue timers_;
  asio::steady_timer datagram_timer_{ctx};  // the DatagramApp's one timer
  std::optional<TimePoint> datagram_at_;    // when it is armed for
  std::vector<std::uint8_t> read_buf_;      // shared by every connection of this worker
  ConnectionId next_id_;
  std::size_t peak_ = 0;  // connections, since the last trim
  std::size_t closed_since_trim_ = 0;
};

}  // namespace dnspush::io::detail
