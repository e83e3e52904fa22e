// DSO TLV types and the codecs of the three base TLVs (RFC 8490 §7): Keepalive, Retry
// Delay and Encryption Padding, plus the padding helper (RFC 8467 block-length policy)
// that the session and the push layer share. Values on the wire are milliseconds; the
// session works in Durations, with Duration::max() standing for 0xFFFFFFFF ("infinity").
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "base/time.hpp"

namespace dnspush::dso {

// RFC 8490 §10.3 "DSO Type Codes" and RFC 8765 §8. Any 16-bit value is representable, so
// unknown types stay what they are.
enum class TlvType : std::uint16_t {
  Reserved = 0x0000,
  KeepAlive = 0x0001,
  RetryDelay = 0x0002,
  EncryptionPadding = 0x0003,
  SUBSCRIBE = 0x0040,    // RFC 8765: request, client -> server
  PUSH = 0x0041,         // RFC 8765: unidirectional, server -> client
  UNSUBSCRIBE = 0x0042,  // RFC 8765: unidirectional, client -> server
  RECONFIRM = 0x0043,    // RFC 8765: unidirectional, client -> server
};

std::string to_text(TlvType t);  // "KeepAlive", "SUBSCRIBE", "TLV65280"

// One TLV (RFC 8490 §5.4.4) as a view into a message: valid while those bytes live.
struct Tlv {
  TlvType type = TlvType::Reserved;
  std::span<const std::uint8_t> data;
};

inline constexpr std::size_t kTlvHeaderSize = 4;  // DSO-TYPE + DSO-LENGTH

// RFC 8490 §6.2: both session timeouts before any Keepalive exchange.
inline constexpr Duration kDefaultTimeout = std::chrono::seconds(15);
// RFC 8490 §6.5.2: a server must not grant, and a client must not accept, less.
inline constexpr Duration kMinKeepaliveInterval = std::chrono::seconds(10);
inline constexpr std::uint32_t kInfiniteMs = 0xFFFFFFFF;  // §6.4.2, §6.5.2
inline constexpr Duration kInfinite = Duration::max();

// Milliseconds on the wire <-> Duration: 0xFFFFFFFF is kInfinite both ways; a finite
// Duration too large for 32 bits saturates to the largest finite value, 0xFFFFFFFE
// (§6.4.2); negative Durations are 0.
Duration from_wire_ms(std::uint32_t ms);
std::uint32_t to_wire_ms(Duration d);

// Keepalive TLV data (RFC 8490 §7.1): exactly 8 bytes.
struct Keepalive {
  std::uint32_t inactivity_timeout_ms = 15000;
  std::uint32_t keepalive_interval_ms = 15000;
  friend bool operator==(const Keepalive&, const Keepalive&) = default;
};
std::array<std::uint8_t, 8> encode_keepalive(const Keepalive& k);
Result<Keepalive> decode_keepalive(std::span<const std::uint8_t> data);

// Retry Delay TLV data (RFC 8490 §7.2): exactly 4 bytes, milliseconds. Unlike the
// Keepalive values, 0xFFFFFFFF is a finite "49.7 days" (§6.6.3); retry_delay_ms clamps a
// Duration into 0..0xFFFFFFFF.
std::uint32_t retry_delay_ms(Duration d);
std::array<std::uint8_t, 4> encode_retry_delay(std::uint32_t ms);
Result<std::uint32_t> decode_retry_delay(std::span<const std::uint8_t> data);

// RFC 8467 §4.1 block-length policy: clients pad requests to a multiple of 128 bytes,
// responders pad to a multiple of 468.
inline constexpr std::size_t kClientPaddingBlock = 128;
inline constexpr std::size_t kServerPaddingBlock = 468;

// Appends an Encryption Padding TLV (RFC 8490 §7.3, zero bytes as RFC 7830 §3 says) to a
// complete DSO message so that its length becomes a multiple of `block` (0 or 1: the
// smallest TLV, 4 bytes). The TLV is always added; it is shortened when the full pad
// would take the message past 65535 bytes, and left out only when not even its 4-byte
// header fits. Returns whether a TLV was added.
bool pad_message(std::vector<std::uint8_t>& msg, std::size_t block);

}  // namespace dnspush::dso
