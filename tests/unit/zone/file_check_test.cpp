#include "zone/file_check.hpp"

#include <gtest/gtest.h>

#include "zone_test_util.hpp"

namespace dnspush::zone {
namespace {

using test::name;
using test::rr;
using test::zone_from;
using Kind = FileComparison::Kind;

std::string with_serial(std::uint32_t serial, std::string_view rest) {
  return "$TTL 300\n@ SOA ns1 hostmaster " + std::to_string(serial) +
         " 7200 3600 1209600 60\n@ NS ns1\nns1 A 192.0.2.1\n" + std::string(rest);
}

// The zone at serial 1 plus an UPDATE (serial 2) that added upd A .
struct History {
  std::shared_ptr<const Zone> v1 = zone_from(with_serial(1, "www A 192.0.2.10\n"));
  Changeset update;
  std::shared_ptr<const Zone> v2;
  History() {
    update.soa_from = v1->soa_record();
    update.soa_to = test::soa(2);
    update.soa_to.ttl = 300;
    update.added.push_back(rr("upd 300 A 192.0.2.99"));
    auto z = v1->apply(update);
    EXPECT_TRUE(z) << z.error().message;
    v2 = *z;
  }
};

TEST(FileCheck, SameSerialSameRecordsIsSame) {
  History h;
  auto file = zone_from(with_serial(2, "www A 192.0.2.10\nupd A 192.0.2.99\n"));
  auto c = compare_file(*h.v2, *file, std::nullopt);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->kind, Kind::kSame);
}

TEST(FileCheck, NewerSerialGivesTheDifferenceFromTheJournalsZone) {
  History h;
  // Edited while down from the serial-1 file: a new record, serial 3. The UPDATE's record
  // is not in it, so the difference also removes it -- which is why the server asks for
  // the file to be the zone's current contents (freeze writes it back).
  auto file = zone_from(with_serial(3, "www A 192.0.2.10\nupd A 192.0.2.99\nnew A 192.0.2.7\n"));
  auto c = compare_file(*h.v2, *file, std::nullopt);
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->kind, Kind::kNewer);
  ASSERT_TRUE(c->change);
  EXPECT_EQ(c->change->serial_from(), Serial(2));
  EXPECT_EQ(c->change->serial_to(), Serial(3));
  EXPECT_TRUE(c->change->removed.empty());
  ASSERT_EQ(c->change->added.size(), 1u);
  EXPECT_EQ(c->change->added[0], rr("new 300 A 192.0.2.7"));
  auto applied = h.v2->apply(*c->change);
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_TRUE(count_differences(**applied, *file).none());
}

TEST(FileCheck, SameSerialOtherRecordsIsEditedInPlaceWithCounts) {
  History h;
  auto file = zone_from(with_serial(2,
                                    "www A 192.0.2.10\nupd A 192.0.2.99\nx A 192.0.2.1\n"
                                    "y A 192.0.2.2\n"));
  auto c = compare_file(*h.v2, *file, std::nullopt);
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->kind, Kind::kEditedInPlace);
  EXPECT_EQ(c->difference.only_in_b, 2u);  // x, y
  EXPECT_EQ(c->difference.only_in_a, 0u);
  const auto line = describe_edited_in_place(name("example.com."), *c);
  EXPECT_NE(line.find("example.com."), std::string::npos) << line;
  EXPECT_NE(line.find("file serial 2"), std::string::npos) << line;
  EXPECT_NE(line.find("2 records only in the file, 0 only in the zone"), std::string::npos) << line;
}

TEST(FileCheck, SameSerialOtherSoaFieldsIsEditedInPlace) {
  History h;
  auto file = zone_from(
      "$TTL 300\n@ SOA ns1 hostmaster 2 7200 3600 1209600 30\n@ NS ns1\nns1 A 192.0.2.1\n"
      "www A 192.0.2.10\nupd A 192.0.2.99\n");
  auto c = compare_file(*h.v2, *file, std::nullopt);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->kind, Kind::kEditedInPlace);
  EXPECT_EQ(c->difference.only_in_a, 1u);
  EXPECT_EQ(c->difference.only_in_b, 1u);
}

