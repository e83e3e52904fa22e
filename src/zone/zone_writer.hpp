// Write-back of a zone to an RFC 1035 §5 master file, as BIND and Knot do, so an
// operator can read the current zone (and the next start needs no journal replay: the
// file's serial is then the journal's newest). When to write is the server's decision
// (a timer, a command, shutdown); this layer reads no clock.
#pragma once

#include <string>

#include "base/result.hpp"
#include "zone/zone.hpp"

namespace dnspush::zone {

// The zone as master-file text: a comment line, $ORIGIN, the apex SOA first, then every
// other record in canonical order (RFC 4034 §6.1), one per line with explicit TTL and
// class, owner names relative to the origin where they are inside it ("@" for the apex).
// RDATA is written by wire::rdata_to_text (RFC 3597 "\# len hex" for unknown types).
std::string zone_to_text(const Zone& zone);

// Writes zone_to_text(zone) to `path` atomically: the text goes to "<path>.tmp", which is
// fsync'd and renamed over `path`, then the directory is fsync'd, so a crash leaves
// either the old file or the new one, never a torn one.
Result<void> write_zone_file(const Zone& zone, const std::string& path);

}  // namespace dnspush::zone
