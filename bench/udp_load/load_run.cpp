#include "load_run.hpp"

#include <poll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <vector>

#include "in_flight.hpp"

namespace dnspush::bench {
namespace {

constexpr std::uint32_t kBatch = 64;  // datagrams per sendmmsg / recvmmsg
// An answer larger than this is still counted (MSG_TRUNC gives its real size); only its
// header and question are read, and no server here answers above dnsperf's 4096.
constexpr std::size_t kAnswerBuffer = 4096;
// Socket buffers asked for (the kernel caps them at net.core.[rw]mem_max): a full window
// of answers queued on one socket must not overflow the default ~200 KB, or the
// generator, not the server, would lose them.
constexpr int kSocketBuffer = 4 << 20;

std::int64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

double cpu_seconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

std::string errno_text(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

struct Socket {
  int fd = -1;
  std::uint32_t limit = 0;  // this socket's share of the window
  bool blocked = false;     // the last send found the socket buffer full: wait for POLLOUT
  InFlight in_flight;
};

class Loader {
 public:
  Loader(const LoadConfig& config, const QuerySet& queries)
      : config_(config), queries_(queries), timeout_ns_(config.timeout.count()) {}

  ~Loader() {
    for (auto& s : sockets_) {
      if (s->fd >= 0) ::close(s->fd);
    }
  }

  Result<void> open() {
    const std::uint32_t n = std::max<std::uint32_t>(1, std::min(config_.sockets, config_.window));
    for (std::uint32_t i = 0; i < n; ++i) {
      auto s = std::make_unique<Socket>();
      s->limit = config_.window / n + (i < config_.window % n ? 1 : 0);
      s->fd = ::socket(config_.server.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (s->fd < 0) return fail(Errc::kIo, errno_text("socket"));
      // Best effort: a smaller buffer still works, and the kernel says nothing when it caps.
      ::setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &kSocketBuffer, sizeof kSocketBuffer);
      ::setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &kSocketBuffer, sizeof kSocketBuffer);
      // Connected: the kernel drops datagrams from anyone but the server and reports the
      // server's ICMP errors on the socket.
      if (::connect(s->fd, reinterpret_cast<const sockaddr*>(&config_.server),
                    config_.server_len) != 0) {
        return fail(Errc::kIo, errno_text("connect"));
      }
      sockets_.push_back(std::move(s));
    }
    pollfds_.resize(sockets_.size());
    for (std::size_t i = 0; i < sockets_.size(); ++i) pollfds_[i].fd = sockets_[i]->fd;
    answers_.resize(kBatch * kAnswerBuffer);
    for (std::uint32_t k = 0; k < kBatch; ++k) {
      recv_iov_[k] = {answers_.data() + k * kAnswerBuffer, kAnswerBuffer};
      recv_msgs_[k] = {};
      recv_msgs_[k].msg_hdr.msg_iov = &recv_iov_[k];
      recv_msgs_[k].msg_hdr.msg_iovlen = 1;
      send_msgs_[k] = {};
      send_msgs_[k].msg_hdr.msg_iov = send_iov_[k];
      send_msgs_[k].msg_hdr.msg_iovlen = 2;
    }
    return {};
  }

  LoadCounters run() {
    rusage usage0{};
    ::getrusage(RUSAGE_SELF, &usage0);
    const std::int64_t start = now_ns();
    const std::int64_t stop_sending = start + config_.duration.count();
    last_answer_ = start;
    for (;;) {
      std::int64_t now = now_ns();
      const bool sending = now < stop_sending;
      if (!sending && in_flight() == 0) break;
      // After the last send the wait is bounded by the timeout: by then every query is
      // answered or lost.
      if (!sending && now >= stop_sending + timeout_ns_) break;
      if (sending) {
        for (auto& s : sockets_) refill(*s);
      }
      wait(now, sending ? stop_sending : stop_sending + timeout_ns_);
      for (std::size_t i = 0; i < sockets_.size(); ++i) {
        if ((pollfds_[i].revents & (POLLIN | POLLERR)) != 0) receive(*sockets_[i]);
        if ((pollfds_[i].revents & POLLOUT) != 0) sockets_[i]->blocked = false;
      }
      now = now_ns();
      for (auto& s : sockets_) c_.lost += s->in_flight.expire(now - timeout_ns_);
    }
    for (auto& s : sockets_) c_.lost += s->in_flight.count();
    const std::int64_t end = std::max(last_answer_, std::min(now_ns(), stop_sending));
    c_.run_seconds = static_cast<double>(end - start) / 1e9;
    rusage usage1{};
    ::getrusage(RUSAGE_SELF, &usage1);
    c_.cpu_user_seconds = cpu_seconds(usage1.ru_utime) - cpu_seconds(usage0.ru_utime);
    c_.cpu_system_seconds = cpu_seconds(usage1.ru_stime) - cpu_seconds(usage0.ru_stime);
    return std::move(c_);
  }

 private:
  std::uint64_t in_flight() const {
    std::uint64_t n = 0;
    for (const auto& s : sockets_) n += s->in_flight.count();
    return n;
  }

  // Sends queries until the socket's share of the window is in flight, the socket buffer
  // is full, or the next ID is still busy.
  void refill(Socket& s) {
    if (s.blocked) return;
    for (int refused_retries = 0;;) {
      const std::uint32_t room = std::min(s.limit - std::min(s.limit, s.in_flight.count()),
                                          s.in_flight.free_in_sequence());
      if (room == 0) return;
      const std::uint32_t n = std::min(room, kBatch);
      const std::uint16_t id0 = s.in_flight.next_id();
      std::size_t q = cursor_;
      for (std::uint32_t k = 0; k < n; ++k) {
        const std::uint16_t id = static_cast<std::uint16_t>(id0 + k);
        ids_[k][0] = static_cast<std::uint8_t>(id >> 8);
        ids_[k][1] = static_cast<std::uint8_t>(id);
        const auto wire = queries_.wire(q);
        // The ID from its own two bytes, the rest straight from the encoded query: no copy.
        send_iov_[k][0] = {ids_[k], 2};
        send_iov_[k][1] = {const_cast<std::uint8_t*>(wire.data()) + 2, wire.size() - 2};
        batch_query_[k] = static_cast<std::uint32_t>(q);
        if (++q == queries_.size()) q = 0;
      }
      const std::int64_t sent_at = now_ns();
      const int r = ::sendmmsg(s.fd, send_msgs_, n, 0);
      ++c_.send_calls;
      if (r < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
          s.blocked = true;
          return;
        }
        if (errno == ECONNREFUSED && ++refused_retries <= 4) {
          // An ICMP error for an earlier datagram, reported (and cleared) by this call;
          // nothing of this batch went out. The query it was for will time out.
          ++c_.refused;
          continue;
        }
        ++c_.send_errors;
        if (c_.first_error.empty()) c_.first_error = errno_text("sendmmsg");
        return;
      }
      for (int k = 0; k < r; ++k) {
        s.in_flight.add(sent_at, batch_query_[k]);
        c_.request_bytes += send_iov_[k][0].iov_len + send_iov_[k][1].iov_len;
      }
      c_.sent += static_cast<std::uint64_t>(r);
      cursor_ = (cursor_ + static_cast<std::size_t>(r)) % queries_.size();
      if (static_cast<std::uint32_t>(r) < n) {  // the socket buffer filled up
        s.blocked = true;
        return;
      }
    }
  }

