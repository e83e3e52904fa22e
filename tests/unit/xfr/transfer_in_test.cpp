#include "xfr/transfer_in.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>

#include "wire/tsig.hpp"
#include "xfr/transfer_out.hpp"
#include "xfr_test_util.hpp"
#include "zone/zone_diff.hpp"

namespace dnspush::xfr {
namespace {

using namespace std::chrono_literals;
using namespace test;
using wire::Rcode;
using wire::Record;
using wire::RRType;

constexpr std::string_view kOrigin = "example.com.";
constexpr std::uint64_t kWall = 1700000000;
const TimePoint t0 = TimePoint() + 1000s;

std::string zone_text(std::uint32_t serial, std::string_view extra = "") {
  return "$TTL 300\n@ SOA ns1 hostmaster " + std::to_string(serial) +
         " 7200 3600 1209600 60\n"
         "@ NS ns1\n"
         "ns1 A 192.0.2.1\n"
         "www A 192.0.2.10\n"
         "www A 192.0.2.11\n"
         "mail MX 10 www\n" +
         std::string(extra);
}

Record soa(std::uint32_t serial) {
  return rr("@ 300 SOA ns1 hostmaster " + std::to_string(serial) + " 7200 3600 1209600 60",
            kOrigin);
}
Record a(std::string_view owner, std::string_view addr) {
  return rr(std::string(owner) + " 300 A " + std::string(addr), kOrigin);
}

// A primary as dnspushd is one: xfr::TransferOut over a zone and its history, answering
// the request a TransferIn built (optionally signing every message with `key`).
struct Primary {
  std::shared_ptr<const zone::Zone> zone;
  std::vector<zone::Changeset> history;
  std::optional<wire::TsigKey> key;
  TransferOptions opts;

  Primary() { opts.max_ixfr_ratio = 0; }

  JournalLookup journal() const {
    return [this](Serial from) -> std::optional<std::vector<zone::Changeset>> {
      for (std::size_t i = 0; i < history.size(); ++i)
        if (history[i].serial_from() == from)
          return std::vector<zone::Changeset>(history.begin() + i, history.end());
      return std::nullopt;
    };
  }

