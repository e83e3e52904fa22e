#include "zone/journal.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include "journal_test_util.hpp"
#include "zone/journal_codec.hpp"
#include "zone/zone_file.hpp"
#include "zone/zone_writer.hpp"
#include "zone_test_util.hpp"

namespace dnspush::zone {
namespace {

using test::name;
using test::record_lines;
using test::records;
using test::rr;
using test::soa;
using test::TempDir;

const wire::Name& origin() {
  static const wire::Name n = name("example.com.");
  return n;
}

// A changeset taking `z` to serial `to`: adds host<i>, removes host<i-1> every third step,
// and changes www's address now and then, so replay exercises removals and additions.
Changeset step(const Zone& z, std::uint32_t to, int i) {
  Changeset c;
  c.soa_from = z.soa_record();
  c.soa_to = soa(to);
  c.added =
      records("host" + std::to_string(i) + " 300 A 192.0.2." + std::to_string(i % 250) + "\n");
  if (i > 0 && i % 3 == 0) {
    c.removed = records("host" + std::to_string(i - 1) + " 300 A 192.0.2." +
                        std::to_string((i - 1) % 250) + "\n");
  }
  if (i % 5 == 0) {
    const auto* www = z.find(name("www.example.com."));
    if (www != nullptr && www->find(wire::RRType::A) != nullptr) {
      for (const auto& rd : www->find(wire::RRType::A)->rdatas) {
        wire::Record r;
        r.owner = name("www.example.com.");
        r.type = wire::RRType::A;
        r.ttl = 300;
        r.rdata = rd;
        c.removed.push_back(r);
      }
      c.added.push_back(rr("www 300 A 198.51.100." + std::to_string(i % 250)));
    }
  }
  return c;
}

// Applies `n` steps in memory from `base`, returning the changesets and the final zone.
struct Chain {
  std::vector<Changeset> changesets;
  std::vector<std::shared_ptr<const Zone>> versions;  // versions[0] = base
};
Chain make_chain(std::shared_ptr<const Zone> base, int n, int first_index = 1) {
  Chain ch;
  ch.versions.push_back(base);
  for (int i = 0; i < n; ++i) {
    const auto& z = *ch.versions.back();
    auto c = step(z, z.serial().next().value(), first_index + i);
    auto next = z.apply(c);
    EXPECT_TRUE(next.has_value()) << (next ? "" : next.error().message);
    if (!next) break;
    ch.changesets.push_back(std::move(c));
    ch.versions.push_back(*next);
  }
  return ch;
}

constexpr std::size_t kTestMapSize = std::size_t{64} << 20;  // keep test files small

Journal open_journal(const TempDir& dir, JournalOptions o = {}) {
  o.map_size = kTestMapSize;
  auto j = Journal::open(dir.sub("journal"), o);
  EXPECT_TRUE(j.has_value()) << (j ? "" : j.error().message);
  return std::move(*j);
}

void expect_same_changeset(const Changeset& a, const Changeset& b) {
  EXPECT_EQ(a.serial_from(), b.serial_from());
  EXPECT_EQ(a.serial_to(), b.serial_to());
  EXPECT_EQ(a.soa_from, b.soa_from);
  EXPECT_EQ(a.soa_to, b.soa_to);
  EXPECT_EQ(a.removed, b.removed);
  EXPECT_EQ(a.added, b.added);
  ASSERT_EQ(a.added.size(), b.added.size());
  for (std::size_t i = 0; i < a.added.size(); ++i) EXPECT_EQ(a.added[i].ttl, b.added[i].ttl);
}

TEST(Journal, AppendAndReadBack) {
  TempDir dir;
  auto base = test::zone_from(test::kBaseZone);
  auto ch = make_chain(base, 3);
  {
    auto j = open_journal(dir);
    for (const auto& c : ch.changesets) ASSERT_TRUE(j.append(origin(), c).has_value());
  }
  auto j = open_journal(dir);  // read back from disk, not from a cache
  auto all = j.changesets_since(origin(), Serial(1));
  ASSERT_TRUE(all.has_value()) << all.error().message;
  ASSERT_TRUE(all->has_value());
  ASSERT_EQ((*all)->size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) expect_same_changeset((**all)[i], ch.changesets[i]);

  auto later = j.changesets_since(origin(), Serial(2));
  ASSERT_TRUE(later && later->has_value());
  ASSERT_EQ((*later)->size(), 2u);
  EXPECT_EQ((**later)[0].serial_from(), Serial(2));
  EXPECT_EQ((**later)[1].serial_to(), Serial(4));

  // Up to date: an empty difference sequence, not "fall back to AXFR".
  auto none = j.changesets_since(origin(), Serial(4));
  ASSERT_TRUE(none && none->has_value());
  EXPECT_TRUE((*none)->empty());

  auto u = j.usage(origin());
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->changesets, 3u);
  EXPECT_GT(u->bytes, 0u);
  EXPECT_EQ(u->first_serial, Serial(1));
  EXPECT_EQ(u->last_serial, Serial(4));
  EXPECT_FALSE(u->snapshot_serial.has_value());
}

TEST(Journal, OriginIsCaseInsensitiveAndZonesAreSeparate) {
  TempDir dir;
  auto j = open_journal(dir);
  auto base = test::zone_from(test::kBaseZone);
  auto ch = make_chain(base, 2);
  ASSERT_TRUE(j.append(name("EXAMPLE.Com."), ch.changesets[0]).has_value());
  ASSERT_TRUE(j.append(name("example.com."), ch.changesets[1]).has_value());

  // A zone whose origin's wire form begins with example.com.'s labels.
  const auto other = name("example.com.org.");
  auto obase = test::zone_from(
      "$TTL 300\n@ SOA ns1 hostmaster 7 7200 3600 1209600 60\n@ NS ns1\nns1 A 192.0.2.1\n",
      "example.com.org.");
  Changeset oc;
  oc.soa_from = obase->soa_record();
  oc.soa_to = soa(8, "example.com.org.");
  oc.added = records("x 60 TXT \"other\"\n", "example.com.org.");
  ASSERT_TRUE(j.append(other, oc).has_value());

  auto a = j.changesets_since(origin(), Serial(1));
  ASSERT_TRUE(a && a->has_value());
  EXPECT_EQ((*a)->size(), 2u);
  auto uo = j.usage(other);
  ASSERT_TRUE(uo.has_value());
  EXPECT_EQ(uo->changesets, 1u);
  EXPECT_EQ(uo->first_serial, Serial(7));
  EXPECT_EQ(uo->last_serial, Serial(8));
  auto b = j.changesets_since(other, Serial(7));
  ASSERT_TRUE(b.has_value()) << b.error().message;
  ASSERT_TRUE(b->has_value());
  ASSERT_EQ((*b)->size(), 1u);
  EXPECT_EQ((**b)[0].added, oc.added);
  EXPECT_FALSE(j.changesets_since(name("unknown.test."), Serial(1))->has_value());
}

TEST(Journal, AppendRefusesWhatBreaksTheChain) {
  TempDir dir;
  auto j = open_journal(dir);
  auto base = test::zone_from(test::kBaseZone);
  auto ch = make_chain(base, 1);
  ASSERT_TRUE(j.append(origin(), ch.changesets[0]).has_value());

  Changeset gap;  // starts at 5, the journal is at 2
  gap.soa_from = soa(5);
  gap.soa_to = soa(6);
  auto r = j.append(origin(), gap);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kRefused);

