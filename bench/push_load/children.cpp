#include "children.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <sstream>

#include "io/tls_context.hpp"

namespace dnspush::bench {
namespace {

bool write_all(int fd, const void* data, std::size_t n) {
  const auto* p = static_cast<const std::uint8_t*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

bool write_line(int fd, const std::string& s) {
  return write_all(fd, s.data(), s.size());
}

std::string one_line(std::string s) {
  for (char& ch : s) {
    if (ch == '\n') ch = ' ';
  }
  return s.empty() ? "-" : s;
}

// ---- the child ---------------------------------------------------------------------------

[[noreturn]] void child_main(SubscriberConfig cfg, int control, int status) {
  std::signal(SIGPIPE, SIG_IGN);  // a closed socket is an error value, not a signal
  io::ClientTlsOptions o;
  o.verify = false;  // the server's certificate is self-signed; the bench measures, not trusts
  auto tls = io::TlsContext::client(o);
  if (!tls) {
    write_line(status, "ready 0 " + std::to_string(cfg.sessions) + " 0 0 " +
                           one_line(tls.error().message) + "\n");
    ::_exit(1);
  }
  cfg.tls = (*tls)->native();
  asio::io_context ctx(1);
  SubscriberPool pool(ctx, cfg);
  pool.start([&] {
    const auto c = pool.counters();
    write_line(status, "ready " + std::to_string(c.ready) + " " + std::to_string(c.failed) + " " +
                           std::to_string(c.subscribed) + " " + std::to_string(c.refused) + " " +
                           one_line(c.first_error) + "\n");
  });

  asio::posix::stream_descriptor ctl(ctx, control);
  char cmd = 0;
  std::function<void()> next;
  next = [&] {
    ctl.async_read_some(asio::buffer(&cmd, 1), [&](std::error_code ec, std::size_t n) {
      if (ec || n == 0) ::_exit(0);  // the parent is gone
      const auto c = pool.counters();
      if (cmd == 'b') {
        write_line(status,
                   "bytes " + std::to_string(c.wire_read) + " " + std::to_string(c.wire_written) +
                       " " + std::to_string(c.push_messages) + " " + std::to_string(c.lost) + "\n");
      } else if (cmd == 'q') {
        const auto& s = pool.samples();
        std::ostringstream line;
        line << "result " << s.size() << ' ' << c.ready << ' ' << c.failed << ' ' << c.lost << ' '
             << c.push_messages << ' ' << c.bad_push << ' ' << c.wire_read << ' ' << c.wire_written
             << '\n';
        write_line(status, line.str());
        write_all(status, s.data(), s.size() * sizeof(Sample));
        ::_exit(0);  // the kernel closes every session at once
      }
      next();
    });
  };
  next();
  ctx.run();
  ::_exit(0);
}

// ---- the parent's side of the pipes ------------------------------------------------------

Result<void> fill(Child& c, TimePoint deadline) {
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(c.status, buf, sizeof buf);
    if (n > 0) {
      c.inbuf.append(buf, static_cast<std::size_t>(n));
      return {};
    }
    if (n == 0) return fail(Errc::kIo, "subscriber process " + std::to_string(c.pid) + " exited");
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return fail(Errc::kIo, std::string("read: ") + std::strerror(errno));
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      return fail(Errc::kIo, "subscriber process " + std::to_string(c.pid) + " timed out");
    }
    pollfd p{c.status, POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 1000)));
  }
}

Result<std::string> read_line(Child& c, TimePoint deadline) {
  for (;;) {
    const auto nl = c.inbuf.find('\n');
    if (nl != std::string::npos) {
      std::string line = c.inbuf.substr(0, nl);
      c.inbuf.erase(0, nl + 1);
      return line;
    }
    if (auto r = fill(c, deadline); !r) return tl::unexpected(r.error());
  }
}

Result<void> read_exact(Child& c, void* out, std::size_t n, TimePoint deadline) {
  while (c.inbuf.size() < n) {
    if (auto r = fill(c, deadline); !r) return r;
  }
  std::memcpy(out, c.inbuf.data(), n);
  c.inbuf.erase(0, n);
  return {};
}

