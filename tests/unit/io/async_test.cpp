// Asynchronous answers (Reply completed later, from another thread), multi-message
// streams pulled as the write queue drains, and io::Loop (timers, posts, UDP).
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "io/client.hpp"
#include "io/loop.hpp"
#include "io/server.hpp"
#include "test_util.hpp"

namespace dnspush::io {
namespace {

using namespace std::chrono_literals;
using test::Bytes;

Bytes answer_for(std::span<const std::uint8_t> q) {
  Bytes out(q.begin(), q.end());
  out[2] |= 0x80;
  return out;
}

// Answers id 1 only after id 2 was answered (from a helper thread): proves answers may
// leave out of order and that a pending reply does not block the connection.
class Deferred {
 public:
  ~Deferred() {
    {
      std::lock_guard l(m_);
      stop_ = true;
    }
    cv_.notify_all();
    if (t_.joinable()) t_.join();
  }
  AsyncHandler handler() {
    return [this](std::span<const std::uint8_t> q, const auth::QueryContext&, Reply r) {
      if (test::id_of(Bytes(q.begin(), q.end())) == 1) {
        std::lock_guard l(m_);
        held_ = std::move(r);
        held_query_.assign(q.begin(), q.end());
        return;
      }
      r.send(answer_for(q));
      std::lock_guard l(m_);
      release_ = true;
      cv_.notify_all();
    };
  }
  void run() {
    t_ = std::thread([this] {
      std::unique_lock l(m_);
      cv_.wait_for(l, 5s, [this] { return stop_ || (release_ && held_.pending()); });
      if (held_.pending()) held_.send(answer_for(held_query_));
    });
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  Reply held_;
  Bytes held_query_;
  bool release_ = false, stop_ = false;
  std::thread t_;
};

TEST(AsyncReply, TcpAnswersOutOfOrderWhileOneIsPending) {
  Deferred d;
  d.run();
  auto s = Server::create({.dns = {*Endpoint::parse("127.0.0.1:0")}}, d.handler());
  ASSERT_TRUE(s);
  (*s)->start();
  auto fd = test::connect_tcp(test::port_of(**s, "tcp"));
  ASSERT_GE(fd.get(), 0);
  Bytes both = test::frame(test::make_query(1));
  const Bytes two = test::frame(test::make_query(2));
  both.insert(both.end(), two.begin(), two.end());
  ASSERT_EQ(::send(fd.get(), both.data(), both.size(), 0), static_cast<ssize_t>(both.size()));
  auto got = test::unframe(test::read_for(fd.get(), 28, 3s, nullptr));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(test::id_of(got[0]), 2);  // the held one comes second
  EXPECT_EQ(test::id_of(got[1]), 1);
}

TEST(AsyncReply, UdpAnswerCompletedFromAnotherThread) {
  std::deque<std::thread> threads;
  std::mutex m;
  AsyncHandler h = [&](std::span<const std::uint8_t> q, const auth::QueryContext&, Reply r) {
    std::lock_guard l(m);
    threads.emplace_back([r = std::move(r), a = answer_for(q)]() mutable {
      std::this_thread::sleep_for(50ms);
      r.send(std::move(a));
    });
  };
  auto s = Server::create({.dns = {*Endpoint::parse("127.0.0.1:0")}}, h);
  ASSERT_TRUE(s);
  (*s)->start();
  ExchangeOptions o;
  o.port = test::port_of(**s, "udp");
  o.timeout = 3s;
  auto r = send_query(o, test::make_query(0x4242));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(test::id_of(*r), 0x4242);
  for (auto& t : threads) t.join();
}

TEST(AsyncReply, DroppedReplySendsNothingAndTcpStaysUsable) {
  AsyncHandler h = [](std::span<const std::uint8_t> q, const auth::QueryContext&, Reply r) {
    if (test::id_of(Bytes(q.begin(), q.end())) == 1) return;  // destroyed unanswered
    r.send(answer_for(q));
  };
  auto s = Server::create({.dns = {*Endpoint::parse("127.0.0.1:0")}}, h);
  ASSERT_TRUE(s);
  (*s)->start();
  auto fd = test::connect_tcp(test::port_of(**s, "tcp"));
  Bytes both = test::frame(test::make_query(1));
  const Bytes two = test::frame(test::make_query(2));
  both.insert(both.end(), two.begin(), two.end());
  ::send(fd.get(), both.data(), both.size(), 0);
  auto got = test::unframe(test::read_for(fd.get(), 100, 500ms, nullptr));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(test::id_of(got[0]), 2);
}

// A stream of `n` messages of `size` bytes each, counting how many were pulled.
MessageStream counted_stream(std::shared_ptr<std::atomic<int>> pulled, int n, std::size_t size) {
  return [pulled, n, size]() -> std::optional<Bytes> {
    if (pulled->load() >= n) return std::nullopt;
    Bytes m(size, 0xAB);
    const int i = pulled->fetch_add(1);
    m[0] = static_cast<std::uint8_t>(i >> 8);
    m[1] = static_cast<std::uint8_t>(i);
    return m;
  };
}

TEST(AsyncReply, StreamIsPulledAsTheClientReads) {
  auto pulled = std::make_shared<std::atomic<int>>(0);
  // 60 MB in all: far more than max_pending_bytes and than what the kernel's socket
  // buffers hold (tcp_wmem + tcp_rmem maxima, 4 + 6 MB by default).
  constexpr int kMessages = 1000;
  constexpr std::size_t kSize = 60000;
  AsyncHandler h = [&](std::span<const std::uint8_t>, const auth::QueryContext&, Reply r) {
    r.send_stream(counted_stream(pulled, kMessages, kSize));
  };
  ServerOptions so{.dns = {*Endpoint::parse("127.0.0.1:0")}};
  so.max_pending_bytes = 65537;
  auto s = Server::create(so, h);
  ASSERT_TRUE(s);
  (*s)->start();
  auto fd = test::connect_tcp(test::port_of(**s, "tcp"));
  const Bytes q = test::frame(test::make_query(9));
  ::send(fd.get(), q.data(), q.size(), 0);
  std::this_thread::sleep_for(300ms);
  // Not read yet: the server holds only what the socket buffers and the low-water mark
  // allow, not the whole stream.
  EXPECT_LT(pulled->load(), kMessages / 2);
  Bytes all;
  bool eof = false;
  all.reserve(kMessages * (kSize + 2));
  for (int i = 0; i < 100 && all.size() < kMessages * (kSize + 2); ++i) {
    auto got = test::read_for(fd.get(), kMessages * (kSize + 2) - all.size(), 100ms, &eof);
    all.insert(all.end(), got.begin(), got.end());
    if (eof) break;
  }
  auto msgs = test::unframe(all);
  ASSERT_EQ(msgs.size(), static_cast<std::size_t>(kMessages));
  for (int i = 0; i < kMessages; ++i) {
    EXPECT_EQ(test::id_of(msgs[i]), i);
  }
}

TEST(AsyncReply, UdpSendsTheFirstMessageOfAStream) {
  AsyncHandler h = [](std::span<const std::uint8_t> q, const auth::QueryContext&, Reply r) {
    auto n = std::make_shared<int>(0);
    r.send_stream([n, a = answer_for(q)]() -> std::optional<Bytes> {
      if ((*n)++ > 0) return std::nullopt;
      return a;
    });
  };
  auto s = Server::create({.dns = {*Endpoint::parse("127.0.0.1:0")}}, h);
  ASSERT_TRUE(s);
  (*s)->start();
  ExchangeOptions o;
  o.port = test::port_of(**s, "udp");
  o.timeout = 3s;
  auto r = send_query(o, test::make_query(77));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(test::id_of(*r), 77);
}

TEST(AsyncReply, CompletingAfterStopDoesNothing) {
  Reply kept;
  std::mutex m;
  AsyncHandler h = [&](std::span<const std::uint8_t>, const auth::QueryContext&, Reply r) {
    std::lock_guard l(m);
    kept = std::move(r);
  };
  auto s = Server::create({.dns = {*Endpoint::parse("127.0.0.1:0")}}, h);
  ASSERT_TRUE(s);
  (*s)->start();
  ExchangeOptions o;
  o.port = test::port_of(**s, "udp");
  o.timeout = 300ms;
  EXPECT_FALSE(send_query(o, test::make_query(5)));
  (*s)->stop();
  std::lock_guard l(m);
  EXPECT_TRUE(kept.pending());
  kept.send(Bytes(12, 0));  // must not touch the destroyed loop
  EXPECT_FALSE(kept.pending());
}

TEST(Loop, PostsTimersAndCancels) {
  Loop loop;
  loop.start();
  std::atomic<int> posted{0}, fired{0}, cancelled{0};
  loop.post([&] { ++posted; });
  loop.post([&] {
    loop.schedule(std::chrono::steady_clock::now() + 20ms, [&] { ++fired; });
    auto id = loop.schedule(std::chrono::steady_clock::now() + 30ms, [&] { ++cancelled; });
    loop.cancel(id);
  });
  for (int i = 0; i < 100 && fired.load() == 0; ++i) std::this_thread::sleep_for(10ms);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(posted.load(), 1);
  EXPECT_EQ(fired.load(), 1);
  EXPECT_EQ(cancelled.load(), 0);
  loop.stop();
  loop.post([&] { ++posted; });  // dropped after stop
  EXPECT_EQ(posted.load(), 1);
}

TEST(Loop, UdpSendAndReceive) {
  // Two loops talk to each other over loopback.
  Loop a, b;
  std::atomic<int> got{0};
  std::atomic<std::uint16_t> b_port{0};
  Endpoint a_seen_from;
  std::mutex m;
  ASSERT_TRUE(a.open_udp([&](const Endpoint& from, std::span<const std::uint8_t> d) {
    std::lock_guard l(m);
    a_seen_from = from;
    got += static_cast<int>(d.size());
  }));
  // b answers whatever it receives.
  ASSERT_TRUE(b.open_udp(
      [&](const Endpoint& from, std::span<const std::uint8_t> d) { b.send_udp(from, d); }));
  a.start();
  b.start();
  // Learn b's port by sending from a raw socket first.
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in self{};
  self.sin_family = AF_INET;
  self.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&self), sizeof self);
  socklen_t len = sizeof self;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&self), &len);
  Endpoint raw{"127.0.0.1", ntohs(self.sin_port), false};
  b.post([&] { b.send_udp(raw, std::vector<std::uint8_t>{1, 2, 3}); });
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 3000), 1);
  std::uint8_t buf[16];
  sockaddr_in from{};
  socklen_t flen = sizeof from;
  ASSERT_EQ(::recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &flen), 3);
  b_port = ntohs(from.sin_port);
  ::close(fd);
  a.post([&] { a.send_udp({"127.0.0.1", b_port.load(), false}, std::vector<std::uint8_t>{9, 9}); });
  for (int i = 0; i < 300 && got.load() == 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(got.load(), 2);
  std::lock_guard l(m);
  EXPECT_EQ(a_seen_from.address, "127.0.0.1");
  EXPECT_EQ(a_seen_from.port, b_port.load());
}

}  // namespace
}  // namespace dnspush::io
