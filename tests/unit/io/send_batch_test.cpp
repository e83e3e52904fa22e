// io/send_batch: the sends of a slice go out together at end(), each entry to its own
// descriptor and in order; what a full socket did not take comes back to its owner as the
// exact unsent suffix, an error as an error (never SIGPIPE), and only then is anyone woken;
// a full batch flushes before it takes another entry; without io_uring nothing is batched.
#include "io/send_batch.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

namespace dnspush::io::detail {
namespace {

using Bytes = std::vector<std::uint8_t>;

// A connected stream pair: [0] sends (non-blocking), [1] receives.
struct Pair {
  int fd[2] = {-1, -1};
  Pair() {
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fd), 0);
    ::fcntl(fd[0], F_SETFL, ::fcntl(fd[0], F_GETFL) | O_NONBLOCK);
    ::fcntl(fd[1], F_SETFL, ::fcntl(fd[1], F_GETFL) | O_NONBLOCK);
  }
  ~Pair() {
    for (int f : fd) {
      if (f >= 0) ::close(f);
    }
  }
  Bytes drain() const {
    Bytes out;
    std::uint8_t b[65536];
    for (;;) {
      const ssize_t n = ::recv(fd[1], b, sizeof b, 0);
      if (n <= 0) break;
      out.insert(out.end(), b, b + n);
    }
    return out;
  }
  // Fills the sender until the socket takes no more.
  void fill() const {
    std::vector<std::uint8_t> junk(4096, 0xEE);
    for (int i = 0; i < 100000; ++i) {
      if (::send(fd[0], junk.data(), junk.size(), MSG_DONTWAIT) < 0) return;
    }
  }
};

struct Recorder : SendBatch::Owner {
  std::vector<Bytes> rests;
  std::vector<std::error_code> errors;
  void batch_incomplete(std::span<const std::uint8_t> rest, std::error_code error) override {
    rests.emplace_back(rest.begin(), rest.end());
    errors.push_back(error);
  }
};

Bytes text(const char* s) {
  return Bytes(s, s + std::char_traits<char>::length(s));
}

class SendBatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    batch_ = std::make_unique<SendBatch>(8, [this](std::uint64_t tag) { woken_.push_back(tag); });
    if (!batch_->available()) GTEST_SKIP() << "io_uring is not available here";
  }
  // One entry: `bytes` for `p`, owned by `o`.
  std::uint64_t add(const Pair& p, const Bytes& bytes, Recorder& o, std::uint64_t tag = 0) {
    const std::size_t from = batch_->prepare();
    batch_->arena().insert(batch_->arena().end(), bytes.begin(), bytes.end());
    return batch_->add(p.fd[0], from, o, tag);
  }
  std::unique_ptr<SendBatch> batch_;
  std::vector<std::uint64_t> woken_;
};

TEST_F(SendBatchTest, EntriesAreSentAtEndEachToItsOwnSocket) {
  Pair a, b;
  Recorder o;
  batch_->begin();
  EXPECT_TRUE(batch_->active());
  const auto g = add(a, text("first to a"), o);
  add(b, text("to b"), o);
  EXPECT_TRUE(batch_->holds(g));
  EXPECT_TRUE(a.drain().empty()) << "nothing leaves before the batch ends";
  batch_->end();
  EXPECT_FALSE(batch_->holds(g));
  EXPECT_FALSE(batch_->active());
  EXPECT_EQ(a.drain(), text("first to a"));
  EXPECT_EQ(b.drain(), text("to b"));
  EXPECT_EQ(batch_->sent(), 2u);
  EXPECT_EQ(batch_->incomplete(), 0u);
  EXPECT_TRUE(o.rests.empty());
  EXPECT_TRUE(woken_.empty());
}

TEST_F(SendBatchTest, NestedBeginAndEndAreOneBatch) {
  Pair a;
  Recorder o;
  batch_->begin();
  batch_->begin();
  add(a, text("x"), o);
  batch_->end();
  EXPECT_TRUE(batch_->active());
  EXPECT_TRUE(a.drain().empty());
  batch_->end();
  EXPECT_EQ(a.drain(), text("x"));
}

TEST_F(SendBatchTest, AFullSocketGivesTheWholeEntryBackAndWakesItsOwner) {
  Pair full, fine;
  full.fill();
  Recorder of, ok;
  batch_->begin();
  add(full, text("waits"), of, 41);
  add(fine, text("goes"), ok, 42);
  batch_->end();
  ASSERT_EQ(of.rests.size(), 1u);
  EXPECT_EQ(of.rests[0], text("waits"));
  EXPECT_FALSE(of.errors[0]);
  EXPECT_TRUE(ok.rests.empty());
  EXPECT_EQ(fine.drain(), text("goes"));
  EXPECT_EQ(woken_, std::vector<std::uint64_t>{41});
  EXPECT_EQ(batch_->incomplete(), 1u);
}