  Changeset backwards;  // RFC 1982: 1 does not follow 2
  backwards.soa_from = soa(2);
  backwards.soa_to = soa(1);
  r = j.append(origin(), backwards);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kRefused);

  Changeset not_soa;
  not_soa.soa_from = rr("www 300 A 192.0.2.1");
  not_soa.soa_to = soa(3);
  EXPECT_FALSE(j.append(origin(), not_soa).has_value());

  EXPECT_EQ(j.usage(origin())->changesets, 1u);
}

TEST(Journal, ReplayGivesTheSameZoneAsApplyingInMemory) {
  TempDir dir;
  auto base = test::zone_from(test::kBaseZone);
  auto ch = make_chain(base, 50);
  ASSERT_EQ(ch.changesets.size(), 50u);
  {
    auto j = open_journal(dir);
    for (const auto& c : ch.changesets) ASSERT_TRUE(j.append(origin(), c).has_value());
  }
  auto j = open_journal(dir);
  JournalLoadInfo info;
  auto z = j.load(origin(), base, &info);
  ASSERT_TRUE(z.has_value()) << z.error().message;
  EXPECT_EQ(record_lines(**z), record_lines(*ch.versions.back()));
  EXPECT_EQ((*z)->serial(), Serial(51));
  EXPECT_EQ(info.replayed, 50u);
  EXPECT_FALSE(info.from_snapshot);

  // A master file at an intermediate serial (e.g. an older write-back) replays the rest.
  auto mid = j.load(origin(), ch.versions[20], &info);
  ASSERT_TRUE(mid.has_value()) << mid.error().message;
  EXPECT_EQ(info.replayed, 30u);
  EXPECT_EQ(record_lines(**mid), record_lines(*ch.versions.back()));

  // A master file that is already current: nothing to replay, the same zone back.
  auto cur = j.load(origin(), ch.versions.back(), &info);
  ASSERT_TRUE(cur.has_value());
  EXPECT_EQ(cur->get(), ch.versions.back().get());
  EXPECT_EQ(info.replayed, 0u);
}

