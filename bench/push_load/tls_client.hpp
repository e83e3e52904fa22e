// The client side of TLS on a non-blocking socket, OpenSSL driven directly on the file
// descriptor (the shape of src/io/transport, which only accepts): one-shot calls that
// never wait and say what they moved or what they would block on; the owner waits for
// socket readiness and retries the same call. The bench's load generator only.
//
// The socket is read through a BIO of our own that uses recvmsg with SO_TIMESTAMPNS: the
// kernel's receive time of the last segment read tells when the server's bytes reached
// this socket, apart from when this (busy, shared-core) process got round to reading
// them. On loopback a segment is received in the sender's own send call, so that time is
// the moment the server wrote. The BIO also counts ciphertext bytes each way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

struct ssl_st;
struct ssl_ctx_st;

namespace dnspush::bench {

struct IoStep {
  enum class Status : std::uint8_t {
    kOk,         // `bytes` moved (> 0; 0 for a finished handshake)
    kWantRead,   // retry when the socket is readable
    kWantWrite,  // retry when the socket is writable
    kEof,        // the server closed its side
    kError,      // fatal: `error` says why
  };
  Status status = Status::kOk;
  std::size_t bytes = 0;
  std::string error;
};

class TlsClient {
 public:
  // `fd` is a connected, non-blocking TCP socket, owned by the caller and outliving this.
  TlsClient(int fd, ssl_ctx_st* ctx);
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  bool usable() const { return ssl_ != nullptr; }
  IoStep handshake();
  bool handshake_done() const { return done_; }
  IoStep read(std::span<std::uint8_t> buf);
  // A retry after kWant* must pass the same length (OpenSSL's rule; the buffer may move:
  // the context sets SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER).
  IoStep write(std::span<const std::uint8_t> buf);
  // Decrypted bytes held inside OpenSSL (readable with no new socket data).
  bool has_buffered() const;
  // Ciphertext bytes read from / written to the socket so far.
  std::uint64_t wire_bytes_read() const { return io_.read; }
  std::uint64_t wire_bytes_written() const { return io_.written; }
  // Steady-clock nanoseconds at which the kernel received the last segment read (0 when
  // the kernel gave no timestamp).
  std::int64_t last_arrival_ns() const { return io_.arrival_ns; }

  struct SocketIo {
    int fd = -1;
    std::uint64_t read = 0;
    std::uint64_t written = 0;
    std::int64_t arrival_ns = 0;
  };

 private:
  IoStep result(int r);

  SocketIo io_;
  ssl_st* ssl_ = nullptr;
  bool done_ = false;
};

}  // namespace dnspush::bench
