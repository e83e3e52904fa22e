#include "server/service_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "io/server.hpp"

namespace dnspush::server {

ServiceNotifier ServiceNotifier::from_environment(const Getenv& env) {
  auto get = [&](const char* name) -> const char* { return env ? env(name) : std::getenv(name); };
  const char* socket = get("NOTIFY_SOCKET");
  if (socket == nullptr || *socket == '\0') return {};
  std::optional<std::chrono::microseconds> watchdog;
  if (const char* usec = get("WATCHDOG_USEC"); usec != nullptr) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(usec, &end, 10);
    // sd_watchdog_enabled(3): WATCHDOG_PID, when set, names the process meant.
    const char* pid = get("WATCHDOG_PID");
    const bool ours = pid == nullptr || std::strtoll(pid, nullptr, 10) == ::getpid();
    if (end != usec && *end == '\0' && v > 0 && ours) watchdog = std::chrono::microseconds(v);
  }
  return ServiceNotifier(socket, watchdog);
}

bool ServiceNotifier::notify(std::string_view state) const {
  if (socket_.empty()) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_.size() >= sizeof(addr.sun_path) || (socket_[0] != '/' && socket_[0] != '@')) {
    return false;
  }
  std::memcpy(addr.sun_path, socket_.data(), socket_.size());
  socklen_t len = offsetof(sockaddr_un, sun_path) + socket_.size();
  if (socket_[0] == '@') addr.sun_path[0] = '\0';  // the Linux abstract namespace
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const ssize_t n = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                             reinterpret_cast<const sockaddr*>(&addr), len);
  ::close(fd);
  return n == static_cast<ssize_t>(state.size());
}

ServiceWatchdog::ServiceWatchdog(ServiceNotifier notifier, io::Server& server)
    : notifier_(std::move(notifier)),
      server_(server),
      period_(notifier_.watchdog().value_or(std::chrono::microseconds(0)) / 2) {
  if (notifier_.enabled() && period_.count() > 0) thread_ = std::thread([this] { run(); });
}

ServiceWatchdog::~ServiceWatchdog() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ServiceWatchdog::run() {
  const unsigned workers = server_.workers();
  // Shared with the posted tasks, which may run (or be dropped) after this thread ends.
  auto answered = std::make_shared<std::atomic<unsigned>>(workers);
  std::unique_lock lock(mu_);
  while (!stop_) {
    if (answered->load() == workers) {
      notifier_.notify("WATCHDOG=1");
      answered->store(0);
      for (unsigned w = 0; w < workers; ++w) {
        server_.post(w, [answered] { answered->fetch_add(1); });
      }
    }
    cv_.wait_for(lock, period_, [this] { return stop_; });
  }
}

}  // namespace dnspush::server
