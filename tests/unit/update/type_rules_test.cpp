// Which types and TTLs an UPDATE may carry: reserved and meta types (RFC 6895 §3.1) are
// FORMERR wherever data is meant, MD and MF are obsolete (RFC 1123 §6.1.3.6), RDATA must
// parse as its type, and a TTL above 2^31 - 1 counts as 0 (RFC 2181 §8).
#include "update_fixture.hpp"

namespace dnspush::update::test {
namespace {

constexpr RRType kType0 = static_cast<RRType>(0);
constexpr RRType kType65535 = static_cast<RRType>(65535);

Outcome run(const zone::Zone& z, std::initializer_list<Record> updates) {
  UpdateMsg u;
  for (const auto& r : updates) u.update(r);
  return process(u, z);
}

// The update RR alone after a harmless add, so a FORMERR must come from it and nothing
// of the UPDATE applies (RFC 2136 §3.4.1).
void expect_formerr(const zone::Zone& z, const Record& bad, std::string_view why) {
  const Outcome o = run(z, {in("ok.example.", RRType::A, 300, rd_a("192.0.2.1")), bad});
  EXPECT_EQ(o.rcode, Rcode::FORMERR) << wire::to_text(bad) << ": " << o.reason;
  EXPECT_FALSE(o.changeset) << wire::to_text(bad);
  EXPECT_NE(o.reason.find(why), std::string::npos) << o.reason;
}

TEST(UpdateTypeRules, ReservedTypesAreFormerrInEveryForm) {
  auto z = make_zone();
  for (RRType t : {kType0, kType65535}) {
    expect_formerr(*z, in("www.example.", t, 300, {1, 2, 3}), "reserved type");
    expect_formerr(*z, any("www.example.", t), "reserved type");
    expect_formerr(*z, none("www.example.", t, {1, 2, 3}), "reserved type");
  }
}

TEST(UpdateTypeRules, MetaTypesAreFormerrWhereDataIsMeant) {
  auto z = make_zone();
  for (RRType t : {RRType::OPT, RRType::TKEY, RRType::TSIG, RRType::IXFR, RRType::AXFR,
                   RRType::MAILB, RRType::MAILA, RRType::ANY, static_cast<RRType>(128)}) {
    expect_formerr(*z, in("www.example.", t, 300, {}), "meta type");
    expect_formerr(*z, none("www.example.", t), "meta type");
    if (t != RRType::ANY) expect_formerr(*z, any("www.example.", t), "meta type");
  }
  // RFC 2136 §2.5.3: class ANY, type ANY deletes all RRsets at a name.
  const Outcome o = run(*z, {any("www.example.", RRType::ANY)});
  EXPECT_EQ(o.rcode, Rcode::NOERROR) << o.reason;
  EXPECT_TRUE(o.changeset);
}

TEST(UpdateTypeRules, ObsoleteMdAndMfCannotBeAdded) {
  auto z = make_zone();
  expect_formerr(*z, in("www.example.", RRType::MD, 300, rd_name("mail.example.")), "obsolete");
  expect_formerr(*z, in("www.example.", RRType::MF, 300, rd_name("mail.example.")), "obsolete");
  // MB, MG and MR are experimental, not obsolete: they may be added.
  const Outcome o = run(*z, {in("www.example.", RRType::MB, 300, rd_name("mail.example."))});
  EXPECT_EQ(o.rcode, Rcode::NOERROR) << o.reason;
  // Deleting what cannot be there is not an error (RFC 2136 §3.4.2.4: nothing matches).
  const Outcome del = run(*z, {any("www.example.", RRType::MD)});
  EXPECT_EQ(del.rcode, Rcode::NOERROR) << del.reason;
  EXPECT_FALSE(del.changeset);
}

TEST(UpdateTypeRules, PrerequisitesRefuseReservedAndMetaTypes) {
  auto z = make_zone();
  auto prereq = [&](Record r) {
    UpdateMsg u;
    u.prereq(std::move(r));
    return process(u, *z);
  };
  EXPECT_EQ(prereq(rr("www.example.", kType0, RRClass::ANY, 0)).rcode, Rcode::FORMERR);
  EXPECT_EQ(prereq(rr("www.example.", kType0, RRClass::NONE, 0)).rcode, Rcode::FORMERR);
  EXPECT_EQ(prereq(rr("www.example.", kType0, RRClass::IN, 0, {1})).rcode, Rcode::FORMERR);
  EXPECT_EQ(prereq(rr("www.example.", RRType::AXFR, RRClass::ANY, 0)).rcode, Rcode::FORMERR);
  EXPECT_EQ(prereq(rr("www.example.", RRType::TSIG, RRClass::NONE, 0)).rcode, Rcode::FORMERR);
  // RFC 2136 §2.4.4/§2.4.5: TYPE ANY is the "name is (not) in use" form.
  EXPECT_EQ(prereq(rr("www.example.", RRType::ANY, RRClass::ANY, 0)).rcode, Rcode::NOERROR);
  EXPECT_EQ(prereq(rr("nowhere.example.", RRType::ANY, RRClass::NONE, 0)).rcode, Rcode::NOERROR);
}

// The shapes that let one malformed record break every secondary (the issue this fixes):
// each is refused, and so nothing of the UPDATE is stored.
TEST(UpdateTypeRules, MalformedRdataOfDescribedTypesIsFormerr) {
  auto z = make_zone();
  struct Bad {
    RRType type;
    Bytes rdata;
  };
  const std::vector<Bad> bad = {
      {RRType::URI, {0x01}},                         // truncated
      {RRType::URI, {0, 1, 0, 1}},                   // empty target (RFC 7553 §4.5)
      {RRType::LOC, Bytes(16, 0)},                   // latitude out of range
      {RRType::LOC, {1, 0, 0, 0}},                   // version 1
      {RRType::APL, {0, 1, 33, 1, 192}},             // IPv4 prefix 33
      {RRType::EUI48, {1, 2, 3, 4, 5}},              // 5 octets
      {RRType::EUI64, {1, 2, 3, 4, 5, 6, 7, 8, 9}},  // 9 octets
      {RRType::SSHFP, {2, 1, 0xAB}},                 // SHA-1 fingerprint of 1 octet
      {RRType::CDS, {0, 1, 8, 2, 0xAB}},             // SHA-256 digest of 1 octet
      {RRType::CDNSKEY, {1, 1, 3, 8}},               // no key
      {RRType::CERT, {0, 1, 0, 1, 8}},               // no certificate
      {RRType::CSYNC, {0, 0, 0, 1, 0, 3, 0, 0}},     // empty bitmap window
      {RRType::IPSECKEY, {10, 4, 2, 1, 2, 3}},       // gateway type 4
      {RRType::ZONEMD, {0, 0, 0, 1, 1, 1, 0xAB}},    // SHA-384 digest of 1 octet
      {RRType::SMIMEA, {3, 1, 1}},                   // no association data
      {RRType::SPF, {}},                             // no character-string
      {RRType::WKS, {192, 0, 2, 1}},                 // no protocol
  };
  for (const auto& b : bad) {
    expect_formerr(*z, in("www.example.", b.type, 300, b.rdata), "RDATA is not valid");
    if (!b.rdata.empty()) {  // class NONE with RDATA: it must parse to match anything
      expect_formerr(*z, none("www.example.", b.type, b.rdata), "RDATA is not valid");
    }
  }
  // The same types with well-formed RDATA are stored.
  const Outcome ok = run(*z, {in("www.example.", RRType::URI, 300, {0, 1, 0, 1, 'x'}),
                              in("www.example.", RRType::EUI48, 300, {0, 0, 0x5E, 0, 0x53, 1})});
  EXPECT_EQ(ok.rcode, Rcode::NOERROR) << ok.reason;
  auto next = commit(z, ok);
  EXPECT_EQ(rrset_text(*next, "www.example.", RRType::URI),
            std::vector<std::string>{"300 1 1 \"x\""});
  EXPECT_EQ(rrset_text(*next, "www.example.", RRType::EUI48),
            std::vector<std::string>{"300 00-00-5e-00-53-01"});
}

// RFC 5155 §3: an NSEC3 lives at its hash; BIND cannot parse a message with one elsewhere.
TEST(UpdateTypeRules, Nsec3OwnerMustBeAHash) {
  auto z = make_zone();
  Bytes nsec3 = {1, 0, 0, 10, 0, 20};
  for (int i = 0; i < 20; ++i) nsec3.push_back(static_cast<std::uint8_t>(i));
  expect_formerr(*z, in("www.example.", RRType::NSEC3, 300, nsec3), "base32hex");
  const Outcome o =
      run(*z, {in("2vptu5timamqttgl4luu9kg21e0aor3s.example.", RRType::NSEC3, 300, nsec3)});
  EXPECT_EQ(o.rcode, Rcode::NOERROR) << o.reason;
  EXPECT_TRUE(o.changeset);
}

// RFC 2181 §8: "treat TTL values received with the most significant bit set as if the
// entire value received was zero."
TEST(UpdateTypeRules, TtlAboveMaxCountsAsZero) {
  auto z = make_zone();
  const Outcome o = run(*z, {in("big.example.", RRType::A, 0x80000000U, rd_a("192.0.2.7")),
                             in("max.example.", RRType::A, 0x7FFFFFFFU, rd_a("192.0.2.8")),
                             in("top.example.", RRType::A, 0xFFFFFFFFU, rd_a("192.0.2.9"))});
  ASSERT_EQ(o.rcode, Rcode::NOERROR) << o.reason;
  ASSERT_TRUE(o.changeset);
  // The changeset already says 0, so the journal, IXFR and push agree with the zone.
  for (const auto& r : o.changeset->added) {
    EXPECT_EQ(r.ttl, r.owner == N("max.example.") ? 0x7FFFFFFFU : 0u) << wire::to_text(r);
  }
  auto next = commit(z, o);
  EXPECT_EQ(rrset_text(*next, "big.example.", RRType::A), std::vector<std::string>{"0 192.0.2.7"});
  EXPECT_EQ(rrset_text(*next, "max.example.", RRType::A),
            std::vector<std::string>{"2147483647 192.0.2.8"});
  EXPECT_EQ(rrset_text(*next, "top.example.", RRType::A), std::vector<std::string>{"0 192.0.2.9"});
  // An existing RRset takes the new TTL as 0 too (RFC 2181 §5.2: one TTL per RRset).
  const Outcome again =
      run(*next, {in("www.example.", RRType::A, 0x80000001U, rd_a("192.0.2.10"))});
  auto after = commit(next, again);
  EXPECT_EQ(rrset_text(*after, "www.example.", RRType::A),
            (std::vector<std::string>{"0 192.0.2.10", "0 192.0.2.11"}));
}

// The zone itself stores the effective TTL whatever a changeset says, the last line of
// defence for producers other than UPDATE.
TEST(UpdateTypeRules, ZoneApplyStoresEffectiveTtl) {
  auto z = make_zone();
  zone::Changeset c;
  c.soa_from = z->soa_record();
  c.soa_to = c.soa_from;
  c.soa_to.rdata = rd_soa(kSerial + 1);
  c.soa_to.ttl = 0x90000000U;
  c.added.push_back(in("raw.example.", RRType::A, 0x80000000U, rd_a("192.0.2.3")));
  auto next = z->apply(c);
  ASSERT_TRUE(next) << next.error().message;
  EXPECT_EQ(rrset_text(**next, "raw.example.", RRType::A), std::vector<std::string>{"0 192.0.2.3"});
  EXPECT_EQ((*next)->soa().ttl, 0u);
}

}  // namespace
}  // namespace dnspush::update::test
