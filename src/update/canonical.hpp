// RDATA identity for RFC 2136 §1.1.1 comparisons (TTL excluded, names in RDATA compared
// case-insensitively per §1.1.2) as a hashable key, so that an UPDATE touching a large
// RRset costs O(n), not O(n^2) pairwise comparisons.
#pragma once

#include <span>
#include <string>

#include "wire/rdata.hpp"
#include "wire/types.hpp"

namespace dnspush::update {

inline std::string canonical_key(wire::RRType type, std::span<const std::uint8_t> rdata) {
  const auto c = wire::canonical_rdata(type, rdata);
  return std::string(c.begin(), c.end());
}

}  // namespace dnspush::update
