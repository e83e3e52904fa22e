// The answer frames of one worker, reused (issue 12: no heap allocation per TCP query).
// A dso::Frame is a shared, immutable message; an answer's frame lives from the fast
// path's answer until the connection copied it into its write buffer, usually within the
// same service round. The pool keeps a few frames and hands out one that nobody else
// holds any more (use count 1: only the pool), cleared, its capacity kept. Internal to io/.
//
// Threading: one pool per worker, used on its thread only; frames taken from it must not
// leave that thread (answers do not: they go to the worker's own connections). Bounds:
// kSlots frames of at most kMaxKeptBytes capacity; when all are in use (answers queued to
// slow readers) take() makes a frame outside the pool, as before.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace dnspush::io::detail {

class FramePool {
 public:
  using Bytes = std::vector<std::uint8_t>;
  static constexpr std::size_t kSlots = 32;  // pipelined answers in one write
  static constexpr std::size_t kMaxKeptBytes = 16 * 1024;

  // An empty frame to write an answer into; convert it to a dso::Frame to queue it.
  std::shared_ptr<Bytes> take() {
    for (std::size_t i = 0; i < kSlots; ++i) {
      std::shared_ptr<Bytes>& slot = slots_[(next_ + i) % kSlots];
      if (!slot || slot->capacity() > kMaxKeptBytes) {
        slot = std::make_shared<Bytes>();
      } else if (slot.use_count() != 1) {
        continue;  // still queued on some connection
      }
      slot->clear();
      next_ = (next_ + i + 1) % kSlots;
      return slot;
    }
    return std::make_shared<Bytes>();
  }

 private:
  std::array<std::shared_ptr<Bytes>, kSlots> slots_;
  std::size_t next_ = 0;
};

}  // namespace dnspush::io::detail
