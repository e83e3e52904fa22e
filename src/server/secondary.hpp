// Secondary zones in dnspushd: every [[zone]] with `primaries` follows them by DNS's own
// replication, NOTIFY (RFC 1996) + IXFR (RFC 1995) / AXFR (RFC 5936), on the SOA timers
// (RFC 1034 §4.3.5). Per zone an xfr::Refresh decides when to check and when the copy
// expires; each check is an xfr::TransferIn over an io::TcpExchange to one primary (IXFR
// from our serial, AXFR when we have no copy, when IXFR is not answered or its differences
// do not apply); a complete transfer goes to the ZoneManager, which journals, publishes and
// announces it exactly as it does UPDATEs. An expired copy is marked in the catalogue, so
// queries and new subscriptions get SERVFAIL, until a check succeeds again.
//
// It also holds what the dispatcher needs for secondary zones: which primary a NOTIFY
// comes from (RFC 1996 §3.10) and the UPDATE forwarder (RFC 2136 §6).
//
// Threading: one io::Loop thread runs every zone's cores, transfers and the forwarder.
// zone(), primary_at() read the immutable configuration and may be called from any thread;
// notify(), refresh_all() and forward_update() post to the loop.
// Bounds: one transfer per zone at a time (a NOTIFY during one makes one more check
// afterwards, RFC 1996 §4.4), each bounded in bytes, records and time (max-transfer-*);
// forwarded UPDATEs as UpdateForwarder says.
// Persistence: the time of each zone's last successful check is kept in
// <state-dir>/secondary/<origin>refreshed (seconds since the epoch), so a restart counts
// the downtime towards EXPIRE; when the file is missing the copy counts as refreshed at
// start-up.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

#include "auth/query_context.hpp"
#include "auth/responder.hpp"
#include "io/server.hpp"
#include "server/config.hpp"
#include "server/zone_manager.hpp"
#include "xfr/acl.hpp"

namespace dnspush::server {

class SecondaryService {
 public:
  // `config`, `zones` and `responder` must outlive the service.
  static std::unique_ptr<SecondaryService> create(const Config& config, ZoneManager& zones,
                                                  const auth::Responder& responder,
                                                  WallClock now = system_seconds);
  ~SecondaryService();

  // Before ZoneManager::start(): marks copies that expired while the server was down, then
  // starts checking every zone.
  void start();
  void stop();  // idempotent; transfers in flight are abandoned (nothing half-committed)
  // Before start(): checks, transfers in, failures, expiries and forwarding limits are
  // counted there (may be null).
  void set_metrics(Metrics* m);

  // The configuration of our secondary zone `origin`, or nullptr. Any thread.
  const ZoneConfig* zone(const wire::Name& origin) const;
  // Which of the zone's primaries has address `from` (any port: RFC 1996 §3.10 knows
  // masters by address), or nullopt. Any thread.
  static std::optional<std::size_t> primary_at(const ZoneConfig& zc, const xfr::IpAddress& from);

  // An accepted NOTIFY for `origin` from primary `primary`: a check now, against it.
  void notify(const wire::Name& origin, std::size_t primary);
  // SIGHUP: every secondary zone checks its primaries now.
  void refresh_all();
  // RFC 2136 §6: `update` goes to the zone's primaries; `servfail` answers the client when
  // none answers.
  void forward_update(const ZoneConfig& zc, std::vector<std::uint8_t> update,
                      std::vector<std::uint8_t> servfail, io::Reply reply);

  struct Impl;

 private:
  explicit SecondaryService(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dnspush::server
