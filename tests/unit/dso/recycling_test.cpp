// The per-thread reuse behind "no allocation per TCP query" (dso/recycling.hpp, the Fifo's
// Spare): buffers handed back are taken again, within their bounds, and a spare never
// keeps what it held alive (a PUSH frame given to a queue is released when the queue is).
#include "dso/recycling.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <thread>

#include "dso/fifo.hpp"

namespace dnspush::dso {
namespace {

struct TestSpare {
  static std::vector<std::shared_ptr<int>>& slots() {
    thread_local std::vector<std::shared_ptr<int>> spare;
    return spare;
  }
};
using SparedFifo = Fifo<std::shared_ptr<int>, TestSpare>;
std::vector<std::shared_ptr<int>>& test_spare() {
  return TestSpare::slots();
}

TEST(Recycling, AMessageBufferGivenBackIsTakenAgainWithItsCapacity) {
  std::thread([] {  // a thread of its own: its spares start empty
    const std::vector<std::uint8_t> msg(100, 7);
    auto a = copy_message(msg);
    const auto* where = a.data();
    give_back(std::move(a));
    auto b = copy_message(std::vector<std::uint8_t>(40, 9));
    EXPECT_EQ(b.data(), where) << "the same buffer";
    EXPECT_EQ(b, std::vector<std::uint8_t>(40, 9)) << "holding only the new bytes";
  })
      .join();
}

TEST(Recycling, OnlySmallBuffersAndOnlyABoundedNumberAreKept) {
  std::vector<std::uint8_t> big(kMaxKeptBytes + 1);
  const auto* big_data = big.data();
  give_back(std::move(big));
  auto c = copy_message(std::vector<std::uint8_t>(10));
  EXPECT_NE(c.data(), big_data);
  // Give back more than are kept: the surplus is freed, the rest comes back in turn.
  std::thread([] {
    std::vector<const std::uint8_t*> kept;
    for (std::size_t i = 0; i < kKeptBuffers + 5; ++i) {
      std::vector<std::uint8_t> v(32);
      if (i < kKeptBuffers) kept.push_back(v.data());
      give_back(std::move(v));
    }
    std::size_t reused = 0;
    for (std::size_t i = 0; i < kKeptBuffers + 5; ++i) {
      auto v = copy_message(std::vector<std::uint8_t>(8));
      for (const auto* p : kept) reused += v.data() == p ? 1 : 0;
    }
    EXPECT_EQ(reused, kKeptBuffers);
  }).join();
}

TEST(Recycling, AFifoGivesItsSlotsToTheSpareAndTakesThemBackEmpty) {
  test_spare().clear();
  auto frame = std::make_shared<int>(1);
  {
    SparedFifo q;
    for (int i = 0; i < 3; ++i) q.push_back(frame);
    EXPECT_EQ(frame.use_count(), 4);
    q.clear();
    EXPECT_EQ(frame.use_count(), 1) << "the spare holds no references";
    ASSERT_EQ(test_spare().size(), 4u);
  }
  SparedFifo next;
  next.push_back(frame);
  EXPECT_TRUE(test_spare().empty()) << "taken by the next queue that grows";
  EXPECT_EQ(next.pop_front(), frame);
}

TEST(Recycling, AQueueThatMustGrowTakesALargerSpare) {
  test_spare().clear();
  {
    SparedFifo burst;
    for (int i = 0; i < 16; ++i) burst.push_back(std::make_shared<int>(i));
    for (int i = 0; i < 16; ++i) EXPECT_EQ(*burst.pop_front(), i);
  }
  EXPECT_EQ(test_spare().size(), 16u) << "a burst's buffer emptied is kept as the spare";
  SparedFifo q;
  for (int i = 0; i < 10; ++i) q.push_back(std::make_shared<int>(i));
  EXPECT_TRUE(test_spare().size() < 16u) << "the larger spare was taken";
  for (int i = 0; i < 10; ++i) EXPECT_EQ(*q.pop_front(), i) << "in order across the growth";
}

}  // namespace
}  // namespace dnspush::dso
