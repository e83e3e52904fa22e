// An immutable, in-memory authoritative zone (class IN). Readers hold a
// shared_ptr<const Zone> snapshot and never lock; a change produces a new Zone from a
// Changeset (DESIGN.md "one writer for zone data").
#pragma once

#include <cstdint>
#include <memory>
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

// The records at one owner name. A node with no RRsets is an empty non-terminal
// (RFC 4592 §2.2.2): it exists for NXDOMAIN/NODATA and wildcard purposes.
class Node {
 public:
  const RRset* find(wire::RRType t) const;
  std::span<const RRset> rrsets() const { return rrsets_; }
  bool empty() const { return rrsets_.empty(); }

 private:
  friend class Zone;
  friend class ZoneBuilder;
  std::vector<RRset> rrsets_;
  std::uint32_t children_ = 0;  // number of child nodes (to prune empty non-terminals)
};

class Zone {
 public:
  const wire::Name& origin() const { return origin_; }
  const Node* find(const wire::Name& owner) const;  // exact match, incl. empty non-terminals
  const RRset& soa() const;                         // the apex SOA (always present)
  wire::Record soa_record() const;
  Serial serial() const;
  std::size_t node_count() const { return nodes_.size(); }
  std::size_t record_count() const { return records_; }

  // Every record, apex SOA first, the rest in canonical order (RFC 4034 §6.1), as
  // AXFR sends them (RFC 5936 §2.2).
  std::vector<wire::Record> records() const;

  // Applies a changeset atomically: either every removal and addition is valid against
  // this zone (removed records exist, no CNAME-and-other-data, SOA/NS at the apex
  // remain, soa_from matches) and a new zone is returned, or nothing changes.
  Result<std::shared_ptr<const Zone>> apply(const Changeset& c) const;

 private:
  friend class ZoneBuilder;
  wire::Name origin_;
  std::unordered_map<wire::Name, std::shared_ptr<const Node>, wire::NameHash> nodes_;
  std::size_t records_ = 0;
};

// Collects records (from a zone file or a transfer) and checks the zone rules once at the
// end: SOA and NS at the apex, exactly one SOA, every name inside the origin, no CNAME
// with other data, class IN, same TTL across an RRset (the first one wins, as BIND does).
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
