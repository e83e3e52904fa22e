#include "io/transport.hpp"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>
#include <string_view>

#include "io/tls13_records.hpp"

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

// Counts the TLS records in one direction of the byte stream (RFC 8446 §5.1 headers).
struct RecordCounter {
  std::array<std::uint8_t, 5> header{};
  std::size_t have = 0;       // header bytes seen of the current record
  std::size_t body_left = 0;  // body bytes still to come
  std::uint64_t records = 0;  // records whose header was seen

  void feed(const std::uint8_t* p, std::size_t n) {
    while (n > 0) {
      if (body_left > 0) {
        const std::size_t k = std::min(n, body_left);
        body_left -= k;
        p += k;
        n -= k;
        continue;
      }
      header[have++] = *p++;
      --n;
      if (have == header.size()) {
        body_left = static_cast<std::size_t>(header[3]) << 8 | header[4];
        have = 0;
        ++records;
      }
    }
  }
  bool at_boundary() const { return have == 0 && body_left == 0; }
};

// The bytes a record layer sealed for one call, reused by every connection of the thread.
std::vector<std::uint8_t>& seal_scratch() {
  thread_local std::vector<std::uint8_t> v;
  return v;
}
std::vector<std::uint8_t>& open_scratch() {
  thread_local std::vector<std::uint8_t> v;
  return v;
}

constexpr std::size_t kMaxRecordBytes =
    Tls13RecordLayer::kHeader + Tls13RecordLayer::kMaxCiphertext;
constexpr std::size_t kMaxRecv = 64 * 1024;

}  // namespace

// What the handshake leaves for the takeover: the application traffic secrets (from the
// key log) and the records OpenSSL wrote and read (from its socket BIO).
struct Transport::Capture {
  std::array<std::uint8_t, 48> client_secret{};
  std::array<std::uint8_t, 48> server_secret{};
  std::size_t client_len = 0;
  std::size_t server_len = 0;
  RecordCounter written;
  RecordCounter read;
  std::uint64_t server_mark = 0;  // records written before the server application key
  bool server_mark_ok = false;

  ~Capture() {
    OPENSSL_cleanse(client_secret.data(), client_secret.size());
    OPENSSL_cleanse(server_secret.data(), server_secret.size());
  }
};

namespace {

long count_records(BIO* b, int oper, const char* argp, std::size_t, int, long, int ret,
                   std::size_t* processed) {
  if (ret <= 0 || processed == nullptr || argp == nullptr) return ret;
  auto* c = reinterpret_cast<Transport::Capture*>(BIO_get_callback_arg(b));
  if (c == nullptr) return ret;
  const auto* p = reinterpret_cast<const std::uint8_t*>(argp);
  if (oper == (BIO_CB_WRITE | BIO_CB_RETURN)) c->written.feed(p, *processed);
  if (oper == (BIO_CB_READ | BIO_CB_RETURN)) c->read.feed(p, *processed);
  return ret;
}

bool parse_hex(std::string_view hex, std::uint8_t* out, std::size_t& len, std::size_t max) {
  if (hex.size() % 2 != 0 || hex.size() / 2 > max) return false;
  auto nibble = [](char ch) -> int {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]);
    const int lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i / 2] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  len = hex.size() / 2;
  return true;
}

}  // namespace

void on_tls_key_log(const SSL* ssl, const char* line) {
  auto* t = static_cast<Transport*>(SSL_get_app_data(ssl));
  if (t == nullptr || !t->capture_) return;
  // NSS key log format: "<label> <client random hex> <secret hex>".
  const std::string_view l(line);
  const auto sp1 = l.find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : l.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return;
  const std::string_view label = l.substr(0, sp1);
  const std::string_view hex = l.substr(sp2 + 1);
  Transport::Capture& c = *t->capture_;
  if (label == "CLIENT_TRAFFIC_SECRET_0") {
    if (!parse_hex(hex, c.client_secret.data(), c.client_len, c.client_secret.size())) {
      c.client_len = 0;
    }
  } else if (label == "SERVER_TRAFFIC_SECRET_0") {
    if (!parse_hex(hex, c.server_secret.data(), c.server_len, c.server_secret.size())) {
      c.server_len = 0;
    }
    // OpenSSL switches its write key right after writing its Finished: everything it
    // wrote so far was under earlier keys, every record from now on under this one.
    c.server_mark = c.written.records;
    c.server_mark_ok = c.written.at_boundary();
  }
}

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
  if (tls->take_over_records()) {
    capture_ = std::make_unique<Capture>();
    SSL_set_app_data(ssl_, this);
    BIO* b = SSL_get_rbio(ssl_);  // SSL_set_fd: one socket BIO for both directions
    BIO_set_callback_arg(b, reinterpret_cast<char*>(capture_.get()));
    BIO_set_callback_ex(b, count_records);
  }
}

