// The changeset an UPDATE produces: serials (RFC 2136 §3.6, RFC 1982), atomicity
// (§3.7), and that Zone::apply turns it into exactly the expected zone.
#include "update_fixture.hpp"

namespace dnspush::update::test {
namespace {

TEST(UpdateChangeset, SerialIncrementsByOne) {
  auto z = make_zone();
  const Outcome o =
      process(UpdateMsg().update(in("new.example.", RRType::A, 300, rd_a("192.0.2.99"))), *z);
  ASSERT_TRUE(o.changeset);
  EXPECT_EQ(o.changeset->soa_from, z->soa_record());
  EXPECT_EQ(o.changeset->serial_from(), Serial(kSerial));
  EXPECT_EQ(o.changeset->serial_to(), Serial(kSerial + 1));
  // Only the serial differs between soa_from and soa_to.
  const auto from = zone::parse_soa(o.changeset->soa_from.rdata);
  const auto to = zone::parse_soa(o.changeset->soa_to.rdata);
  ASSERT_TRUE(from && to);
  EXPECT_EQ(to->refresh, from->refresh);
  EXPECT_EQ(to->minimum, from->minimum);
  EXPECT_EQ(o.changeset->soa_to.ttl, o.changeset->soa_from.ttl);
  EXPECT_EQ(o.changeset->soa_to.owner, z->origin());
}

TEST(UpdateChangeset, SerialWrapsAround) {
  auto z = make_zone(0xFFFFFFFFu);
  const Outcome o = process(UpdateMsg().update(any("www.example.", RRType::AAAA)), *z);
  ASSERT_TRUE(o.changeset);
  EXPECT_EQ(o.changeset->serial_to(), Serial(0));
  auto next = commit(z, o);
  EXPECT_EQ(next->serial(), Serial(0));
  // And on from 0.
  const Outcome o2 = process(UpdateMsg().update(any("www.example.", RRType::A)), *next);
  EXPECT_EQ(commit(next, o2)->serial(), Serial(1));
}

TEST(UpdateChangeset, SuccessiveUpdatesEachGetASerial) {
  auto z = make_zone();
  for (std::uint32_t i = 1; i <= 5; ++i) {
    const std::string owner = "h" + std::to_string(i) + ".example.";
    const Outcome o = process(UpdateMsg().update(in(owner, RRType::A, 300, rd_a("192.0.2.1"))), *z);
    z = commit(z, o);
    EXPECT_EQ(z->serial(), Serial(kSerial + i));
  }
}

// RFC 2136 §3.7: all or nothing. A FORMERR or NOTZONE late in the update section means
// no changeset, even though earlier RRs were fine.
TEST(UpdateChangeset, AtomicOnLateFailure) {
  auto z = make_zone();
  UpdateMsg u;
  u.update(in("new.example.", RRType::A, 300, rd_a("192.0.2.99")))
      .update(any("www.example.", RRType::ANY))
      .update(in("x.example.org.", RRType::A, 300, rd_a("192.0.2.1")));
  const Outcome o = process(u, *z);
  EXPECT_EQ(o.rcode, Rcode::NOTZONE);
  EXPECT_FALSE(o.changeset);

  UpdateMsg f;
  f.update(in("new.example.", RRType::A, 300, rd_a("192.0.2.99")))
      .update(rr("www.example.", RRType::A, RRClass::NONE, 300, rd_a("192.0.2.10")));
  EXPECT_EQ(process(f, *z).rcode, Rcode::FORMERR);
  EXPECT_FALSE(process(f, *z).changeset);
}

// Processing never touches the zone it is given.
TEST(UpdateChangeset, ZoneUnchangedByProcessing) {
  auto z = make_zone();
  const auto before = records_text(*z);
  UpdateMsg u;
  u.update(any("www.example.", RRType::ANY))
      .update(in("new.example.", RRType::A, 300, rd_a("192.0.2.99")))
      .update(none("example.", RRType::NS, rd_name("ns1.example.")));
  const Outcome o = process(u, *z);
  ASSERT_TRUE(o.changeset);
  EXPECT_EQ(records_text(*z), before);
  EXPECT_EQ(z->serial(), Serial(kSerial));
}

// A mixed UPDATE, applied: the resulting zone is the old one minus the removed and plus
// the added records, with the new SOA.
TEST(UpdateChangeset, ApplyGivesExpectedZone) {
  auto z = make_zone();
  UpdateMsg u;
  u.prereq(any("www.example.", RRType::A))
      .update(none("www.example.", RRType::A, rd_a("192.0.2.11")))
      .update(in("www.example.", RRType::TXT, 300, rd_txt("hello")))
      .update(any("alias.example.", RRType::CNAME))
      .update(in("alias.example.", RRType::A, 120, rd_a("192.0.2.77")))
      .update(any("a.b.example.", RRType::ANY))
      .update(in("c.b.example.", RRType::TXT, 300, rd_txt("moved")))
      .update(in("example.", RRType::MX, 3600, rd_mx(20, "backup.example.")));
  const Outcome o = process(u, *z);
  ASSERT_EQ(o.rcode, Rcode::NOERROR) << o.reason;
  auto next = commit(z, o);

  const std::vector<Record> expected = {
      in("example.", RRType::SOA, 3600, rd_soa(kSerial + 1)),
      in("example.", RRType::NS, 3600, rd_name("ns1.example.")),
      in("example.", RRType::NS, 3600, rd_name("ns2.example.")),
      in("example.", RRType::MX, 3600, rd_mx(10, "mail.example.")),
      in("example.", RRType::MX, 3600, rd_mx(20, "backup.example.")),
      in("alias.example.", RRType::A, 120, rd_a("192.0.2.77")),
      in("c.b.example.", RRType::TXT, 300, rd_txt("moved")),
      in("ns1.example.", RRType::A, 3600, rd_a("192.0.2.1")),
      in("ns2.example.", RRType::A, 3600, rd_a("192.0.2.2")),
      in("sub.example.", RRType::NS, 3600, rd_name("ns.elsewhere.net.")),
      in("sub.example.", RRType::NS, 3600, rd_name("ns.sub.example.")),
      in("www.example.", RRType::A, 300, rd_a("192.0.2.10")),
      in("www.example.", RRType::TXT, 300, rd_txt("hello")),
      in("www.example.", RRType::AAAA, 300, rd_aaaa("2001:db8::10")),
  };
  zone::ZoneBuilder b(N("example."));
  for (const auto& r : expected) ASSERT_TRUE(b.add(r).has_value()) << wire::to_text(r);
  auto want = std::move(b).finish();
  ASSERT_TRUE(want.has_value()) << want.error().message;
  EXPECT_EQ(records_text(*next), records_text(**want));
  EXPECT_EQ(next->record_count(), (*want)->record_count());
  EXPECT_EQ(next->find(N("a.b.example.")), nullptr);
  ASSERT_NE(next->find(N("b.example.")), nullptr);  // still an empty non-terminal
  EXPECT_TRUE(next->find(N("b.example."))->empty());

  // The changeset lists exactly the difference.
  ASSERT_TRUE(o.changeset);
  EXPECT_EQ(o.changeset->removed.size(), 3u);  // www A .11, alias CNAME, a.b TXT
  EXPECT_EQ(o.changeset->added.size(), 4u);    // www TXT, alias A, c.b TXT, apex MX 20
}

// The changeset lists records deterministically (canonical owner order, then type).
TEST(UpdateChangeset, DeterministicOrder) {
  auto z = make_zone();
  UpdateMsg u;
  u.update(in("zz.example.", RRType::A, 300, rd_a("192.0.2.3")))
      .update(in("aa.example.", RRType::TXT, 300, rd_txt("t")))
      .update(in("aa.example.", RRType::A, 300, rd_a("192.0.2.1")));
  const Outcome o = process(u, *z);
  ASSERT_TRUE(o.changeset);
  EXPECT_EQ(records_text(o.changeset->added),
            records_text({in("aa.example.", RRType::A, 300, rd_a("192.0.2.1")),
                          in("aa.example.", RRType::TXT, 300, rd_txt("t")),
                          in("zz.example.", RRType::A, 300, rd_a("192.0.2.3"))}));
}

// An UPDATE with nothing in it changes nothing.
TEST(UpdateChangeset, EmptyUpdateNothingToCommit) {
  auto z = make_zone();
  const Outcome o = process(UpdateMsg(), *z);
  EXPECT_EQ(o.rcode, Rcode::NOERROR);
  EXPECT_TRUE(o.ok());
  EXPECT_FALSE(o.changeset);
  EXPECT_TRUE(o.reason.empty());
}

}  // namespace
}  // namespace dnspush::update::test

