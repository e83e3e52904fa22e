#include "zone/file_check.hpp"

namespace dnspush::zone {

Result<FileComparison> compare_file(const Zone& zone, const Zone& file,
                                    const std::optional<std::vector<Changeset>>& since_file,
                                    const Zone* base) {
  if (!(zone.origin() == file.origin())) {
    return fail(Errc::kRefused, "cannot compare zones " + zone.origin().to_text() + " and " +
                                    file.origin().to_text());
  }
  FileComparison c;
  c.file_serial = file.serial();
  c.zone_serial = zone.serial();
  if (file.serial().follows(zone.serial())) {
    auto d = base != nullptr ? merge_edit(*base, zone, file) : diff(zone, file);
    if (!d) return tl::unexpected(d.error());
    c.kind = FileComparison::Kind::kNewer;
    c.change = std::move(*d);  // never nullopt: the SOA serial differs
    return c;
  }
  // The file as last read, at the same serial: unchanged (whatever UPDATEs did since), or
  // edited without a new serial, counted against what it was.
  if (base != nullptr && base->serial() == file.serial()) {
    c.difference = count_differences(*base, file);
    c.kind =
        c.difference.none() ? FileComparison::Kind::kSame : FileComparison::Kind::kEditedInPlace;
    return c;
  }
  if (file.serial() == zone.serial()) {
    c.difference = count_differences(zone, file);
    c.kind =
        c.difference.none() ? FileComparison::Kind::kSame : FileComparison::Kind::kEditedInPlace;
    return c;
  }
  // Older: normal after UPDATEs (the file is the zone of some time ago). It is the zone
  // at its serial when replaying the journal's changes since that serial gives the zone.
  if (!since_file) {
    c.kind = FileComparison::Kind::kBeyondJournal;
    return c;
  }
  std::shared_ptr<const Zone> replayed;
  const Zone* at = &file;
  for (const auto& cs : *since_file) {
    auto next = at->apply(cs);
    if (!next) {
      c.kind = FileComparison::Kind::kEditedInPlace;
      c.replay_error = "the journal's changeset " + std::to_string(cs.serial_from().value()) +
                       " -> " + std::to_string(cs.serial_to().value()) +
                       " does not apply to it: " + next.error().message;
      c.difference = count_differences(zone, file);
      return c;
    }
    replayed = std::move(*next);
    at = replayed.get();
  }
  c.difference = count_differences(zone, *at);
  c.kind =
      c.difference.none() ? FileComparison::Kind::kOlder : FileComparison::Kind::kEditedInPlace;
  return c;
}

std::string describe_edited_in_place(const wire::Name& origin, const FileComparison& c) {
  std::string s = "zone " + origin.to_text() +
                  ": the zone file was edited without a newer serial (file serial " +
                  std::to_string(c.file_serial.value()) + ", zone serial " +
                  std::to_string(c.zone_serial.value()) +
                  "): " + std::to_string(c.difference.only_in_b) + " record" +
                  (c.difference.only_in_b == 1 ? "" : "s") + " only in the file, " +
                  std::to_string(c.difference.only_in_a) + " only in the zone";
  if (c.file_serial != c.zone_serial) {
    s += c.replay_error.empty() ? " (as of serial " + std::to_string(c.file_serial.value()) + ")"
                                : " (" + c.replay_error + ")";
  }
  s += "; not applied: raise the SOA serial past " + std::to_string(c.zone_serial.value()) +
       " and reload";
  return s;
}

}  // namespace dnspush::zone
