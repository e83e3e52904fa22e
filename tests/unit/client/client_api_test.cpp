// The public API on a real (loopback) resolver: the awaitable stream with its bound, the
// callback form on the caller's io_context, and ClientThread. The resolver is a tiny UDP
// responder in the test; the protocol is poll (push and LLQ are covered against dnspushd by
// the integration tests), and LLQ's failures against a closed port and a STATIC server.
#include "client/client.hpp"

#include <gtest/gtest.h>

#include <future>

#include "client_test_util.hpp"
#include "io/asio.hpp"

namespace dnspush::client {
namespace {

using namespace test;
using io::detail::kAsTuple;

// Answers every query for www.example.test. A with `records`, anything else NXDOMAIN.
class Responder {
 public:
  explicit Responder(std::vector<wire::Record> records)
      : records_(std::move(records)), sock_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    port_ = sock_.local_endpoint().port();
    thread_ = std::thread([this] {
      asio::co_spawn(io_, serve(), asio::detached);
      io_.run();
    });
  }
  ~Responder() {
    io_.stop();
    thread_.join();
  }
  std::uint16_t port() const { return port_; }

 private:
  asio::awaitable<void> serve() {
    std::vector<std::uint8_t> buf(4096);
    for (;;) {
      asio::ip::udp::endpoint from;
      auto [ec, n] = co_await sock_.async_receive_from(asio::buffer(buf), from, kAsTuple);
      if (ec) co_return;
      auto q = wire::Message::parse(std::span(buf.data(), n));
      if (!q || q->questions.empty()) continue;
      wire::Message a = *q;
      a.header.qr = true;
      a.header.aa = true;
      a.edns.reset();
      a.header.arcount = 0;
      if (a.questions[0].name == name("www.example.test.") &&
          a.questions[0].type == wire::RRType::A) {
        a.answers = records_;
        a.header.ancount = static_cast<std::uint16_t>(records_.size());
      } else {
        a.set_rcode(wire::Rcode::NXDOMAIN);
      }
      const auto out = a.to_wire();
      co_await sock_.async_send_to(asio::buffer(out), from, kAsTuple);
    }
  }
  std::vector<wire::Record> records_;
  asio::io_context io_;
  asio::ip::udp::socket sock_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

ClientOptions poll_options(std::uint16_t port) {
  ClientOptions o;
  o.protocol = Protocol::kPoll;
  o.resolver.servers = {{"127.0.0.1", port}};
  o.resolver.timeout = std::chrono::seconds(2);
  return o;
}

const std::vector<wire::Record> kRecords = {rr("www.example.test.", 60, "A", "192.0.2.10"),
                                            rr("www.example.test.", 60, "A", "192.0.2.11"),
                                            rr("www.example.test.", 60, "A", "192.0.2.12")};

TEST(ClientApi, AwaitableStreamGivesStatusThenTheRecords) {
  Responder r(kRecords);
  asio::io_context io;
  Client c(io, poll_options(r.port()));
  auto stream = c.subscribe_stream(question("www.example.test."));
  std::vector<std::string> got;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        while (got.size() < 4) {
          auto item = co_await stream->next();
          if (!item) break;
          if (item->kind == StreamItem::Kind::kStatus) {
            got.push_back("status " + std::to_string(static_cast<int>(item->status.kind)));
          } else if (item->kind == StreamItem::Kind::kEvent) {
            got.push_back(text(item->event));
          }
        }
        EXPECT_EQ(c.answers(stream->id()).size(), 3u);
        c.stop();
      },
      asio::detached);
  io.run_for(std::chrono::seconds(10));
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0], "status " + std::to_string(static_cast<int>(Status::Kind::kPolling)));
  EXPECT_EQ(got[1], "+ www.example.test. 60 A 192.0.2.10");
  EXPECT_EQ(got[3], "+ www.example.test. 60 A 192.0.2.12");
}

TEST(ClientApi, AStreamThatFallsBehindIsResetToTheCurrentRecords) {
  Responder r(kRecords);
  asio::io_context io;
  Client c(io, poll_options(r.port()));
  auto stream = c.subscribe_stream(question("www.example.test."), /*max_queued=*/2);
  // Nobody reads until all three records (and the status lines) have been pushed.
  asio::steady_timer later(io, std::chrono::milliseconds(500));
  std::vector<StreamItem> items;
  later.async_wait([&](const std::error_code&) {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          for (int i = 0; i < 4; ++i) {
            auto item = co_await stream->next();
            if (!item) break;
            items.push_back(*item);
          }
          c.stop();
        },
        asio::detached);
  });
  io.run_for(std::chrono::seconds(10));
  ASSERT_GE(items.size(), 4u);
  EXPECT_EQ(items[0].kind, StreamItem::Kind::kReset);
  for (int i = 1; i < 4; ++i) EXPECT_EQ(items[i].kind, StreamItem::Kind::kEvent);
}

