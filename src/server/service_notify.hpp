// Telling the service manager how dnspushd is doing: the sd_notify datagram protocol
// (systemd's sd_notify(3), "Type=notify"), written here rather than linking libsystemd:
// one datagram of "KEY=value" lines to the UNIX socket named by $NOTIFY_SOCKET. READY=1
// once zones are loaded and sockets bound, RELOADING=1 / READY=1 around SIGHUP,
// STOPPING=1 at shutdown, STATUS=... for `systemctl status`, and WATCHDOG=1 while the
// event loops answer (ServiceWatchdog).
//
// Without $NOTIFY_SOCKET (not started by systemd, or Type=simple) every call is a no-op.
// Failures to send are ignored beyond a false return: the server serves regardless.
// Threading: notify() is const and may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace dnspush::io {
class Server;
}

namespace dnspush::server {

class ServiceNotifier {
 public:
  using Getenv = std::function<const char*(const char*)>;

  // $NOTIFY_SOCKET ("/path" or "@abstract"), and the watchdog interval from
  // $WATCHDOG_USEC when $WATCHDOG_PID is unset or names this process (sd_watchdog_enabled).
  static ServiceNotifier from_environment(const Getenv& env = nullptr);

  ServiceNotifier() = default;
  ServiceNotifier(std::string socket, std::optional<std::chrono::microseconds> watchdog)
      : socket_(std::move(socket)), watchdog_(watchdog) {}

  bool enabled() const { return !socket_.empty(); }
  // Sends `state` ("READY=1\nSTATUS=...") as one datagram; false when disabled or the
  // send failed.
  bool notify(std::string_view state) const;
  // How often systemd wants WATCHDOG=1 at the latest (WatchdogSec=); unset: no watchdog.
  std::optional<std::chrono::microseconds> watchdog() const { return watchdog_; }

 private:
  std::string socket_;
  std::optional<std::chrono::microseconds> watchdog_;
};

// Sends WATCHDOG=1 every half interval (sd_watchdog_enabled(3) advises half), but only
// while every io worker runs: each round posts a no-op to every worker, and the next
// WATCHDOG=1 goes out only when all of them ran it. A worker stuck in a loop therefore
// stops the pings and systemd restarts the service (WatchdogSec=). Its own thread; the
// destructor stops and joins it (at most one round's wait). Create after the server's
// start(), destroy before its stop().
class ServiceWatchdog {
 public:
  ServiceWatchdog(ServiceNotifier notifier, io::Server& server);
  ~ServiceWatchdog();
  ServiceWatchdog(const ServiceWatchdog&) = delete;
  ServiceWatchdog& operator=(const ServiceWatchdog&) = delete;

 private:
  void run();

  const ServiceNotifier notifier_;
  io::Server& server_;
  std::chrono::microseconds period_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace dnspush::server
