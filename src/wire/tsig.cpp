#include "wire/tsig.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <utility>

#include "wire/reader.hpp"

namespace dnspush::wire {

namespace {

constexpr std::uint16_t kClassAny = static_cast<std::uint16_t>(RRClass::ANY);
constexpr std::uint16_t kTypeTsig = static_cast<std::uint16_t>(RRType::TSIG);
// RFC 8945 §5.3.1: at most 99 unsigned messages between two signed ones.
constexpr std::size_t kMaxUnsignedRun = 99;

struct AlgInfo {
  TsigAlgorithm alg;
  std::string_view text;
  const char* digest;  // OpenSSL digest name
  std::size_t size;
};

constexpr std::array<AlgInfo, 4> kAlgs = {{
    {TsigAlgorithm::kHmacSha1, "hmac-sha1", "SHA1", 20},
    {TsigAlgorithm::kHmacSha256, "hmac-sha256", "SHA256", 32},
    {TsigAlgorithm::kHmacSha384, "hmac-sha384", "SHA384", 48},
    {TsigAlgorithm::kHmacSha512, "hmac-sha512", "SHA512", 64},
}};

const AlgInfo& info(TsigAlgorithm a) {
  for (const auto& i : kAlgs) {
    if (i.alg == a) return i;
  }
  return kAlgs[1];
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void put_u16(std::vector<std::uint8_t>& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}

void put_u48(std::vector<std::uint8_t>& b, std::uint64_t v) {
  for (int shift = 40; shift >= 0; shift -= 8) b.push_back(static_cast<std::uint8_t>(v >> shift));
}

std::uint16_t get_u16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}

// One HMAC computation over EVP_MAC (OpenSSL 3).
class Hmac {
 public:
  explicit Hmac(const TsigKey& key) : size_(info(key.alg).size) {
    static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (mac == nullptr) return;
    ctx_ = EVP_MAC_CTX_new(mac);
    if (ctx_ == nullptr) return;
    char* digest = const_cast<char*>(info(key.alg).digest);
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    ok_ = EVP_MAC_init(ctx_, key.secret.data(), key.secret.size(), params) == 1;
  }
  ~Hmac() { EVP_MAC_CTX_free(ctx_); }
  Hmac(const Hmac&) = delete;
  Hmac& operator=(const Hmac&) = delete;

