// The durable zone journal (issue: "every committed changeset is written to a journal
// before the NOERROR answer leaves the server"), on LMDB as Knot does. One environment
// per state directory (e.g. <state-dir>/journal/, holding data.mdb and lock.mdb) serves
// every zone; each zone is keyed by its origin in lowercase wire form.
//
// Per zone it holds:
//   - the changesets, keyed by an increasing 64-bit sequence number (serials wrap, RFC
//     1982, so they cannot be the key); each value carries serial_from/serial_to;
//   - optionally one snapshot (every record of the zone at one serial), written by
//     compaction, so old changesets can be dropped while the zone stays reconstructible;
//   - a small meta record (next sequence, count, bytes, newest serial), updated in the
//     same transaction as the changesets.
// The changesets form one chain: each serial_from is the previous serial_to; append()
// refuses a changeset that does not continue it.
//
// Durability: every write is one LMDB transaction; when append() returns, the changeset
// is on stable storage (LMDB fsyncs the data and then the meta page on commit). Group
// commit: append_batch() writes many changesets in one transaction, i.e. one fsync; the
// server answers those UPDATEs after it returns, so no answered UPDATE can be lost.
// With `no_meta_sync` (MDB_NOMETASYNC) the meta page is not fsync'd on commit, roughly
// doubling the commit rate (DESIGN.md measured 2.1-3.1k/s vs 4.0-4.4k/s here): the
// database stays consistent, and a process crash loses nothing (the kernel has the
// pages), but an operating-system crash or power loss may roll back the last committed
// transaction(s) -- UPDATEs that were already answered. Off by default.
//
// Starting up (load): the zone is the master file, or the journal's snapshot when that is
// newer (RFC 1982), plus every later changeset replayed with Zone::apply. When the
// journal does not continue the starting zone's serial (the master file was edited and
// its serial no longer matches the journal), load() fails with Errc::kRefused and says
// so. Policy, as Knot: the server refuses to serve that zone rather than silently drop
// answered UPDATEs (BIND's choice: ignore the journal with a warning). An operator who
// wants the master file to win removes the zone's journal (drop(), e.g. a CLI flag) and
// restarts; one who wants the journal to win restores the master file.
//
// Thread safety: any thread may call any member; LMDB serializes writers (also across
// processes) and lets readers run alongside (the environment is opened with MDB_NOTLS,
// so read transactions are not tied to threads). The environment must not be used in a
// child after fork().
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "base/serial.hpp"
#include "wire/name.hpp"
#include "zone/changeset.hpp"
#include "zone/zone.hpp"

namespace dnspush::zone {

// Bounds per zone. When either is exceeded, needs_compaction() says so and the owner of
// the zone calls compact(), which keeps the newest half (of each bound) so IXFR still
// works for recent serials. The snapshot's size is not counted: it is bounded by the
// zone itself.
struct JournalLimits {
  std::size_t max_changesets = 1000;
  std::size_t max_bytes = std::size_t{64} << 20;  // encoded changesets
};

struct JournalOptions {
  // LMDB's map size: the most the whole journal file can hold. A write that would exceed
  // it fails (kIo, "journal full"): the UPDATE is then answered SERVFAIL, not lost.
  std::size_t map_size = std::size_t{1} << 30;
  // MDB_NOMETASYNC: see the header comment for the trade-off. Off = fully durable.
  bool no_meta_sync = false;
  unsigned max_readers = 126;  // concurrent read transactions (LMDB's default)
  JournalLimits limits;        // default bounds for every zone
};

// What the journal holds for one zone (metrics, logging, tests).
struct JournalUsage {
  std::size_t changesets = 0;
  std::size_t bytes = 0;
  std::optional<Serial> first_serial;     // serial_from of the oldest changeset
  std::optional<Serial> last_serial;      // newest serial known (changeset or snapshot)
  std::optional<Serial> snapshot_serial;  // serial of the snapshot, if any
  std::size_t snapshot_bytes = 0;
};

// How load() built the zone (for the start-up log line).
struct JournalLoadInfo {
  bool from_snapshot = false;  // started from the journal's snapshot, not the master file
  std::size_t replayed = 0;    // changesets applied
  Serial serial;               // the resulting zone's serial
};

class Journal {
 public:
  // Opens (creating when missing) the environment in directory `dir`.
  static Result<Journal> open(const std::string& dir, const JournalOptions& options = {});

