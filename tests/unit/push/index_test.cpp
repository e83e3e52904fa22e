#include "push/index.hpp"

#include <gtest/gtest.h>

#include <random>

#include "push/flat_map.hpp"
#include "push_test_util.hpp"

namespace dnspush::push {
namespace {

using test::name;
using test::sub;
using wire::RRClass;
using wire::RRType;

TEST(FlatMap64, InsertFindEraseAgainstAReference) {
  detail::FlatMap64 m;
  std::unordered_map<std::uint64_t, std::uint32_t> ref;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200000; ++i) {
    // Few distinct keys, so erases hit and probe runs wrap and shift.
    const std::uint64_t key = (rng() % 4096) << (rng() % 2 ? 32 : 0);
    if (rng() % 3 == 0) {
      EXPECT_EQ(m.erase(key), ref.erase(key) == 1);
    } else {
      const auto v = static_cast<std::uint32_t>(rng());
      m.insert(key, v);
      ref[key] = v;
    }
    if (i % 1000 == 0) {
      ASSERT_EQ(m.size(), ref.size());
      for (const auto& [k, v] : ref) ASSERT_EQ(m.find(k), v);
    }
  }
  // ~0 (the empty-slot marker) is a key like any other.
  EXPECT_FALSE(m.find(~std::uint64_t{0}).has_value());
  m.insert(~std::uint64_t{0}, 42);
  EXPECT_EQ(m.find(~std::uint64_t{0}), 42u);
  EXPECT_EQ(m.size(), ref.size() + 1);
  EXPECT_TRUE(m.erase(~std::uint64_t{0}));
  EXPECT_FALSE(m.erase(~std::uint64_t{0}));
  for (const auto& [k, v] : ref) EXPECT_TRUE(m.erase(k));
  EXPECT_EQ(m.size(), 0u);
  EXPECT_FALSE(m.find(1).has_value());
  // Shrinks back once empty (hysteresis at 1/8).
  EXPECT_LE(m.memory_bytes(), 16u * 12);
}

TEST(SubscriptionIndex, SessionsShareGroupsPerNameTypeClass) {
  SubscriptionIndex ix;
  const auto a = ix.open(SessionId{1});
  const auto b = ix.open(SessionId{2});
  EXPECT_EQ(ix.open(SessionId{1}), a);
  const auto s1 = ix.add(a, sub("_ipp._tcp.example.com.", RRType::PTR), 1, 5, 2);
  const auto s2 = ix.add(b, sub("_IPP._tcp.example.com.", RRType::PTR), 9, 6, 2);
  const auto s3 = ix.add(b, sub("_ipp._tcp.example.com.", RRType::ANY), 10, 6, 2);
  EXPECT_EQ(ix.sub(s1).group, ix.sub(s2).group);  // case-insensitive (RFC 8765 §6.2.1)
  EXPECT_NE(ix.sub(s1).group, ix.sub(s3).group);
  EXPECT_EQ(ix.names(), 1u);
  EXPECT_EQ(ix.groups(), 2u);
  EXPECT_EQ(ix.subscriptions(), 3u);
  EXPECT_EQ(ix.sub(s2).version, 6u);
  EXPECT_TRUE(ix.check());

  EXPECT_EQ(ix.find_by_message_id(b, 9), s2);
  EXPECT_EQ(ix.find_by_message_id(a, 9), std::nullopt);  // message ids are per session
  EXPECT_EQ(ix.find(b, sub("_ipp._TCP.example.com.", RRType::ANY)), s3);
  EXPECT_EQ(ix.find(a, sub("_ipp._tcp.example.com.", RRType::ANY)), std::nullopt);
  EXPECT_EQ(ix.find(a, sub("_ipp._tcp.example.com.", RRType::PTR, RRClass::ANY)), std::nullopt);

  ix.remove(s1);
  EXPECT_TRUE(ix.check());
  EXPECT_EQ(ix.groups(), 2u);  // b still has the PTR group
  ix.close(SessionId{2});
  EXPECT_TRUE(ix.check());
  EXPECT_EQ(ix.subscriptions(), 0u);
  EXPECT_EQ(ix.groups(), 0u);
  EXPECT_EQ(ix.names(), 0u);
  EXPECT_EQ(ix.sessions(), 1u);
  EXPECT_EQ(ix.find_name(name("_ipp._tcp.example.com.")), nullptr);
}

TEST(SubscriptionIndex, SlotsAreReusedAndStayConsistentUnderChurn) {
  SubscriptionIndex ix;
  std::mt19937 rng(3);
  std::vector<std::vector<std::pair<std::uint16_t, Subscribe>>> live(20);
  for (int step = 0; step < 20000; ++step) {
    const auto s = static_cast<std::uint64_t>(rng() % live.size());
    auto& mine = live[s];
    const int op = static_cast<int>(rng() % 10);
    if (op < 6) {
      const Subscribe key =
          sub("n" + std::to_string(rng() % 30) + ".example.", rng() % 2 ? RRType::A : RRType::ANY);
      const auto slot = ix.open(SessionId{s});
      if (ix.find(slot, key)) continue;
      const auto id = static_cast<std::uint16_t>(1 + rng() % 500);
      if (ix.find_by_message_id(slot, id)) continue;
      ix.add(slot, key, id, 1, 1);
      mine.emplace_back(id, key);
    } else if (op < 9 && !mine.empty()) {
      const std::size_t k = rng() % mine.size();
      const auto slot = ix.find_session(SessionId{s});
      ASSERT_TRUE(slot.has_value());
      const auto id = ix.find_by_message_id(*slot, mine[k].first);
      ASSERT_TRUE(id.has_value());
      EXPECT_EQ(ix.find(*slot, mine[k].second), id);
      ix.remove(*id);
      mine.erase(mine.begin() + static_cast<long>(k));
    } else {
      ix.close(SessionId{s});
      mine.clear();
    }
    if (step % 500 == 0) {
      ASSERT_TRUE(ix.check()) << step;
    }
  }
  std::size_t total = 0;
  for (const auto& m : live) total += m.size();
  EXPECT_EQ(ix.subscriptions(), total);
  EXPECT_TRUE(ix.check());
}

}  // namespace
}  // namespace dnspush::push
