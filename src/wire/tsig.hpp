// TSIG (RFC 8945): keys, keyring, verification of signed messages and signing of
// requests, answers (including the signed and unsigned error answers of §5.3.2) and
// multi-message TCP streams (§5.3.1). Sans-IO: `now` (seconds since the epoch) is passed
// in. HMAC comes from OpenSSL libcrypto (EVP_MAC).
//
// Typical server use:
//   auto v = tsig_verify_request(bytes, msg, keyring, now);
//   if (v.error == Rcode::FORMERR) -> answer FORMERR without TSIG (§5.2.2.1)
//   else build the answer (RCODE NOTAUTH when !v.ok(), §5.2) and call
//   tsig_sign_answer(answer_bytes, v, now), which signs or not as §5.3.2 says.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.hpp"
#include "wire/base64.hpp"
#include "wire/message.hpp"
#include "wire/name.hpp"
#include "wire/types.hpp"

namespace dnspush::wire {

// TSIG's error 16 is BADSIG, which shares the code point of EDNS's BADVERS (RFC 8945 §3).
inline constexpr Rcode kBadSig = Rcode::BADVERS;
// RFC 8945 §10: 300 seconds is the recommended fudge.
inline constexpr std::uint16_t kDefaultFudge = 300;

enum class TsigAlgorithm : std::uint8_t { kHmacSha1, kHmacSha256, kHmacSha384, kHmacSha512 };

// "hmac-sha256." etc. (RFC 8945 §6).
Name algorithm_name(TsigAlgorithm a);
std::string_view algorithm_text(TsigAlgorithm a);  // "hmac-sha256"
// By the wire name (case-insensitive); nullopt for anything unsupported (hmac-md5, GSS).
std::optional<TsigAlgorithm> algorithm_from_name(const Name& n);
// By text, with or without the final dot, case-insensitive. hmac-md5 is refused.
Result<TsigAlgorithm> algorithm_from_text(std::string_view s);
std::size_t digest_size(TsigAlgorithm a);
// RFC 8945 §5.2.2.1: the shortest acceptable truncated MAC, max(10, half the hash).
std::size_t min_truncated_size(TsigAlgorithm a);

struct TsigKey {
  Name name;
  TsigAlgorithm alg = TsigAlgorithm::kHmacSha256;
  std::vector<std::uint8_t> secret;

  // Separate fields, as a config file holds them.
  static Result<TsigKey> from_fields(std::string_view name, std::string_view algorithm,
                                     std::string_view base64_secret);
  // `nsupdate -y` / dnsperf form: "[alg:]name:base64secret" (hmac-sha256 when omitted).
  static Result<TsigKey> from_string(std::string_view spec);
};

// Keys by name, case-insensitive (RFC 8945 §4.2: key names are domain names).
class TsigKeyring {
 public:
  // Fails when a key of that name is already present.
  Result<void> add(TsigKey key);
  const TsigKey* find(const Name& name) const;
  std::size_t size() const { return keys_.size(); }
  bool empty() const { return keys_.empty(); }

 private:
  std::unordered_map<Name, TsigKey, NameHash> keys_;
};

// The TSIG record's fields (RFC 8945 §4.2) as found in a message.
struct TsigRecord {
  Name key_name;
  Name algorithm;
  std::uint64_t time_signed = 0;  // 48 bits
  std::uint16_t fudge = 0;
  std::vector<std::uint8_t> mac;
  std::uint16_t original_id = 0;
  Rcode error = Rcode::NOERROR;
  std::vector<std::uint8_t> other;

  // Reads the TSIG RR starting at `offset` (owner, type, class, ttl, rdata); it must end
  // the message exactly.
  static Result<TsigRecord> parse(std::span<const std::uint8_t> msg, std::size_t offset);
};

struct TsigVerifyOptions {
  // Local policy for truncated MACs (§5.2.4): a MAC shorter than this (but allowed by
  // §5.2.2.1) gets BADTRUNC. 0 accepts every length §5.2.2.1 allows.
  std::size_t min_mac_size = 0;
};

struct TsigVerifyResult {
  // Our verdict: NOERROR; BADKEY, kBadSig, BADTIME, BADTRUNC (answer NOTAUTH, §5.2);
  // FORMERR (drop the TSIG, answer FORMERR: malformed TSIG or a MAC size §5.2.2.1 forbids).
  Rcode error = Rcode::FORMERR;
  std::optional<TsigKey> key;             // the key that matched (absent on BADKEY and FORMERR)
  TsigRecord tsig;                        // as received; tsig.error is the peer's error (responses)
  std::vector<std::uint8_t> request_mac;  // the received MAC, as chained into the answer
  std::uint64_t time_signed = 0;