  void update(std::span<const std::uint8_t> b) {
    if (ok_ && !b.empty()) ok_ = EVP_MAC_update(ctx_, b.data(), b.size()) == 1;
  }
  void update_u16(std::uint16_t v) {
    const std::uint8_t b[2] = {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
    update(b);
  }
  Result<std::vector<std::uint8_t>> finish() {
    std::vector<std::uint8_t> out(size_);
    std::size_t len = 0;
    if (!ok_ || EVP_MAC_final(ctx_, out.data(), &len, out.size()) != 1 || len != size_) {
      return fail(Errc::kIo, "HMAC computation failed in libcrypto");
    }
    ok_ = false;  // a context is finished once
    return out;
  }

 private:
  EVP_MAC_CTX* ctx_ = nullptr;
  std::size_t size_;
  bool ok_ = false;
};

// RFC 8945 §4.3.2/§4.3.3: a prior MAC enters the digest as its size and its bytes.
void feed_mac(Hmac& h, std::span<const std::uint8_t> mac) {
  h.update_u16(static_cast<std::uint16_t>(mac.size()));
  h.update(mac);
}

// A received message as the signer saw it (§4.3.3): the TSIG RR removed, ARCOUNT one
// less, and the ID it had when signed (Original ID).
void feed_received(Hmac& h, std::span<const std::uint8_t> bytes, std::size_t tsig_offset,
                   std::uint16_t original_id) {
  h.update_u16(original_id);
  h.update(bytes.subspan(2, 8));
  h.update_u16(static_cast<std::uint16_t>(get_u16(bytes, 10) - 1));
  h.update(bytes.subspan(kHeaderSize, tsig_offset - kHeaderSize));
}

void feed_timers(Hmac& h, std::uint64_t time_signed, std::uint16_t fudge) {
  std::vector<std::uint8_t> b;
  put_u48(b, time_signed);
  put_u16(b, fudge);
  h.update(b);
}

// §4.3.3 TSIG variables; names in canonical (lower-case, uncompressed) form.
void feed_variables(Hmac& h, const Name& key_name, const Name& alg_name, std::uint64_t time_signed,
                    std::uint16_t fudge, Rcode error, std::span<const std::uint8_t> other) {
  h.update(key_name.to_lower().wire());
  h.update_u16(kClassAny);
  const std::uint8_t ttl[4] = {0, 0, 0, 0};
  h.update(ttl);
  h.update(alg_name.to_lower().wire());
  feed_timers(h, time_signed, fudge);
  h.update_u16(static_cast<std::uint16_t>(error));
  h.update_u16(static_cast<std::uint16_t>(other.size()));
  h.update(other);
}

struct TsigFields {
  const Name& key_name;
  const Name& alg_name;
  std::uint64_t time_signed;
  std::uint16_t fudge;
  std::span<const std::uint8_t> mac;
  Rcode error;
  std::span<const std::uint8_t> other;
};

// Appends the TSIG RR (RFC 8945 §4.2: class ANY, TTL 0, names never compressed) and
// counts it in ARCOUNT. The Original ID is the message's own ID.
Result<void> append_tsig(std::vector<std::uint8_t>& msg, const TsigFields& f) {
  if (msg.size() < kHeaderSize) return fail(Errc::kMalformed, "message shorter than a header");
  const std::uint16_t arcount = get_u16(msg, 10);
  if (arcount == 0xFFFF) return fail(Errc::kOutOfRange, "ARCOUNT full");
  const std::size_t rdlen =
      f.alg_name.wire_size() + 6 + 2 + 2 + f.mac.size() + 2 + 2 + 2 + f.other.size();
  if (msg.size() + f.key_name.wire_size() + 10 + rdlen > 65535) {
    return fail(Errc::kOutOfRange, "no room for TSIG in a 64 KiB message");
  }
  const std::uint16_t id = get_u16(msg, 0);
  const auto kn = f.key_name.wire();
  msg.insert(msg.end(), kn.begin(), kn.end());
  put_u16(msg, kTypeTsig);
  put_u16(msg, kClassAny);
  put_u16(msg, 0);
  put_u16(msg, 0);
  put_u16(msg, static_cast<std::uint16_t>(rdlen));
  const auto an = f.alg_name.wire();
  msg.insert(msg.end(), an.begin(), an.end());
  put_u48(msg, f.time_signed);
  put_u16(msg, f.fudge);
  put_u16(msg, static_cast<std::uint16_t>(f.mac.size()));
  msg.insert(msg.end(), f.mac.begin(), f.mac.end());
  put_u16(msg, id);
  put_u16(msg, static_cast<std::uint16_t>(f.error));
  put_u16(msg, static_cast<std::uint16_t>(f.other.size()));
  msg.insert(msg.end(), f.other.begin(), f.other.end());
  msg[10] = static_cast<std::uint8_t>((arcount + 1) >> 8);
  msg[11] = static_cast<std::uint8_t>(arcount + 1);
  return {};
}

// Signs `msg` (complete, without TSIG) with all TSIG variables (§4.3.1, §4.3.2) and
// appends the TSIG RR. `prior` is the request MAC for answers, empty for requests.
Result<std::vector<std::uint8_t>> sign_full(std::vector<std::uint8_t>& msg, const TsigKey& key,
                                            std::span<const std::uint8_t> prior, bool has_prior,
                                            std::uint64_t time_signed, std::uint16_t fudge,
                                            Rcode error, std::span<const std::uint8_t> other) {
  if (msg.size() < kHeaderSize) return fail(Errc::kMalformed, "message shorter than a header");
  const Name alg = algorithm_name(key.alg);
  Hmac h(key);
  if (has_prior) feed_mac(h, prior);
  h.update(msg);
  feed_variables(h, key.name, alg, time_signed, fudge, error, other);
  auto mac = h.finish();
  if (!mac) return mac;
  auto r = append_tsig(msg, {key.name, alg, time_signed, fudge, *mac, error, other});
  if (!r) return tl::unexpected(r.error());
  return mac;
}

bool time_ok(std::uint64_t now, std::uint64_t signed_at, std::uint16_t fudge) {
  const std::uint64_t skew = now > signed_at ? now - signed_at : signed_at - now;
  return skew <= fudge;
}

// §5.2.2.1 size rules: FORMERR when longer than the hash or shorter than allowed.
bool mac_size_allowed(TsigAlgorithm a, std::size_t size) {
  return size <= digest_size(a) && size >= min_truncated_size(a);
}

// MAC (§5.2.2, truncated compare §5.2.2.1), time (§5.2.3) and local truncation policy
// (§5.2.4), in the RFC's order, once the size rules passed.
Rcode check_mac(const TsigKey& key, const TsigRecord& t, std::span<const std::uint8_t> computed,
                std::uint64_t now, const TsigVerifyOptions& opts) {
  if (t.mac.size() > computed.size() ||
      CRYPTO_memcmp(t.mac.data(), computed.data(), t.mac.size()) != 0) {
    return kBadSig;
  }
  if (!time_ok(now, t.time_signed, t.fudge)) return Rcode::BADTIME;
  const std::size_t policy = std::min(opts.min_mac_size, digest_size(key.alg));
  if (t.mac.size() < policy) return Rcode::BADTRUNC;
  return Rcode::NOERROR;
}

// Parses the TSIG at `offset` and fills the fields every verification shares.
std::optional<TsigRecord> read_tsig(std::span<const std::uint8_t> bytes,
                                    std::optional<std::size_t> offset) {
  if (!offset || bytes.size() < kHeaderSize || *offset < kHeaderSize || get_u16(bytes, 10) == 0) {
    return std::nullopt;
  }
  auto t = TsigRecord::parse(bytes, *offset);
  if (!t) return std::nullopt;
  return std::move(*t);
}

// Verifies one signed message whose digest starts with `prior` (request MAC, or none).
TsigVerifyResult verify_one(std::span<const std::uint8_t> bytes, std::size_t offset, TsigRecord t,
                            const TsigKey& key, std::optional<std::span<const std::uint8_t>> prior,
                            std::uint64_t now, const TsigVerifyOptions& opts) {
  TsigVerifyResult v;
  v.time_signed = t.time_signed;
  v.tsig = std::move(t);
  const TsigRecord& r = v.tsig;
  const auto alg = algorithm_from_name(r.algorithm);
  // §5.2.1: unknown key, or an algorithm other than the key's, is BADKEY.
  if (!(r.key_name == key.name) || !alg || *alg != key.alg) {
    v.error = Rcode::BADKEY;
    return v;
  }
  v.key = key;
  if (!mac_size_allowed(key.alg, r.mac.size())) {
    v.error = Rcode::FORMERR;
    return v;
  }
  Hmac h(key);
  if (prior) feed_mac(h, *prior);
  feed_received(h, bytes, offset, r.original_id);
  feed_variables(h, r.key_name, r.algorithm, r.time_signed, r.fudge, r.error, r.other);
  auto mac = h.finish();
  if (!mac) {
    v.error = Rcode::SERVFAIL;
    return v;
  }
  v.error = check_mac(key, r, *mac, now, opts);
  // §5.2.2.1: the answer chains the MAC as received (truncated if it was).
  v.request_mac = r.mac;
  return v;
}

}  // namespace

// ---- algorithms, base64, keys ----------------------------------------------------------

Name algorithm_name(TsigAlgorithm a) {
  static const std::array<Name, 4> names = [] {
    std::array<Name, 4> n;
    for (std::size_t i = 0; i < kAlgs.size(); ++i) {
      n[i] = *Name::from_text(std::string(kAlgs[i].text) + ".");
    }
    return n;
  }();
  for (std::size_t i = 0; i < kAlgs.size(); ++i) {
    if (kAlgs[i].alg == a) return names[i];
  }
  return names[1];
}

std::string_view algorithm_text(TsigAlgorithm a) {
  return info(a).text;
}

std::optional<TsigAlgorithm> algorithm_from_name(const Name& n) {
  for (const auto& i : kAlgs) {
    if (algorithm_name(i.alg) == n) return i.alg;
  }
  return std::nullopt;
}

Result<TsigAlgorithm> algorithm_from_text(std::string_view s) {
  std::string t = lower(s);
  if (!t.empty() && t.back() == '.') t.pop_back();
  for (const auto& i : kAlgs) {
    if (t == i.text) return i.alg;
  }
  if (t == "hmac-md5" || t == "hmac-md5.sig-alg.reg.int") {
    return fail(Errc::kInvalidConfig, "TSIG algorithm hmac-md5 is not supported (BADALG)");
  }
  return fail(Errc::kInvalidConfig, "unknown TSIG algorithm '" + std::string(s) + "'");
}

std::size_t digest_size(TsigAlgorithm a) {
  return info(a).size;
}

std::size_t min_truncated_size(TsigAlgorithm a) {
  return std::max<std::size_t>(10, digest_size(a) / 2);
}

Result<TsigKey> TsigKey::from_fields(std::string_view name, std::string_view algorithm,
                                     std::string_view base64_secret) {
  if (name.empty()) return fail(Errc::kInvalidConfig, "empty TSIG key name");
  auto n = Name::from_text(name);
  if (!n) return fail(Errc::kInvalidConfig, "bad TSIG key name: " + n.error().message);
  auto alg = algorithm_from_text(algorithm);
  if (!alg) return tl::unexpected(alg.error());
  auto secret = base64_decode(base64_secret);
  if (!secret) {
    return fail(Errc::kInvalidConfig,
                "TSIG key " + std::string(name) + ": " + secret.error().message);
  }
  if (secret->empty()) return fail(Errc::kInvalidConfig, "empty TSIG secret");
  return TsigKey{std::move(*n), *alg, std::move(*secret)};
}

Result<TsigKey> TsigKey::from_string(std::string_view spec) {
  const auto last = spec.rfind(':');
  if (last == std::string_view::npos) {
    return fail(Errc::kInvalidConfig, "TSIG key must be [alg:]name:secret");
  }
  const std::string_view secret = spec.substr(last + 1);
  const std::string_view head = spec.substr(0, last);
  const auto first = head.find(':');
  if (first == std::string_view::npos) return from_fields(head, "hmac-sha256", secret);
  const std::string_view name = head.substr(first + 1);
  if (name.find(':') != std::string_view::npos) {
    return fail(Errc::kInvalidConfig, "TSIG key must be [alg:]name:secret");
  }
  return from_fields(name, head.substr(0, first), secret);
}

Result<void> TsigKeyring::add(TsigKey key) {
  Name n = key.name;
  if (!keys_.emplace(std::move(n), std::move(key)).second) {
    return fail(Errc::kInvalidConfig, "duplicate TSIG key name");
  }
  return {};
}

const TsigKey* TsigKeyring::find(const Name& name) const {
  const auto it = keys_.find(name);
  return it == keys_.end() ? nullptr : &it->second;
}

// ---- the record ---------------------------------------------------------------------

Result<TsigRecord> TsigRecord::parse(std::span<const std::uint8_t> msg, std::size_t offset) {
  if (offset > msg.size()) return fail(Errc::kMalformed, "TSIG offset past the message");
  Reader r(msg);
  r.skip(offset);
  TsigRecord t;
  t.key_name = r.name();
  const std::uint16_t type = r.u16();
  const std::uint16_t cls = r.u16();
  const std::uint32_t ttl = r.u32();
  const std::uint16_t rdlen = r.u16();
  if (!r.ok()) return fail(Errc::kMalformed, "truncated TSIG record");
  // RFC 8945 §4.2: class ANY, TTL 0.
  if (type != kTypeTsig || cls != kClassAny || ttl != 0) {
    return fail(Errc::kMalformed, "not a TSIG record (type, class ANY, TTL 0)");
  }
  if (r.remaining() != rdlen) return fail(Errc::kMalformed, "TSIG is not the last record");
  t.algorithm = r.name();
  t.time_signed = r.u48();
  t.fudge = r.u16();
  const auto mac = r.bytes(r.u16());
  t.mac.assign(mac.begin(), mac.end());
  t.original_id = r.u16();
  t.error = static_cast<Rcode>(r.u16());
  const auto other = r.bytes(r.u16());
  t.other.assign(other.begin(), other.end());
  if (!r.ok() || !r.at_end()) return fail(Errc::kMalformed, "bad TSIG RDATA");
  return t;
}

// ---- verification --------------------------------------------------------------------

Rcode TsigVerifyResult::response_rcode() const {
  switch (error) {
    case Rcode::NOERROR:
      return Rcode::NOERROR;
    case Rcode::FORMERR:
      return Rcode::FORMERR;
    case Rcode::SERVFAIL:
      return Rcode::SERVFAIL;
    default:
      return Rcode::NOTAUTH;  // RFC 8945 §5.2: every TSIG error answers NOTAUTH
  }
}

TsigVerifyResult tsig_verify_request(std::span<const std::uint8_t> bytes, const Message& m,
                                     const TsigKeyring& keyring, std::uint64_t now,
                                     const TsigVerifyOptions& opts) {
  auto t = read_tsig(bytes, m.tsig_offset);
  if (!t) return TsigVerifyResult{};  // FORMERR
  const TsigKey* key = keyring.find(t->key_name);
  if (key == nullptr) {
    TsigVerifyResult v;
    v.error = Rcode::BADKEY;  // §5.2.1
    v.time_signed = t->time_signed;
    v.tsig = std::move(*t);
    return v;
  }
  return verify_one(bytes, *m.tsig_offset, std::move(*t), *key, std::nullopt, now, opts);
}

TsigVerifyResult tsig_verify_response(std::span<const std::uint8_t> bytes, const Message& m,
                                      const TsigKey& key, std::span<const std::uint8_t> request_mac,
                                      std::uint64_t now, const TsigVerifyOptions& opts) {
  auto t = read_tsig(bytes, m.tsig_offset);
  if (!t) return TsigVerifyResult{};
  if (t->mac.empty() && t->error != Rcode::NOERROR) {
    // §5.3.2: an unsigned error answer cannot be authenticated.
    TsigVerifyResult v;
    v.error = kBadSig;
    v.time_signed = t->time_signed;
    v.tsig = std::move(*t);
    return v;
  }
  return verify_one(bytes, *m.tsig_offset, std::move(*t), key, request_mac, now, opts);
}

// ---- signing -------------------------------------------------------------------------

std::size_t tsig_wire_size(const TsigKey& key, std::size_t other_len) {
  return key.name.wire_size() + 10 + algorithm_name(key.alg).wire_size() + 6 + 2 + 2 +
         digest_size(key.alg) + 2 + 2 + 2 + other_len;
}

Result<std::vector<std::uint8_t>> tsig_sign_request(std::vector<std::uint8_t>& msg,
                                                    const TsigKey& key, std::uint64_t now,
                                                    std::uint16_t fudge) {
  return sign_full(msg, key, {}, false, now, fudge, Rcode::NOERROR, {});
}

Result<std::vector<std::uint8_t>> tsig_sign_response(std::vector<std::uint8_t>& msg,
                                                     const TsigKey& key,
                                                     std::span<const std::uint8_t> request_mac,
                                                     std::uint64_t now, std::uint16_t fudge) {
  return sign_full(msg, key, request_mac, true, now, fudge, Rcode::NOERROR, {});
}

Result<std::vector<std::uint8_t>> tsig_sign_answer(std::vector<std::uint8_t>& msg,
                                                   const TsigVerifyResult& v, std::uint64_t now,
                                                   std::uint16_t fudge) {
  switch (v.error) {
    case Rcode::NOERROR:
    case Rcode::BADTRUNC:  // §5.2.4: SHOULD be signed
      if (!v.key) return fail(Errc::kRefused, "no key to sign with");
      return sign_full(msg, *v.key, v.request_mac, true, now, fudge, v.error, {});
    case Rcode::BADTIME: {
      // §5.2.3: signed; Time Signed echoes the request so the client's own time check
      // passes, and Other Data carries our clock for it to see the skew.
      if (!v.key) return fail(Errc::kRefused, "no key to sign with");
      std::vector<std::uint8_t> other;
      put_u48(other, now);
      return sign_full(msg, *v.key, v.request_mac, true, v.tsig.time_signed, fudge, Rcode::BADTIME,
                       other);
    }
    case Rcode::BADKEY:
    case kBadSig: {
      // §5.3.2: never sign an answer to a request whose key or MAC failed.
      auto r = append_tsig(msg, {v.tsig.key_name, v.tsig.algorithm, now, fudge, {}, v.error, {}});
      if (!r) return tl::unexpected(r.error());
      return std::vector<std::uint8_t>{};
    }
    default:
      return fail(Errc::kRefused, "this answer carries no TSIG (FORMERR)");
  }
}

// ---- TCP streams (§5.3.1) --------------------------------------------------------------

struct TsigStreamSigner::State {
  explicit State(const TsigKey& key) : hmac(key) {}
  Hmac hmac;
};

TsigStreamSigner::TsigStreamSigner(TsigKey key, std::vector<std::uint8_t> request_mac,
                                   std::uint16_t fudge)
    : key_(std::move(key)), prior_mac_(std::move(request_mac)), fudge_(fudge) {}
TsigStreamSigner::~TsigStreamSigner() = default;
TsigStreamSigner::TsigStreamSigner(TsigStreamSigner&&) noexcept = default;
TsigStreamSigner& TsigStreamSigner::operator=(TsigStreamSigner&&) noexcept = default;

Result<std::vector<std::uint8_t>> TsigStreamSigner::sign(std::vector<std::uint8_t>& msg,
                                                         std::uint64_t now) {
  Result<std::vector<std::uint8_t>> mac;
  if (count_ == 0) {
    mac = sign_full(msg, key_, prior_mac_, true, now, fudge_, Rcode::NOERROR, {});
  } else {
    if (msg.size() < kHeaderSize) return fail(Errc::kMalformed, "message shorter than a header");
    state_->hmac.update(msg);
    feed_timers(state_->hmac, now, fudge_);
    mac = state_->hmac.finish();
    if (mac) {
      auto r = append_tsig(
          msg, {key_.name, algorithm_name(key_.alg), now, fudge_, *mac, Rcode::NOERROR, {}});
      if (!r) return tl::unexpected(r.error());
    }
  }
  if (!mac) return mac;
  prior_mac_ = *mac;
  state_ = std::make_unique<State>(key_);
  feed_mac(state_->hmac, prior_mac_);
  unsigned_run_ = 0;
  ++count_;
  return mac;
}

Result<void> TsigStreamSigner::add_unsigned(std::span<const std::uint8_t> msg) {
  if (count_ == 0) return fail(Errc::kRefused, "the first message of a stream must be signed");
  if (unsigned_run_ >= kMaxUnsignedRun) {
    return fail(Errc::kRefused, "more than 99 unsigned messages in a row");
  }
  state_->hmac.update(msg);
  ++unsigned_run_;
  ++count_;
  return {};
}

struct TsigStreamVerifier::State {
  explicit State(const TsigKey& key) : hmac(key) {}
  Hmac hmac;
};

TsigStreamVerifier::TsigStreamVerifier(TsigKey key, std::vector<std::uint8_t> request_mac,
                                       TsigVerifyOptions opts)
    : key_(std::move(key)), prior_mac_(std::move(request_mac)), opts_(opts) {}
TsigStreamVerifier::~TsigStreamVerifier() = default;
TsigStreamVerifier::TsigStreamVerifier(TsigStreamVerifier&&) noexcept = default;
TsigStreamVerifier& TsigStreamVerifier::operator=(TsigStreamVerifier&&) noexcept = default;

TsigStreamVerifier::Outcome TsigStreamVerifier::receive(std::span<const std::uint8_t> bytes,
                                                        const Message& m, std::uint64_t now) {
  Outcome out;
  if (failed_) {
    out.result.error = kBadSig;
    return out;
  }
  if (!m.tsig_offset) {
    // §5.3.1: the first message must be signed, and at most 99 unsigned in a row.
    if (count_ == 0 || unsigned_run_ >= kMaxUnsignedRun) {
      failed_ = true;
      out.result.error = kBadSig;
      return out;
    }
    state_->hmac.update(bytes);
    ++unsigned_run_;
    ++count_;
    out.result.error = Rcode::NOERROR;
    out.result.key = key_;
    return out;
  }
  out.signed_message = true;
  if (count_ == 0) {
    out.result = tsig_verify_response(bytes, m, key_, prior_mac_, now, opts_);
  } else {
    auto t = read_tsig(bytes, m.tsig_offset);
    if (!t) {
      failed_ = true;
      out.result.error = Rcode::FORMERR;
      return out;
    }
    TsigVerifyResult& v = out.result;
    v.time_signed = t->time_signed;
    v.tsig = std::move(*t);
    const TsigRecord& r = v.tsig;
    const auto alg = algorithm_from_name(r.algorithm);
    if (!(r.key_name == key_.name) || !alg || *alg != key_.alg) {
      v.error = Rcode::BADKEY;
    } else if (!mac_size_allowed(key_.alg, r.mac.size())) {
      v.error = Rcode::FORMERR;
    } else {
      v.key = key_;
      // §4.3.3: prior MAC (already fed), messages since, this one, then the timers only.
      feed_received(state_->hmac, bytes, *m.tsig_offset, r.original_id);
      feed_timers(state_->hmac, r.time_signed, r.fudge);
      auto mac = state_->hmac.finish();
      v.error = mac ? check_mac(key_, r, *mac, now, opts_) : Rcode::SERVFAIL;
      v.request_mac = r.mac;
    }
  }
  if (!out.result.ok()) {
    failed_ = true;
    return out;
  }
  prior_mac_ = out.result.tsig.mac;
  state_ = std::make_unique<State>(key_);
  feed_mac(state_->hmac, prior_mac_);
  unsigned_run_ = 0;
  ++count_;
  return out;
}

Rcode TsigStreamVerifier::finish() const {
  if (failed_ || count_ == 0 || unsigned_run_ != 0) return kBadSig;
  return Rcode::NOERROR;
}

}  // namespace dnspush::wire
