// The TLS 1.3 record protection of one established server connection (RFC 8446 §5), taken
// over from OpenSSL once its handshake is done, so that an idle DNS Push session keeps
// ~250 bytes of TLS state instead of OpenSSL's ~13 KiB (SSL object, session, two cipher
// contexts: BENCHMARKS.md). It is what the kernel's TLS offload (kTLS) does, in user space:
// OpenSSL still runs every handshake and does all the cryptography (EVP AEAD, HKDF); this
// file frames records, keeps sequence numbers and nonces (§5.3), and follows the peer's
// KeyUpdate (§4.6.3). Internal to io/.
//
// Sans-IO: ciphertext in, plaintext and ciphertext out; the caller owns the socket.
// Threading: one object per connection, used by one thread at a time. The AEAD context
// is per thread and re-keyed per record (cheap beside the record's system call), which is
// why a connection keeps only keys, IVs, secrets and sequence numbers.
// Bounds: a record's ciphertext is at most 2^14 + 256 bytes and its plaintext 2^14 + 1
// (record_overflow beyond); the only handshake message a client may send after the
// handshake is KeyUpdate (anything else: unexpected_message). Our own write key is
// updated after 2^23 records, well inside AES-GCM's per-key limit (§5.5).
// Failure policy: the first violation fails the layer for good; the fatal alert for it is
// appended to the output (§6.2) and nothing is opened or sealed afterwards.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace dnspush::io::detail {

class Tls13RecordLayer {
 public:
  static constexpr std::size_t kMaxPlaintext = 16384;           // RFC 8446 §5.1
  static constexpr std::size_t kMaxCiphertext = 16384 + 256;    // §5.2
  static constexpr std::size_t kHeader = 5;                     // type, version, length
  static constexpr std::size_t kTag = 16;                       // every TLS 1.3 AEAD
  static constexpr std::size_t kOverhead = kHeader + 1 + kTag;  // + the inner content type
  static constexpr std::uint64_t kRekeyAfter = std::uint64_t{1} << 23;

  enum class State : std::uint8_t {
    kOpen,
    kPeerClosed,  // the peer's close_notify arrived (§6.1): it sends nothing more
    kFailed,      // a violation (ours to report: error()) or the peer's fatal alert
  };

  // `suite` is the IANA cipher suite (0x1301 AES-128-GCM-SHA256, 0x1302
  // AES-256-GCM-SHA384, 0x1303 CHACHA20-POLY1305-SHA256); the secrets are the
  // client_/server_application_traffic_secret_N (§7.1) of the reading and writing
  // directions, and the sequence numbers those of the next record each way. Null when
  // the suite is not one of these or a secret is not the hash's length.
  static std::unique_ptr<Tls13RecordLayer> create(std::uint16_t suite,
                                                  std::span<const std::uint8_t> read_secret,
                                                  std::span<const std::uint8_t> write_secret,
                                                  std::uint64_t read_seq, std::uint64_t write_seq);
  ~Tls13RecordLayer();
  Tls13RecordLayer(const Tls13RecordLayer&) = delete;
  Tls13RecordLayer& operator=(const Tls13RecordLayer&) = delete;

  // Appends `plain` to `out` as application_data records of at most 2^14 bytes each
  // (§5.2), preceded by a KeyUpdate when our key is due for one. False (and nothing
  // appended) when the layer failed or was closed.
  bool seal(std::span<const std::uint8_t> plain, std::vector<std::uint8_t>& out);
  // The most `seal` can append for `n` bytes of plaintext.
  static std::size_t sealed_size(std::size_t n);

  struct Opened {
    std::size_t consumed = 0;   // bytes of whole records taken from the front of `in`
    std::size_t plaintext = 0;  // application data now at the front of `in`
  };
  // Opens the whole records at the front of `in`, in place: the application data they
  // carry is moved to the front of `in`, in order; a trailing partial record is left
  // (not consumed) for the next call. What the layer must send in reply (its KeyUpdate
  // when the peer asked for one, a fatal alert) is appended to `out`. Stops after a
  // close_notify or a violation: see state().
  Opened open(std::span<std::uint8_t> in, std::vector<std::uint8_t>& out);

  // One record of any inner content type (21 alert, 22 handshake, 23 application data,
  // or anything else), for tests and the fuzzer: a peer's view of what may arrive.
  void seal_message(std::uint8_t content_type, std::span<const std::uint8_t> plain,
                    std::vector<std::uint8_t>& out) {
    seal_record(static_cast<ContentType>(content_type), plain, out);
  }

  // Our close_notify (§6.1) appended to `out`; nothing is sealed afterwards.
  void close(std::vector<std::uint8_t>& out);

  State state() const { return state_; }
  // Why the layer failed (empty while open).
  std::string_view error() const { return error_; }
  std::uint64_t read_seq() const { return read_.seq; }
  std::uint64_t write_seq() const { return write_.seq; }
  std::uint64_t key_updates_received() const { return updates_received_; }

 private:
  struct Direction {
    std::array<std::uint8_t, 48> secret{};
    std::array<std::uint8_t, 32> key{};
    std::array<std::uint8_t, 12> iv{};
    std::uint64_t seq = 0;
  };
  enum class ContentType : std::uint8_t {
    kAlert = 21,
    kHandshake = 22,
    kApplicationData = 23,
  };

  explicit Tls13RecordLayer(std::uint8_t suite) : suite_(suite) {}
  bool set_traffic_secret(Direction& d, std::span<const std::uint8_t> secret);
  bool update_traffic_secret(Direction& d);
  void seal_record(ContentType type, std::span<const std::uint8_t> plain,
                   std::vector<std::uint8_t>& out);
  void send_key_update(bool request, std::vector<std::uint8_t>& out);
  bool on_handshake(std::span<const std::uint8_t> data, std::vector<std::uint8_t>& out);
  void fail(std::uint8_t alert, std::string_view why, std::vector<std::uint8_t>& out);

  std::uint8_t suite_;  // index into the suite table
  State state_ = State::kOpen;
  bool closed_ = false;  // our close_notify was sent
  Direction read_;
  Direction write_;
  // A post-handshake handshake message split across records (§5.1 allows it).
  std::array<std::uint8_t, 8> hs_{};
  std::uint8_t hs_len_ = 0;
  std::uint64_t updates_received_ = 0;
  std::string_view error_;
};

}  // namespace dnspush::io::detail
