#include "zone/zone.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include <string>
#include <vector>

#include "wire/rdata.hpp"
#include "zone_test_util.hpp"

namespace dnspush::zone {
namespace {

using test::name;
using test::records;
using test::rr;
using testing::HasSubstr;
using wire::RRType;

// A builder holding the base zone's records.
ZoneBuilder base_builder() {
  ZoneBuilder b(name("example.com."));
  for (const auto& r : records(test::kBaseZone)) EXPECT_TRUE(b.add(r).has_value());
  return b;
}

std::string error_of(const Result<void>& r) {
  return r ? "" : r.error().message;
}

// ---------------------------------------------------------------- ZoneBuilder

TEST(ZoneBuilder, BuildsTheBaseZone) {
  auto z = std::move(base_builder()).finish();
  ASSERT_TRUE(z.has_value()) << z.error().message;
  EXPECT_EQ((*z)->origin(), name("example.com."));
  EXPECT_EQ((*z)->record_count(), 4u);
  EXPECT_EQ((*z)->node_count(), 3u);
  EXPECT_EQ((*z)->serial(), Serial(1));
}

TEST(ZoneBuilder, CreatesEmptyNonTerminalsAndCountsChildren) {
  auto b = base_builder();
  ASSERT_TRUE(b.add(rr("a.b.c 60 A 192.0.2.7")).has_value());
  ASSERT_TRUE(b.add(rr("x.b.c 60 A 192.0.2.8")).has_value());
  auto z = std::move(b).finish();
  ASSERT_TRUE(z.has_value());
  const Zone& zone = **z;

  const Node* bc = zone.find(name("b.c.example.com."));
  ASSERT_NE(bc, nullptr);
  EXPECT_TRUE(bc->empty());
  EXPECT_EQ(bc->children(), 2u);
  const Node* c = zone.find(name("c.example.com."));
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->empty());
  EXPECT_EQ(c->children(), 1u);
  // ns1, www, c
  EXPECT_EQ(zone.find(name("example.com."))->children(), 3u);
  EXPECT_FALSE(zone.find(name("a.b.c.example.com."))->empty());
  EXPECT_EQ(zone.find(name("a.b.c.example.com."))->children(), 0u);
  // Exact match only: no node for a name that was never mentioned.
  EXPECT_EQ(zone.find(name("nope.example.com.")), nullptr);
  EXPECT_EQ(zone.find(name("d.b.c.example.com.")), nullptr);
  EXPECT_EQ(zone.find(name("com.")), nullptr);
}

TEST(ZoneBuilder, FindIsCaseInsensitive) {
  auto z = std::move(base_builder()).finish();
  ASSERT_TRUE(z.has_value());
  const Node* n = (*z)->find(name("WwW.Example.COM."));
  ASSERT_NE(n, nullptr);
  ASSERT_NE(n->find(RRType::A), nullptr);
  EXPECT_EQ(n->find(RRType::AAAA), nullptr);
}

TEST(ZoneBuilder, RefusesRecordsOutsideTheOrigin) {
  auto b = base_builder();
  const auto r = b.add(rr("www.example.org. A 192.0.2.1"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kRefused);
  EXPECT_THAT(r.error().message, HasSubstr("www.example.org. A"));
  EXPECT_THAT(r.error().message, HasSubstr("outside"));
  // A sibling whose text ends the same way is still outside.
  EXPECT_FALSE(b.add(rr("xexample.com. A 192.0.2.1")).has_value());
}

TEST(ZoneBuilder, RefusesClassesOtherThanIn) {
  auto b = base_builder();
  auto r = rr("www A 192.0.2.1");
  r.cls = wire::RRClass::CH;
  const auto res = b.add(r);
  ASSERT_FALSE(res.has_value());
  EXPECT_THAT(res.error().message, HasSubstr("www.example.com. A"));
  EXPECT_THAT(res.error().message, HasSubstr("class"));
}

TEST(ZoneBuilder, RefusesMetaTypes) {
  auto b = base_builder();
  for (auto t : {RRType::ANY, RRType::OPT, RRType::TSIG, RRType::AXFR}) {
    wire::Record r = rr("www A 192.0.2.1");
    r.type = t;
    const auto res = b.add(r);
    ASSERT_FALSE(res.has_value()) << wire::to_text(t);
    EXPECT_THAT(res.error().message, HasSubstr("meta type"));
  }
}

TEST(ZoneBuilder, RefusesInvalidRdata) {
  auto b = base_builder();
  wire::Record r = rr("www A 192.0.2.1");
  r.rdata.pop_back();
  const auto res = b.add(r);
  ASSERT_FALSE(res.has_value());
  EXPECT_EQ(res.error().code, Errc::kMalformed);
  EXPECT_THAT(res.error().message, HasSubstr("www.example.com. A: invalid RDATA"));
}

TEST(ZoneBuilder, SoaOnlyAtTheApexAndOnlyOne) {
  auto b = base_builder();
  auto res = b.add(rr("sub 300 SOA ns1 hostmaster 1 2 3 4 5"));
  ASSERT_FALSE(res.has_value());
  EXPECT_THAT(res.error().message, HasSubstr("sub.example.com. SOA"));
  EXPECT_THAT(res.error().message, HasSubstr("apex"));

  res = b.add(test::soa(2));
  ASSERT_FALSE(res.has_value());
  EXPECT_THAT(res.error().message, HasSubstr("exactly one SOA"));
  // The very same SOA again is a duplicate, dropped silently.
  EXPECT_TRUE(b.add(test::soa(1)).has_value());
  auto z = std::move(b).finish();
  ASSERT_TRUE(z.has_value());
  EXPECT_EQ((*z)->soa().rdatas.size(), 1u);
}

TEST(ZoneBuilder, RequiresSoaAndNsAtTheApex) {
  ZoneBuilder no_soa(name("example.com."));
  ASSERT_TRUE(no_soa.add(rr("@ NS ns1")).has_value());
  auto z = std::move(no_soa).finish();
  ASSERT_FALSE(z.has_value());
  EXPECT_THAT(z.error().message, HasSubstr("no SOA"));

  ZoneBuilder no_ns(name("example.com."));
  ASSERT_TRUE(no_ns.add(test::soa(1)).has_value());
  ASSERT_TRUE(no_ns.add(rr("sub NS ns1")).has_value());  // a delegation is not the apex NS
  z = std::move(no_ns).finish();
  ASSERT_FALSE(z.has_value());
  EXPECT_THAT(z.error().message, HasSubstr("no NS"));

  z = ZoneBuilder(name("example.com.")).finish();
  EXPECT_FALSE(z.has_value());
}

TEST(ZoneBuilder, RefusesCnameAndOtherDataInEitherOrder) {
  auto b = base_builder();
  auto res = b.add(rr("www CNAME ns1"));  // www already has an A
  ASSERT_FALSE(res.has_value());
  EXPECT_THAT(res.error().message, HasSubstr("www.example.com. CNAME"));
  EXPECT_THAT(res.error().message, HasSubstr("RFC 1034"));

  ASSERT_TRUE(b.add(rr("alias CNAME www")).has_value());
  res = b.add(rr("alias TXT \"x\""));
  ASSERT_FALSE(res.has_value());
  EXPECT_THAT(res.error().message, HasSubstr("alias.example.com. TXT"));
  // RFC 2181 §10.1: one CNAME per name.
  res = b.add(rr("alias CNAME ns1"));
  ASSERT_FALSE(res.has_value());
  EXPECT_THAT(res.error().message, HasSubstr("more than one CNAME"));
  // The apex cannot be a CNAME (it has SOA and NS).
  EXPECT_FALSE(b.add(rr("@ CNAME www")).has_value());
}

TEST(ZoneBuilder, CnameMayCoexistWithRrsigAndNsec) {
  auto b = base_builder();
  ASSERT_TRUE(b.add(rr("alias CNAME www")).has_value());
  auto res =
      b.add(rr("alias RRSIG CNAME 8 3 300 20250101000000 20240101000000 12345 "
               "example.com. AAAA"));
  EXPECT_TRUE(res.has_value()) << error_of(res);
  res = b.add(rr("alias NSEC www.example.com. CNAME RRSIG NSEC"));
  EXPECT_TRUE(res.has_value()) << error_of(res);
  // And in the other order: a CNAME joins an RRSIG.
  ASSERT_TRUE(b.add(rr("alias2 RRSIG CNAME 8 3 300 20250101000000 20240101000000 12345 "
                       "example.com. AAAA"))
                  .has_value());
  res = b.add(rr("alias2 CNAME www"));
  EXPECT_TRUE(res.has_value()) << error_of(res);
}

TEST(ZoneBuilder, DropsDuplicatesComparingCanonically) {
  auto b = base_builder();
  ASSERT_TRUE(b.add(rr("www A 192.0.2.10")).has_value());  // same as the base zone's
  ASSERT_TRUE(b.add(rr("mx MX 10 Mail.Example.com.")).has_value());
  ASSERT_TRUE(b.add(rr("MX MX 10 mail.example.COM.")).has_value());  // names in MX: case-blind
  ASSERT_TRUE(b.add(rr("t TXT \"A\"")).has_value());
  ASSERT_TRUE(b.add(rr("t TXT \"a\"")).has_value());  // TXT data is case-sensitive
  auto z = std::move(b).finish();
  ASSERT_TRUE(z.has_value());
  EXPECT_EQ((*z)->record_count(), 4u + 3u);
  EXPECT_EQ((*z)->find(name("www.example.com."))->find(RRType::A)->rdatas.size(), 1u);
  EXPECT_EQ((*z)->find(name("mx.example.com."))->find(RRType::MX)->rdatas.size(), 1u);
  EXPECT_EQ((*z)->find(name("t.example.com."))->find(RRType::TXT)->rdatas.size(), 2u);
}

TEST(ZoneBuilder, FirstTtlOfAnRrsetWins) {
  auto b = base_builder();
  ASSERT_TRUE(b.add(rr("multi 60 A 192.0.2.1")).has_value());
  ASSERT_TRUE(b.add(rr("multi 999 A 192.0.2.2")).has_value());
  auto z = std::move(b).finish();
  ASSERT_TRUE(z.has_value());
  const RRset* set = (*z)->find(name("multi.example.com."))->find(RRType::A);
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(set->ttl, 60u);
  EXPECT_EQ(set->rdatas.size(), 2u);
}

// ---------------------------------------------------------------- Zone (read side)

TEST(Zone, SoaAccessors) {
  auto z = test::zone_from(test::kBaseZone);
  ASSERT_NE(z, nullptr);
  EXPECT_EQ(z->soa().type, RRType::SOA);
  EXPECT_EQ(z->soa().ttl, 300u);
  const auto soa = z->soa_record();
  EXPECT_EQ(soa.owner, name("example.com."));
  EXPECT_EQ(soa.type, RRType::SOA);
  EXPECT_EQ(soa.cls, wire::RRClass::IN);
  EXPECT_EQ(soa, test::soa(1));
  EXPECT_EQ(z->serial(), Serial(1));
  EXPECT_EQ(z->negative_ttl(), 60u);  // RFC 2308 §5: min(TTL 300, MINIMUM 60)
}

TEST(Zone, RrsetsAtANodeAreOrderedByType) {
  auto z = test::zone_from(std::string(test::kBaseZone) +
                           "n TXT \"t\"\nn AAAA ::1\nn A 192.0.2.1\nn MX 1 n\n");
  ASSERT_NE(z, nullptr);
  std::vector<RRType> types;
  for (const auto& s : z->find(name("n.example.com."))->rrsets()) types.push_back(s.type);
  EXPECT_EQ(types, (std::vector<RRType>{RRType::A, RRType::MX, RRType::TXT, RRType::AAAA}));
}

TEST(Zone, RecordsAreSoaFirstThenCanonicalOrder) {
  // RFC 4034 §6.1's own example of canonical name order, shuffled in the file.
  const std::string text =
      "$TTL 60\n"
      "@ SOA ns hostmaster 5 1 1 1 1\n"
      "\\200.z TXT \"9\"\n"
      "z TXT \"6\"\n"
      "zABC.a.EXAMPLE. TXT \"5\"\n"
      "*.z TXT \"8\"\n"
      "a TXT \"2\"\n"
      "Z.a TXT \"4\"\n"
      "\\001.z TXT \"7\"\n"
      "yljkjljk.a TXT \"3\"\n"
      "@ NS ns.example.net.\n"
      "@ A 192.0.2.3\n"
      "@ A 192.0.2.1\n"
      // RFC 4034 §6.3: RDATA as octet strings: "\x012" < "\x01b" < "\x02ab".
      "a TXT \"ab\"\n"
      "a TXT \"b\"\n";
  auto z = test::zone_from(text, "example.");
  ASSERT_NE(z, nullptr);
  const auto rs = z->records();
  ASSERT_EQ(rs.size(), z->record_count());

  std::vector<std::string> got;
  for (const auto& r : rs) {
    got.push_back(r.owner.to_text() + " " + wire::to_text(r.type) + " " +
                  wire::rdata_to_text(r.type, r.rdata));
  }
  const std::vector<std::string> want = {
      "example. SOA ns.example. hostmaster.example. 5 1 1 1 1",
      "example. A 192.0.2.1",
      "example. A 192.0.2.3",
      "example. NS ns.example.net.",
      "a.example. TXT \"2\"",
      "a.example. TXT \"b\"",
      "a.example. TXT \"ab\"",
      "yljkjljk.a.example. TXT \"3\"",
      "Z.a.example. TXT \"4\"",
      "zABC.a.EXAMPLE. TXT \"5\"",
      "z.example. TXT \"6\"",
      "\\001.z.example. TXT \"7\"",
      "*.z.example. TXT \"8\"",
      "\\200.z.example. TXT \"9\"",
  };
  EXPECT_EQ(got, want);
}

TEST(Zone, CanonicalOrderAgreesWithNameCompareOnAwkwardLabels) {
  // Labels with zero bytes, upper case, prefixes of each other and many shards' worth of
  // names: records() must agree with Name::canonical_compare everywhere.
  std::string text(test::kBaseZone);
  const char* labels[] = {"a",     "A", "a\\000", "a\\000b", "a\\001", "ab", "\\000",
                          "\\255", "b", "z",      "Z\\000",  "-",      "0"};
  for (const char* x : labels) {
    for (const char* y : labels) text += std::string(x) + "." + y + ".o A 192.0.2.1\n";
  }
  for (int i = 0; i < 500; ++i) text += "n" + std::to_string(i) + ".many A 192.0.2.2\n";
  auto z = test::zone_from(text);
  ASSERT_NE(z, nullptr);
  const auto rs = z->records();
  ASSERT_EQ(rs.size(), z->record_count());
  for (std::size_t i = 2; i < rs.size(); ++i) {
    EXPECT_LE(rs[i - 1].owner.canonical_compare(rs[i].owner), 0)
        << rs[i - 1].owner.to_text() << " before " << rs[i].owner.to_text();
  }
}

// ---------------------------------------------------------------- Zone::apply

Changeset change(const Zone& z, std::uint32_t serial, std::string_view removed,
                 std::string_view added) {
  Changeset c;
  c.soa_from = z.soa_record();
  c.soa_to = test::soa(serial);
  if (!removed.empty()) c.removed = records(removed);
  if (!added.empty()) c.added = records(added);
  return c;
}

TEST(ZoneApply, AddsAndRemovesAndLeavesTheOldVersionAlone) {
  auto z1 = test::zone_from(test::kBaseZone);
  ASSERT_NE(z1, nullptr);
  auto z2 = z1->apply(
      change(*z1, 2, "www 300 A 192.0.2.10\n", "www 300 A 192.0.2.11\nnew 300 TXT \"hello\"\n"));
  ASSERT_TRUE(z2.has_value()) << z2.error().message;
  const Zone& v2 = **z2;

  EXPECT_EQ(v2.serial(), Serial(2));
  EXPECT_EQ(v2.soa_record(), test::soa(2));
  EXPECT_EQ(v2.record_count(), 5u);
  const RRset* a = v2.find(name("www.example.com."))->find(RRType::A);
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->rdatas.size(), 1u);
  EXPECT_TRUE(wire::rdata_equal(RRType::A, a->rdatas[0], rr("x A 192.0.2.11").rdata));
  ASSERT_NE(v2.find(name("new.example.com.")), nullptr);

  // The old version is a snapshot: unchanged.
  EXPECT_EQ(z1->serial(), Serial(1));
  EXPECT_EQ(z1->record_count(), 4u);
  EXPECT_EQ(z1->find(name("new.example.com.")), nullptr);
  EXPECT_EQ(z1->records(), records(test::kBaseZone));

  // Copy-on-write: an untouched node is shared between versions.
  EXPECT_EQ(z1->find(name("ns1.example.com.")), v2.find(name("ns1.example.com.")));
  EXPECT_NE(z1->find(name("www.example.com.")), v2.find(name("www.example.com.")));
}

TEST(ZoneApply, CreatesAndPrunesEmptyNonTerminals) {
  auto z1 = test::zone_from(test::kBaseZone);
  auto z2 = z1->apply(change(*z1, 2, "", "a.b.c 60 A 192.0.2.7\n"));
  ASSERT_TRUE(z2.has_value()) << z2.error().message;
  const Node* c = (*z2)->find(name("c.example.com."));
  const Node* bc = (*z2)->find(name("b.c.example.com."));
  ASSERT_NE(c, nullptr);
  ASSERT_NE(bc, nullptr);
  EXPECT_TRUE(c->empty());
  EXPECT_TRUE(bc->empty());
  EXPECT_EQ(c->children(), 1u);
  EXPECT_EQ(bc->children(), 1u);
  EXPECT_EQ((*z2)->find(name("example.com."))->children(), 3u);
  EXPECT_EQ((*z2)->node_count(), 6u);

  // A sibling under the same ENT: only the counts change.
  auto z3 = (*z2)->apply(change(**z2, 3, "", "x.b.c 60 A 192.0.2.8\n"));
  ASSERT_TRUE(z3.has_value()) << z3.error().message;
  EXPECT_EQ((*z3)->find(name("b.c.example.com."))->children(), 2u);

  // Removing one leaf keeps the ENTs that still lead somewhere.
  auto z4 = (*z3)->apply(change(**z3, 4, "a.b.c 60 A 192.0.2.7\n", ""));
  ASSERT_TRUE(z4.has_value()) << z4.error().message;
  EXPECT_EQ((*z4)->find(name("a.b.c.example.com.")), nullptr);
  ASSERT_NE((*z4)->find(name("b.c.example.com.")), nullptr);
  EXPECT_EQ((*z4)->find(name("b.c.example.com."))->children(), 1u);

  // Removing the last leaf prunes the whole empty chain, but not the apex.
  auto z5 = (*z4)->apply(change(**z4, 5, "x.b.c 60 A 192.0.2.8\n", ""));
  ASSERT_TRUE(z5.has_value()) << z5.error().message;
  EXPECT_EQ((*z5)->find(name("x.b.c.example.com.")), nullptr);
  EXPECT_EQ((*z5)->find(name("b.c.example.com.")), nullptr);
  EXPECT_EQ((*z5)->find(name("c.example.com.")), nullptr);
  EXPECT_EQ((*z5)->find(name("example.com."))->children(), 2u);
  EXPECT_EQ((*z5)->node_count(), z1->node_count());
  EXPECT_EQ((*z5)->records().size(), z1->records().size());
}

TEST(ZoneApply, PruningStopsAtANodeWithData) {
  auto z1 = test::zone_from(std::string(test::kBaseZone) + "leaf.www A 192.0.2.5\n");
  ASSERT_NE(z1, nullptr);
  EXPECT_EQ(z1->find(name("www.example.com."))->children(), 1u);
  auto z2 = z1->apply(change(*z1, 2, "leaf.www A 192.0.2.5\n", ""));
  ASSERT_TRUE(z2.has_value());
  EXPECT_EQ((*z2)->find(name("leaf.www.example.com.")), nullptr);
  ASSERT_NE((*z2)->find(name("www.example.com.")), nullptr);
  EXPECT_EQ((*z2)->find(name("www.example.com."))->children(), 0u);

  // Emptying a node that still has children leaves it as an empty non-terminal.
  auto z3 = z1->apply(change(*z1, 2, "www A 192.0.2.10\n", ""));
  ASSERT_TRUE(z3.has_value());
  const Node* www = (*z3)->find(name("www.example.com."));
  ASSERT_NE(www, nullptr);
  EXPECT_TRUE(www->empty());
  EXPECT_EQ(www->children(), 1u);
}

TEST(ZoneApply, RemoveThenAddAtTheSameNameKeepsTheNode) {
  auto z1 = test::zone_from(test::kBaseZone);
  auto z2 = z1->apply(change(*z1, 2, "www A 192.0.2.10\n", "www 60 AAAA 2001:db8::10\n"));
  ASSERT_TRUE(z2.has_value()) << z2.error().message;
  const Node* www = (*z2)->find(name("www.example.com."));
  ASSERT_NE(www, nullptr);
  EXPECT_EQ(www->find(RRType::A), nullptr);
  ASSERT_NE(www->find(RRType::AAAA), nullptr);
  EXPECT_EQ((*z2)->record_count(), 4u);
}

TEST(ZoneApply, AFailingChangesetChangesNothing) {
  auto z1 = test::zone_from(test::kBaseZone);
  const auto before = z1->records();
  // A valid addition followed by the removal of a record that does not exist.
  auto r = z1->apply(change(*z1, 2, "www A 192.0.2.99\n", "new A 192.0.2.1\n"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kNotFound);
  EXPECT_THAT(r.error().message, HasSubstr("www.example.com. A"));
  // Additions valid one by one, the last one in conflict with an earlier one.
  r = z1->apply(change(*z1, 2, "", "a.b.new A 192.0.2.1\nalias CNAME www\nalias A 192.0.2.2\n"));
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message, HasSubstr("alias.example.com. A"));

  EXPECT_EQ(z1->records(), before);
  EXPECT_EQ(z1->serial(), Serial(1));
  EXPECT_EQ(z1->find(name("new.example.com.")), nullptr);
  EXPECT_EQ(z1->find(name("b.new.example.com.")), nullptr);
  EXPECT_EQ(z1->find(name("alias.example.com.")), nullptr);
  EXPECT_EQ(z1->node_count(), 3u);
  EXPECT_EQ(z1->find(name("example.com."))->children(), 2u);
}

TEST(ZoneApply, RemovingFromAnAbsentNameOrRrsetFails) {
  auto z1 = test::zone_from(test::kBaseZone);
  auto r = z1->apply(change(*z1, 2, "ghost A 192.0.2.1\n", ""));
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message, HasSubstr("ghost.example.com. A"));
  r = z1->apply(change(*z1, 2, "www TXT \"nope\"\n", ""));
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message, HasSubstr("www.example.com. TXT"));
  // The same record twice: the second removal finds nothing.
  r = z1->apply(change(*z1, 2, "www A 192.0.2.10\nwww A 192.0.2.10\n", ""));
  EXPECT_FALSE(r.has_value());
}