Result<std::string> expect(Child& c, const std::string& word, TimePoint deadline) {
  auto line = read_line(c, deadline);
  if (!line) return line;
  if (line->rfind(word + " ", 0) != 0) {
    return fail(Errc::kMalformed, "subscriber process said \"" + *line + "\"");
  }
  return line->substr(word.size() + 1);
}

}  // namespace

Result<std::vector<Child>> spawn_subscribers(const SubscriberConfig& base, std::size_t procs) {
  std::vector<Child> out;
  std::size_t first = base.first_session;
  for (std::size_t i = 0; i < procs; ++i) {
    const std::size_t share = base.sessions / procs + (i < base.sessions % procs ? 1 : 0);
    int ctl[2], st[2];
    if (::pipe2(ctl, O_CLOEXEC) != 0 || ::pipe2(st, O_CLOEXEC) != 0) {
      kill_children(out);
      return fail(Errc::kIo, std::string("pipe: ") + std::strerror(errno));
    }
    const pid_t pid = ::fork();
    if (pid < 0) {
      kill_children(out);
      return fail(Errc::kIo, std::string("fork: ") + std::strerror(errno));
    }
    if (pid == 0) {
      // Only this child's own pipe ends stay open, so each sees end of file on its
      // control pipe when the parent goes away.
      for (const Child& o : out) {
        ::close(o.control);
        ::close(o.status);
      }
      ::close(ctl[1]);
      ::close(st[0]);
      SubscriberConfig cfg = base;
      cfg.sessions = share;
      cfg.first_session = first;
      child_main(std::move(cfg), ctl[0], st[1]);
    }
    ::close(ctl[0]);
    ::close(st[1]);
    ::fcntl(st[0], F_SETFL, O_NONBLOCK);
    out.push_back(Child{pid, ctl[1], st[0], {}, share});
    first += share;
  }
  return out;
}

Result<ChildReady> wait_ready(Child& c, TimePoint deadline) {
  auto rest = expect(c, "ready", deadline);
  if (!rest) return tl::unexpected(rest.error());
  ChildReady r;
  std::istringstream in(*rest);
  in >> r.ready >> r.failed >> r.subscribed >> r.refused;
  std::getline(in >> std::ws, r.first_error);
  if (r.first_error == "-") r.first_error.clear();
  return r;
}

Result<PoolCounters> query_counters(std::vector<Child>& children, TimePoint deadline) {
  for (auto& c : children) {
    if (!write_line(c.control, "b")) return fail(Errc::kIo, "subscriber process gone");
  }
  PoolCounters sum;
  for (auto& c : children) {
    auto rest = expect(c, "bytes", deadline);
    if (!rest) return tl::unexpected(rest.error());
    std::istringstream in(*rest);
    std::uint64_t r = 0, w = 0, p = 0;
    std::size_t lost = 0;
    in >> r >> w >> p >> lost;
    sum.wire_read += r;
    sum.wire_written += w;
    sum.push_messages += p;
    sum.lost += lost;
  }
  return sum;
}

Result<std::vector<ChildResult>> collect(std::vector<Child>& children, TimePoint deadline) {
  for (auto& c : children) write_line(c.control, "q");
  std::vector<ChildResult> out;
  for (auto& c : children) {
    auto rest = expect(c, "result", deadline);
    if (!rest) return tl::unexpected(rest.error());
    ChildResult r;
    std::size_t n = 0;
    std::istringstream in(*rest);
    in >> n >> r.counters.ready >> r.counters.failed >> r.counters.lost >>
        r.counters.push_messages >> r.counters.bad_push >> r.counters.wire_read >>
        r.counters.wire_written;
    r.samples.resize(n);
    if (auto ok = read_exact(c, r.samples.data(), n * sizeof(Sample), deadline); !ok) {
      return tl::unexpected(ok.error());
    }
    out.push_back(std::move(r));
  }
  for (auto& c : children) {
    int st = 0;
    ::waitpid(c.pid, &st, 0);
    ::close(c.control);
    ::close(c.status);
    c.pid = -1;
  }
  return out;
}

void kill_children(std::vector<Child>& children) {
  for (auto& c : children) {
    if (c.pid <= 0) continue;
    ::kill(c.pid, SIGKILL);
    int st = 0;
    ::waitpid(c.pid, &st, 0);
    ::close(c.control);
    ::close(c.status);
    c.pid = -1;
  }
}

}  // namespace dnspush::bench
