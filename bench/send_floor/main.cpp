// send_floor: what this machine's kernel charges for a DNS Push fan-out, without dnspushd.
//
// One delivery of a PUSH is one small write to one TCP socket. This tool measures that
// alone: it opens N loopback TCP connections, forks a reader process that holds the far
// ends (epoll, reading everything), and writes `--size` bytes to each of the N sockets,
// round after round, either with one send(2) each or in io_uring batches of `--batch`
// sends (one io_uring_enter per batch), the two ways dnspushd can write a fan-out
// ([limits] send-batch). Nothing else runs: no TLS, no DNS, no allocation per send. So
// the time per send here is a floor for a server on the same machine, and the time until
// the reader has everything is a floor for "one change to all N" (BENCHMARKS.md).
//
//   send_floor [-n CONNECTIONS] [--size BYTES] [--rounds R] [--mode send|uring|both]
//              [--batch K]
//
// Per round and mode it prints one line of key=value fields; then the medians.
#include <arpa/inet.h>
#include <fcntl.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

double now_ms() {
  timespec t{};
  ::clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

double cpu_ms() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

// What the reader publishes to the writer (shared memory): per round, when it had all
// the round's bytes and its CPU time then.
struct Shared {
  std::atomic<std::uint64_t> rounds_done{0};
  double done_at_ms[1024];
  double cpu_at_ms[1024];
  double cpu_start_ms;
};

[[noreturn]] void reader(const std::vector<int>& fds, std::size_t per_round, Shared* sh) {
  const int ep = ::epoll_create1(0);
  for (int fd : fds) {
    epoll_event e{};
    e.events = EPOLLIN;
    e.data.fd = fd;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
  }
  sh->cpu_start_ms = cpu_ms();
  std::vector<epoll_event> ev(512);
  std::vector<std::uint8_t> buf(65536);
  std::size_t got = 0;
  std::uint64_t round = 0;
  for (;;) {
    const int k = ::epoll_wait(ep, ev.data(), static_cast<int>(ev.size()), 1000);
    if (k < 0 && errno != EINTR) _exit(1);
    if (::getppid() == 1) _exit(0);  // the writer is gone
    for (int i = 0; i < k; ++i) {
      const ssize_t n = ::recv(ev[i].data.fd, buf.data(), buf.size(), MSG_DONTWAIT);
      if (n == 0) _exit(0);
      if (n > 0) got += static_cast<std::size_t>(n);
    }
    while (got >= per_round && round < 1024) {
      got -= per_round;
      sh->done_at_ms[round] = now_ms();
      sh->cpu_at_ms[round] = cpu_ms();
      ++round;
      sh->rounds_done.store(round, std::memory_order_release);
    }
  }
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"send_floor: the kernel's cost of one small write to each of N TCP sockets"};
  unsigned n = 1000;
  unsigned size = 100;
  unsigned rounds = 5;
  unsigned batch = 256;
  std::string mode = "both";
  app.add_option("-n,--connections", n, "TCP connections (each end in its own process)")
      ->check(CLI::Range(1u, 9500u));
  app.add_option("--size", size, "bytes written to each connection per round")
      ->check(CLI::Range(1u, 16384u));
  app.add_option("--rounds", rounds, "rounds per mode")->check(CLI::Range(1u, 500u));
  app.add_option("--batch", batch, "sends per io_uring submission")->check(CLI::Range(1u, 4096u));
  app.add_option("--mode", mode, "send, uring or both")
      ->check(CLI::IsMember({"send", "uring", "both"}));
  CLI11_PARSE(app, argc, argv);

  std::signal(SIGPIPE, SIG_IGN);
  const int ls = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t al = sizeof a;
  if (ls < 0 || ::bind(ls, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(ls, reinterpret_cast<sockaddr*>(&a), &al) != 0 || ::listen(ls, 4096) != 0) {
    std::perror("listen");
    return 1;
  }
  std::vector<int> near(n), far(n);
  const int one = 1;
  for (unsigned i = 0; i < n; ++i) {
    far[i] = ::socket(AF_INET, SOCK_STREAM, 0);
    if (far[i] < 0 || ::connect(far[i], reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      std::perror("connect");
      return 1;
    }
    near[i] = ::accept(ls, nullptr, nullptr);
    if (near[i] < 0) {
      std::perror("accept");
      return 1;
    }
    ::setsockopt(near[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::fcntl(near[i], F_SETFL, ::fcntl(near[i], F_GETFL) | O_NONBLOCK);
  }
  ::close(ls);
  void* mem =
      ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return 1;
  auto* sh = new (mem) Shared();
  const std::size_t per_round = static_cast<std::size_t>(n) * size;
  const pid_t child = ::fork();
  if (child < 0) return 1;
  if (child == 0) {
    for (int fd : near) ::close(fd);
    reader(far, per_round, sh);
  }
  for (int fd : far) ::close(fd);

  io_uring ring{};
  const bool have_uring = io_uring_queue_init(std::min(batch, 4096u), &ring, 0) == 0;
  if (!have_uring && mode != "send") std::fprintf(stderr, "io_uring unavailable: send only\n");
  std::vector<std::uint8_t> msg(size, 0x5A);
  std::vector<std::string> modes;
  if (mode != "uring") modes.emplace_back("send");
  if (mode != "send" && have_uring) modes.emplace_back("uring");

  std::uint64_t round = 0;
  int status = 0;
  ::usleep(200000);  // the reader is in epoll_wait
  for (const auto& m : modes) {
    std::vector<double> per_send, to_all, wcpu, rcpu;
    for (unsigned r = 0; r < rounds && round < 1024; ++r, ++round) {
      const double rc0 = round == 0 ? sh->cpu_start_ms : sh->cpu_at_ms[round - 1];
      const double c0 = cpu_ms();
      const double t0 = now_ms();
      std::size_t short_sends = 0;
      if (m == "send") {
        for (unsigned i = 0; i < n; ++i) {
          if (::send(near[i], msg.data(), msg.size(), MSG_DONTWAIT | MSG_NOSIGNAL) !=
              static_cast<ssize_t>(msg.size())) {
            ++short_sends;
          }
        }
      } else {
        for (unsigned i = 0; i < n;) {
          unsigned k = 0;
          for (; i < n && k < batch; ++i, ++k) {
            io_uring_sqe* sqe = io_uring_get_sqe(&ring);
            io_uring_prep_send(sqe, near[i], msg.data(), msg.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
          }
          io_uring_submit_and_wait(&ring, k);
          for (unsigned j = 0; j < k; ++j) {
            io_uring_cqe* cqe = nullptr;
            if (io_uring_wait_cqe(&ring, &cqe) != 0) break;
            if (cqe->res != static_cast<int>(msg.size())) ++short_sends;
            io_uring_cqe_seen(&ring, cqe);
          }
        }
      }
      const double t1 = now_ms();
      const double c1 = cpu_ms();
      // Bounded wait for the reader (10 s): a lost byte must not hang the tool.
      const double give_up = now_ms() + 10000;
      while (sh->rounds_done.load(std::memory_order_acquire) <= round && now_ms() < give_up) {
        ::usleep(200);
      }
      if (sh->rounds_done.load(std::memory_order_acquire) <= round || short_sends != 0) {
        std::fprintf(stderr, "round %llu: %zu short sends, reader %s\n",
                     static_cast<unsigned long long>(round), short_sends,
                     sh->rounds_done.load() <= round ? "incomplete" : "complete");
        status = 1;
        break;
      }
      const double all = sh->done_at_ms[round] - t0;
      const double reader_cpu = sh->cpu_at_ms[round] - rc0;
      std::printf(
          "mode=%s n=%u size=%u round=%u write_ms=%.3f per_send_us=%.3f writer_cpu_ms=%.3f "
          "all_read_ms=%.3f reader_cpu_ms=%.3f\n",
          m.c_str(), n, size, r + 1, t1 - t0, (t1 - t0) * 1e3 / n, c1 - c0, all, reader_cpu);
      per_send.push_back((t1 - t0) * 1e3 / n);
      to_all.push_back(all);
      wcpu.push_back(c1 - c0);
      rcpu.push_back(reader_cpu);
      ::usleep(100000);  // the reader goes back to sleep: each round starts from a wake-up
    }
    if (!per_send.empty()) {
      std::printf(
          "median mode=%s n=%u size=%u rounds=%zu per_send_us=%.3f all_read_ms=%.3f "
          "writer_cpu_ms=%.3f reader_cpu_ms=%.3f\n",
          m.c_str(), n, size, per_send.size(), median(per_send), median(to_all), median(wcpu),
          median(rcpu));
    }
    std::fflush(stdout);
  }
  if (have_uring) io_uring_queue_exit(&ring);
  for (int fd : near) ::close(fd);
  ::kill(child, SIGTERM);
  ::waitpid(child, nullptr, 0);
  return status;
}