Transport::~Transport() {
  settle();  // the batch refers to this object and its descriptor until flushed
  if (ssl_ != nullptr) SSL_free(ssl_);
}

void Transport::batch_incomplete(std::span<const std::uint8_t> rest, std::error_code error) {
  if (error) {
    healthy_ = false;
    deferred_error_ = error;
    return;
  }
  // Ahead of anything queued since (a KeyUpdate, a close_notify): it was made first.
  if (tx_off_ == tx_.size()) {
    tx_.clear();
    tx_off_ = 0;
  }
  tx_.insert(tx_.begin() + static_cast<std::ptrdiff_t>(tx_off_), rest.begin(), rest.end());
}

IoResult Transport::flush() {
  settle();
  if (deferred_error_) return error(deferred_error_);
  std::error_code ec;
  if (!flush_tx(ec)) return error(ec);
  if (tx_off_ < tx_.size()) return want(IoResult::Status::kWantWrite);
  return moved(0);
}

bool Transport::take_over_records() {
  Capture& c = *capture_;
  // Only a TLS 1.3 session whose keys we saw, with nothing left inside OpenSSL: no
  // decrypted or undecrypted input, no half-written record.
  if (SSL_version(ssl_) != TLS1_3_VERSION || c.client_len == 0 || c.server_len == 0 ||
      !c.server_mark_ok || SSL_has_pending(ssl_) == 1 || !c.read.at_boundary() ||
      !c.written.at_boundary()) {
    return false;
  }
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl_);
  if (cipher == nullptr) return false;
  // The client's first record under its application key is the next one read: OpenSSL
  // reads no further than the client's Finished without read-ahead. Ours are numbered
  // after the session tickets OpenSSL sent under the server's application key.
  records_ = Tls13RecordLayer::create(
      SSL_CIPHER_get_protocol_id(cipher), std::span(c.client_secret.data(), c.client_len),
      std::span(c.server_secret.data(), c.server_len), 0, c.written.records - c.server_mark);
  if (!records_) return false;
  resumed_ = SSL_session_reused(ssl_) == 1;
  BIO_set_callback_ex(SSL_get_rbio(ssl_), nullptr);
  SSL_free(ssl_);
  ssl_ = nullptr;
  return true;
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
    if (capture_) {
      if (!take_over_records()) BIO_set_callback_ex(SSL_get_rbio(ssl_), nullptr);
      capture_.reset();
    }
    return moved(0);
  }
  return tls_result(r);
}

bool Transport::resumed() const {
  if (records_) return resumed_;
  return ssl_ != nullptr && SSL_session_reused(ssl_) == 1;
}

bool Transport::has_buffered() const {
  if (records_) return plain_off_ < plain_.size();
  return ssl_ != nullptr && SSL_has_pending(ssl_) == 1;
}

IoResult Transport::records_error() {
  healthy_ = false;
  spdlog::debug("tls: {}", records_->error());
  return error(std::make_error_code(std::errc::protocol_error));
}

bool Transport::flush_tx(std::error_code& ec) {
  while (tx_off_ < tx_.size()) {
    const ssize_t n = ::send(sock_.native_handle(), tx_.data() + tx_off_, tx_.size() - tx_off_,
                             MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return true;
      ec = std::error_code(errno, std::system_category());
      return false;
    }
    tx_off_ += static_cast<std::size_t>(n);
  }
  std::vector<std::uint8_t>().swap(tx_);  // an idle connection holds no output
  tx_off_ = 0;
  return true;
}

