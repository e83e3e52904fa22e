// Builds DNS messages into one growing buffer with a hard size limit and name
// compression (RFC 1035 §4.1.4). Writing past the limit sets a sticky overflow flag
// instead of growing; callers use mark()/rollback() to drop a half-written record and set
// TC, so a message never exceeds what the transport allows.
//
// Compression is a lookup, not a scan: every label written at a pointable offset is an
// entry keyed by (the entry of the suffix that follows it, the label, case-folded), so a
// name is matched from the root label up with one hash probe per label, and building a
// message is linear in its names. The first kInlineTargets entries live inside the
// Writer (no allocation for ordinary answers); more spill into a vector.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "wire/name.hpp"

namespace dnspush::wire {

class Writer {
 public:
  static constexpr std::size_t kMaxPointerOffset = 0x3FFF;
  static constexpr std::size_t kInlineTargets = 128;

  explicit Writer(std::size_t limit = 65535) : limit_(limit) { heads_.fill(kNone); }
  // Writes into `storage` (cleared; its capacity is reused), e.g. a per-socket answer
  // buffer handed back and forth so that answering allocates nothing.
  Writer(std::vector<std::uint8_t> storage, std::size_t limit)
      : buf_(std::move(storage)), limit_(limit) {
    buf_.clear();
    heads_.fill(kNone);
  }

  // Copies carry only the targets in use (the inline table is left uninitialised).
  Writer(const Writer& o) { assign(o); }
  Writer(Writer&& o) noexcept { assign(std::move(o)); }
  Writer& operator=(const Writer& o) {
    if (this != &o) assign(o);
    return *this;
  }
  Writer& operator=(Writer&& o) noexcept {
    if (this != &o) assign(std::move(o));
    return *this;
  }
  ~Writer() = default;

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
  Mark mark() const { return {buf_.size(), ntargets_}; }
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
  static constexpr std::uint16_t kNone = 0xFFFF;
  static constexpr std::size_t kBuckets = 64;  // a power of two

  // One pointable label: the label at buf_[offset], followed by the suffix `parent`
  // (kNone: the root).
  struct Target {
    std::uint16_t offset;
    std::uint16_t parent;
    std::uint16_t next;  // the bucket's chain, newest first
    std::uint16_t bucket;
  };

  template <typename W>
  void assign(W&& o) {
    buf_ = std::forward<W>(o).buf_;
    limit_ = o.limit_;
    overflow_ = o.overflow_;
    ntargets_ = o.ntargets_;
    heads_ = o.heads_;
    std::copy(o.inline_.begin(), o.inline_.begin() + std::min(ntargets_, kInlineTargets),
              inline_.begin());
    spill_ = std::forward<W>(o).spill_;
  }
  bool room(std::size_t n);
  Target& target(std::size_t i) {
    return i < kInlineTargets ? inline_[i] : spill_[i - kInlineTargets];
  }
  const Target& target(std::size_t i) const {
    return i < kInlineTargets ? inline_[i] : spill_[i - kInlineTargets];
  }
  static std::size_t bucket_of(std::uint16_t parent, std::span<const std::uint8_t> label);
  // The entry for `label` (length byte first) followed by the suffix `parent`, or kNone.
  std::uint16_t find(std::uint16_t parent, std::span<const std::uint8_t> label) const;
  std::uint16_t add(std::uint16_t parent, std::span<const std::uint8_t> label, std::size_t offset);

  std::vector<std::uint8_t> buf_;
  std::size_t limit_;
  bool overflow_ = false;
  std::size_t ntargets_ = 0;
  std::array<std::uint16_t, kBuckets> heads_;
  std::array<Target, kInlineTargets> inline_;
  std::vector<Target> spill_;
};

}  // namespace dnspush::wire
