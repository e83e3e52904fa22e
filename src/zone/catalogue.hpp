// The set of zones a server is authoritative for, as one immutable snapshot: finding
// the zone for a name is a longest-suffix match over the loaded origins.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
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
  std::shared_ptr<const Catalogue> with(std::shared_ptr<const Zone> z,
                                        std::uint64_t version) const;
  std::uint64_t version() const { return version_; }
  // Returns a new catalogue without the zone of `origin` (unchanged when absent).
  std::shared_ptr<const Catalogue> without(const wire::Name& origin) const;
  std::size_t size() const { return zones_.size(); }
  // The zone whose origin is the longest suffix of `name`, or nullptr (REFUSED).
  const std::shared_ptr<const Zone>* find_enclosing(const wire::Name& name) const;
  const std::shared_ptr<const Zone>* find_exact(const wire::Name& origin) const;
  std::vector<std::shared_ptr<const Zone>> zones() const;

 private:
  std::unordered_map<wire::Name, std::shared_ptr<const Zone>, wire::NameHash> zones_;
  std::uint64_t version_ = 0;
};

}  // namespace dnspush::zone