TEST_F(SendBatchTest, AShortSendGivesBackExactlyTheUnsentSuffix) {
  Pair p;
  int small = 4096;
  ASSERT_EQ(::setsockopt(p.fd[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
  Bytes big(1 << 20);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i * 13 + i / 256);
  Recorder o;
  batch_->begin();
  add(p, big, o, 7);
  batch_->end();
  ASSERT_EQ(o.rests.size(), 1u);
  const Bytes got = p.drain();
  ASSERT_GT(got.size(), 0u);
  ASSERT_LT(got.size(), big.size());
  Bytes joined = got;
  joined.insert(joined.end(), o.rests[0].begin(), o.rests[0].end());
  EXPECT_EQ(joined, big);
  EXPECT_EQ(woken_, std::vector<std::uint64_t>{7});
}

TEST_F(SendBatchTest, APeerThatIsGoneIsAnErrorNotASignal) {
  Pair gone, fine;
  ::close(gone.fd[1]);
  gone.fd[1] = -1;
  Recorder og, ok;
  batch_->begin();
  add(gone, text("lost"), og, 1);
  add(fine, text("kept"), ok, 2);
  batch_->end();  // a SIGPIPE would end the test process here
  ASSERT_EQ(og.errors.size(), 1u);
  EXPECT_EQ(og.errors[0], std::error_code(EPIPE, std::system_category()));
  EXPECT_TRUE(og.rests[0].empty());
  EXPECT_EQ(fine.drain(), text("kept"));
  EXPECT_EQ(woken_, std::vector<std::uint64_t>{1});
}

TEST_F(SendBatchTest, OwnersHaveTheirRestsBeforeAnyoneIsWoken) {
  Pair a, b;
  a.fill();
  b.fill();
  Recorder oa, ob;
  std::vector<std::size_t> seen_at_wake;
  batch_ = std::make_unique<SendBatch>(
      8, [&](std::uint64_t) { seen_at_wake.push_back(oa.rests.size() + ob.rests.size()); });
  batch_->begin();
  add(a, text("a"), oa, 1);
  add(b, text("b"), ob, 2);
  batch_->end();
  EXPECT_EQ(seen_at_wake, (std::vector<std::size_t>{2, 2}));
}

TEST_F(SendBatchTest, AFullBatchIsFlushedBeforeItTakesAnotherEntry) {
  std::vector<std::unique_ptr<Pair>> pairs;
  Recorder o;
  batch_->begin();
  std::uint64_t first = 0;
  for (int i = 0; i < 9; ++i) {  // one more than the ring holds
    pairs.push_back(std::make_unique<Pair>());
    const auto g = add(*pairs.back(), Bytes{static_cast<std::uint8_t>(i)}, o);
    if (i == 0) first = g;
  }
  EXPECT_FALSE(batch_->holds(first)) << "the first eight went out to make room";
  for (int i = 0; i < 8; ++i) EXPECT_EQ(pairs[i]->drain(), Bytes{static_cast<std::uint8_t>(i)});
  EXPECT_TRUE(pairs[8]->drain().empty());
  batch_->end();
  EXPECT_EQ(pairs[8]->drain(), Bytes{8});
  EXPECT_EQ(batch_->sent(), 9u);
}

TEST_F(SendBatchTest, AnEmptyEndSendsNothingAndAFlushOutsideABatchIsHarmless) {
  batch_->begin();
  batch_->end();
  batch_->flush();
  EXPECT_EQ(batch_->sent(), 0u);
}

TEST_F(SendBatchTest, AFailedRingSendsWhatItHeldOneByOneAndStopsBatching) {
  Pair a, b, full;
  full.fill();
  Recorder oa, ob, of;
  batch_->begin();
  add(a, text("first"), oa, 1);
  add(full, text("waits"), of, 2);
  add(b, text("second"), ob, 3);
  batch_->fail_ring_for_test();
  batch_->end();
  EXPECT_EQ(a.drain(), text("first"));
  EXPECT_EQ(b.drain(), text("second"));
  ASSERT_EQ(of.rests.size(), 1u);
  EXPECT_EQ(of.rests[0], text("waits"));
  EXPECT_TRUE(oa.rests.empty());
  EXPECT_EQ(woken_, std::vector<std::uint64_t>{2});
  EXPECT_FALSE(batch_->available());
  batch_->begin();
  EXPECT_FALSE(batch_->active()) << "later sends are plain send(2)";
  batch_->end();
}

TEST(SendBatchOff, ZeroEntriesNeverBatches) {
  SendBatch b(0, [](std::uint64_t) {});
  EXPECT_FALSE(b.available());
  b.begin();
  EXPECT_FALSE(b.active()) << "callers send directly";
  b.end();
}

}  // namespace
}  // namespace dnspush::io::detail
