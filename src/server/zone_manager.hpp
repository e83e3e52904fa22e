// The one writer for zone data (DESIGN.md): owns, per zone, the current zone, the
// catalogue published to the auth::Responder and the durable journal. Runs on its own
// thread (an io::Loop). UPDATEs, parsed and TSIG-verified once on the io threads, queue up;
// each batch is checked (zone, RFC 2136 §3.1; policy, §3.3), processed, applied, written to
// the journal in one transaction (group commit: one fsync for the batch) and only then
// published and answered, so no answered UPDATE can be lost. Each change becomes one
// zone::Commit with the next version, published to the listeners (NOTIFY out, DNS Push,
// LLQ) after the catalogue that contains it; then the journal is compacted when over its
// bounds, and the zone is written back to a master file when configured.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "auth/query_context.hpp"
#include "auth/responder.hpp"
#include "base/metrics.hpp"
#include "base/result.hpp"
#include "io/server.hpp"
#include "server/changeset_listener.hpp"
#include "server/config.hpp"
#include "wire/message.hpp"
#include "wire/tsig.hpp"
#include "xfr/transfer_in.hpp"
#include "zone/journal.hpp"

namespace dnspush::server {

// Seconds since the epoch, for TSIG (tests inject their own).
using WallClock = std::function<std::uint64_t()>;
std::uint64_t system_seconds();

// A TSIG error for logs: BADSIG, BADKEY, BADTIME, BADTRUNC (RFC 8945 §3; 16 is BADSIG
// here, not EDNS's BADVERS).
std::string tsig_error_text(wire::Rcode r);

// The keyring of a configuration's [[key]]s.
std::shared_ptr<const wire::TsigKeyring> make_keyring(const Config& c);

// An UPDATE as the io thread hands it to the writer: parsed once, its TSIG (if any)
// verified there (RFC 8945 §5.2; failures are answered on the io thread and never queued).
struct UpdateRequest {
  wire::Message message;
  std::optional<wire::TsigVerifyResult> tsig;  // set and ok() when the UPDATE was signed
  auth::QueryContext ctx;
  io::Reply reply;
};

// A secondary zone's completed transfer (xfr::TransferIn), handed to the writer to commit.
struct TransferCommit {
  wire::Name origin;
  xfr::TransferInResult result;
  // Called on the writer's thread: the serial now served, or why nothing was committed.
  std::function<void(Result<Serial>)> done;
};

struct ZoneManagerOptions {
  WallClock now = system_seconds;
  std::size_t max_batch = 256;     // UPDATEs per journal transaction
  std::size_t max_queued = 10000;  // more waiting UPDATEs are answered SERVFAIL
  Metrics* metrics = nullptr;      // UPDATE results, commits, journal latency, reloads
};

class ZoneManager {
 public:
  // Opens <state-dir>/journal, loads every zone (master file, then the journal replayed)
  // and publishes the catalogue to `responder`, which must outlive the manager.
  static Result<std::unique_ptr<ZoneManager>> create(const Config& c, auth::Responder& responder,
                                                     ZoneManagerOptions o = {});
  ~ZoneManager();  // stops

  // Before start(). Listeners are called on the writer's thread.
  void add_listener(std::shared_ptr<ChangesetListener> l);
  void start();
  // Answers nothing more; writes back zones with unwritten changes; idempotent.
  void stop();

  // An UPDATE from an io thread; answered through its reply once its batch is durable.
  void submit_update(UpdateRequest request);
  // SIGHUP: re-reads the master files; a file whose serial is newer than the zone becomes a
  // changeset (journalled, published, announced like an UPDATE); otherwise the zone is kept.
  // Secondary zones have no file: they are left to their primaries.
  void reload();
  // SIGHUP / dnspushctl reload: a new configuration, parsed and checked by the caller
  // (Instance::reconfigure), applied on the writer's thread: primary zones added are
  // loaded (as at start-up, journal-content included) and served, zones removed stop being
  // served (their subscriptions stay with their sessions and hear nothing more: RFC 8765
  // has no way to end one), the zones kept get the new zone settings (ACLs, write-back,
  // ...) and their files reloaded, and the new TSIG keys verify new requests. Secondary
  // zones keep their configuration (a restart applies changes to them; noted in the
  // summary). Refused, with nothing changed, when an added zone does not load. Any
  // thread; waits for the writer. The summary is for the log and dnspushctl.
  Result<std::string> reconfigure(Config next);
  // The configuration in effect (the latest reconfigure's); any thread, valid for the
  // manager's lifetime.
  const Config& current_config() const;
  // One zone only (dnspushctl reload <zone>); false when it is not one of ours.
  bool reload(const wire::Name& origin);
  // dnspushctl freeze/thaw (as knotc zone-freeze, rndc freeze). freeze: UPDATEs to the zone
  // are answered REFUSED from now on, then the writer writes the zone's current contents
  // (UPDATEs included) over its master file (atomically: temp file, fsync, rename; $ORIGIN
  // and the SOA first), so the operator edits the real current data; it also becomes the
  // file's base (zone_start.hpp), so thaw's change is the operator's edit alone. thaw
  // reloads the file (a newer serial becomes a changeset that secondaries, push and LLQ
  // subscribers see) and accepts UPDATEs again. Both return what was done for the operator,
  // or why not: not one of our zones, a secondary zone (no file to edit), the file not
  // written (the zone then stays thawed). Any thread; freeze waits for the writer.
  Result<std::string> freeze(const wire::Name& origin);
  Result<std::string> thaw(const wire::Name& origin);
  bool frozen(const wire::Name& origin) const;

  // A secondary zone's transfer: committed like an UPDATE (its changesets in one journal
  // transaction, then published and announced, one commit per changeset, in order), so a
  // push subscriber cannot tell it from a change made here; a first copy (no zone yet)
  // replaces the zone's journal with a snapshot and is published without a commit (no one
  // can be subscribed to a zone never served). Refused when the zone changed since the
  // transfer started from it (result.base). A committed transfer also ends an expiry.
  void submit_transfer(TransferCommit t);
  // Marks a secondary zone expired (SERVFAIL, RFC 1034 §4.3.5) or current again, on the
  // writer's thread. Any thread.
  void set_expired(const wire::Name& origin, bool expired);
  // The same at once, for a copy already overdue at start-up (so it is never served).
  // Only before start(), from the thread that calls start().
  void expire_before_start(const wire::Name& origin);

  const zone::Journal& journal() const;
  const wire::TsigKeyring& keyring() const;
  // The configuration of the zone with this origin, or nullptr.
  const ZoneConfig* zone_config(const wire::Name& origin) const;
  // Where write-back puts the zone: <state-dir>/zones/<origin>zone.
  std::filesystem::path write_back_path(const wire::Name& origin) const;

  struct Impl;

 private:
  explicit ZoneManager(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dnspush::server