TEST(Journal, WriteBackThenRestartNeedsNoReplay) {
  TempDir dir;
  auto base = test::zone_from(test::kBaseZone);
  auto ch = make_chain(base, 10);
  auto j = open_journal(dir);
  for (const auto& c : ch.changesets) ASSERT_TRUE(j.append(origin(), c).has_value());
  auto z = j.load(origin(), base);
  ASSERT_TRUE(z.has_value());
  const std::string file = dir.sub("example.com.zone");
  ASSERT_TRUE(write_zone_file(**z, file).has_value());

  auto from_file = load_zone_file(file, origin());
  ASSERT_TRUE(from_file.has_value()) << from_file.error().message;
  JournalLoadInfo info;
  auto again = j.load(origin(), *from_file, &info);
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(info.replayed, 0u);
  EXPECT_EQ(record_lines(**again), record_lines(*ch.versions.back()));
}

TEST(Journal, LoadRefusesAJournalOfAnotherZoneFile) {
  TempDir dir;
  auto base = test::zone_from(test::kBaseZone);
  auto ch = make_chain(base, 3);
  auto j = open_journal(dir);
  for (const auto& c : ch.changesets) ASSERT_TRUE(j.append(origin(), c).has_value());

  // The master file was edited: serial 100 is nowhere in the journal.
  auto edited = test::zone_from(
      "$TTL 300\n@ SOA ns1 hostmaster 100 7200 3600 1209600 60\n@ NS ns1\nns1 A 192.0.2.1\n");
  auto r = j.load(origin(), edited);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kRefused);
  EXPECT_NE(r.error().message.find("does not belong"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("100"), std::string::npos);

  // After the operator discards the journal the file loads as it is.
  ASSERT_TRUE(j.drop(origin()).has_value());
  auto ok = j.load(origin(), edited);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->get(), edited.get());
  EXPECT_EQ(j.usage(origin())->changesets, 0u);
}

TEST(Journal, ChangesetThatDoesNotApplyIsReported) {
  TempDir dir;
  auto base = test::zone_from(test::kBaseZone);
  auto j = open_journal(dir);
  // Chains by serial, but removes a record the zone file does not have.
  Changeset c;
  c.soa_from = base->soa_record();
  c.soa_to = soa(2);
  c.removed = records("nothere 300 A 192.0.2.99\n");
  ASSERT_TRUE(j.append(origin(), c).has_value());
  auto r = j.load(origin(), base);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("does not apply"), std::string::npos) << r.error().message;
}

// Crash safety at the API level: a process that appended and died without closing the
// environment (no destructor, no clean shutdown) left every acknowledged changeset.
TEST(Journal, SurvivesExitWithoutClose) {
  TempDir dir;
  auto base = test::zone_from(test::kBaseZone);
  auto ch = make_chain(base, 30);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto j = Journal::open(dir.sub("journal"), JournalOptions{.map_size = kTestMapSize});
    if (!j) ::_exit(2);
    for (const auto& c : ch.changesets) {
      if (!j->append(origin(), c)) ::_exit(3);
    }
    ::_exit(0);  // no destructors: the environment is never closed
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);

  auto j = open_journal(dir);
  EXPECT_EQ(j.usage(origin())->changesets, 30u);
  auto z = j.load(origin(), base);
  ASSERT_TRUE(z.has_value()) << z.error().message;
  EXPECT_EQ(record_lines(**z), record_lines(*ch.versions.back()));
}

