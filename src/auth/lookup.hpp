// RFC 1034 §4.3.2 name resolution inside the zones of one catalogue snapshot, with
// wildcards (RFC 4592), CNAME chains, DNAME (RFC 6672) and negative answers (RFC 2308).
// Produces RRsets by reference into the snapshot; the caller writes them (responder.cpp).
#pragma once

#include <cstdint>
#include <vector>

#include "wire/name.hpp"
#include "wire/types.hpp"
#include "zone/catalogue.hpp"
#include "zone/zone.hpp"

namespace dnspush::auth {

// One RRset to write: either a zone RRset (by pointer into the snapshot, which the caller
// keeps alive) or a synthesized one (a DNAME's CNAME) with its single RDATA owned here.
struct RRsetRef {
  wire::Name owner;
  wire::RRType type = wire::RRType::A;
  std::uint32_t ttl = 0;
  const zone::RRset* rrset = nullptr;
  std::vector<std::uint8_t> synthesized;  // used when rrset == nullptr
};

enum class Outcome {
  kAnswer,    // the answer section holds the data (possibly after CNAME/DNAME steps)
  kNoData,    // name exists, type does not (RFC 2308 §2.2); SOA in authority
  kNxDomain,  // name does not exist (RFC 2308 §2.1); SOA in authority
  kReferral,  // delegation: NS in authority, glue in additional, AA=0
  kRefused,   // the query name is in no zone of ours
  kYxDomain,  // a DNAME substitution overflowed 255 bytes (RFC 6672 §2.2)
};

struct LookupResult {
  Outcome outcome = Outcome::kRefused;
  bool authoritative = false;  // AA: the query name itself is in one of our zones
  std::vector<RRsetRef> answer;
  std::vector<RRsetRef> authority;
  // The zone in which the last step was resolved: additional data comes from it only.
  const zone::Zone* zone = nullptr;
  // For a referral: the cut whose NS RRset is in the authority section.
  const zone::Node* cut = nullptr;
  wire::Name cut_name;
};

// CNAME/DNAME chains are followed at most this many steps (loops end earlier).
inline constexpr int kMaxChainSteps = 16;

// Resolves `qname`/`qtype` (qtype is neither a meta type nor AXFR/IXFR; ANY returns every
// RRset at the name). Never fails: every outcome is an answer of some kind.
LookupResult lookup(const zone::Catalogue& catalogue, const wire::Name& qname, wire::RRType qtype);
// The same into `out` (every field reset), reusing its vectors' capacity: the query path
// keeps one per thread and allocates nothing.
void lookup(const zone::Catalogue& catalogue, const wire::Name& qname, wire::RRType qtype,
            LookupResult& out);

// RFC 2308 §3: the SOA in a negative answer carries min(SOA TTL, SOA MINIMUM).
RRsetRef negative_soa(const zone::Zone& z);

}  // namespace dnspush::auth