TEST(ZoneApply, SoaFromMustMatchTheCurrentSoa) {
  auto z1 = test::zone_from(test::kBaseZone);
  Changeset c = change(*z1, 3, "", "new A 192.0.2.1\n");
  c.soa_from = test::soa(2);  // a changeset for another version
  auto r = z1->apply(c);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kRefused);
  EXPECT_THAT(r.error().message, HasSubstr("soa_from"));
  // Same serial but other fields differ: still not the current SOA.
  c.soa_from = rr("@ 300 SOA ns1 hostmaster 1 7200 3600 1209600 61");
  EXPECT_FALSE(z1->apply(c).has_value());
}

TEST(ZoneApply, SoaToMustBeAnApexSoaWithALaterSerial) {
  auto z1 = test::zone_from(test::kBaseZone);
  Changeset c = change(*z1, 1, "", "new A 192.0.2.1\n");  // serial not increased
  auto r = z1->apply(c);
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message, HasSubstr("serial"));
  c.soa_to = rr("sub 300 SOA ns1 hostmaster 2 7200 3600 1209600 60");
  EXPECT_FALSE(z1->apply(c).has_value());
  c.soa_to = rr("@ 300 A 192.0.2.1");
  EXPECT_FALSE(z1->apply(c).has_value());
  // RFC 1982 wrap-around: 0 follows 4294967295.
  auto zmax = test::zone_from(
      "@ 300 SOA ns1 hostmaster 4294967295 1 1 1 1\n@ 300 NS ns1\nns1 300 A 192.0.2.1\n");
  ASSERT_NE(zmax, nullptr);
  EXPECT_TRUE(zmax->apply(change(*zmax, 0, "", "")).has_value());
}

