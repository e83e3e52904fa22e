// Non-blocking byte transport of one accepted connection, plain TCP or TLS (OpenSSL driven
// on the file descriptor, DESIGN.md), as one-shot calls that never wait: each says how
// much it moved or what it would block on, and the connection arms readiness waits on the
// socket accordingly. Internal to io/. TLS may want to write during a read and read
// during a write (TLS 1.3 key updates, tickets): the result says which.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>

#include "io/asio.hpp"
#include "io/tls_context.hpp"

struct ssl_st;

namespace dnspush::io::detail {

struct IoResult {
  enum class Status : std::uint8_t {
    kOk,         // `bytes` moved (> 0)
    kWantRead,   // retry when the socket is readable
    kWantWrite,  // retry when the socket is writable
    kEof,        // the peer closed its side (read) cleanly
    kError,      // fatal for the connection: `error` says why
  };
  Status status = Status::kOk;
  std::size_t bytes = 0;
  std::error_code error;
};

class Transport {
 public:
  // `tls` null: plain TCP. The socket is made non-blocking.
  Transport(asio::ip::tcp::socket s, const TlsContext* tls);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  asio::ip::tcp::socket& socket() { return sock_; }
  bool tls() const { return ssl_ != nullptr || tls_failed_; }
  // TLS: one step of the server handshake (kOk when done). TCP: kOk at once.
  IoResult handshake();
  bool handshake_done() const { return handshake_done_; }
  // TLS: whether the client resumed a session (RFC 8446 §2.2 / the seed's §7.4).
  bool resumed() const;
  // Decrypted bytes already buffered inside OpenSSL (readable without the socket).
  bool has_buffered() const;
  IoResult read(std::span<std::uint8_t> buf);
  // Writes from the start of `buf`; with TLS a retry after kWant* must pass the same
  // length (OpenSSL's rule; the buffer may move: SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER).
  IoResult write(std::span<const std::uint8_t> buf);
  // Graceful: a TLS close_notify if the session is healthy (never waits), then FIN.
  void shutdown();
  // Abortive close: RST (SO_LINGER 0), nothing more sent.
  void abort();
  void close();

 private:
  IoResult tls_result(int r);

  asio::ip::tcp::socket sock_;
  ssl_st* ssl_ = nullptr;
  bool tls_failed_ = false;  // TLS was wanted but the SSL object could not be made
  bool handshake_done_ = false;
  bool healthy_ = true;
};

// The category of errors OpenSSL reports (handshake failure, bad record, alert).
const std::error_category& tls_error_category();

// OpenSSL's socket BIO writes with write(2), which raises SIGPIPE when the peer has gone
// (our own sends use MSG_NOSIGNAL); a network process wants EPIPE instead. Idempotent.
void ignore_sigpipe();

}  // namespace dnspush::io::detail
