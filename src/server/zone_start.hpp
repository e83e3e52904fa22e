// The restart paths of a primary zone (docs/OPERATIONS.md "Restart paths"): its master file
// and its journal, reconciled once at start-up (or when a reloaded configuration adds the
// zone), per the zone's journal-content. Runs before the writer serves the zone, so nobody
// is subscribed yet: a changeset made here is journalled (IXFR sees it) and served, not
// announced.
//
// The journal's zone is its snapshot plus every later changeset; the first start of a zone
// stores a snapshot of what it serves, so that a later start can tell the file from the
// journal even after the file was edited (without one -- a journal written before this
// existed -- an edited file is refused as before, unless journal-content = "file").
//
// The file as the server last read it (or, after a freeze, wrote it) is kept in the state
// directory (file_base_path), so that a newer file's change is the operator's edit alone,
// merged on top of what UPDATEs did meanwhile (zone::merge_edit), not the whole difference
// from the served zone, which would undo those UPDATEs. Without it (deleted, or a state
// directory from before), the whole difference is applied and the log says so.
#pragma once

#include <filesystem>
#include <memory>

#include "base/result.hpp"
#include "server/config.hpp"
#include "zone/file_check.hpp"
#include "zone/journal.hpp"
#include "zone/zone.hpp"

namespace dnspush::server {

// The zone to serve, with the journal made to match it; logs what it did (one line, a
// warning when the file was not used or the history was dropped).
Result<std::shared_ptr<const zone::Zone>> start_primary_zone(
    const ZoneConfig& zc, zone::Journal& journal, const std::filesystem::path& state_dir);

// compare_file() against the zone being served, with the journal's changesets since the
// file's serial when the file is older, and the file's base.
Result<zone::FileComparison> compare_with_journal(const zone::Journal& journal,
                                                  const zone::Zone& current, const zone::Zone& file,
                                                  const zone::Zone* base);

// <state-dir>/zones/<origin>base: the zone file as the server last adopted it.
std::filesystem::path file_base_path(const std::filesystem::path& state_dir,
                                     const wire::Name& origin);
// The base, or null when there is none (or it does not load: logged).
std::shared_ptr<const zone::Zone> read_file_base(const std::filesystem::path& state_dir,
                                                 const wire::Name& origin);
// Keeps `z` as the base (atomically: temp file, fsync, rename); a failure is logged.
void remember_file_base(const std::filesystem::path& state_dir, const zone::Zone& z);

}  // namespace dnspush::server
