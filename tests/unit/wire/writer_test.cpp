#include "wire/writer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

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

// More distinct labels than the inline table holds: later names still find earlier
// suffixes through the spilled entries, and every name reads back.
TEST(Writer, CompressionTableSpillsBeyondItsInlineEntries) {
  Writer w;
  std::vector<Name> names;
  for (int i = 0; i < 300; ++i) {
    names.push_back(N("h" + std::to_string(i) + ".zone" + std::to_string(i % 7) + ".test."));
  }
  for (const auto& n : names) w.name(n, true);
  const std::size_t first_pass = w.size();
  for (const auto& n : names) w.name(n, true);
  // The second pass is all pointers: every name was a target by then.
  EXPECT_EQ(w.size(), first_pass + 2 * names.size());
  Reader r(w.data());
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& n : names) EXPECT_EQ(r.name(), n);
  }
  EXPECT_TRUE(r.ok() && r.at_end());
}

// RFC 1035 §4.1.4: a pointer holds 14 bits; names written past offset 0x3FFF are never
// pointed at, names before it still are.
TEST(Writer, NeverPointsPastFourteenBits) {
  Writer w;
  w.name(N("early.example."), true);
  const std::vector<std::uint8_t> filler(0x4000, 0);
  w.bytes(filler);
  w.name(N("late.test."), true);
  const std::size_t before = w.size();
  w.name(N("late.test."), true);
  EXPECT_EQ(w.size() - before, 11u) << "written in full again";
  const std::size_t again = w.size();
  w.name(N("x.early.example."), true);
  EXPECT_EQ(w.size() - again, 2u + 2) << "label x, then a pointer to early.example.";
  Reader r(w.data());
  EXPECT_EQ(r.name(), N("early.example."));
  r.skip(filler.size());
  EXPECT_EQ(r.name(), N("late.test."));
  EXPECT_EQ(r.name(), N("late.test."));
  EXPECT_EQ(r.name(), N("x.early.example."));
  EXPECT_TRUE(r.ok() && r.at_end());
}

TEST(Writer, CopiesKeepTheirTargets) {
  Writer w;
  w.name(N("a.example."), true);
  Writer copy = w;
  Writer moved = std::move(w);
  copy.name(N("b.example."), true);
  moved.name(N("b.example."), true);
  EXPECT_EQ(copy.data(), moved.data());
  EXPECT_EQ(copy.size(), 11u + 2 + 2);
}

TEST(Writer, WritesIntoGivenStorageAndHandsItBack) {
  std::vector<std::uint8_t> storage;
  storage.reserve(512);
  storage.assign({1, 2, 3});
  const auto* data = storage.data();
  Writer w(std::move(storage), 512);
  EXPECT_EQ(w.size(), 0u) << "the storage starts empty";
  w.name(N("example."), true);
  auto out = w.take();
  EXPECT_EQ(out.data(), data) << "the same buffer, no new allocation";
  EXPECT_EQ(out.size(), 9u);
}

}  // namespace
}  // namespace dnspush::wire