TEST(Journal, SurvivesSigkillAndKeepsEveryAcknowledgedAppend) {
  TempDir dir;
  auto base = test::zone_from(test::kBaseZone);
  constexpr int kTotal = 400;
  constexpr int kAcked = 25;
  auto ch = make_chain(base, kTotal);
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    auto j = Journal::open(dir.sub("journal"), JournalOptions{.map_size = kTestMapSize});
    if (!j) ::_exit(2);
    for (const auto& c : ch.changesets) {
      if (!j->append(origin(), c)) ::_exit(3);
      const char ack = 'k';  // "answered": the append returned
      if (::write(fds[1], &ack, 1) != 1) ::_exit(4);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  int acked = 0;
  for (int tries = 0; acked < kAcked && tries < kAcked * 4; ++tries) {
    char buf[kAcked];
    const ssize_t n = ::read(fds[0], buf, static_cast<std::size_t>(kAcked - acked));
    if (n <= 0) break;
    acked += static_cast<int>(n);
  }
  ::kill(pid, SIGKILL);  // mid-append, most likely
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ::close(fds[0]);
  ASSERT_EQ(acked, kAcked);

  auto j = open_journal(dir);
  auto u = j.usage(origin());
  ASSERT_TRUE(u.has_value()) << u.error().message;
  EXPECT_GE(u->changesets, static_cast<std::size_t>(kAcked));
  EXPECT_LE(u->changesets, static_cast<std::size_t>(kTotal));
  auto z = j.load(origin(), base);
  ASSERT_TRUE(z.has_value()) << z.error().message;
  EXPECT_EQ(record_lines(**z), record_lines(*ch.versions[u->changesets]));
  // And it keeps working: the next changeset appends onto the recovered chain.
  if (u->changesets < static_cast<std::size_t>(kTotal)) {
    EXPECT_TRUE(j.append(origin(), ch.changesets[u->changesets]).has_value());
  }
}

TEST(Journal, CorruptedValueIsAnErrorNotACrash) {
  TempDir dir;
  auto base = test::zone_from(test::kBaseZone);
  Changeset c;
  c.soa_from = base->soa_record();
  c.soa_to = soa(2);
  c.added = records("t 300 TXT \"corruptme-marker-0123456789\"\n");
  {
    auto j = open_journal(dir);
    ASSERT_TRUE(j.append(origin(), c).has_value());
  }
  // Flip a byte inside every copy of the value in the data file (LMDB keeps old pages).
  const std::string file = dir.sub("journal") + "/data.mdb";
  std::string data;
  {
    std::ifstream in(file, std::ios::binary);
    data.assign(std::istreambuf_iterator<char>(in), {});
  }
  const std::string marker = "corruptme-marker";
  int flipped = 0;
  for (auto pos = data.find(marker); pos != std::string::npos;
       pos = data.find(marker, pos + marker.size())) {
    data[pos + 3] ^= 0x20;
    ++flipped;
  }
  ASSERT_GT(flipped, 0);
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
  }

  auto j = open_journal(dir);
  auto since = j.changesets_since(origin(), Serial(1));
  ASSERT_FALSE(since.has_value());
  EXPECT_EQ(since.error().code, Errc::kMalformed);
  EXPECT_NE(since.error().message.find("CRC"), std::string::npos) << since.error().message;
  EXPECT_NE(since.error().message.find("example.com."), std::string::npos);
  auto z = j.load(origin(), base);
  ASSERT_FALSE(z.has_value());
  EXPECT_EQ(z.error().code, Errc::kMalformed);
}

TEST(JournalCodec, RoundTripsAndRejectsEveryTruncationAndFlip) {
  auto base = test::zone_from(test::kBaseZone);
  auto ch = make_chain(base, 6);
  const Changeset& c = ch.changesets.back();  // has removals and additions
  const auto enc = journal_codec::encode_changeset(c);
  auto dec = journal_codec::decode_changeset(enc);
  ASSERT_TRUE(dec.has_value()) << dec.error().message;
  expect_same_changeset(*dec, c);

  for (std::size_t n = 0; n < enc.size(); ++n) {
    auto t = journal_codec::decode_changeset(std::span(enc).first(n));
    EXPECT_FALSE(t.has_value()) << "truncated to " << n;
  }
  for (std::size_t i = 0; i < enc.size(); ++i) {
    auto bad = enc;
    bad[i] ^= 0x01;
    EXPECT_FALSE(journal_codec::decode_changeset(bad).has_value()) << "flip at " << i;
  }

  const auto recs = ch.versions.back()->records();
  const auto snap = journal_codec::encode_snapshot(recs);
  auto s = journal_codec::decode_snapshot(snap);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->serial, ch.versions.back()->serial());
  EXPECT_EQ(s->records, recs);
  EXPECT_FALSE(journal_codec::decode_changeset(snap).has_value());  // wrong kind
  auto wrong_version = snap;
  wrong_version[0] = 9;
  EXPECT_FALSE(journal_codec::decode_snapshot(wrong_version).has_value());

  journal_codec::Meta m{true, Serial(77), 5, 4, 1234};
  auto md = journal_codec::decode_meta(journal_codec::encode_meta(m));
  ASSERT_TRUE(md.has_value());
  EXPECT_EQ(md->last_serial, Serial(77));
  EXPECT_EQ(md->next_seq, 5u);
  EXPECT_EQ(md->count, 4u);
  EXPECT_EQ(md->bytes, 1234u);
}

