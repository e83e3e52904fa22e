// One DNS-over-TCP or DNS-over-TLS connection (RFC 7766, RFC 7858), written once against
// the byte-stream interface of TcpStream / TlsStream (internal to io/).
//
// Three coroutines share the connection: the reader splits 2-byte-length frames and
// answers each as soon as it is complete (pipelining, RFC 7766 §6.2.1.1), the writer sends
// everything queued so far in one write, and a watchdog closes the connection when
// neither side progressed for the idle timeout (RFC 7766 §6.2.3) or the TLS handshake
// took too long. An idle connection holds no read or write buffer.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
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

// Calls the handler, turning an exception into "no answer" so that one bad query never
// takes a worker down.
bool call_handler(const Handler& h, std::span<const std::uint8_t> query,
                  const auth::QueryContext& ctx, std::vector<std::uint8_t>& out);

auth::ClientAddress client_address(const asio::ip::address& a, std::uint16_t port);

// Take ownership of an accepted socket (and a limiter slot) and serve it until it closes.
void start_tcp_connection(asio::ip::tcp::socket s, const ConnectionOptions& o, const Handler& h,
                          auth::ClientAddress peer, ConnectionLimiter::Ticket ticket);
void start_tls_connection(asio::ip::tcp::socket s, const TlsContext& tls,
                          const ConnectionOptions& o, const Handler& h, auth::ClientAddress peer,
                          ConnectionLimiter::Ticket ticket);

}  // namespace dnspush::io::detail
