// How a master file read from disk compares with the zone being served (the journal's
// zone: its snapshot plus every later changeset). The server asks at start-up and on every
// reload/thaw, and the answer decides what happens to the file (docs/OPERATIONS.md,
// "Restart paths"): a newer serial is a change to apply as one changeset (as Knot's
// `zonefile-load: difference`); a file that is not newer but whose records are not the
// zone's at its serial was edited without raising the serial, and is reported, never
// applied (RFC 1995 §2: secondaries only see a change with a greater serial). Pure: no
// disk, no clock, no logging.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "base/serial.hpp"
#include "zone/changeset.hpp"
#include "zone/zone.hpp"
#include "zone/zone_diff.hpp"

namespace dnspush::zone {

// [journal] journal-content: what a start-up does with a master file whose serial is newer
// than the journal's zone (the file was edited while the server was down).
enum class JournalContent {
  kChanges,  // the difference becomes one journalled changeset (IXFR, push, LLQ see it)
  kJournal,  // the file is ignored, with a warning; the journal's zone is served
  kFile,     // the journal is dropped and starts afresh from the file (IXFR falls back)
};

struct FileComparison {
  enum class Kind {
    kSame,           // the same serial and the same records
    kNewer,          // the serial follows the zone's (RFC 1982): `change` takes zone -> file
    kOlder,          // an older serial, and the journal's changes since lead from it to the zone
    kBeyondJournal,  // an older serial the journal no longer reaches back to: cannot tell
    kEditedInPlace,  // not newer, and its records are not the zone's at its serial
  };
  Kind kind = Kind::kSame;
  Serial file_serial;
  Serial zone_serial;
  // kNewer only: the file's edit as a change to the zone (merge_edit from `base` when
  // given, else the whole difference diff(zone, file)); its SOA alone may differ.
  std::optional<Changeset> change;
  // kEditedInPlace: records only in the zone (at the file's serial) and only in the file.
  RecordDifference difference;
  // kEditedInPlace with an older serial whose journalled changes do not apply to the file.
  std::string replay_error;
};

// `since_file`: the journal's changesets from the file's serial on (Journal::
// changesets_since), needed only when the file is older than `zone`; nullopt when the
// journal does not reach back that far. `base`: the file as the server last read (or
// wrote) it, so that a newer file's change is the operator's edit only and what UPDATEs
// did since is kept; null: the file's whole difference from the zone. Fails only when the
// origins differ.
Result<FileComparison> compare_file(const Zone& zone, const Zone& file,
                                    const std::optional<std::vector<Changeset>>& since_file,
                                    const Zone* base = nullptr);

// The one log line for a file edited without a new serial: zone, both serials, counts.
std::string describe_edited_in_place(const wire::Name& origin, const FileComparison& c);

}  // namespace dnspush::zone
