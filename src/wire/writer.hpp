// Builds DNS messages into one growing buffer with a hard size limit and name
// compression (RFC 1035 §4.1.4). Writing past the limit sets a sticky overflow flag
// instead of growing; callers use mark()/rollback() to drop a half-written record and set
// TC, so a message never exceeds what the transport allows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "wire/name.hpp"

namespace dnspush::wire {

class Writer {
 public:
  static constexpr std::size_t kMaxPointerOffset = 0x3FFF;

  explicit Writer(std::size_t limit = 65535) : limit_(limit) {}

  void u8(std::uint8_t v);
  void u16(std::uint16_t v);
  void u32(std::uint32_t v);
  void u48(std::uint64_t v);
  void bytes(std::span<const std::uint8_t> b);
  // Writes `n` with a pointer to an earlier copy of its longest known suffix when
  // `compress` is true, and records its suffixes as targets either way (RFC 1035 §4.1.4).
  void name(const Name& n, bool compress);
  void patch_u16(std::size_t offset, std::uint16_t v);

  struct Mark {
    std::size_t size;
    std::size_t targets;
  };
  Mark mark() const { return {buf_.size(), targets_.size()}; }
  // Drops everything written after `m` (and compression targets pointing there) and
  // clears the overflow flag.
  void rollback(Mark m);

  // Shrinks/grows the limit, e.g. to reserve room for an OPT record written last.
  void set_limit(std::size_t limit) { limit_ = limit; }
  std::size_t limit() const { return limit_; }
  std::size_t size() const { return buf_.size(); }
  bool overflowed() const { return overflow_; }
  const std::vector<std::uint8_t>& data() const { return buf_; }
  std::vector<std::uint8_t> take() { return std::move(buf_); }

 private:
  bool room(std::size_t n);
  // Offset of an earlier occurrence of the wire suffix starting at `suffix`, or -1.
  long find_target(std::span<const std::uint8_t> suffix) const;

  std::vector<std::uint8_t> buf_;
  std::vector<std::uint16_t> targets_;  // offsets of names/suffixes written uncompressed
  std::size_t limit_;
  bool overflow_ = false;
};

}  // namespace dnspush::wire