  Journal(Journal&& other) noexcept;
  Journal& operator=(Journal&& other) noexcept;
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;
  ~Journal();

  // Durably appends one changeset (one transaction, fsync'd when it returns). Refused
  // when it does not continue the zone's chain or its serial_to does not follow its
  // serial_from (RFC 1982).
  Result<void> append(const wire::Name& origin, const Changeset& c);
  // Group commit: all of them or none, in one transaction and one fsync.
  Result<void> append_batch(const wire::Name& origin, std::span<const Changeset> cs);
  // Group commit across zones (one writer collecting UPDATEs for several zones).
  struct Entry {
    const wire::Name* origin;
    const Changeset* changeset;
  };
  Result<void> append_batch(std::span<const Entry> entries);

  // The changesets that take a secondary at `from` to the newest serial, oldest first
  // (RFC 1995 §4); empty when `from` is the newest serial. nullopt when the journal no
  // longer reaches back to `from` (compacted away, or never seen): the caller then falls
  // back to AXFR. When `from` occurs more than once (the serial wrapped within the
  // journal), the newest occurrence is used.
  Result<std::optional<std::vector<Changeset>>> changesets_since(const wire::Name& origin,
                                                                 Serial from) const;

  // The zone at start-up: the snapshot if it is newer than `base` (the master file's
  // zone; may be null when there is none), else `base`, then every later changeset
  // replayed. Returns `base` itself when the journal has nothing newer. See the header
  // comment for the mismatch policy.
  Result<std::shared_ptr<const Zone>> load(const wire::Name& origin,
                                           std::shared_ptr<const Zone> base,
                                           JournalLoadInfo* info = nullptr) const;

  // Whether the zone's journal exceeds `limits` (the options' limits when not given).
  Result<bool> needs_compaction(const wire::Name& origin,
                                const std::optional<JournalLimits>& limits = std::nullopt) const;
  // Writes `current` as the zone's snapshot and deletes the oldest changesets, keeping
  // the newest max_changesets/2 (and at most max_bytes/2 of them), in one transaction.
  // `current` must be the zone at the journal's newest serial.
  Result<void> compact(const wire::Name& origin, const Zone& current,
                       const std::optional<JournalLimits>& limits = std::nullopt);

  // Compaction in two halves, so that its O(zone) part need not stall the writer of the
  // zone (the server's UPDATE rate would otherwise fall as the zone grows):
  // encode_snapshot() serialises one zone version without any transaction or lock (any
  // thread); install_snapshot() then writes it and drops old changesets in one short
  // transaction. The journal may have gone on past the snapshot's serial in between:
  // every changeset after the snapshot is kept (load() replays them from it), and of the
  // changesets up to it the newest are kept as compact() keeps them, so the chain stays
  // complete and IXFR still reaches recent serials. Refused (kRefused, nothing changed)
  // when the chain no longer holds the snapshot's serial, or the stored snapshot is newer.
  struct EncodedSnapshot {
    wire::Name origin;
    Serial serial;
    std::vector<std::uint8_t> bytes;
  };
  static EncodedSnapshot encode_snapshot(const Zone& z);
  Result<void> install_snapshot(const EncodedSnapshot& s,
                                const std::optional<JournalLimits>& limits = std::nullopt);

  // Replaces everything the journal holds for the zone with this snapshot, in one
  // transaction: a secondary's first full transfer (there is no chain to continue). IXFR
  // out then reaches back to the snapshot's serial only.
  Result<void> reset(const EncodedSnapshot& s);

  // Removes everything the journal holds for the zone.
  Result<void> drop(const wire::Name& origin);

  Result<JournalUsage> usage(const wire::Name& origin) const;

  const JournalOptions& options() const { return options_; }

 private:
  struct Env;
  Journal(std::unique_ptr<Env> env, JournalOptions options);
  std::unique_ptr<Env> env_;
  JournalOptions options_;
};

}  // namespace dnspush::zone