TEST(JournalCodec, RefusesHugeCountsWithoutAllocating) {
  auto base = test::zone_from(test::kBaseZone);
  auto ch = make_chain(base, 1);
  auto enc = journal_codec::encode_changeset(ch.changesets[0]);
  // Rewrite the body: header + two SOAs + a removed count of 0xFFFFFFFF, then re-CRC,
  // so only the count check stands between the bytes and a giant reserve().
  const auto soa_len = [&](std::size_t at) {
    wire::Reader r(enc);
    r.skip(at);
    const auto n = r.name();
    r.skip(8);
    return n.wire_size() + 8 + 2 + r.u16();
  };
  std::size_t pos = 10;
  pos += soa_len(pos);
  pos += soa_len(pos);
  std::vector<std::uint8_t> body(enc.begin(), enc.begin() + static_cast<long>(pos));
  for (int i = 0; i < 4; ++i) body.push_back(0xFF);
  for (int i = 0; i < 4; ++i) body.push_back(0);
  const std::uint32_t crc = journal_codec::crc32(body);
  for (int i = 3; i >= 0; --i) body.push_back(static_cast<std::uint8_t>(crc >> (8 * i)));
  auto r = journal_codec::decode_changeset(body);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("count"), std::string::npos) << r.error().message;
}

TEST(Journal, CompactionKeepsTheZoneAndBoundsTheCount) {
  TempDir dir;
  JournalOptions o;
  o.limits.max_changesets = 10;
  auto j = open_journal(dir, o);
  auto base = test::zone_from(test::kBaseZone);
  auto ch = make_chain(base, 37);
  int compactions = 0;
  for (std::size_t i = 0; i < ch.changesets.size(); ++i) {
    ASSERT_TRUE(j.append(origin(), ch.changesets[i]).has_value());
    auto need = j.needs_compaction(origin());
    ASSERT_TRUE(need.has_value());
    if (*need) {
      ASSERT_TRUE(j.compact(origin(), *ch.versions[i + 1]).has_value());
      ++compactions;
    }
    EXPECT_LE(j.usage(origin())->changesets, 10u);
  }
  EXPECT_GE(compactions, 3);
  auto u = j.usage(origin());
  ASSERT_TRUE(u.has_value());
  ASSERT_TRUE(u->snapshot_serial.has_value());
  EXPECT_GT(u->snapshot_bytes, 0u);

  // From the old master file: the snapshot is newer, so start there and replay the rest.
  JournalLoadInfo info;
  auto z = j.load(origin(), base, &info);
  ASSERT_TRUE(z.has_value()) << z.error().message;
  EXPECT_TRUE(info.from_snapshot);
  EXPECT_EQ(record_lines(**z), record_lines(*ch.versions.back()));
  // Without any master file at all.
  auto z2 = j.load(origin(), nullptr);
  ASSERT_TRUE(z2.has_value()) << z2.error().message;
  EXPECT_EQ(record_lines(**z2), record_lines(*ch.versions.back()));

  // RFC 1995 §4: too old for the journal -> nullopt (AXFR); recent serials still work.
  auto old = j.changesets_since(origin(), Serial(1));
  ASSERT_TRUE(old.has_value());
  EXPECT_FALSE(old->has_value());
  const std::uint32_t newest = ch.versions.back()->serial().value();
  auto recent = j.changesets_since(origin(), Serial(newest - 3));
  ASSERT_TRUE(recent && recent->has_value());
  ASSERT_EQ((*recent)->size(), 3u);
  expect_same_changeset((**recent)[2], ch.changesets.back());
}

