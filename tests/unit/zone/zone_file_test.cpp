#include "zone/zone_file.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "wire/rdata.hpp"
#include "zone_test_util.hpp"

namespace dnspush::zone {
namespace {

using test::name;
using test::rr;
using testing::HasSubstr;
using wire::RRType;

std::string path(const std::string& file) {
  return std::string(DNSPUSH_TEST_DATA) + "/zones/" + file;
}

std::string load_error(const std::string& file, std::string_view origin = "example.com.") {
  auto z = load_zone_file(path(file), name(origin));
  EXPECT_FALSE(z.has_value()) << file << " loaded but should not";
  return z ? "" : z.error().message;
}

const RRset* rrset(const Zone& z, std::string_view owner, RRType t) {
  const Node* n = z.find(name(owner));
  return n == nullptr ? nullptr : n->find(t);
}

class GoodZone : public testing::Test {
 protected:
  void SetUp() override {
    auto z = load_zone_file(path("good.zone"), name("example.com."));
    ASSERT_TRUE(z.has_value()) << z.error().message;
    zone_ = *z;
  }
  std::shared_ptr<const Zone> zone_;
};

TEST_F(GoodZone, ApexSoaAndNs) {
  EXPECT_EQ(zone_->origin(), name("example.com."));
  EXPECT_EQ(zone_->serial(), Serial(2024010101));
  EXPECT_EQ(zone_->soa().ttl, 300u);  // $TTL
  EXPECT_EQ(zone_->negative_ttl(), 60u);
  // The multi-line SOA with comments: relative names completed with $ORIGIN.
  EXPECT_EQ(zone_->soa_record(),
            rr("@ SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 60"));
  const RRset* ns = rrset(*zone_, "example.com.", RRType::NS);
  ASSERT_NE(ns, nullptr);
  EXPECT_EQ(ns->rdatas.size(), 2u);
}

TEST_F(GoodZone, TtlsDuplicatesAndCase) {
  const RRset* a = rrset(*zone_, "www.example.com.", RRType::A);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->ttl, 600u);          // the first TTL of the RRset wins
  EXPECT_EQ(a->rdatas.size(), 3u);  // .10, .11, .12; the repeated .10 is dropped
  const RRset* aaaa = rrset(*zone_, "ns1.example.com.", RRType::AAAA);
  ASSERT_NE(aaaa, nullptr);  // an owner left blank repeats the previous one
  EXPECT_EQ(aaaa->ttl, 300u);
  ASSERT_NE(rrset(*zone_, "alias.example.com.", RRType::CNAME), nullptr);
  EXPECT_EQ(rrset(*zone_, "mail.example.com.", RRType::MX)->rdatas.front(),
            rr("mail MX 10 mx.example.net.").rdata);
}

TEST_F(GoodZone, DnsSdRecords) {
  // RFC 6763 §11 and §4: enumeration, a service type, an instance with a space in its name.
  const RRset* services = rrset(*zone_, "_services._dns-sd._udp.example.com.", RRType::PTR);
  ASSERT_NE(services, nullptr);
  EXPECT_EQ(services->rdatas.front(), rr("x PTR _http._tcp.example.com.").rdata);
  const RRset* browse = rrset(*zone_, "_http._tcp.example.com.", RRType::PTR);
  ASSERT_NE(browse, nullptr);
  const auto instance = name("My\\ Printer._http._tcp.example.com.");
  EXPECT_EQ(instance.label(0), "My Printer");
  EXPECT_EQ(browse->rdatas.front(),
            std::vector<std::uint8_t>(instance.wire().begin(), instance.wire().end()));

  const Node* inst = zone_->find(instance);
  ASSERT_NE(inst, nullptr);
  const RRset* srv = inst->find(RRType::SRV);
  ASSERT_NE(srv, nullptr);
  EXPECT_EQ(srv->rdatas.front(), rr("x SRV 0 0 631 printer.example.com.").rdata);
  const RRset* txt = inst->find(RRType::TXT);
  ASSERT_NE(txt, nullptr);
  // Three character-strings; \" and \DDD escapes decoded (\010 is a newline).
  const std::string want =
      std::string("\x09txtvers=1") + "\x14note=a \"quoted\" word" + "\x0arp=queue\n" + "1";
  EXPECT_EQ(std::string(txt->rdatas.front().begin(), txt->rdatas.front().end()), want);

  // _tcp and _udp exist only as empty non-terminals.
  const Node* tcp = zone_->find(name("_tcp.example.com."));
  ASSERT_NE(tcp, nullptr);
  EXPECT_TRUE(tcp->empty());
  const Node* dnssd = zone_->find(name("_dns-sd._udp.example.com."));
  ASSERT_NE(dnssd, nullptr);
  EXPECT_TRUE(dnssd->empty());
  EXPECT_EQ(dnssd->children(), 2u);  // b and _services
}

TEST_F(GoodZone, EscapedOwnerNames) {
  const Node* dotted = zone_->find(name("a\\.b.example.com."));
  ASSERT_NE(dotted, nullptr);
  EXPECT_EQ(zone_->find(name("b.example.com.")), nullptr);  // not split at the escaped dot
  const auto cafe = name("caf\\195\\169.example.com.");
  EXPECT_EQ(cafe.label(0), "caf\xC3\xA9");
  EXPECT_NE(zone_->find(cafe), nullptr);
}

TEST_F(GoodZone, IncludeWithItsOwnOriginAndTtl) {
  const RRset* host = rrset(*zone_, "host.sub.example.com.", RRType::A);
  ASSERT_NE(host, nullptr);
  EXPECT_EQ(host->ttl, 120u);  // the included file's $TTL
  ASSERT_NE(rrset(*zone_, "deep.er.chain.sub.example.com.", RRType::A), nullptr);
  EXPECT_TRUE(zone_->find(name("chain.sub.example.com."))->empty());
  EXPECT_TRUE(zone_->find(name("sub.example.com."))->empty());
  // After the include, the outer origin and TTL apply again.
  const RRset* last = rrset(*zone_, "last.example.com.", RRType::A);
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(last->ttl, 300u);
}

TEST_F(GoodZone, RecordsRoundTripThroughABuilder) {
  const auto rs = zone_->records();
  EXPECT_EQ(rs.size(), zone_->record_count());
  EXPECT_EQ(rs.front().type, RRType::SOA);
  ZoneBuilder b(zone_->origin());
  for (const auto& r : rs) ASSERT_TRUE(b.add(r).has_value());
  auto again = std::move(b).finish();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ((*again)->records(), rs);
  EXPECT_EQ((*again)->node_count(), zone_->node_count());
}

TEST(ZoneFile, WithoutTtlDirectiveTheDefaultIs3600) {
  auto z = load_zone_file(path("no-ttl.zone"), name("example.com."));
  ASSERT_TRUE(z.has_value()) << z.error().message;
  EXPECT_EQ((*z)->soa().ttl, kDefaultZoneTtl);
  EXPECT_EQ(kDefaultZoneTtl, 3600u);
  EXPECT_EQ(rrset(**z, "ns1.example.com.", RRType::A)->ttl, 42u);
  EXPECT_EQ(rrset(**z, "www.example.com.", RRType::A)->ttl, 3600u);
}

TEST(ZoneFile, SyntaxErrorNamesFileAndLine) {
  const auto e = load_error("bad-syntax.zone");
  EXPECT_THAT(e, HasSubstr("bad-syntax.zone:6: "));
}

TEST(ZoneFile, MissingSoaIsRefused) {
  const auto e = load_error("bad-no-soa.zone");
  EXPECT_THAT(e, HasSubstr("bad-no-soa.zone: "));
  EXPECT_THAT(e, HasSubstr("no SOA"));
}

TEST(ZoneFile, MissingApexNsIsRefused) {
  EXPECT_THAT(load_error("bad-no-ns.zone"), HasSubstr("no NS"));
}

TEST(ZoneFile, CnameAndOtherDataNamesTheLine) {
  const auto e = load_error("bad-cname.zone");
  EXPECT_THAT(e, HasSubstr("bad-cname.zone:7: www.example.com. A: CNAME and other data"));
}

TEST(ZoneFile, RecordOutsideTheOriginNamesTheLine) {
  const auto e = load_error("bad-outside.zone");
  EXPECT_THAT(e, HasSubstr("bad-outside.zone:6: www.example.org. A"));
  EXPECT_THAT(e, HasSubstr("outside"));
}

TEST(ZoneFile, SecondSoaNamesTheLine) {
  const auto e = load_error("bad-two-soa.zone");
  EXPECT_THAT(e, HasSubstr("bad-two-soa.zone:6: example.com. SOA"));
}

TEST(ZoneFile, ErrorInAnIncludedFileNamesThatFile) {
  const auto e = load_error("bad-include.zone");
  EXPECT_THAT(e, HasSubstr("bad-include-inner.zone:3: "));
}

TEST(ZoneFile, OriginMismatchRefusesEveryRecord) {
  // The file's absolute names lie outside the origin the caller asked for.
  const auto e = load_error("good.zone", "example.org.");
  EXPECT_THAT(e, HasSubstr("good.zone:"));
  EXPECT_THAT(e, HasSubstr("outside"));
}

TEST(ZoneFile, MissingFileIsAnIoError) {
  auto z = load_zone_file(path("does-not-exist.zone"), name("example.com."));
  ASSERT_FALSE(z.has_value());
  EXPECT_EQ(z.error().code, Errc::kIo);
  EXPECT_THAT(z.error().message, HasSubstr("does-not-exist.zone"));
}

TEST(ZoneText, LoadsFromMemoryAndNamesTheSource) {
  auto z = load_zone_text(test::kBaseZone, name("example.com."), "inline");
  ASSERT_TRUE(z.has_value()) << z.error().message;
  EXPECT_EQ((*z)->record_count(), 4u);
  // No final newline is needed.
  EXPECT_TRUE(load_zone_text("@ SOA ns hm 1 1 1 1 1\n@ NS ns", name("example.com.")).has_value());

  auto bad =
      load_zone_text("@ SOA ns hm 1 1 1 1 1\n@ NS ns\nx A 1.2.3\n", name("example.com."), "inline");
  ASSERT_FALSE(bad.has_value());
  EXPECT_THAT(bad.error().message, HasSubstr("inline:3: "));
}

// Every described type's RDATA is checked as the file is read, so a record that BIND or
// Knot could not parse from the wire never reaches the zone; the error names the line.
TEST(ZoneText, InvalidRdataOfADescribedTypeNamesTheLine) {
  const std::string head = "@ SOA ns hm 1 1 1 1 1\n@ NS ns\n";
  const struct {
    const char* line;
    const char* what;
  } bad[] = {
      {"x URI \\# 1 01", "x.example.com. URI: invalid RDATA"},
      {"x LOC \\# 16 00000000000000000000000000000000", "x.example.com. LOC: invalid RDATA"},
      {"x EUI48 \\# 5 0000000000", "x.example.com. EUI48: invalid RDATA"},
      {"x CDS \\# 5 0001080201", "x.example.com. CDS: invalid RDATA"},
      {"x SSHFP \\# 3 0201AB", "x.example.com. SSHFP: invalid RDATA"},
      {"x APL \\# 5 0001210100", "x.example.com. APL: invalid RDATA"},
  };
  for (const auto& b : bad) {
    auto z = load_zone_text(head + b.line + "\n", name("example.com."), "inline");
    ASSERT_FALSE(z.has_value()) << b.line;
    EXPECT_THAT(z.error().message, HasSubstr(std::string("inline:3: ") + b.what)) << b.line;
  }
  // Unknown types stay opaque (RFC 3597): any bytes load.
  EXPECT_TRUE(load_zone_text(head + "x TYPE65280 \\# 1 01\n", name("example.com.")).has_value());
}

// RFC 6895 §3.1 and RFC 1123 §6.1.3.6: reserved, meta and obsolete types are refused
// with the line (as named-checkzone does).
TEST(ZoneText, ReservedMetaAndObsoleteTypesNameTheLine) {
  const std::string head = "@ SOA ns hm 1 1 1 1 1\n@ NS ns\n";
  const struct {
    const char* line;
    const char* what;
  } bad[] = {
      {"x TYPE0 \\# 0", "reserved type"},
      {"x TYPE65535 \\# 0", "reserved type"},
      {"x TYPE250 \\# 0", "meta type"},
      // libzscanner refuses the MD and MF mnemonics itself; the generic form reaches ours.
      {"x TYPE3 \\# 1 00", "obsolete type"},
      {"x TYPE4 \\# 1 00", "obsolete type"},
  };
  for (const auto& b : bad) {
    auto z = load_zone_text(head + b.line + "\n", name("example.com."), "inline");
    ASSERT_FALSE(z.has_value()) << b.line;
    EXPECT_THAT(z.error().message, HasSubstr("inline:3: ")) << b.line;
    EXPECT_THAT(z.error().message, HasSubstr(b.what)) << b.line;
  }
}

// RFC 2181 §8: a TTL with the top bit set is read as 0 (named-checkzone: "setting TTL
// to 0"), for records and for $TTL alike.
TEST(ZoneText, TtlAboveMaxIsReadAsZero) {
  auto z = load_zone_text(
      "$TTL 2147483648\n@ SOA ns hm 1 1 1 1 1\n@ NS ns\n"
      "big 4294967295 A 192.0.2.1\nmax 2147483647 A 192.0.2.2\n",
      name("example.com."));
  ASSERT_TRUE(z.has_value()) << z.error().message;
  EXPECT_EQ((*z)->soa().ttl, 0u);
  EXPECT_EQ(rrset(**z, "big.example.com.", RRType::A)->ttl, 0u);
  EXPECT_EQ(rrset(**z, "max.example.com.", RRType::A)->ttl, 2147483647u);
}

TEST(ParseRecords, AppliesNoZoneRules) {
  auto rs =
      parse_records("www 60 A 192.0.2.1\nwww CNAME other.example.org.\n", name("example.com."));
  ASSERT_TRUE(rs.has_value()) << rs.error().message;
  ASSERT_EQ(rs->size(), 2u);
  EXPECT_EQ((*rs)[0].owner, name("www.example.com."));
  EXPECT_EQ((*rs)[0].ttl, 60u);
  EXPECT_EQ((*rs)[0].cls, wire::RRClass::IN);
  EXPECT_EQ((*rs)[0].rdata, (std::vector<std::uint8_t>{192, 0, 2, 1}));
  EXPECT_EQ((*rs)[1].type, RRType::CNAME);
  EXPECT_FALSE(parse_records("www A nonsense\n", name("example.com.")).has_value());
}

}  // namespace
}  // namespace dnspush::zone
