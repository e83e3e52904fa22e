#include "io/connection.hpp"

#include <spdlog/spdlog.h>

#include <cstring>
#include <deque>
#include <exception>

#include "io/tcp_stream.hpp"
#include "io/tls_stream.hpp"

namespace dnspush::io::detail {
namespace {

constexpr std::size_t kReadChunk = 4096;
constexpr std::size_t kMaxMessage = 65535;  // the 2-byte length prefix (RFC 7766 §8)

// Below this much queued output the writer pulls the next messages of a stream.
constexpr std::size_t kStreamLowWater = 32 * 1024;

template <class Stream>
class Connection : public std::enable_shared_from_this<Connection<Stream>> {
 public:
  template <class... StreamArgs>
  explicit Connection(const ConnectionOptions& o, const AsyncHandler& h, std::shared_ptr<Gate> gate,
                      auth::ClientAddress peer, ConnectionLimiter::Ticket ticket,
                      StreamArgs&&... args);

  void start();
  // An answer completed after the handler returned (on this connection's thread).
  void deliver(Completion c) {
    --pending_;
    touch();
    accept(std::move(c));
    wake_writer();
  }

 private:
  using Clock = std::chrono::steady_clock;
  class Sink;
  asio::awaitable<void> read_loop();
  asio::awaitable<void> write_loop();
  asio::awaitable<void> watchdog();
  // Answers every complete frame in in_[0, used_); returns false when closing.
  bool process_frames();
  // Queues a completion; returns false when the connection was closed for it.
  bool accept(Completion c);
  void queue_message(std::span<const std::uint8_t> m);
  void fill_from_streams();
  bool over_limit() const { return out_.size() + inflight_.size() > opts_.max_pending_bytes; }
  void touch() { deadline_ = Clock::now() + opts_.idle_timeout; }
  void wake_writer() { signal_.cancel(); }
  void close();

  Stream stream_;
  const ConnectionOptions& opts_;
  const AsyncHandler& handler_;
  std::shared_ptr<Gate> gate_;
  auth::QueryContext ctx_;
  ConnectionLimiter::Ticket ticket_;
  asio::steady_timer timer_;   // watchdog
  asio::steady_timer signal_;  // wakes the writer (cancelled when output is queued)
  Clock::time_point deadline_;
  std::vector<std::uint8_t> in_;
  std::size_t used_ = 0;
  std::vector<std::uint8_t> out_;       // queued, length-prefixed answers
  std::vector<std::uint8_t> inflight_;  // being written
  std::deque<MessageStream> streams_;   // multi-message answers, one after the other
  std::size_t pending_ = 0;             // replies not completed yet
  bool eof_ = false;
  bool closed_ = false;
};

template <class Stream>
class Connection<Stream>::Sink : public SinkBase {
 public:
  explicit Sink(std::shared_ptr<Connection> c) : conn_(std::move(c)) {}

 protected:
  void deliver(Completion c) override {
    auto conn = std::move(conn_);
    if (!conn) return;
    auto gate = conn->gate_;
    gate->post(
        [conn = std::move(conn), c = std::move(c)]() mutable { conn->deliver(std::move(c)); });
  }

