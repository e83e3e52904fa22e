// RDATA from presentation text: every described field kind, read back through
// rdata_to_text (the dig form), plus the RFC 3597 generic form and the refusals.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "wire/rdata.hpp"

namespace dnspush::wire {
namespace {

std::string round_trip(RRType t, std::string_view text) {
  auto r = rdata_from_text(t, text);
  if (!r) return "error: " + r.error().message;
  return rdata_to_text(t, *r);
}

TEST(RdataFromText, EveryFieldKindReadsBackAsDigPrintsIt) {
  const struct {
    RRType type;
    std::string in;
    std::string out;
  } cases[] = {
      {RRType::A, "192.0.2.1", "192.0.2.1"},
      {RRType::AAAA, "2001:db8::1", "2001:db8::1"},
      {RRType::PTR, "Lab\\032Printer._ipp._tcp.example.test.",
       "Lab\\032Printer._ipp._tcp.example.test."},
      {RRType::NS, "ns1.example.test", "ns1.example.test."},
      {RRType::MX, "10 mail.example.test.", "10 mail.example.test."},
      {RRType::SRV, "0 5 631 printer.example.test.", "0 5 631 printer.example.test."},
      {RRType::TXT, "\"txtvers=1\" \"rp=ipp/print\" plain",
       "\"txtvers=1\" \"rp=ipp/print\" \"plain\""},
      {RRType::TXT, "\"with \\\"quote\\\" and \\010 byte\"",
       "\"with \\\"quote\\\" and \\010 byte\""},
      {RRType::SOA, "ns1.example.test. host.example.test. ( 2024 7200 3600 1209600 300 )",
       "ns1.example.test. host.example.test. 2024 7200 3600 1209600 300"},
      {RRType::HINFO, "\"PC\" \"Linux\"", "\"PC\" \"Linux\""},
      {RRType::CAA, "0 issue \"ca.example.net\"", "0 issue \"ca.example.net\""},
      // A SHA-1 digest is 20 octets (RFC 3658), given in two parts.
      {RRType::DS, "12345 13 1 0123456789abcdef0123 456789ABCDEF01234567",
       "12345 13 1 0123456789ABCDEF0123456789ABCDEF01234567"},
      {RRType::TLSA, "3 1 1 0123456789abcdef", "3 1 1 0123456789ABCDEF"},
      {RRType::DNSKEY, "257 3 13 AQID BA==", "257 3 13 AQIDBA=="},
      {RRType::NSEC, "next.example.test. A AAAA RRSIG TYPE1234",
       "next.example.test. A AAAA RRSIG TYPE1234"},
      {RRType::NSEC3PARAM, "1 0 10 -", "1 0 10 -"},
      {RRType::NSEC3, "1 1 10 AABB 0123456789ABCDEFGHIJKLMNOPQRSTUV A",
       "1 1 10 AABB 0123456789ABCDEFGHIJKLMNOPQRSTUV A"},
      {RRType::RRSIG, "A 13 2 300 20240101000000 20231201000000 12345 example.test. AQID",
       "A 13 2 300 20240101000000 20231201000000 12345 example.test. AQID"},
      {RRType::HTTPS, "1 . alpn=h2,h3 port=8443 ipv4hint=192.0.2.1",
       "1 . alpn=\"h2,h3\" port=8443 ipv4hint=192.0.2.1"},
      {RRType::NAPTR, "100 10 \"U\" \"E2U+sip\" \"!^.*$!sip:x@example.test!\" .",
       "100 10 \"U\" \"E2U+sip\" \"!^.*$!sip:x@example.test!\" ."},
  };
  for (const auto& c : cases) EXPECT_EQ(round_trip(c.type, c.in), c.out) << c.in;
}

TEST(RdataFromText, GenericFormWorksForAnyTypeAndMustMatchItsLength) {
  EXPECT_EQ(round_trip(static_cast<RRType>(65280), "\\# 3 ABCDEF"), "\\# 3 ABCDEF");
  EXPECT_EQ(round_trip(RRType::A, "\\# 4 C0000201"), "192.0.2.1");
  EXPECT_FALSE(rdata_from_text(RRType::A, "\\# 4 C00002").has_value());
  EXPECT_FALSE(rdata_from_text(RRType::A, "\\# 3 C00002").has_value());  // not an A
  EXPECT_FALSE(rdata_from_text(static_cast<RRType>(65280), "abc").has_value());
}

TEST(RdataFromText, RefusesWhatIsNotTheType) {
  EXPECT_FALSE(rdata_from_text(RRType::A, "192.0.2").has_value());
  EXPECT_FALSE(rdata_from_text(RRType::A, "192.0.2.1 192.0.2.2").has_value());
  EXPECT_FALSE(rdata_from_text(RRType::AAAA, "192.0.2.1").has_value());
  EXPECT_FALSE(rdata_from_text(RRType::MX, "70000 mail.").has_value());
  EXPECT_FALSE(rdata_from_text(RRType::SRV, "0 0 631").has_value());
  EXPECT_FALSE(rdata_from_text(RRType::TXT, "").has_value());
  EXPECT_FALSE(rdata_from_text(RRType::TXT, "\"unterminated").has_value());
  EXPECT_FALSE(rdata_from_text(RRType::TXT, std::string(256, 'x')).has_value());
  EXPECT_FALSE(rdata_from_text(RRType::TLSA, "3 1 1 ABC").has_value());
  EXPECT_FALSE(rdata_from_text(RRType::TSIG, "x").has_value());
}

TEST(RdataFromText, QuotedValuesInsideAWordKeepTheirBlanksAndParentheses) {
  // RFC 9460 key="value": the quoted part belongs to the word (found by fuzz_rdata_text).
  EXPECT_EQ(round_trip(RRType::HTTPS, "1 . alpn=\"h2,h3\" key65000=\"a b)c\" port=1"),
            "1 . alpn=\"h2,h3\" port=1 key65000=\"a b)c\"");
  // Ids that libzscanner could not read back are refused (rdata_valid), as text too.
  EXPECT_FALSE(rdata_from_text(RRType::HTTPS, "1 . alpn=\"a b\"").has_value());
  EXPECT_FALSE(rdata_from_text(RRType::HTTPS, "1 . alpn=\"unterminated").has_value());
}

TEST(RdataFromText, LocAnglesAndSizesAreBounded) {
  EXPECT_EQ(round_trip(RRType::LOC, "42 21 54 N 71 6 18 W -24m 30m"),
            "42 21 54.000 N 71 6 18.000 W -24.00m 30m 10000m 10m");
  // Past 90/180 degrees, 60 minutes or seconds, or a huge number (found by fuzz_rdata_text).
  EXPECT_FALSE(rdata_from_text(RRType::LOC, "91 0 0 N 0 0 0 E 0m").has_value());
  EXPECT_FALSE(rdata_from_text(RRType::LOC, "0 0 0 N 181 0 0 E 0m").has_value());
  EXPECT_FALSE(rdata_from_text(RRType::LOC, "0 60 0 N 0 0 0 E 0m").has_value());
  EXPECT_FALSE(
      rdata_from_text(RRType::LOC, "0 0 0 N 7" + std::string(120, '0') + " 0 0 E 0m").has_value());
  EXPECT_FALSE(rdata_from_text(RRType::LOC, "0 0 0 N 0 0 0 E 1e300m").has_value());
  EXPECT_FALSE(rdata_from_text(RRType::LOC, "0 0 0 N 0 0 0 E 0m 1e300m").has_value());
}

TEST(RdataFromText, RelativeNamesTakeTheOrigin) {
  auto origin = Name::from_text("example.test.");
  auto r = rdata_from_text(RRType::CNAME, "www", &*origin);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(rdata_to_text(RRType::CNAME, *r), "www.example.test.");
}

}  // namespace
}  // namespace dnspush::wire
