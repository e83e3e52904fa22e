#include "dso/message.hpp"

#include <gtest/gtest.h>

#include "dso_bytes.hpp"

namespace dnspush::dso {
namespace {

using namespace test;

TEST(DsoMessage, ParsesHeaderAndTlvsInOrder) {
  const Bytes m =
      request(0x1234, {tlv(TlvType::SUBSCRIBE, {1, 2, 3}), tlv(static_cast<TlvType>(0xF900), {9}),
                       tlv(TlvType::EncryptionPadding, Bytes(5, 0))});
  auto v = parse_message(m);
  ASSERT_TRUE(v.has_value()) << v.error().message;
  EXPECT_EQ(v->id, 0x1234);
  EXPECT_FALSE(v->qr);
  ASSERT_EQ(v->tlvs.size(), 3u);
  ASSERT_TRUE(v->primary().has_value());
  EXPECT_EQ(v->primary()->type, TlvType::SUBSCRIBE);
  EXPECT_EQ(Bytes(v->primary()->data.begin(), v->primary()->data.end()), (Bytes{1, 2, 3}));
  std::vector<TlvType> extra;
  for (const Tlv& t : v->additional()) extra.push_back(t.type);
  EXPECT_EQ(extra,
            (std::vector<TlvType>{static_cast<TlvType>(0xF900), TlvType::EncryptionPadding}));
  EXPECT_TRUE(v->has(TlvType::EncryptionPadding));
  EXPECT_FALSE(v->has(TlvType::KeepAlive));
}

TEST(DsoMessage, ResponseMayHaveNoTlv) {
  auto v = parse_message(response(7, {}, 5));
  ASSERT_TRUE(v.has_value());
  EXPECT_TRUE(v->qr);
  EXPECT_EQ(v->rcode, 5);
  EXPECT_TRUE(v->tlvs.empty());
  EXPECT_FALSE(v->primary().has_value());
}

TEST(DsoMessage, RequestWithoutTlvIsMalformed) {
  // RFC 8490 §5.4.2: at least one TLV.
  EXPECT_FALSE(parse_message(request(7, {})).has_value());
  EXPECT_FALSE(parse_message(unidirectional({})).has_value());
}

TEST(DsoMessage, NonzeroCountsAreMalformed) {
  // RFC 8490 §5.4.
  EXPECT_FALSE(parse_message(dso(1, false, {tlv(TlvType::KeepAlive, Bytes(8, 0))}, 0, 1)));
}

TEST(DsoMessage, TlvOverrunIsMalformed) {
  // DSO-LENGTH says 9, 8 bytes follow.
  EXPECT_FALSE(parse_message(request(1, {tlv(TlvType::KeepAlive, Bytes(8, 0), 9)})));
}

TEST(DsoMessage, TrailingBytesAreMalformed) {
  // One to three bytes after the last TLV are no TLV header at all.
  for (std::size_t extra = 1; extra <= 3; ++extra) {
    Bytes m = request(1, {tlv(TlvType::KeepAlive, Bytes(8, 0))});
    m.insert(m.end(), extra, 0);
    EXPECT_FALSE(parse_message(m).has_value()) << extra;
  }
}

TEST(DsoMessage, NotDsoOrTooShort) {
  EXPECT_FALSE(parse_message(Bytes(11, 0)).has_value());
  Bytes q = query(1);
  EXPECT_FALSE(is_dso(q));
  EXPECT_FALSE(parse_message(q).has_value());
  EXPECT_TRUE(is_dso(request(1, {tlv(TlvType::KeepAlive, Bytes(8, 0))})));
}

TEST(DsoMessage, BuilderWritesWhatTheParserReads) {
  const Bytes data{0xAA, 0xBB};
  auto m = MessageBuilder::request(42).add(TlvType::SUBSCRIBE, data).finish();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(*m, request(42, {tlv(TlvType::SUBSCRIBE, data)}));

  auto u = MessageBuilder::unidirectional(wire::Rcode::REFUSED)
               .add(TlvType::RetryDelay, retry_data(1000))
               .finish();
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(*u, unidirectional({tlv(TlvType::RetryDelay, retry_data(1000))}, 5));

  auto r = MessageBuilder::response(42, wire::Rcode::DSOTYPENI).finish();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, response(42, {}, 11));
}

TEST(DsoMessage, TlvWrittenInPlaceGetsItsLength) {
  auto b = MessageBuilder::unidirectional();
  const auto mark = b.begin_tlv(TlvType::PUSH);
  b.writer().name(*wire::Name::from_text("a.example."), true);
  b.writer().u16(1);
  b.end_tlv(mark);
  auto m = b.finish();
  ASSERT_TRUE(m.has_value());
  auto v = parse_message(*m);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->primary()->type, TlvType::PUSH);
  EXPECT_EQ(v->primary()->data.size(), 11u + 2u);
}

TEST(DsoMessage, BuilderRefusesWhatCannotBeEncoded) {
  // An extended RCODE needs OPT, which a DSO message cannot carry (RFC 8490 §5.4.6).
  EXPECT_FALSE(MessageBuilder::response(1, wire::Rcode::BADVERS).finish().has_value());
  // Larger than a stream message.
  const Bytes big(65535, 0);
  EXPECT_FALSE(MessageBuilder::unidirectional().add(TlvType::PUSH, big).finish().has_value());
}

}  // namespace
}  // namespace dnspush::dso
