#include "dso/tlv.hpp"

#include <algorithm>
#include <chrono>

#include "wire/reader.hpp"

namespace dnspush::dso {

std::string to_text(TlvType t) {
  switch (t) {
    case TlvType::Reserved:
      return "Reserved";
    case TlvType::KeepAlive:
      return "KeepAlive";
    case TlvType::RetryDelay:
      return "RetryDelay";
    case TlvType::EncryptionPadding:
      return "EncryptionPadding";
    case TlvType::SUBSCRIBE:
      return "SUBSCRIBE";
    case TlvType::PUSH:
      return "PUSH";
    case TlvType::UNSUBSCRIBE:
      return "UNSUBSCRIBE";
    case TlvType::RECONFIRM:
      return "RECONFIRM";
  }
  return "TLV" + std::to_string(static_cast<std::uint16_t>(t));
}

Duration from_wire_ms(std::uint32_t ms) {
  if (ms == kInfiniteMs) return kInfinite;
  return std::chrono::duration_cast<Duration>(std::chrono::milliseconds(ms));
}

std::uint32_t to_wire_ms(Duration d) {
  if (d == kInfinite) return kInfiniteMs;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  if (ms <= 0) return 0;
  return static_cast<std::uint32_t>(std::min<long long>(ms, kInfiniteMs - 1));
}

std::array<std::uint8_t, 8> encode_keepalive(const Keepalive& k) {
  const std::uint32_t a = k.inactivity_timeout_ms, b = k.keepalive_interval_ms;
  return {static_cast<std::uint8_t>(a >> 24), static_cast<std::uint8_t>(a >> 16),
          static_cast<std::uint8_t>(a >> 8),  static_cast<std::uint8_t>(a),
          static_cast<std::uint8_t>(b >> 24), static_cast<std::uint8_t>(b >> 16),
          static_cast<std::uint8_t>(b >> 8),  static_cast<std::uint8_t>(b)};
}

Result<Keepalive> decode_keepalive(std::span<const std::uint8_t> data) {
  // RFC 8490 §7.1: two 32-bit fields, nothing else.
  if (data.size() != 8) return fail(Errc::kMalformed, "Keepalive TLV is not 8 bytes");
  wire::Reader r(data);
  Keepalive k;
  k.inactivity_timeout_ms = r.u32();
  k.keepalive_interval_ms = r.u32();
  return k;
}

std::uint32_t retry_delay_ms(Duration d) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  return static_cast<std::uint32_t>(std::clamp<long long>(ms, 0, 0xFFFFFFFF));
}

std::array<std::uint8_t, 4> encode_retry_delay(std::uint32_t ms) {
  return {static_cast<std::uint8_t>(ms >> 24), static_cast<std::uint8_t>(ms >> 16),
          static_cast<std::uint8_t>(ms >> 8), static_cast<std::uint8_t>(ms)};
}

Result<std::uint32_t> decode_retry_delay(std::span<const std::uint8_t> data) {
  // RFC 8490 §7.2: one 32-bit field.
  if (data.size() != 4) return fail(Errc::kMalformed, "Retry Delay TLV is not 4 bytes");
  wire::Reader r(data);
  return r.u32();
}

bool pad_message(std::vector<std::uint8_t>& msg, std::size_t block) {
  constexpr std::size_t kMax = 65535;
  if (msg.size() + kTlvHeaderSize > kMax) return false;
  std::size_t n = 0;
  if (block > 1) n = (block - (msg.size() + kTlvHeaderSize) % block) % block;
  n = std::min(n, kMax - msg.size() - kTlvHeaderSize);
  const auto type = static_cast<std::uint16_t>(TlvType::EncryptionPadding);
  msg.reserve(msg.size() + kTlvHeaderSize + n);
  msg.push_back(static_cast<std::uint8_t>(type >> 8));
  msg.push_back(static_cast<std::uint8_t>(type));
  msg.push_back(static_cast<std::uint8_t>(n >> 8));
  msg.push_back(static_cast<std::uint8_t>(n));
  msg.insert(msg.end(), n, 0);  // RFC 7830 §3: padding octets are zero
  return true;
}

}  // namespace dnspush::dso
