#include "server/daemon.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <lmdb.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <system_error>

#include "io/tls_context.hpp"
#include "server/instance.hpp"
#include "server/json_log.hpp"
#include "server/privileges.hpp"
#include "server/service_notify.hpp"
#include "zone/zone_file.hpp"

namespace dnspush::server {
namespace {

namespace fs = std::filesystem;

void setup_logging(const std::string& level, bool json) {
  auto logger = spdlog::stderr_color_mt("dnspushd");
  if (json) logger->set_formatter(std::make_unique<JsonFormatter>());
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
}

// DESIGN.md: each connection is a descriptor; allow as many as the hard limit permits.
void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  if (rl.rlim_cur < rl.rlim_max) {
    const rlim_t before = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) == 0) {
      spdlog::debug("open files limit raised from {} to {}", before, rl.rlim_cur);
    }
  }
}

}  // namespace

std::string version_text() {
  return std::string("dnspushd ") + kVersion + "\n" + io::library_versions() + ", " +
         mdb_version(nullptr, nullptr, nullptr);
}

Result<int> lock_state_dir(const fs::path& state_dir) {
  const fs::path path = state_dir / "dnspushd.lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return fail(Errc::kIo, path.string() + ": " + std::strerror(errno));
  // SO_REUSEPORT would let a second instance bind the same ports silently and both would
  // write the same journal: the lock makes the second one refuse to start.
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int e = errno;
    ::close(fd);
    if (e == EWOULDBLOCK) {
      return fail(Errc::kRefused, "another dnspushd is running with state directory " +
                                      state_dir.string() + " (" + path.string() + " is locked)");
    }
    return fail(Errc::kIo, path.string() + ": " + std::strerror(e));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) {
    [[maybe_unused]] auto n = ::write(fd, pid.data(), pid.size());
  }
  return fd;
}

Result<std::shared_ptr<const zone::Catalogue>> load_zones(const Config& c) {
  auto cat = std::make_shared<const zone::Catalogue>();
  for (const auto& zc : c.zones) {
    auto origin = wire::Name::from_text(zc.origin);
    if (!origin) return fail(Errc::kInvalidConfig, zc.origin + ": " + origin.error().message);
    if (zc.is_secondary()) continue;  // no file: its data comes from its primaries
    auto z = zone::load_zone_file(zc.file.string(), *origin);
    if (!z) {
      // The loader's message is "file:line: reason"; make sure the file is named.
      const std::string& m = z.error().message;
      return fail(z.error().code,
                  m.find(zc.file.string()) == std::string::npos ? zc.file.string() + ": " + m : m);
    }
    cat = cat->with(*z);
  }
  return cat;
}

int check_config(const fs::path& config_file) {
  auto c = load_config(config_file);
  if (!c) {
    std::fprintf(stderr, "%s\n", c.error().message.c_str());
    return 1;
  }
  if (!c->user.empty()) {
    if (auto r = resolve_run_as(c->user, c->group); !r) {
      std::fprintf(stderr, "%s\n", r.error().message.c_str());
      return 1;
    }
  }
  if (auto z = load_zones(*c); !z) {
    std::fprintf(stderr, "%s\n", z.error().message.c_str());
    return 1;
  }
  if (!c->tls_certificate.empty()) {
    if (auto t = tls_context(*c); !t) {
      std::fprintf(stderr, "%s\n", t.error().message.c_str());
      return 1;
    }
  }
  std::printf("OK\n");
  return 0;
}

int run(const fs::path& config_file) {
  auto cfg = load_config(config_file);
  if (!cfg) {
    std::fprintf(stderr, "%s\n", cfg.error().message.c_str());
    return 1;
  }
  const Config& c = *cfg;
  setup_logging(c.log_level, c.log_json);
  spdlog::info("dnspushd {} starting with {}", kVersion, c.source.string());

  // Root with [server] user: files are opened as that user from here on, sockets bound
  // as root, then root is dropped below (privileges.hpp).
  auto run_as = prepare_run_as(c.user, c.group, c.state_dir);
  if (!run_as) {
    spdlog::error("{}", run_as.error().message);
    return 1;
  }
  if (::geteuid() == 0 && c.user.empty()) {
    spdlog::warn("running as root: set server.user to drop root once the sockets are bound");
  }
  const ServiceNotifier notifier = ServiceNotifier::from_environment();

  std::error_code ec;
  fs::create_directories(c.state_dir, ec);
  if (ec) {
    spdlog::error("server.state-dir {}: {}", c.state_dir.string(), ec.message());
    return 1;
  }
  auto lock = lock_state_dir(c.state_dir);
  if (!lock) {
    spdlog::error("{}", lock.error().message);
    return 1;
  }
  struct CloseLock {
    int fd;
    ~CloseLock() { ::close(fd); }
  } close_lock{*lock};
  if (c.zones.empty()) spdlog::warn("no zones configured: every query will be REFUSED");

  raise_fd_limit();
  // Signals are taken synchronously by this thread (sigwait); the workers, created
  // below, inherit the blocked mask and never see them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  InstanceOptions io;
  // dnspushctl stop: the same graceful path as SIGTERM (this thread's sigwait).
  io.stop = [] { ::kill(::getpid(), SIGTERM); };
  auto instance = Instance::create(c, std::move(io));
  if (!instance) {
    spdlog::error("{}", instance.error().message);
    return 1;
  }
  for (const auto& b : (*instance)->bound()) {
    spdlog::info("listening on {} {}", b.protocol, b.endpoint.to_string());
  }
  if (*run_as) {
    if (auto d = drop_privileges(**run_as); !d) {
      spdlog::error("{}", d.error().message);
      return 1;
    }
    spdlog::info("running as user {} (uid {}, gid {})", (*run_as)->user, (*run_as)->uid,
                 (*run_as)->gid);
  }
  (*instance)->start();
  const unsigned workers = c.effective_workers();
  spdlog::info("serving with {} worker{}", workers, workers == 1 ? "" : "s");
  // Zones loaded, sockets bound, workers running: queries are answered from now on.
  const std::string status = "STATUS=serving " + std::to_string(c.zones.size()) + " zone" +
                             (c.zones.size() == 1 ? "" : "s") + " with " + std::to_string(workers) +
                             " worker" + (workers == 1 ? "" : "s");
  notifier.notify("READY=1\n" + status);
  std::optional<ServiceWatchdog> watchdog;
  watchdog.emplace(notifier, (*instance)->io());

  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      // The configuration and the zone files; a bad configuration is refused (logged) and
      // the running one stays.
      spdlog::info("SIGHUP: reloading the configuration and the zones");
      notifier.notify("RELOADING=1\nSTATUS=reloading");
      (void)(*instance)->reconfigure();
      notifier.notify("READY=1\n" + status);
      continue;
    }
    spdlog::info("{}: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    break;
  }
  notifier.notify("STOPPING=1\nSTATUS=stopping");
  watchdog.reset();
  (*instance)->stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace dnspush::server
