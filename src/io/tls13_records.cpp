#include "io/tls13_records.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <algorithm>
#include <cstring>
#include <limits>

namespace dnspush::io::detail {
namespace {

// RFC 8446 §6 AlertDescription values this file sends or reads.
constexpr std::uint8_t kCloseNotify = 0;
constexpr std::uint8_t kUnexpectedMessage = 10;
constexpr std::uint8_t kBadRecordMac = 20;
constexpr std::uint8_t kRecordOverflow = 22;
constexpr std::uint8_t kIllegalParameter = 47;
constexpr std::uint8_t kDecodeError = 50;
constexpr std::uint8_t kInternalError = 80;
constexpr std::uint8_t kUserCanceled = 90;
constexpr std::uint8_t kKeyUpdate = 24;                                 // HandshakeType (§4)
constexpr std::size_t kMaxInner = Tls13RecordLayer::kMaxPlaintext + 1;  // §5.4

struct Suite {
  std::uint16_t id;
  const char* cipher;
  const char* digest;
  std::size_t key_len;
  std::size_t hash_len;
};

// RFC 8446 §B.4, less the CCM suites (OpenSSL does not offer them by default).
constexpr Suite kSuites[] = {
    {0x1301, "AES-128-GCM", "SHA256", 16, 32},
    {0x1302, "AES-256-GCM", "SHA384", 32, 48},
    {0x1303, "ChaCha20-Poly1305", "SHA256", 32, 32},
};
constexpr std::size_t kSuiteCount = std::size(kSuites);

// Fetched once per process (thread-safe static initialisation); never freed.
const EVP_CIPHER* cipher_of(std::uint8_t suite) {
  static const auto ciphers = [] {
    std::array<EVP_CIPHER*, kSuiteCount> c{};
    for (std::size_t i = 0; i < kSuiteCount; ++i) {
      c[i] = EVP_CIPHER_fetch(nullptr, kSuites[i].cipher, nullptr);
    }
    return c;
  }();
  return ciphers[suite];
}

EVP_KDF* hkdf() {
  static EVP_KDF* const kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  return kdf;
}

// One AEAD context per suite and thread, re-keyed for every record: a connection then
// keeps no cipher state of its own (OpenSSL's is ~0.9 KiB per direction).
struct ThreadCiphers {
  std::array<EVP_CIPHER_CTX*, kSuiteCount> ctx{};
  ~ThreadCiphers() {
    for (auto* c : ctx) EVP_CIPHER_CTX_free(c);
  }
};

EVP_CIPHER_CTX* cipher_ctx(std::uint8_t suite) {
  thread_local ThreadCiphers t;
  EVP_CIPHER_CTX*& c = t.ctx[suite];
  if (c == nullptr) {
    const EVP_CIPHER* cipher = cipher_of(suite);
    if (cipher == nullptr) return nullptr;
    c = EVP_CIPHER_CTX_new();
    if (c != nullptr && EVP_CipherInit_ex(c, cipher, nullptr, nullptr, nullptr, 1) != 1) {
      EVP_CIPHER_CTX_free(c);
      c = nullptr;
    }
  }
  return c;
}

// HKDF-Expand-Label(Secret, Label, "", Length) (RFC 8446 §7.1).
bool expand_label(const Suite& s, std::span<const std::uint8_t> secret, std::string_view label,
                  std::uint8_t* out, std::size_t len) {
  static constexpr std::string_view kPrefix = "tls13 ";
  std::array<std::uint8_t, 2 + 1 + 6 + 16 + 1> info{};
  if (label.size() > 16 || hkdf() == nullptr) return false;
  std::size_t n = 0;
  info[n++] = static_cast<std::uint8_t>(len >> 8);
  info[n++] = static_cast<std::uint8_t>(len);
  info[n++] = static_cast<std::uint8_t>(kPrefix.size() + label.size());
  for (char ch : kPrefix) info[n++] = static_cast<std::uint8_t>(ch);
  for (char ch : label) info[n++] = static_cast<std::uint8_t>(ch);
  info[n++] = 0;  // empty context
  EVP_KDF_CTX* k = EVP_KDF_CTX_new(hkdf());
  if (k == nullptr) return false;
  int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(s.digest), 0),
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                        const_cast<std::uint8_t*>(secret.data()), secret.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), n),
      OSSL_PARAM_construct_end(),
  };
  const bool ok = EVP_KDF_derive(k, out, len, params) == 1;
  EVP_KDF_CTX_free(k);
  return ok;
}

