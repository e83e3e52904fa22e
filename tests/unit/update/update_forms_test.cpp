// RFC 2136 §2.5 / §3.4: the four update forms, the prescan, and what the changeset holds.
#include "update_fixture.hpp"

namespace dnspush::update::test {
namespace {

Outcome run(const zone::Zone& z, std::initializer_list<Record> updates) {
  UpdateMsg u;
  for (const auto& r : updates) u.update(r);
  return process(u, z);
}

// RFC 2136 §2.5.1: add to an RRset (a new one, or an existing one).
TEST(UpdateForms, AddNewName) {
  auto z = make_zone();
  const Outcome o = run(*z, {in("new.example.", RRType::A, 300, rd_a("192.0.2.99"))});
  ASSERT_EQ(o.rcode, Rcode::NOERROR) << o.reason;
  ASSERT_TRUE(o.changeset);
  EXPECT_TRUE(o.changeset->removed.empty());
  EXPECT_EQ(records_text(o.changeset->added),
            records_text({in("new.example.", RRType::A, 300, rd_a("192.0.2.99"))}));
  auto next = commit(z, o);
  EXPECT_EQ(rrset_text(*next, "new.example.", RRType::A),
            std::vector<std::string>{"300 192.0.2.99"});
  EXPECT_EQ(next->record_count(), z->record_count() + 1);
  // The old version is untouched.
  EXPECT_EQ(z->find(N("new.example.")), nullptr);
}

TEST(UpdateForms, AddToExistingRRset) {
  auto z = make_zone();
  const Outcome o = run(*z, {in("www.example.", RRType::A, 300, rd_a("192.0.2.12"))});
  ASSERT_TRUE(o.changeset);
  EXPECT_TRUE(o.changeset->removed.empty());
  EXPECT_EQ(o.changeset->added.size(), 1u);
  auto next = commit(z, o);
  EXPECT_EQ(rrset_text(*next, "www.example.", RRType::A),
            (std::vector<std::string>{"300 192.0.2.10", "300 192.0.2.11", "300 192.0.2.12"}));
}

// RFC 2136 §2.5.1: duplicate RRs are silently ignored: nothing to commit.
TEST(UpdateForms, DuplicateAddIsIgnored) {
  auto z = make_zone();
  const Outcome o = run(*z, {in("www.example.", RRType::A, 300, rd_a("192.0.2.10")),
                             in("example.", RRType::NS, 3600, rd_name("NS1.EXAMPLE."))});
  EXPECT_EQ(o.rcode, Rcode::NOERROR);
  EXPECT_FALSE(o.changeset);
  // Two identical adds in one message make one record.
  const Outcome twice = run(*z, {in("new.example.", RRType::A, 300, rd_a("192.0.2.99")),
                                 in("new.example.", RRType::A, 300, rd_a("192.0.2.99"))});
  ASSERT_TRUE(twice.changeset);
  EXPECT_EQ(twice.changeset->added.size(), 1u);
}

// RFC 2136 §3.4.2.2: a duplicate replaces the zone RR, so its TTL becomes the RRset's
// (RFC 2181 §5.2: one TTL per RRset). The whole RRset is removed and re-added so that
// IXFR and push consumers see the new TTL on every record.
TEST(UpdateForms, DuplicateWithNewTtlChangesRRsetTtl) {
  auto z = make_zone();
  const Outcome o = run(*z, {in("www.example.", RRType::A, 60, rd_a("192.0.2.10"))});
  ASSERT_TRUE(o.changeset);
  EXPECT_EQ(records_text(o.changeset->removed),
            records_text({in("www.example.", RRType::A, 300, rd_a("192.0.2.10")),
                          in("www.example.", RRType::A, 300, rd_a("192.0.2.11"))}));
  EXPECT_EQ(records_text(o.changeset->added),
            records_text({in("www.example.", RRType::A, 60, rd_a("192.0.2.10")),
                          in("www.example.", RRType::A, 60, rd_a("192.0.2.11"))}));
  auto next = commit(z, o);
  EXPECT_EQ(rrset_text(*next, "www.example.", RRType::A),
            (std::vector<std::string>{"60 192.0.2.10", "60 192.0.2.11"}));
  EXPECT_EQ(next->record_count(), z->record_count());
}

TEST(UpdateForms, NewMemberWithOtherTtlSetsRRsetTtl) {
  auto z = make_zone();
  const Outcome o = run(*z, {in("www.example.", RRType::A, 900, rd_a("192.0.2.12"))});
  ASSERT_TRUE(o.changeset);
  EXPECT_EQ(o.changeset->removed.size(), 2u);
  EXPECT_EQ(o.changeset->added.size(), 3u);
  auto next = commit(z, o);
  EXPECT_EQ(rrset_text(*next, "www.example.", RRType::A),
            (std::vector<std::string>{"900 192.0.2.10", "900 192.0.2.11", "900 192.0.2.12"}));
}

// RFC 2136 §2.5.2: delete an RRset (CLASS ANY, TYPE rrset).
TEST(UpdateForms, DeleteRRset) {
  auto z = make_zone();
  const Outcome o = run(*z, {any("www.example.", RRType::A)});
  ASSERT_TRUE(o.changeset);
  EXPECT_EQ(records_text(o.changeset->removed),
            records_text({in("www.example.", RRType::A, 300, rd_a("192.0.2.10")),
                          in("www.example.", RRType::A, 300, rd_a("192.0.2.11"))}));
  EXPECT_TRUE(o.changeset->added.empty());
  auto next = commit(z, o);
  EXPECT_TRUE(rrset_text(*next, "www.example.", RRType::A).empty());
  EXPECT_EQ(rrset_text(*next, "www.example.", RRType::AAAA),
            std::vector<std::string>{"300 2001:db8::10"});
}

// RFC 2136 §2.5.2-§2.5.4: deleting what is not there is silently ignored.
TEST(UpdateForms, DeletingNothingIsANoOp) {
  auto z = make_zone();
  const Outcome o =
      run(*z, {any("www.example.", RRType::MX), any("nowhere.example.", RRType::ANY),
               any("b.example.", RRType::ANY), none("www.example.", RRType::A, rd_a("192.0.2.99")),
               none("nowhere.example.", RRType::TXT, rd_txt("x"))});
  EXPECT_EQ(o.rcode, Rcode::NOERROR) << o.reason;
  EXPECT_FALSE(o.changeset);
}

// RFC 2136 §2.5.3: delete all RRsets from a name (CLASS ANY, TYPE ANY).
TEST(UpdateForms, DeleteAllAtName) {
  auto z = make_zone();
  const Outcome o = run(*z, {any("www.example.", RRType::ANY)});
  ASSERT_TRUE(o.changeset);
  EXPECT_EQ(o.changeset->removed.size(), 3u);
  auto next = commit(z, o);
  EXPECT_EQ(next->find(N("www.example.")), nullptr);
  EXPECT_EQ(next->record_count(), z->record_count() - 3);
}

// RFC 2136 §2.5.4: delete an RR from an RRset (CLASS NONE).
TEST(UpdateForms, DeleteRR) {
  auto z = make_zone();
  const Outcome o = run(*z, {none("www.example.", RRType::A, rd_a("192.0.2.10"))});
  ASSERT_TRUE(o.changeset);
  EXPECT_EQ(records_text(o.changeset->removed),
            records_text({in("www.example.", RRType::A, 300, rd_a("192.0.2.10"))}));
  auto next = commit(z, o);
  EXPECT_EQ(rrset_text(*next, "www.example.", RRType::A),
            std::vector<std::string>{"300 192.0.2.11"});
  // Deleting the last RR of the last RRset removes the name and its empty parent.
  const Outcome last =
      process(UpdateMsg().update(none("a.b.example.", RRType::TXT, rd_txt("deep"))), *next);
  auto after = commit(next, last);
  EXPECT_EQ(after->find(N("a.b.example.")), nullptr);
  EXPECT_EQ(after->find(N("b.example.")), nullptr);
}

// RFC 2136 §3.4.2: updates apply in order, each seeing the ones before it.
TEST(UpdateForms, AppliedInOrder) {
  auto z = make_zone();
  // Delete the RRset, then add one member: the RRset is that member alone.
  const Outcome o = run(
      *z, {any("www.example.", RRType::A), in("www.example.", RRType::A, 300, rd_a("192.0.2.11"))});
  auto next = commit(z, o);
  EXPECT_EQ(rrset_text(*next, "www.example.", RRType::A),
            std::vector<std::string>{"300 192.0.2.11"});
  ASSERT_TRUE(o.changeset);
  EXPECT_EQ(records_text(o.changeset->removed),
            records_text({in("www.example.", RRType::A, 300, rd_a("192.0.2.10"))}));
  EXPECT_TRUE(o.changeset->added.empty());

  // Add, then delete everything at the name: the add is gone too.
  const Outcome o2 = run(
      *z, {in("www.example.", RRType::TXT, 300, rd_txt("t")), any("www.example.", RRType::ANY)});
  ASSERT_TRUE(o2.changeset);
  EXPECT_EQ(o2.changeset->removed.size(), 3u);
  EXPECT_TRUE(o2.changeset->added.empty());
}

// An RR added and deleted by the same UPDATE is in neither list; a record deleted and
// re-added is unchanged. Nothing left: no changeset.
TEST(UpdateForms, AddThenDeleteNetsOut) {
  auto z = make_zone();
  const Outcome o = run(*z, {in("new.example.", RRType::A, 300, rd_a("192.0.2.99")),
                             none("new.example.", RRType::A, rd_a("192.0.2.99")),
                             none("www.example.", RRType::A, rd_a("192.0.2.10")),
                             in("www.example.", RRType::A, 300, rd_a("192.0.2.10"))});
  EXPECT_EQ(o.rcode, Rcode::NOERROR) << o.reason;
  EXPECT_FALSE(o.changeset);

  const Outcome partly = run(*z, {in("new.example.", RRType::A, 300, rd_a("192.0.2.99")),
                                  in("new.example.", RRType::A, 300, rd_a("192.0.2.98")),
                                  none("new.example.", RRType::A, rd_a("192.0.2.99"))});
  ASSERT_TRUE(partly.changeset);
  EXPECT_TRUE(partly.changeset->removed.empty());
  EXPECT_EQ(records_text(partly.changeset->added),
            records_text({in("new.example.", RRType::A, 300, rd_a("192.0.2.98"))}));
}

// RFC 2136 §3.4.1: prescan FORMERR cases.
TEST(UpdateForms, PrescanFormErr) {
  auto z = make_zone();
  const auto formerr = [&](Record r) {
    const Outcome o = run(*z, {in("ok.example.", RRType::A, 300, rd_a("192.0.2.1")), r});
    EXPECT_EQ(o.rcode, Rcode::FORMERR) << wire::to_text(r);
    EXPECT_FALSE(o.changeset);
  };
  formerr(rr("www.example.", RRType::A, RRClass::CH, 300, rd_a("192.0.2.1")));  // bad class
  formerr(in("www.example.", RRType::ANY, 300, {}));                            // meta type added
  formerr(in("www.example.", RRType::AXFR, 300, {}));
  formerr(in("www.example.", static_cast<RRType>(253), 300, {}));  // MAILB
  formerr(in("www.example.", RRType::OPT, 300, {}));
  formerr(rr("www.example.", RRType::A, RRClass::ANY, 300));  // TTL not 0
  formerr(rr("www.example.", RRType::A, RRClass::NONE, 60, rd_a("192.0.2.10")));
  formerr(rr("www.example.", RRType::A, RRClass::ANY, 0, rd_a("192.0.2.10")));  // RDLENGTH
  formerr(rr("www.example.", RRType::IXFR, RRClass::ANY, 0));
  formerr(none("www.example.", RRType::ANY));
  formerr(none("www.example.", RRType::AXFR));
  formerr(in("www.example.", RRType::A, 300, {1, 2, 3}));  // RDATA not an A record
  formerr(none("www.example.", RRType::A));                // nothing to match
  formerr(in("www.example.", RRType::MX, 300, {0, 10}));
}

// RFC 2136 §3.4.1: an update name outside the zone is NOTZONE, and nothing applies.
TEST(UpdateForms, PrescanNotZone) {
  auto z = make_zone();
  for (const Record& r :
       {in("www.example.org.", RRType::A, 300, rd_a("192.0.2.1")), any("org.", RRType::ANY),
        none("x.notexample.", RRType::TXT, rd_txt("x"))}) {
    const Outcome o = run(*z, {in("ok.example.", RRType::A, 300, rd_a("192.0.2.1")), r});
    EXPECT_EQ(o.rcode, Rcode::NOTZONE) << wire::to_text(r);
    EXPECT_FALSE(o.changeset);
  }
}

// RFC 3597: a type we have no description of is opaque, not a FORMERR.
TEST(UpdateForms, UnknownTypeIsOpaque) {
  auto z = make_zone();
  const Outcome o = run(*z, {in("new.example.", static_cast<RRType>(65280), 300, {1, 2, 3})});
  ASSERT_EQ(o.rcode, Rcode::NOERROR) << o.reason;
  auto next = commit(z, o);
  EXPECT_EQ(rrset_text(*next, "new.example.", static_cast<RRType>(65280)).size(), 1u);
}

// Glue and records below a delegation are in the zone (RFC 2136 §1.2).
TEST(UpdateForms, GlueBelowDelegation) {
  auto z = make_zone();
  const Outcome o = run(*z, {in("ns.sub.example.", RRType::A, 3600, rd_a("192.0.2.53"))});
  auto next = commit(z, o);
  EXPECT_EQ(rrset_text(*next, "ns.sub.example.", RRType::A),
            std::vector<std::string>{"3600 192.0.2.53"});
}

}  // namespace
}  // namespace dnspush::update::test