TEST(ZoneApply, TheSoaIsNotInRemovedOrAdded) {
  auto z1 = test::zone_from(test::kBaseZone);
  auto r = z1->apply(change(*z1, 2, "", "@ 300 SOA ns1 hostmaster 2 7200 3600 1209600 60\n"));
  ASSERT_FALSE(r.has_value());
  r = z1->apply(change(*z1, 2, "@ 300 SOA ns1 hostmaster 1 7200 3600 1209600 60\n", ""));
  ASSERT_FALSE(r.has_value());
}

TEST(ZoneApply, TheApexNsCannotBeRemoved) {
  auto z1 = test::zone_from(test::kBaseZone);
  auto r = z1->apply(change(*z1, 2, "@ NS ns1\n", ""));
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message, HasSubstr("example.com. NS"));
  // Replacing it in the same changeset is fine, and so is removing one of two.
  auto z2 = z1->apply(change(*z1, 2, "@ NS ns1\n", "@ NS ns2.example.net.\n"));
  ASSERT_TRUE(z2.has_value()) << z2.error().message;
  auto z3 = (*z2)->apply(change(**z2, 3, "", "@ NS ns1\n"));
  ASSERT_TRUE(z3.has_value());
  auto z4 = (*z3)->apply(change(**z3, 4, "@ NS ns2.example.net.\n", ""));
  ASSERT_TRUE(z4.has_value()) << z4.error().message;
  EXPECT_EQ((*z4)->find(name("example.com."))->find(RRType::NS)->rdatas.size(), 1u);
}