// §5.3: the 64-bit sequence number, left-padded to the IV's length, XORed into the IV.
std::array<std::uint8_t, 12> nonce(const std::array<std::uint8_t, 12>& iv, std::uint64_t seq) {
  std::array<std::uint8_t, 12> n = iv;
  for (int i = 0; i < 8; ++i) n[4 + i] ^= static_cast<std::uint8_t>(seq >> (56 - 8 * i));
  return n;
}

}  // namespace

std::unique_ptr<Tls13RecordLayer> Tls13RecordLayer::create(
    std::uint16_t suite, std::span<const std::uint8_t> read_secret,
    std::span<const std::uint8_t> write_secret, std::uint64_t read_seq, std::uint64_t write_seq) {
  std::uint8_t index = 0;
  while (index < kSuiteCount && kSuites[index].id != suite) ++index;
  if (index == kSuiteCount || cipher_of(index) == nullptr) return nullptr;
  const std::size_t hash_len = kSuites[index].hash_len;
  if (read_secret.size() != hash_len || write_secret.size() != hash_len) return nullptr;
  std::unique_ptr<Tls13RecordLayer> l(new Tls13RecordLayer(index));
  if (!l->set_traffic_secret(l->read_, read_secret) ||
      !l->set_traffic_secret(l->write_, write_secret)) {
    return nullptr;
  }
  l->read_.seq = read_seq;
  l->write_.seq = write_seq;
  return l;
}

Tls13RecordLayer::~Tls13RecordLayer() {
  OPENSSL_cleanse(&read_, sizeof read_);
  OPENSSL_cleanse(&write_, sizeof write_);
}

bool Tls13RecordLayer::set_traffic_secret(Direction& d, std::span<const std::uint8_t> secret) {
  const Suite& s = kSuites[suite_];
  std::copy(secret.begin(), secret.end(), d.secret.begin());
  d.seq = 0;
  // §7.3: the traffic key and IV of a traffic secret.
  return expand_label(s, secret, "key", d.key.data(), s.key_len) &&
         expand_label(s, secret, "iv", d.iv.data(), d.iv.size());
}

bool Tls13RecordLayer::update_traffic_secret(Direction& d) {
  // §7.2: application_traffic_secret_N+1 = HKDF-Expand-Label(secret_N, "traffic upd", "",
  // Hash.length)
  const Suite& s = kSuites[suite_];
  std::array<std::uint8_t, 48> next{};
  if (!expand_label(s, std::span(d.secret.data(), s.hash_len), "traffic upd", next.data(),
                    s.hash_len)) {
    return false;
  }
  const bool ok = set_traffic_secret(d, std::span(next.data(), s.hash_len));
  OPENSSL_cleanse(next.data(), next.size());
  return ok;
}

std::size_t Tls13RecordLayer::sealed_size(std::size_t n) {
  const std::size_t records = n == 0 ? 0 : (n + kMaxPlaintext - 1) / kMaxPlaintext;
  // ... and room for a KeyUpdate record (4 + 1 bytes of message).
  return n + records * kOverhead + (kOverhead + 5);
}

void Tls13RecordLayer::seal_record(ContentType type, std::span<const std::uint8_t> plain,
                                   std::vector<std::uint8_t>& out) {
  const std::size_t n = plain.size();
  const std::size_t at = out.size();
  const std::size_t len = n + 1 + kTag;
  out.resize(at + kHeader + len);
  std::uint8_t* h = out.data() + at;
  // §5.2: the outer header of a protected record is always application_data, 0x0303.
  h[0] = static_cast<std::uint8_t>(ContentType::kApplicationData);
  h[1] = 3;
  h[2] = 3;
  h[3] = static_cast<std::uint8_t>(len >> 8);
  h[4] = static_cast<std::uint8_t>(len);
  std::uint8_t* body = h + kHeader;
  if (n != 0) std::memcpy(body, plain.data(), n);
  body[n] = static_cast<std::uint8_t>(type);
  const auto iv = nonce(write_.iv, write_.seq);
  EVP_CIPHER_CTX* c = cipher_ctx(suite_);
  int l = 0;
  const bool ok =
      c != nullptr &&
      EVP_CipherInit_ex(c, nullptr, nullptr, write_.key.data(), iv.data(), 1) == 1 &&
      EVP_CipherUpdate(c, nullptr, &l, h, static_cast<int>(kHeader)) == 1 &&  // §5.2 AAD
      EVP_CipherUpdate(c, body, &l, body, static_cast<int>(n + 1)) == 1 &&
      EVP_CipherFinal_ex(c, body + n + 1, &l) == 1 &&
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kTag), body + n + 1) == 1;
  ++write_.seq;
  if (!ok) {
    // Nothing usable was produced: take the record back and fail without an alert (it
    // could not be sealed either).
    out.resize(at);
    state_ = State::kFailed;
    closed_ = true;
    error_ = "record encryption failed";
  }
}