  std::vector<Bytes> answer(const Bytes& request) {
    auto m = wire::Message::parse(request);
    EXPECT_TRUE(m.has_value());
    if (!m) return {};
    MessageSigner signer;
    std::shared_ptr<wire::TsigStreamSigner> s;
    TransferOptions o = opts;
    if (key) {
      wire::TsigKeyring ring;
      EXPECT_TRUE(ring.add(*key).has_value());
      const auto v = wire::tsig_verify_request(request, *m, ring, kWall);
      EXPECT_TRUE(v.ok());
      s = std::make_shared<wire::TsigStreamSigner>(*key, v.request_mac);
      o.signer_reserve = wire::tsig_wire_size(*key);
      signer = [s](Bytes& msg) -> Result<void> {
        auto r = s->sign(msg, kWall);
        if (!r) return tl::unexpected(r.error());
        return {};
      };
    }
    auto t = TransferOut::start(*m, zone, journal(), o, signer);
    EXPECT_TRUE(t.has_value()) << (t ? "" : t.error().message);
    std::vector<Bytes> out;
    if (!t) return out;
    while (auto msg = t->next_message()) out.push_back(std::move(*msg));
    return out;
  }
};

// A hand-made answer message (for what an honest primary never sends).
Bytes message(std::uint16_t id, std::vector<Record> answers, RRType qtype = RRType::AXFR,
              bool question = true, Rcode rcode = Rcode::NOERROR) {
  wire::Message m;
  m.header.id = id;
  m.header.qr = true;
  m.header.aa = true;
  if (question) m.questions.push_back({name(kOrigin), qtype, wire::RRClass::IN});
  m.answers = std::move(answers);
  m.set_rcode(rcode);
  return m.to_wire();
}

std::uint16_t id_of(const TransferIn& t) {
  return static_cast<std::uint16_t>((t.request()[0] << 8) | t.request()[1]);
}

TransferIn start(std::shared_ptr<const zone::Zone> current, TransferInOptions o = {}) {
  auto t = TransferIn::start(name(kOrigin), std::move(current), 0x5151, std::move(o), t0, kWall);
  EXPECT_TRUE(t.has_value());
  return std::move(*t);
}

void feed(TransferIn& t, const std::vector<Bytes>& msgs) {
  for (const auto& m : msgs) {
    if (t.done()) break;
    t.receive(m, t0 + 1s, kWall);
  }
}

std::set<std::string> record_set(const zone::Zone& z) {
  std::set<std::string> s;
  for (const auto& r : z.records()) s.insert(wire::to_text(r));
  return s;
}

// ---- the request -------------------------------------------------------------------------

TEST(TransferIn, WithoutACopyTheRequestIsAnAxfr) {
  auto t = start(nullptr);
  EXPECT_EQ(t.type(), TransferType::kAxfr);
  auto m = wire::Message::parse(t.request());
  ASSERT_TRUE(m.has_value());
  EXPECT_FALSE(m->header.qr);
  EXPECT_EQ(m->header.id, 0x5151);
  ASSERT_EQ(m->questions.size(), 1u);
  EXPECT_EQ(m->questions[0].type, RRType::AXFR);
  EXPECT_TRUE(m->authorities.empty());
}

TEST(TransferIn, WithACopyTheRequestIsAnIxfrCarryingOurSoa) {
  auto base = build_zone(zone_text(4), kOrigin);
  auto t = start(base);
  EXPECT_EQ(t.type(), TransferType::kIxfr);
  auto m = wire::Message::parse(t.request());
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->questions[0].type, RRType::IXFR);
  // RFC 1995 §3: the authority section holds the client's SOA.
  ASSERT_EQ(m->authorities.size(), 1u);
  EXPECT_EQ(zone::soa_serial(m->authorities[0].rdata), Serial(4));
}

TEST(TransferIn, AxfrCanBeAskedEvenWithACopy) {
  TransferInOptions o;
  o.type = TransferType::kAxfr;
  auto t = start(build_zone(zone_text(4), kOrigin), o);
  EXPECT_EQ(t.type(), TransferType::kAxfr);
}

// ---- honest primaries ------------------------------------------------------------------

TEST(TransferIn, AxfrGivesTheWholeZone) {
  Primary p;
  std::string big(zone_text(9));
  for (int i = 0; i < 3000; ++i)
    big += "h" + std::to_string(i) + " TXT \"" + std::string(40, 'x') + "\"\n";
  p.zone = build_zone(big, kOrigin);
  auto t = start(nullptr);
  const auto msgs = p.answer(t.request());
  ASSERT_GE(msgs.size(), 2u);  // several messages
  feed(t, msgs);
  ASSERT_TRUE(t.ok()) << t.reason();
  auto r = t.take_result();
  EXPECT_EQ(r.kind, TransferInKind::kFull);
  EXPECT_EQ(r.serial, Serial(9));
  ASSERT_TRUE(r.zone);
  EXPECT_TRUE(r.steps.empty());
  EXPECT_EQ(record_set(*r.zone), record_set(*p.zone));
  EXPECT_EQ(r.messages, msgs.size());
  EXPECT_EQ(r.records, p.zone->record_count() + 1);
}

TEST(TransferIn, IxfrFromTheCurrentSerialIsUpToDate) {
  Primary p;
  p.zone = build_zone(zone_text(4), kOrigin);
  auto t = start(p.zone);
  const auto msgs = p.answer(t.request());
  ASSERT_EQ(msgs.size(), 1u);
  feed(t, msgs);
  ASSERT_TRUE(t.ok()) << t.reason();
  auto r = t.take_result();
  EXPECT_EQ(r.kind, TransferInKind::kUpToDate);
  EXPECT_EQ(r.serial, Serial(4));
  EXPECT_TRUE(r.steps.empty());
  EXPECT_FALSE(r.zone);
}

// The primary's journal holds 4 -> 5 -> 6: two difference sequences, two steps, each
// its own commit later (so each reaches push subscribers as its own change).
TEST(TransferIn, IxfrGivesOneStepPerDifferenceSequence) {
  Primary p;
  auto v4 = build_zone(zone_text(4), kOrigin);
  zone::Changeset c1{soa(4), soa(5), {a("www", "192.0.2.11")}, {a("new", "192.0.2.50")}};
  zone::Changeset c2{soa(5), soa(6), {}, {a("new", "192.0.2.51")}};
  auto v5 = v4->apply(c1);
  ASSERT_TRUE(v5.has_value());
  auto v6 = (*v5)->apply(c2);
  ASSERT_TRUE(v6.has_value());
  p.zone = *v6;
  p.history = {c1, c2};
  auto t = start(v4);
  feed(t, p.answer(t.request()));
  ASSERT_TRUE(t.ok()) << t.reason();
  auto r = t.take_result();
  EXPECT_EQ(r.kind, TransferInKind::kIncremental);
  EXPECT_EQ(r.serial, Serial(6));
  EXPECT_EQ(r.base, v4);
  ASSERT_EQ(r.steps.size(), 2u);
  EXPECT_EQ(r.steps[0].changeset.serial_from(), Serial(4));
  EXPECT_EQ(r.steps[0].changeset.serial_to(), Serial(5));
  EXPECT_EQ(texts(r.steps[0].changeset.removed), texts({a("www", "192.0.2.11")}));
  EXPECT_EQ(r.steps[1].changeset.serial_to(), Serial(6));
  EXPECT_EQ(r.steps[1].after->serial(), Serial(6));
  EXPECT_EQ(record_set(*r.steps[1].after), record_set(*p.zone));
}

// RFC 1995 §4: an IXFR may be answered with the whole zone. Against our copy only the real
// difference is kept, so subscribers hear exactly what changed.
TEST(TransferIn, FullAnswerToAnIxfrIsDiffedAgainstOurCopy) {
  Primary p;  // no history: TransferOut answers AXFR-style
  auto v4 = build_zone(zone_text(4), kOrigin);
  p.zone = build_zone(zone_text(7, "new A 192.0.2.70\n"), kOrigin);
  auto t = start(v4);
  feed(t, p.answer(t.request()));
  ASSERT_TRUE(t.ok()) << t.reason();
  auto r = t.take_result();
  EXPECT_EQ(r.kind, TransferInKind::kFull);
  EXPECT_FALSE(r.zone);
  ASSERT_EQ(r.steps.size(), 1u);
  EXPECT_TRUE(r.steps[0].changeset.removed.empty());
  EXPECT_EQ(texts(r.steps[0].changeset.added), texts({a("new", "192.0.2.70")}));
  EXPECT_EQ(r.steps[0].changeset.serial_from(), Serial(4));
  EXPECT_EQ(r.steps[0].after->serial(), Serial(7));
  EXPECT_EQ(record_set(*r.steps[0].after), record_set(*p.zone));
}

TEST(TransferIn, FullAnswerIdenticalToOurCopyChangesNothing) {
  Primary p;
  auto v4 = build_zone(zone_text(4), kOrigin);
  p.zone = v4;
  TransferInOptions o;
  o.type = TransferType::kAxfr;
  auto t = start(v4, o);
  feed(t, p.answer(t.request()));
  ASSERT_TRUE(t.ok()) << t.reason();
  auto r = t.take_result();
  EXPECT_EQ(r.kind, TransferInKind::kFull);
  EXPECT_TRUE(r.steps.empty());
  EXPECT_FALSE(r.zone);
}

TEST(TransferIn, SignedTransferVerifiesEveryMessage) {
  Primary p;
  auto key = wire::TsigKey::from_string("hmac-sha256:xfr-key:c2VjcmV0LXNlY3JldC1zZWNyZXQ=");
  ASSERT_TRUE(key.has_value());
  p.key = *key;
  std::string big(zone_text(9));
  for (int i = 0; i < 3000; ++i)
    big += "h" + std::to_string(i) + " TXT \"" + std::string(40, 'x') + "\"\n";
  p.zone = build_zone(big, kOrigin);
  TransferInOptions o;
  o.key = *key;
  auto t = start(nullptr, o);
  auto req = wire::Message::parse(t.request());
  ASSERT_TRUE(req.has_value());
  EXPECT_TRUE(req->tsig_offset.has_value());  // the request is signed
  const auto msgs = p.answer(t.request());
  ASSERT_GE(msgs.size(), 2u);
  feed(t, msgs);
  EXPECT_TRUE(t.ok()) << t.reason();
}

// ---- hostile primaries: each rejected, nothing to commit --------------------------------

TEST(TransferIn, ARecordOutsideTheZoneIsRejected) {
  auto t = start(nullptr);
  const Record outside = rr("www.example.net. 300 A 192.0.2.1", kOrigin);
  t.receive(message(id_of(t), {soa(3), rr("@ 300 NS ns1", kOrigin), outside, soa(3)}), t0, kWall);
  ASSERT_TRUE(t.done());
  EXPECT_FALSE(t.ok());
  EXPECT_EQ(t.error(), TransferInError::kBadRecord);
  EXPECT_NE(t.reason().find("outside the zone"), std::string::npos) << t.reason();
}

TEST(TransferIn, ARemovalOutsideTheZoneIsRejectedToo) {
  auto base = build_zone(zone_text(4), kOrigin);
  auto t = start(base);
  const Record outside = rr("x.example.net. 300 A 192.0.2.1", kOrigin);
  t.receive(message(id_of(t), {soa(5), soa(4), outside, soa(5), soa(5)}, RRType::IXFR), t0, kWall);
  EXPECT_EQ(t.error(), TransferInError::kBadRecord);
}

// RDATA invalid for its type is refused as zone files and UPDATE refuse it
// (wire::rdata_valid): the message reader already applies it to every record it reads, so
// the message is rejected whole (an A record of 5 bytes; a CAA with an empty tag, which
// RFC 8659 §4.1 forbids), and zone::check_record checks each record again.
TEST(TransferIn, InvalidRdataIsRejected) {
  auto t = start(nullptr);
  Record bad = a("www", "192.0.2.1");
  bad.rdata.push_back(7);
  t.receive(message(id_of(t), {soa(3), rr("@ 300 NS ns1", kOrigin), bad, soa(3)}), t0, kWall);
  EXPECT_EQ(t.error(), TransferInError::kMalformed);
  EXPECT_NE(t.reason().find("bad A record"), std::string::npos) << t.reason();

  auto u = start(nullptr);
  Record caa;
  caa.owner = name(kOrigin);
  caa.type = RRType::CAA;
  caa.ttl = 300;
  caa.rdata = {0, 0, 'x'};
  ASSERT_FALSE(wire::rdata_valid(RRType::CAA, caa.rdata));
  u.receive(message(id_of(u), {soa(3), rr("@ 300 NS ns1", kOrigin), caa, soa(3)}), t0, kWall);
  EXPECT_EQ(u.error(), TransferInError::kMalformed);
  EXPECT_NE(u.reason().find("invalid CAA RDATA"), std::string::npos) << u.reason();
}

// Records a message carries without complaint but no zone may hold are refused by the very
// check zone files and UPDATE use (zone::check_record): an obsolete type (RFC 1123
// §6.1.3.6), a reserved type (RFC 6895 §3.1), an NSEC3 whose owner is no base32hex hash
// (RFC 5155 §3), a class other than IN. Each parses as a message, so only that check stops it.
TEST(TransferIn, RecordsNoZoneMayHoldAreRejectedAsZoneFilesAndUpdateRejectThem) {
  const auto name_wire = [](std::string_view text) {
    const auto n = name(text);
    return Bytes(n.wire().begin(), n.wire().end());
  };
  Record md;
  md.owner = name("www.example.com.");
  md.type = RRType::MD;
  md.ttl = 300;
  md.rdata = name_wire("ns1.example.com.");
  Record reserved = md;
  reserved.type = static_cast<RRType>(0);
  reserved.rdata = {1, 2, 3};
  Record nsec3 =
      rr("2vptu5timamqttgl4luu9kg21e0aor3s 300 NSEC3 1 0 0 - "
         "2VPTU5TIMAMQTTGL4LUU9KG21E0AOR3S A",
         kOrigin);
  nsec3.owner = name("not-a-hash.example.com.");
  Record chaos = a("www", "192.0.2.9");
  chaos.cls = wire::RRClass::CH;
  const struct {
    Record record;
    std::string_view why;
  } cases[] = {{md, "obsolete type"},
               {reserved, "reserved type"},
               {nsec3, "not a base32hex hash"},
               {chaos, "is not IN"}};
  for (const auto& c : cases) {
    const Bytes msg = message(0, {soa(3), rr("@ 300 NS ns1", kOrigin), c.record, soa(3)});
    ASSERT_TRUE(wire::Message::parse(msg).has_value()) << c.why;
    ASSERT_FALSE(zone::check_record(name(kOrigin), c.record).has_value()) << c.why;
    auto t = start(nullptr);
    Bytes mine = message(id_of(t), {soa(3), rr("@ 300 NS ns1", kOrigin), c.record, soa(3)});
    t.receive(mine, t0, kWall);
    ASSERT_TRUE(t.done()) << c.why;
    EXPECT_EQ(t.error(), TransferInError::kBadRecord) << c.why;
    EXPECT_NE(t.reason().find(c.why), std::string::npos) << t.reason();
  }
  // In an IXFR (as an addition, and as a removal) too: the zone stays as it was.
  auto base = build_zone(zone_text(4), kOrigin);
  for (bool removal : {false, true}) {
    auto t = start(base);
    std::vector<Record> seq = {soa(5), soa(4)};
    if (removal) seq.push_back(md);
    seq.push_back(soa(5));
    if (!removal) seq.push_back(md);
    seq.push_back(soa(5));
    t.receive(message(id_of(t), seq, RRType::IXFR), t0, kWall);
    EXPECT_EQ(t.error(), TransferInError::kBadRecord) << removal;
  }
}

// RFC 2181 §8, as for zone files and UPDATE: a TTL with the top bit set is stored as 0.
TEST(TransferIn, ATtlWithTheTopBitSetIsStoredAsZero) {
  auto t = start(nullptr);
  Record big = a("big", "192.0.2.77");
  big.ttl = 0x80000000u;
  t.receive(message(id_of(t), {soa(3), rr("@ 300 NS ns1", kOrigin), big, soa(3)}), t0, kWall);
  ASSERT_TRUE(t.ok()) << t.reason();
  auto r = t.take_result();
  ASSERT_TRUE(r.zone);
  const auto s = record_set(*r.zone);
  EXPECT_TRUE(s.count("big.example.com.\t0\tIN\tA\t192.0.2.77"));
  EXPECT_FALSE(s.count("big.example.com.\t2147483648\tIN\tA\t192.0.2.77"));
}

TEST(TransferIn, ASerialThatGoesBackwardsIsRejected) {
  Primary p;
  p.zone = build_zone(zone_text(3), kOrigin);
  auto t = start(build_zone(zone_text(5), kOrigin));
  feed(t, p.answer(t.request()));  // a single SOA with serial 3 (RFC 1995 §2)
  ASSERT_TRUE(t.done());
  EXPECT_EQ(t.error(), TransferInError::kSerialBackwards);
  EXPECT_FALSE(t.fallback_to_axfr());
}

TEST(TransferIn, AnAxfrOfAnOlderSerialIsRejected) {
  Primary p;
  p.zone = build_zone(zone_text(3, "x A 192.0.2.9\n"), kOrigin);
  TransferInOptions o;
  o.type = TransferType::kAxfr;
  auto t = start(build_zone(zone_text(5), kOrigin), o);
  feed(t, p.answer(t.request()));
  EXPECT_EQ(t.error(), TransferInError::kSerialBackwards);
}

TEST(TransferIn, ChangedContentsUnderTheSameSerialAreRejected) {
  Primary p;
  p.zone = build_zone(zone_text(5, "x A 192.0.2.9\n"), kOrigin);
  TransferInOptions o;
  o.type = TransferType::kAxfr;
  auto t = start(build_zone(zone_text(5), kOrigin), o);
  feed(t, p.answer(t.request()));
  EXPECT_EQ(t.error(), TransferInError::kInconsistent);
}

// A difference that removes a record our copy does not have.
TEST(TransferIn, AnIxfrRemovingWhatIsNotThereIsInconsistent) {
  auto base = build_zone(zone_text(4), kOrigin);
  auto t = start(base);
  t.receive(
      message(id_of(t), {soa(5), soa(4), a("nothere", "192.0.2.1"), soa(5), soa(5)}, RRType::IXFR),
      t0, kWall);
  ASSERT_TRUE(t.done());
  EXPECT_EQ(t.error(), TransferInError::kInconsistent);
  EXPECT_NE(t.reason().find("does not apply"), std::string::npos) << t.reason();
  EXPECT_TRUE(t.fallback_to_axfr());  // a full transfer replaces a broken history
}

TEST(TransferIn, DifferenceSequencesThatDoNotChainAreInconsistent) {
  auto base = build_zone(zone_text(4), kOrigin);
  auto t = start(base);
  // 4 -> 5, then a sequence from 6: serial 5 -> 6 is missing.
  t.receive(message(id_of(t),
                    {soa(7), soa(4), soa(5), a("n1", "192.0.2.1"), soa(6), soa(7),
                     a("n2", "192.0.2.2"), soa(7)},
                    RRType::IXFR),
            t0, kWall);
  EXPECT_EQ(t.error(), TransferInError::kInconsistent);
}

TEST(TransferIn, DifferencesNotStartingAtOurSerialAreInconsistent) {
  auto t = start(build_zone(zone_text(4), kOrigin));
  t.receive(message(id_of(t), {soa(6), soa(5), soa(6), a("n", "192.0.2.1"), soa(6)}, RRType::IXFR),
            t0, kWall);
  EXPECT_EQ(t.error(), TransferInError::kInconsistent);
}

TEST(TransferIn, AnAxfrThatIsNoValidZoneIsInconsistent) {
  auto t = start(nullptr);
  // No NS at the apex.
  t.receive(message(id_of(t), {soa(3), a("www", "192.0.2.1"), soa(3)}), t0, kWall);
  EXPECT_EQ(t.error(), TransferInError::kInconsistent);
  // CNAME and other data.
  auto u = start(nullptr);
  u.receive(message(id_of(u), {soa(3), rr("@ 300 NS ns1", kOrigin), a("x", "192.0.2.1"),
                               rr("x 300 CNAME www", kOrigin), soa(3)}),
            t0, kWall);
  EXPECT_EQ(u.error(), TransferInError::kInconsistent);
}

TEST(TransferIn, ASecondDifferentSoaInsideAnAxfrIsMalformed) {
  auto t = start(nullptr);
  t.receive(message(id_of(t), {soa(3), rr("@ 300 NS ns1", kOrigin), soa(4)}), t0, kWall);
  EXPECT_EQ(t.error(), TransferInError::kMalformed);
}

TEST(TransferIn, RecordsAfterTheFinalSoaAreMalformed) {
  auto t = start(nullptr);
  t.receive(message(id_of(t), {soa(3), rr("@ 300 NS ns1", kOrigin), soa(3), a("x", "192.0.2.1")}),
            t0, kWall);
  EXPECT_EQ(t.error(), TransferInError::kMalformed);
}

TEST(TransferIn, AnAnswerNotStartingWithTheSoaIsMalformed) {
  auto t = start(nullptr);
  t.receive(message(id_of(t), {rr("@ 300 NS ns1", kOrigin), soa(3)}), t0, kWall);
  EXPECT_EQ(t.error(), TransferInError::kMalformed);
}

TEST(TransferIn, HeaderAndQuestionAreChecked) {
  {
    auto t = start(nullptr);
    t.receive(message(id_of(t) + 1, {soa(3)}), t0, kWall);  // another id
    EXPECT_EQ(t.error(), TransferInError::kMalformed);
  }
  {
    auto t = start(nullptr);
    t.receive(message(id_of(t), {soa(3)}, RRType::IXFR), t0, kWall);  // not our question
    EXPECT_EQ(t.error(), TransferInError::kMalformed);
  }
  {
    auto t = start(nullptr);
    t.receive(message(id_of(t), {soa(3)}, RRType::AXFR, /*question=*/false), t0, kWall);
    EXPECT_EQ(t.error(), TransferInError::kMalformed);  // the first message copies it
  }
  {
    auto t = start(nullptr);
    const Bytes garbage{0x51, 0x51, 0x80};
    t.receive(garbage, t0, kWall);
    EXPECT_EQ(t.error(), TransferInError::kMalformed);
  }
  {
    // Later messages may leave the question out (RFC 5936 §2.2.2).
    auto t = start(nullptr);
    t.receive(message(id_of(t), {soa(3), rr("@ 300 NS ns1", kOrigin)}), t0, kWall);
    t.receive(message(id_of(t), {a("www", "192.0.2.1"), soa(3)}, RRType::AXFR, false), t0, kWall);
    EXPECT_TRUE(t.ok()) << t.reason();
  }
}

TEST(TransferIn, ErrorRcodesEndTheTransferAndSomeFallBackToAxfr) {
  auto base = build_zone(zone_text(4), kOrigin);
  for (auto [rcode, fallback] :
       {std::pair{Rcode::NOTIMP, true}, std::pair{Rcode::FORMERR, true},
        std::pair{Rcode::REFUSED, false}, std::pair{Rcode::NOTAUTH, false}}) {
    auto t = start(base);
    t.receive(message(id_of(t), {}, RRType::IXFR, true, rcode), t0, kWall);
    EXPECT_EQ(t.error(), TransferInError::kRcode);
    EXPECT_EQ(t.rcode(), rcode);
    EXPECT_EQ(t.fallback_to_axfr(), fallback) << wire::to_text(rcode);
  }
}

TEST(TransferIn, TsigFailuresAreRejected) {
  auto key = wire::TsigKey::from_string("hmac-sha256:xfr-key:c2VjcmV0LXNlY3JldC1zZWNyZXQ=");
  auto other = wire::TsigKey::from_string("hmac-sha256:xfr-key:b3RoZXItc2VjcmV0LW90aGVy");
  ASSERT_TRUE(key && other);
  Primary p;
  p.zone = build_zone(zone_text(9), kOrigin);
  TransferInOptions o;
  o.key = *key;
  {
    // An unsigned answer to a signed request.
    auto t = start(nullptr, o);
    feed(t, p.answer(t.request()));
    EXPECT_EQ(t.error(), TransferInError::kTsig);
  }
  {
    // Signed with another secret.
    auto t = start(nullptr, o);
    wire::Message m = *wire::Message::parse(t.request());
    Bytes stripped = t.request();
    stripped.resize(*m.tsig_offset);
    stripped[11] = 0;  // ARCOUNT 0 again
    (void)wire::tsig_sign_request(stripped, *other, kWall);
    Primary q = p;
    q.key = *other;
    feed(t, q.answer(stripped));
    EXPECT_EQ(t.error(), TransferInError::kTsig);
  }
  {
    // A byte changed in flight.
    auto t = start(nullptr, o);
    Primary q = p;
    q.key = *key;
    auto msgs = q.answer(t.request());
    ASSERT_EQ(msgs.size(), 1u);
    msgs[0][msgs[0].size() / 2] ^= 0x01;
    feed(t, msgs);
    EXPECT_FALSE(t.ok());
  }
  {
    // A signed answer to an unsigned request cannot be checked.
    auto t = start(nullptr);
    Bytes msg = message(id_of(t), {soa(9), rr("@ 300 NS ns1", kOrigin), soa(9)});
    (void)wire::tsig_sign_request(msg, *key, kWall);
    t.receive(msg, t0, kWall);
    EXPECT_EQ(t.error(), TransferInError::kTsig);
  }
}

// RFC 8945 §5.3.1: the last message must be signed.
TEST(TransferIn, AnUnsignedLastMessageIsRejected) {
  auto key = wire::TsigKey::from_string("hmac-sha256:xfr-key:c2VjcmV0LXNlY3JldC1zZWNyZXQ=");
  ASSERT_TRUE(key.has_value());
  TransferInOptions o;
  o.key = *key;
  auto t = start(nullptr, o);
  auto req = *wire::Message::parse(t.request());
  wire::TsigKeyring ring;
  ASSERT_TRUE(ring.add(*key).has_value());
  const auto v = wire::tsig_verify_request(t.request(), req, ring, kWall);
  ASSERT_TRUE(v.ok());
  wire::TsigStreamSigner signer(*key, v.request_mac);
  Bytes first = message(id_of(t), {soa(3), rr("@ 300 NS ns1", kOrigin)});
  ASSERT_TRUE(signer.sign(first, kWall).has_value());
  t.receive(first, t0, kWall);
  EXPECT_FALSE(t.done());
  t.receive(message(id_of(t), {soa(3)}, RRType::AXFR, false), t0, kWall);
  EXPECT_EQ(t.error(), TransferInError::kTsig);
}

// ---- bounds ------------------------------------------------------------------------------

// A primary that streams records forever: cut off at max_records, then at max_bytes.
TEST(TransferIn, ATransferThatGrowsWithoutBoundIsCutOff) {
  TransferInOptions o;
  o.limits.max_records = 1000;
  auto t = start(nullptr, o);
  t.receive(message(id_of(t), {soa(3), rr("@ 300 NS ns1", kOrigin)}), t0, kWall);
  for (int i = 0; i < 100 && !t.done(); ++i) {
    std::vector<Record> rs;
    for (int j = 0; j < 50; ++j) rs.push_back(a("h" + std::to_string(i * 50 + j), "192.0.2.1"));
    t.receive(message(id_of(t), rs, RRType::AXFR, false), t0, kWall);
  }
  EXPECT_EQ(t.error(), TransferInError::kLimit);
  EXPECT_LE(t.records(), 1050u);

  TransferInOptions b;
  b.limits.max_bytes = 100'000;
  auto u = start(nullptr, b);
  u.receive(message(id_of(u), {soa(3), rr("@ 300 NS ns1", kOrigin)}), t0, kWall);
  for (int i = 0; i < 1000 && !u.done(); ++i) {
    std::vector<Record> rs;
    for (int j = 0; j < 50; ++j) rs.push_back(a("h" + std::to_string(i * 50 + j), "192.0.2.1"));
    u.receive(message(id_of(u), rs, RRType::AXFR, false), t0, kWall);
  }
  EXPECT_EQ(u.error(), TransferInError::kLimit);
  EXPECT_LE(u.bytes(), 100'000u + 65'535u);
}

// A primary that trickles messages never finishes within max_time; one that stops sending
// is cut off after idle_timeout.
TEST(TransferIn, ATransferThatNeverEndsTimesOut) {
  TransferInOptions o;
  o.limits.max_time = 60s;
  o.limits.idle_timeout = 10s;
  auto t = start(nullptr, o);
  EXPECT_EQ(t.next_timeout(), t0 + 10s);
  t.receive(message(id_of(t), {soa(3), rr("@ 300 NS ns1", kOrigin)}), t0 + 5s, kWall);
  EXPECT_EQ(t.next_timeout(), t0 + 15s);
  TimePoint now = t0 + 5s;
  int i = 0;
  while (!t.done() && i < 100) {
    now += 5s;  // one message every 5 s: never idle for 10 s
    if (auto d = t.next_timeout(); d && now >= *d) t.on_timeout(now);
    if (t.done()) break;
    t.receive(message(id_of(t), {a("h" + std::to_string(i++), "192.0.2.1")}, RRType::AXFR, false),
              now, kWall);
  }
  EXPECT_EQ(t.error(), TransferInError::kTimeout);
  EXPECT_LE(now, t0 + 65s);

  auto u = start(nullptr, o);
  u.receive(message(id_of(u), {soa(3), rr("@ 300 NS ns1", kOrigin)}), t0 + 1s, kWall);
  u.on_timeout(t0 + 10s);
  EXPECT_FALSE(u.done());
  u.on_timeout(t0 + 11s);
  EXPECT_EQ(u.error(), TransferInError::kTimeout);
  EXPECT_FALSE(u.next_timeout().has_value());
}

TEST(TransferIn, AConnectionClosedEarlyFails) {
  auto base = build_zone(zone_text(4), kOrigin);
  {
    auto t = start(base);
    t.on_closed(t0);
    EXPECT_EQ(t.error(), TransferInError::kClosed);
    EXPECT_TRUE(t.fallback_to_axfr());  // old servers close on an unknown QTYPE
  }
  {
    auto t = start(base);
    t.on_io_error("cannot connect: refused");
    EXPECT_EQ(t.error(), TransferInError::kClosed);
    EXPECT_FALSE(t.fallback_to_axfr());  // an AXFR would not connect either
  }
  {
    auto t = start(nullptr);
    t.receive(message(id_of(t), {soa(3), rr("@ 300 NS ns1", kOrigin)}), t0, kWall);
    t.on_closed(t0);
    EXPECT_EQ(t.error(), TransferInError::kClosed);
  }
}

TEST(TransferIn, NothingIsReadAfterTheEnd) {
  Primary p;
  p.zone = build_zone(zone_text(4), kOrigin);
  auto t = start(nullptr);
  feed(t, p.answer(t.request()));
  ASSERT_TRUE(t.ok());
  t.receive(message(id_of(t), {a("x", "192.0.2.1")}), t0, kWall);  // ignored
  t.on_closed(t0);
  EXPECT_TRUE(t.ok());
  EXPECT_TRUE(t.take_result().zone);
}

}  // namespace
}  // namespace dnspush::xfr
