// RFC 2136 §2.4 / §3.2: the five prerequisite forms and their RCODEs.
#include "update_fixture.hpp"

namespace dnspush::update::test {
namespace {

// A prerequisite-only UPDATE: NOERROR with nothing to commit when it holds.
Rcode check(const zone::Zone& z, std::initializer_list<Record> prereqs) {
  UpdateMsg u;
  for (const auto& p : prereqs) u.prereq(p);
  const Outcome o = process(u, z);
  EXPECT_FALSE(o.changeset);
  return o.rcode;
}

// RFC 2136 §2.4.1 (CLASS ANY, TYPE rrset): RRset exists, value independent.
TEST(UpdatePrerequisite, RRsetExistsValueIndependent) {
  auto z = make_zone();
  EXPECT_EQ(check(*z, {any("www.example.", RRType::A)}), Rcode::NOERROR);
  EXPECT_EQ(check(*z, {any("example.", RRType::MX)}), Rcode::NOERROR);
  EXPECT_EQ(check(*z, {any("www.example.", RRType::MX)}), Rcode::NXRRSET);
  EXPECT_EQ(check(*z, {any("nowhere.example.", RRType::A)}), Rcode::NXRRSET);
  // RFC 2136 §1.1.4: aliasing is disabled: the CNAME is not followed.
  EXPECT_EQ(check(*z, {any("alias.example.", RRType::A)}), Rcode::NXRRSET);
  EXPECT_EQ(check(*z, {any("alias.example.", RRType::CNAME)}), Rcode::NOERROR);
  // Names compare case-insensitively (RFC 2136 §1.1.2).
  EXPECT_EQ(check(*z, {any("WWW.Example.", RRType::AAAA)}), Rcode::NOERROR);
}

// RFC 2136 §2.4.3 (CLASS NONE, TYPE rrset): RRset does not exist, else YXRRSET.
TEST(UpdatePrerequisite, RRsetDoesNotExist) {
  auto z = make_zone();
  EXPECT_EQ(check(*z, {none("www.example.", RRType::MX)}), Rcode::NOERROR);
  EXPECT_EQ(check(*z, {none("nowhere.example.", RRType::A)}), Rcode::NOERROR);
  EXPECT_EQ(check(*z, {none("www.example.", RRType::A)}), Rcode::YXRRSET);
  EXPECT_EQ(check(*z, {none("example.", RRType::SOA)}), Rcode::YXRRSET);
}

// RFC 2136 §2.4.4 (CLASS ANY, TYPE ANY): name is in use, else NXDOMAIN; an empty
// non-terminal is not in use.
TEST(UpdatePrerequisite, NameIsInUse) {
  auto z = make_zone();
  EXPECT_EQ(check(*z, {any("www.example.", RRType::ANY)}), Rcode::NOERROR);
  EXPECT_EQ(check(*z, {any("example.", RRType::ANY)}), Rcode::NOERROR);
  EXPECT_EQ(check(*z, {any("nowhere.example.", RRType::ANY)}), Rcode::NXDOMAIN);
  ASSERT_NE(z->find(N("b.example.")), nullptr);  // the empty non-terminal exists
  EXPECT_EQ(check(*z, {any("b.example.", RRType::ANY)}), Rcode::NXDOMAIN);
  // RFC 2136 §1.1.3: wildcarding is disabled.
  EXPECT_EQ(check(*z, {any("*.example.", RRType::ANY)}), Rcode::NXDOMAIN);
}

// RFC 2136 §2.4.5 (CLASS NONE, TYPE ANY): name is not in use, else YXDOMAIN; an empty
// non-terminal satisfies it.
TEST(UpdatePrerequisite, NameIsNotInUse) {
  auto z = make_zone();
  EXPECT_EQ(check(*z, {none("nowhere.example.", RRType::ANY)}), Rcode::NOERROR);
  EXPECT_EQ(check(*z, {none("b.example.", RRType::ANY)}), Rcode::NOERROR);
  EXPECT_EQ(check(*z, {none("www.example.", RRType::ANY)}), Rcode::YXDOMAIN);
  EXPECT_EQ(check(*z, {none("alias.example.", RRType::ANY)}), Rcode::YXDOMAIN);
}

// RFC 2136 §2.4.2 / §3.2.3 (CLASS zone): the RRset has exactly these members; TTL and
// order are not compared.
TEST(UpdatePrerequisite, RRsetExistsValueDependent) {
  auto z = make_zone();
  // Same members, other order, TTL 0.
  EXPECT_EQ(check(*z, {in("www.example.", RRType::A, 0, rd_a("192.0.2.11")),
                       in("www.example.", RRType::A, 0, rd_a("192.0.2.10"))}),
            Rcode::NOERROR);
  // A subset is not the RRset.
  EXPECT_EQ(check(*z, {in("www.example.", RRType::A, 0, rd_a("192.0.2.10"))}), Rcode::NXRRSET);
  // Nor is a superset.
  EXPECT_EQ(check(*z, {in("www.example.", RRType::A, 0, rd_a("192.0.2.10")),
                       in("www.example.", RRType::A, 0, rd_a("192.0.2.11")),
                       in("www.example.", RRType::A, 0, rd_a("192.0.2.12"))}),
            Rcode::NXRRSET);
  // Nor another value, or an RRset that does not exist.
  EXPECT_EQ(check(*z, {in("www.example.", RRType::AAAA, 0, rd_aaaa("2001:db8::11"))}),
            Rcode::NXRRSET);
  EXPECT_EQ(check(*z, {in("nowhere.example.", RRType::A, 0, rd_a("192.0.2.10"))}), Rcode::NXRRSET);
  // A duplicate in the prerequisite counts once (an RRset is a set).
  EXPECT_EQ(check(*z, {in("www.example.", RRType::AAAA, 0, rd_aaaa("2001:db8::10")),
                       in("www.example.", RRType::AAAA, 0, rd_aaaa("2001:db8::10"))}),
            Rcode::NOERROR);
  // Names inside RDATA compare case-insensitively (RFC 2136 §1.1.2).
  EXPECT_EQ(check(*z, {in("example.", RRType::NS, 0, rd_name("NS1.example.")),
                       in("example.", RRType::NS, 0, rd_name("ns2.EXAMPLE."))}),
            Rcode::NOERROR);
  // Several RRsets: each must match.
  EXPECT_EQ(check(*z, {in("example.", RRType::MX, 0, rd_mx(10, "mail.example.")),
                       in("www.example.", RRType::AAAA, 0, rd_aaaa("2001:db8::10"))}),
            Rcode::NOERROR);
  EXPECT_EQ(check(*z, {in("example.", RRType::MX, 0, rd_mx(20, "mail.example.")),
                       in("www.example.", RRType::AAAA, 0, rd_aaaa("2001:db8::10"))}),
            Rcode::NXRRSET);
  // The SOA as a value-dependent prerequisite: the serial must match.
  EXPECT_EQ(check(*z, {in("example.", RRType::SOA, 0, rd_soa(kSerial))}), Rcode::NOERROR);
  EXPECT_EQ(check(*z, {in("example.", RRType::SOA, 0, rd_soa(kSerial + 1))}), Rcode::NXRRSET);
}

// RFC 2136 §3.2.5: TTL must be 0 in every form, RDLENGTH 0 for ANY and NONE, and the
// class one of zone/ANY/NONE; else FORMERR.
TEST(UpdatePrerequisite, FormErr) {
  auto z = make_zone();
  EXPECT_EQ(check(*z, {rr("www.example.", RRType::A, RRClass::ANY, 1)}), Rcode::FORMERR);
  EXPECT_EQ(check(*z, {rr("www.example.", RRType::A, RRClass::NONE, 60)}), Rcode::FORMERR);
  EXPECT_EQ(check(*z, {in("www.example.", RRType::AAAA, 300, rd_aaaa("2001:db8::10"))}),
            Rcode::FORMERR);
  EXPECT_EQ(check(*z, {rr("www.example.", RRType::A, RRClass::ANY, 0, rd_a("192.0.2.10"))}),
            Rcode::FORMERR);
  EXPECT_EQ(check(*z, {rr("www.example.", RRType::ANY, RRClass::NONE, 0, rd_a("192.0.2.10"))}),
            Rcode::FORMERR);
  EXPECT_EQ(check(*z, {rr("www.example.", RRType::A, RRClass::CH, 0)}), Rcode::FORMERR);
  EXPECT_EQ(check(*z, {rr("www.example.", RRType::A, RRClass::HS, 0, rd_a("192.0.2.10"))}),
            Rcode::FORMERR);
  // Class zone: RDATA that is not an A record cannot match one.
  EXPECT_EQ(check(*z, {in("www.example.", RRType::A, 0, {})}), Rcode::FORMERR);
}

// RFC 2136 §3.2: a prerequisite name outside the zone is NOTZONE.
TEST(UpdatePrerequisite, NotZone) {
  auto z = make_zone();
  EXPECT_EQ(check(*z, {any("www.example.org.", RRType::A)}), Rcode::NOTZONE);
  EXPECT_EQ(check(*z, {none("org.", RRType::ANY)}), Rcode::NOTZONE);
  EXPECT_EQ(check(*z, {in("notexample.", RRType::A, 0, rd_a("192.0.2.1"))}), Rcode::NOTZONE);
  // "in" means owned by the zone name, the apex included (RFC 2136 §1.2).
  EXPECT_EQ(check(*z, {any("example.", RRType::SOA)}), Rcode::NOERROR);
}

// RFC 2136 §3.2.5: the prerequisites are checked in order; the first failure answers.
// All ANY/NONE forms are checked before the value-dependent RRsets are compared.
TEST(UpdatePrerequisite, FirstFailureWins) {
  auto z = make_zone();
  EXPECT_EQ(check(*z, {any("nowhere.example.", RRType::ANY), none("www.example.", RRType::A)}),
            Rcode::NXDOMAIN);
  EXPECT_EQ(check(*z, {none("www.example.", RRType::A), any("nowhere.example.", RRType::ANY)}),
            Rcode::YXRRSET);
  EXPECT_EQ(check(*z, {in("www.example.", RRType::A, 0, rd_a("192.0.2.99")),
                       none("www.example.", RRType::ANY)}),
            Rcode::YXDOMAIN);
  EXPECT_EQ(check(*z, {any("nowhere.example.", RRType::A), any("x.org.", RRType::A)}),
            Rcode::NXRRSET);
}

// RFC 2136 §3.2 comes before §3.4: a failed prerequisite means no change at all, even
// when the update section is valid (and before it is even prescanned).
TEST(UpdatePrerequisite, FailureLeavesNothing) {
  auto z = make_zone();
  UpdateMsg u;
  u.prereq(none("www.example.", RRType::A))
      .update(in("new.example.", RRType::A, 300, rd_a("192.0.2.99")))
      .update(any("www.example.", RRType::ANY));
  const Outcome o = process(u, *z);
  EXPECT_EQ(o.rcode, Rcode::YXRRSET);
  EXPECT_FALSE(o.changeset);
  EXPECT_FALSE(o.reason.empty());

  UpdateMsg bad_update;
  bad_update.prereq(any("nowhere.example.", RRType::ANY)).update(any("x.org.", RRType::A));
  EXPECT_EQ(process(bad_update, *z).rcode, Rcode::NXDOMAIN);
}

// A prerequisite that holds lets the update through.
TEST(UpdatePrerequisite, SatisfiedPrerequisitesApply) {
  auto z = make_zone();
  UpdateMsg u;
  u.prereq(none("new.example.", RRType::ANY))
      .prereq(any("www.example.", RRType::A))
      .prereq(in("www.example.", RRType::AAAA, 0, rd_aaaa("2001:db8::10")))
      .update(in("new.example.", RRType::A, 300, rd_a("192.0.2.99")));
  const Outcome o = process(u, *z);
  ASSERT_EQ(o.rcode, Rcode::NOERROR) << o.reason;
  ASSERT_TRUE(o.changeset);
  EXPECT_EQ(records_text(o.changeset->added),
            records_text({in("new.example.", RRType::A, 300, rd_a("192.0.2.99"))}));
}

}  // namespace
}  // namespace dnspush::update::test
