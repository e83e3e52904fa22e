// The network front end of dnspushd: UDP, TCP (RFC 7766) and TLS (RFC 7858) listeners on
// N shared-nothing worker threads, each with its own event loop and its own SO_REUSEPORT
// sockets (DESIGN.md). Queries go to a synchronous handler shaped like
// auth::Responder::respond, or to an asynchronous one that answers through a Reply
// (UPDATE waits for the zone writer; AXFR/IXFR answer with a stream of messages). No Asio in this
// header: server/ never sees it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "auth/query_context.hpp"
#include "base/metrics.hpp"
#include "base/result.hpp"
#include "io/endpoint.hpp"
#include "io/session_app.hpp"
#include "io/tls_context.hpp"

namespace dnspush::io {

// Returns false when nothing must be sent; otherwise `out` holds the answer.
using Handler = std::function<bool(std::span<const std::uint8_t>, const auth::QueryContext&,
                                   std::vector<std::uint8_t>& out)>;

// A multi-message answer (AXFR/IXFR out over TCP/TLS): each call returns the next
// message, nullopt at the end. The connection pulls it only as its write queue drains,
// so a large transfer is never held whole in memory and max_pending_bytes holds. It runs
// on the connection's thread.
using MessageStream = std::function<std::optional<std::vector<std::uint8_t>>()>;

// The completion of one request, handed to an AsyncHandler. Exactly one of send(),
// send_stream() or drop() takes effect; a Reply destroyed unanswered drops. It may be
// completed on any thread, at any time: the answer is posted back to the connection's
// event loop (over TCP/TLS other pipelined queries keep being answered meanwhile, and
// answers may leave out of order, RFC 7766 §6.2.1.1). Completing after the server
// stopped, or after the connection closed, does nothing.
class Reply {
 public:
  // Where a completion goes (implemented in io/; tests may provide their own).
  class Sink {
   public:
    virtual ~Sink() = default;
    virtual void complete(std::vector<std::uint8_t> answer) = 0;
    // Over UDP only the stream's first message is sent.
    virtual void complete_stream(MessageStream stream) = 0;
    virtual void complete_none() = 0;
  };

  Reply() = default;
  explicit Reply(std::shared_ptr<Sink> sink) : sink_(std::move(sink)) {}
  Reply(Reply&&) noexcept = default;
  Reply& operator=(Reply&& o) noexcept {
    if (this != &o) {
      drop();
      sink_ = std::move(o.sink_);
    }
    return *this;
  }
  Reply(const Reply&) = delete;
  Reply& operator=(const Reply&) = delete;
  ~Reply() { drop(); }

  void send(std::vector<std::uint8_t> answer) {
    if (auto s = std::exchange(sink_, nullptr)) s->complete(std::move(answer));
  }
  void send_stream(MessageStream stream) {
    if (auto s = std::exchange(sink_, nullptr)) s->complete_stream(std::move(stream));
  }
  void drop() {
    if (auto s = std::exchange(sink_, nullptr)) s->complete_none();
  }
  bool pending() const { return sink_ != nullptr; }

