#include "dso/edns_scan.hpp"

#include <gtest/gtest.h>

#include "dso_bytes.hpp"

namespace dnspush::dso {
namespace {

using namespace test;

TEST(EdnsScan, FindsTheOptionAfterQuestionAndRecords) {
  wire::Message m =
      *wire::Message::parse(query(9, {wire::EdnsOption{10, Bytes(8, 1)}, tcp_keepalive_option()}));
  m.header.qr = true;
  m.answers.push_back(wire::Record{*wire::Name::from_text("www.example.com."),
                                   wire::RRType::A,
                                   wire::RRClass::IN,
                                   60,
                                   {192, 0, 2, 1}});
  const Bytes b = m.to_wire();  // the answer's owner is compressed
  auto pos = find_edns_option(b, wire::edns_option::kTcpKeepalive);
  ASSERT_TRUE(pos.has_value());
  EXPECT_EQ(pos->option_size, 4u);
  EXPECT_FALSE(find_edns_option(b, wire::edns_option::kPadding).has_value());

  const Bytes stripped = remove_edns_option(b, *pos);
  auto back = wire::Message::parse(stripped);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  ASSERT_TRUE(back->edns.has_value());
  EXPECT_EQ(back->edns->find(wire::edns_option::kTcpKeepalive), nullptr);
  ASSERT_NE(back->edns->find(10), nullptr);  // the other option stays
  EXPECT_EQ(back->answers.size(), 1u);
}

TEST(EdnsScan, NothingToFind) {
  EXPECT_FALSE(find_edns_option(query(1), wire::edns_option::kTcpKeepalive));
  EXPECT_FALSE(find_edns_option(query(1, {}, true), wire::edns_option::kTcpKeepalive));
  // Garbage claiming records it does not have.
  Bytes junk = query(1, {tcp_keepalive_option()});
  junk.resize(20);
  EXPECT_FALSE(find_edns_option(junk, wire::edns_option::kTcpKeepalive));
  EXPECT_FALSE(find_edns_option(Bytes{}, wire::edns_option::kTcpKeepalive));
}

}  // namespace
}  // namespace dnspush::dso