 private:
  std::shared_ptr<Connection> conn_;
};

}  // namespace

void call_handler(const AsyncHandler& h, std::span<const std::uint8_t> query,
                  const auth::QueryContext& ctx, Reply reply) {
  try {
    h(query, ctx, std::move(reply));
  } catch (const std::exception& e) {
    spdlog::error("query handler failed: {}", e.what());
  } catch (...) {
    spdlog::error("query handler failed");
  }
}

AsyncHandler make_async(Handler h) {
  return [h = std::move(h)](std::span<const std::uint8_t> q, const auth::QueryContext& ctx,
                            Reply reply) {
    std::vector<std::uint8_t> out;
    if (h(q, ctx, out)) {
      reply.send(std::move(out));
    } else {
      reply.drop();
    }
  };
}

auth::ClientAddress client_address(const asio::ip::address& a, std::uint16_t port) {
  auth::ClientAddress c;
  c.port = port;
  if (a.is_v6()) {
    const auto v6 = a.to_v6();
    if (v6.is_v4_mapped()) {
      const auto b = asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_bytes();
      std::memcpy(c.bytes.data(), b.data(), 4);
    } else {
      const auto b = v6.to_bytes();
      std::memcpy(c.bytes.data(), b.data(), 16);
      c.v6 = true;
    }
  } else {
    const auto b = a.to_v4().to_bytes();
    std::memcpy(c.bytes.data(), b.data(), 4);
  }
  return c;
}

template <class Stream>
template <class... StreamArgs>
Connection<Stream>::Connection(const ConnectionOptions& o, const AsyncHandler& h,
                               std::shared_ptr<Gate> gate, auth::ClientAddress peer,
                               ConnectionLimiter::Ticket ticket, StreamArgs&&... args)
    : stream_(std::forward<StreamArgs>(args)...),
      opts_(o),
      handler_(h),
      gate_(std::move(gate)),
      ticket_(std::move(ticket)),
      timer_(stream_.socket().get_executor()),
      signal_(stream_.socket().get_executor(), asio::steady_timer::time_point::max()) {
  ctx_.transport = o.transport;
  ctx_.client = peer;
  ctx_.tcp_idle_timeout = o.idle_timeout;  // for edns-tcp-keepalive (RFC 7828)
}

template <class Stream>
void Connection<Stream>::start() {
  auto ex = stream_.socket().get_executor();
  // TLS: the handshake has its own, usually shorter, deadline.
  deadline_ = Clock::now() + (opts_.transport == auth::Transport::kTls ? opts_.handshake_timeout
                                                                       : opts_.idle_timeout);
  asio::co_spawn(ex, watchdog(), asio::detached);
  asio::co_spawn(ex, read_loop(), asio::detached);
  asio::co_spawn(ex, write_loop(), asio::detached);
}

template <class Stream>
void Connection<Stream>::close() {
  if (closed_) return;
  closed_ = true;
  stream_.close();
  timer_.cancel();
  signal_.cancel();
  streams_.clear();
}

template <class Stream>
asio::awaitable<void> Connection<Stream>::read_loop() {
  auto self = this->shared_from_this();
  if (auto ec = co_await stream_.handshake()) {
    if (!closed_) spdlog::debug("tls handshake failed: {}", ec.message());
    close();
    co_return;
  }
  touch();
  std::error_code ec;
  while (!closed_) {
    if (used_ == 0) {
      // Idle: hold no buffer until the peer sends something.
      if ((ec = co_await stream_.wait_readable())) break;
      if (closed_) break;
      if (in_.size() < kReadChunk) in_.resize(kReadChunk);
    } else if (used_ == in_.size()) {
      in_.resize(std::min(in_.size() * 2, kMaxMessage + 2));
    }
    const std::size_t n =
        co_await stream_.read_some(std::span(in_.data() + used_, in_.size() - used_), ec);
    if (ec || closed_) break;
    used_ += n;
    touch();
    if (!process_frames()) break;
    if (used_ == 0) in_ = {};
  }
  if (!closed_) {
    if (ec && ec != asio::error::eof) spdlog::debug("connection read error: {}", ec.message());
    // End of queries: the writer flushes what is queued, then closes.
    eof_ = true;
    wake_writer();
  }
}

template <class Stream>
bool Connection<Stream>::process_frames() {
  std::size_t off = 0;
  while (used_ - off >= 2) {
    const std::size_t len = (std::size_t{in_[off]} << 8) | in_[off + 1];
    if (used_ - off - 2 < len) {
      // Make room for the whole frame (at most 65537 bytes).
      if (in_.size() < len + 2) in_.resize(len + 2);
      break;
    }
    auto sink = std::make_shared<Sink>(this->shared_from_this());
    call_handler(handler_, std::span(in_.data() + off + 2, len), ctx_, Reply(sink));
    off += 2 + len;
    if (auto c = sink->end_call()) {
      if (!accept(std::move(*c))) return false;
    } else {
      ++pending_;  // completed later, through deliver()
    }
  }
  if (off > 0) {
    std::memmove(in_.data(), in_.data() + off, used_ - off);
    used_ -= off;
  }
  if (!out_.empty() || !streams_.empty()) wake_writer();
  return true;
}

template <class Stream>
void Connection<Stream>::queue_message(std::span<const std::uint8_t> m) {
  out_.push_back(static_cast<std::uint8_t>(m.size() >> 8));
  out_.push_back(static_cast<std::uint8_t>(m.size()));
  out_.insert(out_.end(), m.begin(), m.end());
}

template <class Stream>
bool Connection<Stream>::accept(Completion c) {
  if (closed_) return false;
  if (auto* answer = std::get_if<std::vector<std::uint8_t>>(&c)) {
    if (answer->size() > kMaxMessage) {
      spdlog::warn("dropping an answer of {} bytes: larger than a DNS message", answer->size());
    } else {
      queue_message(*answer);
    }
  } else if (auto* stream = std::get_if<MessageStream>(&c)) {
    if (*stream) streams_.push_back(std::move(*stream));
  }
  // DESIGN.md "bounded everything": a client that does not read its answers is closed.
  if (over_limit()) {
    spdlog::debug("closing connection: {} bytes of answers pending",
                  out_.size() + inflight_.size());
    close();
    return false;
  }
  return true;
}

template <class Stream>
void Connection<Stream>::fill_from_streams() {
  while (!streams_.empty() && out_.size() < kStreamLowWater) {
    std::optional<std::vector<std::uint8_t>> m;
    try {
      m = streams_.front()();
    } catch (const std::exception& e) {
      spdlog::error("answer stream failed: {}", e.what());
    }
    if (!m) {
      streams_.pop_front();
      continue;
    }
    if (m->size() > kMaxMessage) {
      spdlog::warn("ending an answer stream: a message of {} bytes", m->size());
      streams_.pop_front();
      continue;
    }
    queue_message(*m);
  }
}

template <class Stream>
asio::awaitable<void> Connection<Stream>::write_loop() {
  auto self = this->shared_from_this();
  while (!closed_) {
    fill_from_streams();
    if (out_.empty()) {
      if (eof_ && pending_ == 0) break;
      signal_.expires_at(asio::steady_timer::time_point::max());
      co_await signal_.async_wait(kAsTuple);
      continue;
    }
    // Everything queued so far goes out in one write (one TLS record train).
    inflight_.swap(out_);
    out_.clear();
    if (auto ec = co_await stream_.write_all(inflight_)) {
      if (!closed_) spdlog::debug("connection write error: {}", ec.message());
      break;
    }
    if (inflight_.capacity() > 16 * kReadChunk) {
      inflight_ = {};
    } else {
      inflight_.clear();
    }
    if (!closed_) touch();
  }
  close();
}

template <class Stream>
asio::awaitable<void> Connection<Stream>::watchdog() {
  auto self = this->shared_from_this();
  while (!closed_) {
    timer_.expires_at(deadline_);
    co_await timer_.async_wait(kAsTuple);
    if (closed_) break;
    if (Clock::now() >= deadline_) {
      if (pending_ > 0) {
        // Not idle: the server still owes an answer (e.g. an UPDATE waiting for the
        // journal); the idle timeout starts again once it is sent.
        touch();
        continue;
      }
      spdlog::debug("closing idle connection");
      close();
    }
  }
}

void start_tcp_connection(asio::ip::tcp::socket s, const ConnectionOptions& o,
                          const AsyncHandler& h, std::shared_ptr<Gate> gate,
                          auth::ClientAddress peer, ConnectionLimiter::Ticket ticket) {
  std::make_shared<Connection<TcpStream>>(o, h, std::move(gate), peer, std::move(ticket),
                                          std::move(s))
      ->start();
}

void start_tls_connection(asio::ip::tcp::socket s, const TlsContext& tls,
                          const ConnectionOptions& o, const AsyncHandler& h,
                          std::shared_ptr<Gate> gate, auth::ClientAddress peer,
                          ConnectionLimiter::Ticket ticket) {
  std::make_shared<Connection<TlsStream>>(o, h, std::move(gate), peer, std::move(ticket),
                                          std::move(s), tls, TlsStream::Role::kServer)
      ->start();
}

}  // namespace dnspush::io::detail
