#include "update/checks.hpp"

#include <map>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "update/canonical.hpp"
#include "wire/rdata.hpp"

namespace dnspush::update {

using wire::Rcode;
using wire::Record;
using wire::RRClass;
using wire::RRType;

namespace {

Failure failure(Rcode rcode, const Record& rr, const char* why) {
  return Failure{rcode, wire::to_text(rcode) + ": " + rr.owner.to_text() + " " +
                            wire::to_text(rr.cls) + " " + wire::to_text(rr.type) + ": " + why};
}

// RFC 2136 §1.2: a name is "in" the zone when the zone's name owns it.
bool in_zone(const wire::Name& name, const wire::Name& origin) {
  return name.is_subdomain_of(origin);
}

// RFC 2136 §2.4.4/§2.4.5: a name is in use when it owns at least one RR; an empty
// non-terminal is not in use.
bool name_in_use(const zone::Zone& zone, const wire::Name& name) {
  const zone::Node* n = zone.find(name);
  return n != nullptr && !n->empty();
}

// RFC 6895 §3.1: TYPE 0 and 65535 are reserved and meta types (OPT, 128..255) are not
// data. An UPDATE naming one where data is meant is malformed (RFC 2136 §3.2, §3.4.1.3,
// whose pseudocode lists ANY, AXFR, MAILA and MAILB "or any other QUERY metatype").
// `any_ok`: TYPE ANY is the "all RRsets" form in class ANY deletions and prerequisites.
const char* type_unusable(RRType t, bool any_ok) {
  if (wire::is_reserved_type(t)) return "reserved type (RFC 6895 §3.1)";
  if (wire::is_meta_type(t) && !(any_ok && t == RRType::ANY)) {
    return "meta type (RFC 6895 §3.1)";
  }
  return nullptr;
}

bool rrset_exists(const zone::Zone& zone, const wire::Name& name, RRType type) {
  const zone::Node* n = zone.find(name);
  return n != nullptr && n->find(type) != nullptr;
}

// RFC 2136 §2.4.2: one <NAME, TYPE> of the value-dependent prerequisites.
struct Wanted {
  const Record* first;  // for the reason text
  std::vector<const std::vector<std::uint8_t>*> rdatas;
};
using Key = std::pair<wire::Name, RRType>;
struct KeyLess {
  bool operator()(const Key& a, const Key& b) const {
    const int c = a.first.canonical_compare(b.first);
    if (c != 0) return c < 0;
    return static_cast<std::uint16_t>(a.second) < static_cast<std::uint16_t>(b.second);
  }
};

// RFC 2136 §3.2.3: the zone RRset has the same members, no more, no less (TTL ignored,
// RDATA compared in canonical form per §1.1.1/§1.1.2; the prerequisite's duplicates
// count once, an RRset being a set). Zone RRsets hold no duplicates.
bool rrset_matches(const zone::Zone& zone, const Key& key, const Wanted& w) {
  const zone::Node* n = zone.find(key.first);
  const zone::RRset* set = n == nullptr ? nullptr : n->find(key.second);
  if (set == nullptr) return false;
  std::unordered_set<std::string> wanted;
  for (const auto* rd : w.rdatas) wanted.insert(canonical_key(key.second, *rd));
  if (wanted.size() != set->rdatas.size()) return false;
  for (const auto& rd : set->rdatas) {
    if (!wanted.contains(canonical_key(key.second, rd))) return false;
  }
  return true;
}

}  // namespace

std::optional<Failure> check_zone_section(const wire::Message& update) {
  if (update.header.opcode != wire::Opcode::UPDATE) {
    return Failure{Rcode::NOTIMP, "not an UPDATE message"};
  }
  if (update.header.qr) return Failure{Rcode::FORMERR, "FORMERR: a response, not a request"};
  // RFC 2136 §3.1.1: exactly one zone RR and its type is SOA, else FORMERR.
  if (update.questions.size() != 1) {
    return Failure{Rcode::FORMERR, "FORMERR: ZOCOUNT is " +
                                       std::to_string(update.questions.size()) + ", must be 1"};
  }
  const wire::Question& z = update.questions.front();
  if (z.type != RRType::SOA) {
    return Failure{Rcode::FORMERR, "FORMERR: ZTYPE is " + wire::to_text(z.type) + ", must be SOA"};
  }
  // RFC 2136 §3.1.1: ZNAME and ZCLASS must name a zone of ours; all our zones are IN.
  if (z.cls != RRClass::IN) {
    return Failure{Rcode::NOTAUTH,
                   "NOTAUTH: no zone " + z.name.to_text() + " in class " + wire::to_text(z.cls)};
  }
  return std::nullopt;
}

std::optional<Failure> check_prerequisites(std::span<const Record> prerequisites,
                                           const zone::Zone& zone) {
  std::map<Key, Wanted, KeyLess> value_dependent;
  // RFC 2136 §3.2.5: the RRs are checked in order and the first failure answers.
  for (const Record& rr : prerequisites) {
    if (rr.ttl != 0) return failure(Rcode::FORMERR, rr, "prerequisite TTL must be 0");
    if (!in_zone(rr.owner, zone.origin())) {
      return failure(Rcode::NOTZONE, rr, "prerequisite name is outside the zone (RFC 2136 §3.2)");
    }
    if (const char* why = type_unusable(rr.type, rr.cls != RRClass::IN)) {
      return failure(Rcode::FORMERR, rr, why);
    }
    if (rr.cls == RRClass::ANY) {
      // RFC 2136 §3.2.1: name is in use (NXDOMAIN) / RRset exists (NXRRSET).
      if (!rr.rdata.empty()) return failure(Rcode::FORMERR, rr, "RDLENGTH must be 0");
      if (rr.type == RRType::ANY) {
        if (!name_in_use(zone, rr.owner)) return failure(Rcode::NXDOMAIN, rr, "name is not in use");
      } else if (!rrset_exists(zone, rr.owner, rr.type)) {
        return failure(Rcode::NXRRSET, rr, "RRset does not exist");
      }
    } else if (rr.cls == RRClass::NONE) {
      // RFC 2136 §3.2.2: name is not in use (YXDOMAIN) / RRset does not exist (YXRRSET).
      if (!rr.rdata.empty()) return failure(Rcode::FORMERR, rr, "RDLENGTH must be 0");
      if (rr.type == RRType::ANY) {
        if (name_in_use(zone, rr.owner)) return failure(Rcode::YXDOMAIN, rr, "name is in use");
      } else if (rrset_exists(zone, rr.owner, rr.type)) {
        return failure(Rcode::YXRRSET, rr, "RRset exists");
      }
    } else if (rr.cls == RRClass::IN) {
      // RFC 2136 §3.2.3: RRset exists (value dependent); compared once all are collected.
      // RDATA that does not parse as its type cannot be in a zone: FORMERR.
      if (!wire::rdata_valid(rr.type, rr.rdata)) {
        return failure(Rcode::FORMERR, rr, "RDATA is not valid for its type");
      }
      auto [it, inserted] = value_dependent.try_emplace(Key{rr.owner, rr.type}, Wanted{&rr, {}});
      it->second.rdatas.push_back(&rr.rdata);
    } else {
      return failure(Rcode::FORMERR, rr, "class must be the zone's, ANY or NONE (RFC 2136 §3.2.3)");
    }
  }
  for (const auto& [key, wanted] : value_dependent) {
    if (!rrset_matches(zone, key, wanted)) {
      return failure(Rcode::NXRRSET, *wanted.first, "RRset differs from the prerequisite");
    }
  }
  return std::nullopt;
}

std::optional<Failure> prescan(std::span<const Record> updates, const wire::Name& origin) {
  // RFC 2136 §3.4.1.3, extended by RFC 3597: an unknown type is not a meta type and is
  // carried as opaque RDATA; reserved and meta types (RFC 6895 §3.1) are refused, and so
  // is RDATA that does not parse as its type (the checks BIND applies on the wire).
  for (const Record& rr : updates) {
    if (!in_zone(rr.owner, origin)) {
      return failure(Rcode::NOTZONE, rr, "update name is outside the zone (RFC 2136 §3.4.1)");
    }
    if (rr.cls == RRClass::IN) {
      if (const char* why = type_unusable(rr.type, /*any_ok=*/false)) {
        return failure(Rcode::FORMERR, rr, why);
      }
      // RFC 1123 §6.1.3.6: MD and MF are obsolete and MUST NOT be loaded. BIND ignores
      // such an add; refusing it tells the client its record was not stored.
      if (wire::is_obsolete_type(rr.type)) {
        return failure(Rcode::FORMERR, rr, "obsolete type (RFC 1123 §6.1.3.6)");
      }
      if (!wire::rdata_valid(rr.type, rr.rdata)) {
        return failure(Rcode::FORMERR, rr, "RDATA is not valid for its type");
      }
      // BIND refuses any message with such an NSEC3 (so every later AXFR of the zone).
      if (!wire::owner_valid(rr.type, rr.owner)) {
        return failure(Rcode::FORMERR, rr, "owner is not a base32hex hash (RFC 5155 §3)");
      }
    } else if (rr.cls == RRClass::ANY) {
      if (rr.ttl != 0) return failure(Rcode::FORMERR, rr, "TTL must be 0 when deleting");
      if (!rr.rdata.empty()) return failure(Rcode::FORMERR, rr, "RDLENGTH must be 0");
      if (const char* why = type_unusable(rr.type, /*any_ok=*/true)) {
        return failure(Rcode::FORMERR, rr, why);
      }
    } else if (rr.cls == RRClass::NONE) {
      if (rr.ttl != 0) return failure(Rcode::FORMERR, rr, "TTL must be 0 when deleting");
      if (const char* why = type_unusable(rr.type, /*any_ok=*/false)) {
        return failure(Rcode::FORMERR, rr, why);
      }
      // RFC 2136 §2.5.4: the RDATA must match the RR being deleted, so it must parse.
      if (!wire::rdata_valid(rr.type, rr.rdata)) {
        return failure(Rcode::FORMERR, rr, "RDATA is not valid for its type");
      }
    } else {
      return failure(Rcode::FORMERR, rr, "class must be the zone's, ANY or NONE (RFC 2136 §3.4.1)");
    }
  }
  return std::nullopt;
}

}  // namespace dnspush::update
