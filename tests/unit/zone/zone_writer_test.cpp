#include "zone/zone_writer.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "journal_test_util.hpp"
#include "zone/zone_file.hpp"
#include "zone_test_util.hpp"

namespace dnspush::zone {
namespace {

using test::name;
using test::record_lines;
using test::TempDir;

// Many record types and awkward spellings: escapes in owners and TXT, mixed case, a
// wildcard, an empty non-terminal, an unknown type, names outside the zone in RDATA.
constexpr std::string_view kRichZone =
    "$TTL 3600\n"
    "@            SOA   ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 "
    "300\n"
    "@            NS    ns1\n"
    "@            NS    ns.other.test.\n"
    "@       60   MX    10 mail\n"
    "@            TXT   \"v=spf1 -all\" \"second; string\" \"quote\\\"inside\"\n"
    "@            CAA   0 issue \"letsencrypt.org\"\n"
    "ns1          A     192.0.2.1\n"
    "ns1          AAAA  2001:db8::1\n"
    "mail    120  A     192.0.2.25\n"
    "WWW          CNAME web.other.test.\n"
    "*.wild       A     192.0.2.80\n"
    "a.b.deep     TXT   \"empty non-terminal above\"\n"
    "_http._tcp   PTR   printer._http._tcp\n"
    "printer._http._tcp SRV 0 0 631 ns1\n"
    "printer._http._tcp TXT \"txtvers=1\" \"\"\n"
    "odd\\.label  A     192.0.2.99\n"
    "\\@at        A     192.0.2.98\n"
    "sp\\032ace   A     192.0.2.97\n"
    "x            TYPE65280 \\# 3 abcdef\n"
    "in           A     192.0.2.5\n"  // owners that look like a class, a type, a TTL
    "a            TXT   \"x\"\n"
    "300          A     192.0.2.6\n"
    "sub          NS    ns.sub\n"
    "ns.sub       A     192.0.2.53\n";

TEST(ZoneWriter, TextReadsBackAsTheSameZone) {
  auto z = test::zone_from(kRichZone);
  ASSERT_TRUE(z);
  const std::string text = zone_to_text(*z);
  auto back = load_zone_text(text, name("example.com."), "written");
  ASSERT_TRUE(back.has_value()) << back.error().message << "\n" << text;
  EXPECT_EQ(record_lines(**back), record_lines(*z)) << text;
}

// Every described type, including those libzscanner has no text form for (written in
// the RFC 3597 generic form) and bitmaps naming them (written as TYPEnnn): what the
// writer writes, the loader reads back to the same records.
TEST(ZoneWriter, EveryDescribedTypeReadsBack) {
  auto z = test::zone_from(
      "@ SOA ns1.example.com. hm.example.com. 1 7200 3600 1209600 300\n"
      "@ NS ns1\n"
      "wks TYPE11 \\# 6 C00002010601\n"                        // WKS 192.0.2.1 6 7
      "hip TYPE55 \\# 9 01020004AB01020304\n"                  // HIP
      "a6 TYPE38 \\# 17 0020010DB8000000000000000000000001\n"  // A6 0 2001:db8::1
      "gpos TYPE27 \\# 6 013101320133\n"                       // GPOS "1" "2" "3"
      "loc LOC 42 21 54 N 71 6 18 W -24m 30m\n"
      "l64 L64 10 2001:0db8:1140:1000\n"
      "apl APL 1:192.168.0.0/16 !2:2001:db8::/32\n"
      "nsec NSEC next.example.com. A TYPE55 TYPE11 TYPE30 NSEC\n"
      "csync CSYNC 66 3 A NS TYPE4\n"
      "null TYPE10 \\# 2 ABCD\n"
      "dlv TYPE32769 \\# 24 01720D01BE74359954660069D5C63D200C39F5603827D7DD\n");
  ASSERT_TRUE(z);
  const std::string text = zone_to_text(*z);
  auto back = load_zone_text(text, name("example.com."), "written");
  ASSERT_TRUE(back.has_value()) << back.error().message << "\n" << text;
  EXPECT_EQ(record_lines(**back), record_lines(*z)) << text;
  EXPECT_NE(text.find("TYPE55\t\\# 9 01020004AB01020304"), std::string::npos) << text;
  EXPECT_NE(text.find("NSEC\tnext.example.com. A TYPE11 TYPE30 NSEC TYPE55"), std::string::npos)
      << text;
}

TEST(ZoneWriter, LayoutIsOriginThenSoaThenRelativeOwners) {
  auto z = test::zone_from(kRichZone);
  ASSERT_TRUE(z);
  std::istringstream in(zone_to_text(*z));
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line.rfind(';', 0), 0u) << line;
  std::getline(in, line);
  EXPECT_EQ(line, "$ORIGIN example.com.");
  std::getline(in, line);
  EXPECT_EQ(line.rfind("@\t3600\tIN\tSOA\t", 0), 0u) << line;
  bool saw_relative = false, saw_escaped = false;
  while (std::getline(in, line)) {
    EXPECT_EQ(line.find("SOA"), std::string::npos) << "only one SOA, first";
    if (line.rfind("ns1\t", 0) == 0) saw_relative = true;
    if (line.rfind("odd\\.label\t", 0) == 0) saw_escaped = true;
    EXPECT_EQ(line.find("example.com.\t"), std::string::npos) << "owner not relative: " << line;
  }
  EXPECT_TRUE(saw_relative);
  EXPECT_TRUE(saw_escaped);
}

TEST(ZoneWriter, WritesAtomicallyAndReplaces) {
  TempDir dir;
  const std::string path = dir.sub("example.com.zone");
  auto z1 = test::zone_from(test::kBaseZone);
  ASSERT_TRUE(write_zone_file(*z1, path).has_value());
  auto r1 = load_zone_file(path, name("example.com."));
  ASSERT_TRUE(r1.has_value()) << r1.error().message;
  EXPECT_EQ(record_lines(**r1), record_lines(*z1));

  auto z2 = test::zone_from(kRichZone);
  auto w = write_zone_file(*z2, path);
  ASSERT_TRUE(w.has_value()) << w.error().message;
  auto r2 = load_zone_file(path, name("example.com."));
  ASSERT_TRUE(r2.has_value()) << r2.error().message;
  EXPECT_EQ(record_lines(**r2), record_lines(*z2));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST(ZoneWriter, FailureIsAnErrorAndLeavesNoTempFile) {
  TempDir dir;
  auto z = test::zone_from(test::kBaseZone);
  auto r = write_zone_file(*z, dir.sub("missing-dir/example.com.zone"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kIo);
  EXPECT_NE(r.error().message.find("missing-dir"), std::string::npos);
}

TEST(ZoneWriter, RootZoneOwnersAreRelative) {
  auto z = test::zone_from(
      "$TTL 86400\n"
      ". SOA a.root-servers.net. nstld.verisign-grs.com. 7 1800 900 604800 86400\n"
      ". NS a.root-servers.net.\n"
      "com. NS a.gtld-servers.net.\n"
      "a.root-servers.net. A 198.41.0.4\n",
      ".");
  ASSERT_TRUE(z);
  const std::string text = zone_to_text(*z);
  EXPECT_NE(text.find("\ncom\t"), std::string::npos) << text;
  EXPECT_NE(text.find("\na.root-servers.net\t"), std::string::npos) << text;
  auto back = load_zone_text(text, wire::Name(), "root");
  ASSERT_TRUE(back.has_value()) << back.error().message << "\n" << text;
  EXPECT_EQ(record_lines(**back), record_lines(*z));
}

}  // namespace
}  // namespace dnspush::zone
