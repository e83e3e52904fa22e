// A replacement of the global operator new that counts, while asked to, every allocation
// of the process (all threads): the tests of this executable prove that a path allocates
// nothing in steady state. Only this executable links it (tests/CMakeLists.txt).
#pragma once

namespace dnspush::test::alloc {

void start_counting();
// Stops counting; returns the allocations since start_counting().
long stop_counting();

}  // namespace dnspush::test::alloc