TEST(Journal, CompactionKeepsTheNewestHalfAndRefusesAStaleZone) {
  TempDir dir;
  auto j = open_journal(dir);
  auto base = test::zone_from(test::kBaseZone);
  auto ch = make_chain(base, 12);
  ASSERT_TRUE(j.append_batch(origin(), ch.changesets).has_value());
  JournalLimits l{10, 0};
  EXPECT_TRUE(*j.needs_compaction(origin(), l));
  EXPECT_FALSE(*j.needs_compaction(origin()));  // default bounds are far larger

  auto stale = j.compact(origin(), *ch.versions[5], l);
  ASSERT_FALSE(stale.has_value());
  EXPECT_EQ(stale.error().code, Errc::kRefused);
  EXPECT_EQ(j.usage(origin())->changesets, 12u);  // nothing changed

  ASSERT_TRUE(j.compact(origin(), *ch.versions.back(), l).has_value());
  auto u = j.usage(origin());
  EXPECT_EQ(u->changesets, 5u);
  EXPECT_EQ(u->first_serial, Serial(13 - 5));
  EXPECT_EQ(u->snapshot_serial, Serial(13));
  // A byte bound compacts too.
  JournalLimits tiny{0, 1};
  EXPECT_TRUE(*j.needs_compaction(origin(), tiny));
}

// The server encodes a snapshot off its writer thread while UPDATEs go on: the journal
// is then ahead of the snapshot when it is installed.
TEST(Journal, InstalledSnapshotBehindTheNewestKeepsEveryChangesetAfterIt) {
  TempDir dir;
  auto j = open_journal(dir);
  auto base = test::zone_from(test::kBaseZone);
  auto ch = make_chain(base, 30);
  ASSERT_TRUE(j.append_batch(origin(), ch.changesets).has_value());
  const JournalLimits l{10, 0};  // compact() would keep the newest 5

  const auto snap = Journal::encode_snapshot(*ch.versions[20]);
  EXPECT_EQ(snap.serial, ch.versions[20]->serial());
  ASSERT_TRUE(j.install_snapshot(snap, l).has_value());
  auto u = j.usage(origin());
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->snapshot_serial, ch.versions[20]->serial());
  EXPECT_EQ(u->changesets, 10u);  // 20 -> 30, all of them
  EXPECT_EQ(u->first_serial, ch.versions[20]->serial());
  EXPECT_EQ(u->last_serial, ch.versions.back()->serial());

  // Loading starts at the snapshot and replays the ten changesets after it.
  JournalLoadInfo info;
  auto z = j.load(origin(), base, &info);
  ASSERT_TRUE(z.has_value()) << z.error().message;
  EXPECT_TRUE(info.from_snapshot);
  EXPECT_EQ(info.replayed, 10u);
  EXPECT_EQ(record_lines(**z), record_lines(*ch.versions.back()));
  auto z2 = j.load(origin(), nullptr);
  ASSERT_TRUE(z2.has_value()) << z2.error().message;
  EXPECT_EQ(record_lines(**z2), record_lines(*ch.versions.back()));

  // Only two changesets after the snapshot: the newest half of the bound stays for IXFR.
  ASSERT_TRUE(j.install_snapshot(Journal::encode_snapshot(*ch.versions[28]), l).has_value());
  EXPECT_EQ(j.usage(origin())->changesets, 5u);
  EXPECT_EQ(j.usage(origin())->snapshot_serial, ch.versions[28]->serial());
  auto recent = j.changesets_since(origin(), ch.versions[25]->serial());
  ASSERT_TRUE(recent && recent->has_value());
  EXPECT_EQ((*recent)->size(), 5u);
  auto z3 = j.load(origin(), base, &info);
  ASSERT_TRUE(z3.has_value()) << z3.error().message;
  EXPECT_EQ(info.replayed, 2u);
  EXPECT_EQ(record_lines(**z3), record_lines(*ch.versions.back()));
}

TEST(Journal, InstallSnapshotRefusesWhatTheChainNoLongerHoldsOrAnOlderOne) {
  TempDir dir;
  auto j = open_journal(dir);
  auto base = test::zone_from(test::kBaseZone);
  auto ch = make_chain(base, 30);
  ASSERT_TRUE(j.append_batch(origin(), ch.changesets).has_value());
  const JournalLimits l{10, 0};
  ASSERT_TRUE(j.install_snapshot(Journal::encode_snapshot(*ch.versions[28]), l).has_value());
  ASSERT_EQ(j.usage(origin())->changesets, 5u);  // serials 26 -> 31 (versions 25 -> 30)

  // Version 5 was compacted away: the chain no longer reaches it.
  auto gone = j.install_snapshot(Journal::encode_snapshot(*ch.versions[5]), l);
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().code, Errc::kRefused);
  // Version 26 is in the chain but older than the stored snapshot.
  auto older = j.install_snapshot(Journal::encode_snapshot(*ch.versions[26]), l);
  ASSERT_FALSE(older.has_value());
  EXPECT_EQ(older.error().code, Errc::kRefused);
  // Nothing changed.
  EXPECT_EQ(j.usage(origin())->changesets, 5u);
  EXPECT_EQ(j.usage(origin())->snapshot_serial, ch.versions[28]->serial());
  auto z = j.load(origin(), base);
  ASSERT_TRUE(z.has_value()) << z.error().message;
  EXPECT_EQ(record_lines(**z), record_lines(*ch.versions.back()));
}

