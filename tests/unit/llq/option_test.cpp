// The LLQ option codec (RFC 8764 §3.2) and SipHash-2-4 (the challenge MAC).
#include <gtest/gtest.h>

#include <numeric>

#include "llq/option.hpp"
#include "llq/siphash.hpp"

namespace dnspush::llq {
namespace {

using Bytes = std::vector<std::uint8_t>;

TEST(LlqOption, EncodesFieldsInRfcOrder) {
  const Option o{1, 3, 4, 0x0102030405060708ULL, 0x0A0B0C0D};
  EXPECT_EQ(encode_option(o),
            (Bytes{0, 1, 0, 3, 0, 4, 1, 2, 3, 4, 5, 6, 7, 8, 0x0A, 0x0B, 0x0C, 0x0D}));
  auto d = decode_option(encode_option(o));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(*d, o);
  const auto e = to_edns(o);
  EXPECT_EQ(e.code, 1);
  EXPECT_EQ(e.data.size(), 18u);
}

TEST(LlqOption, OnlyLength18Decodes) {
  Bytes b(18, 0);
  EXPECT_TRUE(decode_option(b).has_value());
  for (std::size_t n : {0u, 1u, 17u, 19u, 36u}) {
    EXPECT_FALSE(decode_option(Bytes(n, 0)).has_value()) << n;
  }
}

TEST(LlqOption, EveryVersionDecodesTheCallerChecksIt) {
  auto d = decode_option(encode_option(Option{2, 1, 0, 0, 0}));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->version, 2);
}

TEST(LlqOption, FindsEveryLlqOptionInOrder) {
  wire::Edns e;
  e.options.push_back(to_edns(make_option(Opcode::LLQ_SETUP, ErrorCode::NO_ERROR, 1, 10)));
  e.options.push_back(wire::EdnsOption{10, Bytes(8, 0)});  // a cookie in between
  e.options.push_back(wire::EdnsOption{1, Bytes(3, 0)});   // malformed
  e.options.push_back(to_edns(make_option(Opcode::LLQ_SETUP, ErrorCode::NO_ERROR, 2, 20)));
  const auto opts = llq_options(e);
  ASSERT_EQ(opts.size(), 3u);
  EXPECT_EQ(opts[0]->id, 1u);
  EXPECT_FALSE(opts[1].has_value());
  EXPECT_EQ(opts[2]->id, 2u);
}

TEST(LlqOption, ErrorNames) {
  EXPECT_STREQ(to_text(ErrorCode::SERV_FULL), "SERV-FULL");
  EXPECT_STREQ(to_text(ErrorCode::NO_SUCH_LLQ), "NO-SUCH-LLQ");
}

// The reference vectors of the SipHash paper (key 00..0f, messages 00..n-1).
TEST(SipHash, ReferenceVectors) {
  SipKey key;
  std::iota(key.begin(), key.end(), std::uint8_t{0});
  Bytes msg(64);
  std::iota(msg.begin(), msg.end(), std::uint8_t{0});
  EXPECT_EQ(siphash24(key, std::span(msg.data(), 0)), 0x726fdb47dd0e0e31ULL);
  EXPECT_EQ(siphash24(key, std::span(msg.data(), 1)), 0x74f839c593dc67fdULL);
  EXPECT_EQ(siphash24(key, std::span(msg.data(), 8)), 0x93f5f5799a932462ULL);
  EXPECT_EQ(siphash24(key, std::span(msg.data(), 15)), 0xa129ca6149be45e5ULL);
}

TEST(SipHash, KeyMatters) {
  SipKey a{}, b{};
  b[0] = 1;
  const Bytes m{1, 2, 3};
  EXPECT_NE(siphash24(a, m), siphash24(b, m));
}

}  // namespace
}  // namespace dnspush::llq
