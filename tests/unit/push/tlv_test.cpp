#include "push/tlv.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "../common/wire_bytes.hpp"
#include "push_test_util.hpp"
#include "wire/rdata.hpp"

namespace dnspush::push {
namespace {

using dnspush::test::put16;
using dnspush::test::put32;
using dnspush::test::put_name;
using test::Bytes;
using test::name;
using wire::RRClass;
using wire::RRType;

Bytes ntc(std::string_view n, std::uint16_t type, std::uint16_t cls) {
  Bytes b;
  put_name(b, n);
  put16(b, type);
  put16(b, cls);
  return b;
}

// ---- SUBSCRIBE (RFC 8765 §6.2.1) ----

TEST(SubscribeTlv, DecodesNameTypeClassAndEncodesTheSameBytes) {
  const Bytes b = ntc("_ipp._tcp.Example.com.", 12, 1);
  auto s = decode_subscribe(b);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->name, name("_ipp._tcp.example.com."));
  EXPECT_EQ(s->type, RRType::PTR);
  EXPECT_EQ(s->cls, RRClass::IN);
  wire::Writer w;
  encode_subscribe(w, *s);
  EXPECT_EQ(w.data(), b);  // case kept, uncompressed
}

TEST(SubscribeTlv, AcceptsAnyTypeAndClassAndTheRoot) {
  auto s = decode_subscribe(ntc(".", 255, 255));
  ASSERT_TRUE(s.has_value());
  EXPECT_TRUE(s->name.is_root());
  EXPECT_EQ(s->type, RRType::ANY);
  EXPECT_EQ(s->cls, RRClass::ANY);
}

TEST(SubscribeTlv, RefusesTrailingBytesShortDataAndCompression) {
  Bytes trailing = ntc("a.example.", 1, 1);
  trailing.push_back(0);
  EXPECT_FALSE(decode_subscribe(trailing).has_value());  // "exactly one NAME, TYPE, CLASS"
  Bytes short_one = ntc("a.example.", 1, 1);
  short_one.pop_back();
  EXPECT_FALSE(decode_subscribe(short_one).has_value());
  EXPECT_FALSE(decode_subscribe(Bytes{}).has_value());
  // A compression pointer has nothing to point at inside a TLV.
  EXPECT_FALSE(decode_subscribe(Bytes{0xC0, 0x00, 0, 1, 0, 1}).has_value());
  // A label running past the data, and an extended label type (RFC 6891 §5).
  EXPECT_FALSE(decode_subscribe(Bytes{5, 'a', 'b'}).has_value());
  EXPECT_FALSE(decode_subscribe(Bytes{0x41, 0, 0, 1, 0, 1}).has_value());
}

// ---- UNSUBSCRIBE (§6.4.1 and the draft form) ----

TEST(UnsubscribeTlv, TwoBytesAreTheSubscribeMessageId) {
  auto u = decode_unsubscribe(Bytes{0x12, 0x34});
  ASSERT_TRUE(u.has_value());
  ASSERT_TRUE(u->message_id.has_value());
  EXPECT_EQ(*u->message_id, 0x1234);
  EXPECT_FALSE(u->legacy.has_value());
  wire::Writer w;
  encode_unsubscribe(w, 0x1234);
  EXPECT_EQ(w.data(), (Bytes{0x12, 0x34}));
}

TEST(UnsubscribeTlv, NameTypeClassIsAppleDraftForm) {
  auto u = decode_unsubscribe(ntc("_ipp._tcp.example.com.", 12, 1));
  ASSERT_TRUE(u.has_value());
  EXPECT_FALSE(u->message_id.has_value());
  ASSERT_TRUE(u->legacy.has_value());
  EXPECT_EQ(u->legacy->name, name("_ipp._tcp.example.com."));
  EXPECT_EQ(u->legacy->type, RRType::PTR);
  // Even the shortest draft form (the root, 5 bytes) cannot be confused with 2 bytes.
  EXPECT_TRUE(decode_unsubscribe(ntc(".", 1, 1))->legacy.has_value());
}

TEST(UnsubscribeTlv, OtherLengthsAreMalformed) {
  EXPECT_FALSE(decode_unsubscribe(Bytes{}).has_value());
  EXPECT_FALSE(decode_unsubscribe(Bytes{1}).has_value());
  EXPECT_FALSE(decode_unsubscribe(Bytes{1, 2, 3}).has_value());
  EXPECT_FALSE(decode_unsubscribe(Bytes{1, 2, 3, 4}).has_value());
  Bytes trailing = ntc("a.example.", 1, 1);
  trailing.push_back(9);
  EXPECT_FALSE(decode_unsubscribe(trailing).has_value());
}

// ---- RECONFIRM (§6.5.1) ----

TEST(ReconfirmTlv, RdataIsWhatRemainsWithoutRdlen) {
  Bytes b = ntc("printer1.example.com.", 1, 1);
  b.insert(b.end(), {192, 0, 2, 50});
  auto r = decode_reconfirm(b);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->name, name("printer1.example.com."));
  EXPECT_EQ(r->type, RRType::A);
  EXPECT_EQ(r->rdata, (Bytes{192, 0, 2, 50}));
  wire::Writer w;
  encode_reconfirm(w, *r);
  EXPECT_EQ(w.data(), b);
}

