// io/transport with io/send_batch on a real loopback TCP connection: a write made while
// the batch is active is reported written and leaves at the batch's end; a second write
// of the same connection flushes the first, so bytes keep their order; what the socket
// did not take is owed (owes()/unsent()) and sent ahead of later writes by flush(); a
// failed batched send is reported by the next call; shutdown and destruction send what
// waits before the FIN (and never leave the batch pointing at a dead connection).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <thread>

#include "io/send_batch.hpp"
#include "io/transport.hpp"

namespace dnspush::io::detail {
namespace {

using Bytes = std::vector<std::uint8_t>;

class TransportBatch : public ::testing::Test {
 protected:
  void SetUp() override {
    batch_ = std::make_unique<SendBatch>(16, [this](std::uint64_t tag) { woken_.push_back(tag); });
    if (!batch_->available()) GTEST_SKIP() << "io_uring is not available here";
    asio::ip::tcp::acceptor acc(ctx_,
                                asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    peer_ = std::make_unique<asio::ip::tcp::socket>(ctx_);
    peer_->connect(acc.local_endpoint());
    asio::ip::tcp::socket s(ctx_);
    acc.accept(s);
    t_ = std::make_unique<Transport>(std::move(s), nullptr);
    t_->use_batch(batch_.get(), 99);
  }
  // Everything the peer can read within `ms`.
  Bytes read_peer(int ms = 200) {
    Bytes out;
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    std::uint8_t b[65536];
    while (std::chrono::steady_clock::now() < end) {
      pollfd p{peer_->native_handle(), POLLIN, 0};
      if (::poll(&p, 1, std::min(ms, 20)) <= 0) {
        if (!out.empty()) break;
        continue;
      }
      const ssize_t n = ::recv(peer_->native_handle(), b, sizeof b, MSG_DONTWAIT);
      if (n <= 0) break;
      out.insert(out.end(), b, b + n);
    }
    return out;
  }
  static Bytes text(const char* s) { return Bytes(s, s + std::char_traits<char>::length(s)); }

  asio::io_context ctx_;
  std::unique_ptr<SendBatch> batch_;
  std::vector<std::uint64_t> woken_;
  std::unique_ptr<asio::ip::tcp::socket> peer_;
  std::unique_ptr<Transport> t_;
};

TEST_F(TransportBatch, AWriteInABatchLeavesAtItsEnd) {
  batch_->begin();
  const IoResult r = t_->write(text("hello"));
  EXPECT_EQ(r.status, IoResult::Status::kOk);
  EXPECT_EQ(r.bytes, 5u);
  EXPECT_TRUE(read_peer(50).empty());
  batch_->end();
  EXPECT_EQ(read_peer(), text("hello"));
  EXPECT_FALSE(t_->owes());
  EXPECT_EQ(batch_->sent(), 1u);
}

TEST_F(TransportBatch, ASecondWriteSendsTheFirstBeforeItself) {
  batch_->begin();
  EXPECT_EQ(t_->write(text("one,")).status, IoResult::Status::kOk);
  EXPECT_EQ(t_->write(text("two,")).status, IoResult::Status::kOk);
  EXPECT_EQ(t_->write(text("three")).status, IoResult::Status::kOk);
  batch_->end();
  EXPECT_EQ(read_peer(), text("one,two,three"));
  EXPECT_EQ(batch_->sent(), 3u);
}

TEST_F(TransportBatch, WhatTheSocketDidNotTakeIsOwedAndGoesFirst) {
  int small = 4096;
  ::setsockopt(peer_->native_handle(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  ::setsockopt(t_->socket().native_handle(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  Bytes big(128 << 10);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i * 7 + i / 4096);
  batch_->begin();
  ASSERT_EQ(t_->write(big).status, IoResult::Status::kOk);  // reported written
  batch_->end();
  ASSERT_EQ(batch_->incomplete(), 1u) << "128 KB cannot fit a socket of a few KB";
  EXPECT_EQ(woken_, std::vector<std::uint64_t>{99});
  EXPECT_TRUE(t_->owes());
  EXPECT_GT(t_->unsent(), 0u);
  // A later write must wait behind the owed bytes: it is refused until they are out.
  EXPECT_EQ(t_->write(text("after")).status, IoResult::Status::kWantWrite);
  Bytes got;
  bool sent_after = false;
  for (int i = 0; i < 20000 && got.size() < big.size() + 5; ++i) {
    Bytes chunk = read_peer(5);
    got.insert(got.end(), chunk.begin(), chunk.end());
    const IoResult f = t_->flush();
    ASSERT_NE(f.status, IoResult::Status::kError);
    if (f.status == IoResult::Status::kOk && !sent_after) {
      // Owed bytes all out: now the write goes (or waits for room, as any write).
      const IoResult w = t_->write(text("after"));
      ASSERT_NE(w.status, IoResult::Status::kError);
      sent_after = w.status == IoResult::Status::kOk;
    }
  }
  ASSERT_EQ(got.size(), big.size() + 5);
  EXPECT_TRUE(std::equal(big.begin(), big.end(), got.begin()));
  EXPECT_EQ(Bytes(got.end() - 5, got.end()), text("after"));
  EXPECT_FALSE(t_->owes());
}

TEST_F(TransportBatch, AFailedBatchedSendIsReportedByTheNextCall) {
  // The peer resets the connection; the server's side has not read that yet.
  ::setsockopt(peer_->native_handle(), SOL_SOCKET, SO_LINGER, std::array<int, 2>{1, 0}.data(),
               sizeof(int) * 2);
  peer_->close();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  batch_->begin();
  EXPECT_EQ(t_->write(text("lost")).status, IoResult::Status::kOk);
  batch_->end();
  EXPECT_EQ(batch_->incomplete(), 1u);
  EXPECT_TRUE(t_->owes());
  const IoResult f = t_->flush();
  EXPECT_EQ(f.status, IoResult::Status::kError);
  EXPECT_TRUE(f.error);
  EXPECT_EQ(t_->write(text("more")).status, IoResult::Status::kError);
}

TEST_F(TransportBatch, ShutdownSendsWhatWaitsBeforeTheFin) {
  batch_->begin();
  EXPECT_EQ(t_->write(text("last words")).status, IoResult::Status::kOk);
  t_->shutdown();
  EXPECT_FALSE(batch_->holds(1)) << "flushed by the shutdown";
  batch_->end();
  Bytes got = read_peer();
  EXPECT_EQ(got, text("last words"));
  std::uint8_t b;
  EXPECT_EQ(::recv(peer_->native_handle(), &b, 1, 0), 0) << "then the FIN";
}

TEST_F(TransportBatch, ADestroyedTransportLeavesNothingInTheBatch) {
  batch_->begin();
  EXPECT_EQ(t_->write(text("bye")).status, IoResult::Status::kOk);
  t_.reset();  // sends its entry: the batch must not keep a pointer to it
  batch_->end();
  EXPECT_EQ(read_peer(), text("bye"));
  EXPECT_EQ(batch_->sent(), 1u);
}

TEST_F(TransportBatch, OutsideABatchWritesGoStraightOut) {
  EXPECT_EQ(t_->write(text("direct")).status, IoResult::Status::kOk);
  EXPECT_EQ(read_peer(), text("direct"));
  EXPECT_EQ(batch_->sent(), 0u);
}

}  // namespace
}  // namespace dnspush::io::detail
