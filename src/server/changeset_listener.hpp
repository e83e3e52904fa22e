// The "changeset committed" notification: every accepted change (an UPDATE today; IXFR-in
// and reloads later) reaches the rest of the server as one zone::Changeset, after it is
// durable in the journal and the new zone is published to the responder. NOTIFY out is
// one listener; DNS Push (RFC 8765) and LLQ (RFC 8764) subscribe the same way.
#pragma once

#include <memory>

#include "zone/changeset.hpp"
#include "zone/zone.hpp"

namespace dnspush::server {

class ChangesetListener {
 public:
  virtual ~ChangesetListener() = default;
  // Called on the zone writer's thread, in commit order, once per changeset: `before` is
  // the zone the changeset was applied to, `after` the zone it produced (now served).
  // Must not block: hand work to another thread or loop if it is slow.
  virtual void on_commit(const std::shared_ptr<const zone::Zone>& before,
                         const std::shared_ptr<const zone::Zone>& after,
                         const zone::Changeset& changeset) = 0;
};

}  // namespace dnspush::server
