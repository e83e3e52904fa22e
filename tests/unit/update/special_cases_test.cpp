// RFC 2136 §3.4.2's special cases: SOA and NS at the apex, CNAME and other data, the
// types that replace rather than join an RRset (§1.1.5).
#include "update_fixture.hpp"

namespace dnspush::update::test {
namespace {

Outcome run(const zone::Zone& z, std::initializer_list<Record> updates) {
  UpdateMsg u;
  for (const auto& r : updates) u.update(r);
  return process(u, z);
}

const std::vector<std::string> kApexNs = {"3600 ns1.example.", "3600 ns2.example."};

// RFC 2136 §3.4.2.3: deleting the SOA or NS RRset at the apex is ignored.
TEST(UpdateSpecial, ApexSoaAndNsRRsetDeletionIgnored) {
  auto z = make_zone();
  const Outcome o = run(*z, {any("example.", RRType::SOA), any("example.", RRType::NS)});
  EXPECT_EQ(o.rcode, Rcode::NOERROR) << o.reason;
  EXPECT_FALSE(o.changeset);
}

// RFC 2136 §3.4.2.3: deleting all RRsets at the apex keeps SOA and NS.
TEST(UpdateSpecial, DeleteAllAtApexKeepsSoaAndNs) {
  auto z = make_zone();
  const Outcome o = run(*z, {any("example.", RRType::ANY)});
  ASSERT_TRUE(o.changeset);
  EXPECT_EQ(records_text(o.changeset->removed),
            records_text({in("example.", RRType::MX, 3600, rd_mx(10, "mail.example."))}));
  auto next = commit(z, o);
  EXPECT_EQ(rrset_text(*next, "example.", RRType::NS), kApexNs);
  EXPECT_TRUE(rrset_text(*next, "example.", RRType::MX).empty());
  EXPECT_EQ(next->serial(), Serial(kSerial + 1));
}

// RFC 2136 §3.4.2.4: a class NONE delete of the SOA is ignored.
TEST(UpdateSpecial, SoaRRDeletionIgnored) {
  auto z = make_zone();
  const Outcome o = run(*z, {none("example.", RRType::SOA, rd_soa(kSerial))});
  EXPECT_EQ(o.rcode, Rcode::NOERROR);
  EXPECT_FALSE(o.changeset);
}

// RFC 2136 §3.4.2.4: the last apex NS cannot be deleted; the others can.
TEST(UpdateSpecial, LastApexNsIsKept) {
  auto z = make_zone();
  const Outcome o = run(*z, {none("example.", RRType::NS, rd_name("ns1.example.")),
                             none("example.", RRType::NS, rd_name("ns2.example."))});
  ASSERT_TRUE(o.changeset);
  EXPECT_EQ(records_text(o.changeset->removed),
            records_text({in("example.", RRType::NS, 3600, rd_name("ns1.example."))}));
  auto next = commit(z, o);
  EXPECT_EQ(rrset_text(*next, "example.", RRType::NS),
            std::vector<std::string>{"3600 ns2.example."});
  // Now ns2 is the last one: deleting it is ignored.
  const Outcome again = run(*next, {none("example.", RRType::NS, rd_name("ns2.example."))});
  EXPECT_FALSE(again.changeset);
  // Replacing it works when the new one is added first.
  const Outcome swap = run(*next, {in("example.", RRType::NS, 3600, rd_name("ns3.example.")),
                                   none("example.", RRType::NS, rd_name("ns2.example."))});
  auto swapped = commit(next, swap);
  EXPECT_EQ(rrset_text(*swapped, "example.", RRType::NS),
            std::vector<std::string>{"3600 ns3.example."});
}

// The apex rule is for the apex only: a delegation's NS RRset can go entirely.
TEST(UpdateSpecial, DelegationNsCanBeDeleted) {
  auto z = make_zone();
  const Outcome o = run(*z, {none("sub.example.", RRType::NS, rd_name("ns.sub.example.")),
                             none("sub.example.", RRType::NS, rd_name("ns.elsewhere.net."))});
  auto next = commit(z, o);
  EXPECT_EQ(next->find(N("sub.example.")), nullptr);
  const Outcome rrset = run(*z, {any("sub.example.", RRType::NS)});
  ASSERT_TRUE(rrset.changeset);
  EXPECT_EQ(rrset.changeset->removed.size(), 2u);
}

// RFC 2136 §3.4.2.2: a CNAME add at a name with other data is ignored ...
TEST(UpdateSpecial, CnameAddBesideOtherDataIgnored) {
  auto z = make_zone();
  const Outcome o = run(*z, {in("www.example.", RRType::CNAME, 300, rd_name("elsewhere.example.")),
                             in("example.", RRType::CNAME, 300, rd_name("elsewhere.example."))});
  EXPECT_EQ(o.rcode, Rcode::NOERROR);
  EXPECT_FALSE(o.changeset);
}

// ... and so is other data added at a CNAME.
TEST(UpdateSpecial, OtherDataAddAtCnameIgnored) {
  auto z = make_zone();
  const Outcome o = run(*z, {in("alias.example.", RRType::A, 300, rd_a("192.0.2.1")),
                             in("alias.example.", RRType::TXT, 300, rd_txt("x"))});
  EXPECT_EQ(o.rcode, Rcode::NOERROR);
  EXPECT_FALSE(o.changeset);
  // Only the conflicting RR is ignored; the rest of the UPDATE applies.
  const Outcome mixed = run(*z, {in("alias.example.", RRType::A, 300, rd_a("192.0.2.1")),
                                 in("new.example.", RRType::A, 300, rd_a("192.0.2.1"))});
  ASSERT_TRUE(mixed.changeset);
  EXPECT_EQ(records_text(mixed.changeset->added),
            records_text({in("new.example.", RRType::A, 300, rd_a("192.0.2.1"))}));
}

// The conflict is judged on the state so far: delete the other data first, then the
// CNAME add goes in.
TEST(UpdateSpecial, CnameAfterDeletingOtherData) {
  auto z = make_zone();
  const Outcome o = run(*z, {any("www.example.", RRType::ANY),
                             in("www.example.", RRType::CNAME, 300, rd_name("alias.example."))});
  auto next = commit(z, o);
  EXPECT_EQ(rrset_text(*next, "www.example.", RRType::CNAME),
            std::vector<std::string>{"300 alias.example."});
  EXPECT_TRUE(rrset_text(*next, "www.example.", RRType::A).empty());
}

// RFC 2136 §1.1.5 / §3.4.2.2: a CNAME add at a CNAME replaces it.
TEST(UpdateSpecial, CnameReplacesCname) {
  auto z = make_zone();
  const Outcome o = run(*z, {in("alias.example.", RRType::CNAME, 600, rd_name("ns1.example."))});
  ASSERT_TRUE(o.changeset);
  EXPECT_EQ(records_text(o.changeset->removed),
            records_text({in("alias.example.", RRType::CNAME, 300, rd_name("www.example."))}));
  EXPECT_EQ(records_text(o.changeset->added),
            records_text({in("alias.example.", RRType::CNAME, 600, rd_name("ns1.example."))}));
  auto next = commit(z, o);
  EXPECT_EQ(rrset_text(*next, "alias.example.", RRType::CNAME),
            std::vector<std::string>{"600 ns1.example."});
}

// RFC 2136 §1.1.5: WKS with the same ADDRESS and PROTOCOL replaces.
TEST(UpdateSpecial, WksReplacesOnAddressAndProtocol) {
  auto z = make_zone();
  auto with =
      commit(z, run(*z, {in("h.example.", RRType::WKS, 300, rd_wks("192.0.2.5", 6, 0x01))}));
  const Outcome o = run(*with, {in("h.example.", RRType::WKS, 300, rd_wks("192.0.2.5", 6, 0x80)),
                                in("h.example.", RRType::WKS, 300, rd_wks("192.0.2.5", 17, 0x80))});
  auto next = commit(with, o);
  EXPECT_EQ(rrset_text(*next, "h.example.", RRType::WKS).size(), 2u);
  ASSERT_TRUE(o.changeset);
  EXPECT_EQ(o.changeset->removed.size(), 1u);
  EXPECT_EQ(o.changeset->added.size(), 2u);
}

// RFC 2136 §3.4.2.2 / §3.6: an SOA add with a greater serial replaces the SOA and its
// serial is the new version's.
TEST(UpdateSpecial, SoaAddWithNewerSerial) {
  auto z = make_zone();
  const Outcome o = run(*z, {in("example.", RRType::SOA, 1800, rd_soa(kSerial + 10, 9000))});
  ASSERT_TRUE(o.changeset);
  EXPECT_TRUE(o.changeset->empty());  // no records besides the SOA change
  EXPECT_EQ(o.changeset->serial_from(), Serial(kSerial));
  EXPECT_EQ(o.changeset->serial_to(), Serial(kSerial + 10));
  EXPECT_EQ(o.changeset->soa_to.ttl, 1800u);
  auto next = commit(z, o);
  EXPECT_EQ(next->serial(), Serial(kSerial + 10));
  EXPECT_EQ(zone::parse_soa(next->soa_record().rdata)->refresh, 9000u);
}

// RFC 2136 §3.4.2.2: an SOA whose serial is lower or equal is ignored (RFC 1982 order),
// as is an SOA anywhere but the apex (there is no zone SOA there).
TEST(UpdateSpecial, SoaAddNotNewerIgnored) {
  auto z = make_zone();
  EXPECT_FALSE(run(*z, {in("example.", RRType::SOA, 3600, rd_soa(kSerial, 9000))}).changeset);
  EXPECT_FALSE(run(*z, {in("example.", RRType::SOA, 3600, rd_soa(kSerial - 1, 9000))}).changeset);
  // RFC 1982: 100 + 2^31 + 1 precedes 100, though numerically larger.
  EXPECT_FALSE(
      run(*z, {in("example.", RRType::SOA, 3600, rd_soa(kSerial + 0x80000001u, 9000))}).changeset);
  const Outcome o = run(*z, {in("www.example.", RRType::SOA, 3600, rd_soa(kSerial + 5))});
  EXPECT_EQ(o.rcode, Rcode::NOERROR);
  EXPECT_FALSE(o.changeset);
}

// RFC 1982: a serial that wraps is still newer.
TEST(UpdateSpecial, SoaAddNewerAcrossWrap) {
  auto z = make_zone(0xFFFFFFF0u);
  const Outcome o = run(*z, {in("example.", RRType::SOA, 3600, rd_soa(5))});
  ASSERT_TRUE(o.changeset);
  EXPECT_EQ(o.changeset->serial_to(), Serial(5));
  EXPECT_EQ(commit(z, o)->serial(), Serial(5));
}

// An SOA add plus other changes: the UPDATE's serial is used, not one more than it.
TEST(UpdateSpecial, SoaAddWithOtherChangesKeepsItsSerial) {
  auto z = make_zone();
  const Outcome o = run(*z, {in("new.example.", RRType::A, 300, rd_a("192.0.2.99")),
                             in("example.", RRType::SOA, 3600, rd_soa(2000))});
  ASSERT_TRUE(o.changeset);
  EXPECT_EQ(o.changeset->serial_to(), Serial(2000));
  EXPECT_EQ(o.changeset->added.size(), 1u);
  EXPECT_EQ(commit(z, o)->serial(), Serial(2000));
}

}  // namespace
}  // namespace dnspush::update::test
