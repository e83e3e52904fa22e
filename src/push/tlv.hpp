// DNS Push TLV codecs (RFC 8765 §6.2-§6.5): the DSO-DATA of SUBSCRIBE, UNSUBSCRIBE,
// RECONFIRM and PUSH, and a whole PUSH message as a client receives it.
//
// Decoding is strict: every decode either returns the value or an error, and for the
// unidirectional TLVs (UNSUBSCRIBE, RECONFIRM, PUSH) an error is fatal for the session
// (RFC 8490 §5.4.3: no response can be sent, the receiver aborts). The PUSH decoder
// enforces the receive rules of RFC 8765 §6.3.1 so the client library can reuse it.
// Nothing here allocates beyond the decoded values; nothing throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/result.hpp"
#include "wire/name.hpp"
#include "wire/types.hpp"
#include "wire/writer.hpp"

namespace dnspush::push {

// DSO-TYPE codes (RFC 8490 §10.3; RFC 8765 §8, assigned as 0x40-0x43).
inline constexpr std::uint16_t kTlvRetryDelay = 2;
inline constexpr std::uint16_t kTlvEncryptionPadding = 3;
inline constexpr std::uint16_t kTlvSubscribe = 0x40;
inline constexpr std::uint16_t kTlvPush = 0x41;
inline constexpr std::uint16_t kTlvUnsubscribe = 0x42;
inline constexpr std::uint16_t kTlvReconfirm = 0x43;

// RFC 8765 §6.3.1: a PUSH message is at most 16,382 bytes from the start of the DNS
// header (16,384 with the TCP length prefix).
inline constexpr std::size_t kMaxPushMessage = 16382;
// The DSO header (RFC 8490 §5.4) plus the PUSH TLV's type and length.
inline constexpr std::size_t kPushOverhead = 12 + 4;

// RFC 8765 §6.3.1 TTL values of a change notification.
inline constexpr std::uint32_t kMaxAddTtl = 0x7FFFFFFF;
inline constexpr std::uint32_t kTtlDeleteRecord = 0xFFFFFFFF;
inline constexpr std::uint32_t kTtlDeleteCollective = 0xFFFFFFFE;

// NAME, TYPE, CLASS: the DSO-DATA of SUBSCRIBE (§6.2.1) and of the draft-era UNSUBSCRIBE
// that Apple's client still sends.
struct Subscribe {
  wire::Name name;
  wire::RRType type = wire::RRType::ANY;
  wire::RRClass cls = wire::RRClass::IN;
  friend bool operator==(const Subscribe&, const Subscribe&) = default;
};

// Exactly one NAME, TYPE, CLASS and nothing after it; the name must be uncompressed (a DSO
// TLV is not a place compression pointers may point from: §6.2.1 and RFC 8490 §5.4.4
// treat DSO-DATA as self-contained). Semantic checks (meta types) are the caller's.
Result<Subscribe> decode_subscribe(std::span<const std::uint8_t> data);
void encode_subscribe(wire::Writer& w, const Subscribe& s);

// §6.4.1: the DSO-DATA is the 2-byte MESSAGE ID of the SUBSCRIBE being cancelled. Apple's
// client (spec/README.md) sends the old draft's NAME TYPE CLASS instead. The two forms are
// told apart by length: NAME TYPE CLASS is at least 5 bytes, the RFC's form exactly 2.
struct Unsubscribe {
  std::optional<std::uint16_t> message_id;  // RFC 8765 form
  std::optional<Subscribe> legacy;          // draft form
};
Result<Unsubscribe> decode_unsubscribe(std::span<const std::uint8_t> data);
void encode_unsubscribe(wire::Writer& w, std::uint16_t message_id);

// §6.5.1: NAME, TYPE, CLASS, RDATA with no RDLEN (the RDATA is what remains). TYPE and
// CLASS must not be ANY; the RDATA must be valid for its type, uncompressed.
struct Reconfirm {
  wire::Name name;
  wire::RRType type = wire::RRType::A;
  wire::RRClass cls = wire::RRClass::IN;
  std::vector<std::uint8_t> rdata;
};
Result<Reconfirm> decode_reconfirm(std::span<const std::uint8_t> data);
void encode_reconfirm(wire::Writer& w, const Reconfirm& r);

// One change notification of a PUSH TLV (§6.3.1), classified by its TTL.
enum class ChangeKind : std::uint8_t {
  kAdd,           // TTL 0..0x7FFFFFFF
  kDeleteRecord,  // TTL 0xFFFFFFFF, CLASS/TYPE/RDATA name the record
  kDeleteRRset,   // TTL 0xFFFFFFFE, RDLEN 0: the RRset of TYPE in CLASS
  kDeleteClass,   // TTL 0xFFFFFFFE, RDLEN 0, TYPE ANY: every RRset of the name in CLASS
  kDeleteName,    // TTL 0xFFFFFFFE, RDLEN 0, CLASS ANY: everything at the name (TYPE is 0)
};

struct Change {
  ChangeKind kind = ChangeKind::kAdd;
  wire::Name name;
  wire::RRType type = wire::RRType::A;
  wire::RRClass cls = wire::RRClass::IN;
  std::uint32_t ttl = 0;
  std::vector<std::uint8_t> rdata;  // uncompressed; empty for collective deletes
};

struct PushData {
  std::vector<Change> changes;
  // Change notifications with a TTL above 0x7FFFFFFF other than the two delete values:
  // §6.3.1 says ignore them silently (the session continues).
  std::size_t ignored = 0;
};

// The PUSH TLV's DSO-DATA at message[offset, offset + length). `message` is the whole DNS
// message: owner names and RDATA names may be compressed, with offsets from its start
// (§6.3.1). Fatal (an error): no change notification at all; TYPE or CLASS ANY in an add
// or a single delete; a collective delete with RDLEN != 0; RDATA that does not parse.
Result<PushData> decode_push_data(std::span<const std::uint8_t> message, std::size_t offset,
                                  std::size_t length);

// A whole PUSH message as a client receives it (without the TCP length prefix): at most
// kMaxPushMessage bytes (§6.3.1), DSO opcode, QR 0 (§6.3), MESSAGE ID 0 (RFC 8490 §5.4.1:
// unidirectional), all four counts 0 (RFC 8490 §5.4), PUSH as the primary TLV. Additional
// TLVs: Encryption Padding and unknown types are skipped (RFC 8490 §5.4.5); a second PUSH
// is fatal (§6.6: PUSH is valid only as a server's primary TLV).
Result<PushData> parse_push_message(std::span<const std::uint8_t> message);

// Writes one change notification: the owner name compressed, RDATA names compressed as
// RFC 6762 §18.14 allows (wire::Compression::kPush), RDLEN patched in. A collective delete
// passes empty RDATA. The caller checks w.overflowed().
void write_change(wire::Writer& w, const wire::Name& owner, wire::RRType type, wire::RRClass cls,
                  std::uint32_t ttl, std::span<const std::uint8_t> rdata);

}  // namespace dnspush::push
