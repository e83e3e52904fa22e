// One dnspushd, wired: the responder, the zone writer and its listeners (NOTIFY out; DNS
// Push and LLQ), the dispatcher and the io front end. dnspushd's main loop (daemon.cpp)
// and the in-process tests build the server through this one place, so what is tested is
// what runs.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "auth/responder.hpp"
#include "base/metrics.hpp"
#include "base/result.hpp"
#include "io/server.hpp"
#include "io/tls_context.hpp"
#include "server/changeset_listener.hpp"
#include "server/config.hpp"
#include "server/zone_manager.hpp"

namespace dnspush::server {

class PushService;

struct InstanceOptions {
  WallClock now = system_seconds;
  // The TLS credentials for the TLS listeners; when null, the configured certificate or a
  // self-signed one made in the state directory (tls_context()).
  std::shared_ptr<io::TlsContext> tls;
  // The control socket <state-dir>/dnspushd.sock (dnspushctl), and what its "stop" does.
  bool control = true;
  std::function<void()> stop;
};

// The server's TLS context from the configuration: [tls] certificate and key, or a
// self-signed certificate generated once into the state directory and reused.
Result<std::shared_ptr<io::TlsContext>> tls_context(const Config& c);

class Instance {
 public:
  // Loads the zones and the journal and binds every listener; serves nothing until start().
  static Result<std::unique_ptr<Instance>> create(Config config, InstanceOptions o = {});
  ~Instance();  // stops

  // Before start(): listeners hear of every commit, after the built-in ones.
  void add_listener(std::shared_ptr<ChangesetListener> l);
  void start();
  // The writer first (its pending replies are posted to the still running listeners), then
  // NOTIFY out and the io workers. Idempotent.
  void stop();
  // The zone files are re-read (see ZoneManager::reload).
  void reload();
  // SIGHUP and dnspushctl reload: re-reads the configuration file and, when it is valid,
  // applies its zones and keys (ZoneManager::reconfigure) and re-checks the secondaries.
  // Settings outside [[zone]] and [[key]] (listeners, limits, ...) need a restart: a change
  // there is named in the summary and the log, and not applied. An invalid file is refused
  // with the reason; the running configuration stays. Any thread (serialised).
  Result<std::string> reconfigure();

  const Config& config() const;
  const std::vector<io::BoundAddress>& bound() const;
  ZoneManager& zones();
  const auth::Responder& responder() const;
  io::Server& io();
  PushService* push();  // nullptr when neither DNS Push nor LLQ is on
  // Every counter of this server; the same object the metrics endpoint reads.
  Metrics& metrics();
  // The metrics endpoint's bound address ([metrics] listen), or nullptr when off.
  const io::Endpoint* metrics_bound() const;

  struct Impl;

 private:
  explicit Instance(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dnspush::server
