// The configuration of secondary zones: primaries (address, port, TSIG key), the SOA timer
// overrides, UPDATE forwarding, the transfer bounds, and what a secondary zone may not have.
#include <gtest/gtest.h>

#include <string>

#include "server/config.hpp"

namespace dnspush::server {
namespace {

using namespace std::chrono_literals;

constexpr char kHead[] = R"([listen]
dns = ["127.0.0.1:5300"]
[[key]]
name = "xfr-key"
secret = "eGZyLXNlY3JldA=="
)";

Result<Config> parse(const std::string& zone) {
  return parse_config(std::string(kHead) + "[[zone]]\norigin = \"example.test\"\n" + zone,
                      "dnspushd.toml");
}

std::string error_of(const std::string& zone) {
  auto c = parse(zone);
  return c ? std::string("(no error)") : c.error().message;
}

TEST(ConfigSecondary, PrimariesAsStringsAndTables) {
  auto c =
      parse(R"(primaries = [ "192.0.2.1:53", { address = "[2001:db8::1]:5353", key = "xfr-key" } ]
refresh-s = 60
retry-s = 10
expire-s = 600
forward-updates = true
request-ixfr = false
max-transfer-bytes = 1048576
max-transfer-records = 5000
max-transfer-time-s = 30
notify = ["127.0.0.1:5301"]
transfer = [ { network = "127.0.0.0/8" } ]
)");
  ASSERT_TRUE(c) << c.error().message;
  const ZoneConfig& z = c->zones.at(0);
  EXPECT_TRUE(z.is_secondary());
  EXPECT_TRUE(z.file.empty());
  ASSERT_EQ(z.primaries.size(), 2u);
  EXPECT_EQ(z.primaries[0].address.to_string(), "192.0.2.1:53");
  EXPECT_FALSE(z.primaries[0].key.has_value());
  EXPECT_EQ(z.primaries[1].address.to_string(), "[2001:db8::1]:5353");
  ASSERT_TRUE(z.primaries[1].key.has_value());
  EXPECT_EQ(z.primaries[1].key->name, *wire::Name::from_text("xfr-key"));
  EXPECT_EQ(z.secondary.refresh, 60s);
  EXPECT_EQ(z.secondary.retry, 10s);
  EXPECT_EQ(z.secondary.expire, 600s);
  EXPECT_TRUE(z.secondary.forward_updates);
  EXPECT_FALSE(z.secondary.request_ixfr);
  EXPECT_EQ(z.secondary.max_transfer_bytes, 1048576u);
  EXPECT_EQ(z.secondary.max_transfer_records, 5000u);
  EXPECT_EQ(z.secondary.max_transfer_time, 30s);
  EXPECT_EQ(z.notify.size(), 1u);  // a secondary may notify its own secondaries
}

TEST(ConfigSecondary, DefaultsTakeTheSoaTimersAndRefuseUpdates) {
  auto c = parse("primaries = [\"192.0.2.1:53\"]\n");
  ASSERT_TRUE(c) << c.error().message;
  const auto& s = c->zones.at(0).secondary;
  EXPECT_FALSE(s.refresh.has_value());
  EXPECT_FALSE(s.retry.has_value());
  EXPECT_FALSE(s.expire.has_value());
  EXPECT_FALSE(s.forward_updates);
  EXPECT_TRUE(s.request_ixfr);
  EXPECT_EQ(s.max_transfer_time, 600s);
  // A zone with a file is a primary zone.
  auto p = parse("file = \"example.test.zone\"\n");
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_FALSE(p->zones.at(0).is_secondary());
}

TEST(ConfigSecondary, ErrorsNameTheKey) {
  EXPECT_NE(error_of("primaries = [\"192.0.2.1:53\"]\nfile = \"z\"\n")
                .find("zone[0].file: a "
                      "secondary zone"),
            std::string::npos);
  EXPECT_NE(error_of("").find("zone[0].file: missing (or primaries"), std::string::npos);
  EXPECT_NE(error_of("primaries = [\"192.0.2.1:53\"]\nupdate = [ { network = \"10.0.0.0/8\" } ]\n")
                .find("zone[0].update: a secondary zone takes no UPDATE"),
            std::string::npos);
  EXPECT_NE(error_of("file = \"z\"\nrefresh-s = 5\n")
                .find("zone[0].refresh-s: only for a "
                      "secondary zone"),
            std::string::npos);
  EXPECT_NE(error_of("file = \"z\"\nforward-updates = true\n").find("zone[0].forward-updates"),
            std::string::npos);
  EXPECT_NE(error_of("primaries = [\"192.0.2.1\"]\n").find("zone[0].primaries[0]: missing port"),
            std::string::npos);
  EXPECT_NE(error_of("primaries = [\"192.0.2.1:0\"]\n").find("port 0"), std::string::npos);
  EXPECT_NE(error_of("primaries = [\"host.example:53\"]\n").find("zone[0].primaries[0]"),
            std::string::npos);
  EXPECT_NE(error_of("primaries = [ { address = \"192.0.2.1:53\", key = \"nokey\" } ]\n")
                .find("zone[0].primaries[0].key: \"nokey\" is not a configured [[key]]"),
            std::string::npos);
  EXPECT_NE(error_of("primaries = [ { key = \"xfr-key\" } ]\n")
                .find("zone[0].primaries[0].address: "
                      "missing"),
            std::string::npos);
  EXPECT_NE(error_of("primaries = [ { address = \"192.0.2.1:53\", port = 53 } ]\n")
                .find("zone[0].primaries[0].port: unknown key"),
            std::string::npos);
  EXPECT_NE(error_of("primaries = [ 53 ]\n").find("zone[0].primaries[0]: expected"),
            std::string::npos);
  EXPECT_NE(error_of("primaries = \"192.0.2.1:53\"\n").find("zone[0].primaries: expected an array"),
            std::string::npos);
  EXPECT_NE(error_of("primaries = [\"192.0.2.1:53\"]\nrefresh-s = 0\n").find("zone[0].refresh-s"),
            std::string::npos);
  EXPECT_NE(error_of("primaries = [\"192.0.2.1:53\"]\nmax-transfer-time-s = 0\n")
                .find("zone[0].max-transfer-time-s"),
            std::string::npos);
  EXPECT_NE(error_of("primaries = [\"192.0.2.1:53\"]\nexpire = 5\n")
                .find("zone[0].expire: unknown "
                      "key"),
            std::string::npos);
}

}  // namespace
}  // namespace dnspush::server
