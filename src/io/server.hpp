// The network front end of dnspushd: UDP, TCP (RFC 7766) and TLS (RFC 7858) listeners on
// N shared-nothing worker threads, each with its own event loop and its own SO_REUSEPORT
// sockets (DESIGN.md). Queries go to a synchronous handler shaped like
// auth::Responder::respond. No Asio in this header: server/ never sees it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "auth/query_context.hpp"
#include "base/result.hpp"
#include "io/endpoint.hpp"
#include "io/tls_context.hpp"

namespace dnspush::io {

// Returns false when nothing must be sent; otherwise `out` holds the answer.
using Handler = std::function<bool(std::span<const std::uint8_t>, const auth::QueryContext&,
                                   std::vector<std::uint8_t>& out)>;

struct ServerOptions {
  std::vector<Endpoint> dns;                // UDP and TCP on each
  std::vector<Endpoint> tls;                // DNS over TLS
  std::shared_ptr<TlsContext> tls_context;  // required when `tls` is not empty
  unsigned workers = 1;
  std::chrono::milliseconds tcp_idle_timeout{10000};  // RFC 7766 §6.2.3
  std::chrono::milliseconds tls_handshake_timeout{5000};
  std::size_t max_connections = 15000;
  std::size_t max_connections_per_address = 1000;
  std::size_t max_pending_bytes = 256 * 1024;  // queued answers per connection; then close
};

struct BoundAddress {
  std::string protocol;  // "udp", "tcp" or "tls"
  Endpoint endpoint;     // with the port the system chose when 0 was asked for
};

class Server {
 public:
  // Opens and binds every socket of every worker; fails naming the address.
  static Result<std::unique_ptr<Server>> create(ServerOptions options, Handler handler);
  ~Server();

  const std::vector<BoundAddress>& bound() const;
  void start();  // runs each worker on its own thread
  void stop();   // closes everything and joins the threads; idempotent
  std::size_t connection_count() const;

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dnspush::io
