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

// A three-way merge: the edit that turned `base` into `edited` (a zone file as the server
// last read it, and as the operator left it), as a change to `current` (the zone served,
// `base` plus UPDATEs since): records the edit removed that `current` still holds go,
// records it added that `current` lacks come, everything else -- what UPDATEs did -- stays;
// the SOA becomes `edited`'s. nullopt when that changes nothing; fails as diff() does when
// something changes but `edited`'s serial does not follow `current`'s.
Result<std::optional<Changeset>> merge_edit(const Zone& base, const Zone& current,
                                            const Zone& edited);

// How many records differ between two zones, whatever their serials (for reports such as
// "the file changed without a new serial"): those only in `a` and those only in `b`, a TTL
// change counting on both sides, and a differing apex SOA as one on each side.
struct RecordDifference {
  std::size_t only_in_a = 0;
  std::size_t only_in_b = 0;
  bool none() const { return only_in_a == 0 && only_in_b == 0; }
};
RecordDifference count_differences(const Zone& a, const Zone& b);

}  // namespace dnspush::zone
