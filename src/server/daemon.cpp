#include "server/daemon.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "auth/responder.hpp"
#include "io/server.hpp"
#include "io/tls_context.hpp"
#include "server/dispatcher.hpp"
#include "server/zone_manager.hpp"
#include "zone/zone_file.hpp"

namespace dnspush::server {
namespace {

namespace fs = std::filesystem;

void setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("dnspushd");
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

Result<std::shared_ptr<io::TlsContext>> tls_context(const Config& c) {
  if (!c.tls_certificate.empty()) {
    return io::TlsContext::server(c.tls_certificate.string(), c.tls_key.string());
  }
  // No configured credentials: a self-signed certificate, made once and reused.
  const fs::path cert = c.state_dir / "self-signed-cert.pem";
  const fs::path key = c.state_dir / "self-signed-key.pem";
  std::error_code ec;
  if (!fs::exists(cert, ec) || !fs::exists(key, ec)) {
    std::vector<std::string> names = c.tls_names;
    for (const auto& e : c.tls) {
      unsigned char any[16] = {};
      unsigned char buf[16];
      inet_pton(e.v6 ? AF_INET6 : AF_INET, e.address.c_str(), buf);
      if (std::memcmp(buf, any, e.v6 ? 16 : 4) != 0) names.push_back(e.address);
    }
    if (auto r = io::TlsContext::generate_self_signed(cert.string(), key.string(), names); !r) {
      return tl::unexpected(r.error());
    }
    spdlog::info("generated a self-signed TLS certificate: {} (key {})", cert.string(),
                 key.string());
  } else {
    spdlog::info("using the self-signed TLS certificate {}", cert.string());
  }
  return io::TlsContext::server(cert.string(), key.string());
}

}  // namespace

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

namespace {}  // namespace

Result<std::shared_ptr<const zone::Catalogue>> load_zones(const Config& c) {
  auto cat = std::make_shared<const zone::Catalogue>();
  for (const auto& zc : c.zones) {
    auto origin = wire::Name::from_text(zc.origin);
    if (!origin) return fail(Errc::kInvalidConfig, zc.origin + ": " + origin.error().message);
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
  if (auto z = load_zones(*c); !z) {
    std::fprintf(stderr, "%s\n", z.error().message.c_str());
    return 1;
  }
  if (!c->tls_certificate.empty()) {
    if (auto t = io::TlsContext::server(c->tls_certificate.string(), c->tls_key.string()); !t) {
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
  setup_logging(c.log_level);
  spdlog::info("dnspushd {} starting with {}", kVersion, c.source.string());

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

  auth::ResponderOptions ro;
  ro.default_udp_payload = c.udp_payload;
  ro.max_udp_payload = c.udp_payload;
  auth::Responder responder(ro);
  auto zones = ZoneManager::create(c, responder);
  if (!zones) {
    spdlog::error("{}", zones.error().message);
    return 1;
  }
  Dispatcher dispatcher(responder, **zones);

  io::ServerOptions so;
  so.dns = c.dns;
  so.tls = c.tls;
  so.workers = c.effective_workers();
  so.tcp_idle_timeout = c.tcp_idle_timeout;
  so.tls_handshake_timeout = c.tls_handshake_timeout;
  so.max_connections = c.max_connections;
  so.max_connections_per_address = c.max_connections_per_address;
  so.max_pending_bytes = c.max_pending_bytes;
  if (!c.tls.empty()) {
    auto t = tls_context(c);
    if (!t) {
      spdlog::error("{}", t.error().message);
      return 1;
    }
    so.tls_context = *t;
  }
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

  auto server = io::Server::create(so, dispatcher.handler());
  if (!server) {
    spdlog::error("{}", server.error().message);
    return 1;
  }
  for (const auto& b : (*server)->bound()) {
    spdlog::info("listening on {} {}", b.protocol, b.endpoint.to_string());
  }
  (*zones)->start();
  (*server)->start();
  spdlog::info("serving with {} worker{}", so.workers, so.workers == 1 ? "" : "s");

  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      // Reload the zone files; on any error keep serving the zones we have.
      spdlog::info("SIGHUP: reloading zones");
      (*zones)->reload();
      continue;
    }
    spdlog::info("{}: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    break;
  }
  // The writer first: its pending replies are posted to the still running listeners.
  (*zones)->stop();
  (*server)->stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace dnspush::server
