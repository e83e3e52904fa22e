#include "wire/writer.hpp"

namespace dnspush::wire {
namespace {

constexpr std::uint8_t lower(std::uint8_t c) {
  return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

}  // namespace

bool Writer::room(std::size_t n) {
  if (overflow_ || buf_.size() + n > limit_) {
    overflow_ = true;
    return false;
  }
  return true;
}

void Writer::u8(std::uint8_t v) {
  if (room(1)) buf_.push_back(v);
}

void Writer::u16(std::uint16_t v) {
  if (!room(2)) return;
  buf_.push_back(static_cast<std::uint8_t>(v >> 8));
  buf_.push_back(static_cast<std::uint8_t>(v));
}

void Writer::u32(std::uint32_t v) {
  if (!room(4)) return;
  for (int s = 24; s >= 0; s -= 8) buf_.push_back(static_cast<std::uint8_t>(v >> s));
}

void Writer::u48(std::uint64_t v) {
  if (!room(6)) return;
  for (int s = 40; s >= 0; s -= 8) buf_.push_back(static_cast<std::uint8_t>(v >> s));
}

void Writer::bytes(std::span<const std::uint8_t> b) {
  if (room(b.size())) buf_.insert(buf_.end(), b.begin(), b.end());
}

void Writer::patch_u16(std::size_t offset, std::uint16_t v) {
  if (offset + 2 > buf_.size()) return;
  buf_[offset] = static_cast<std::uint8_t>(v >> 8);
  buf_[offset + 1] = static_cast<std::uint8_t>(v);
}

void Writer::rollback(Mark m) {
  if (m.size <= buf_.size()) buf_.resize(m.size);
  if (m.targets <= targets_.size()) targets_.resize(m.targets);
  overflow_ = false;
}

// Does the (possibly compressed) name at buf_[off] spell exactly `suffix`
// (case-insensitively)? Follows pointers already in the buffer, which only point
// backwards because we wrote them.
long Writer::find_target(std::span<const std::uint8_t> suffix) const {
  for (const std::uint16_t start : targets_) {
    std::size_t pos = start;
    std::size_t i = 0;
    bool match = true;
    for (int hops = 0; hops < 128; ++hops) {
      const std::uint8_t len = buf_[pos];
      if ((len & 0xC0) == 0xC0) {
        pos = (static_cast<std::size_t>(len & 0x3F) << 8) | buf_[pos + 1];
        continue;
      }
      if (len != suffix[i]) {
        match = false;
        break;
      }
      if (len == 0) break;
      for (std::size_t k = 1; k <= len; ++k) {
        if (lower(buf_[pos + k]) != lower(suffix[i + k])) {
          match = false;
          break;
        }
      }
      if (!match) break;
      pos += 1 + len;
      i += 1 + len;
    }
    if (match && i + 1 == suffix.size()) return start;
  }
  return -1;
}

void Writer::name(const Name& n, bool compress) {
  const auto w = n.wire();
  std::size_t pos = 0;
  // Offsets of this name's labels become targets only once the whole name is written:
  // find_target() follows a target to its end, which must not be half-written.
  std::uint16_t fresh[128];
  std::size_t nfresh = 0;
  // Label by label: if the remaining suffix was written before, point at it.
  while (w[pos] != 0) {
    const auto rest = w.subspan(pos);
    if (compress) {
      const long target = find_target(rest);
      if (target >= 0) {
        u16(static_cast<std::uint16_t>(0xC000 | target));
        if (!overflow_) targets_.insert(targets_.end(), fresh, fresh + nfresh);
        return;
      }
    }
    const std::size_t here = buf_.size();
    const std::uint8_t len = w[pos];
    bytes(w.subspan(pos, 1 + len));
    if (overflow_) return;
    if (here <= kMaxPointerOffset) fresh[nfresh++] = static_cast<std::uint16_t>(here);
    pos += 1 + len;
  }
  u8(0);
  if (!overflow_) targets_.insert(targets_.end(), fresh, fresh + nfresh);
}

}  // namespace dnspush::wire