// A secondary's first full transfer: whatever the journal held for the zone is replaced by
// one snapshot in one transaction; loading gives that zone, later changesets continue it,
// and IXFR reaches back to the snapshot's serial only.
TEST(Journal, ResetReplacesEverythingWithASnapshot) {
  TempDir dir;
  auto j = open_journal(dir);
  auto base = test::zone_from(test::kBaseZone);
  auto ch = make_chain(base, 5);
  ASSERT_TRUE(j.append_batch(origin(), ch.changesets).has_value());
  auto other = make_chain(ch.versions.back(), 3, 100);  // an unrelated newer history
  const auto& fresh = other.versions.back();
  ASSERT_TRUE(j.reset(Journal::encode_snapshot(*fresh)).has_value());
  auto u = j.usage(origin());
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->changesets, 0u);
  EXPECT_EQ(u->snapshot_serial, fresh->serial());
  EXPECT_EQ(u->last_serial, fresh->serial());
  auto z = j.load(origin(), nullptr);
  ASSERT_TRUE(z.has_value()) << z.error().message;
  EXPECT_EQ(record_lines(**z), record_lines(*fresh));
  // Older serials are gone (an AXFR-style answer for them); the snapshot's is current.
  auto old = j.changesets_since(origin(), Serial(1));
  ASSERT_TRUE(old.has_value());
  EXPECT_FALSE(old->has_value());
  auto now = j.changesets_since(origin(), fresh->serial());
  ASSERT_TRUE(now && now->has_value());
  EXPECT_TRUE((*now)->empty());
  // The chain continues from the snapshot.
  auto more = make_chain(fresh, 2, 200);
  ASSERT_TRUE(j.append_batch(origin(), more.changesets).has_value());
  auto again = j.load(origin(), nullptr);
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(record_lines(**again), record_lines(*more.versions.back()));
  // A zone the journal never saw: not found (a secondary then waits for its first copy).
  auto none = j.load(test::name("other.test."), nullptr);
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().code, Errc::kNotFound);
}

TEST(Journal, SerialWraparound) {
  TempDir dir;
  auto j = open_journal(dir);
  auto base = test::zone_from(
      "$TTL 300\n@ SOA ns1 hostmaster 4294967294 7200 3600 1209600 60\n@ NS ns1\n"
      "ns1 A 192.0.2.1\n");
  ASSERT_EQ(base->serial(), Serial(0xFFFFFFFEu));
  // 0xFFFFFFFE -> 0xFFFFFFFF -> 1 -> 2 (RFC 1982 §3.1: 0xFFFFFFFF + 2 = 1).
  const std::uint32_t serials[] = {0xFFFFFFFFu, 1u, 2u};
  std::vector<std::shared_ptr<const Zone>> versions{base};
  std::vector<Changeset> cs;
  int i = 0;
  for (std::uint32_t s : serials) {
    Changeset c;
    c.soa_from = versions.back()->soa_record();
    c.soa_to = soa(s);
    c.added = records("w" + std::to_string(i++) + " 300 A 192.0.2.7\n");
    auto next = versions.back()->apply(c);
    ASSERT_TRUE(next.has_value()) << next.error().message;
    versions.push_back(*next);
    ASSERT_TRUE(j.append(origin(), c).has_value());
    cs.push_back(c);
  }
  auto all = j.changesets_since(origin(), Serial(0xFFFFFFFEu));
  ASSERT_TRUE(all && all->has_value());
  ASSERT_EQ((*all)->size(), 3u);
  EXPECT_EQ((**all)[1].serial_from(), Serial(0xFFFFFFFFu));
  EXPECT_EQ((**all)[2].serial_to(), Serial(2));
  auto from_one = j.changesets_since(origin(), Serial(1));
  ASSERT_TRUE(from_one && from_one->has_value());
  EXPECT_EQ((*from_one)->size(), 1u);

  JournalLoadInfo info;
  auto z = j.load(origin(), base, &info);
  ASSERT_TRUE(z.has_value()) << z.error().message;
  EXPECT_EQ(info.replayed, 3u);
  EXPECT_EQ((*z)->serial(), Serial(2));
  EXPECT_EQ(record_lines(**z), record_lines(*versions.back()));

  // A snapshot at serial 2 counts as newer than the file's 0xFFFFFFFE (RFC 1982).
  ASSERT_TRUE(j.compact(origin(), *versions.back(), JournalLimits{2, 0}).has_value());
  auto z2 = j.load(origin(), base, &info);
  ASSERT_TRUE(z2.has_value()) << z2.error().message;
  EXPECT_TRUE(info.from_snapshot);
  EXPECT_EQ(record_lines(**z2), record_lines(*versions.back()));
}

