// Writes change notifications into PUSH messages (RFC 8765 §6.3.1): each message is a DSO
// header (MESSAGE ID 0, opcode DSO, QR 0, counts 0; RFC 8490 §5.4) and one PUSH TLV,
// optionally followed by an Encryption Padding TLV (RFC 8490 §7.3). Names are compressed
// by RFC 6762 §18.14's rules with offsets from the start of each message. When the next
// record does not fit under the size limit, the message is closed and a new one started:
// records are never split and keep their order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "push/options.hpp"
#include "wire/name.hpp"
#include "wire/types.hpp"
#include "wire/writer.hpp"

namespace dnspush::push {

// RFC 8467 §4.1: responses padded to a multiple of 468 bytes.
inline constexpr std::size_t kPaddingBlock = 468;

// The message size `options` give under a worker default (0 in options: the default).
std::size_t effective_max_message(const SessionOptions& options, std::size_t worker_default);

class PushWriter {
 public:
  // `max_message` is clamped to [kMinPushMessage, kMaxPushMessage].
  PushWriter(std::size_t max_message, bool pad);

  // Appends one change notification. Returns false, writing nothing, when the record alone
  // cannot fit in an empty message (RDATA near 16 KB, or 8 KB under Apple's limit): it
  // cannot be pushed at all, and the caller counts it.
  bool add(const wire::Name& owner, wire::RRType type, wire::RRClass cls, std::uint32_t ttl,
           std::span<const std::uint8_t> rdata);

  std::size_t records() const { return total_records_; }
  // The messages, in order; none when nothing was added. The writer is spent afterwards.
  std::vector<SharedBytes> finish();

 private:
  void start();
  void flush();
  bool try_add(const wire::Name& owner, wire::RRType type, wire::RRClass cls, std::uint32_t ttl,
               std::span<const std::uint8_t> rdata);

  wire::Writer w_;
  std::size_t max_;
  std::size_t content_limit_;  // max_ less the room padding needs
  bool pad_;
  std::size_t records_ = 0;  // in the open message
  std::size_t total_records_ = 0;
  std::vector<SharedBytes> out_;
};

// RFC 2181 §8: a TTL with the top bit set means 0. A zone may hold one; PUSH must never send
// it as an add (0xFFFFFFFF and 0xFFFFFFFE are deletes there).
constexpr std::uint32_t push_ttl(std::uint32_t ttl) {
  return ttl > 0x7FFFFFFFu ? 0 : ttl;
}

}  // namespace dnspush::push
