#include "io/connection.hpp"

#include <spdlog/spdlog.h>

#include <cstring>
#include <exception>

#include "io/tcp_stream.hpp"
#include "io/tls_stream.hpp"

namespace dnspush::io::detail {
namespace {

constexpr std::size_t kReadChunk = 4096;
constexpr std::size_t kMaxMessage = 65535;  // the 2-byte length prefix (RFC 7766 §8)

template <class Stream>
class Connection : public std::enable_shared_from_this<Connection<Stream>> {
 public:
  template <class... StreamArgs>
  explicit Connection(const ConnectionOptions& o, const Handler& h, auth::ClientAddress peer,
                      ConnectionLimiter::Ticket ticket, StreamArgs&&... args);

  void start();

 private:
  using Clock = std::chrono::steady_clock;
  asio::awaitable<void> read_loop();
  asio::awaitable<void> write_loop();
  asio::awaitable<void> watchdog();
  // Answers every complete frame in in_[0, used_); returns false when closing.
  bool process_frames();
  void touch() { deadline_ = Clock::now() + opts_.idle_timeout; }
  void wake_writer() { signal_.cancel(); }
  void close();

  Stream stream_;
  const ConnectionOptions& opts_;
  const Handler& handler_;
  auth::QueryContext ctx_;
  ConnectionLimiter::Ticket ticket_;
  asio::steady_timer timer_;   // watchdog
  asio::steady_timer signal_;  // wakes the writer (cancelled when output is queued)
  Clock::time_point deadline_;
  std::vector<std::uint8_t> in_;
  std::size_t used_ = 0;
  std::vector<std::uint8_t> out_;       // queued, length-prefixed answers
  std::vector<std::uint8_t> inflight_;  // being written
  std::vector<std::uint8_t> answer_;    // scratch for one answer
  bool eof_ = false;
  bool closed_ = false;
};

}  // namespace

bool call_handler(const Handler& h, std::span<const std::uint8_t> query,
                  const auth::QueryContext& ctx, std::vector<std::uint8_t>& out) {
  try {
    return h(query, ctx, out);
  } catch (const std::exception& e) {
    spdlog::error("query handler failed: {}", e.what());
  } catch (...) {
    spdlog::error("query handler failed");
  }
  return false;
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
Connection<Stream>::Connection(const ConnectionOptions& o, const Handler& h,
                               auth::ClientAddress peer, ConnectionLimiter::Ticket ticket,
                               StreamArgs&&... args)
    : stream_(std::forward<StreamArgs>(args)...),
      opts_(o),
      handler_(h),
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
    if (used_ == 0) {
      in_ = {};
      if (answer_.capacity() > kReadChunk) answer_ = {};
    }
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
    answer_.clear();
    if (call_handler(handler_, std::span(in_.data() + off + 2, len), ctx_, answer_)) {
      if (answer_.size() > kMaxMessage) {
        spdlog::warn("dropping an answer of {} bytes: larger than a DNS message", answer_.size());
      } else {
        out_.push_back(static_cast<std::uint8_t>(answer_.size() >> 8));
        out_.push_back(static_cast<std::uint8_t>(answer_.size()));
        out_.insert(out_.end(), answer_.begin(), answer_.end());
      }
    }
    off += 2 + len;
    // DESIGN.md "bounded everything": a client that does not read its answers is closed.
    if (out_.size() + inflight_.size() > opts_.max_pending_bytes) {
      spdlog::debug("closing connection: {} bytes of answers pending",
                    out_.size() + inflight_.size());
      close();
      return false;
    }
  }
  if (off > 0) {
    std::memmove(in_.data(), in_.data() + off, used_ - off);
    used_ -= off;
  }
  if (!out_.empty()) wake_writer();
  return true;
}

template <class Stream>
asio::awaitable<void> Connection<Stream>::write_loop() {
  auto self = this->shared_from_this();
  while (!closed_) {
    if (out_.empty()) {
      if (eof_) break;
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
      spdlog::debug("closing idle connection");
      close();
    }
  }
}

void start_tcp_connection(asio::ip::tcp::socket s, const ConnectionOptions& o, const Handler& h,
                          auth::ClientAddress peer, ConnectionLimiter::Ticket ticket) {
  std::make_shared<Connection<TcpStream>>(o, h, peer, std::move(ticket), std::move(s))->start();
}

void start_tls_connection(asio::ip::tcp::socket s, const TlsContext& tls,
                          const ConnectionOptions& o, const Handler& h, auth::ClientAddress peer,
                          ConnectionLimiter::Ticket ticket) {
  std::make_shared<Connection<TlsStream>>(o, h, peer, std::move(ticket), std::move(s), tls,
                                          TlsStream::Role::kServer)
      ->start();
}

}  // namespace dnspush::io::detail
