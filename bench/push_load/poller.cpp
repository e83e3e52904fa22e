#include "poller.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "wire/message.hpp"

namespace dnspush::bench {
namespace {

struct Fds {
  std::vector<int> fds;
  ~Fds() {
    for (int fd : fds) ::close(fd);
  }
};

}  // namespace

Result<PollCounters> run_poll(const PollConfig& cfg) {
  Fds s;
  for (std::size_t i = 0; i < cfg.sockets; ++i) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail(Errc::kIo, std::string("socket: ") + std::strerror(errno));
    s.fds.push_back(fd);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&cfg.server), sizeof cfg.server) != 0) {
      return fail(Errc::kIo, std::string("connect: ") + std::strerror(errno));
    }
  }
  // What a stub would send: one question, EDNS(0) (RFC 6891) with a 1232-byte payload.
  wire::Message q;
  q.header.qdcount = 1;
  q.questions.push_back({cfg.qname, cfg.qtype, wire::RRClass::IN});
  q.edns = wire::Edns{};
  std::vector<std::uint8_t> query = q.to_wire();

  PollCounters c;
  std::vector<pollfd> pfds;
  for (int fd : s.fds) pfds.push_back(pollfd{fd, POLLIN, 0});
  std::uint8_t buf[4096];
  const auto drain = [&] {
    for (int fd : s.fds) {
      for (;;) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        ++c.answered;
        c.bytes_received += static_cast<std::uint64_t>(n);
      }
    }
  };

  const TimePoint start = Clock::now();
  const TimePoint end = start + cfg.duration;
  const double per_ns = static_cast<double>(cfg.clients) /
                        static_cast<double>(std::chrono::nanoseconds(cfg.interval).count());
  for (TimePoint now = start; now < end; now = Clock::now()) {
    // Client k sends at start + (k mod N) * interval / N, once per interval: the number
    // due by now is elapsed * N / interval.
    const auto elapsed = std::chrono::nanoseconds(now - start).count();
    const auto due = static_cast<std::uint64_t>(static_cast<double>(elapsed) * per_ns);
    while (c.sent < due) {
      const std::uint64_t k = c.sent;
      query[0] = static_cast<std::uint8_t>(k >> 8);
      query[1] = static_cast<std::uint8_t>(k);
      const int fd = s.fds[k % s.fds.size()];
      if (::send(fd, query.data(), query.size(), 0) < 0 && c.first_error.empty()) {
        c.first_error = std::string("send: ") + std::strerror(errno);
      }
      ++c.sent;
      c.bytes_sent += query.size();
    }
    ::poll(pfds.data(), pfds.size(), 1);
    drain();
  }
  // Late answers (bounded: 500 ms).
  const TimePoint stop = Clock::now() + std::chrono::milliseconds(500);
  while (c.answered < c.sent && Clock::now() < stop) {
    ::poll(pfds.data(), pfds.size(), 10);
    drain();
  }
  c.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return c;
}

}  // namespace dnspush::bench
