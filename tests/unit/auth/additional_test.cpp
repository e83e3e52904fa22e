// Additional-section data: addresses of in-zone targets for MX/NS/SRV, DNS-SD browse
// data for PTR (RFC 6763 §12.1), glue for referrals; dropped (never TC) when there is no
// room, except required in-domain glue (RFC 9471 §3.1).
#include "auth/additional.hpp"

#include <gtest/gtest.h>

#include "auth_fixture.hpp"

namespace dnspush::auth::test {
namespace {

using wire::Rcode;

TEST_F(ResponderTest, MxAddsInZoneAddressesOnly) {
  const auto m = ask("example.", RRType::MX);
  EXPECT_EQ(m.answers.size(), 2u);
  EXPECT_TRUE(has(m.additionals, "mail.example.", RRType::A));
  EXPECT_EQ(m.additionals.size(), 1u);  // mx.elsewhere.net. is not ours
}

TEST_F(ResponderTest, NsAddsAddresses) {
  const auto m = ask("example.", RRType::NS);
  EXPECT_TRUE(has(m.additionals, "ns1.example.", RRType::A));
  EXPECT_TRUE(has(m.additionals, "ns2.example.", RRType::AAAA));
  EXPECT_EQ(m.additionals.size(), 2u);
}

TEST_F(ResponderTest, SrvAddsTargetAddressesAndNothingElse) {
  const auto m = ask("_http._tcp.example.", RRType::SRV);
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_TRUE(has(m.additionals, "www.example.", RRType::A));
  EXPECT_TRUE(has(m.additionals, "www.example.", RRType::AAAA));
  EXPECT_EQ(m.additionals.size(), 2u);
}

TEST_F(ResponderTest, DnsSdBrowseAddsSrvTxtAndAddresses) {
  QueryOptions o;
  o.edns = edns(1232);
  const auto m = ask("_ipp._tcp.example.", RRType::PTR, o);
  EXPECT_EQ(m.rcode(), Rcode::NOERROR);
  EXPECT_EQ(m.answers.size(), 2u);
  for (const char* inst : {"p1._ipp._tcp.example.", "p2._ipp._tcp.example."}) {
    EXPECT_TRUE(has(m.additionals, inst, RRType::SRV)) << inst;
    EXPECT_TRUE(has(m.additionals, inst, RRType::TXT)) << inst;
  }
  EXPECT_TRUE(has(m.additionals, "p1host.example.", RRType::A));
  EXPECT_TRUE(has(m.additionals, "p1host.example.", RRType::AAAA));
  EXPECT_TRUE(has(m.additionals, "p2host.example.", RRType::A));
  EXPECT_EQ(m.additionals.size(), 7u);
  // RFC 6763 §12.1 order: the instances' SRV/TXT come before the host addresses.
  EXPECT_NE(m.additionals.front().type, RRType::A);
}

TEST_F(ResponderTest, TxtAnswerHasNoAdditional) {
  const auto m = ask("p1._ipp._tcp.example.", RRType::TXT);
  EXPECT_EQ(m.answers.size(), 1u);
  EXPECT_TRUE(m.additionals.empty());
}

TEST_F(ResponderTest, AdditionalFollowsTheCnameChain) {
  ZoneText z("cn.test.");
  z.add("cn.test.", RRType::SOA, 60, rd_soa("ns.cn.test.", "h.cn.test.", 1, 60))
      .add("cn.test.", RRType::NS, 60, rd_name("ns.cn.test."))
      .add("ns.cn.test.", RRType::A, 60, rd_a("192.0.2.1"))
      .add("m.cn.test.", RRType::CNAME, 60, rd_name("real.cn.test."))
      .add("real.cn.test.", RRType::MX, 60, rd_mx(1, "ns.cn.test."));
  responder_.set_catalogue(catalogue_of({z.finish()}));
  const auto m = ask("m.cn.test.", RRType::MX);
  EXPECT_EQ(m.answers.size(), 2u);
  EXPECT_TRUE(has(m.additionals, "ns.cn.test.", RRType::A));
}

// A browse with many instances: the PTR set must fit in 512 bytes, the additional data
// cannot all fit and is dropped whole RRsets at a time without setting TC.
std::shared_ptr<const zone::Zone> many_instances_zone() {
  ZoneText z("sd.test.");
  z.add("sd.test.", RRType::SOA, 60, rd_soa("ns.sd.test.", "h.sd.test.", 1, 60))
      .add("sd.test.", RRType::NS, 60, rd_name("ns.sd.test."));
  for (int i = 0; i < 8; ++i) {
    const std::string inst = "printer" + std::to_string(i) + "._ipp._tcp.sd.test.";
    const std::string host = "host" + std::to_string(i) + ".sd.test.";
    z.add("_ipp._tcp.sd.test.", RRType::PTR, 60, rd_name(inst))
        .add(inst, RRType::SRV, 60, rd_srv(0, 0, 631, host))
        .add(inst, RRType::TXT, 60, rd_txt({std::string(60, 't')}))
        .add(host, RRType::A, 60, rd_a("192.0.2.9"));
  }
  return z.finish();
}

TEST_F(ResponderTest, AdditionalIsDroppedNotTruncated) {
  responder_.set_catalogue(catalogue_of({many_instances_zone()}));
  const Bytes out = raw(make_query("_ipp._tcp.sd.test.", RRType::PTR));
  EXPECT_LE(out.size(), 512u);
  const auto m = wire::Message::parse(out);
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->header.tc);
  EXPECT_EQ(m->answers.size(), 8u);
  EXPECT_GT(m->additionals.size(), 0u);
  EXPECT_LT(m->additionals.size(), 24u);
  // Whole RRsets only: each additional owner/type appears once here (single-RR sets),
  // and over TCP everything arrives.
  const auto full = ask("_ipp._tcp.sd.test.", RRType::PTR, {}, tcp());
  EXPECT_EQ(full.additionals.size(), 24u);
}

TEST(Additional, NoPartialRRsets) {
  ZoneText z("p.test.");
  z.add("p.test.", RRType::SOA, 60, rd_soa("ns.p.test.", "h.p.test.", 1, 60))
      .add("p.test.", RRType::NS, 60, rd_name("ns.p.test."))
      .add("p.test.", RRType::MX, 60, rd_mx(1, "mx.p.test."));
  for (int i = 0; i < 60; ++i) {
    z.add("mx.p.test.", RRType::A, 60, rd_a(("192.0.2." + std::to_string(i + 1)).c_str()));
  }
  Responder r;
  r.set_catalogue(catalogue_of({z.finish()}));
  Bytes out;
  ASSERT_TRUE(r.respond(make_query("p.test.", RRType::MX), udp(), out));
  const auto m = wire::Message::parse(out);
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->header.tc);
  EXPECT_EQ(m->answers.size(), 1u);
  EXPECT_TRUE(m->additionals.empty());  // 60 A records do not fit in 512: none at all
}

