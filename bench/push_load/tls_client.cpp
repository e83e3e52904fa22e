#include "tls_client.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

namespace dnspush::bench {

TlsClient::TlsClient(int fd, ssl_ctx_st* ctx) {
  ssl_ = SSL_new(ctx);
  if (ssl_ == nullptr) return;
  if (SSL_set_fd(ssl_, fd) != 1) {
    SSL_free(ssl_);
    ssl_ = nullptr;
    return;
  }
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

std::uint64_t TlsClient::wire_bytes_read() const {
  return BIO_number_read(SSL_get_rbio(ssl_));
}

std::uint64_t TlsClient::wire_bytes_written() const {
  return BIO_number_written(SSL_get_wbio(ssl_));
}

}  // namespace dnspush::bench
