#include "dso/tlv.hpp"

#include <gtest/gtest.h>

#include "dso/message.hpp"
#include "dso_bytes.hpp"

namespace dnspush::dso {
namespace {

using namespace test;

TEST(Tlv, KeepaliveRoundTripsBigEndianMilliseconds) {
  const Keepalive k{0x01020304, 0xFFFFFFFF};
  const auto b = encode_keepalive(k);
  EXPECT_EQ(Bytes(b.begin(), b.end()), (Bytes{1, 2, 3, 4, 0xFF, 0xFF, 0xFF, 0xFF}));
  auto d = decode_keepalive(b);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(*d, k);
}

TEST(Tlv, KeepaliveOfAnyOtherLengthIsMalformed) {
  EXPECT_FALSE(decode_keepalive(Bytes(7, 0)).has_value());
  EXPECT_FALSE(decode_keepalive(Bytes(9, 0)).has_value());
  EXPECT_FALSE(decode_keepalive(Bytes{}).has_value());
}

TEST(Tlv, RetryDelayIsFourBytes) {
  const auto b = encode_retry_delay(300000);
  auto d = decode_retry_delay(b);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(*d, 300000u);
  EXPECT_FALSE(decode_retry_delay(Bytes(3, 0)).has_value());
  EXPECT_FALSE(decode_retry_delay(Bytes(5, 0)).has_value());
}

TEST(Tlv, AllOnesMeansInfinityBothWays) {
  // RFC 8490 §6.4.2 / §6.5.2.
  EXPECT_EQ(from_wire_ms(0xFFFFFFFF), kInfinite);
  EXPECT_EQ(to_wire_ms(kInfinite), 0xFFFFFFFFu);
  EXPECT_EQ(from_wire_ms(1500), std::chrono::milliseconds(1500));
  EXPECT_EQ(to_wire_ms(std::chrono::seconds(15)), 15000u);
  // The largest finite value is 0xFFFFFFFE; a longer finite duration saturates there.
  EXPECT_EQ(to_wire_ms(std::chrono::hours(24 * 365)), 0xFFFFFFFEu);
  EXPECT_EQ(to_wire_ms(-std::chrono::seconds(1)), 0u);
}

TEST(Tlv, PaddingFillsTheBlock) {
  for (std::size_t size : {12u, 20u, 100u, 124u, 127u, 128u, 129u, 500u}) {
    Bytes m = dso(1, false, {});
    m.resize(size, 0);
    ASSERT_TRUE(pad_message(m, kClientPaddingBlock));
    EXPECT_EQ(m.size() % kClientPaddingBlock, 0u) << size;
    EXPECT_GE(m.size(), size + kTlvHeaderSize) << size;
    EXPECT_LT(m.size(), size + kTlvHeaderSize + kClientPaddingBlock) << size;
  }
  Bytes m = dso(1, true, {});
  ASSERT_TRUE(pad_message(m, kServerPaddingBlock));
  EXPECT_EQ(m.size(), kServerPaddingBlock);
  // The appended TLV is Encryption Padding with zero bytes (RFC 7830 §3), and parses.
  auto v = parse_message(m);
  ASSERT_TRUE(v.has_value());
  auto p = v->find(TlvType::EncryptionPadding);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->data.size(), kServerPaddingBlock - 12 - 4);
  for (auto b : p->data) EXPECT_EQ(b, 0);
}

TEST(Tlv, PaddingWithoutABlockIsTheFourByteMinimum) {
  Bytes m = dso(1, true, {});
  ASSERT_TRUE(pad_message(m, 0));
  EXPECT_EQ(m.size(), 16u);
}

TEST(Tlv, PaddingNeverPassesTheMessageLimit) {
  Bytes m = dso(1, true, {});
  m.resize(65530, 0);
  ASSERT_TRUE(pad_message(m, kServerPaddingBlock));
  EXPECT_EQ(m.size(), 65535u);
  m.resize(65532, 0);
  EXPECT_FALSE(pad_message(m, kServerPaddingBlock));
  EXPECT_EQ(m.size(), 65532u);
}

TEST(Tlv, NamesForLogs) {
  EXPECT_EQ(to_text(TlvType::KeepAlive), "KeepAlive");
  EXPECT_EQ(to_text(TlvType::SUBSCRIBE), "SUBSCRIBE");
  EXPECT_EQ(to_text(static_cast<TlvType>(0xF800)), "TLV63488");
}

}  // namespace
}  // namespace dnspush::dso
