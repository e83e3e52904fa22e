// Secondary zones in process: two dnspushd Instances on 127.0.0.1, one the primary of
// example.test (UPDATE, transfers out), the other its secondary (primaries = [...]). The
// secondary loads a first copy by AXFR, follows changes by NOTIFY + IXFR into its own
// journal (the same changesets the primary committed), refuses NOTIFYs from others,
// forwards or refuses UPDATEs, resumes by IXFR after a restart, and answers SERVFAIL for
// a copy that expired while it was down. Waits are bounded polls on real time (transfers
// are real TCP); the timer rules themselves are unit-tested with a fake clock
// (tests/unit/xfr/refresh_test.cpp).
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <thread>

#include "daemon_test_util.hpp"
#include "zone/changeset.hpp"

namespace dnspush::server {
namespace {

using namespace std::chrono_literals;
using test::Bytes;
using test::Daemon;
using wire::Rcode;
using wire::RRType;

constexpr char kPrimaryZones[] = R"(
[[zone]]
origin = "example.test"
file = "example.test.zone"
update = [ { key = "example-key" } ]
transfer = [ { network = "127.0.0.0/8" } ]
)";

// `timers` holds the timer keys; by default REFRESH is an hour, so every check in a test
// comes from the start or a NOTIFY.
std::string secondary_zones(std::uint16_t primary_port, const std::string& extra = "",
                            const std::string& timers = "refresh-s = 3600\n") {
  return "[[zone]]\norigin = \"example.test\"\nprimaries = [\"127.0.0.1:" +
         std::to_string(primary_port) + "\"]\ntransfer = [ { network = \"127.0.0.0/8\" } ]\n" +
         timers + extra;
}

const wire::Name& origin() {
  static const wire::Name n = *wire::Name::from_text("example.test");
  return n;
}

wire::Message parse(const Bytes& b) {
  auto m = wire::Message::parse(b);
  EXPECT_TRUE(m) << m.error().message;
  return m ? *m : wire::Message{};
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

Rcode rcode_of(std::uint16_t port, const std::string& name, RRType t) {
  auto r = test::exchange(port, test::make_query(90, name, t));
  return r ? parse(*r).rcode() : Rcode::SERVFAIL;
}

Bytes notify_for(const std::string& zone, std::uint16_t id = 77) {
  wire::Message m;
  m.header.id = id;
  m.header.opcode = wire::Opcode::NOTIFY;
  m.header.aa = true;
  m.questions.push_back({*wire::Name::from_text(zone), RRType::SOA, wire::RRClass::IN});
  return m.to_wire();
}

struct Signed {
  Bytes bytes;
  std::vector<std::uint8_t> mac;
};

Signed signed_update(std::uint16_t id, const std::string& owner, const std::string& addr) {
  Bytes m = test::make_update(id, "example.test", {test::a_record(owner, addr)});
  const auto k = test::key("example-key", test::kExampleSecret);
  auto mac = wire::tsig_sign_request(m, k, test::now());
  EXPECT_TRUE(mac);
  return {std::move(m), mac ? *mac : std::vector<std::uint8_t>{}};
}

void update_primary(Daemon& p, std::uint16_t id, const std::string& owner,
                    const std::string& addr) {
  auto r = test::exchange(p.port, signed_update(id, owner, addr).bytes);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(parse(*r).rcode(), Rcode::NOERROR);
}

std::vector<zone::Changeset> history(Daemon& d, std::uint32_t from) {
  auto h = d.zones->journal().changesets_since(origin(), Serial(from));
  EXPECT_TRUE(h && h->has_value());
  return h && h->has_value() ? **h : std::vector<zone::Changeset>{};
}

class SecondaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    primary_ = Daemon::start(pdir_.path(), kPrimaryZones);
    ASSERT_NE(primary_, nullptr);
  }
  std::unique_ptr<Daemon> start_secondary(const std::string& extra = "",
                                          const std::string& timers = "refresh-s = 3600\n") {
    return Daemon::start(sdir_.path(), secondary_zones(primary_->port, extra, timers));
  }
  test::TempDir pdir_, sdir_;
  std::unique_ptr<Daemon> primary_;
};

