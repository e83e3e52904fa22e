#include "server/service_notify.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <future>
#include <map>
#include <string>

#include "io/server.hpp"
#include "server/config.hpp"

namespace dnspush::server {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A UNIX datagram socket the test owns, standing in for systemd's notify socket.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& name) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::memcpy(a.sun_path, name.data(), name.size());
    if (name[0] == '@')
      a.sun_path[0] = '\0';
    else
      ::unlink(name.c_str());
    const socklen_t len = offsetof(sockaddr_un, sun_path) + name.size();
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), len), 0) << std::strerror(errno);
  }
  ~NotifySocket() { ::close(fd_); }
  // The next datagram, or "" after `wait`.
  std::string next(std::chrono::milliseconds wait = 2000ms) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(wait.count())) != 1) return "";
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
  }

 private:
  int fd_ = -1;
};

ServiceNotifier::Getenv env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* k) -> const char* {
    auto it = vars.find(k);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

TEST(ServiceNotifier, NoSocketIsANoOp) {
  const auto n = ServiceNotifier::from_environment(env_of({{"WATCHDOG_USEC", "1000000"}}));
  EXPECT_FALSE(n.enabled());
  EXPECT_FALSE(n.watchdog());
  EXPECT_FALSE(n.notify("READY=1"));
}

TEST(ServiceNotifier, SendsOneDatagramToAPathSocket) {
  const fs::path path =
      fs::temp_directory_path() / ("dnspush-notify-" + std::to_string(::getpid()));
  NotifySocket s(path.string());
  const auto n = ServiceNotifier::from_environment(env_of({{"NOTIFY_SOCKET", path.string()}}));
  ASSERT_TRUE(n.enabled());
  EXPECT_TRUE(n.notify("READY=1\nSTATUS=serving"));
  EXPECT_EQ(s.next(), "READY=1\nSTATUS=serving");
  ::unlink(path.c_str());
}

TEST(ServiceNotifier, SendsToAnAbstractSocket) {
  const std::string name = "@dnspush-notify-test-" + std::to_string(::getpid());
  NotifySocket s(name);
  const auto n = ServiceNotifier::from_environment(env_of({{"NOTIFY_SOCKET", name}}));
  EXPECT_TRUE(n.notify("STOPPING=1"));
  EXPECT_EQ(s.next(), "STOPPING=1");
}

TEST(ServiceNotifier, RelativeOrOverlongPathsAreNotUsed) {
  EXPECT_FALSE(ServiceNotifier("relative/sock", {}).notify("READY=1"));
  EXPECT_FALSE(ServiceNotifier("/" + std::string(200, 'x'), {}).notify("READY=1"));
}

// sd_watchdog_enabled(3): WATCHDOG_USEC counts only for the process WATCHDOG_PID names.
TEST(ServiceNotifier, WatchdogIntervalFromTheEnvironment) {
  const std::string pid = std::to_string(::getpid());
  auto w = [](std::map<std::string, std::string> vars) {
    vars["NOTIFY_SOCKET"] = "/run/systemd/notify";
    return ServiceNotifier::from_environment(env_of(std::move(vars))).watchdog();
  };
  EXPECT_EQ(w({{"WATCHDOG_USEC", "30000000"}}), std::chrono::microseconds(30'000'000));
  EXPECT_EQ(w({{"WATCHDOG_USEC", "5000"}, {"WATCHDOG_PID", pid}}), 5000us);
  EXPECT_FALSE(w({{"WATCHDOG_USEC", "5000"}, {"WATCHDOG_PID", "1"}}));
  EXPECT_FALSE(w({{"WATCHDOG_USEC", "0"}}));
  EXPECT_FALSE(w({{"WATCHDOG_USEC", "12x"}}));
  EXPECT_FALSE(w({}));
}

// WATCHDOG=1 keeps coming while both workers run posted tasks; once one worker is stuck
// it stops (at most the ping already due goes out), and it resumes when the worker does.
TEST(ServiceWatchdog, PingsOnlyWhileEveryWorkerAnswers) {
  const std::string name = "@dnspush-watchdog-test-" + std::to_string(::getpid());
  NotifySocket s(name);
  io::ServerOptions o;
  o.dns.push_back(*io::Endpoint::parse("127.0.0.1:0"));
  o.workers = 2;
  auto server = io::Server::create(o, [](std::span<const std::uint8_t>, const auth::QueryContext&,
                                         std::vector<std::uint8_t>&) { return false; });
  ASSERT_TRUE(server) << server.error().message;
  (*server)->start();
  const ServiceNotifier n(name, 40ms);  // a ping every 20 ms
  {
    ServiceWatchdog w(n, **server);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(s.next(), "WATCHDOG=1") << i;

    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    ASSERT_TRUE((*server)->post(1, [released] { released.wait(); }));
    int after = 0;
    // What was due before the block; bounded, so a watchdog that never stops fails here.
    for (int i = 0; i < 10 && !s.next(200ms).empty(); ++i) ++after;
    EXPECT_LE(after, 2);
    EXPECT_EQ(s.next(300ms), "");  // 15 periods without a ping

    release.set_value();
    EXPECT_EQ(s.next(), "WATCHDOG=1");
  }
  (*server)->stop();
}

TEST(ServiceWatchdog, NothingWithoutAWatchdogInterval) {
  const std::string name = "@dnspush-watchdog-none-" + std::to_string(::getpid());
  NotifySocket s(name);
  io::ServerOptions o;
  o.dns.push_back(*io::Endpoint::parse("127.0.0.1:0"));
  o.workers = 1;
  auto server = io::Server::create(o, [](std::span<const std::uint8_t>, const auth::QueryContext&,
                                         std::vector<std::uint8_t>&) { return false; });
  ASSERT_TRUE(server);
  (*server)->start();
  {
    ServiceWatchdog w(ServiceNotifier(name, std::nullopt), **server);
    EXPECT_EQ(s.next(200ms), "");
  }
  (*server)->stop();
}

TEST(RunAsConfig, UserAndGroupAreParsed) {
  auto c = parse_config(
      "[server]\nuser = \"dnspushd\"\ngroup = \"dns\"\n[listen]\ndns = [\"127.0.0.1:53\"]\n",
      "/etc/dnspushd/dnspushd.toml");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->user, "dnspushd");
  EXPECT_EQ(c->group, "dns");
  auto d = parse_config("[listen]\ndns = [\"127.0.0.1:53\"]\n", "/etc/dnspushd/dnspushd.toml");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->user, "");
}

TEST(RunAsConfig, GroupWithoutUserIsAnError) {
  auto c = parse_config("[server]\ngroup = \"dns\"\n[listen]\ndns = [\"127.0.0.1:53\"]\n",
                        "/etc/dnspushd/dnspushd.toml");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("server.group: needs server.user"), std::string::npos);
}

}  // namespace
}  // namespace dnspush::server
