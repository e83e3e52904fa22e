#include "base/serial.hpp"

#include <gtest/gtest.h>

namespace dnspush {
namespace {

TEST(Serial, Rfc1982ComparisonWrapsAround) {
  EXPECT_TRUE(Serial(1).precedes(Serial(2)));
  EXPECT_TRUE(Serial(2).follows(Serial(1)));
  // RFC 1982 §3.2: 0xFFFFFFFF < 0 because the distance wraps.
  EXPECT_TRUE(Serial(0xFFFFFFFFu).precedes(Serial(0)));
  EXPECT_TRUE(Serial(0).follows(Serial(0xFFFFFFFFu)));
  EXPECT_FALSE(Serial(5).precedes(Serial(5)));
  EXPECT_FALSE(Serial(5).follows(Serial(5)));
  // The half-way point is undefined: neither precedes the other.
  EXPECT_FALSE(Serial(0).precedes(Serial(0x80000000u)));
  EXPECT_FALSE(Serial(0x80000000u).precedes(Serial(0)));
  EXPECT_TRUE(Serial(0).precedes(Serial(0x7FFFFFFFu)));
}

TEST(Serial, AdditionWrapsAndIsBounded) {
  EXPECT_EQ(Serial(0xFFFFFFFFu).next(), Serial(0));
  EXPECT_EQ(Serial(10).plus(5), Serial(15));
  // RFC 1982 §3.1: only n <= 2^31 - 1 may be added.
  EXPECT_EQ(Serial(0).plus(0x80000000u), Serial(0));
}

}  // namespace
}  // namespace dnspush
