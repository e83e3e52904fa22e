#include "server/privileges.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

namespace dnspush::server {
namespace {

TEST(Privileges, ResolvesUserAndGroup) {
  auto r = resolve_run_as("root", "");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->uid, 0u);
  EXPECT_EQ(r->gid, 0u);
  auto g = resolve_run_as("root", "nogroup");
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_NE(g->gid, 0u);
}

TEST(Privileges, UnknownNamesAreNamed) {
  auto u = resolve_run_as("no-such-user-dnspush", "");
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().message.rfind("server.user: no user \"no-such-user-dnspush\"", 0), 0u)
      << u.error().message;
  auto g = resolve_run_as("root", "no-such-group-dnspush");
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().message.rfind("server.group: no group \"no-such-group-dnspush\"", 0), 0u)
      << g.error().message;
}

TEST(Privileges, NothingToDropWithoutUser) {
  auto r = prepare_run_as("", "", "/nonexistent/state");
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r);
}

// Not root, another account named: refused (a non-root process cannot switch).
TEST(Privileges, NonRootCannotSwitchUser) {
  if (::geteuid() == 0) GTEST_SKIP() << "runs as root; the integration test covers root";
  auto r = prepare_run_as("root", "", "/nonexistent/state");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("without being started as root"), std::string::npos);
}

}  // namespace
}  // namespace dnspush::server
