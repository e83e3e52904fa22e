// TLS over a TCP socket with OpenSSL driven directly on the file descriptor (internal to
// io/). Not asio::ssl::stream: that keeps two fixed 17 KB buffers and a BIO pair per
// connection (68.7 KB idle, measured), while SSL_set_fd with SSL_MODE_RELEASE_BUFFERS
// keeps 16.2 KB (DESIGN.md). The socket is non-blocking; when OpenSSL wants to read or
// write we wait for readiness with async_wait and retry the same call.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <system_error>

#include "io/asio.hpp"
#include "io/tls_context.hpp"

struct ssl_st;

namespace dnspush::io::detail {

class TlsStream {
 public:
  enum class Role { kServer, kClient };
  // On failure to create the SSL object the stream is unusable and handshake() fails.
  TlsStream(asio::ip::tcp::socket s, const TlsContext& ctx, Role role);
  // A client stream with per-connection settings: SNI/name, resumption, DANE.
  TlsStream(asio::ip::tcp::socket s, const TlsContext& ctx, const TlsClientParams& params);
  ~TlsStream();
  TlsStream(TlsStream&&) = delete;

  asio::ip::tcp::socket& socket() { return sock_; }
  asio::awaitable<std::error_code> handshake();
  asio::awaitable<std::error_code> wait_readable();
  asio::awaitable<std::size_t> read_some(std::span<std::uint8_t> buf, std::error_code& ec);
  // What has arrived, without waiting for more: 0 and no error when a wakeup found no
  // application data (a ticket, a KeyUpdate, a partial record, or a spurious readiness),
  // so that a caller racing wait_readable() against its timers never blocks in a read.
  asio::awaitable<std::size_t> read_available(std::span<std::uint8_t> buf, std::error_code& ec);
  asio::awaitable<std::error_code> write_all(std::span<const std::uint8_t> buf);
  // Sends close_notify when the session is healthy (best effort, never waits), then closes.
  void close();

  // Client: whether the handshake resumed `params.resume`.
  bool resumed() const;
  // Client: the session to resume next time (null when not resumable). With TLS 1.3
  // the ticket arrives after the handshake: ask after reading.
  TlsSessionPtr session() const;
  // Client: after a failed handshake, why the certificate did not verify (empty when it
  // was not the certificate).
  std::string verify_error() const;
  // Client: the server was authenticated by a TLSA record (RFC 7673).
  bool dane_authenticated() const;
  // Client: TLSA records were given but none was usable (unknown parameters).
  bool dane_unusable() const { return dane_unusable_; }

 private:
  // kReadAvailable: like kRead, but returns 0 instead of waiting for more bytes.
  enum class Op { kHandshake, kRead, kReadAvailable, kWrite };
  // Runs one OpenSSL operation to completion; returns its positive result or sets `ec`.
  asio::awaitable<int> drive(Op op, void* buf, int len, std::error_code& ec);

  asio::ip::tcp::socket sock_;
  ssl_st* ssl_ = nullptr;
  bool healthy_ = false;  // handshake done and no fatal error: close_notify may be sent
  bool dane_unusable_ = false;
};

}  // namespace dnspush::io::detail
