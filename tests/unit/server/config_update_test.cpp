// The configuration of DNS UPDATE, TSIG keys, the journal, zone transfers and NOTIFY.
#include <gtest/gtest.h>

#include <string>

#include "server/config.hpp"
#include "xfr/acl.hpp"

namespace dnspush::server {
namespace {

using namespace std::chrono_literals;

constexpr char kListen[] = "[listen]\ndns = [\"127.0.0.1:5300\"]\n";
constexpr char kKeys[] = R"(
[[key]]
name = "example-key"
algorithm = "hmac-sha256"
secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQ="
[[key]]
name = "xfr-key"
algorithm = "hmac-sha512"
secret = "eGZyLXNlY3JldA=="
)";

Result<Config> parse(const std::string& body) {
  return parse_config(std::string(kListen) + body, "dnspushd.toml");
}

std::string error_of(const std::string& body) {
  auto c = parse(body);
  return c ? std::string("(no error)") : c.error().message;
}

xfr::IpAddress ip(const char* s) {
  return *xfr::IpAddress::parse(s);
}

TEST(ConfigUpdate, FullExampleParses) {
  auto c = parse(std::string(kKeys) + R"(
[journal]
max-changesets = 50
max-bytes = 1048576
sync = "nometasync"
[[zone]]
origin = "example.test"
file = "example.test.zone"
update = [ { key = "example-key" } ]
transfer = [ { network = "127.0.0.0/8" }, { key = "xfr-key" } ]
notify = ["127.0.0.1:5301", "[::1]:5302"]
write-back-interval-s = 30
)");
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->keys.size(), 2u);
  EXPECT_EQ(c->keys[0].name, *wire::Name::from_text("example-key."));
  EXPECT_EQ(c->keys[0].alg, wire::TsigAlgorithm::kHmacSha256);
  EXPECT_EQ(std::string(c->keys[0].secret.begin(), c->keys[0].secret.end()),
            "secret-secret-secret");
  EXPECT_EQ(c->keys[1].alg, wire::TsigAlgorithm::kHmacSha512);
  EXPECT_EQ(c->journal.max_changesets, 50u);
  EXPECT_EQ(c->journal.max_bytes, 1048576u);
  EXPECT_TRUE(c->journal.no_meta_sync);
  ASSERT_EQ(c->zones.size(), 1u);
  const auto& z = c->zones[0];
  const auto ek = *wire::Name::from_text("example-key");
  const auto xk = *wire::Name::from_text("xfr-key");
  EXPECT_TRUE(z.update.allows(ip("192.0.2.1"), &ek));
  EXPECT_FALSE(z.update.allows(ip("127.0.0.1"), nullptr));
  EXPECT_FALSE(z.update.allows(ip("127.0.0.1"), &xk));
  EXPECT_TRUE(z.transfer.allows(ip("127.0.0.1"), nullptr));
  EXPECT_FALSE(z.transfer.allows(ip("192.0.2.1"), nullptr));
  EXPECT_TRUE(z.transfer.allows(ip("192.0.2.1"), &xk));
  ASSERT_EQ(z.notify.size(), 2u);
  EXPECT_EQ(z.notify[0].to_string(), "127.0.0.1:5301");
  EXPECT_EQ(z.notify[1].to_string(), "[::1]:5302");
  EXPECT_EQ(z.write_back_interval, 30s);
}

TEST(ConfigUpdate, DefaultsAllowNobodyAndSyncFully) {
  auto c = parse("[[zone]]\norigin = \"a.test\"\nfile = \"a.zone\"\n");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_TRUE(c->keys.empty());
  EXPECT_EQ(c->journal.max_changesets, 1000u);
  EXPECT_EQ(c->journal.max_bytes, 67108864u);
  EXPECT_FALSE(c->journal.no_meta_sync);
  EXPECT_TRUE(c->zones[0].update.empty());
  EXPECT_TRUE(c->zones[0].transfer.empty());
  EXPECT_TRUE(c->zones[0].notify.empty());
  EXPECT_EQ(c->zones[0].write_back_interval, 0s);
  auto e = parse("[[zone]]\norigin = \"a.test\"\nfile = \"a.zone\"\nupdate = []\n");
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_TRUE(e->zones[0].update.empty());
}