bool Tls13RecordLayer::seal(std::span<const std::uint8_t> plain, std::vector<std::uint8_t>& out) {
  if (state_ == State::kFailed || closed_) return false;
  out.reserve(out.size() + sealed_size(plain.size()));
  while (!plain.empty() && state_ != State::kFailed) {
    if (write_.seq >= kRekeyAfter) send_key_update(false, out);
    const std::size_t n = std::min(plain.size(), kMaxPlaintext);
    seal_record(ContentType::kApplicationData, plain.first(n), out);
    plain = plain.subspan(n);
  }
  return state_ != State::kFailed;
}

void Tls13RecordLayer::send_key_update(bool request, std::vector<std::uint8_t>& out) {
  // §4.6.3: sent under the old key, then ours changes.
  const std::uint8_t msg[] = {kKeyUpdate, 0, 0, 1, static_cast<std::uint8_t>(request ? 1 : 0)};
  seal_record(ContentType::kHandshake, msg, out);
  if (state_ != State::kFailed && !update_traffic_secret(write_)) {
    state_ = State::kFailed;
    closed_ = true;
    error_ = "key update failed";
  }
}

void Tls13RecordLayer::close(std::vector<std::uint8_t>& out) {
  if (closed_ || state_ == State::kFailed) return;
  const std::uint8_t alert[] = {1, kCloseNotify};
  seal_record(ContentType::kAlert, alert, out);
  closed_ = true;
}

void Tls13RecordLayer::fail(std::uint8_t alert, std::string_view why,
                            std::vector<std::uint8_t>& out) {
  if (state_ == State::kFailed) return;
  state_ = State::kFailed;
  error_ = why;
  if (!closed_) {
    // §6.2: a fatal alert, then the connection is closed.
    const std::uint8_t a[] = {2, alert};
    seal_record(ContentType::kAlert, a, out);
    closed_ = true;
  }
}

bool Tls13RecordLayer::on_handshake(std::span<const std::uint8_t> data,
                                    std::vector<std::uint8_t>& out) {
  while (!data.empty()) {
    const std::size_t want = hs_len_ < 4 ? 4 : 5;
    const std::size_t take = std::min(data.size(), want - hs_len_);
    std::copy_n(data.begin(), take, hs_.begin() + hs_len_);
    hs_len_ = static_cast<std::uint8_t>(hs_len_ + take);
    data = data.subspan(take);
    if (hs_len_ == 4) {
      // §4.6: after the handshake a client may send KeyUpdate only (we request no
      // post-handshake authentication; NewSessionTicket comes from servers).
      if (hs_[0] != kKeyUpdate) {
        fail(kUnexpectedMessage, "a handshake message other than KeyUpdate after the handshake",
             out);
        return false;
      }
      if (hs_[1] != 0 || hs_[2] != 0 || hs_[3] != 1) {
        fail(kDecodeError, "a KeyUpdate of the wrong length", out);
        return false;
      }
      continue;
    }
    if (hs_len_ < 5) continue;
    const std::uint8_t request = hs_[4];
    hs_len_ = 0;
    if (request > 1) {
      fail(kIllegalParameter, "a KeyUpdate with an unknown request_update value", out);
      return false;
    }
    if (!data.empty()) {
      // §5.1: a message that changes keys must end its record.
      fail(kUnexpectedMessage, "data after a KeyUpdate in the same record", out);
      return false;
    }
    if (!update_traffic_secret(read_)) {
      fail(kInternalError, "key update failed", out);
      return false;
    }
    ++updates_received_;
    // §4.6.3: update_requested is answered with our own KeyUpdate before any more data.
    if (request == 1 && !closed_) send_key_update(false, out);
  }
  return state_ != State::kFailed;
}

