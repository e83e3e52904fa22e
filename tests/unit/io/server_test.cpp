#include "io/server.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "io/client.hpp"
#include "test_util.hpp"

namespace dnspush::io {
namespace {

using namespace std::chrono_literals;
using test::Bytes;

TEST(Server, BindsPortZeroAndReportsTheChosenPorts) {
  auto s = test::start_server({});
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(s->bound().size(), 2u);
  EXPECT_EQ(s->bound()[0].protocol, "udp");
  EXPECT_EQ(s->bound()[1].protocol, "tcp");
  EXPECT_NE(s->bound()[0].endpoint.port, 0);
  EXPECT_EQ(s->bound()[0].endpoint.port, s->bound()[1].endpoint.port);
}

TEST(Server, UdpRoundTrip) {
  auto s = test::start_server({});
  ASSERT_NE(s, nullptr);
  ExchangeOptions o;
  o.port = test::port_of(*s, "udp");
  o.timeout = 3s;
  auto r = send_query(o, test::make_query(0x1234));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(test::id_of(*r), 0x1234);
  EXPECT_TRUE((*r)[2] & 0x80);
  EXPECT_EQ(r->at(12), static_cast<std::uint8_t>(auth::Transport::kUdp));
}

TEST(Server, TcpRoundTripCarriesTheIdleTimeout) {
  ServerOptions opts;
  opts.tcp_idle_timeout = 7s;
  auto s = test::start_server(opts);
  ASSERT_NE(s, nullptr);
  ExchangeOptions o;
  o.port = test::port_of(*s, "tcp");
  o.transport = auth::Transport::kTcp;
  o.timeout = 3s;
  auto r = send_query(o, test::make_query(7));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(test::id_of(*r), 7);
  EXPECT_EQ(r->at(12), static_cast<std::uint8_t>(auth::Transport::kTcp));
  EXPECT_EQ(r->at(13), 7);  // tcp_idle_timeout in seconds, as the handler saw it
}

TEST(Server, TcpPipelinedQueriesInOneWriteGetThreeAnswers) {
  auto s = test::start_server({});
  ASSERT_NE(s, nullptr);
  auto fd = test::connect_tcp(test::port_of(*s, "tcp"));
  ASSERT_GE(fd.get(), 0);
  Bytes all;
  for (std::uint16_t id : {1, 2, 3}) {
    const auto f = test::frame(test::make_query(id));
    all.insert(all.end(), f.begin(), f.end());
  }
  // One write, and a frame split over two writes after it.
  ASSERT_EQ(::send(fd.get(), all.data(), all.size(), 0), static_cast<ssize_t>(all.size()));
  const auto f4 = test::frame(test::make_query(4));
  ASSERT_EQ(::send(fd.get(), f4.data(), 5, 0), 5);
  std::this_thread::sleep_for(20ms);
  ASSERT_EQ(::send(fd.get(), f4.data() + 5, f4.size() - 5, 0), static_cast<ssize_t>(f4.size() - 5));
  const std::size_t answer = 2 + 12 + 2;
  const auto got = test::read_for(fd.get(), 4 * answer, 3s, nullptr);
  const auto msgs = test::unframe(got);
  ASSERT_EQ(msgs.size(), 4u);
  std::vector<std::uint16_t> ids;
  for (const auto& m : msgs) ids.push_back(test::id_of(m));
  std::sort(ids.begin(), ids.end());  // RFC 7766 §6.2.1.1: any order
  EXPECT_EQ(ids, (std::vector<std::uint16_t>{1, 2, 3, 4}));
}

TEST(Server, IdleTimeoutClosesTheConnection) {
  ServerOptions opts;
  opts.tcp_idle_timeout = 200ms;
  auto s = test::start_server(opts);
  ASSERT_NE(s, nullptr);
  auto fd = test::connect_tcp(test::port_of(*s, "tcp"));
  ASSERT_GE(fd.get(), 0);
  const auto start = std::chrono::steady_clock::now();
  bool eof = false;
  const auto got = test::read_for(fd.get(), 1, 3s, &eof);
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(got.empty());
  EXPECT_TRUE(eof);
  EXPECT_GE(waited, 150ms);
  EXPECT_LT(waited, 2s);
}

TEST(Server, ActivityKeepsTheConnectionOpen) {
  ServerOptions opts;
  opts.tcp_idle_timeout = 300ms;
  auto s = test::start_server(opts);
  ASSERT_NE(s, nullptr);
  auto fd = test::connect_tcp(test::port_of(*s, "tcp"));
  ASSERT_GE(fd.get(), 0);
  for (std::uint16_t i = 0; i < 4; ++i) {  // 4 x 150 ms > the idle timeout
    std::this_thread::sleep_for(150ms);
    const auto f = test::frame(test::make_query(i));
    ASSERT_EQ(::send(fd.get(), f.data(), f.size(), MSG_NOSIGNAL), static_cast<ssize_t>(f.size()));
    const auto got = test::read_for(fd.get(), 16, 2s, nullptr);
    ASSERT_EQ(got.size(), 16u) << "query " << i;
  }
}

TEST(Server, PerAddressLimitClosesTheNewestConnection) {
  ServerOptions opts;
  opts.max_connections_per_address = 2;
  auto s = test::start_server(opts);
  ASSERT_NE(s, nullptr);
  const auto port = test::port_of(*s, "tcp");
  auto a = test::connect_tcp(port);
  auto b = test::connect_tcp(port);
  ASSERT_GE(a.get(), 0);
  ASSERT_GE(b.get(), 0);
  // Let the server accept both before the third arrives.
  for (int i = 0; i < 100 && s->connection_count() < 2; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(s->connection_count(), 2u);
  auto c = test::connect_tcp(port);  // the kernel accepts it; the server closes it
  ASSERT_GE(c.get(), 0);
  bool eof = false;
  const auto got = test::read_for(c.get(), 1, 3s, &eof);
  EXPECT_TRUE(got.empty());
  EXPECT_TRUE(eof);
  for (const auto* fd : {&a, &b}) {
    const auto f = test::frame(test::make_query(9));
    ASSERT_EQ(::send(fd->get(), f.data(), f.size(), MSG_NOSIGNAL), static_cast<ssize_t>(f.size()));
    EXPECT_EQ(test::read_for(fd->get(), 16, 2s, nullptr).size(), 16u);
  }
  EXPECT_EQ(s->connection_count(), 2u);
}

TEST(Server, ClientThatDoesNotReadIsClosedAtThePendingBound) {
  ServerOptions opts;
  opts.max_pending_bytes = 100000;
  Handler big = [](std::span<const std::uint8_t> q, const auth::QueryContext&, Bytes& out) {
    out.assign(60000, 0);
    std::copy(q.begin(), q.begin() + 2, out.begin());
    return true;
  };
  auto s = test::start_server(opts, big);
  ASSERT_NE(s, nullptr);
  auto fd = test::connect_tcp(test::port_of(*s, "tcp"));
  ASSERT_GE(fd.get(), 0);
  int small = 4096;  // keep the kernel from absorbing everything
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  constexpr int kQueries = 400;  // 24 MB of answers if none were dropped
  Bytes all;
  for (int i = 0; i < kQueries; ++i) {
    const auto f = test::frame(test::make_query(static_cast<std::uint16_t>(i)));
    all.insert(all.end(), f.begin(), f.end());
  }
  ASSERT_EQ(::send(fd.get(), all.data(), all.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(all.size()));
  std::this_thread::sleep_for(300ms);
  bool eof = false;
  const auto got = test::read_for(fd.get(), std::size_t{kQueries} * 60002, 5s, &eof);
  EXPECT_TRUE(eof);
  EXPECT_LT(got.size(), std::size_t{kQueries} * 60002);
}

TEST(Server, TwoWorkersShareOnePort) {
  ServerOptions opts;
  opts.workers = 2;
  auto s = test::start_server(opts);
  ASSERT_NE(s, nullptr);
  ExchangeOptions o;
  o.port = test::port_of(*s, "tcp");
  o.transport = auth::Transport::kTcp;
  o.timeout = 3s;
  for (std::uint16_t i = 0; i < 8; ++i) {
    auto r = send_query(o, test::make_query(i));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(test::id_of(*r), i);
  }
}

TEST(Server, BindingAnAddressInUseFailsNamingIt) {
  auto s = test::start_server({});
  ASSERT_NE(s, nullptr);
  // A plain socket without SO_REUSEPORT holds a port; binding it again must fail.
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ServerOptions o;
  o.dns.push_back(*Endpoint::parse("127.0.0.1:" + std::to_string(ntohs(a.sin_port))));
  auto r = Server::create(o, test::echo_handler());
  ::close(fd);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("127.0.0.1:"), std::string::npos) << r.error().message;
}

TEST(Server, QueriesWithoutAnAnswerTimeOutInTheClient) {
  Handler silent = [](std::span<const std::uint8_t>, const auth::QueryContext&, Bytes&) {
    return false;
  };
  auto s = test::start_server({}, silent);
  ASSERT_NE(s, nullptr);
  for (auto t : {auth::Transport::kUdp, auth::Transport::kTcp}) {
    ExchangeOptions o;
    o.port = test::port_of(*s, "tcp");
    o.transport = t;
    o.timeout = 200ms;
    const auto start = std::chrono::steady_clock::now();
    auto r = send_query(o, test::make_query(1));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "timed out");
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  }
}

TEST(Server, StopIsCleanWithOpenConnections) {
  auto s = test::start_server({});
  ASSERT_NE(s, nullptr);
  auto fd = test::connect_tcp(test::port_of(*s, "tcp"));
  ASSERT_GE(fd.get(), 0);
  for (int i = 0; i < 100 && s->connection_count() < 1; ++i) std::this_thread::sleep_for(10ms);
  s->stop();
  EXPECT_EQ(s->connection_count(), 0u);
  bool eof = false;
  test::read_for(fd.get(), 1, 2s, &eof);
  EXPECT_TRUE(eof);
}

}  // namespace
}  // namespace dnspush::io