TEST(ReconfirmTlv, RefusesAnyTypeOrClassAndInvalidRdata) {
  Bytes any_type = ntc("a.example.", 255, 1);
  any_type.insert(any_type.end(), {1, 2, 3, 4});
  EXPECT_FALSE(decode_reconfirm(any_type).has_value());
  Bytes any_class = ntc("a.example.", 1, 255);
  any_class.insert(any_class.end(), {1, 2, 3, 4});
  EXPECT_FALSE(decode_reconfirm(any_class).has_value());
  Bytes short_a = ntc("a.example.", 1, 1);
  short_a.insert(short_a.end(), {1, 2, 3});
  EXPECT_FALSE(decode_reconfirm(short_a).has_value());
  // A PTR whose target is a compression pointer: nothing to point at in a TLV.
  Bytes ptr = ntc("a.example.", 12, 1);
  ptr.insert(ptr.end(), {0xC0, 0x00});
  EXPECT_FALSE(decode_reconfirm(ptr).has_value());
  // Unknown types are opaque (RFC 3597): any RDATA, even none.
  EXPECT_TRUE(decode_reconfirm(ntc("a.example.", 65280, 1)).has_value());
}

// ---- PUSH DSO-DATA (§6.3.1) ----

// A PUSH message by hand: the 12-byte DSO header, then the PUSH TLV around `data`.
Bytes push_message(const Bytes& data, std::uint16_t id = 0, std::uint8_t flags = 0x30) {
  Bytes m = {static_cast<std::uint8_t>(id >> 8),
             static_cast<std::uint8_t>(id),
             flags,
             0,
             0,
             0,
             0,
             0,
             0,
             0,
             0,
             0};
  put16(m, kTlvPush);
  put16(m, static_cast<std::uint16_t>(data.size()));
  m.insert(m.end(), data.begin(), data.end());
  return m;
}

void put_change(Bytes& b, std::string_view owner, std::uint16_t type, std::uint16_t cls,
                std::uint32_t ttl, const Bytes& rdata) {
  put_name(b, owner);
  put16(b, type);
  put16(b, cls);
  put32(b, ttl);
  put16(b, static_cast<std::uint16_t>(rdata.size()));
  b.insert(b.end(), rdata.begin(), rdata.end());
}

