#include "zone/changeset.hpp"

#include <gtest/gtest.h>

#include "zone_test_util.hpp"

namespace dnspush::zone {
namespace {

using test::rr;

TEST(Changeset, SerialsComeFromTheSoaRdata) {
  Changeset c;
  c.soa_from = rr("@ 300 SOA ns1 hostmaster 2024010101 7200 3600 1209600 60");
  c.soa_to = rr("@ 300 SOA ns1.example.net. h.example.net. 4294967295 1 2 3 4");
  EXPECT_EQ(c.serial_from(), Serial(2024010101));
  EXPECT_EQ(c.serial_to(), Serial(4294967295u));
}

TEST(Changeset, ParseSoaReadsEveryFixedField) {
  const auto f = parse_soa(rr("@ SOA ns1 hostmaster 7 11 13 17 19").rdata);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->serial, Serial(7));
  EXPECT_EQ(f->refresh, 11u);
  EXPECT_EQ(f->retry, 13u);
  EXPECT_EQ(f->expire, 17u);
  EXPECT_EQ(f->minimum, 19u);
}

TEST(Changeset, MalformedSoaRdataGivesNoFieldsAndSerialZero) {
  auto rdata = rr("@ SOA ns1 hostmaster 7 11 13 17 19").rdata;
  rdata.pop_back();  // truncated MINIMUM
  EXPECT_FALSE(parse_soa(rdata).has_value());
  EXPECT_EQ(soa_serial(rdata), Serial(0));
  auto longer = rr("@ SOA ns1 hostmaster 7 11 13 17 19").rdata;
  longer.push_back(0);  // trailing byte
  EXPECT_FALSE(parse_soa(longer).has_value());
  EXPECT_FALSE(parse_soa({}).has_value());
}

TEST(Changeset, EmptyMeansNoRecordsEvenWhenTheSoaChanges) {
  Changeset c;
  c.soa_from = test::soa(1);
  c.soa_to = test::soa(2);
  EXPECT_TRUE(c.empty());
  c.added.push_back(rr("www A 192.0.2.1"));
  EXPECT_FALSE(c.empty());
  c.added.clear();
  c.removed.push_back(rr("www A 192.0.2.1"));
  EXPECT_FALSE(c.empty());
}

}  // namespace
}  // namespace dnspush::zone