TEST(ZoneApply, CnameRulesHoldAfterTheChange) {
  auto z1 = test::zone_from(test::kBaseZone);
  auto r = z1->apply(change(*z1, 2, "", "www CNAME ns1\n"));
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message, HasSubstr("RFC 1034"));
  // Turning www into an alias works when its A goes in the same changeset.
  auto z2 = z1->apply(change(*z1, 2, "www A 192.0.2.10\n", "www CNAME ns1\n"));
  ASSERT_TRUE(z2.has_value()) << z2.error().message;
  auto z3 = (*z2)->apply(change(**z2, 3, "", "www TXT \"x\"\n"));
  EXPECT_FALSE(z3.has_value());
}

TEST(ZoneApply, AddedRecordsFollowTheRecordRules) {
  auto z1 = test::zone_from(test::kBaseZone);
  auto r = z1->apply(change(*z1, 2, "", "www.example.org. A 192.0.2.1\n"));
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message, HasSubstr("outside"));
  Changeset c = change(*z1, 2, "", "x A 192.0.2.1\n");
  c.added[0].rdata.push_back(0);
  r = z1->apply(c);
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message, HasSubstr("invalid RDATA"));
}

TEST(ZoneApply, AddingAnExistingRecordSetsTheTtlOnly) {
  auto z1 = test::zone_from(test::kBaseZone);
  auto z2 = z1->apply(change(*z1, 2, "", "www 42 A 192.0.2.10\n"));
  ASSERT_TRUE(z2.has_value());
  EXPECT_EQ((*z2)->record_count(), 4u);
  const RRset* a = (*z2)->find(name("www.example.com."))->find(RRType::A);
  EXPECT_EQ(a->rdatas.size(), 1u);
  EXPECT_EQ(a->ttl, 42u);
  EXPECT_EQ(z1->find(name("www.example.com."))->find(RRType::A)->ttl, 300u);
}

