// DNS Push (RFC 8765) in dnspushd: the glue between the io workers' DSO sessions and the
// sans-IO push core. One PushApp per io worker owns a push::PushWorker (that worker's part
// of the subscription index) and answers SUBSCRIBE, UNSUBSCRIBE and RECONFIRM from the
// worker's sessions; the PushService is the ChangesetListener that posts every commit to
// every worker, in commit order, where each PushApp turns it into PUSH messages for its
// own sessions. Nothing on the per-session path takes a lock shared between workers; the
// session limits (total and per client address) are checked once, when a connection first
// subscribes.
// With [llq] enabled, each PushApp also serves LLQ (RFC 8764) as the worker's DatagramApp:
// an llq::LlqServer next to the PushWorker, whose index holds its LLQs too; the same
// commit posting drives both.
#pragma once

#include <functional>

#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

#include "auth/responder.hpp"
#include "io/connection_limiter.hpp"
#include "io/server.hpp"
#include "io/session_app.hpp"
#include "llq/llq_server.hpp"
#include "push/push_worker.hpp"
#include "server/changeset_listener.hpp"
#include "server/config.hpp"

namespace dnspush::server {

class PushApp;

class PushService : public ChangesetListener {
 public:
  // The settings of the zone with this origin in the configuration in effect (it changes
  // with a reload), or nullptr; any thread (ZoneManager::zone_config).
  using ZoneSettings = std::function<const ZoneConfig*(const wire::Name& origin)>;
  // `config` and `responder` must outlive the service. Without `zone_settings` the
  // per-zone `push`/`llq` switches are those of `config`, fixed.
  PushService(const Config& config, const auth::Responder& responder,
              ZoneSettings zone_settings = {});
  ~PushService() override;

  // For io::ServerOptions: the apps are created by the io server, one per worker.
  io::SessionAppFactory app_factory();
  std::vector<dso::AppTlv> tlvs() const;
  // Before app_factory() is used: subscriptions, SUBSCRIBE results, PUSH messages and
  // bytes, UPDATE->PUSH latency.
  void set_metrics(Metrics* m) { metrics_ = m; }
  // Before the io server starts; commits are posted through it.
  void attach(io::Server& io);
  void on_commit(const zone::CommitPtr& commit) override;

 private:
  const Config& config_;
  const auth::Responder& responder_;
  push::PushConfig push_config_;
  std::optional<llq::LlqConfig> llq_config_;         // [llq] enabled
  std::unique_ptr<io::ConnectionLimiter> sessions_;  // max-sessions (per address too)
  io::Server* io_ = nullptr;
  Metrics* metrics_ = nullptr;
  std::vector<PushApp*> apps_;  // by worker index; owned by the io workers
};

}  // namespace dnspush::server
