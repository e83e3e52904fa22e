// The difference between two versions of a zone as one Changeset. A zone file edited
// and reloaded is a change like any UPDATE (DESIGN.md: "zone reload → Changeset"): it is
// journalled, served by IXFR, NOTIFYed and pushed, which only works if it has this shape.
#pragma once

#include <optional>

#include "base/result.hpp"
#include "zone/changeset.hpp"
#include "zone/zone.hpp"

namespace dnspush::zone {

// nullopt when `to` has the same SOA and records as `from`. Fails when the origins differ,
// or when the contents differ but `to`'s serial does not follow `from`'s (RFC 1982): a
// new version must have a greater serial, or secondaries cannot see it (RFC 1995 §2).
// A record whose TTL alone changed is removed and added again, so consumers see the TTL.
Result<std::optional<Changeset>> diff(const Zone& from, const Zone& to);

}  // namespace dnspush::zone
