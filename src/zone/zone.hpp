// An immutable, in-memory authoritative zone (class IN). Readers hold a
// shared_ptr<const Zone> snapshot and never lock; a change produces a new Zone from a
// Changeset (DESIGN.md "one writer for zone data").
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "base/result.hpp"
#include "base/serial.hpp"
#include "wire/message.hpp"
#include "wire/name.hpp"
#include "wire/types.hpp"
#include "zone/changeset.hpp"

namespace dnspush::zone {

struct RRset {
  wire::RRType type = wire::RRType::A;
  std::uint32_t ttl = 0;
  std::vector<std::vector<std::uint8_t>> rdatas;  // uncompressed, no duplicates
};

struct NodeAccess;

// The records at one owner name. A node with no RRsets is an empty non-terminal
// (RFC 4592 §2.2.2): it exists for NXDOMAIN/NODATA and wildcard purposes.
class Node {
 public:
  const RRset* find(wire::RRType t) const;
  std::span<const RRset> rrsets() const { return rrsets_; }
  bool empty() const { return rrsets_.empty(); }
  // Number of child nodes (names one label longer) in the zone; an empty node with no
  // children does not exist.
  std::uint32_t children() const { return children_; }

 private:
  friend class Zone;
  friend class ZoneBuilder;
  friend struct NodeAccess;
  // Kept sorted by type value, so iteration is deterministic.
  std::vector<RRset> rrsets_;
  std::uint32_t children_ = 0;  // number of child nodes (to prune empty non-terminals)
};

class Zone {
 public:
  const wire::Name& origin() const { return origin_; }
  const Node* find(const wire::Name& owner) const;  // exact match, incl. empty non-terminals
  const Node& apex() const { return *apex_; }       // find(origin()), without the lookup
  const RRset& soa() const;                         // the apex SOA (always present)
  wire::Record soa_record() const;
  Serial serial() const;
  // RFC 2308 §5: the TTL of a negative answer's SOA is min(SOA TTL, SOA MINIMUM).
  std::uint32_t negative_ttl() const;
  std::size_t node_count() const { return node_count_; }
  std::size_t record_count() const { return records_; }

  // Every record, apex SOA first, the rest in canonical order (RFC 4034 §6.1), as
  // AXFR sends them (RFC 5936 §2.2).
  std::vector<wire::Record> records() const;

  // Applies a changeset atomically: either every removal and addition is valid against
  // this zone (removed records exist, no CNAME-and-other-data, SOA/NS at the apex
  // remain, soa_from matches) and a new zone is returned, or nothing changes.
  // Removals are applied before additions (RFC 1995 §4 order). Further rules: the SOA
  // itself is never in removed/added; soa_to is an apex SOA whose serial follows
  // soa_from's (RFC 1982), so every version has its own serial for IXFR and the journal;
  // adding a record that already exists is not an error and sets the RRset's TTL (the
  // newest TTL wins on update). Copy-on-write: untouched nodes are shared with `this`.
  Result<std::shared_ptr<const Zone>> apply(const Changeset& c) const;

  // Every record like records(), apex SOA first, the rest in no particular order: for
  // consumers that do not need canonical order (a journal snapshot), at a fraction of
  // the cost (no sort, no canonical forms).
  std::vector<wire::Record> records_unordered() const;

  // The nodes live in hash shards, each an immutable map shared between versions, and
  // the shard pointers in pages of kShardsPerPage, also shared: a change copies the page
  // pointers (shards / 64), the pages it touches and the shards it touches, never the
  // nodes it does not touch. Applying a small changeset therefore costs
  // O(nodes / (kNodesPerShard * kShardsPerPage)) pointer copies plus the touched shards'
  // sizes: 32 page pointers at 100k names, where one pointer per shard (2,048) made
  // apply 4x slower at 100k names than at 10k (bench/bench_update_apply.cpp).
  using Shard =
      std::unordered_map<wire::Name, std::shared_ptr<const Node>, wire::NameHash, wire::NameEq>;
  static constexpr std::size_t kNodesPerShard = 64;
  static constexpr std::size_t kShardsPerPage = 64;
  using ShardPage = std::vector<std::shared_ptr<const Shard>>;  // <= kShardsPerPage

  // One record of the zone, seen in place (no copy).
  struct RecordView {
    const wire::Name* owner;
    wire::RRType type;
    std::uint32_t ttl;
    std::span<const std::uint8_t> rdata;
  };
  // A resumable walk over every record, apex SOA first, the rest in the order of
  // records_unordered(), that copies nothing: it holds positions inside this immutable
  // snapshot, so the zone must outlive it (e.g. an AXFR that is written out as the
  // client reads, RFC 5936 §2.2, holds a shared_ptr to the zone and a walk).
  class Walk {
   public:
    explicit Walk(const Zone& z);
    // The current record, or nullopt once every record was seen.
    std::optional<RecordView> current() const;
    void next();

   private:
    void settle();  // moves forward to the next record from the current position
    const Zone* zone_;
    bool soa_done_ = false;
    std::size_t shard_ = 0;
    Shard::const_iterator node_;
    std::size_t rrset_ = 0;
    std::size_t rdata_ = 0;
  };

 private:
  friend class ZoneBuilder;
  friend class ZoneEditor;
  static std::size_t shard_count_for(std::size_t nodes);
  static std::size_t shard_of(const wire::Name& n, std::size_t shard_count) {
    return shard_of_hash(n.hash(), shard_count);
  }
  static std::size_t shard_of_hash(std::size_t hash, std::size_t shard_count);
  // Builds the page table of `shards` (a power of two of them).
  static std::vector<std::shared_ptr<const ShardPage>> paginate(
      std::vector<std::shared_ptr<Shard>> shards);
  const Shard& shard(std::size_t i) const {
    return *(*pages_[i / kShardsPerPage])[i % kShardsPerPage];
  }
  void index_apex();

  wire::Name origin_;
  std::vector<std::shared_ptr<const ShardPage>> pages_;
  std::size_t shard_count_ = 0;  // a power of two
  std::size_t node_count_ = 0;
  std::size_t records_ = 0;
  std::shared_ptr<const Node> apex_;  // the origin's node, cached
  const RRset* soa_ = nullptr;        // inside *apex_
};

// The rules about one record on its own, shared by zone files, UPDATE and transfers in:
// class IN, not a meta type (RFC 6895 §3.1), owner at or below `origin`, RDATA valid for
// its type (wire::rdata_valid), SOA only at the apex. The error names the record.
Result<void> check_record(const wire::Name& origin, const wire::Record& r);

// Collects records (from a zone file or a transfer) and checks the zone rules: SOA and
// NS at the apex, exactly one SOA, every name inside the origin, no CNAME
// with other data, class IN, same TTL across an RRset (the first one wins, as BIND does).
// Rules about one record (class, meta types, inside the origin, RDATA, SOA only at the
// apex, a second SOA, CNAME conflicts) fail in add(), so a loader can name the line;
// rules about the whole zone (an apex SOA and NS exist) fail in finish().
// Identical records are dropped (RFC 2181 §5: an RRset has no duplicates).
class ZoneBuilder {
 public:
  explicit ZoneBuilder(wire::Name origin);
  Result<void> add(const wire::Record& r);
  Result<std::shared_ptr<const Zone>> finish() &&;

 private:
  wire::Name origin_;
  std::unordered_map<wire::Name, Node, wire::NameHash> nodes_;
  std::size_t records_ = 0;
};

}  // namespace dnspush::zone