  bool ok() const { return error == Rcode::NOERROR; }
  // The message RCODE to answer with: NOERROR, NOTAUTH or FORMERR (RFC 8945 §5.2).
  Rcode response_rcode() const;
};

// Server side (RFC 8945 §5.2): verifies a signed request. `m` is `bytes` parsed (only its
// tsig_offset is used); a message without TSIG gives FORMERR.
TsigVerifyResult tsig_verify_request(std::span<const std::uint8_t> bytes, const Message& m,
                                     const TsigKeyring& keyring, std::uint64_t now,
                                     const TsigVerifyOptions& opts = {});
// Client side (§5.3, §4.3.2): verifies the answer to a request we signed with
// `request_mac`. An unsigned error answer (MAC size 0, tsig.error set) is kBadSig: it
// cannot be authenticated; tsig.error tells what the peer said. A signed error answer
// (BADTIME, BADTRUNC) verifies as NOERROR with tsig.error set.
TsigVerifyResult tsig_verify_response(std::span<const std::uint8_t> bytes, const Message& m,
                                      const TsigKey& key, std::span<const std::uint8_t> request_mac,
                                      std::uint64_t now, const TsigVerifyOptions& opts = {});

// Wire size of the TSIG RR this key produces (for MessageBuilder's reserve).
std::size_t tsig_wire_size(const TsigKey& key, std::size_t other_len = 6);

// Signs a request (§4.3.1) and appends the TSIG RR to `msg` (a complete message without
// TSIG), incrementing ARCOUNT. Returns the MAC (needed to verify the answer).
Result<std::vector<std::uint8_t>> tsig_sign_request(std::vector<std::uint8_t>& msg,
                                                    const TsigKey& key, std::uint64_t now,
                                                    std::uint16_t fudge = kDefaultFudge);
// Signs an answer to a request whose MAC was `request_mac` (§4.3.2).
Result<std::vector<std::uint8_t>> tsig_sign_response(std::vector<std::uint8_t>& msg,
                                                     const TsigKey& key,
                                                     std::span<const std::uint8_t> request_mac,
                                                     std::uint64_t now,
                                                     std::uint16_t fudge = kDefaultFudge);
// Appends the TSIG that §5.3.2 prescribes for the answer to a request verified as `v`:
// NOERROR -> signed; BADSIG/BADKEY -> unsigned (MAC size 0) with the error; BADTIME ->
// signed, Time Signed copied from the request and our time in Other Data (§5.2.3);
// BADTRUNC -> signed with the error (§5.2.4). FORMERR -> fails: such answers carry no TSIG.
// Returns the MAC (empty when unsigned).
Result<std::vector<std::uint8_t>> tsig_sign_answer(std::vector<std::uint8_t>& msg,
                                                   const TsigVerifyResult& v, std::uint64_t now,
                                                   std::uint16_t fudge = kDefaultFudge);

// Signs the messages of a TCP answer stream (AXFR/IXFR out, §5.3.1). The first message
// is signed as an ordinary answer; each later signed message covers the prior MAC, every
// message since (unsigned ones included) and the timers only.
class TsigStreamSigner {
 public:
  TsigStreamSigner(TsigKey key, std::vector<std::uint8_t> request_mac,
                   std::uint16_t fudge = kDefaultFudge);
  ~TsigStreamSigner();
  TsigStreamSigner(TsigStreamSigner&&) noexcept;
  TsigStreamSigner& operator=(TsigStreamSigner&&) noexcept;

  // Signs `msg` and appends its TSIG. Returns the MAC.
  Result<std::vector<std::uint8_t>> sign(std::vector<std::uint8_t>& msg, std::uint64_t now);
  // Sends `msg` unsigned; it is covered by the next signed message. §5.3.1 allows at most
  // 99 in a row and the first and last messages must be signed: fails when too many in a
  // row or before the first signed message.
  Result<void> add_unsigned(std::span<const std::uint8_t> msg);
  std::size_t messages() const { return count_; }

 private:
  struct State;
  TsigKey key_;
  std::vector<std::uint8_t> prior_mac_;
  std::uint16_t fudge_;
  std::size_t count_ = 0;
  std::size_t unsigned_run_ = 0;
  std::unique_ptr<State> state_;  // running digest since the last MAC
};

// Verifies a TCP answer stream (AXFR/IXFR in, §5.3.1) to a request signed with
// `request_mac`. Each received message goes through receive(); messages without TSIG are
// accepted (returned as NOERROR with `signed_message` false) except the first and past 99
// in a row. Call finish() after the last one: it must have been signed.
class TsigStreamVerifier {
 public:
  TsigStreamVerifier(TsigKey key, std::vector<std::uint8_t> request_mac,
                     TsigVerifyOptions opts = {});
  ~TsigStreamVerifier();
  TsigStreamVerifier(TsigStreamVerifier&&) noexcept;
  TsigStreamVerifier& operator=(TsigStreamVerifier&&) noexcept;

  struct Outcome {
    TsigVerifyResult result;
    bool signed_message = false;
  };
  Outcome receive(std::span<const std::uint8_t> bytes, const Message& m, std::uint64_t now);
  // NOERROR when the stream so far ended with a verified signed message.
  Rcode finish() const;

 private:
  struct State;
  TsigKey key_;
  std::vector<std::uint8_t> prior_mac_;
  TsigVerifyOptions opts_;
  std::size_t count_ = 0;
  std::size_t unsigned_run_ = 0;
  bool failed_ = false;
  std::unique_ptr<State> state_;
};

}  // namespace dnspush::wire
