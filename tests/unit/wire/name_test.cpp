#include "wire/name.hpp"

#include <gtest/gtest.h>

#include <string>

#include <unordered_set>

namespace dnspush::wire {
namespace {

Name N(std::string_view s) {
  return *Name::from_text(s);
}

TEST(Name, RootAndSimpleText) {
  EXPECT_TRUE(Name().is_root());
  EXPECT_EQ(Name().to_text(), ".");
  auto n = Name::from_text("www.Example.TEST.");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->to_text(), "www.Example.TEST.");
  EXPECT_EQ(n->label_count(), 3u);
  EXPECT_EQ(n->label(1), "Example");
  const std::uint8_t want[] = {3,   'w', 'w', 'w', 7,   'E', 'x', 'a', 'm',
                               'p', 'l', 'e', 4,   'T', 'E', 'S', 'T', 0};
  ASSERT_EQ(n->wire().size(), sizeof want);
  EXPECT_TRUE(std::equal(n->wire().begin(), n->wire().end(), want));
}

TEST(Name, RelativeNamesUseOrigin) {
  const Name origin = N("example.test.");
  EXPECT_EQ(Name::from_text("host", &origin)->to_text(), "host.example.test.");
  EXPECT_EQ(Name::from_text("@", &origin)->to_text(), "example.test.");
  EXPECT_EQ(Name::from_text("abs.", &origin)->to_text(), "abs.");
  EXPECT_FALSE(Name::from_text("@"));
}

TEST(Name, EscapesRoundTrip) {
  // RFC 1035 §5.1: \DDD and \X; RFC 6763 instance names hold spaces and dots.
  auto n = Name::from_text("Office\\032Printer\\.2._ipp._tcp.example.test.");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->label(0), "Office Printer.2");
  EXPECT_EQ(n->to_text(), "Office\\032Printer\\.2._ipp._tcp.example.test.");
  EXPECT_EQ(Name::from_text(n->to_text())->label(0), "Office Printer.2");
  EXPECT_EQ(Name::from_text("a\\\\b.")->label(0), "a\\b");
}

TEST(Name, RejectsBadText) {
  EXPECT_FALSE(Name::from_text(""));
  EXPECT_FALSE(Name::from_text("a..b."));
  EXPECT_FALSE(Name::from_text(".a."));
  EXPECT_FALSE(Name::from_text("a\\"));
  EXPECT_FALSE(Name::from_text("a\\25"));
  EXPECT_FALSE(Name::from_text("a\\256."));
  EXPECT_FALSE(Name::from_text(std::string(64, 'x') + "."));
  EXPECT_TRUE(Name::from_text(std::string(63, 'x') + "."));
  // 4 labels of 63 + 4 length bytes + root = 257 > 255.
  std::string l63(63, 'x');
  EXPECT_FALSE(Name::from_text(l63 + "." + l63 + "." + l63 + "." + l63 + "."));
  // 253 characters of text is the longest name (255 bytes of wire).
  std::string l61(61, 'y');
  auto max = Name::from_text(l63 + "." + l63 + "." + l63 + "." + l61 + ".");
  ASSERT_TRUE(max);
  EXPECT_EQ(max->wire_size(), 255u);
}

TEST(Name, FromWireValidates) {
  const std::uint8_t good[] = {1, 'a', 0};
  EXPECT_TRUE(Name::from_wire(good));
  const std::uint8_t unterminated[] = {1, 'a'};
  EXPECT_FALSE(Name::from_wire(unterminated));
  const std::uint8_t trailing[] = {1, 'a', 0, 0};
  EXPECT_FALSE(Name::from_wire(trailing));
  const std::uint8_t pointer[] = {0xC0, 0};
  EXPECT_FALSE(Name::from_wire(pointer));
}

TEST(Name, CaseInsensitiveEqualityAndHash) {
  EXPECT_EQ(N("WWW.example.TEST."), N("www.EXAMPLE.test."));
  EXPECT_EQ(N("WWW.example.TEST.").hash(), N("www.EXAMPLE.test.").hash());
  EXPECT_FALSE(N("a.example.") == N("b.example."));
  std::unordered_set<Name, NameHash> set{N("Host.Example.")};
  EXPECT_TRUE(set.contains(N("host.example.")));
}

// The hash folds eight bytes at a time: every letter at every offset (each position of a
// word and the tail), and only letters, must fold.
TEST(Name, HashFoldsExactlyTheLettersAtEveryOffset) {
  for (std::size_t len = 1; len <= 40; ++len) {
    for (char c = 'a'; c <= 'z'; ++c) {
      std::string lower(len, 'x'), upper(len, 'x');
      lower[len - 1] = c;
      upper[len - 1] = static_cast<char>(c - 32);
      EXPECT_EQ(N(lower + ".test.").hash(), N(upper + ".test.").hash()) << lower;
    }
  }
  // '@' (0x40) and '[' (0x5B) sit just outside 'A'..'Z': they are not letters, and neither
  // is a byte above 0x7F.
  EXPECT_NE(N("a@.test.").hash(), N("a`.test.").hash());
  EXPECT_NE(N("a[.test.").hash(), N("a{.test.").hash());
  EXPECT_NE(N("a\\193.test.").hash(), N("a\\225.test.").hash());
}

TEST(Name, HierarchyHelpers) {
  const Name n = N("a.b.example.test.");
  EXPECT_EQ(n.parent(), N("b.example.test."));
  EXPECT_EQ(Name().parent(), Name());
  EXPECT_EQ(n.suffix(2), N("example.test."));
  EXPECT_EQ(n.suffix(9), n);
  EXPECT_EQ(n.suffix(0), Name());
  EXPECT_EQ(Name().suffix(0), Name());
  EXPECT_TRUE(n.is_subdomain_of(N("example.TEST.")));
  EXPECT_TRUE(n.is_subdomain_of(n));
  EXPECT_TRUE(n.is_subdomain_of(Name()));
  EXPECT_FALSE(N("xexample.test.").is_subdomain_of(N("example.test.")));
  EXPECT_FALSE(N("test.").is_subdomain_of(N("example.test.")));
  EXPECT_EQ(*N("example.test.").prepend("*"), N("*.example.test."));
  EXPECT_TRUE(N("*.example.test.").is_wildcard());
  EXPECT_FALSE(N("a*.example.test.").is_wildcard());
  EXPECT_EQ(*N("host.").concat(N("example.test.")), N("host.example.test."));
  EXPECT_EQ(N("MiXed.").to_lower().to_text(), "mixed.");
}

TEST(Name, CanonicalOrderFollowsRfc4034Section6_1) {
  // The example list from RFC 4034 §6.1, already in canonical order.
  const char* ordered[] = {"example.",         "a.example.",      "yljkjljk.a.example.",
                           "Z.a.example.",     "zABC.a.EXAMPLE.", "z.example.",
                           "\\001.z.example.", "*.z.example.",    "\\200.z.example."};
  for (std::size_t i = 0; i + 1 < std::size(ordered); ++i) {
    EXPECT_LT(N(ordered[i]).canonical_compare(N(ordered[i + 1])), 0)
        << ordered[i] << " < " << ordered[i + 1];
    EXPECT_GT(N(ordered[i + 1]).canonical_compare(N(ordered[i])), 0);
  }
  EXPECT_EQ(N("Z.A.example.").canonical_compare(N("z.a.EXAMPLE.")), 0);
}

}  // namespace
}  // namespace dnspush::wire