TEST(ConfigUpdate, RuleWithKeyAndNetworkNeedsBoth) {
  auto c = parse(std::string(kKeys) +
                 "[[zone]]\norigin = \"a.test\"\nfile = \"a.zone\"\n"
                 "update = [ { key = \"example-key\", network = \"10.0.0.0/8\" } ]\n");
  ASSERT_TRUE(c) << c.error().message;
  const auto ek = *wire::Name::from_text("example-key");
  EXPECT_TRUE(c->zones[0].update.allows(ip("10.1.2.3"), &ek));
  EXPECT_FALSE(c->zones[0].update.allows(ip("11.1.2.3"), &ek));
  EXPECT_FALSE(c->zones[0].update.allows(ip("10.1.2.3"), nullptr));
}

TEST(ConfigUpdate, KeyErrorsNameTheKey) {
  EXPECT_EQ(error_of("[[key]]\nname = \"k\"\nsecret = \"!!!\"\n")
                .rfind("dnspushd.toml: key[0].secret: not base64", 0),
            0u)
      << error_of("[[key]]\nname = \"k\"\nsecret = \"!!!\"\n");
  EXPECT_EQ(error_of("[[key]]\nname = \"k\"\nalgorithm = \"hmac-md5\"\nsecret = \"AAAA\"\n"),
            "dnspushd.toml: key[0].algorithm: \"hmac-md5\" is not one of hmac-sha1, hmac-sha256, "
            "hmac-sha384, hmac-sha512");
  EXPECT_EQ(error_of("[[key]]\nsecret = \"AAAA\"\n"), "dnspushd.toml: key[0].name: missing");
  EXPECT_EQ(error_of("[[key]]\nname = \"k\"\n"), "dnspushd.toml: key[0].secret: missing");
  EXPECT_EQ(error_of("[[key]]\nname = \"k\"\nsecret = \"AAAA\"\nsecrte = \"x\"\n"),
            "dnspushd.toml: key[0].secrte: unknown key");
  EXPECT_EQ(error_of("[[key]]\nname = \"k\"\nsecret = \"AAAA\"\n"
                     "[[key]]\nname = \"K.\"\nsecret = \"AAAA\"\n"),
            "dnspushd.toml: key[1].name: \"K.\" is already configured in key[0]");
  // The algorithm defaults to hmac-sha256, and hmac-sha1/384 are accepted.
  auto c = parse(
      "[[key]]\nname = \"a\"\nsecret = \"AAAA\"\n"
      "[[key]]\nname = \"b\"\nalgorithm = \"hmac-sha1\"\nsecret = \"AAAA\"\n"
      "[[key]]\nname = \"c\"\nalgorithm = \"hmac-sha384\"\nsecret = \"AAAA\"\n");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->keys[0].alg, wire::TsigAlgorithm::kHmacSha256);
  EXPECT_EQ(c->keys[1].alg, wire::TsigAlgorithm::kHmacSha1);
  EXPECT_EQ(c->keys[2].alg, wire::TsigAlgorithm::kHmacSha384);
}

