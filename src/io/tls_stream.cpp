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

TlsStream::TlsStream(asio::ip::tcp::socket s, const TlsContext& ctx, const TlsClientParams& params)
    : TlsStream(std::move(s), ctx, Role::kClient) {
  if (ssl_ == nullptr) return;
  const std::string& host = params.hostname.empty() ? ctx.hostname() : params.hostname;
  if (!params.hostname.empty() && !is_ip_literal(host)) {
    SSL_set_tlsext_host_name(ssl_, host.c_str());  // RFC 8765 §7.2: SNI is the SRV target
    if (ctx.verify()) SSL_set1_host(ssl_, host.c_str());
  } else if (!params.hostname.empty() && ctx.verify()) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), host.c_str());
  }
  if (params.resume) SSL_set_session(ssl_, params.resume.get());
  if (params.tlsa.empty() || is_ip_literal(host)) return;
  // RFC 7673 / RFC 7671 with OpenSSL's own DANE: the TLSA base domain is the SRV target.
  if (SSL_dane_enable(ssl_, host.c_str()) <= 0) {
    dane_unusable_ = true;
    return;
  }
  SSL_dane_set_flags(ssl_, DANE_FLAG_NO_DANE_EE_NAMECHECKS);  // RFC 7671 §5.1
  int usable = 0;
  for (const auto& t : params.tlsa) {
    if (SSL_dane_tlsa_add(ssl_, t.usage, t.selector, t.matching_type, t.data.data(),
                          t.data.size()) > 0)
      ++usable;
  }
  ERR_clear_error();
  dane_unusable_ = usable == 0;
  // DANE authenticates even when the context does not verify (--insecure) or does not
  // trust the server's CA (RFC 7673 §3).
  SSL_set_verify(ssl_, SSL_VERIFY_PEER, nullptr);
}

bool TlsStream::resumed() const {
  return ssl_ != nullptr && SSL_session_reused(ssl_) == 1;
}

TlsSessionPtr TlsStream::session() const {
  if (ssl_ == nullptr) return nullptr;
  SSL_SESSION* s = SSL_get1_session(ssl_);
  if (s == nullptr) return nullptr;
  if (SSL_SESSION_is_resumable(s) != 1) {
    SSL_SESSION_free(s);
    return nullptr;
  }
  return TlsSessionPtr(s, SSL_SESSION_free);
}

std::string TlsStream::verify_error() const {
  if (ssl_ == nullptr) return {};
  const long r = SSL_get_verify_result(ssl_);
  if (r == X509_V_OK) return {};
  return X509_verify_cert_error_string(r);
}

bool TlsStream::dane_authenticated() const {
  return ssl_ != nullptr && SSL_get0_dane_authority(ssl_, nullptr, nullptr) >= 0;
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
      case Op::kReadAvailable:
        r = SSL_read(ssl_, buf, len);
        break;
      case Op::kWrite:
        r = SSL_write(ssl_, buf, len);
        break;
    }
    if (r > 0) co_return r;
    const int err = SSL_get_error(ssl_, r);
    if (err == SSL_ERROR_WANT_READ && op == Op::kReadAvailable) co_return 0;
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
  // Only those: a partial record held there needs the socket (SSL_has_pending would say
  // yes to it, and a caller that reads without waiting would spin).
  if (ssl_ != nullptr && SSL_pending(ssl_) > 0) co_return std::error_code{};
  auto [ec] = co_await sock_.async_wait(asio::socket_base::wait_read, kAsTuple);
  co_return ec;
}

asio::awaitable<std::size_t> TlsStream::read_some(std::span<std::uint8_t> buf,
                                                  std::error_code& ec) {
  const int len = static_cast<int>(std::min<std::size_t>(buf.size(), INT_MAX));
  const int n = co_await drive(Op::kRead, buf.data(), len, ec);
  co_return ec ? 0 : static_cast<std::size_t>(n);
}

asio::awaitable<std::size_t> TlsStream::read_available(std::span<std::uint8_t> buf,
                                                       std::error_code& ec) {
  const int len = static_cast<int>(std::min<std::size_t>(buf.size(), INT_MAX));
  const int n = co_await drive(Op::kReadAvailable, buf.data(), len, ec);
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