TEST(FileCheck, OlderFileThatTheJournalLeadsFromIsOlder) {
  History h;
  const std::vector<Changeset> since{h.update};
  auto c = compare_file(*h.v2, *h.v1, since);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->kind, Kind::kOlder);
}

TEST(FileCheck, OlderFileEditedWithoutSerialIsReportedAsOfItsSerial) {
  History h;
  // The serial-1 file with one more record: the UPDATE replays onto it, one record is left.
  auto file = zone_from(with_serial(1, "www A 192.0.2.10\nhand A 192.0.2.5\n"));
  const std::vector<Changeset> since{h.update};
  auto c = compare_file(*h.v2, *file, since);
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->kind, Kind::kEditedInPlace);
  EXPECT_EQ(c->difference.only_in_b, 1u);
  EXPECT_EQ(c->difference.only_in_a, 0u);
  EXPECT_NE(describe_edited_in_place(name("example.com."), *c).find("as of serial 1"),
            std::string::npos);
}

TEST(FileCheck, OlderFileHoldingAnUpdatesRecordAlreadyIsStillOlder) {
  History h;
  // The operator added by hand the very record the UPDATE adds later: replaying it adds
  // nothing (RFC 2181 §5), and the result is the zone.
  auto file = zone_from(with_serial(1, "www A 192.0.2.10\nupd A 192.0.2.99\n"));
  const std::vector<Changeset> since{h.update};
  auto c = compare_file(*h.v2, *file, since);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->kind, Kind::kOlder);
}

TEST(FileCheck, OlderFileTheJournalDoesNotApplyToIsEditedInPlace) {
  History h;
  // A later UPDATE deleted www; the operator deleted it from the serial-1 file by hand.
  Changeset del;
  del.soa_from = h.v2->soa_record();
  del.soa_to = test::soa(3);
  del.soa_to.ttl = 300;
  del.removed.push_back(rr("www 300 A 192.0.2.10"));
  auto v3 = h.v2->apply(del);
  ASSERT_TRUE(v3) << v3.error().message;
  auto file = zone_from(with_serial(1, ""));
  const std::vector<Changeset> since{h.update, del};
  auto c = compare_file(**v3, *file, since);
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->kind, Kind::kEditedInPlace);
  EXPECT_NE(c->replay_error.find("2 -> 3"), std::string::npos) << c->replay_error;
  EXPECT_NE(describe_edited_in_place(name("example.com."), *c).find("does not apply"),
            std::string::npos);
}

TEST(FileCheck, OlderThanTheJournalReachesIsBeyondJournal) {
  History h;
  auto c = compare_file(*h.v2, *h.v1, std::nullopt);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->kind, Kind::kBeyondJournal);
}

TEST(FileCheck, OtherOriginFails) {
  History h;
  auto other = zone_from(with_serial(3, ""), "example.org.");
  EXPECT_FALSE(compare_file(*h.v2, *other, std::nullopt));
}

TEST(ZoneDiffCount, CountsBothSidesWhateverTheSerials) {
  auto a = zone_from(with_serial(9, "a A 192.0.2.1\nb 60 A 192.0.2.2\n"));
  auto b = zone_from(with_serial(3, "b 120 A 192.0.2.2\nc A 192.0.2.3\nd A 192.0.2.4\n"));
  const auto d = count_differences(*a, *b);
  EXPECT_EQ(d.only_in_a, 3u);  // a, b (TTL 60), SOA 9
  EXPECT_EQ(d.only_in_b, 4u);  // b (TTL 120), c, d, SOA 3
  EXPECT_TRUE(count_differences(*a, *a).none());
}

}  // namespace
}  // namespace dnspush::zone