// The first copy comes by AXFR; each change after a NOTIFY by IXFR, committed to the
// secondary's journal as the very changesets the primary committed, so its consumers
// (push, IXFR out) cannot tell the change was not made here.
TEST_F(SecondaryTest, FollowsThePrimaryByAxfrThenNotifyAndIxfr) {
  auto s = start_secondary();
  ASSERT_NE(s, nullptr);
  ASSERT_TRUE(eventually([&] { return test::serial_of(s->port) == 1; }));
  EXPECT_EQ(test::answer_count(s->port, "www.example.test", RRType::A), 1u);
  auto u = s->zones->journal().usage(origin());
  ASSERT_TRUE(u);
  EXPECT_EQ(u->snapshot_serial, Serial(1));  // the first copy: a snapshot

  update_primary(*primary_, 1, "n1.example.test", "192.0.2.101");
  update_primary(*primary_, 2, "n2.example.test", "192.0.2.102");
  ASSERT_EQ(test::serial_of(primary_->port), 3u);
  // RFC 1996 §4.7: the NOTIFY is answered at once, QR and AA set, the question echoed.
  // Over UDP, so through the batched receive path: the dispatcher's fast path must hand
  // a NOTIFY on to the full handler, never answer it NOTIMP itself.
  auto r = test::exchange(s->port, notify_for("example.test"));
  ASSERT_TRUE(r) << r.error().message;
  auto m = parse(*r);
  EXPECT_EQ(m.rcode(), Rcode::NOERROR);
  EXPECT_TRUE(m.header.qr);
  EXPECT_TRUE(m.header.aa);
  EXPECT_EQ(m.header.opcode, wire::Opcode::NOTIFY);
  EXPECT_EQ(m.header.id, 77);
  ASSERT_EQ(m.questions.size(), 1u);
  EXPECT_EQ(m.questions[0].name, origin());

  ASSERT_TRUE(eventually([&] { return test::serial_of(s->port) == 3; }));
  EXPECT_EQ(test::answer_count(s->port, "n2.example.test", RRType::A), 1u);
  // Two changesets, as on the primary (IXFR, not one AXFR difference).
  const auto mine = history(*s, 1), theirs = history(*primary_, 1);
  ASSERT_EQ(mine.size(), 2u);
  ASSERT_EQ(theirs.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(mine[i].soa_from, theirs[i].soa_from);
    EXPECT_EQ(mine[i].soa_to, theirs[i].soa_to);
    EXPECT_EQ(mine[i].added, theirs[i].added);
    EXPECT_EQ(mine[i].removed, theirs[i].removed);
  }
  // The secondary is itself a primary for others: IXFR out from its journal.
  auto ixfr =
      test::exchange(s->port, test::make_ixfr(5, "example.test.", 1), auth::Transport::kTcp);
  ASSERT_TRUE(ixfr);
  EXPECT_EQ(parse(*ixfr).rcode(), Rcode::NOERROR);
  EXPECT_GE(parse(*ixfr).answers.size(), 6u);  // SOA 3, SOA 1, SOA 2, +n1, SOA 2, SOA 3, +n2, SOA 3
}

TEST_F(SecondaryTest, NotifyFromAnyoneButAPrimaryIsRefused) {
  // The zone's primary is 127.0.0.2 (nothing there): our NOTIFY from 127.0.0.1 is not one.
  test::TempDir dir;
  auto s = Daemon::start(dir.path(),
                         "[[zone]]\norigin = \"example.test\"\nprimaries = [\"127.0.0.2:53\"]\n"
                         "[[zone]]\norigin = \"other.test\"\nfile = \"other.test.zone\"\n");
  ASSERT_NE(s, nullptr);
  auto r = test::exchange(s->port, notify_for("example.test"));
  ASSERT_TRUE(r);
  EXPECT_EQ(parse(*r).rcode(), Rcode::REFUSED);  // RFC 1996 §3.10
  // A zone we are primary for: no NOTIFY is implemented for it (§3.12).
  r = test::exchange(s->port, notify_for("other.test"));
  ASSERT_TRUE(r);
  EXPECT_EQ(parse(*r).rcode(), Rcode::NOTIMP);
  // A malformed NOTIFY (no question).
  wire::Message bad;
  bad.header.id = 5;
  bad.header.opcode = wire::Opcode::NOTIFY;
  r = test::exchange(s->port, bad.to_wire());
  ASSERT_TRUE(r);
  EXPECT_EQ(parse(*r).rcode(), Rcode::FORMERR);
  // No copy yet: the zone is configured, so SERVFAIL (not REFUSED), and not transferred on.
  EXPECT_EQ(rcode_of(s->port, "www.example.test", RRType::A), Rcode::SERVFAIL);
  EXPECT_EQ(rcode_of(s->port, "example.test", RRType::SOA), Rcode::SERVFAIL);
  auto axfr = test::exchange(s->port, test::make_query(6, "example.test", RRType::AXFR),
                             auth::Transport::kTcp);
  ASSERT_TRUE(axfr);
  EXPECT_EQ(parse(*axfr).rcode(), Rcode::SERVFAIL);
  EXPECT_EQ(rcode_of(s->port, "other.test", RRType::SOA), Rcode::NOERROR);
}

