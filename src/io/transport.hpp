// Non-blocking byte transport of one accepted connection, plain TCP or TLS (OpenSSL driven
// on the file descriptor, DESIGN.md), as one-shot calls that never wait: each says how
// much it moved or what it would block on, and the connection arms readiness waits on the
// socket accordingly. Internal to io/. TLS may want to write during a read and read
// during a write (TLS 1.3 key updates, tickets): the result says which.
//
// A TLS 1.3 connection is handed from OpenSSL to our own record layer (tls13_records.hpp)
// once the handshake is done, when the context allows it (TlsContext::take_over_records):
// the SSL object, its session and cipher contexts (~13 KiB) are freed and the connection
// keeps keys and sequence numbers only. The traffic secrets come from OpenSSL's key log
// callback; the number of records OpenSSL wrote under the server's application key (the
// session tickets) is counted by a callback on its socket BIO. TLS 1.2 stays with OpenSSL.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <system_error>
#include <vector>

#include "io/asio.hpp"
#include "io/send_batch.hpp"
#include "io/tls_context.hpp"

struct ssl_st;

namespace dnspush::io::detail {

class Tls13RecordLayer;

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

class Transport final : public SendBatch::Owner {
 public:
  // `tls` null: plain TCP. The socket is made non-blocking.
  Transport(asio::ip::tcp::socket s, const TlsContext* tls);
  ~Transport() override;
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  asio::ip::tcp::socket& socket() { return sock_; }
  bool tls() const { return ssl_ != nullptr || tls_failed_ || records_ != nullptr; }
  // TLS: one step of the server handshake (kOk when done). TCP: kOk at once.
  IoResult handshake();
  bool handshake_done() const { return handshake_done_; }
  // The TLS records are ours (OpenSSL's state was freed after the handshake).
  bool records_taken_over() const { return records_ != nullptr; }
  // TLS: whether the client resumed a session (RFC 8446 §2.2 / the seed's §7.4).
  bool resumed() const;
  // Decrypted bytes already buffered inside OpenSSL (readable without the socket).
  bool has_buffered() const;
  IoResult read(std::span<std::uint8_t> buf);
  // Writes from the start of `buf`; with TLS a retry after kWant* must pass the same
  // length (OpenSSL's rule; the buffer may move: SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER).
  IoResult write(std::span<const std::uint8_t> buf);
  // While `batch` is active, writes of plain TCP and of our own TLS records join it
  // (send_batch.hpp): reported written, sent at its flush. `tag` names this connection
  // to the batch's wake callback.
  void use_batch(SendBatch* batch, std::uint64_t tag) {
    batch_ = batch;
    batch_tag_ = tag;
  }
  // Bytes written (reported moved) but not yet accepted by the socket: what a batched send
  // left, or a failure it met. flush() sends them: kOk when none remain, kWantWrite.
  bool owes() const { return tx_off_ < tx_.size() || deferred_error_; }
  std::size_t unsent() const { return tx_.size() - tx_off_; }
  IoResult flush();
  // Graceful: a TLS close_notify if the session is healthy (never waits), then FIN.
  void shutdown();
  // Abortive close: RST (SO_LINGER 0), nothing more sent.
  void abort();
  void close();

  struct Capture;  // what the handshake leaves for the takeover (transport.cpp)

 private:
  friend void on_tls_key_log(const ssl_st* ssl, const char* line);
  IoResult tls_result(int r);
  bool take_over_records();
  IoResult read_records(std::span<std::uint8_t> buf);
  IoResult write_records(std::span<const std::uint8_t> buf);
  // Sends what tx_ holds; false on a socket error (EAGAIN is not one).
  bool flush_tx(std::error_code& ec);
  IoResult records_error();
  // Our entry in the batch, if it still waits, is sent first: nothing may overtake it.
  void settle() {
    if (batch_ != nullptr && batch_->holds(batch_gen_)) batch_->flush();
  }
  bool batching() const { return batch_ != nullptr && batch_->active(); }
  void batch_incomplete(std::span<const std::uint8_t> rest, std::error_code error) override;

  asio::ip::tcp::socket sock_;
  ssl_st* ssl_ = nullptr;
  bool tls_failed_ = false;  // TLS was wanted but the SSL object could not be made
  bool handshake_done_ = false;
  bool healthy_ = true;
  bool resumed_ = false;                       // kept from OpenSSL when the records are taken over
  bool peer_eof_ = false;                      // the TCP stream ended (records taken over)
  std::unique_ptr<Capture> capture_;           // during the handshake only
  std::unique_ptr<Tls13RecordLayer> records_;  // after it, when taken over
  // With our records: a partial record received (rx_), plaintext opened but not yet
  // read (plain_ from plain_off_), and records sealed but not yet sent (tx_ from
  // tx_off_; sealed_len_ is the caller's write they complete, 0 for our own KeyUpdate
  // or alert). Each is empty, and holds no memory, while the connection is idle.
  std::vector<std::uint8_t> rx_;
  std::vector<std::uint8_t> plain_;
  std::size_t plain_off_ = 0;
  std::vector<std::uint8_t> tx_;
  std::size_t tx_off_ = 0;
  std::size_t sealed_len_ = 0;
  SendBatch* batch_ = nullptr;
  std::uint64_t batch_tag_ = 0;
  std::uint64_t batch_gen_ = 0;     // of our last entry (SendBatch::holds)
  std::error_code deferred_error_;  // a batched send failed: the next call reports it
};

// OpenSSL's key log callback of server contexts that take records over (tls_context.cpp).
void on_tls_key_log(const ssl_st* ssl, const char* line);

// The category of errors OpenSSL reports (handshake failure, bad record, alert).
const std::error_category& tls_error_category();

// OpenSSL's socket BIO writes with write(2), which raises SIGPIPE when the peer has gone
// (our own sends use MSG_NOSIGNAL); a network process wants EPIPE instead. Idempotent.
void ignore_sigpipe();

}  // namespace dnspush::io::detail
