#include "server/zone_start.hpp"

#include <spdlog/spdlog.h>

#include "zone/zone_file.hpp"
#include "zone/zone_writer.hpp"

namespace dnspush::server {

namespace fs = std::filesystem;
using zone::FileComparison;
using zone::JournalContent;
using ZonePtr = std::shared_ptr<const zone::Zone>;

namespace {

const char* plural(std::size_t n) {
  return n == 1 ? "" : "s";
}

// A journal without a snapshot has no zone of its own: give it one (the zone served now),
// so that an edit made while the server is down can be diffed at the next start. Not fatal.
void ensure_snapshot(zone::Journal& journal, const zone::Zone& z) {
  if (auto r = journal.install_snapshot(zone::Journal::encode_snapshot(z)); !r) {
    spdlog::warn("zone {}: could not store a journal snapshot: {}", z.origin().to_text(),
                 r.error().message);
  }
}

// journal-content = "file": the file starts a fresh history (IXFR from older serials then
// falls back to a full answer, RFC 1995 §4).
Result<ZonePtr> start_from_file(zone::Journal& journal, const fs::path& state_dir, ZonePtr file,
                                const std::string& why) {
  if (auto r = journal.reset(zone::Journal::encode_snapshot(*file)); !r) {
    return fail(r.error().code,
                "zone " + file->origin().to_text() + ": journal: " + r.error().message);
  }
  remember_file_base(state_dir, *file);
  spdlog::warn(
      "zone {}: {}; journal-content = \"file\": the journal was dropped, serving the file "
      "(serial {}, {} records) as a fresh history",
      file->origin().to_text(), why, file->serial().value(), file->record_count());
  return file;
}

}  // namespace

fs::path file_base_path(const fs::path& state_dir, const wire::Name& origin) {
  std::string name = origin.to_text();
  if (name == ".") name = "root.";
  return state_dir / "zones" / (name + "base");
}

std::shared_ptr<const zone::Zone> read_file_base(const fs::path& state_dir,
                                                 const wire::Name& origin) {
  const fs::path path = file_base_path(state_dir, origin);
  std::error_code ec;
  if (!fs::exists(path, ec)) return nullptr;
  auto z = zone::load_zone_file(path.string(), origin);
  if (!z) {
    spdlog::warn("zone {}: {} does not load, ignored: {}", origin.to_text(), path.string(),
                 z.error().message);
    return nullptr;
  }
  return *z;
}

void remember_file_base(const fs::path& state_dir, const zone::Zone& z) {
  const fs::path path = file_base_path(state_dir, z.origin());
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (auto r = zone::write_zone_file(z, path.string()); !r) {
    spdlog::warn("zone {}: could not keep the zone file's base in {}: {}", z.origin().to_text(),
                 path.string(), r.error().message);
  }
}

Result<FileComparison> compare_with_journal(const zone::Journal& journal, const zone::Zone& current,
                                            const zone::Zone& file, const zone::Zone* base) {
  std::optional<std::vector<zone::Changeset>> since;
  if (!file.serial().follows(current.serial()) && file.serial() != current.serial()) {
    auto cs = journal.changesets_since(current.origin(), file.serial());
    if (!cs) return tl::unexpected(cs.error());
    since = std::move(*cs);
  }
  return zone::compare_file(current, file, since, base);
}

Result<ZonePtr> start_primary_zone(const ZoneConfig& zc, zone::Journal& journal,
                                   const fs::path& state_dir) {
  auto origin = wire::Name::from_text(zc.origin);
  if (!origin) return fail(Errc::kInvalidConfig, zc.origin + ": " + origin.error().message);
  const std::string name = origin->to_text();
  auto file = zone::load_zone_file(zc.file.string(), *origin);
  if (!file) {
    const std::string& msg = file.error().message;
    return fail(file.error().code, msg.find(zc.file.string()) == std::string::npos
                                       ? zc.file.string() + ": " + msg
                                       : msg);
  }
  auto usage = journal.usage(*origin);
  if (!usage)
    return fail(usage.error().code, "zone " + name + ": journal: " + usage.error().message);

  if (!usage->snapshot_serial) {
    // No zone of the journal's own: the file is the base and the journal's changes (if
    // any) continue it, as before snapshots were kept.
    zone::JournalLoadInfo info;
    auto z = journal.load(*origin, *file, &info);
    if (!z) {
      if (z.error().code == Errc::kRefused && zc.journal_content == JournalContent::kFile) {
        return start_from_file(journal, state_dir, *file, z.error().message);
      }
      return fail(z.error().code,
                  "zone " + name + ": journal: " + z.error().message +
                      " (this journal has no snapshot to compare an edited file with; "
                      "journal-content = \"file\" starts the zone from the file instead)");
    }
    spdlog::info(
        "zone {} loaded: serial {} ({} records); master file serial {}, {} journal "
        "changeset{} replayed",
        name, (*z)->serial().value(), (*z)->record_count(), (*file)->serial().value(),
        info.replayed, plural(info.replayed));
    ensure_snapshot(journal, **z);
    auto base = read_file_base(state_dir, *origin);
    if (!base || base->serial() != (*file)->serial()) remember_file_base(state_dir, **file);
    return z;
  }

  zone::JournalLoadInfo info;
  auto j = journal.load(*origin, nullptr, &info);
  if (!j) return fail(j.error().code, "zone " + name + ": journal: " + j.error().message);
  const ZonePtr& jz = *j;
  const ZonePtr base = read_file_base(state_dir, *origin);
  auto cmp = compare_with_journal(journal, *jz, **file, base.get());
  if (!cmp) return fail(cmp.error().code, "zone " + name + ": " + cmp.error().message);
  const auto loaded = [&](const char* note) {
    spdlog::info(
        "zone {} loaded: serial {} ({} records); master file serial {}{}, started from the "
        "journal snapshot, {} journal changeset{} replayed",
        name, jz->serial().value(), jz->record_count(), (*file)->serial().value(), note,
        info.replayed, plural(info.replayed));
  };
  switch (cmp->kind) {
    case FileComparison::Kind::kSame:
    case FileComparison::Kind::kOlder:
      loaded(cmp->kind != FileComparison::Kind::kSame
                 ? " (older: the journal holds the changes since)"
             : base && base->serial() == (*file)->serial() ? " (unchanged since it was last read)"
                                                           : " (the same zone)");
      if (!base || base->serial() != (*file)->serial()) remember_file_base(state_dir, **file);
      return jz;
    case FileComparison::Kind::kBeyondJournal:
      loaded(" (older than the journal's history: not used)");
      return jz;
    case FileComparison::Kind::kEditedInPlace:
      loaded("");
      spdlog::warn("{}", zone::describe_edited_in_place(*origin, *cmp));
      return jz;
    case FileComparison::Kind::kNewer:
      break;
  }
  const std::string why = "the zone file (serial " + std::to_string((*file)->serial().value()) +
                          ") is newer than the journal's zone (serial " +
                          std::to_string(jz->serial().value()) + ")";
  switch (zc.journal_content) {
    case JournalContent::kJournal:
      loaded("");
      spdlog::warn("zone {}: {}; journal-content = \"journal\": the file is not used", name, why);
      return jz;
    case JournalContent::kFile:
      return start_from_file(journal, state_dir, *file, why);
    case JournalContent::kChanges:
      break;
  }
  // Knot's zonefile-load: difference. The edit is one changeset on top of the journal's
  // zone, journalled before it is served like any other change.
  const zone::Changeset& change = *cmp->change;
  auto applied = jz->apply(change);
  if (!applied) {
    return fail(Errc::kRefused,
                "zone " + name + ": " + why +
                    ", and the difference does not apply: " + applied.error().message);
  }
  if (auto r = journal.append(*origin, change); !r) {
    return fail(r.error().code, "zone " + name + ": journal: " + r.error().message);
  }
  remember_file_base(state_dir, **file);
  spdlog::info(
      "zone {} loaded: the journal's serial {} ({} journal changeset{} replayed) and the zone "
      "file's "
      "{}: serial {} -> {} ({} removed, {} added)",
      name, jz->serial().value(), info.replayed, plural(info.replayed),
      base ? "edit since it was last read"
           : "difference from it (no record of the file as last "
             "read: records the file lacks were removed)",
      change.serial_from().value(), change.serial_to().value(), change.removed.size(),
      change.added.size());
  return applied;
}

}  // namespace dnspush::server
