// The "changeset committed" notification: every accepted change (an UPDATE, a reload of a
// zone file; IXFR-in later) reaches the rest of the server as one zone::Commit, after it
// is durable in the journal and the catalogue that contains it is published to the
// responder. NOTIFY out is one listener; DNS Push (RFC 8765) and LLQ (RFC 8764) are others.
#pragma once

#include "zone/commit.hpp"

namespace dnspush::server {

class ChangesetListener {
 public:
  virtual ~ChangesetListener() = default;
  // Called on the zone writer's thread, once per commit, in version order. The commit is
  // immutable and may be kept or posted anywhere. Must not block: hand the work to another
  // thread or event loop (the writer answers the next UPDATEs only after this returns).
  virtual void on_commit(const zone::CommitPtr& commit) = 0;
};

}  // namespace dnspush::server