// RFC 2136 §6: forwarded with a new ID, the primary's answer relayed with the client's ID;
// the client's TSIG verifies on the primary and the primary's on the client (both MACs are
// over the Original ID).
TEST_F(SecondaryTest, UpdatesAreForwardedToThePrimaryWhenConfigured) {
  auto s = start_secondary("forward-updates = true\n");
  ASSERT_NE(s, nullptr);
  ASSERT_TRUE(eventually([&] { return test::serial_of(s->port) == 1; }));
  for (auto t : {auth::Transport::kUdp, auth::Transport::kTcp}) {
    const std::uint16_t id = t == auth::Transport::kUdp ? 0x1234 : 0x4321;
    auto req = signed_update(
        id, t == auth::Transport::kUdp ? "fw1.example.test" : "fw2.example.test", "192.0.2.77");
    auto r = test::exchange(s->port, req.bytes, t);
    ASSERT_TRUE(r) << r.error().message;
    auto m = parse(*r);
    EXPECT_EQ(m.rcode(), Rcode::NOERROR);
    EXPECT_EQ(m.header.id, id);
    EXPECT_EQ(m.header.opcode, wire::Opcode::UPDATE);
    ASSERT_TRUE(m.tsig_offset.has_value());
    const auto k = test::key("example-key", test::kExampleSecret);
    EXPECT_TRUE(wire::tsig_verify_response(*r, m, k, req.mac, test::now()).ok());
  }
  EXPECT_EQ(test::serial_of(primary_->port), 3u);
  EXPECT_EQ(test::answer_count(primary_->port, "fw1.example.test", RRType::A), 1u);
  // The primary's answer to a bad signature comes back too.
  Bytes unsigned_update =
      test::make_update(9, "example.test", {test::a_record("fw3.example.test", "192.0.2.1")});
  auto r = test::exchange(s->port, unsigned_update);
  ASSERT_TRUE(r);
  EXPECT_EQ(parse(*r).rcode(), Rcode::REFUSED);  // the primary's policy: example-key only
}

TEST_F(SecondaryTest, UpdatesAreRefusedWithoutForwarding) {
  auto s = start_secondary();
  ASSERT_NE(s, nullptr);
  ASSERT_TRUE(eventually([&] { return test::serial_of(s->port) == 1; }));
  auto r = test::exchange(s->port, signed_update(3, "r.example.test", "192.0.2.3").bytes);
  ASSERT_TRUE(r);
  EXPECT_EQ(parse(*r).rcode(), Rcode::REFUSED);
  EXPECT_EQ(test::serial_of(primary_->port), 1u);
}

// A restarted secondary loads its copy from its journal and catches up by IXFR from that
// serial: the three changes made meanwhile arrive as three changesets (an AXFR would have
// been one difference).
TEST_F(SecondaryTest, RestartResumesByIxfrFromTheJournal) {
  auto s = start_secondary();
  ASSERT_NE(s, nullptr);
  ASSERT_TRUE(eventually([&] { return test::serial_of(s->port) == 1; }));
  s.reset();
  for (int i = 0; i < 3; ++i) {
    update_primary(*primary_, static_cast<std::uint16_t>(20 + i),
                   "r" + std::to_string(i) + ".example.test", "192.0.2.20");
  }
  s = start_secondary();
  ASSERT_NE(s, nullptr);
  ASSERT_TRUE(eventually([&] { return test::serial_of(s->port) == 4; }));
  auto u = s->zones->journal().usage(origin());
  ASSERT_TRUE(u);
  EXPECT_EQ(u->snapshot_serial, Serial(1));
  EXPECT_EQ(u->changesets, 3u);
  EXPECT_EQ(test::answer_count(s->port, "r2.example.test", RRType::A), 1u);
}

// RFC 1034 §4.3.5: a copy whose last successful refresh is older than EXPIRE is never
// served after a restart, even before its first check fails; a primary that answers
// again brings it back.
TEST_F(SecondaryTest, ACopyThatExpiredWhileDownIsNotServed) {
  // EXPIRE 30 s (at least REFRESH + RETRY: 11 s).
  const std::string timers = "refresh-s = 10\nretry-s = 1\nexpire-s = 30\n";
  auto s = start_secondary("", timers);
  ASSERT_NE(s, nullptr);
  ASSERT_TRUE(eventually([&] { return test::serial_of(s->port) == 1; }));
  const auto stamp = s->config.state_dir / "secondary" / "example.test.refreshed";
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(stamp); }));
  s.reset();
  // The last success was 100 s ago, the primary is gone.
  { std::ofstream(stamp) << test::now() - 100 << "\n"; }
  const std::uint16_t primary_port = primary_->port;
  primary_.reset();
  s = Daemon::start(sdir_.path(), secondary_zones(primary_port, "", timers));
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(rcode_of(s->port, "www.example.test", RRType::A), Rcode::SERVFAIL);
  EXPECT_EQ(rcode_of(s->port, "example.test", RRType::SOA), Rcode::SERVFAIL);
  // A primary that answers (here: restarted, on another port) makes it current again.
  s.reset();
  { std::ofstream(stamp) << test::now() - 100 << "\n"; }
  primary_ = Daemon::start(pdir_.path(), kPrimaryZones);
  ASSERT_NE(primary_, nullptr);
  s = start_secondary("", timers);
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(eventually([&] { return test::serial_of(s->port) == 1; }));
}

}  // namespace
}  // namespace dnspush::server