// A reader waiting on next() must not hang once the subscription is gone: unsubscribe()
// and stop() both end the stream (next() gives nullopt after what was queued).
TEST(ClientApi, UnsubscribeAndStopEndTheStream) {
  Responder r(kRecords);
  asio::io_context io;
  Client c(io, poll_options(r.port()));
  auto first = c.subscribe_stream(question("www.example.test."));
  auto second = c.subscribe_stream(question("www.example.test."));
  bool first_ended = false, second_ended = false;
  auto drain = [&](std::shared_ptr<EventStream> s, bool& ended) -> asio::awaitable<void> {
    while (co_await s->next()) {
    }
    ended = true;
  };
  asio::co_spawn(io, drain(first, first_ended), asio::detached);
  asio::co_spawn(io, drain(second, second_ended), asio::detached);
  asio::steady_timer t1(io, std::chrono::milliseconds(300));
  t1.async_wait([&](const std::error_code&) { c.unsubscribe(first->id()); });
  asio::steady_timer t2(io, std::chrono::milliseconds(600));
  t2.async_wait([&](const std::error_code&) {
    EXPECT_TRUE(first_ended);
    EXPECT_FALSE(second_ended);
    c.stop();
  });
  io.run_for(std::chrono::seconds(5));
  EXPECT_TRUE(first_ended);
  EXPECT_TRUE(second_ended);
}

TEST(ClientApi, ClientThreadRunsCallbacksOnItsOwnThread) {
  Responder r(kRecords);
  ClientThread ct(poll_options(r.port()));
  std::promise<std::thread::id> first;
  int adds = 0;
  const auto id = ct.subscribe(question("www.example.test."), [&](const RecordEvent&) {
    if (++adds == 1) first.set_value(std::this_thread::get_id());
  });
  auto f = first.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_NE(f.get(), std::this_thread::get_id());
  EXPECT_EQ(ct.answers(id).size(), 3u);
  ct.unsubscribe(id);
  EXPECT_TRUE(ct.answers(id).empty());
}

// An LLQ server on a port nobody listens on: ICMP port unreachable comes back at once on
// the connected socket, a connect failure, not three silent retransmissions.
TEST(ClientApi, LlqToAClosedPortFailsAtOnceAsConnect) {
  asio::io_context io;
  std::uint16_t port = 0;
  {
    asio::ip::udp::socket probe(io, {asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }
  ClientOptions o;
  o.protocol = Protocol::kLlq;
  o.llq_server = ServerAddress{"127.0.0.1", port};
  o.resolver.servers = {{"127.0.0.1", 9}};
  Client c(io, o);
  std::optional<Status> failed;
  c.subscribe(question("www.example.test."), {}, [&](const Status& s) {
    if (s.kind == Status::Kind::kFailed) failed = s;
  });
  io.run_for(std::chrono::seconds(2));
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->failure, FailureKind::kConnect) << failed->text;
}

// A server that answers every LLQ setup with STATIC (RFC 8764 §3.2): the zone does not do
// LLQ, so the subscription fails as unavailable (the CLI's exit 10).
TEST(ClientApi, LlqStaticIsUnavailable) {
  asio::io_context io;
  asio::ip::udp::socket server(io, {asio::ip::make_address("127.0.0.1"), 0});
  std::vector<std::uint8_t> buf(4096);
  asio::ip::udp::endpoint from;
  std::function<void()> serve = [&] {
    server.async_receive_from(asio::buffer(buf), from, [&](std::error_code ec, std::size_t n) {
      if (ec) return;
      auto m = wire::Message::parse(std::span<const std::uint8_t>(buf.data(), n));
      if (m && !m->questions.empty()) {
        wire::Header h;
        h.id = m->header.id;
        h.qr = true;
        wire::MessageBuilder b(h, 512, 64);
        b.add_question(m->questions[0]);
        wire::Edns e;
        e.options.push_back(
            llq::to_edns(llq::make_option(llq::Opcode::LLQ_SETUP, llq::ErrorCode::STATIC, 0, 0)));
        b.add_edns(e);
        auto out = b.finish();
        server.send_to(asio::buffer(out), from);
      }
      serve();
    });
  };
  serve();
  ClientOptions o;
  o.protocol = Protocol::kLlq;
  o.llq_server = ServerAddress{"127.0.0.1", server.local_endpoint().port()};
  o.resolver.servers = {{"127.0.0.1", 9}};
  Client c(io, o);
  std::optional<Status> failed;
  c.subscribe(question("www.example.test."), {}, [&](const Status& s) {
    if (s.kind == Status::Kind::kFailed) failed = s;
  });
  io.run_for(std::chrono::seconds(2));
  c.stop();
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->failure, FailureKind::kUnavailable);
  EXPECT_NE(failed->text.find("STATIC"), std::string::npos) << failed->text;
}

}  // namespace
}  // namespace dnspush::client