TEST(ZoneApply, GrowsPastItsShardsAndShrinksBack) {
  auto z1 = test::zone_from(test::kBaseZone);
  std::string names;
  for (int i = 0; i < 600; ++i) {
    names += "h" + std::to_string(i) + ".g" + std::to_string(i % 7) + " A 192.0.2.1\n";
  }
  auto z2 = z1->apply(change(*z1, 2, "", names));
  ASSERT_TRUE(z2.has_value()) << z2.error().message;
  EXPECT_EQ((*z2)->node_count(), 3u + 600u + 7u);
  EXPECT_EQ((*z2)->record_count(), 4u + 600u);
  for (int i = 0; i < 600; ++i) {
    const auto n = name("h" + std::to_string(i) + ".g" + std::to_string(i % 7) + ".example.com.");
    ASSERT_NE((*z2)->find(n), nullptr) << n.to_text();
  }
  EXPECT_EQ((*z2)->find(name("g3.example.com."))->children(), 86u);
  EXPECT_EQ((*z2)->find(name("example.com."))->children(), 2u + 7u);
  // A further change on the re-sharded version, then everything out again.
  auto z3 = (*z2)->apply(change(**z2, 3, "h5.g5 A 192.0.2.1\n", "h5.g5 A 192.0.2.5\n"));
  ASSERT_TRUE(z3.has_value()) << z3.error().message;
  auto z4 = (*z3)->apply(change(**z3, 4, names + "h5.g5 A 192.0.2.5\n", "h5.g5 A 192.0.2.1\n"));
  ASSERT_FALSE(z4.has_value());  // h5.g5's 192.0.2.1 is gone since z3
  auto back = (*z2)->apply(change(**z2, 3, names, ""));
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ((*back)->node_count(), 3u);
  EXPECT_EQ((*back)->find(name("g0.example.com.")), nullptr);
  EXPECT_EQ((*back)->find(name("example.com."))->children(), 2u);
  EXPECT_EQ((*back)->records().size(), z1->records().size());
}