namespace dnspush::update::test {
namespace {

// A large RRset (DNS-SD browsing: many PTRs at one name) touched by a large UPDATE:
// adds, duplicates and deletions are matched by canonical RDATA (names in RDATA compare
// case-insensitively, RFC 2136 §1.1.2), and the changeset holds just the difference.
TEST(UpdateChangeset, LargeRRset) {
  constexpr int kCount = 1000;
  const auto instance = [](const char* prefix, int i) {
    return std::string(prefix) + std::to_string(i) + "._http._tcp.example.";
  };
  zone::ZoneBuilder b(N("example."));
  ASSERT_TRUE(b.add(in("example.", RRType::SOA, 3600, rd_soa(kSerial))).has_value());
  ASSERT_TRUE(b.add(in("example.", RRType::NS, 3600, rd_name("ns1.example."))).has_value());
  for (int i = 0; i < kCount; ++i) {
    ASSERT_TRUE(b.add(in("_http._tcp.example.", RRType::PTR, 300, rd_name(instance("old", i))))
                    .has_value());
  }
  auto z = *std::move(b).finish();
  UpdateMsg u;
  for (int i = 0; i < kCount; ++i) {
    u.update(in("_http._tcp.example.", RRType::PTR, 300, rd_name(instance("new", i))));
    u.update(in("_http._tcp.example.", RRType::PTR, 300, rd_name(instance("OLD", i))));  // dup
    if (i % 2 == 0) u.update(none("_http._tcp.example.", RRType::PTR, rd_name(instance("old", i))));
  }
  const Outcome o = process(u, *z);
  ASSERT_EQ(o.rcode, Rcode::NOERROR) << o.reason;
  ASSERT_TRUE(o.changeset);
  EXPECT_EQ(o.changeset->added.size(), static_cast<std::size_t>(kCount));
  EXPECT_EQ(o.changeset->removed.size(), static_cast<std::size_t>(kCount / 2));
  for (const auto& r : o.changeset->added) {
    EXPECT_EQ(wire::rdata_to_text(r.type, r.rdata).substr(0, 3), "new");
  }
}

}  // namespace
}  // namespace dnspush::update::test
