// Discovery (RFC 8765 §6.1): the zone by SOA queries, the SRV records in RFC 2782 order,
// the targets' addresses, and TLSA for DANE (RFC 7673), driven with canned answers.
#include "client/discovery.hpp"

#include <gtest/gtest.h>

#include "client_test_util.hpp"

namespace dnspush::client {
namespace {

using namespace test;
using wire::Rcode;

const wire::Record kSoa = rr("example.test.", 3600, "SOA",
                             "ns1.example.test. host.example.test. 1 7200 3600 1209600 300");

DiscoveryConfig push_only(bool addresses = true) {
  DiscoveryConfig c;
  c.services = {Service::kPushTls};
  c.resolve_addresses = addresses;
  return c;
}

struct Walk {
  explicit Walk(std::string_view n, DiscoveryConfig c = push_only())
      : d(name(n), std::move(c), [](std::uint32_t) { return 0u; }) {}
  // Expects `q` to be asked next and gives it `a`.
  void expect(std::string_view qname, std::string_view type, const Answer& a) {
    auto q = d.poll_query();
    ASSERT_TRUE(q.has_value()) << "expected " << qname << " " << type;
    EXPECT_EQ(q->to_text(), name(qname).to_text() + " " + std::string(type) + " IN");
    EXPECT_FALSE(d.poll_query().has_value());  // one at a time
    d.on_answer(*q, a);
  }
  Discovery d;
};

const Answer kNoSrv = answer(Rcode::NXDOMAIN, {}, {kSoa});

TEST(Discovery, SoaInTheAnswerSection) {
  Walk r("example.test.", push_only(false));
  r.expect("example.test.", "SOA", answer(Rcode::NOERROR, {kSoa}));
  r.expect("_dns-push-tls._tcp.example.test.", "SRV", kNoSrv);
  ASSERT_TRUE(r.d.done());
  EXPECT_TRUE(r.d.result().zone_found);
  EXPECT_EQ(r.d.result().zone.to_text(), "example.test.");
  EXPECT_NE(r.d.result().log.front().find("answer section"), std::string::npos);
  EXPECT_TRUE(r.d.result().find(Service::kPushTls)->targets.empty());
}

TEST(Discovery, SoaInTheAuthoritySectionOfNxdomainAndNodata) {
  for (Rcode rc : {Rcode::NXDOMAIN, Rcode::NOERROR}) {
    Walk r("_ipp._tcp.example.test.", push_only(false));
    r.expect("_ipp._tcp.example.test.", "SOA", answer(rc, {}, {kSoa}));
    r.expect("_dns-push-tls._tcp.example.test.", "SRV", kNoSrv);
    ASSERT_TRUE(r.d.done());
    EXPECT_EQ(r.d.result().zone.to_text(), "example.test.");
    EXPECT_NE(r.d.result().log.front().find("authority section"), std::string::npos);
  }
}

TEST(Discovery, NoSoaStripsALabelUntilOneIsFound) {
  Walk r("a.b.example.test.", push_only(false));
  r.expect("a.b.example.test.", "SOA", answer(Rcode::NXDOMAIN, {}));  // no SOA
  r.expect("b.example.test.", "SOA", answer(Rcode::NOERROR, {}));     // NODATA, no SOA
  r.expect("example.test.", "SOA", answer(Rcode::NOERROR, {kSoa}));
  r.expect("_dns-push-tls._tcp.example.test.", "SRV", kNoSrv);
  EXPECT_EQ(r.d.result().zone.to_text(), "example.test.");
}

TEST(Discovery, GivesUpAtATopLevelDomain) {
  Walk r("a.example.", push_only(false));
  r.expect("a.example.", "SOA", answer(Rcode::NXDOMAIN, {}));
  // "example." has one label: RFC 8765 §6.1 step 4 stops there.
  ASSERT_TRUE(r.d.done());
  EXPECT_FALSE(r.d.result().zone_found);
  EXPECT_NE(r.d.result().error.find("top-level"), std::string::npos);
}

TEST(Discovery, ASoaThatDoesNotEncloseTheNameIsIgnored) {
  Walk r("a.other.test.", push_only(false));
  r.expect("a.other.test.", "SOA", answer(Rcode::NXDOMAIN, {}, {kSoa}));
  r.expect("other.test.", "SOA", answer(Rcode::NXDOMAIN, {}));
  EXPECT_TRUE(r.d.done());
  EXPECT_FALSE(r.d.result().zone_found);
}

TEST(Discovery, ResolverErrorsAndTimeoutsStopIt) {
  Walk r("x.example.test.");
  r.expect("x.example.test.", "SOA", answer(Rcode::REFUSED, {}));
  EXPECT_TRUE(r.d.done());
  EXPECT_NE(r.d.result().error.find("REFUSED"), std::string::npos);

  Walk t("x.example.test.");
  auto q = t.d.poll_query();
  t.d.on_failure(*q, "timed out");
  EXPECT_TRUE(t.d.done());
  EXPECT_NE(t.d.result().error.find("timed out"), std::string::npos);
}

TEST(Discovery, SrvTargetsInOrderWithTheirAddresses) {
  Walk r("www.example.test.");
  r.expect("www.example.test.", "SOA", answer(Rcode::NOERROR, {}, {kSoa}));
  r.expect(
      "_dns-push-tls._tcp.example.test.", "SRV",
      answer(Rcode::NOERROR,
             {rr("_dns-push-tls._tcp.example.test.", 300, "SRV", "20 0 853 b.example.test."),
              rr("_dns-push-tls._tcp.example.test.", 300, "SRV", "10 0 8530 a.example.test.")}));
  r.expect("a.example.test.", "A",
           answer(Rcode::NOERROR, {rr("a.example.test.", 300, "A", "192.0.2.1")}));
  r.expect("a.example.test.", "AAAA", answer(Rcode::NOERROR, {}, {kSoa}));
  r.expect("b.example.test.", "A", answer(Rcode::NXDOMAIN, {}, {kSoa}));
  r.expect("b.example.test.", "AAAA",
           answer(Rcode::NOERROR, {rr("b.example.test.", 300, "AAAA", "2001:db8::2")}));
  ASSERT_TRUE(r.d.done());
  const auto& ts = r.d.result().find(Service::kPushTls)->targets;
  ASSERT_EQ(ts.size(), 2u);
  EXPECT_EQ(ts[0].srv.target.to_text(), "a.example.test.");
  EXPECT_EQ(ts[0].srv.port, 8530);
  EXPECT_EQ(ts[0].addresses, std::vector<std::string>{"192.0.2.1"});
  EXPECT_EQ(ts[1].addresses, std::vector<std::string>{"2001:db8::2"});
  EXPECT_FALSE(ts[0].dane);  // SRV not authenticated: no TLSA query at all
}

TEST(Discovery, DaneOnlyWithAuthenticatedSrvAndTlsa) {
  for (bool tlsa_ad : {true, false}) {
    Walk r("www.example.test.");
    r.expect("www.example.test.", "SOA", answer(Rcode::NOERROR, {}, {kSoa}));
    r.expect(
        "_dns-push-tls._tcp.example.test.", "SRV",
        answer(Rcode::NOERROR,
               {rr("_dns-push-tls._tcp.example.test.", 300, "SRV", "0 0 8530 push.example.test.")},
               {}, /*ad=*/true));
    r.expect("push.example.test.", "A",
             answer(Rcode::NOERROR, {rr("push.example.test.", 300, "A", "127.0.0.1")}, {}, true));
    r.expect("push.example.test.", "AAAA", answer(Rcode::NOERROR, {}, {kSoa}, true));
    // RFC 7673 §3: TLSA at _port._tcp.<target>.
    r.expect("_8530._tcp.push.example.test.", "TLSA",
             answer(Rcode::NOERROR,
                    {rr("_8530._tcp.push.example.test.", 300, "TLSA", "3 1 1 ABCD")}, {}, tlsa_ad));
    ASSERT_TRUE(r.d.done());
    const auto& t = r.d.result().find(Service::kPushTls)->targets.at(0);
    EXPECT_TRUE(t.srv_authenticated);
    EXPECT_EQ(t.dane, tlsa_ad);
    if (tlsa_ad) {
      ASSERT_EQ(t.tlsa.size(), 1u);
      EXPECT_EQ(t.tlsa[0].usage, 3);
      EXPECT_EQ(t.tlsa[0].data, (std::vector<std::uint8_t>{0xAB, 0xCD}));
    }
  }
}

TEST(Discovery, SeveralServices) {
  DiscoveryConfig c;
  c.services = {Service::kPushTls, Service::kLlqUdp, Service::kUpdateUdp};
  c.resolve_addresses = false;
  Walk r("example.test.", c);
  r.expect("example.test.", "SOA", answer(Rcode::NOERROR, {kSoa}));
  r.expect("_dns-push-tls._tcp.example.test.", "SRV", kNoSrv);
  r.expect("_dns-llq._udp.example.test.", "SRV", kNoSrv);
  r.expect("_dns-update._udp.example.test.", "SRV",
           answer(Rcode::NOERROR,
                  {rr("_dns-update._udp.example.test.", 300, "SRV", "0 0 53 ns1.example.test.")}));
  ASSERT_TRUE(r.d.done());
  EXPECT_EQ(r.d.result().find(Service::kUpdateUdp)->targets.size(), 1u);
  EXPECT_TRUE(r.d.result().find(Service::kLlqUdp)->queried);
}

}  // namespace
}  // namespace dnspush::client
