// The restart paths of a primary zone (server/zone_start): a journal written before a stop,
// a zone file edited while the server was down, and what each journal-content does.
#include "server/zone_start.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "daemon_test_util.hpp"
#include "zone/zone_diff.hpp"
#include "zone/zone_file.hpp"

namespace dnspush::server {
namespace {

namespace fs = std::filesystem;
using zone::JournalContent;

const wire::Name kOrigin = *wire::Name::from_text("example.test.");

std::string zone_text(std::uint32_t serial, const std::string& more = "") {
  return "$ORIGIN example.test.\n$TTL 300\n@ SOA ns1 hostmaster " + std::to_string(serial) +
         " 3600 600 86400 300\n@ NS ns1\nns1 A 127.0.0.1\nwww A 192.0.2.1\n" + more;
}

class ZoneStart : public ::testing::Test {
 protected:
  void SetUp() override {
    zc_.origin = "example.test";
    zc_.file = dir_.path() / "example.test.zone";
    write_file(zone_text(1));
    open_journal();
  }
  void write_file(const std::string& text) { std::ofstream(zc_.file) << text; }
  void open_journal() {
    journal_.reset();
    fs::create_directories(dir_.path() / "journal");
    auto j = zone::Journal::open((dir_.path() / "journal").string());
    ASSERT_TRUE(j) << j.error().message;
    journal_ = std::make_unique<zone::Journal>(std::move(*j));
  }
  std::shared_ptr<const zone::Zone> start() {
    auto z = start_primary_zone(zc_, *journal_, dir_.path() / "state");
    EXPECT_TRUE(z) << z.error().message;
    return z ? *z : nullptr;
  }
  // What an UPDATE does to the journal: serial `to`, one A record added.
  std::shared_ptr<const zone::Zone> update(const zone::Zone& z, std::uint32_t to,
                                           const std::string& owner) {
    zone::Changeset cs;
    cs.soa_from = z.soa_record();
    auto next = zone::load_zone_text(zone_text(to), kOrigin);
    cs.soa_to = (*next)->soa_record();
    cs.added.push_back(test::a_record(owner, "192.0.2.50"));
    auto applied = z.apply(cs);
    EXPECT_TRUE(applied) << applied.error().message;
    EXPECT_TRUE(journal_->append(kOrigin, cs));
    return *applied;
  }
  static bool has(const zone::Zone& z, const std::string& owner) {
    return z.find(*wire::Name::from_text(owner)) != nullptr;
  }

