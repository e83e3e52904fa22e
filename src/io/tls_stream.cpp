#include "io/tls_stream.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <climits>
#include <csignal>
#include <string>

#include "io/transport.hpp"

namespace dnspush::io::detail {
namespace {

bool is_ip_literal(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

}  // namespace

TlsStream::TlsStream(asio::ip::tcp::socket s, const TlsContext& ctx, Role role)
    : sock_(std::move(s)) {
  ignore_sigpipe();
  std::error_code ec;
  sock_.non_blocking(true, ec);
  if (ec) return;
  ssl_ = SSL_new(ctx.native());
  if (ssl_ == nullptr) return;
  if (SSL_set_fd(ssl_, static_cast<int>(sock_.native_handle())) != 1) {
    SSL_free(ssl_);
    ssl_ = nullptr;
    return;
  }
  if (role == Role::kServer) {
    SSL_set_accept_state(ssl_);
    return;
  }
  SSL_set_connect_state(ssl_);
  const std::string& host = ctx.hostname();
  if (host.empty()) return;
  if (is_ip_literal(host)) {
    // RFC 6066 §3: SNI carries host names only.
    if (ctx.verify()) X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl_, host.c_str());
    if (ctx.verify()) SSL_set1_host(ssl_, host.c_str());
  }
}

TlsStream::~TlsStream() {
  SSL_free(ssl_);
}

asio::awaitable<int> TlsStream::drive(Op op, void* buf, int len, std::error_code& ec) {
  if (ssl_ == nullptr) {
    ec = std::make_error_code(std::errc::not_connected);
    co_return 0;
  }
  for (;;) {
    ERR_clear_error();
    int r = 0;
    switch (op) {
      case Op::kHandshake:
        r = SSL_do_handshake(ssl_);
        break;
      case Op::kRead:
        r = SSL_read(ssl_, buf, len);
        break;
      case Op::kWrite:
        r = SSL_write(ssl_, buf, len);
        break;
    }
    if (r > 0) co_return r;
    const int err = SSL_get_error(ssl_, r);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      const auto what =
          err == SSL_ERROR_WANT_READ ? asio::socket_base::wait_read : asio::socket_base::wait_write;
      auto [e] = co_await sock_.async_wait(what, kAsTuple);
      if (e) {
        ec = e;
        co_return 0;
      }
      continue;
    }
    healthy_ = false;
    if (err == SSL_ERROR_ZERO_RETURN) {
      ec = asio::error::eof;
    } else if (err == SSL_ERROR_SYSCALL) {
      ec = errno != 0 ? std::error_code(errno, std::system_category())
                      : std::error_code(asio::error::eof);
    } else {
      const unsigned long e = ERR_peek_last_error();
      ec = std::error_code(static_cast<int>(e != 0 ? e : 1), tls_error_category());
    }
    ERR_clear_error();
    co_return 0;
  }
}

asio::awaitable<std::error_code> TlsStream::handshake() {
  std::error_code ec;
  co_await drive(Op::kHandshake, nullptr, 0, ec);
  healthy_ = !ec;
  co_return ec;
}

asio::awaitable<std::error_code> TlsStream::wait_readable() {
  // Decrypted bytes may already sit in OpenSSL's buffer with nothing left on the socket.
  if (ssl_ != nullptr && SSL_has_pending(ssl_)) co_return std::error_code{};
  auto [ec] = co_await sock_.async_wait(asio::socket_base::wait_read, kAsTuple);
  co_return ec;
}

asio::awaitable<std::size_t> TlsStream::read_some(std::span<std::uint8_t> buf,
                                                  std::error_code& ec) {
  const int len = static_cast<int>(std::min<std::size_t>(buf.size(), INT_MAX));
  const int n = co_await drive(Op::kRead, buf.data(), len, ec);
  co_return ec ? 0 : static_cast<std::size_t>(n);
}

asio::awaitable<std::error_code> TlsStream::write_all(std::span<const std::uint8_t> buf) {
  std::error_code ec;
  while (!buf.empty()) {
    // Without SSL_MODE_ENABLE_PARTIAL_WRITE, SSL_write returns only when all of `len` is
    // written; a retry after WANT_* repeats the same call, as OpenSSL requires.
    const int len = static_cast<int>(std::min<std::size_t>(buf.size(), INT_MAX));
    const int n = co_await drive(Op::kWrite, const_cast<std::uint8_t*>(buf.data()), len, ec);
    if (ec) co_return ec;
    buf = buf.subspan(static_cast<std::size_t>(n));
  }
  co_return ec;
}

void TlsStream::close() {
  if (healthy_ && ssl_ != nullptr) {
    ERR_clear_error();
    SSL_shutdown(ssl_);  // queues close_notify; a non-blocking socket never waits here
    ERR_clear_error();
  }
  healthy_ = false;
  std::error_code ignored;
  sock_.close(ignored);
}

}  // namespace dnspush::io::detail
