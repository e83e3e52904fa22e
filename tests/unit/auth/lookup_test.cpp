// RFC 1034 §4.3.2 resolution as seen on the wire: positive answers, negative answers with
// their SOA (RFC 2308), CNAME chains, wildcards (RFC 4592), delegations, DNAME (RFC 6672).
#include "auth/lookup.hpp"

#include <gtest/gtest.h>

#include "auth_fixture.hpp"

namespace dnspush::auth::test {
namespace {

using wire::Rcode;

TEST_F(ResponderTest, PositiveAnswerIsAuthoritative) {
  const auto m = ask("www.example.", RRType::A);
  EXPECT_EQ(m.rcode(), Rcode::NOERROR);
  EXPECT_TRUE(m.header.qr);
  EXPECT_TRUE(m.header.aa);
  EXPECT_FALSE(m.header.tc);
  EXPECT_FALSE(m.header.ra);
  EXPECT_TRUE(m.header.rd);  // copied
  EXPECT_EQ(m.header.id, 0x1234);
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(m.answers[0].owner, N("www.example."));
  EXPECT_EQ(m.answers[0].type, RRType::A);
  EXPECT_EQ(m.answers[0].ttl, 300u);
  EXPECT_EQ(m.answers[0].rdata, rd_a("192.0.2.10"));
  EXPECT_TRUE(m.authorities.empty());  // minimal responses
}

TEST_F(ResponderTest, RdClearStaysClear) {
  QueryOptions o;
  o.rd = false;
  const auto m = ask("www.example.", RRType::A, o);
  EXPECT_FALSE(m.header.rd);
  EXPECT_FALSE(m.header.ra);
}

TEST_F(ResponderTest, NxDomainCarriesSoaWithNegativeTtl) {
  const auto m = ask("nope.example.", RRType::A);
  EXPECT_EQ(m.rcode(), Rcode::NXDOMAIN);
  EXPECT_TRUE(m.header.aa);
  EXPECT_TRUE(m.answers.empty());
  ASSERT_EQ(m.authorities.size(), 1u);
  EXPECT_EQ(m.authorities[0].type, RRType::SOA);
  EXPECT_EQ(m.authorities[0].owner, N("example."));
  EXPECT_EQ(m.authorities[0].ttl, 300u);  // min(3600, MINIMUM 300), RFC 2308 §3
}

TEST_F(ResponderTest, NegativeTtlIsSoaTtlWhenSmallerThanMinimum) {
  const auto m = ask("nope.kid.example.", RRType::A);  // SOA TTL 60, MINIMUM 30
  EXPECT_EQ(m.rcode(), Rcode::NXDOMAIN);
  ASSERT_EQ(m.authorities.size(), 1u);
  EXPECT_EQ(m.authorities[0].ttl, 30u);
}

TEST_F(ResponderTest, NoDataCarriesSoa) {
  const auto m = ask("www.example.", RRType::MX);
  EXPECT_EQ(m.rcode(), Rcode::NOERROR);
  EXPECT_TRUE(m.header.aa);
  EXPECT_TRUE(m.answers.empty());
  ASSERT_EQ(m.authorities.size(), 1u);
  EXPECT_EQ(m.authorities[0].type, RRType::SOA);
  EXPECT_EQ(m.authorities[0].ttl, 300u);
}

TEST_F(ResponderTest, EmptyNonTerminalIsNoDataNotNxDomain) {
  for (const char* ent : {"b.c.example.", "c.example."}) {
    const auto m = ask(ent, RRType::A);
    EXPECT_EQ(m.rcode(), Rcode::NOERROR) << ent;
    EXPECT_TRUE(m.answers.empty()) << ent;
    EXPECT_TRUE(has(m.authorities, "example.", RRType::SOA)) << ent;
  }
  EXPECT_EQ(ask("x.c.example.", RRType::A).rcode(), Rcode::NXDOMAIN);
}

TEST_F(ResponderTest, ApexSoaAndNs) {
  auto m = ask("example.", RRType::SOA);
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(m.answers[0].ttl, 3600u);  // the real TTL, not the negative one
  m = ask("example.", RRType::NS);
  EXPECT_EQ(of_type(m.answers, RRType::NS).size(), 2u);
  EXPECT_TRUE(m.header.aa);  // NS at the apex is no referral
}

TEST_F(ResponderTest, CnameIsFollowedInsideTheZone) {
  const auto m = ask("alias.example.", RRType::A);
  EXPECT_EQ(m.rcode(), Rcode::NOERROR);
  EXPECT_TRUE(m.header.aa);
  ASSERT_EQ(m.answers.size(), 2u);
  EXPECT_EQ(m.answers[0].type, RRType::CNAME);
  EXPECT_EQ(m.answers[0].owner, N("alias.example."));
  EXPECT_EQ(m.answers[1].type, RRType::A);
  EXPECT_EQ(m.answers[1].owner, N("www.example."));
}

TEST_F(ResponderTest, CnameChainIsFollowed) {
  const auto m = ask("chain1.example.", RRType::AAAA);
  ASSERT_EQ(m.answers.size(), 4u);
  EXPECT_TRUE(has(m.answers, "chain1.example.", RRType::CNAME));
  EXPECT_TRUE(has(m.answers, "chain2.example.", RRType::CNAME));
  EXPECT_TRUE(has(m.answers, "alias.example.", RRType::CNAME));
  EXPECT_TRUE(has(m.answers, "www.example.", RRType::AAAA));
}

TEST_F(ResponderTest, CnameQueryIsNotFollowed) {
  const auto m = ask("alias.example.", RRType::CNAME);
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(m.answers[0].type, RRType::CNAME);
}

TEST_F(ResponderTest, CnameLoopEnds) {
  const auto m = ask("loop1.example.", RRType::A);
  EXPECT_EQ(m.rcode(), Rcode::NOERROR);
  EXPECT_EQ(m.answers.size(), 2u);  // loop1 -> loop2 -> (loop1 again: stop)
  EXPECT_EQ(of_type(m.answers, RRType::CNAME).size(), 2u);
}

TEST_F(ResponderTest, CnameOutOfZoneStops) {
  const auto m = ask("out.example.", RRType::A);
  EXPECT_EQ(m.rcode(), Rcode::NOERROR);
  EXPECT_TRUE(m.header.aa);
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(m.answers[0].type, RRType::CNAME);
  EXPECT_TRUE(m.authorities.empty());
}

TEST_F(ResponderTest, DanglingCnameGivesNxDomainOfTheTarget) {
  // RFC 6604 §2.1: the RCODE is that of the last name in the chain.
  const auto m = ask("dangling.example.", RRType::A);
  EXPECT_EQ(m.rcode(), Rcode::NXDOMAIN);
  EXPECT_TRUE(m.header.aa);
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_TRUE(has(m.authorities, "example.", RRType::SOA));
}

TEST_F(ResponderTest, CnameToNoDataHasSoa) {
  const auto m = ask("alias.example.", RRType::MX);
  EXPECT_EQ(m.rcode(), Rcode::NOERROR);
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_TRUE(has(m.authorities, "example.", RRType::SOA));
}

TEST(Lookup, ChainIsBoundedToSixteenSteps) {
  ZoneText z("long.");
  z.add("long.", RRType::SOA, 60, rd_soa("ns.long.", "h.long.", 1, 60))
      .add("long.", RRType::NS, 60, rd_name("ns.long."));
  for (int i = 0; i < 40; ++i) {
    z.add("c" + std::to_string(i) + ".long.", RRType::CNAME, 60,
          rd_name("c" + std::to_string(i + 1) + ".long."));
  }
  z.add("c40.long.", RRType::A, 60, rd_a("192.0.2.1"));
  const auto cat = catalogue_of({z.finish()});
  const auto r = lookup(*cat, N("c0.long."), RRType::A);
  EXPECT_EQ(r.outcome, Outcome::kAnswer);
  EXPECT_EQ(r.answer.size(), static_cast<std::size_t>(kMaxChainSteps));
}

TEST_F(ResponderTest, WildcardSynthesizesTheQueryName) {
  const auto m = ask("anything.wild.example.", RRType::A);
  EXPECT_EQ(m.rcode(), Rcode::NOERROR);
  EXPECT_TRUE(m.header.aa);
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(m.answers[0].owner, N("anything.wild.example."));
  EXPECT_EQ(m.answers[0].rdata, rd_a("192.0.2.99"));
  EXPECT_EQ(m.answers[0].ttl, 120u);
}

TEST_F(ResponderTest, WildcardMatchesSeveralLabels) {
  // RFC 4592 §2.1.1: the closest encloser of a.b.wild.example. is wild.example.
  const auto m = ask("a.b.wild.example.", RRType::TXT);
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(m.answers[0].owner, N("a.b.wild.example."));
}

TEST_F(ResponderTest, WildcardNoData) {
  const auto m = ask("anything.wild.example.", RRType::MX);
  EXPECT_EQ(m.rcode(), Rcode::NOERROR);
  EXPECT_TRUE(m.answers.empty());
  EXPECT_TRUE(has(m.authorities, "example.", RRType::SOA));
}

TEST_F(ResponderTest, WildcardDoesNotApplyToExistingNames) {
  // RFC 4592 §2.2.1: host.wild.example. exists, so TXT there is NODATA, not "wildcard".
  const auto m = ask("host.wild.example.", RRType::TXT);
  EXPECT_EQ(m.rcode(), Rcode::NOERROR);
  EXPECT_TRUE(m.answers.empty());
  const auto a = ask("host.wild.example.", RRType::A);
  ASSERT_EQ(a.answers.size(), 1u);
  EXPECT_EQ(a.answers[0].rdata, rd_a("192.0.2.100"));
}

TEST_F(ResponderTest, WildcardDoesNotApplyToOrBelowEmptyNonTerminals) {
  // ent.wild.example. exists as an empty non-terminal: NODATA for it, and below it the
  // closest encloser is ent.wild.example. which has no wildcard child: NXDOMAIN.
  const auto ent = ask("ent.wild.example.", RRType::A);
  EXPECT_EQ(ent.rcode(), Rcode::NOERROR);
  EXPECT_TRUE(ent.answers.empty());
  const auto below = ask("q.ent.wild.example.", RRType::A);
  EXPECT_EQ(below.rcode(), Rcode::NXDOMAIN);
  EXPECT_TRUE(below.answers.empty());
}

TEST_F(ResponderTest, WildcardQueriedLiterally) {
  const auto m = ask("*.wild.example.", RRType::A);
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(m.answers[0].owner, N("*.wild.example."));
}

TEST_F(ResponderTest, WildcardCnameIsFollowed) {
  const auto m = ask("foo.cn.example.", RRType::A);
  EXPECT_EQ(m.rcode(), Rcode::NOERROR);
  ASSERT_EQ(m.answers.size(), 2u);
  EXPECT_EQ(m.answers[0].type, RRType::CNAME);
  EXPECT_EQ(m.answers[0].owner, N("foo.cn.example."));
  EXPECT_TRUE(has(m.answers, "www.example.", RRType::A));
}

TEST_F(ResponderTest, ReferralWithGlue) {
  const auto m = ask("host.deleg.example.", RRType::A);
  EXPECT_EQ(m.rcode(), Rcode::NOERROR);
  EXPECT_FALSE(m.header.aa);
  EXPECT_TRUE(m.answers.empty());
  EXPECT_EQ(of_type(m.authorities, RRType::NS).size(), 3u);
  for (const auto& ns : m.authorities) EXPECT_EQ(ns.owner, N("deleg.example."));
  // In-domain glue and sibling glue, nothing for the out-of-zone server.
  EXPECT_TRUE(has(m.additionals, "ns.deleg.example.", RRType::A));
  EXPECT_TRUE(has(m.additionals, "ns1.example.", RRType::A));
  EXPECT_EQ(m.additionals.size(), 2u);
}

TEST_F(ResponderTest, ReferralAtTheCutItself) {
  const auto m = ask("deleg.example.", RRType::A);
  EXPECT_FALSE(m.header.aa);
  EXPECT_EQ(of_type(m.authorities, RRType::NS).size(), 3u);
  // Glue below a cut is not authoritative data: still a referral, not an answer.
  const auto g = ask("ns.deleg.example.", RRType::A);
  EXPECT_FALSE(g.header.aa);
  EXPECT_TRUE(g.answers.empty());
}

TEST_F(ResponderTest, DsAtCutIsAnsweredFromTheParent) {
  const auto m = ask("deleg.example.", RRType::DS);
  EXPECT_TRUE(m.header.aa);
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(m.answers[0].type, RRType::DS);
  EXPECT_TRUE(m.authorities.empty());
  // No DS at this cut: NODATA from the parent, with the parent's SOA.
  const auto n = ask("nods.example.", RRType::DS);
  EXPECT_TRUE(n.header.aa);
  EXPECT_EQ(n.rcode(), Rcode::NOERROR);
  EXPECT_TRUE(n.answers.empty());
  EXPECT_TRUE(has(n.authorities, "example.", RRType::SOA));
}

TEST_F(ResponderTest, DsAtApexOfChildWeServeComesFromTheParent) {
  const auto ds = ask("kid.example.", RRType::DS);
  EXPECT_TRUE(ds.header.aa);
  ASSERT_EQ(ds.answers.size(), 1u);
  EXPECT_EQ(ds.answers[0].rdata, rd_ds(999));
  // Anything else at kid.example. comes from the child zone.
  const auto a = ask("kid.example.", RRType::A);
  EXPECT_TRUE(a.header.aa);
  ASSERT_EQ(a.answers.size(), 1u);
  EXPECT_EQ(a.answers[0].rdata, rd_a("192.0.2.200"));
}

TEST_F(ResponderTest, DnameSynthesizesCname) {
  const auto m = ask("x.dn.example.", RRType::A);
  EXPECT_EQ(m.rcode(), Rcode::NOERROR);
  EXPECT_TRUE(m.header.aa);
  ASSERT_EQ(m.answers.size(), 3u);
  EXPECT_EQ(m.answers[0].type, RRType::DNAME);
  EXPECT_EQ(m.answers[0].owner, N("dn.example."));
  EXPECT_EQ(m.answers[1].type, RRType::CNAME);
  EXPECT_EQ(m.answers[1].owner, N("x.dn.example."));
  EXPECT_EQ(m.answers[1].ttl, 900u);  // the DNAME's TTL (RFC 6672 §3.1)
  EXPECT_EQ(m.answers[1].rdata, rd_name("x.dst.example."));
  EXPECT_EQ(m.answers[2].type, RRType::A);
  EXPECT_EQ(m.answers[2].rdata, rd_a("192.0.2.77"));
}

TEST_F(ResponderTest, DnameOwnerItselfIsNotRewritten) {
  const auto m = ask("dn.example.", RRType::DNAME);
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(m.answers[0].type, RRType::DNAME);
  EXPECT_EQ(ask("dn.example.", RRType::A).rcode(), Rcode::NOERROR);  // NODATA
}

TEST(Lookup, DnameOverflowIsYxDomain) {
  ZoneText z("d.");
  std::string long_target;
  for (int i = 0; i < 4; ++i) long_target += std::string(60, 'x') + ".";
  z.add("d.", RRType::SOA, 60, rd_soa("ns.d.", "h.d.", 1, 60))
      .add("d.", RRType::NS, 60, rd_name("ns.d."))
      .add("r.d.", RRType::DNAME, 60, rd_name(long_target));
  const auto cat = catalogue_of({z.finish()});
  const auto r = lookup(*cat, N(std::string(40, 'q') + ".r.d."), RRType::A);
  EXPECT_EQ(r.outcome, Outcome::kYxDomain);
  ASSERT_EQ(r.answer.size(), 1u);
  EXPECT_EQ(r.answer[0].type, RRType::DNAME);
}

TEST_F(ResponderTest, AnyReturnsEveryRRsetAtTheName) {
  const auto m = ask("www.example.", RRType::ANY);
  EXPECT_EQ(m.rcode(), Rcode::NOERROR);
  EXPECT_TRUE(has(m.answers, "www.example.", RRType::A));
  EXPECT_TRUE(has(m.answers, "www.example.", RRType::AAAA));
  EXPECT_EQ(m.answers.size(), 2u);
}

TEST_F(ResponderTest, OutsideOurZonesIsRefusedWithoutAa) {
  const auto m = ask("www.example.org.", RRType::A);
  EXPECT_EQ(m.rcode(), Rcode::REFUSED);
  EXPECT_FALSE(m.header.aa);
  EXPECT_TRUE(m.answers.empty());
  ASSERT_EQ(m.questions.size(), 1u);
}

TEST_F(ResponderTest, EmptyCatalogueRefuses) {
  Responder empty;
  Bytes out;
  ASSERT_TRUE(empty.respond(make_query("www.example.", RRType::A), udp(), out));
  const auto m = wire::Message::parse(out);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->rcode(), Rcode::REFUSED);
}

TEST_F(ResponderTest, CatalogueSwapTakesEffect) {
  EXPECT_EQ(ask("www.example.", RRType::A).rcode(), Rcode::NOERROR);
  const auto old = responder_.catalogue();
  responder_.set_catalogue(catalogue_of({kid_zone()}));
  EXPECT_EQ(ask("www.example.", RRType::A).rcode(), Rcode::REFUSED);
  EXPECT_EQ(old->zones().size(), 2u);  // the old snapshot is untouched
}

}  // namespace
}  // namespace dnspush::auth::test