 private:
  std::shared_ptr<Sink> sink_;
};

// A handler that answers through a Reply, now or later.
using AsyncHandler =
    std::function<void(std::span<const std::uint8_t>, const auth::QueryContext&, Reply)>;

// The synchronous fast path (optional): answer the query now into `out` (a buffer the
// caller reuses between queries, so its capacity is kept), say nothing is to be sent, or
// defer it to the AsyncHandler, which then gets a Reply. Most queries are answered here,
// without the Reply's allocation.
enum class FastPath : std::uint8_t { kAnswered, kNoAnswer, kDeferred };
using SyncHandler = std::function<FastPath(std::span<const std::uint8_t>, const auth::QueryContext&,
                                           std::vector<std::uint8_t>& out)>;

struct ServerOptions {
  std::vector<Endpoint> dns;                // UDP and TCP on each
  std::vector<Endpoint> tls;                // DNS over TLS
  std::shared_ptr<TlsContext> tls_context;  // required when `tls` is not empty
  unsigned workers = 1;
  std::chrono::milliseconds tcp_idle_timeout{10000};  // RFC 7766 §6.2.3
  // A message whose first byte arrived must be complete within this (a peer that trickles
  // bytes is closed; the idle timeout only counts between complete messages).
  std::chrono::milliseconds message_timeout{5000};
  std::chrono::milliseconds tls_handshake_timeout{5000};
  // At max_connections the server closes the connection idle (or stalled in a message)
  // the longest to make room (RFC 7766 §6.2.3); DSO sessions with subscriptions are
  // never chosen. Per address, the newest connection is refused.
  std::size_t max_connections = 15000;
  std::size_t max_connections_per_address = 1000;
  std::size_t max_pending_bytes = 256 * 1024;  // queued answers per connection; then close
  std::size_t max_outstanding = 64;            // pipelined requests per connection
  // Sends of one fan-out slice handed to the kernel together through io_uring, up to this
  // many per system call (io/send_batch.hpp); 0, or no io_uring: one send(2) each.
  unsigned send_batch = 64;
  // SO_SNDBUF of accepted TCP and TLS connections (0: the kernel's, which grows with the
  // connection up to net.ipv4.tcp_wmem's maximum). BIND's tcp-send-buffer.
  std::size_t tcp_send_buffer = 0;
  SyncHandler fast_path;  // optional, tried before the AsyncHandler
  // DSO (RFC 8490): on the TLS listeners when `session_app` is set; on plain TCP only
  // with dso_on_tcp (tests and tools that cannot do TLS).
  SessionAppFactory session_app;
  std::vector<dso::AppTlv> dso_tlvs;  // the Primary TLVs the app implements
  bool dso_on_tcp = false;
  // False: the session app serves no DSO (only its datagram side, e.g. LLQ without push).
  bool dso = true;
  // Datagram-only UDP listeners (LLQ, RFC 8764: llq-listen): every datagram goes to the
  // session app's DatagramApp; what it does not take is answered as an ordinary query.
  std::vector<Endpoint> llq;
  // On the DNS UDP sockets, datagrams carrying this EDNS option go to the DatagramApp
  // first (0: none). LLQ: option 1.
  std::uint16_t datagram_option = 0;
  // On the TCP and TLS connections, queries carrying this EDNS option go to the
  // DatagramApp first, with DatagramPeer::stream set (0: none). LLQ over streams: option 1.
  std::uint16_t stream_option = 0;
  dso::Timeouts dso_timeouts{std::chrono::seconds(15), std::chrono::minutes(60)};
  // Counted into when set (TLS handshakes, sessions opened and closed, limits); must
  // outlive the server.
  Metrics* metrics = nullptr;
};

// One TCP/TLS connection as the control tool lists it.
struct ConnectionSummary {
  ConnectionId id = 0;
  auth::Transport transport = auth::Transport::kTcp;
  auth::ClientAddress peer;
  bool dso = false;              // a DSO session is established
  std::size_t long_lived = 0;    // subscriptions it serves
  std::size_t queued_bytes = 0;  // answers and PUSH messages not yet written
};

struct BoundAddress {
  std::string protocol;  // "udp", "tcp" or "tls"
  Endpoint endpoint;     // with the port the system chose when 0 was asked for
};

class Server {
 public:
  // Opens and binds every socket of every worker; fails naming the address.
  static Result<std::unique_ptr<Server>> create(ServerOptions options, Handler handler);
  static Result<std::unique_ptr<Server>> create(ServerOptions options, AsyncHandler handler);
  ~Server();

  const std::vector<BoundAddress>& bound() const;
  void start();  // runs each worker on its own thread
  // Graceful shutdown (RFC 8490 §6.6.1): listeners close, every DSO session is told by a
  // Retry Delay to come back after `retry_delay`, other connections are closed once their
  // answers are sent; returns when all are gone or `grace` has passed. Then stop().
  void drain(std::chrono::milliseconds retry_delay, std::chrono::milliseconds grace);
  void stop();  // closes everything and joins the threads; idempotent
  std::size_t connection_count() const;

  unsigned workers() const;
  // Every connection of every worker, asked of each worker on its own thread; a worker
  // that does not answer within `wait` is left out. At most `max` are listed.
  std::vector<ConnectionSummary> connections(
      std::size_t max = 100000, std::chrono::milliseconds wait = std::chrono::seconds(2));
  // Closes connection `id` (a DSO session gets no Retry Delay: the operator asked). False
  // when no worker has it.
  bool close_connection(ConnectionId id);
  // Runs `task` on worker `w`'s thread after everything posted to it before (FIFO): the
  // way to reach a worker's SessionApp. False (and `task` dropped) once stopped.
  bool post(unsigned w, std::function<void()> task);

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dnspush::io
