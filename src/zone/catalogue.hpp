// The set of zones a server is authoritative for, as one immutable snapshot: finding
// the zone for a name is a longest-suffix match over the loaded origins.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "wire/name.hpp"
#include "zone/zone.hpp"

namespace dnspush::zone {

class Catalogue {
 public:
  // Returns a new catalogue with `z` added or replacing the zone of the same origin, at
  // the same version.
  std::shared_ptr<const Catalogue> with(std::shared_ptr<const Zone> z) const;
  // The same, published as commit `version` (zone::Commit::version): a reader of this
  // catalogue has seen every commit up to and including `version`, and no later one.
  std::shared_ptr<const Catalogue> with(std::shared_ptr<const Zone> z, std::uint64_t version) const;
  std::uint64_t version() const { return version_; }
  // Returns a new catalogue without the zone of `origin` (unchanged when absent).
  std::shared_ptr<const Catalogue> without(const wire::Name& origin) const;
  std::size_t size() const { return zones_.size(); }
  // The zone whose origin is the longest suffix of `name`, or nullptr (REFUSED).
  const std::shared_ptr<const Zone>* find_enclosing(const wire::Name& name) const;
  const std::shared_ptr<const Zone>* find_exact(const wire::Name& origin) const;
  std::vector<std::shared_ptr<const Zone>> zones() const;

  // Zones we are configured for but must not answer from (RFC 1034 §4.3.5): a secondary
  // zone before its first transfer, or past its SOA expire time. A zone marked so may
  // still be held (its last contents stay for the next transfer to be diffed against);
  // queries and subscriptions for names in it are answered SERVFAIL.
  std::shared_ptr<const Catalogue> with_unavailable(const wire::Name& origin,
                                                    bool unavailable) const;
  bool unavailable(const wire::Name& origin) const { return unavailable_.contains(origin); }
  // Whether `name` belongs to an unavailable zone: the closest enclosing zone, held or
  // marked, is marked. O(1) when nothing is marked (the query path's usual case).
  bool unavailable_for(const wire::Name& name) const;

 private:
  void index_label_counts();
  bool has_origin_of(std::size_t labels) const {
    return labels < 128 && ((label_counts_[labels / 64] >> (labels % 64)) & 1) != 0;
  }

  std::unordered_map<wire::Name, std::shared_ptr<const Zone>, wire::NameHash> zones_;
  // Bit n: some zone's origin has n labels. find_enclosing hashes only the suffixes of a
  // name that could be an origin (one, for the usual server of a few zones).
  std::uint64_t label_counts_[2] = {0, 0};
  std::unordered_set<wire::Name, wire::NameHash> unavailable_;
  std::uint64_t version_ = 0;
};

}  // namespace dnspush::zone
