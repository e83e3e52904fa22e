#include "wire/reader.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace dnspush::wire {
namespace {

TEST(Reader, IntegersAreBigEndianAndBoundsChecked) {
  const std::uint8_t b[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
  Reader r(b);
  EXPECT_EQ(r.u8(), 0x01);
  EXPECT_EQ(r.u16(), 0x0203);
  EXPECT_EQ(r.u32(), 0x04050607u);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.at_end());
  EXPECT_EQ(r.u8(), 0);
  EXPECT_FALSE(r.ok());
}

TEST(Reader, ErrorIsSticky) {
  const std::uint8_t b[] = {0x01, 0x02, 0x03};
  Reader r(b);
  EXPECT_EQ(r.u32(), 0u);  // too short
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.u8(), 0);  // a byte is there, but the reader stays failed
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(Reader, FollowsBackwardPointers) {
  // "example." at 0, then "www" + pointer to 0.
  const std::uint8_t b[] = {7, 'e', 'x', 'a', 'm', 'p',  'l', 'e',
                            0, 3,   'w', 'w', 'w', 0xC0, 0,   0xAA};
  Reader r(b);
  EXPECT_EQ(r.name().to_text(), "example.");
  EXPECT_EQ(r.name().to_text(), "www.example.");
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.offset(), 15u);  // continues right after the pointer
  EXPECT_EQ(r.u8(), 0xAA);
}

TEST(Reader, RefusesForwardSelfAndLoopingPointers) {
  const std::uint8_t self[] = {0xC0, 0x00};
  Reader r1(self);
  r1.name();
  EXPECT_FALSE(r1.ok());

  const std::uint8_t forward[] = {0xC0, 0x02, 1, 'a', 0};
  Reader r2(forward);
  r2.name();
  EXPECT_FALSE(r2.ok());

  // 0: label "a" then pointer to 0: a loop through a backward pointer.
  const std::uint8_t loop[] = {1, 'a', 0xC0, 0x00};
  Reader r3(loop);
  r3.skip(2);
  r3.name();
  EXPECT_FALSE(r3.ok());
}

TEST(Reader, RefusesOverlongNamesAndExtendedLabels) {
  std::vector<std::uint8_t> b;
  for (int i = 0; i < 5; ++i) {
    b.push_back(63);
    b.insert(b.end(), 63, 'x');
  }
  b.push_back(0);
  Reader r(b);
  r.name();
  EXPECT_FALSE(r.ok());

  const std::uint8_t ext[] = {0x41, 0x00};  // label type 01 (RFC 6891 §5)
  Reader r2(ext);
  r2.name();
  EXPECT_FALSE(r2.ok());

  const std::uint8_t truncated[] = {5, 'a', 'b'};
  Reader r3(truncated);
  r3.name();
  EXPECT_FALSE(r3.ok());
}

TEST(Reader, LimitConfinesReadsButNotPointers) {
  const std::uint8_t b[] = {1, 'a', 0, 0xC0, 0x00, 0x99};
  Reader r(b);
  r.skip(3);
  const auto old = r.push_limit(2);
  EXPECT_EQ(r.name().to_text(), "a.");
  EXPECT_TRUE(r.at_end());
  EXPECT_EQ(r.u8(), 0);  // past the limit
  EXPECT_FALSE(r.ok());
  r.pop_limit(old);
}

}  // namespace
}  // namespace dnspush::wire
