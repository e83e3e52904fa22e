#include "dso/recycling.hpp"

#include <array>
#include <utility>

namespace dnspush::dso {
namespace {

struct Buffers {
  std::array<std::vector<std::uint8_t>, kKeptBuffers> kept;
  std::size_t count = 0;
};

Buffers& buffers() {
  thread_local Buffers b;
  return b;
}

}  // namespace

std::vector<std::uint8_t> copy_message(std::span<const std::uint8_t> b) {
  Buffers& kept = buffers();
  if (kept.count == 0) return {b.begin(), b.end()};
  std::vector<std::uint8_t> v = std::move(kept.kept[--kept.count]);
  v.assign(b.begin(), b.end());  // within its capacity unless the message is larger
  return v;
}

void give_back(std::vector<std::uint8_t>&& b) {
  Buffers& kept = buffers();
  if (b.capacity() == 0 || b.capacity() > kMaxKeptBytes || kept.count == kKeptBuffers) return;
  b.clear();
  kept.kept[kept.count++] = std::move(b);
}

std::vector<Event>& EventSpare::slots() {
  thread_local std::vector<Event> spare;
  return spare;
}

std::vector<Frame>& FrameSpare::slots() {
  thread_local std::vector<Frame> spare;
  return spare;
}

}  // namespace dnspush::dso
