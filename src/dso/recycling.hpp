// Per-thread reuse of what a session hands its owner for every message, so that the
// common round (a query in, its answer out) costs no heap allocation (issue 12): the
// bytes of each message event, and the slots of the event and transmit queues, which a
// session frees when they empty so as to hold no memory while idle. A buffer given back is
// taken by the next session on the same thread that needs one.
//
// Threading: thread-local, nothing shared. Bounds: kKeptBuffers message buffers of at
// most kMaxKeptBytes capacity and one buffer of queue slots of each kind per thread; anything else
// given back is freed as before. Giving back is optional: an owner that keeps a message (or lets it
// go) only misses the reuse.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "dso/event.hpp"

namespace dnspush::dso {

inline constexpr std::size_t kKeptBuffers = 32;  // pipelined queries read at once
inline constexpr std::size_t kMaxKeptBytes = 2048;

// The bytes of `b`, in a buffer given back earlier on this thread when there is one.
std::vector<std::uint8_t> copy_message(std::span<const std::uint8_t> b);
// Keeps `b`'s buffer for a later copy_message on this thread (or frees it).
void give_back(std::vector<std::uint8_t>&& b);
// This thread's spare queue slots (the Fifos of Session::events_ and Session::out_).
struct EventSpare {
  static std::vector<Event>& slots();
};
struct FrameSpare {
  static std::vector<Frame>& slots();
};

}  // namespace dnspush::dso
