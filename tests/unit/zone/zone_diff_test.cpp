#include "zone/zone_diff.hpp"

#include <gtest/gtest.h>

#include "zone_test_util.hpp"

namespace dnspush::zone {
namespace {

using test::name;
using test::rr;
using test::zone_from;

std::string with_serial(std::uint32_t serial, std::string_view rest) {
  return "$TTL 300\n@ SOA ns1 hostmaster " + std::to_string(serial) +
         " 7200 3600 1209600 60\n@ NS ns1\nns1 A 192.0.2.1\n" + std::string(rest);
}

TEST(ZoneDiff, IdenticalZonesGiveNothing) {
  auto a = zone_from(with_serial(5, "www A 192.0.2.10\n"));
  auto b = zone_from(with_serial(5, "WWW A 192.0.2.10\n"));  // owner case does not matter
  auto d = diff(*a, *b);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_FALSE(d->has_value());
}

TEST(ZoneDiff, AddsRemovesAndTtlChangesAndAppliesBack) {
  auto a = zone_from(with_serial(5,
                                 "www A 192.0.2.10\n"
                                 "www A 192.0.2.11\n"
                                 "old TXT \"gone\"\n"
                                 "mail 60 A 192.0.2.25\n"));
  auto b = zone_from(with_serial(6,
                                 "www A 192.0.2.10\n"
                                 "www A 192.0.2.12\n"
                                 "new.deep TXT \"here\"\n"
                                 "mail 120 A 192.0.2.25\n"));
  auto d = diff(*a, *b);
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_TRUE(d->has_value());
  const Changeset& cs = **d;
  EXPECT_EQ(cs.serial_from(), Serial(5));
  EXPECT_EQ(cs.serial_to(), Serial(6));
  // Removed: www .11, old TXT, mail (TTL 60); added: www .12, new.deep TXT, mail (TTL 120).
  ASSERT_EQ(cs.removed.size(), 3u);
  ASSERT_EQ(cs.added.size(), 3u);
  EXPECT_TRUE(std::find(cs.removed.begin(), cs.removed.end(), rr("www A 192.0.2.11")) !=
              cs.removed.end());
  EXPECT_TRUE(std::find(cs.added.begin(), cs.added.end(), rr("new.deep TXT \"here\"")) !=
              cs.added.end());
  for (const auto& r : cs.added) {
    if (r.owner == name("mail.example.com.")) {
      EXPECT_EQ(r.ttl, 120u);
    }
  }

  // Applying the difference to the old zone gives the new one exactly.
  auto applied = a->apply(cs);
  ASSERT_TRUE(applied) << applied.error().message;
  auto again = diff(**applied, *b);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->has_value());
  EXPECT_EQ((*applied)->find(name("old.example.com.")), nullptr);
  EXPECT_NE((*applied)->find(name("deep.example.com.")), nullptr);  // new empty non-terminal
}

TEST(ZoneDiff, SoaOnlyChangeIsAChangeset) {
  auto a = zone_from(with_serial(5, ""));
  auto b = zone_from(with_serial(7, ""));
  auto d = diff(*a, *b);
  ASSERT_TRUE(d);
  ASSERT_TRUE(d->has_value());
  EXPECT_TRUE((*d)->empty());
  EXPECT_EQ((*d)->serial_to(), Serial(7));
  EXPECT_TRUE(a->apply(**d));
}

TEST(ZoneDiff, ChangedContentsNeedAGreaterSerial) {
  auto a = zone_from(with_serial(5, "www A 192.0.2.10\n"));
  auto same_serial = zone_from(with_serial(5, "www A 192.0.2.99\n"));
  auto d = diff(*a, *same_serial);
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("serial"), std::string::npos);
  // RFC 1982: 4 comes before 5, so it is not a newer version.
  EXPECT_FALSE(diff(*a, *zone_from(with_serial(4, "www A 192.0.2.99\n"))));
  // Wraparound: 0 follows 0xFFFFFFFF.
  auto high = zone_from(with_serial(0xFFFFFFFFu, ""));
  auto wrapped = zone_from(with_serial(0, "x A 192.0.2.1\n"));
  auto w = diff(*high, *wrapped);
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_TRUE(w->has_value());
}

TEST(ZoneDiff, DifferentOriginsAreRefused) {
  auto a = zone_from(with_serial(5, ""));
  auto b = zone_from(with_serial(6, ""), "example.net.");
  EXPECT_FALSE(diff(*a, *b));
}

}  // namespace
}  // namespace dnspush::zone