TEST(ConfigUpdate, RuleErrors) {
  const std::string zone =
      std::string(kKeys) + "[[zone]]\norigin = \"a.test\"\nfile = \"a.zone\"\n";
  EXPECT_EQ(error_of(zone + "update = [ { key = \"nope\" } ]\n"),
            "dnspushd.toml: zone[0].update[0].key: \"nope\" is not a configured [[key]]");
  EXPECT_EQ(error_of(zone + "transfer = [ { network = \"10.0.0.1/8\" } ]\n")
                .rfind("dnspushd.toml: zone[0].transfer[0].network: \"10.0.0.1/8\"", 0),
            0u);
  EXPECT_EQ(error_of(zone + "transfer = [ { network = \"banana\" } ]\n")
                .rfind("dnspushd.toml: zone[0].transfer[0].network: \"banana\"", 0),
            0u);
  EXPECT_EQ(error_of(zone + "update = [ { } ]\n"),
            "dnspushd.toml: zone[0].update[0]: a rule needs a key, a network or both");
  EXPECT_EQ(error_of(zone + "update = [ { kye = \"example-key\" } ]\n"),
            "dnspushd.toml: zone[0].update[0].kye: unknown key");
  EXPECT_EQ(error_of(zone + "update = \"example-key\"\n"),
            "dnspushd.toml: zone[0].update: expected an array of rules like { key = \"name\" }");
  EXPECT_EQ(error_of(zone + "notify = [\"localhost:53\"]\n")
                .rfind("dnspushd.toml: zone[0].notify[0]: ", 0),
            0u);
  EXPECT_EQ(error_of(zone + "notify = [\"127.0.0.1:0\"]\n"),
            "dnspushd.toml: zone[0].notify[0]: port 0 is not a port");
  EXPECT_EQ(error_of(zone + "write-back-interval-s = -1\n"),
            "dnspushd.toml: zone[0].write-back-interval-s: -1 is out of range [0, 31536000]");
}

TEST(ConfigUpdate, NotifyKeyNamesAConfiguredKey) {
  auto c = parse(std::string(kKeys) +
                 "[[zone]]\norigin = \"a.test\"\nfile = \"a.zone\"\n"
                 "notify = [\"127.0.0.1:5301\"]\nnotify-key = \"XFR-key.\"\n"
                 "[[zone]]\norigin = \"b.test\"\nfile = \"b.zone\"\n"
                 "notify = [\"127.0.0.1:5301\"]\n");
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->zones.size(), 2u);
  // Key names are domain names: matched case-insensitively, final dot optional.
  ASSERT_TRUE(c->zones[0].notify_key.has_value());
  EXPECT_EQ(c->zones[0].notify_key->name, *wire::Name::from_text("xfr-key"));
  EXPECT_EQ(c->zones[0].notify_key->alg, wire::TsigAlgorithm::kHmacSha512);
  EXPECT_EQ(c->zones[0].notify_key->secret, c->keys[1].secret);
  EXPECT_FALSE(c->zones[1].notify_key.has_value());  // unsigned unless asked
}

TEST(ConfigUpdate, NotifyKeyErrors) {
  const std::string zone = "[[zone]]\norigin = \"a.test\"\nfile = \"a.zone\"\n";
  EXPECT_EQ(error_of(std::string(kKeys) + zone + "notify-key = \"nope\"\n"),
            "dnspushd.toml: zone[0].notify-key: \"nope\" is not a configured [[key]]");
  EXPECT_EQ(error_of(zone + "notify-key = \"example-key\"\n"),
            "dnspushd.toml: zone[0].notify-key: \"example-key\" is not a configured [[key]]");
  EXPECT_EQ(error_of(std::string(kKeys) + zone + "notify-key = \"a..b\"\n"),
            "dnspushd.toml: zone[0].notify-key: \"a..b\" is not a configured [[key]]");
  EXPECT_EQ(error_of(std::string(kKeys) + zone + "notify-key = 3\n"),
            "dnspushd.toml: zone[0].notify-key: expected a string");
}

TEST(ConfigUpdate, JournalErrors) {
  EXPECT_EQ(error_of("[journal]\nsync = \"sometimes\"\n"),
            "dnspushd.toml: journal.sync: \"sometimes\" is not one of full, nometasync");
  EXPECT_EQ(error_of("[journal]\nmax-changesets = 0\n"),
            "dnspushd.toml: journal.max-changesets: 0 is out of range [2, 100000000]");
  EXPECT_EQ(error_of("[journal]\nmax-bytes = 10\n"),
            "dnspushd.toml: journal.max-bytes: 10 is out of range [4096, 1099511627776]");
  EXPECT_EQ(error_of("[journal]\nmax-changeset = 5\n"),
            "dnspushd.toml: journal.max-changeset: unknown key");
}

}  // namespace
}  // namespace dnspush::server
