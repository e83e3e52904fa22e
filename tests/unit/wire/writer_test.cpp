#include "wire/writer.hpp"

#include <gtest/gtest.h>

#include "wire/reader.hpp"

namespace dnspush::wire {
namespace {

Name N(std::string_view s) {
  return *Name::from_text(s);
}

TEST(Writer, CompressesRepeatedSuffixesCaseInsensitively) {
  Writer w;
  w.name(N("www.example.test."), true);
  w.name(N("mail.EXAMPLE.test."), true);
  w.name(N("www.example.test."), true);
  // 18 bytes, then "mail" + pointer to offset 4, then a pointer to 0.
  ASSERT_EQ(w.size(), 18u + 5 + 2 + 2);
  EXPECT_EQ(w.data()[23], 0xC0);
  EXPECT_EQ(w.data()[24], 4);
  EXPECT_EQ(w.data()[25], 0xC0);
  EXPECT_EQ(w.data()[26], 0);
  Reader r(w.data());
  EXPECT_EQ(r.name(), N("www.example.test."));
  EXPECT_EQ(r.name(), N("mail.example.test."));
  EXPECT_EQ(r.name(), N("www.example.test."));
  EXPECT_TRUE(r.ok() && r.at_end());
}

TEST(Writer, UncompressedNamesStillServeAsTargets) {
  Writer w;
  w.name(N("a.example."), false);
  w.name(N("b.example."), true);
  EXPECT_EQ(w.size(), 11u + 2 + 2);
  w.name(N("b.example."), false);  // no pointer when compression is off
  EXPECT_EQ(w.size(), 15u + 11);
}

TEST(Writer, LimitOverflowIsStickyAndRollbackRestores) {
  Writer w(6);
  w.u32(1);
  const auto m = w.mark();
  w.u32(2);
  EXPECT_TRUE(w.overflowed());
  w.u8(1);
  EXPECT_EQ(w.size(), 4u);
  w.rollback(m);
  EXPECT_FALSE(w.overflowed());
  w.u16(0xBEEF);
  EXPECT_EQ(w.size(), 6u);
}

TEST(Writer, RollbackForgetsCompressionTargets) {
  Writer w;
  w.u16(0);
  const auto m = w.mark();
  w.name(N("gone.example."), true);
  w.rollback(m);
  w.name(N("other.test."), true);
  w.name(N("x.example."), true);  // must not point into the rolled-back bytes
  Reader r(w.data());
  r.skip(2);
  EXPECT_EQ(r.name(), N("other.test."));
  EXPECT_EQ(r.name(), N("x.example."));
  EXPECT_TRUE(r.ok());
}

TEST(Writer, NameWithRepeatedLabelsDoesNotPointIntoItself) {
  // Regression (found by fuzz_message): a half-written name must not serve as a
  // compression target for its own later labels (ASan caught the overread).
  Writer w;
  w.name(N("a.a.a.a."), true);
  w.name(N("a.a."), true);
  Reader r(w.data());
  EXPECT_EQ(r.name(), N("a.a.a.a."));
  EXPECT_EQ(r.name(), N("a.a."));
  EXPECT_TRUE(r.ok() && r.at_end());
  EXPECT_EQ(w.size(), 9u + 2);  // the second name is one pointer into the first
}

TEST(Writer, IntegersAndPatch) {
  Writer w;
  w.u16(0);
  w.u48(0x010203040506ull);
  w.patch_u16(0, 0xABCD);
  ASSERT_EQ(w.size(), 8u);
  EXPECT_EQ(w.data()[0], 0xAB);
  EXPECT_EQ(w.data()[1], 0xCD);
  EXPECT_EQ(w.data()[2], 0x01);
  EXPECT_EQ(w.data()[7], 0x06);
}

}  // namespace
}  // namespace dnspush::wire
