// Journal compaction in the running server: it runs off the writer's thread while
// UPDATEs keep being committed, and the journal it leaves (a snapshot plus the changesets
// after it) still rebuilds the zone with every answered UPDATE after a restart.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "daemon_test_util.hpp"
#include "server/daemon.hpp"

namespace dnspush::server {
namespace {

using namespace std::chrono_literals;
using wire::Rcode;
using wire::RRType;

constexpr char kSmallJournal[] = R"(
[journal]
max-changesets = 8
[[zone]]
origin = "example.test"
file = "example.test.zone"
update = [ { key = "example-key" } ]
transfer = [ { network = "127.0.0.0/8" } ]
)";

Rcode update_rcode(std::uint16_t port, std::uint16_t id, const std::string& owner,
                   const wire::TsigKey& k) {
  auto m = test::make_update(id, "example.test", {test::a_record(owner, "192.0.2.77")});
  if (!wire::tsig_sign_request(m, k, test::now())) return Rcode::SERVFAIL;
  auto r = test::exchange(port, m);
  if (!r) return Rcode::SERVFAIL;
  auto p = wire::Message::parse(*r);
  return p ? p->rcode() : Rcode::FORMERR;
}

TEST(DaemonCompaction, RunsBesideUpdatesAndTheJournalStillRebuildsTheZone) {
  test::TempDir dir;
  const auto key = test::key("example-key", test::kExampleSecret);
  auto d = test::Daemon::start(dir.path(), kSmallJournal);
  ASSERT_NE(d, nullptr);
  const std::uint32_t first = test::serial_of(d->port);
  ASSERT_NE(first, 0u);

  // Four clients, 15 UPDATEs each: compactions (every few commits with a bound of 8)
  // overlap with commits.
  constexpr int kClients = 4, kEach = 15;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      for (int i = 0; i < kEach; ++i) {
        const auto id = static_cast<std::uint16_t>(1000 + c * 100 + i);
        const std::string owner =
            "k" + std::to_string(c) + "-" + std::to_string(i) + ".example.test";
        if (update_rcode(d->port, id, owner, key) == Rcode::NOERROR) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(ok.load(), kClients * kEach);
  EXPECT_EQ(test::serial_of(d->port), first + kClients * kEach);

  const auto origin = *wire::Name::from_text("example.test");
  // The last compaction may still be running: wait for its snapshot (bounded).
  std::optional<zone::JournalUsage> u;
  for (int i = 0; i < 100; ++i) {
    u = d->zones->journal().usage(origin).value_or(zone::JournalUsage{});
    if (u->snapshot_serial) break;
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(u && u->snapshot_serial);
  // Bounded: far fewer than the 60 changesets written (a compaction that was running
  // when the last commits came may leave a few more than max-changesets).
  EXPECT_LT(u->changesets, static_cast<std::size_t>(kClients * kEach));

  // Stop (waits for a compaction in flight) and start again from the journal alone.
  d.reset();
  d = test::Daemon::start(dir.path(), kSmallJournal);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(test::serial_of(d->port), first + kClients * kEach);
  for (int c = 0; c < kClients; ++c) {
    for (int i = 0; i < kEach; ++i) {
      EXPECT_EQ(test::answer_count(
                    d->port, "k" + std::to_string(c) + "-" + std::to_string(i) + ".example.test",
                    RRType::A),
                1u);
    }
  }
}

}  // namespace
}  // namespace dnspush::server