TEST(PushData, ClassifiesEveryKindOfChangeByTtl) {
  Bytes d;
  put_change(d, "www.example.com.", 1, 1, 300, {192, 0, 2, 1});         // add
  put_change(d, "www.example.com.", 1, 1, 0xFFFFFFFF, {192, 0, 2, 2});  // delete one
  put_change(d, "www.example.com.", 28, 1, 0xFFFFFFFE, {});             // RRset
  put_change(d, "www.example.com.", 255, 1, 0xFFFFFFFE, {});            // class
  put_change(d, "www.example.com.", 16, 255, 0xFFFFFFFE, {});           // name
  put_change(d, "www.example.com.", 1, 1, 0, {192, 0, 2, 3});           // add, TTL 0
  put_change(d, "www.example.com.", 1, 1, 0x7FFFFFFF, {192, 0, 2, 4});  // largest add
  put_change(d, "www.example.com.", 42, 1, 0, {});                      // empty RDATA add
  const Bytes m = push_message(d);
  auto p = parse_push_message(m);
  ASSERT_TRUE(p.has_value()) << p.error().message;
  ASSERT_EQ(p->changes.size(), 8u);
  EXPECT_EQ(p->ignored, 0u);
  EXPECT_EQ(p->changes[0].kind, ChangeKind::kAdd);
  EXPECT_EQ(p->changes[0].ttl, 300u);
  EXPECT_EQ(p->changes[0].rdata, (Bytes{192, 0, 2, 1}));
  EXPECT_EQ(p->changes[1].kind, ChangeKind::kDeleteRecord);
  EXPECT_EQ(p->changes[1].rdata, (Bytes{192, 0, 2, 2}));
  EXPECT_EQ(p->changes[2].kind, ChangeKind::kDeleteRRset);
  EXPECT_EQ(p->changes[2].type, RRType::AAAA);
  EXPECT_EQ(p->changes[3].kind, ChangeKind::kDeleteClass);
  EXPECT_EQ(p->changes[4].kind, ChangeKind::kDeleteName);
  EXPECT_EQ(static_cast<std::uint16_t>(p->changes[4].type), 0);  // TYPE ignored on receipt
  EXPECT_EQ(p->changes[5].kind, ChangeKind::kAdd);
  EXPECT_EQ(p->changes[6].ttl, 0x7FFFFFFFu);
  EXPECT_EQ(p->changes[7].kind, ChangeKind::kAdd);  // RDLEN 0 is not a delete
  EXPECT_TRUE(p->changes[7].rdata.empty());
}

TEST(PushData, OtherLargeTtlsAreIgnoredAndTheRestProcessed) {
  Bytes d;
  put_change(d, "a.example.", 1, 1, 0x80000000, {1, 2, 3, 4});
  put_change(d, "a.example.", 1, 1, 0xFFFFFFFD, {1, 2, 3, 4});
  put_change(d, "a.example.", 1, 1, 60, {1, 2, 3, 5});
  auto p = parse_push_message(push_message(d));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->ignored, 2u);
  ASSERT_EQ(p->changes.size(), 1u);
  EXPECT_EQ(p->changes[0].rdata, (Bytes{1, 2, 3, 5}));
  // Only ignorable notifications: still "at least one change notification", not fatal.
  Bytes only;
  put_change(only, "a.example.", 1, 1, 0x80000000, {1, 2, 3, 4});
  auto q = parse_push_message(push_message(only));
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->ignored, 1u);
  EXPECT_TRUE(q->changes.empty());
}

TEST(PushData, FatalReceiveRules) {
  auto fails = [](std::string_view n, std::uint16_t type, std::uint16_t cls, std::uint32_t ttl,
                  const Bytes& rdata) {
    Bytes d;
    put_change(d, n, type, cls, ttl, rdata);
    return !parse_push_message(push_message(d)).has_value();
  };
  EXPECT_TRUE(fails("a.example.", 1, 1, 0xFFFFFFFE, {1, 2, 3, 4}));  // collective with RDATA
  EXPECT_TRUE(fails("a.example.", 255, 1, 300, {}));                 // TYPE ANY in an add
  EXPECT_TRUE(fails("a.example.", 1, 255, 300, {1, 2, 3, 4}));       // CLASS ANY in an add
  EXPECT_TRUE(fails("a.example.", 255, 1, 0xFFFFFFFF, {}));          // ANY in a single delete
  EXPECT_TRUE(fails("a.example.", 1, 255, 0xFFFFFFFF, {1, 2, 3, 4}));
  EXPECT_TRUE(fails("a.example.", 1, 1, 300, {1, 2, 3}));  // A RDATA of the wrong size
  EXPECT_TRUE(fails("a.example.", 1, 1, 0xFFFFFFFF, {1, 2, 3, 4, 5}));
  // RDLEN past the end of the TLV.
  Bytes d;
  put_change(d, "a.example.", 1, 1, 300, {1, 2, 3, 4});
  d[d.size() - 5] = 5;
  EXPECT_FALSE(parse_push_message(push_message(d)).has_value());
  // §6.3.1: "A PUSH Message MUST contain at least one change notification."
  EXPECT_FALSE(parse_push_message(push_message({})).has_value());
}

