#include "xfr/acl.hpp"

#include <gtest/gtest.h>

namespace dnspush::xfr {
namespace {

IpAddress ip(std::string_view s) {
  auto a = IpAddress::parse(s);
  EXPECT_TRUE(a.has_value()) << s;
  return a ? *a : IpAddress();
}

wire::Name key(std::string_view s) {
  return *wire::Name::from_text(s);
}

TEST(IpAddress, ParsesAndPrintsBothFamilies) {
  EXPECT_TRUE(ip("192.0.2.1").is_v4());
  EXPECT_EQ(ip("192.0.2.1").to_text(), "192.0.2.1");
  EXPECT_FALSE(ip("2001:db8::1").is_v4());
  EXPECT_EQ(ip("2001:DB8::1").to_text(), "2001:db8::1");
  EXPECT_EQ(ip("::ffff:192.0.2.1").unmapped(), ip("192.0.2.1"));
  EXPECT_EQ(ip("2001:db8::1").unmapped(), ip("2001:db8::1"));
  for (const char* bad : {"", "192.0.2", "192.0.2.256", "2001:db8:::1", "example.com", "1.2.3.4 "})
    EXPECT_FALSE(IpAddress::parse(bad).has_value()) << bad;
  const std::uint8_t raw[4] = {10, 1, 2, 3};
  EXPECT_EQ(*IpAddress::from_bytes(raw), ip("10.1.2.3"));
  const std::uint8_t odd[5] = {};
  EXPECT_FALSE(IpAddress::from_bytes(odd).has_value());
}

TEST(Network, ParsesCidrs) {
  auto n = Network::parse("10.0.0.0/8");
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->prefix(), 8u);
  EXPECT_EQ(n->to_text(), "10.0.0.0/8");
  EXPECT_EQ(Network::parse("192.0.2.7")->prefix(), 32u);
  EXPECT_EQ(Network::parse("2001:db8::1")->prefix(), 128u);
  EXPECT_EQ(Network::parse("0.0.0.0/0")->prefix(), 0u);
  EXPECT_EQ(Network::parse("::/0")->prefix(), 0u);
  for (const char* bad : {"10.0.0.0/33", "2001:db8::/129", "10.0.0.0/", "10.0.0.0/8x", "/8",
                          "10.0.0.0/-1", "10.1.2.3/8", "2001:db8::1/32"})
    EXPECT_FALSE(Network::parse(bad).has_value()) << bad;
}

TEST(Network, MatchesV4Prefixes) {
  const auto n = *Network::parse("192.0.2.128/25");
  EXPECT_TRUE(n.contains(ip("192.0.2.128")));
  EXPECT_TRUE(n.contains(ip("192.0.2.255")));
  EXPECT_FALSE(n.contains(ip("192.0.2.127")));
  EXPECT_FALSE(n.contains(ip("192.0.3.128")));
  // A dual-stack socket reports IPv4 peers as v4-mapped IPv6.
  EXPECT_TRUE(n.contains(ip("::ffff:192.0.2.200")));
  EXPECT_FALSE(n.contains(ip("2001:db8::1")));
  const auto all = *Network::parse("0.0.0.0/0");
  EXPECT_TRUE(all.contains(ip("203.0.113.9")));
  EXPECT_FALSE(all.contains(ip("2001:db8::1")));
  const auto host = *Network::parse("198.51.100.7");
  EXPECT_TRUE(host.contains(ip("198.51.100.7")));
  EXPECT_FALSE(host.contains(ip("198.51.100.6")));
}

TEST(Network, MatchesV6Prefixes) {
  const auto n = *Network::parse("2001:db8:abcc::/47");
  EXPECT_TRUE(n.contains(ip("2001:db8:abcc::1")));
  EXPECT_TRUE(n.contains(ip("2001:db8:abcd:ffff::1")));
  EXPECT_FALSE(n.contains(ip("2001:db8:abce::1")));
  EXPECT_FALSE(n.contains(ip("2001:db8:abcb:ffff::1")));
  EXPECT_FALSE(Network::parse("2001:db8:abcd::/47").has_value());  // its 48th bit is past /47
  EXPECT_FALSE(n.contains(ip("192.0.2.1")));
  const auto loop = *Network::parse("::1");
  EXPECT_TRUE(loop.contains(ip("::1")));
  EXPECT_FALSE(loop.contains(ip("::2")));
}

TEST(Acl, EmptyAllowsNobody) {
  Acl acl;
  const auto k = key("k.");
  EXPECT_FALSE(acl.allows(ip("127.0.0.1"), nullptr));
  EXPECT_FALSE(acl.allows(ip("127.0.0.1"), &k));
}

TEST(Acl, NetworkRules) {
  Acl acl;
  ASSERT_TRUE(acl.add("127.0.0.0/8", "").has_value());
  ASSERT_TRUE(acl.add("2001:db8::/32", "").has_value());
  EXPECT_TRUE(acl.allows(ip("127.1.2.3"), nullptr));
  EXPECT_TRUE(acl.allows(ip("2001:db8:1::5"), nullptr));
  EXPECT_FALSE(acl.allows(ip("10.0.0.1"), nullptr));
  EXPECT_FALSE(acl.allows(ip("2001:db9::1"), nullptr));
  // A signed request from inside the network is still inside it.
  const auto k = key("any-key.");
  EXPECT_TRUE(acl.allows(ip("127.0.0.1"), &k));
}

TEST(Acl, KeyRules) {
  Acl acl;
  ASSERT_TRUE(acl.add("", "xfr-key.example.").has_value());
  const auto good = key("XFR-Key.Example.");  // key names compare case-insensitively
  const auto other = key("other-key.");
  EXPECT_TRUE(acl.allows(ip("203.0.113.5"), &good));
  EXPECT_TRUE(acl.allows(ip("2001:db8::5"), &good));
  EXPECT_FALSE(acl.allows(ip("203.0.113.5"), &other));
  EXPECT_FALSE(acl.allows(ip("203.0.113.5"), nullptr));
}

TEST(Acl, RuleWithBothNeedsBoth) {
  Acl acl;
  ASSERT_TRUE(acl.add("10.0.0.0/8", "k.").has_value());
  const auto k = key("k.");
  const auto other = key("other.");
  EXPECT_TRUE(acl.allows(ip("10.9.8.7"), &k));
  EXPECT_FALSE(acl.allows(ip("10.9.8.7"), nullptr));
  EXPECT_FALSE(acl.allows(ip("10.9.8.7"), &other));
  EXPECT_FALSE(acl.allows(ip("11.9.8.7"), &k));
}

TEST(Acl, AnyRuleMatches) {
  Acl acl;
  ASSERT_TRUE(acl.add("10.0.0.0/8", "k.").has_value());
  ASSERT_TRUE(acl.add("::1", "").has_value());
  const auto k = key("k.");
  EXPECT_TRUE(acl.allows(ip("::1"), nullptr));
  EXPECT_TRUE(acl.allows(ip("10.0.0.1"), &k));
  EXPECT_FALSE(acl.allows(ip("10.0.0.1"), nullptr));
  // A rule with neither part is "any".
  Acl any;
  ASSERT_TRUE(any.add("", "").has_value());
  EXPECT_TRUE(any.allows(ip("203.0.113.1"), nullptr));
}

TEST(Acl, BadRulesAreRejected) {
  Acl acl;
  EXPECT_FALSE(acl.add("10.0.0.0/40", "").has_value());
  EXPECT_FALSE(acl.add("", "bad..name").has_value());
  EXPECT_TRUE(acl.empty());
}

}  // namespace
}  // namespace dnspush::xfr
