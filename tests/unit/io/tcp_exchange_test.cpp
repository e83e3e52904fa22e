// io::TcpExchange against a blocking peer on 127.0.0.1: the request goes out with its length
// prefix, answer messages come back whole however the peer splits its writes, the caller
// ends the exchange by returning false, and failures (refused, closed early) and cancel()
// behave as the header says. Every wait is bounded.
#include "io/tcp_exchange.hpp"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "test_util.hpp"

namespace dnspush::io {
namespace {

using Bytes = std::vector<std::uint8_t>;

// A listening socket on 127.0.0.1 whose one connection a thread serves with `serve`.
struct Peer {
  int fd = -1;
  std::uint16_t port = 0;
  std::thread thread;

  explicit Peer(std::function<void(int)> serve) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    EXPECT_EQ(::listen(fd, 4), 0);
    thread = std::thread([this, serve = std::move(serve)] {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 5000) != 1) return;
      const int c = ::accept(fd, nullptr, nullptr);
      if (c < 0) return;
      serve(c);
      ::close(c);
    });
  }
  ~Peer() {
    thread.join();
    ::close(fd);
  }
};

Bytes read_exact(int fd, std::size_t n) {
  Bytes b(n);
  std::size_t got = 0;
  while (got < n) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) != 1) break;
    const ssize_t r = ::recv(fd, b.data() + got, n - got, 0);
    if (r <= 0) break;
    got += static_cast<std::size_t>(r);
  }
  b.resize(got);
  return b;
}

Bytes framed(const Bytes& m) {
  Bytes b(m.size() + 2);
  b[0] = static_cast<std::uint8_t>(m.size() >> 8);
  b[1] = static_cast<std::uint8_t>(m.size());
  std::copy(m.begin(), m.end(), b.begin() + 2);
  return b;
}

Endpoint local(std::uint16_t port) {
  return Endpoint{"127.0.0.1", port, false};
}

TEST(TcpExchange, SendsTheRequestAndHandsOutWholeMessages) {
  std::promise<Bytes> request;
  const Bytes m1(300, 0xA1), m2(70000 - 65536 + 12, 0xB2), m3(20, 0xC3);
  Peer peer([&](int c) {
    auto head = read_exact(c, 2);
    const std::size_t n = head.size() == 2 ? (std::size_t{head[0]} << 8 | head[1]) : 0;
    request.set_value(read_exact(c, n));
    // Two messages and a half in one write, the rest byte by byte.
    Bytes all = framed(m1);
    for (const auto& m : {m2, m3}) {
      auto f = framed(m);
      all.insert(all.end(), f.begin(), f.end());
    }
    const std::size_t first = framed(m1).size() + framed(m2).size() + 5;
    ::send(c, all.data(), first, MSG_NOSIGNAL);
    for (std::size_t i = first; i < all.size(); ++i) ::send(c, &all[i], 1, MSG_NOSIGNAL);
    read_exact(c, 1);  // until the client closes
  });
  Loop loop;
  loop.start();
  std::promise<std::vector<Bytes>> got;
  std::promise<bool> ended;
  std::vector<Bytes> messages;
  std::shared_ptr<TcpExchange> ex;
  const Bytes req = test::make_query(0x1234);
  loop.post([&] {
    ex = TcpExchange::start(
        loop, local(peer.port), req,
        [&](std::span<const std::uint8_t> m) {
          messages.emplace_back(m.begin(), m.end());
          return messages.size() < 3;  // enough after the third
        },
        [&](Result<void> r) {
          got.set_value(messages);
          ended.set_value(r.has_value());
        });
  });
  auto f = got.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_TRUE(ended.get_future().get());
  EXPECT_EQ(request.get_future().get(), req);
  const auto ms = f.get();
  ASSERT_EQ(ms.size(), 3u);
  EXPECT_EQ(ms[0], m1);
  EXPECT_EQ(ms[1], m2);
  EXPECT_EQ(ms[2], m3);
  loop.post([&] { ex.reset(); });
  loop.stop();
}

TEST(TcpExchange, ReportsARefusedConnectionAndAnEarlyClose) {
  // A port with nothing listening: bind, read the port, close.
  std::uint16_t dead = 0;
  {
    Peer p([](int) {});
    dead = p.port;
    // Connect once so the peer thread ends.
    const int c = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(dead);
    ::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::close(c);
  }
  Peer closing([](int c) { read_exact(c, 2); });  // reads a little, then closes
  Loop loop;
  loop.start();
  std::promise<std::string> refused, closed;
  std::promise<bool> refused_sent, closed_sent;
  std::vector<std::shared_ptr<TcpExchange>> keep;
  loop.post([&] {
    keep.push_back(TcpExchange::start(
        loop, local(dead), test::make_query(1), [](auto) { return true; },
        [&](Result<void> r) {
          refused_sent.set_value(keep[0]->sent());
          refused.set_value(r ? "ok" : r.error().message);
        }));
    keep.push_back(TcpExchange::start(
        loop, local(closing.port), test::make_query(2), [](auto) { return true; },
        [&](Result<void> r) {
          closed_sent.set_value(keep[1]->sent());
          closed.set_value(r ? "ok" : r.error().message);
        }));
  });
  auto a = refused.get_future(), b = closed.get_future();
  ASSERT_EQ(a.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  ASSERT_EQ(b.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_NE(a.get().find("cannot connect"), std::string::npos);
  EXPECT_FALSE(refused_sent.get_future().get());
  // Closed with our request unread: a reset, or an orderly close.
  const std::string why = b.get();
  EXPECT_TRUE(why == "connection closed by peer" || why == "Connection reset by peer") << why;
  EXPECT_TRUE(closed_sent.get_future().get());
  loop.post([&] { keep.clear(); });
  loop.stop();
}

TEST(TcpExchange, CancelEndsItWithoutACallback) {
  std::promise<void> connected;
  Peer peer([&](int c) {
    read_exact(c, 14);
    connected.set_value();
    read_exact(c, 1);  // returns when the client closes
  });
  Loop loop;
  loop.start();
  bool called = false;
  std::shared_ptr<TcpExchange> ex;
  loop.post([&] {
    ex = TcpExchange::start(
        loop, local(peer.port), test::make_query(3), [&](auto) { return called = true; },
        [&](Result<void>) { called = true; });
  });
  auto f = connected.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  std::promise<void> cancelled;
  loop.post([&] {
    ex->cancel();
    ex->cancel();  // idempotent
    cancelled.set_value();
  });
  cancelled.get_future().wait();
  loop.stop();  // the peer's read ends: the socket was closed
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace dnspush::io