Tls13RecordLayer::Opened Tls13RecordLayer::open(std::span<std::uint8_t> in,
                                                std::vector<std::uint8_t>& out) {
  Opened r;
  while (state_ == State::kOpen && in.size() - r.consumed >= kHeader) {
    std::uint8_t* h = in.data() + r.consumed;
    const std::size_t len = static_cast<std::size_t>(h[3]) << 8 | h[4];
    // §5: after the handshake every record is protected (outer type application_data); a
    // change_cipher_spec is no longer tolerated (§5, §D.4). The version is ignored.
    if (h[0] != static_cast<std::uint8_t>(ContentType::kApplicationData)) {
      fail(kUnexpectedMessage, "an unprotected record after the handshake", out);
      break;
    }
    if (len > kMaxCiphertext) {
      fail(kRecordOverflow, "a record longer than 2^14 + 256 bytes", out);
      break;
    }
    if (in.size() - r.consumed - kHeader < len) break;  // wait for the rest
    r.consumed += kHeader + len;
    if (len < kTag + 1) {
      fail(kBadRecordMac, "a record too short to be protected", out);
      break;
    }
    std::uint8_t* body = h + kHeader;
    const std::size_t ct = len - kTag;
    if (ct > kMaxInner) {
      fail(kRecordOverflow, "a record's plaintext longer than 2^14 + 1 bytes", out);
      break;
    }
    if (read_.seq == std::numeric_limits<std::uint64_t>::max()) {
      fail(kInternalError, "the read sequence number would wrap", out);
      break;
    }
    const auto iv = nonce(read_.iv, read_.seq);
    EVP_CIPHER_CTX* c = cipher_ctx(suite_);
    int l = 0;
    const bool ok =
        c != nullptr &&
        EVP_CipherInit_ex(c, nullptr, nullptr, read_.key.data(), iv.data(), 0) == 1 &&
        EVP_CipherUpdate(c, nullptr, &l, h, static_cast<int>(kHeader)) == 1 &&
        EVP_CipherUpdate(c, body, &l, body, static_cast<int>(ct)) == 1 &&
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kTag), body + ct) == 1 &&
        EVP_CipherFinal_ex(c, body + ct, &l) == 1;
    if (!ok) {
      fail(kBadRecordMac, "a record failed authentication", out);  // §5.2
      break;
    }
    ++read_.seq;
    // §5.4: the content type is the last non-zero byte; zeros after it are padding.
    std::size_t m = ct;
    while (m > 0 && body[m - 1] == 0) --m;
    if (m == 0) {
      fail(kUnexpectedMessage, "a record without a content type", out);
      break;
    }
    const std::uint8_t type = body[m - 1];
    --m;
    switch (static_cast<ContentType>(type)) {
      case ContentType::kApplicationData:
        if (hs_len_ != 0) {
          // §5.1: handshake messages are not interleaved with other record types.
          fail(kUnexpectedMessage, "application data inside a handshake message", out);
          break;
        }
        if (m != 0) std::memmove(in.data() + r.plaintext, body, m);
        r.plaintext += m;
        break;
      case ContentType::kHandshake:
        if (m == 0) {
          fail(kUnexpectedMessage, "an empty handshake record", out);  // §5.1
          break;
        }
        on_handshake(std::span<const std::uint8_t>(body, m), out);
        break;
      case ContentType::kAlert:
        // §5.1: exactly one alert per record; §6: only close_notify and user_canceled are
        // not errors.
        if (m != 2 || hs_len_ != 0) {
          fail(kDecodeError, "a malformed alert record", out);
          break;
        }
        if (body[1] == kCloseNotify) {
          state_ = State::kPeerClosed;
        } else if (body[1] != kUserCanceled) {
          state_ = State::kFailed;
          closed_ = true;  // §6.2: no alert in answer to a fatal one
          error_ = "the peer sent a fatal alert";
        }
        break;
      default:
        fail(kUnexpectedMessage, "a record of an unknown content type", out);
        break;
    }
  }
  return r;
}

}  // namespace dnspush::io::detail