TEST(Journal, GroupCommitOfOneHundredInOneBatch) {
  TempDir dir;
  auto j = open_journal(dir);
  auto base = test::zone_from(test::kBaseZone);
  auto ch = make_chain(base, 100);
  ASSERT_EQ(ch.changesets.size(), 100u);
  ASSERT_TRUE(j.append_batch(origin(), ch.changesets).has_value());
  EXPECT_EQ(j.usage(origin())->changesets, 100u);
  auto z = j.load(origin(), base);
  ASSERT_TRUE(z.has_value()) << z.error().message;
  EXPECT_EQ(record_lines(**z), record_lines(*ch.versions.back()));
  auto all = j.changesets_since(origin(), Serial(1));
  ASSERT_TRUE(all && all->has_value());
  EXPECT_EQ((*all)->size(), 100u);
}

TEST(Journal, BatchIsAllOrNothing) {
  TempDir dir;
  auto j = open_journal(dir);
  auto base = test::zone_from(test::kBaseZone);
  auto ch = make_chain(base, 10);
  auto broken = ch.changesets;
  broken[6].soa_from = soa(999);  // breaks the chain in the middle
  broken[6].soa_to = soa(1000);
  auto r = j.append_batch(origin(), broken);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kRefused);
  EXPECT_EQ(j.usage(origin())->changesets, 0u);
  EXPECT_FALSE(j.usage(origin())->last_serial.has_value());

  // Across zones in one transaction.
  const auto other = name("example.net.");
  auto obase = test::zone_from(
      "$TTL 300\n@ SOA ns1 hostmaster 1 7200 3600 1209600 60\n@ NS ns1\nns1 A 192.0.2.1\n",
      "example.net.");
  Changeset oc;
  oc.soa_from = obase->soa_record();
  oc.soa_to = soa(2, "example.net.");
  oc.added = records("y 60 A 192.0.2.2\n", "example.net.");
  std::vector<Journal::Entry> entries{
      {&origin(), &ch.changesets[0]}, {&other, &oc}, {&origin(), &ch.changesets[1]}};
  ASSERT_TRUE(j.append_batch(entries).has_value());
  EXPECT_EQ(j.usage(origin())->changesets, 2u);
  EXPECT_EQ(j.usage(other)->changesets, 1u);
}

TEST(Journal, MapFullIsAnErrorValue) {
  TempDir dir;
  auto jr = Journal::open(dir.sub("journal"), JournalOptions{.map_size = 256 * 1024});
  ASSERT_TRUE(jr.has_value()) << jr.error().message;
  auto base = test::zone_from(test::kBaseZone);
  auto z = base;
  Result<void> last;
  for (int i = 0; i < 2000 && last.has_value(); ++i) {
    Changeset c;
    c.soa_from = z->soa_record();
    c.soa_to = soa(z->serial().next().value());
    c.added = records("big" + std::to_string(i) + " 300 TXT \"" + std::string(200, 'x') + "\" \"" +
                      std::string(200, 'y') + "\"\n");
    last = jr->append(origin(), c);
    if (last) z = *z->apply(c);
  }
  ASSERT_FALSE(last.has_value());
  EXPECT_EQ(last.error().code, Errc::kIo);
  EXPECT_NE(last.error().message.find("map size"), std::string::npos) << last.error().message;
  // What was committed before is intact.
  auto loaded = jr->load(origin(), base);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_EQ(record_lines(**loaded), record_lines(*z));
}

TEST(Journal, OpenFailsCleanlyOnABadPath) {
  TempDir dir;
  const std::string file = dir.sub("plainfile");
  std::ofstream(file) << "x";
  auto j = Journal::open(file + "/journal");
  ASSERT_FALSE(j.has_value());
  EXPECT_EQ(j.error().code, Errc::kIo);
}

}  // namespace
}  // namespace dnspush::zone
