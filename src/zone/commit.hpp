// One committed change, as every consumer sees it (DESIGN.md "commits carry a version").
// The one writer publishes each commit once, after it is durable in the journal and the
// catalogue that contains it is published, as an immutable object that is shared, never
// copied: the same pointer is posted to every io worker (DNS Push, LLQ) and to NOTIFY out.
#pragma once

#include <cstdint>
#include <memory>

#include "base/time.hpp"
#include "wire/name.hpp"
#include "zone/changeset.hpp"
#include "zone/zone.hpp"

namespace dnspush::zone {

struct Commit {
  wire::Name origin;
  // Strictly increasing across every zone of the server, starting at 1, never wrapping (64
  // bits). The catalogue published with this commit carries the same version, so a reader
  // that took its snapshot at version v has seen exactly the commits with version <= v.
  std::uint64_t version = 0;
  Changeset changeset;
  std::shared_ptr<const Zone> before;  // the zone the changeset was applied to
  std::shared_ptr<const Zone> after;   // the zone it produced (served from now on)
  TimePoint committed_at{};            // when it became durable (for UPDATE->PUSH latency)
};

using CommitPtr = std::shared_ptr<const Commit>;

}  // namespace dnspush::zone