IoResult Transport::read_records(std::span<std::uint8_t> buf) {
  if (buf.empty()) return moved(0);
  settle();  // a KeyUpdate made below must follow our records still in the batch
  if (plain_off_ < plain_.size()) {
    const std::size_t n = std::min(buf.size(), plain_.size() - plain_off_);
    std::memcpy(buf.data(), plain_.data() + plain_off_, n);
    plain_off_ += n;
    if (plain_off_ == plain_.size()) {
      std::vector<std::uint8_t>().swap(plain_);
      plain_off_ = 0;
    }
    return moved(n);
  }
  std::error_code ec;
  if (tx_off_ < tx_.size() && sealed_len_ == 0) {
    // Our KeyUpdate or alert still owed to the peer goes first (RFC 8446 §4.6.3).
    if (!flush_tx(ec)) return error(ec);
    if (tx_off_ < tx_.size()) return want(IoResult::Status::kWantWrite);
  }
  Tls13RecordLayer& rl = *records_;
  for (;;) {
    if (rl.state() == Tls13RecordLayer::State::kFailed) return records_error();
    if (rl.state() == Tls13RecordLayer::State::kPeerClosed || peer_eof_) {
      return want(IoResult::Status::kEof);
    }
    // Receive behind the partial record kept from last time, open in place.
    auto& in = open_scratch();
    const std::size_t room = std::clamp(buf.size(), kMaxRecordBytes, kMaxRecv);
    in.resize(rx_.size() + room);
    if (!rx_.empty()) std::memcpy(in.data(), rx_.data(), rx_.size());
    const ssize_t n = ::recv(sock_.native_handle(), in.data() + rx_.size(), room, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        return want(IoResult::Status::kWantRead);
      }
      return error(std::error_code(errno, std::system_category()));
    }
    if (n == 0) {
      // A FIN without close_notify is an ordinary end of stream for DNS clients
      // (SSL_OP_IGNORE_UNEXPECTED_EOF when OpenSSL has the records).
      peer_eof_ = true;
      healthy_ = false;
      continue;
    }
    const std::size_t total = rx_.size() + static_cast<std::size_t>(n);
    const auto opened = rl.open(std::span(in.data(), total), tx_);
    if (opened.consumed == total) {
      std::vector<std::uint8_t>().swap(rx_);
    } else {
      rx_.assign(in.begin() + static_cast<std::ptrdiff_t>(opened.consumed),
                 in.begin() + static_cast<std::ptrdiff_t>(total));
    }
    if (tx_off_ < tx_.size() && !flush_tx(ec)) return error(ec);
    if (opened.plaintext == 0) continue;
    const std::size_t k = std::min(buf.size(), opened.plaintext);
    std::memcpy(buf.data(), in.data(), k);
    if (k < opened.plaintext) {
      plain_.assign(in.begin() + static_cast<std::ptrdiff_t>(k),
                    in.begin() + static_cast<std::ptrdiff_t>(opened.plaintext));
      plain_off_ = 0;
    }
    return moved(k);
  }
}

IoResult Transport::write_records(std::span<const std::uint8_t> buf) {
  settle();
  if (deferred_error_) return error(deferred_error_);
  std::error_code ec;
  if (tx_off_ < tx_.size() && !flush_tx(ec)) return error(ec);
  if (tx_off_ < tx_.size()) return want(IoResult::Status::kWantWrite);
  if (sealed_len_ != 0) {
    // The retry of a write whose records were sealed earlier and are now all sent (by
    // this call, or by a read that flushed behind them): never seal it again.
    const std::size_t n = sealed_len_;
    sealed_len_ = 0;
    return moved(n);
  }
  if (batching()) {
    // Sealed straight into the batch, sent with the other connections' at its flush.
    const std::size_t from = batch_->prepare();
    auto& a = batch_->arena();
    if (!records_->seal(buf, a)) {
      a.resize(from);
      return records_error();
    }
    batch_gen_ = batch_->add(sock_.native_handle(), from, *this, batch_tag_);
    return moved(buf.size());
  }
  auto& out = seal_scratch();
  out.clear();
  if (!records_->seal(buf, out)) return records_error();
  const ssize_t n =
      ::send(sock_.native_handle(), out.data(), out.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  std::size_t sent = 0;
  if (n >= 0) {
    sent = static_cast<std::size_t>(n);
  } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
    return error(std::error_code(errno, std::system_category()));
  }
  if (sent == out.size()) return moved(buf.size());
  // The records are sealed (their sequence numbers spent): the rest waits here and the
  // caller retries with the same length, as with SSL_write.
  tx_.assign(out.begin() + static_cast<std::ptrdiff_t>(sent), out.end());
  tx_off_ = 0;
  sealed_len_ = buf.size();
  return want(IoResult::Status::kWantWrite);
}

IoResult Transport::read(std::span<std::uint8_t> buf) {
  if (records_) return read_records(buf);
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
  if (records_) return write_records(buf);
  if (ssl_ == nullptr) {
    settle();
    if (deferred_error_) return error(deferred_error_);
    if (tx_off_ < tx_.size()) {
      // What a batched send left goes first; the caller retries this write after.
      std::error_code ec;
      if (!flush_tx(ec)) return error(ec);
      if (tx_off_ < tx_.size()) return want(IoResult::Status::kWantWrite);
    }
    if (batching()) {
      const std::size_t from = batch_->prepare();
      auto& a = batch_->arena();
      a.insert(a.end(), buf.begin(), buf.end());
      batch_gen_ = batch_->add(sock_.native_handle(), from, *this, batch_tag_);
      return moved(buf.size());
    }
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
  settle();
  if (ssl_ == nullptr && !records_ && healthy_ && tx_off_ < tx_.size()) {
    std::error_code ignored;
    flush_tx(ignored);  // what a batched send left, before the FIN (never waits)
  }
  if (records_ && healthy_) {
    // RFC 8446 §6.1: close_notify, behind anything still owed; never waits.
    records_->close(tx_);
    std::error_code ignored;
    flush_tx(ignored);
  }
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
  settle();
  std::error_code ignored;
  sock_.close(ignored);
}

}  // namespace dnspush::io::detail