TEST(ZoneApply, AnEmptyChangesetOnlyMovesTheSerial) {
  auto z1 = test::zone_from(test::kBaseZone);
  auto z2 = z1->apply(change(*z1, 2, "", ""));
  ASSERT_TRUE(z2.has_value());
  EXPECT_EQ((*z2)->serial(), Serial(2));
  auto rs1 = z1->records();
  auto rs2 = (*z2)->records();
  ASSERT_EQ(rs1.size(), rs2.size());
  for (std::size_t i = 1; i < rs1.size(); ++i) EXPECT_EQ(rs1[i], rs2[i]);
}

}  // namespace
}  // namespace dnspush::zone

namespace dnspush::zone {
namespace {

// The walk sees exactly records_unordered(), SOA first, without copying: every view points
// into the zone's own storage.
TEST(ZoneWalk, VisitsEveryRecordOnceSoaFirst) {
  std::string text = "@ SOA ns hostmaster 5 1 1 1 1\n@ NS ns\nns A 192.0.2.1\n";
  for (int i = 0; i < 3000; ++i) {
    text += "h" + std::to_string(i) + " A 198.51.100." + std::to_string(i % 250) + "\n";
    if (i % 7 == 0) text += "h" + std::to_string(i) + " TXT \"t" + std::to_string(i) + "\"\n";
  }
  text += "empty.nonterminal.deep A 192.0.2.9\n";  // nonterminal.deep is an empty node
  auto z = test::zone_from(text, "example.");
  ASSERT_NE(z, nullptr);
  std::multiset<std::string> seen;
  std::size_t n = 0;
  Zone::Walk w(*z);
  for (auto r = w.current(); r; w.next(), r = w.current()) {
    if (n == 0) {
      EXPECT_EQ(r->type, wire::RRType::SOA);
      EXPECT_EQ(r->rdata.data(), z->soa().rdatas.front().data());  // in place
    } else {
      EXPECT_NE(r->type, wire::RRType::SOA);
    }
    ++n;
    seen.insert(r->owner->to_text() + " " + wire::to_text(r->type) + " " +
                wire::rdata_to_text(r->type, r->rdata));
  }
  EXPECT_EQ(n, z->record_count());
  std::multiset<std::string> want;
  for (const auto& r : z->records_unordered()) {
    want.insert(r.owner.to_text() + " " + wire::to_text(r.type) + " " +
                wire::rdata_to_text(r.type, r.rdata));
  }
  EXPECT_EQ(seen, want);
  // Past the end it stays at the end.
  w.next();
  EXPECT_FALSE(w.current().has_value());
}

}  // namespace
}  // namespace dnspush::zone
