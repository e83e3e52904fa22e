#include "tls_client.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

namespace dnspush::bench {
namespace {

using SocketIo = TlsClient::SocketIo;

// CLOCK_REALTIME (the kernel's timestamps) to the steady clock, at the time of the call.
std::int64_t realtime_to_steady(const timespec& rt) {
  timespec now_rt{}, now_mono{};
  ::clock_gettime(CLOCK_REALTIME, &now_rt);
  ::clock_gettime(CLOCK_MONOTONIC, &now_mono);
  const auto ns = [](const timespec& t) {
    return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
  };
  return ns(rt) - (ns(now_rt) - ns(now_mono));
}

int sock_write(BIO* b, const char* data, std::size_t len, std::size_t* written) {
  auto* io = static_cast<SocketIo*>(BIO_get_data(b));
  BIO_clear_retry_flags(b);
  const ssize_t n = ::send(io->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) BIO_set_retry_write(b);
    return 0;
  }
  io->written += static_cast<std::uint64_t>(n);
  *written = static_cast<std::size_t>(n);
  return 1;
}

int sock_read(BIO* b, char* data, std::size_t len, std::size_t* got) {
  auto* io = static_cast<SocketIo*>(BIO_get_data(b));
  BIO_clear_retry_flags(b);
  iovec iov{data, len};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
  msghdr m{};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = control;
  m.msg_controllen = sizeof control;
  const ssize_t n = ::recvmsg(io->fd, &m, MSG_DONTWAIT);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) BIO_set_retry_read(b);
    return 0;
  }
  if (n == 0) {
    errno = 0;  // end of stream: OpenSSL then reports SSL_ERROR_SYSCALL with errno 0
    return 0;
  }
  for (cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      timespec ts{};
      std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
      io->arrival_ns = realtime_to_steady(ts);
    }
  }
  io->read += static_cast<std::uint64_t>(n);
  *got = static_cast<std::size_t>(n);
  return 1;
}

long sock_ctrl(BIO*, int cmd, long, void*) {
  return cmd == BIO_CTRL_FLUSH ? 1 : 0;  // writes are unbuffered
}

const BIO_METHOD* socket_method() {
  static BIO_METHOD* const kMethod = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "push_load socket");
    BIO_meth_set_write_ex(m, sock_write);
    BIO_meth_set_read_ex(m, sock_read);
    BIO_meth_set_ctrl(m, sock_ctrl);
    BIO_meth_set_create(m, [](BIO* b) {
      BIO_set_init(b, 1);
      return 1;
    });
    return m;
  }();
  return kMethod;
}

}  // namespace

TlsClient::TlsClient(int fd, ssl_ctx_st* ctx) {
  io_.fd = fd;
  const int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
  ssl_ = SSL_new(ctx);
  if (ssl_ == nullptr) return;
  BIO* b = BIO_new(socket_method());
  if (b == nullptr) {
    SSL_free(ssl_);
    ssl_ = nullptr;
    return;
  }
  BIO_set_data(b, &io_);
  SSL_set_bio(ssl_, b, b);  // one BIO both ways; the SSL owns it
  SSL_set_connect_state(ssl_);
}

TlsClient::~TlsClient() {
  SSL_free(ssl_);
}

IoStep TlsClient::result(int r) {
  IoStep s;
  switch (SSL_get_error(ssl_, r)) {
    case SSL_ERROR_WANT_READ:
      s.status = IoStep::Status::kWantRead;
      return s;
    case SSL_ERROR_WANT_WRITE:
      s.status = IoStep::Status::kWantWrite;
      return s;
    case SSL_ERROR_ZERO_RETURN:
      s.status = IoStep::Status::kEof;
      return s;
    case SSL_ERROR_SYSCALL: {
      const int e = errno;
      ERR_clear_error();
      if (e == 0) {
        s.status = IoStep::Status::kEof;
        return s;
      }
      s.status = IoStep::Status::kError;
      s.error = std::strerror(e);
      return s;
    }
    default: {
      char buf[256];
      ERR_error_string_n(ERR_peek_last_error(), buf, sizeof buf);
      ERR_clear_error();
      s.status = IoStep::Status::kError;
      s.error = buf;
      return s;
    }
  }
}

IoStep TlsClient::handshake() {
  if (done_) return {};
  ERR_clear_error();
  const int r = SSL_do_handshake(ssl_);
  if (r == 1) {
    done_ = true;
    return {};
  }
  return result(r);
}

IoStep TlsClient::read(std::span<std::uint8_t> buf) {
  ERR_clear_error();
  const int r =
      SSL_read(ssl_, buf.data(), static_cast<int>(std::min<std::size_t>(buf.size(), INT_MAX)));
  if (r > 0) {
    IoStep s;
    s.bytes = static_cast<std::size_t>(r);
    return s;
  }
  return result(r);
}

IoStep TlsClient::write(std::span<const std::uint8_t> buf) {
  if (buf.empty()) return {};
  ERR_clear_error();
  const int r =
      SSL_write(ssl_, buf.data(), static_cast<int>(std::min<std::size_t>(buf.size(), INT_MAX)));
  if (r > 0) {
    IoStep s;
    s.bytes = static_cast<std::size_t>(r);
    return s;
  }
  return result(r);
}

bool TlsClient::has_buffered() const {
  return SSL_has_pending(ssl_) == 1;
}

}  // namespace dnspush::bench