namespace dnspush::zone {
namespace {

std::string z(std::uint32_t serial, std::string_view rest) {
  return "$TTL 300\n@ SOA ns1 hostmaster " + std::to_string(serial) +
         " 7200 3600 1209600 60\n@ NS ns1\nns1 A 192.0.2.1\n" + std::string(rest);
}

// The file as last read (serial 1); UPDATEs since added upd and deleted old (serial 2); the
// operator edited the serial-1 file: added new, deleted gone, changed ttl's TTL (serial 3).
TEST(MergeEdit, AppliesOnlyTheOperatorsEditOnTopOfUpdates) {
  auto base = test::zone_from(z(1, "old A 192.0.2.3\ngone A 192.0.2.4\nttl 60 A 192.0.2.5\n"));
  auto current = test::zone_from(z(2, "upd A 192.0.2.9\ngone A 192.0.2.4\nttl 60 A 192.0.2.5\n"));
  auto edited = test::zone_from(z(3, "old A 192.0.2.3\nnew A 192.0.2.7\nttl 120 A 192.0.2.5\n"));
  auto m = merge_edit(*base, *current, *edited);
  ASSERT_TRUE(m) << m.error().message;
  ASSERT_TRUE(m->has_value());
  const Changeset& cs = **m;
  EXPECT_EQ(cs.serial_from(), Serial(2));
  EXPECT_EQ(cs.serial_to(), Serial(3));
  // Not "old" (the UPDATE deleted it; the edit did not touch it), not "upd" (the edit did
  // not delete it): only the edit.
  EXPECT_EQ(cs.removed, (std::vector<wire::Record>{test::rr("gone 300 A 192.0.2.4"),
                                                   test::rr("ttl 60 A 192.0.2.5")}));
  EXPECT_EQ(cs.added, (std::vector<wire::Record>{test::rr("new 300 A 192.0.2.7"),
                                                 test::rr("ttl 120 A 192.0.2.5")}));
  auto applied = current->apply(cs);
  ASSERT_TRUE(applied) << applied.error().message;
  auto want = test::zone_from(z(3, "upd A 192.0.2.9\nnew A 192.0.2.7\nttl 120 A 192.0.2.5\n"));
  EXPECT_TRUE(count_differences(**applied, *want).none());
  // compare_file with the base gives the same change.
  auto c = compare_file(*current, *edited, std::nullopt, base.get());
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->kind, FileComparison::Kind::kNewer);
  EXPECT_EQ(c->change->added, cs.added);
  EXPECT_EQ(c->change->removed, cs.removed);
}

TEST(MergeEdit, AnEditTheUpdatesAlreadyMadeChangesOnlyTheSoa) {
  auto base = test::zone_from(z(1, ""));
  auto current = test::zone_from(z(2, "x A 192.0.2.1\n"));
  auto edited = test::zone_from(z(3, "x A 192.0.2.1\n"));
  auto m = merge_edit(*base, *current, *edited);
  ASSERT_TRUE(m && m->has_value());
  EXPECT_TRUE((*m)->empty());
  EXPECT_EQ((*m)->serial_to(), Serial(3));
}

TEST(MergeEdit, NeedsANewerSerial) {
  auto base = test::zone_from(z(1, ""));
  auto current = test::zone_from(z(5, ""));
  auto edited = test::zone_from(z(4, "x A 192.0.2.1\n"));
  EXPECT_FALSE(merge_edit(*base, *current, *edited));
}

}  // namespace
}  // namespace dnspush::zone

namespace dnspush::zone {
namespace {

TEST(FileCheck, TheFileAsLastReadIsSameWhateverUpdatesDid) {
  History h;
  auto c = compare_file(*h.v2, *h.v1, std::nullopt, h.v1.get());
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->kind, Kind::kSame);
  auto edited = zone_from(with_serial(1, "www A 192.0.2.10\nx A 192.0.2.1\n"));
  c = compare_file(*h.v2, *edited, std::nullopt, h.v1.get());
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->kind, Kind::kEditedInPlace);
  EXPECT_EQ(c->difference.only_in_b, 1u);  // x alone: not the UPDATE's upd
  EXPECT_EQ(c->difference.only_in_a, 0u);
}

}  // namespace
}  // namespace dnspush::zone
