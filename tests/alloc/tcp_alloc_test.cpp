// Counts heap allocations on the TCP query path in steady state (issue 12: none per
// query): a real io::Server on loopback whose fast path answers at once, queried over one
// TCP connection by a client that itself allocates nothing in the counted loop. Every
// thread of the process is counted, so this covers the worker's whole round: the read,
// the DSO session core's query event, the answer frame, the write and re-arming.
#include <sys/socket.h>

#include <array>
#include <cstring>

#include <gtest/gtest.h>

#include "../unit/io/test_util.hpp"
#include "counting_new.hpp"

namespace dnspush::io::test {
namespace {

namespace alloc = ::dnspush::test::alloc;

constexpr std::size_t kQuery = 40;  // about the size of a real query

// A fast path that answers like a responder does: into the buffer it is given.
SyncHandler answer_at_once() {
  return [](std::span<const std::uint8_t> q, const auth::QueryContext&,
            std::vector<std::uint8_t>& out) {
    out.assign(q.begin(), q.end());
    out[2] |= 0x80;
    out.resize(out.size() + 60, 0);  // room for an answer record
    return FastPath::kAnswered;
  };
}

// Sends `batch` queries in one write and reads their answers, with fixed buffers only.
bool exchange(int fd, std::size_t batch) {
  std::array<std::uint8_t, 16 * (kQuery + 2)> out{};
  for (std::size_t i = 0; i < batch; ++i) {
    std::uint8_t* f = out.data() + i * (kQuery + 2);
    f[1] = kQuery;
    f[2 + 1] = static_cast<std::uint8_t>(i);
  }
  const std::size_t len = batch * (kQuery + 2);
  if (::send(fd, out.data(), len, 0) != static_cast<ssize_t>(len)) return false;
  const std::size_t want = batch * (kQuery + 60 + 2);
  std::array<std::uint8_t, 16 * (kQuery + 60 + 2)> in{};
  std::size_t got = 0;
  for (int i = 0; i < 1000 && got < want; ++i) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 2000) <= 0) return false;
    const ssize_t r = ::recv(fd, in.data() + got, want - got, 0);
    if (r <= 0) return false;
    got += static_cast<std::size_t>(r);
  }
  return got == want && (in[2 + 2] & 0x80) != 0;
}

class TcpAllocations : public ::testing::TestWithParam<std::size_t> {};

TEST_P(TcpAllocations, NoneInSteadyState) {
  const std::size_t batch = GetParam();
  ServerOptions o;
  o.fast_path = answer_at_once();
  auto s = start_server(std::move(o));
  ASSERT_TRUE(s);
  Fd c = connect_tcp(port_of(*s, "tcp"));
  ASSERT_GE(c.get(), 0);
  // Warm: the session's queues, the worker's pools, Asio's recycled operations.
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(exchange(c.get(), batch));

  alloc::start_counting();
  bool ok = true;
  for (int i = 0; i < 500 && ok; ++i) ok = exchange(c.get(), batch);
  const long n = alloc::stop_counting();
  ASSERT_TRUE(ok);
  EXPECT_EQ(n, 0) << "allocations in 500 rounds of " << batch << " queries";
}

INSTANTIATE_TEST_SUITE_P(Batches, TcpAllocations, ::testing::Values(1, 4, 16),
                         [](const ::testing::TestParamInfo<std::size_t>& i) {
                           return "batch" + std::to_string(i.param);
                         });

}  // namespace
}  // namespace dnspush::io::test
