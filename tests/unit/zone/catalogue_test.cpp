#include "zone/catalogue.hpp"

#include <gtest/gtest.h>

#include "zone_test_util.hpp"

namespace dnspush::zone {
namespace {

using test::name;

std::shared_ptr<const Zone> make(std::string_view origin) {
  return test::zone_from(test::kBaseZone, origin);
}

TEST(Catalogue, EmptyFindsNothing) {
  Catalogue c;
  EXPECT_EQ(c.find_enclosing(name("www.example.com.")), nullptr);
  EXPECT_EQ(c.find_exact(name("example.com.")), nullptr);
  EXPECT_TRUE(c.zones().empty());
}

TEST(Catalogue, FindEnclosingPicksTheLongestSuffix) {
  auto parent = make("example.com.");
  auto child = make("sub.example.com.");
  auto c = Catalogue().with(parent)->with(child);
  ASSERT_EQ(c->size(), 2u);

  auto* z = c->find_enclosing(name("www.example.com."));
  ASSERT_NE(z, nullptr);
  EXPECT_EQ(z->get(), parent.get());
  z = c->find_enclosing(name("a.b.SUB.example.com."));
  ASSERT_NE(z, nullptr);
  EXPECT_EQ(z->get(), child.get());
  z = c->find_enclosing(name("sub.example.com."));  // the origin itself
  ASSERT_NE(z, nullptr);
  EXPECT_EQ(z->get(), child.get());
  // Label boundaries matter: "xsub.example.com." is in the parent, not the child.
  z = c->find_enclosing(name("xsub.example.com."));
  ASSERT_NE(z, nullptr);
  EXPECT_EQ(z->get(), parent.get());
  EXPECT_EQ(c->find_enclosing(name("example.org.")), nullptr);
  EXPECT_EQ(c->find_enclosing(name("com.")), nullptr);
  EXPECT_EQ(c->find_enclosing(name(".")), nullptr);
}

TEST(Catalogue, FindEnclosingFollowsTheOriginsAddedAndRemoved) {
  // Only the suffix lengths some origin has are looked up: a removed zone's length is
  // forgotten, an added one's learnt, a longest (255-byte) name is bounded.
  auto deep = make("a.b.c.d.example.com.");
  auto top = make("com.");
  auto c = Catalogue().with(top)->with(deep);
  auto* z = c->find_enclosing(name("x.y.a.b.c.d.example.com."));
  ASSERT_NE(z, nullptr);
  EXPECT_EQ(z->get(), deep.get());
  z = c->find_enclosing(name("b.c.d.example.com."));
  ASSERT_NE(z, nullptr);
  EXPECT_EQ(z->get(), top.get());
  auto without_deep = c->without(name("a.b.c.d.example.com."));
  z = without_deep->find_enclosing(name("x.y.a.b.c.d.example.com."));
  ASSERT_NE(z, nullptr);
  EXPECT_EQ(z->get(), top.get());
  EXPECT_EQ(without_deep->without(name("com."))->find_enclosing(name("www.example.com.")), nullptr);
  std::string longest;
  for (int i = 0; i < 125; ++i) longest += "a.";  // 255 bytes, 126 labels
  longest += "com.";
  z = c->find_enclosing(name(longest));
  ASSERT_NE(z, nullptr);
  EXPECT_EQ(z->get(), top.get());
  // The snapshot the removal started from is unchanged.
  EXPECT_EQ(c->find_enclosing(name("x.y.a.b.c.d.example.com."))->get(), deep.get());
}

TEST(Catalogue, RootZoneEnclosesEverything) {
  auto root = make(".");
  auto c = Catalogue().with(root);
  auto* z = c->find_enclosing(name("anything.example."));
  ASSERT_NE(z, nullptr);
  EXPECT_EQ(z->get(), root.get());
  ASSERT_NE(c->find_enclosing(name(".")), nullptr);
}

TEST(Catalogue, FindExactNeedsTheOrigin) {
  auto c = Catalogue().with(make("example.com."));
  EXPECT_NE(c->find_exact(name("EXAMPLE.com.")), nullptr);
  EXPECT_EQ(c->find_exact(name("www.example.com.")), nullptr);
}

TEST(Catalogue, WithReplacesAndLeavesTheOldSnapshotAlone) {
  auto v1 = make("example.com.");
  auto v2 = make("example.com.");
  auto c1 = Catalogue().with(v1);
  auto c2 = c1->with(v2);
  EXPECT_EQ(c2->size(), 1u);
  EXPECT_EQ(c2->find_exact(name("example.com."))->get(), v2.get());
  EXPECT_EQ(c1->find_exact(name("example.com."))->get(), v1.get());

  auto c3 = c2->without(name("example.com."));
  EXPECT_EQ(c3->size(), 0u);
  EXPECT_EQ(c2->size(), 1u);
  EXPECT_EQ(c3->without(name("absent.")).get()->size(), 0u);
}

TEST(Catalogue, ZonesAreListedInCanonicalOrder) {
  auto c = Catalogue().with(make("b.example."))->with(make("example."))->with(make("a.example."));
  const auto zs = c->zones();
  ASSERT_EQ(zs.size(), 3u);
  EXPECT_EQ(zs[0]->origin(), name("example."));
  EXPECT_EQ(zs[1]->origin(), name("a.example."));
  EXPECT_EQ(zs[2]->origin(), name("b.example."));
}

// RFC 1034 §4.3.5: a secondary zone past its expire time (or not loaded yet) is marked;
// names in it, and only in it, are unavailable, whether or not its copy is held.
TEST(Catalogue, UnavailableZonesCoverTheirNamesOnly) {
  auto parent = make("example.com.");
  auto child = make("sub.example.com.");
  auto c = Catalogue().with(parent)->with(child, 7);
  EXPECT_FALSE(c->unavailable_for(name("www.sub.example.com.")));

  auto expired = c->with_unavailable(name("sub.example.com."), true);
  EXPECT_EQ(expired->version(), 7u);  // no commit: the version does not move
  EXPECT_TRUE(expired->unavailable(name("SUB.example.com.")));
  EXPECT_TRUE(expired->unavailable_for(name("www.sub.example.com.")));
  EXPECT_TRUE(expired->unavailable_for(name("sub.example.com.")));
  EXPECT_FALSE(expired->unavailable_for(name("www.example.com.")));
  EXPECT_FALSE(expired->unavailable_for(name("xsub.example.com.")));
  EXPECT_FALSE(expired->unavailable_for(name("example.net.")));
  EXPECT_NE(expired->find_exact(name("sub.example.com.")), nullptr);  // the copy is kept
  EXPECT_FALSE(c->unavailable_for(name("www.sub.example.com.")));     // c is unchanged

  // A zone with no copy at all, inside a zone we hold: its names are unavailable, not the
  // parent's.
  auto unloaded = Catalogue().with(parent)->with_unavailable(name("new.example.com."), true);
  EXPECT_TRUE(unloaded->unavailable_for(name("a.new.example.com.")));
  EXPECT_FALSE(unloaded->unavailable_for(name("a.example.com.")));
  EXPECT_EQ(unloaded->find_exact(name("new.example.com.")), nullptr);

  auto back = expired->with_unavailable(name("sub.example.com."), false);
  EXPECT_FALSE(back->unavailable_for(name("www.sub.example.com.")));
}

}  // namespace
}  // namespace dnspush::zone
