// Records the server answers in a zone as if the zone held them, unless it has its own:
// the DNS Push discovery records (RFC 8765 §6.1): `_dns-push-tls._tcp.<zone>` SRV pointing
// at this server's TLS listener, and the address records of the SRV target when the
// target is inside the zone and the zone has none. They are not zone data (not in AXFR,
// IXFR or the journal, never pushed): they describe this server, so they follow its
// configuration and go away when the operator puts real records in the zone.
#pragma once

#include <memory>
#include <unordered_map>
#include <vector>

#include "wire/message.hpp"
#include "wire/name.hpp"
#include "zone/zone.hpp"

namespace dnspush::auth {

class SyntheticRecords {
 public:
  struct Node {
    wire::Name origin;  // the zone they belong to
    std::vector<zone::RRset> rrsets;
    const zone::RRset* find(wire::RRType t) const;
  };

  // Adds `r` (class IN) to the zone `origin`; records of one owner and type form an RRset
  // (the first TTL wins).
  void add(const wire::Name& origin, const wire::Record& r);
  const Node* find(const wire::Name& owner) const;
  bool empty() const { return nodes_.empty(); }

 private:
  std::unordered_map<wire::Name, Node, wire::NameHash> nodes_;
};

}  // namespace dnspush::auth
