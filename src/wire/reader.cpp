#include "wire/reader.hpp"

#include <cstring>

namespace dnspush::wire {

bool Reader::need(std::size_t n) {
  if (!ok_ || end_ - pos_ < n) {
    ok_ = false;
    return false;
  }
  return true;
}

std::uint8_t Reader::u8() {
  if (!need(1)) return 0;
  return msg_[pos_++];
}

std::uint16_t Reader::u16() {
  if (!need(2)) return 0;
  const std::uint16_t v = static_cast<std::uint16_t>((msg_[pos_] << 8) | msg_[pos_ + 1]);
  pos_ += 2;
  return v;
}

std::uint32_t Reader::u32() {
  if (!need(4)) return 0;
  const std::uint32_t v = (std::uint32_t{msg_[pos_]} << 24) |
                          (std::uint32_t{msg_[pos_ + 1]} << 16) |
                          (std::uint32_t{msg_[pos_ + 2]} << 8) | std::uint32_t{msg_[pos_ + 3]};
  pos_ += 4;
  return v;
}

std::uint64_t Reader::u48() {
  if (!need(6)) return 0;
  std::uint64_t v = 0;
  for (int i = 0; i < 6; ++i) v = (v << 8) | msg_[pos_ + i];
  pos_ += 6;
  return v;
}

std::span<const std::uint8_t> Reader::bytes(std::size_t n) {
  if (!need(n)) return {};
  auto s = msg_.subspan(pos_, n);
  pos_ += n;
  return s;
}

Name Reader::name() {
  if (!ok_) return Name();
  char out[Name::kMaxWireLength];
  std::size_t used = 0;
  std::size_t pos = pos_;
  // Where the reader continues: after the first pointer, or after the root label.
  std::size_t resume = 0;
  bool jumped = false;
  // RFC 1035 §4.1.4: a pointer must point to a prior occurrence. Requiring each pointer
  // to go strictly backwards from the pointer itself makes loops impossible.
  std::size_t limit = end_;
  while (true) {
    if (pos >= limit) {
      ok_ = false;
      return Name();
    }
    const std::uint8_t len = msg_[pos];
    if (len == 0) {
      out[used++] = '\0';
      if (!jumped) resume = pos + 1;
      break;
    }
    if ((len & 0xC0) == 0xC0) {
      if (pos + 1 >= limit) {
        ok_ = false;
        return Name();
      }
      const std::size_t target = (static_cast<std::size_t>(len & 0x3F) << 8) | msg_[pos + 1];
      if (target >= pos) {  // forward or self pointer
        ok_ = false;
        return Name();
      }
      if (!jumped) resume = pos + 2;
      jumped = true;
      limit = pos;  // the target's labels must lie before this pointer
      pos = target;
      continue;
    }
    if ((len & 0xC0) != 0) {  // 01 and 10 label types (RFC 6891 §5)
      ok_ = false;
      return Name();
    }
    if (pos + 1 + len > limit || used + 1 + len + 1 > Name::kMaxWireLength) {
      ok_ = false;
      return Name();
    }
    std::memcpy(out + used, msg_.data() + pos, 1 + len);
    used += 1 + len;
    pos += 1 + len;
  }
  pos_ = resume;
  return Name(out, used);
}

std::size_t Reader::push_limit(std::size_t n) {
  const std::size_t old = end_;
  if (!need(n)) return old;
  end_ = pos_ + n;
  return old;
}

void Reader::pop_limit(std::size_t old_end) {
  if (old_end >= end_) end_ = old_end;
}

}  // namespace dnspush::wire
