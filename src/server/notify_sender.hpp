// NOTIFY out (RFC 1996) as a ChangesetListener: after each commit of a zone with `notify`
// targets, every target hears of the new SOA (xfr::NotifyOut per zone, signed with the
// zone's notify-key when configured). Runs on its own event loop (a thread with a UDP
// socket and timers), so the writer only posts the commit and goes on.
#pragma once

#include <memory>

#include "base/result.hpp"
#include "server/changeset_listener.hpp"
#include "server/config.hpp"
#include "server/zone_manager.hpp"
#include "xfr/notify_out.hpp"

namespace dnspush::server {

class NotifySender : public ChangesetListener {
 public:
  // `config` must outlive the sender. Zones without targets cost nothing but the one UDP
  // socket per address family, opened whatever the configuration so that a reload can add
  // targets; one that cannot be opened disables NOTIFY out with a warning (the server
  // still serves).
  static std::shared_ptr<NotifySender> create(const Config& config, WallClock now,
                                              xfr::NotifyConfig cfg = {});
  // A configuration reload (ZoneManager::current_config(), which outlives the sender):
  // zones added or with changed `notify`/`notify-key` are announced to their new targets
  // from the next commit; unchanged ones keep their retransmissions. Any thread.
  void reconfigure(const Config& next);
  ~NotifySender() override;

  // Before start(): NOTIFYs sent and how each ended are counted there (may be null).
  void set_metrics(Metrics* m);
  void start();
  void stop();  // idempotent; pending retransmissions are dropped
  void on_commit(const zone::CommitPtr& commit) override;

  struct Impl;

 private:
  explicit NotifySender(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dnspush::server