TEST(PushData, FollowsCompressionPointersFromTheMessageStart) {
  // Owner at offset 16 spelled out, the second owner and an RDATA name as pointers.
  Bytes d;
  put_change(d, "www.example.com.", 1, 1, 300, {192, 0, 2, 1});
  d.insert(d.end(), {0xC0, 16});  // www.example.com.
  put16(d, 5);                    // CNAME
  put16(d, 1);
  put32(d, 60);
  put16(d, 6);
  d.insert(d.end(), {3, 'f', 'o', 'o', 0xC0, 20});  // foo.example.com.
  auto p = parse_push_message(push_message(d));
  ASSERT_TRUE(p.has_value()) << p.error().message;
  ASSERT_EQ(p->changes.size(), 2u);
  EXPECT_EQ(p->changes[1].name, name("www.example.com."));
  auto target = wire::Name::from_wire(p->changes[1].rdata);
  ASSERT_TRUE(target.has_value());
  EXPECT_EQ(*target, name("foo.example.com."));
  // A forward pointer is refused.
  Bytes f;
  f.insert(f.end(), {0xC0, 0x30});
  put16(f, 1);
  put16(f, 1);
  put32(f, 1);
  put16(f, 0);
  EXPECT_FALSE(parse_push_message(push_message(f)).has_value());
}

// ---- the whole message (RFC 8490 §5.4, RFC 8765 §6.3) ----

Bytes one_add() {
  Bytes d;
  put_change(d, "a.example.", 1, 1, 300, {1, 2, 3, 4});
  return d;
}

TEST(PushMessage, HeaderRules) {
  EXPECT_TRUE(parse_push_message(push_message(one_add())).has_value());
  EXPECT_FALSE(parse_push_message(push_message(one_add(), 7)).has_value());        // id != 0
  EXPECT_FALSE(parse_push_message(push_message(one_add(), 0, 0xB0)).has_value());  // QR
  EXPECT_FALSE(parse_push_message(push_message(one_add(), 0, 0x00)).has_value());  // QUERY
  Bytes counts = push_message(one_add());
  counts[5] = 1;  // QDCOUNT
  EXPECT_FALSE(parse_push_message(counts).has_value());
  EXPECT_FALSE(parse_push_message(Bytes{0, 0, 0x30}).has_value());
  // Header only: no primary TLV.
  EXPECT_FALSE(parse_push_message(Bytes{0, 0, 0x30, 0, 0, 0, 0, 0, 0, 0, 0, 0}).has_value());
}

TEST(PushMessage, LongerThan16382BytesIsFatal) {
  Bytes d;
  while (d.size() < kMaxPushMessage - kPushOverhead - 20) {
    put_change(d, "a.example.", 1, 1, 300, {1, 2, 3, 4});
  }
  Bytes m = push_message(d);
  ASSERT_LE(m.size(), kMaxPushMessage);
  EXPECT_TRUE(parse_push_message(m).has_value());
  // Padding it past the limit with an additional TLV makes it too long.
  put16(m, kTlvEncryptionPadding);
  const std::uint16_t pad = static_cast<std::uint16_t>(kMaxPushMessage + 1 - (m.size() + 2));
  put16(m, pad);
  m.resize(m.size() + pad, 0);
  ASSERT_EQ(m.size(), kMaxPushMessage + 1);
  EXPECT_FALSE(parse_push_message(m).has_value());
}

