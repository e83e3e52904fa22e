#include "push/encoder.hpp"

#include <algorithm>
#include <array>
#include <memory>

#include "push/tlv.hpp"
#include "wire/message.hpp"

namespace dnspush::push {

std::size_t effective_max_message(const SessionOptions& options, std::size_t worker_default) {
  const std::size_t m = options.max_message != 0 ? options.max_message : worker_default;
  return std::clamp(m, kMinPushMessage, kMaxPushMessage);
}

PushWriter::PushWriter(std::size_t max_message, bool pad)
    : max_(std::clamp(max_message, kMinPushMessage, kMaxPushMessage)), pad_(pad) {
  // With padding the padded total (a multiple of the block) must stay within max_, and the
  // Encryption Padding TLV's own 4-byte header must fit in front of the pad bytes.
  content_limit_ = pad_ ? (max_ / kPaddingBlock) * kPaddingBlock - 4 : max_;
  start();
}

void PushWriter::start() {
  w_ = wire::Writer(content_limit_);
  wire::Header h;  // RFC 8765 §6.3.1: MESSAGE ID 0, QR 0, opcode DSO, all counts 0
  h.opcode = wire::Opcode::DSO;
  h.write(w_);
  w_.u16(kTlvPush);
  w_.u16(0);  // DSO-LENGTH, patched in flush()
  records_ = 0;
}

bool PushWriter::add(const wire::Name& owner, wire::RRType type, wire::RRClass cls,
                     std::uint32_t ttl, std::span<const std::uint8_t> rdata) {
  if (try_add(owner, type, cls, ttl, rdata)) return true;
  if (records_ == 0) return false;  // not even into an empty message
  // Would it fit in a message of its own? Tried on a scratch writer, so a record that can
  // never be sent does not close the open message early.
  wire::Writer alone(content_limit_);
  alone.bytes(std::array<std::uint8_t, kPushOverhead>{});
  write_change(alone, owner, type, cls, ttl, rdata);
  if (alone.overflowed()) return false;
  // RFC 8765 §6.3.1: what does not fit goes in the next message of at most max_ bytes.
  flush();
  start();
  return try_add(owner, type, cls, ttl, rdata);
}

bool PushWriter::try_add(const wire::Name& owner, wire::RRType type, wire::RRClass cls,
                         std::uint32_t ttl, std::span<const std::uint8_t> rdata) {
  const auto mark = w_.mark();
  write_change(w_, owner, type, cls, ttl, rdata);
  if (w_.overflowed()) {
    w_.rollback(mark);
    return false;
  }
  ++records_;
  ++total_records_;
  return true;
}

void PushWriter::flush() {
  w_.patch_u16(wire::kHeaderSize + 2, static_cast<std::uint16_t>(w_.size() - kPushOverhead));
  if (pad_) {
    // RFC 8467 §4.1 block-length padding of the whole DNS message, in a DSO Encryption
    // Padding TLV (RFC 8490 §7.3) whose bytes are zero.
    w_.set_limit(max_);
    const std::size_t with_header = w_.size() + 4;
    const std::size_t pad = (kPaddingBlock - with_header % kPaddingBlock) % kPaddingBlock;
    w_.u16(kTlvEncryptionPadding);
    w_.u16(static_cast<std::uint16_t>(pad));
    for (std::size_t i = 0; i < pad; ++i) w_.u8(0);
  }
  out_.push_back(std::make_shared<const std::vector<std::uint8_t>>(w_.take()));
}

std::vector<SharedBytes> PushWriter::finish() {
  if (records_ > 0) flush();
  records_ = 0;
  return std::move(out_);
}

}  // namespace dnspush::push