TEST(Additional, ReferralWithoutRoomForInDomainGlueIsTruncated) {
  // RFC 9471 §3.1: all in-domain glue or TC=1.
  ZoneText z("g.test.");
  z.add("g.test.", RRType::SOA, 60, rd_soa("ns.g.test.", "h.g.test.", 1, 60))
      .add("g.test.", RRType::NS, 60, rd_name("ns.g.test."))
      .add("ns.g.test.", RRType::A, 60, rd_a("192.0.2.1"));
  for (int i = 0; i < 13; ++i) {
    const std::string ns = "ns" + std::to_string(i) + ".child.g.test.";
    z.add("child.g.test.", RRType::NS, 60, rd_name(ns))
        .add(ns, RRType::A, 60, rd_a("192.0.2.2"))
        .add(ns, RRType::AAAA, 60, rd_aaaa("2001:db8::2"));
  }
  Responder r;
  r.set_catalogue(catalogue_of({z.finish()}));
  Bytes out;
  ASSERT_TRUE(r.respond(make_query("www.child.g.test.", RRType::A), udp(), out));
  auto m = wire::Message::parse(out);
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->header.tc);
  EXPECT_FALSE(m->header.aa);
  ASSERT_TRUE(r.respond(make_query("www.child.g.test.", RRType::A), tcp(), out));
  m = wire::Message::parse(out);
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->header.tc);
  EXPECT_EQ(m->authorities.size(), 13u);
  EXPECT_EQ(m->additionals.size(), 26u);
}

TEST(Additional, CollectsFromTheAnsweringZoneOnly) {
  const auto cat = catalogue_of({example_zone()});
  const auto r = lookup(*cat, N("_ipp._tcp.example."), RRType::PTR);
  const auto add = additional_for(r);
  ASSERT_EQ(add.size(), 7u);
  for (const auto& a : add) {
    EXPECT_FALSE(a.required);
    EXPECT_TRUE(a.rr.owner.is_subdomain_of(N("example.")));
  }
  const auto ref = lookup(*cat, N("x.deleg.example."), RRType::A);
  ASSERT_EQ(ref.outcome, Outcome::kReferral);
  const auto glue = additional_for(ref);
  ASSERT_EQ(glue.size(), 2u);
  EXPECT_TRUE(glue[0].required);   // ns.deleg.example. is below the cut
  EXPECT_FALSE(glue[1].required);  // ns1.example. is sibling glue
}

}  // namespace
}  // namespace dnspush::auth::test