TEST(PushMessage, AdditionalTlvs) {
  Bytes m = push_message(one_add());
  put16(m, kTlvEncryptionPadding);  // RFC 8490 §7.3: any bytes
  put16(m, 3);
  m.insert(m.end(), {0xAA, 0xBB, 0xCC});
  put16(m, 0x7777);  // unknown additional TLV: ignored (RFC 8490 §5.4.5)
  put16(m, 0);
  EXPECT_TRUE(parse_push_message(m).has_value());

  Bytes truncated = push_message(one_add());
  put16(truncated, kTlvEncryptionPadding);
  put16(truncated, 10);
  EXPECT_FALSE(parse_push_message(truncated).has_value());
  Bytes half = push_message(one_add());
  half.push_back(0);
  EXPECT_FALSE(parse_push_message(half).has_value());

  Bytes twice = push_message(one_add());
  const Bytes again = one_add();
  put16(twice, kTlvPush);
  put16(twice, static_cast<std::uint16_t>(again.size()));
  twice.insert(twice.end(), again.begin(), again.end());
  EXPECT_FALSE(parse_push_message(twice).has_value());

  // Primary TLV other than PUSH.
  Bytes other = push_message(one_add());
  other[13] = static_cast<std::uint8_t>(kTlvSubscribe);
  EXPECT_FALSE(parse_push_message(other).has_value());
}

TEST(PushData, WriteChangeCompressesTheOwnerAndPushRdataNames) {
  wire::Writer w;
  w.bytes(Bytes(16, 0));  // stands in for the DSO header and TLV header
  const wire::Name owner = name("inst._ipp._tcp.example.com.");
  write_change(w, owner, RRType::A, RRClass::IN, 300, Bytes{192, 0, 2, 1});
  const std::size_t second = w.size();
  // SRV's target is compressible in PUSH (RFC 6762 §18.14), not in unicast DNS.
  const auto srv = test::rr("inst._ipp._tcp 120 SRV 0 0 631 printer.example.com.").rdata;
  write_change(w, owner, RRType::SRV, RRClass::IN, 120, srv);
  const auto& b = w.data();
  EXPECT_EQ(b[second], 0xC0);  // owner: pointer to offset 16
  EXPECT_EQ(b[second + 1], 16);
  // RDLEN = 6 (priority, weight, port) + "printer" label (8) + pointer (2).
  EXPECT_EQ(b[second + 10], 0);
  EXPECT_EQ(b[second + 11], 16);
  EXPECT_EQ(b[b.size() - 2] & 0xC0, 0xC0);  // the target ends in a pointer
  auto p = decode_push_data(b, 16, b.size() - 16);
  ASSERT_TRUE(p.has_value()) << p.error().message;
  ASSERT_EQ(p->changes.size(), 2u);
  EXPECT_TRUE(wire::rdata_equal(RRType::SRV, p->changes[1].rdata, srv));
}

}  // namespace
}  // namespace dnspush::push

namespace dnspush::push {
namespace {

// The checked-in seeds of fuzz_push_tlv are what they say: every one decodes.
TEST(PushSeedCorpus, EverySeedDecodes) {
  const std::filesystem::path dir =
      std::filesystem::path(DNSPUSH_TEST_DATA) / ".." / ".." / "fuzz" / "corpus" / "push_tlv";
  std::size_t seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream f(entry.path(), std::ios::binary);
    const test::Bytes b((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    ASSERT_FALSE(b.empty()) << entry.path();
    const std::span<const std::uint8_t> in(b.data() + 1, b.size() - 1);
    bool ok = false;
    switch (b[0]) {
      case 0:
        ok = decode_subscribe(in).has_value();
        break;
      case 1:
        ok = decode_unsubscribe(in).has_value();
        break;
      case 2:
        ok = decode_reconfirm(in).has_value();
        break;
      default: {
        auto p = parse_push_message(in);
        ok = p.has_value() && !p->changes.empty();
      }
    }
    EXPECT_TRUE(ok) << entry.path();
    ++seen;
  }
  EXPECT_GE(seen, 10u);
}

}  // namespace
}  // namespace dnspush::push
