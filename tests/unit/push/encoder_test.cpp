#include "push/encoder.hpp"

#include <gtest/gtest.h>

#include "push/tlv.hpp"
#include "push_test_util.hpp"

namespace dnspush::push {
namespace {

using test::Bytes;
using test::name;
using wire::RRClass;
using wire::RRType;

const Bytes kA = {192, 0, 2, 1};

TEST(PushWriter, HeaderAndOneRecordByteForByte) {
  PushWriter w(kMaxPushMessage, false);
  ASSERT_TRUE(w.add(name("a.example."), RRType::A, RRClass::IN, 300, kA));
  const auto msgs = w.finish();
  ASSERT_EQ(msgs.size(), 1u);
  const Bytes want = {0, 0,    0x30, 0,    0,   0,   0,   0,   0,   0,   0,
                      0,                  // ID 0, opcode 6 (DSO), QR 0, counts 0
                      0, 0x41, 0,    25,  // PUSH, DSO-LENGTH 25
                      1, 'a',  7,    'e',  'x', 'a', 'm', 'p', 'l', 'e', 0,  // owner
                      0, 1,    0,    1,                                      // A IN
                      0, 0,    1,    0x2C,                                   // TTL 300
                      0, 4,    192,  0,    2,   1};                          // RDLEN, RDATA
  EXPECT_EQ(*msgs[0], want);
}

TEST(PushWriter, NothingAddedMeansNoMessage) {
  PushWriter w(kMaxPushMessage, true);
  EXPECT_TRUE(w.finish().empty());
}

TEST(PushWriter, OwnerNamesAreCompressedFromTheMessageStart) {
  PushWriter w(kMaxPushMessage, false);
  ASSERT_TRUE(w.add(name("www.example.com."), RRType::A, RRClass::IN, 300, kA));
  ASSERT_TRUE(w.add(name("WWW.example.com."), RRType::A, RRClass::IN, 300, Bytes{192, 0, 2, 2}));
  ASSERT_TRUE(w.add(name("mail.example.com."), RRType::A, RRClass::IN, 300, kA));
  const auto msgs = w.finish();
  ASSERT_EQ(msgs.size(), 1u);
  const Bytes& m = *msgs[0];
  const std::size_t second = 16 + 17 + 14;  // first owner (17 bytes) + fixed fields + A
  EXPECT_EQ(m[second], 0xC0);
  EXPECT_EQ(m[second + 1], 16);  // points at the first owner, offset from the DNS header
  const std::size_t third = second + 2 + 14;
  EXPECT_EQ(m[third], 4);  // "mail", then a pointer to "example.com." at 16 + 4
  EXPECT_EQ(m[third + 5], 0xC0);
  EXPECT_EQ(m[third + 6], 20);
  EXPECT_EQ(test::describe(msgs),
            (std::vector<std::string>{"add www.example.com. A 300 192.0.2.1",
                                      "add www.example.com. A 300 192.0.2.2",
                                      "add mail.example.com. A 300 192.0.2.1"}));
}

TEST(PushWriter, SplitsAtTheLimitKeepingOrderAndWholeRecords) {
  for (const std::size_t limit : {kMaxPushMessage, std::size_t{8940}, std::size_t{1500}}) {
    PushWriter w(limit, false);
    std::vector<std::string> want;
    for (int i = 0; i < 3000; ++i) {
      const auto owner = name("host" + std::to_string(i) + ".example.com.");
      const Bytes rd = {10, 0, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)};
      ASSERT_TRUE(w.add(owner, RRType::A, RRClass::IN, 60, rd));
      want.push_back("add " + owner.to_text() + " A 60 10.0." + std::to_string(i >> 8) + "." +
                     std::to_string(i & 0xFF));
    }
    EXPECT_EQ(w.records(), 3000u);
    const auto msgs = w.finish();
    ASSERT_GT(msgs.size(), 1u) << limit;
    for (const auto& m : msgs) {
      EXPECT_LE(m->size(), limit);
      // Filled: the next record (a label of at most 9 bytes, a pointer, 14 bytes) did not fit.
      if (m != msgs.back()) {
        EXPECT_GT(m->size() + 9 + 2 + 14, limit);
      }
    }
    EXPECT_EQ(test::describe(msgs), want) << limit;
  }
}

TEST(PushWriter, PaddingMakesEveryMessageAMultipleOf468) {
  for (const std::size_t limit : {kMaxPushMessage, std::size_t{8940}}) {
    PushWriter w(limit, true);
    for (int i = 0; i < 2000; ++i) {
      ASSERT_TRUE(
          w.add(name("h" + std::to_string(i) + ".example."), RRType::A, RRClass::IN, 60, kA));
    }
    const auto msgs = w.finish();
    ASSERT_GT(msgs.size(), 1u);
    std::size_t records = 0;
    for (const auto& m : msgs) {
      EXPECT_EQ(m->size() % kPaddingBlock, 0u);  // RFC 8467 §4.1
      EXPECT_LE(m->size(), limit);
      // The Encryption Padding TLV (RFC 8490 §7.3) follows the PUSH TLV, zeros.
      const std::size_t push_len = (std::size_t{(*m)[14]} << 8) | (*m)[15];
      const std::size_t pad_at = 16 + push_len;
      ASSERT_LE(pad_at + 4, m->size());
      EXPECT_EQ((*m)[pad_at], 0);
      EXPECT_EQ((*m)[pad_at + 1], kTlvEncryptionPadding);
      const std::size_t pad_len = (std::size_t{(*m)[pad_at + 2]} << 8) | (*m)[pad_at + 3];
      EXPECT_EQ(pad_at + 4 + pad_len, m->size());
      for (std::size_t i = pad_at + 4; i < m->size(); ++i) EXPECT_EQ((*m)[i], 0);
      auto d = parse_push_message(*m);
      ASSERT_TRUE(d.has_value()) << d.error().message;
      records += d->changes.size();
    }
    EXPECT_EQ(records, 2000u);
  }
  // A small message is padded to one block.
  PushWriter w(kMaxPushMessage, true);
  ASSERT_TRUE(w.add(name("a.example."), RRType::A, RRClass::IN, 300, kA));
  EXPECT_EQ(w.finish()[0]->size(), kPaddingBlock);
}

TEST(PushWriter, ARecordThatCannotFitAloneIsRefused) {
  PushWriter w(8940, false);
  ASSERT_TRUE(w.add(name("a.example."), RRType::A, RRClass::IN, 300, kA));
  // TXT of 9,000 bytes: more than Apple's 8,940 even in an empty message.
  Bytes big;
  for (int i = 0; i < 36; ++i) {
    big.push_back(249);
    big.insert(big.end(), 249, 'x');
  }
  EXPECT_FALSE(w.add(name("a.example."), RRType::TXT, RRClass::IN, 300, big));
  ASSERT_TRUE(w.add(name("b.example."), RRType::A, RRClass::IN, 300, kA));
  const auto msgs = w.finish();
  ASSERT_EQ(msgs.size(), 1u);  // the refused record neither split nor closed the message
  EXPECT_EQ(test::describe(msgs).size(), 2u);
  // The same record fits under the RFC's 16,382.
  PushWriter big_writer(kMaxPushMessage, false);
  EXPECT_TRUE(big_writer.add(name("a.example."), RRType::TXT, RRClass::IN, 300, big));
}

TEST(PushWriter, LimitsAreClamped) {
  EXPECT_EQ(effective_max_message({}, 100000), kMaxPushMessage);
  EXPECT_EQ(effective_max_message({}, 10), kMinPushMessage);
  SessionOptions apple;
  apple.max_message = 8940;
  EXPECT_EQ(effective_max_message(apple, kMaxPushMessage), 8940u);
}

TEST(PushTtl, TopBitMeansZero) {
  // RFC 2181 §8; and such a TTL would read as a delete in PUSH (RFC 8765 §6.3.1).
  EXPECT_EQ(push_ttl(0x7FFFFFFF), 0x7FFFFFFFu);
  EXPECT_EQ(push_ttl(0x80000000), 0u);
  EXPECT_EQ(push_ttl(0xFFFFFFFF), 0u);
  EXPECT_EQ(push_ttl(300), 300u);
}

}  // namespace
}  // namespace dnspush::push
