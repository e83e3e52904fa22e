// Time is passed in (DESIGN.md convention 9): protocol cores take `now` and never read
// a clock themselves, so tests drive them with a fake clock.
#pragma once

#include <chrono>

namespace dnspush {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = Clock::duration;

}  // namespace dnspush
