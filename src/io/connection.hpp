// One DNS-over-TCP or DNS-over-TLS connection (RFC 7766, RFC 7858), written once against
// the byte-stream interface of TcpStream / TlsStream (internal to io/).
//
// Three coroutines share the connection: the reader splits 2-byte-length frames and
// hands each to the handler as soon as it is complete (pipelining, RFC 7766 §6.2.1.1;
// answers completed later through their Reply are queued when they arrive, so out of
// order), the writer sends everything queued so far in one write and pulls the messages
// of a stream (AXFR/IXFR) only as the queue drains, and a watchdog closes the connection when
// neither side progressed for the idle timeout (RFC 7766 §6.2.3) or the TLS handshake
// took too long. An idle connection holds no read or write buffer.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <variant>
#include <vector>

#include "auth/query_context.hpp"
#include "io/asio.hpp"
#include "io/connection_limiter.hpp"
#include "io/server.hpp"

namespace dnspush::io::detail {

struct ConnectionOptions {
  auth::Transport transport = auth::Transport::kTcp;
  std::chrono::milliseconds idle_timeout{10000};
  std::chrono::milliseconds handshake_timeout{5000};
  std::size_t max_pending_bytes = 256 * 1024;
};

// Lets Reply sinks post to a worker's event loop only while it runs: Server::stop
// closes every gate before it stops and destroys the loops.
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

// What a Reply was completed with.
using Completion = std::variant<std::monostate, std::vector<std::uint8_t>, MessageStream>;

// A Reply sink that keeps a completion made during the handler call (the common,
// synchronous case: no post, answers stay in order) and posts later ones with `deliver`.
class SinkBase : public Reply::Sink {
 public:
  void complete(std::vector<std::uint8_t> answer) override { finish(std::move(answer)); }
  void complete_stream(MessageStream s) override { finish(std::move(s)); }
  void complete_none() override { finish(std::monostate{}); }
  // Called by the io layer right after the handler returned: the completion made
  // during the call, or nullopt when the reply is still pending.
  std::optional<Completion> end_call() {
    std::lock_guard lock(m_);
    in_call_ = false;
    return std::exchange(immediate_, std::nullopt);
  }

 protected:
  virtual void deliver(Completion c) = 0;  // asynchronous completion

 private:
  void finish(Completion c) {
    {
      std::lock_guard lock(m_);
      if (in_call_) {
        immediate_ = std::move(c);
        return;
      }
    }
    deliver(std::move(c));
  }
  std::mutex m_;
  bool in_call_ = true;
  std::optional<Completion> immediate_;
};

// Calls the handler, turning an exception into "no answer" so that one bad query never
// takes a worker down.
void call_handler(const AsyncHandler& h, std::span<const std::uint8_t> query,
                  const auth::QueryContext& ctx, Reply reply);
// Wraps a synchronous handler.
AsyncHandler make_async(Handler h);

auth::ClientAddress client_address(const asio::ip::address& a, std::uint16_t port);

// Take ownership of an accepted socket (and a limiter slot) and serve it until it closes.
void start_tcp_connection(asio::ip::tcp::socket s, const ConnectionOptions& o,
                          const AsyncHandler& h, std::shared_ptr<Gate> gate,
                          auth::ClientAddress peer, ConnectionLimiter::Ticket ticket);
void start_tls_connection(asio::ip::tcp::socket s, const TlsContext& tls,
                          const ConnectionOptions& o, const AsyncHandler& h,
                          std::shared_ptr<Gate> gate, auth::ClientAddress peer,
                          ConnectionLimiter::Ticket ticket);

}  // namespace dnspush::io::detail