  test::TempDir dir_;
  ZoneConfig zc_;
  std::unique_ptr<zone::Journal> journal_;
};

TEST_F(ZoneStart, FirstStartServesTheFileAndStoresASnapshot) {
  auto z = start();
  ASSERT_TRUE(z);
  EXPECT_EQ(z->serial(), Serial(1));
  auto u = journal_->usage(kOrigin);
  ASSERT_TRUE(u);
  ASSERT_TRUE(u->snapshot_serial);
  EXPECT_EQ(*u->snapshot_serial, Serial(1));
}

// The case: UPDATE, stop, the file edited with a newer serial, start: the UPDATE's
// record and the edit are both served, and the journal holds exactly the edit after the
// UPDATE (what an IXFR from the pre-restart serial sends).
TEST_F(ZoneStart, FileEditedWhileDownBecomesOneChangesetOnTopOfTheJournal) {
  auto z = start();
  z = update(*z, 2, "upd.example.test");
  open_journal();  // a restart
  write_file(zone_text(3, "edit TXT \"by hand\"\n"));
  z = start();
  ASSERT_TRUE(z);
  EXPECT_EQ(z->serial(), Serial(3));
  EXPECT_TRUE(has(*z, "upd.example.test"));
  EXPECT_TRUE(has(*z, "edit.example.test"));
  // IXFR from the pre-restart serial: exactly the edit, not the UPDATE's removal.
  auto since = journal_->changesets_since(kOrigin, Serial(2));
  ASSERT_TRUE(since && *since);
  ASSERT_EQ((*since)->size(), 1u);
  const auto& cs = (**since)[0];
  EXPECT_EQ(cs.serial_from(), Serial(2));
  EXPECT_EQ(cs.serial_to(), Serial(3));
  EXPECT_TRUE(cs.removed.empty());
  ASSERT_EQ(cs.added.size(), 1u);
  EXPECT_EQ(cs.added[0].owner, *wire::Name::from_text("edit.example.test."));
  // The next start finds the file it last read: nothing more happens.
  open_journal();
  z = start();
  ASSERT_TRUE(z);
  EXPECT_EQ(z->serial(), Serial(3));
  EXPECT_EQ(journal_->usage(kOrigin)->changesets, 2u);
}

// Without the base (a state directory from before it was kept), the whole difference from
// the journal's zone is applied: records the file lacks go.
TEST_F(ZoneStart, WithoutTheBaseTheWholeDifferenceIsApplied) {
  auto z = start();
  z = update(*z, 2, "upd.example.test");
  fs::remove(file_base_path(dir_.path() / "state", kOrigin));
  open_journal();
  write_file(zone_text(3, "edit TXT \"by hand\"\n"));
  z = start();
  ASSERT_TRUE(z);
  EXPECT_EQ(z->serial(), Serial(3));
  EXPECT_FALSE(has(*z, "upd.example.test"));
  EXPECT_TRUE(has(*z, "edit.example.test"));
}

TEST_F(ZoneStart, JournalContentJournalIgnoresTheNewerFile) {
  zc_.journal_content = JournalContent::kJournal;
  auto z = start();
  z = update(*z, 2, "upd.example.test");
  open_journal();
  write_file(zone_text(3, "edit TXT \"by hand\"\n"));
  z = start();
  ASSERT_TRUE(z);
  EXPECT_EQ(z->serial(), Serial(2));
  EXPECT_TRUE(has(*z, "upd.example.test"));
  EXPECT_FALSE(has(*z, "edit.example.test"));
  EXPECT_EQ(journal_->usage(kOrigin)->changesets, 1u);
}

TEST_F(ZoneStart, JournalContentFileStartsAFreshHistoryFromTheFile) {
  zc_.journal_content = JournalContent::kFile;
  auto z = start();
  z = update(*z, 2, "upd.example.test");
  open_journal();
  write_file(zone_text(3, "edit TXT \"by hand\"\n"));
  z = start();
  ASSERT_TRUE(z);
  EXPECT_EQ(z->serial(), Serial(3));
  EXPECT_FALSE(has(*z, "upd.example.test"));
  EXPECT_TRUE(has(*z, "edit.example.test"));
  // IXFR from 2 no longer reaches back: clients fall back to a full transfer.
  auto since = journal_->changesets_since(kOrigin, Serial(2));
  ASSERT_TRUE(since);
  EXPECT_FALSE(since->has_value());
  EXPECT_EQ(journal_->usage(kOrigin)->changesets, 0u);
}

// Edited without raising the serial (to the journal's): reported, not applied.
TEST_F(ZoneStart, FileEditedWithoutANewSerialIsNotApplied) {
  auto z = start();
  z = update(*z, 2, "upd.example.test");
  open_journal();
  write_file(zone_text(2, "edit TXT \"by hand\"\n"));
  z = start();
  ASSERT_TRUE(z);
  EXPECT_EQ(z->serial(), Serial(2));
  EXPECT_TRUE(has(*z, "upd.example.test"));
  EXPECT_FALSE(has(*z, "edit.example.test"));
  EXPECT_EQ(journal_->usage(kOrigin)->changesets, 1u);
}

// A journal with changesets and no snapshot (written before snapshots were kept) cannot
// be compared with an edited file: refused as before, and the message names the way out.
TEST_F(ZoneStart, JournalWithoutSnapshotAndEditedFileIsRefusedUnlessFile) {
  auto v1 = zone::load_zone_text(zone_text(1), kOrigin);
  ASSERT_TRUE(v1);
  update(**v1, 2, "upd.example.test");
  write_file(zone_text(3));
  auto r = start_primary_zone(zc_, *journal_, dir_.path() / "state");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("journal-content = \"file\""), std::string::npos)
      << r.error().message;
  zc_.journal_content = JournalContent::kFile;
  auto z = start();
  ASSERT_TRUE(z);
  EXPECT_EQ(z->serial(), Serial(3));
}

}  // namespace
}  // namespace dnspush::server
