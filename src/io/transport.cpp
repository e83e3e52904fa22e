#include "io/transport.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <cerrno>
#include <climits>
#include <csignal>

namespace dnspush::io::detail {
namespace {

class TlsErrorCategory : public std::error_category {
 public:
  const char* name() const noexcept override { return "tls"; }
  std::string message(int code) const override {
    char buf[256];
    ERR_error_string_n(static_cast<unsigned long>(code), buf, sizeof buf);
    return buf;
  }
};

IoResult error(std::error_code ec) {
  IoResult r;
  r.status = IoResult::Status::kError;
  r.error = ec;
  return r;
}

IoResult moved(std::size_t n) {
  IoResult r;
  r.bytes = n;
  return r;
}

IoResult want(IoResult::Status s) {
  IoResult r;
  r.status = s;
  return r;
}

}  // namespace

void ignore_sigpipe() {
  static const bool kIgnored = [] {
    std::signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void)kIgnored;
}

const std::error_category& tls_error_category() {
  static const TlsErrorCategory c;
  return c;
}

Transport::Transport(asio::ip::tcp::socket s, const TlsContext* tls) : sock_(std::move(s)) {
  ignore_sigpipe();
  std::error_code ec;
  sock_.non_blocking(true, ec);
  if (tls == nullptr) {
    handshake_done_ = true;
    return;
  }
  ssl_ = SSL_new(tls->native());
  if (ssl_ != nullptr && SSL_set_fd(ssl_, static_cast<int>(sock_.native_handle())) != 1) {
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (ssl_ == nullptr) {
    tls_failed_ = true;
    return;
  }
  SSL_set_accept_state(ssl_);
}

Transport::~Transport() {
  if (ssl_ != nullptr) SSL_free(ssl_);
}

IoResult Transport::tls_result(int r) {
  const int err = SSL_get_error(ssl_, r);
  switch (err) {
    case SSL_ERROR_WANT_READ:
      return want(IoResult::Status::kWantRead);
    case SSL_ERROR_WANT_WRITE:
      return want(IoResult::Status::kWantWrite);
    case SSL_ERROR_ZERO_RETURN:
      healthy_ = false;
      return want(IoResult::Status::kEof);
    case SSL_ERROR_SYSCALL: {
      healthy_ = false;
      const int e = errno;
      ERR_clear_error();
      // SSL_OP_IGNORE_UNEXPECTED_EOF makes a FIN without close_notify a clean EOF.
      if (e == 0) return want(IoResult::Status::kEof);
      return error(std::error_code(e, std::system_category()));
    }
    default: {
      healthy_ = false;
      const unsigned long e = ERR_peek_last_error();
      ERR_clear_error();
      return error(std::error_code(static_cast<int>(e != 0 ? e : 1), tls_error_category()));
    }
  }
}

IoResult Transport::handshake() {
  if (handshake_done_) return moved(0);
  if (ssl_ == nullptr) return error(std::make_error_code(std::errc::not_connected));
  ERR_clear_error();
  const int r = SSL_do_handshake(ssl_);
  if (r == 1) {
    handshake_done_ = true;
    return moved(0);
  }
  return tls_result(r);
}

bool Transport::resumed() const {
  return ssl_ != nullptr && SSL_session_reused(ssl_) == 1;
}

bool Transport::has_buffered() const {
  return ssl_ != nullptr && SSL_has_pending(ssl_) == 1;
}

IoResult Transport::read(std::span<std::uint8_t> buf) {
  if (ssl_ == nullptr) {
    const ssize_t n = ::recv(sock_.native_handle(), buf.data(), buf.size(), MSG_DONTWAIT);
    if (n > 0) return moved(static_cast<std::size_t>(n));
    if (n == 0) return want(IoResult::Status::kEof);
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      return want(IoResult::Status::kWantRead);
    }
    return error(std::error_code(errno, std::system_category()));
  }
  ERR_clear_error();
  const int len = static_cast<int>(std::min<std::size_t>(buf.size(), INT_MAX));
  const int r = SSL_read(ssl_, buf.data(), len);
  if (r > 0) return moved(static_cast<std::size_t>(r));
  return tls_result(r);
}

IoResult Transport::write(std::span<const std::uint8_t> buf) {
  if (buf.empty()) return moved(0);
  if (ssl_ == nullptr) {
    const ssize_t n =
        ::send(sock_.native_handle(), buf.data(), buf.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) return moved(static_cast<std::size_t>(n));
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      return want(IoResult::Status::kWantWrite);
    }
    return error(std::error_code(errno, std::system_category()));
  }
  ERR_clear_error();
  const int len = static_cast<int>(std::min<std::size_t>(buf.size(), INT_MAX));
  const int r = SSL_write(ssl_, buf.data(), len);
  if (r > 0) return moved(static_cast<std::size_t>(r));
  return tls_result(r);
}

void Transport::shutdown() {
  if (ssl_ != nullptr && handshake_done_ && healthy_) {
    ERR_clear_error();
    SSL_shutdown(ssl_);  // queues close_notify; a non-blocking socket never waits here
    ERR_clear_error();
  }
  std::error_code ignored;
  sock_.shutdown(asio::socket_base::shutdown_send, ignored);
}

void Transport::abort() {
  std::error_code ignored;
  // RFC 8490 §5.3: a forcible abort is a TCP RST, not a FIN.
  sock_.set_option(asio::socket_base::linger(true, 0), ignored);
  healthy_ = false;
  close();
}

void Transport::close() {
  std::error_code ignored;
  sock_.close(ignored);
}

}  // namespace dnspush::io::detail
