// Additional-section data (minimal-responses style): only what saves the client a
// query, only from the zone that answered, and never at the cost of truncation except for
// the in-domain glue of a referral (RFC 9471 §3.1).
#pragma once

#include <vector>

#include "auth/lookup.hpp"

namespace dnspush::auth {

struct AdditionalRRset {
  RRsetRef rr;
  // In-domain glue of a referral: RFC 9471 §3.1 says TC=1 when it does not all fit.
  // Everything else is dropped silently when there is no room (RFC 2181 §9).
  bool required = false;
};

// In order of usefulness, deduplicated by (owner, type):
// - MX, NS, SRV answers: A/AAAA of targets inside the zone (RFC 1035 §3.3.9, §3.3.11;
//   RFC 2782 "Additional data section");
// - PTR answers (DNS-SD browse): SRV and TXT of each instance, then A/AAAA of the SRV
//   targets (RFC 6763 §12.1);
// - referrals: A/AAAA of the name servers below the cut (required), then of other
//   name servers inside the zone (sibling glue, optional).
std::vector<AdditionalRRset> additional_for(const LookupResult& r);
// The same into `out` (cleared first), reusing its capacity.
void additional_for(const LookupResult& r, std::vector<AdditionalRRset>& out);

}  // namespace dnspush::auth
