// The one reader for untrusted bytes (DESIGN.md convention 1). Every access is
// bounds-checked; the first failure is sticky: later reads return zeros/empty values and
// ok() stays false, so parsers check once at the end of a unit instead of after each read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "wire/name.hpp"

namespace dnspush::wire {

class Reader {
 public:
  // `message` is the whole DNS message: compression pointers are offsets into it.
  explicit Reader(std::span<const std::uint8_t> message) : msg_(message), end_(message.size()) {}

  std::uint8_t u8();
  std::uint16_t u16();
  std::uint32_t u32();
  std::uint64_t u48();
  std::span<const std::uint8_t> bytes(std::size_t n);
  void skip(std::size_t n) { (void)bytes(n); }
  // A domain name, following compression pointers (RFC 1035 §4.1.4). Refuses forward
  // and self pointers (so no loops), over-long names and labels, and label types other
  // than 00 and 11 (RFC 6891 §5 retired the extended ones).
  Name name();

  // Restricts reading to the next n bytes (e.g. one RDATA); returns the old limit to
  // hand back to pop_limit. Pointers may still reach anywhere before them.
  std::size_t push_limit(std::size_t n);
  void pop_limit(std::size_t old_end);

  std::size_t offset() const { return pos_; }
  std::size_t remaining() const { return ok_ ? end_ - pos_ : 0; }
  bool at_end() const { return pos_ == end_; }
  bool ok() const { return ok_; }
  void fail() { ok_ = false; }
  std::span<const std::uint8_t> message() const { return msg_; }

 private:
  bool need(std::size_t n);
  std::span<const std::uint8_t> msg_;
  std::size_t pos_ = 0;
  std::size_t end_;
  bool ok_ = true;
};

}  // namespace dnspush::wire