  // Waits for answers (or room to send) until the oldest query's timeout or `until`.
  void wait(std::int64_t now, std::int64_t until) {
    std::int64_t deadline = until;
    for (std::size_t i = 0; i < sockets_.size(); ++i) {
      Socket& s = *sockets_[i];
      pollfds_[i].events = static_cast<short>(POLLIN | (s.blocked ? POLLOUT : 0));
      pollfds_[i].revents = 0;
      if (s.in_flight.count() > 0) {
        deadline = std::min(deadline, s.in_flight.oldest_sent_ns() + timeout_ns_);
      }
    }
    const std::int64_t wait_ns = std::max<std::int64_t>(0, deadline - now);
    const timespec ts{static_cast<time_t>(wait_ns / 1'000'000'000),
                      static_cast<long>(wait_ns % 1'000'000'000)};
    ++c_.poll_calls;
    if (::ppoll(pollfds_.data(), pollfds_.size(), &ts, nullptr) < 0 && errno != EINTR) {
      if (c_.first_error.empty()) c_.first_error = errno_text("ppoll");
    }
  }

  // Reads one batch of answers: one per socket and wake-up, so that sending keeps up.
  void receive(Socket& s) {
    int r = ::recvmmsg(s.fd, recv_msgs_, kBatch, MSG_DONTWAIT | MSG_TRUNC, nullptr);
    if (r < 0 && errno == ECONNREFUSED) {
      ++c_.refused;  // the pending ICMP error, cleared by reading it; then the data
      r = ::recvmmsg(s.fd, recv_msgs_, kBatch, MSG_DONTWAIT | MSG_TRUNC, nullptr);
    }
    if (r < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNREFUSED &&
          c_.first_error.empty()) {
        c_.first_error = errno_text("recvmmsg");
      }
      return;
    }
    const std::int64_t received_at = now_ns();
    ++c_.receive_calls;
    for (int k = 0; k < r; ++k) {
      const std::size_t size = recv_msgs_[k].msg_len;  // the real size, with MSG_TRUNC
      const std::span<const std::uint8_t> answer(answers_.data() + k * kAnswerBuffer,
                                                 std::min(size, kAnswerBuffer));
      answered(s, answer, size, received_at);
    }
  }

  void answered(Socket& s, std::span<const std::uint8_t> answer, std::size_t size,
                std::int64_t received_at) {
    if (answer.size() < 12) {
      ++c_.unexpected;
      return;
    }
    const auto id = static_cast<std::uint16_t>(answer[0] << 8 | answer[1]);
    InFlight::Slot* slot = s.in_flight.find(id);
    if (slot == nullptr) {
      ++c_.unexpected;
      return;
    }
    const bool qr = (answer[2] & 0x80) != 0;
    if (!qr || !queries_.question_matches(slot->query, answer)) {
      // Not this query's answer: it stays in flight (its own answer may still come).
      ++c_.mismatched;
      return;
    }
    c_.latency.add(received_at - slot->sent_ns);
    ++c_.rcodes[answer[3] & 0x0f];
    if ((answer[2] & 0x02) != 0) ++c_.truncated;
    c_.response_bytes += size;
    ++c_.completed;
    last_answer_ = received_at;
    s.in_flight.complete(slot);
  }

  const LoadConfig& config_;
  const QuerySet& queries_;
  const std::int64_t timeout_ns_;
  std::vector<std::unique_ptr<Socket>> sockets_;  // InFlight is 1 MiB: on the heap, once
  std::vector<pollfd> pollfds_;
  std::size_t cursor_ = 0;  // the next query of the file: sent in order, looping
  std::int64_t last_answer_ = 0;
  LoadCounters c_;

  // The batch buffers, reused for every batch.
  mmsghdr send_msgs_[kBatch];
  iovec send_iov_[kBatch][2];
  std::uint8_t ids_[kBatch][2];
  std::uint32_t batch_query_[kBatch];
  mmsghdr recv_msgs_[kBatch];
  iovec recv_iov_[kBatch];
  std::vector<std::uint8_t> answers_;
};

}  // namespace

Result<LoadCounters> run_load(const LoadConfig& config, const QuerySet& queries) {
  if (config.window == 0 || config.sockets == 0 || queries.size() == 0) {
    return fail(Errc::kInvalidConfig, "window, sockets and queries must not be empty");
  }
  auto loader = std::make_unique<Loader>(config, queries);
  if (auto r = loader->open(); !r) return tl::unexpected(r.error());
  return loader->run();
}

}  // namespace dnspush::bench
