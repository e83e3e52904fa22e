#include "zone/zone_diff.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "wire/rdata.hpp"

namespace dnspush::zone {
namespace {

using wire::Record;

// One record with its sort key: RFC 4034 §6.1 owner order, then type, then canonical
// RDATA (§6.3); TTL last, so that a TTL change shows as one removal and one addition.
struct Keyed {
  Record rec;
  std::vector<std::uint8_t> canonical;
};

int compare_identity(const Keyed& a, const Keyed& b) {
  if (int c = a.rec.owner.canonical_compare(b.rec.owner); c != 0) return c;
  const auto ta = static_cast<std::uint16_t>(a.rec.type);
  const auto tb = static_cast<std::uint16_t>(b.rec.type);
  if (ta != tb) return ta < tb ? -1 : 1;
  if (a.canonical != b.canonical) return a.canonical < b.canonical ? -1 : 1;
  return 0;
}

// Every record but the apex SOA, sorted.
std::vector<Keyed> keyed_records(const Zone& z) {
  std::vector<Keyed> out;
  for (auto& r : z.records()) {
    if (r.type == wire::RRType::SOA && r.owner == z.origin()) continue;
    auto canonical = wire::canonical_rdata(r.type, r.rdata);
    out.push_back({std::move(r), std::move(canonical)});
  }
  std::sort(out.begin(), out.end(),
            [](const Keyed& a, const Keyed& b) { return compare_identity(a, b) < 0; });
  return out;
}

// The records (apex SOA aside) only in `from` as removed, only in `to` as added; a TTL
// change is both. No rule about serials: the callers decide what a difference means.
Changeset record_difference(const Zone& from, const Zone& to) {
  Changeset cs;
  cs.soa_from = from.soa_record();
  cs.soa_to = to.soa_record();

  const auto a = keyed_records(from);
  const auto b = keyed_records(to);
  std::size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    const int c = i == a.size() ? 1 : j == b.size() ? -1 : compare_identity(a[i], b[j]);
    if (c < 0) {
      cs.removed.push_back(a[i++].rec);
    } else if (c > 0) {
      cs.added.push_back(b[j++].rec);
    } else {
      if (a[i].rec.ttl != b[j].rec.ttl) {
        cs.removed.push_back(a[i].rec);
        cs.added.push_back(b[j].rec);
      }
      ++i;
      ++j;
    }
  }
  return cs;
}

bool same_soa(const Changeset& cs) {
  return cs.soa_from.ttl == cs.soa_to.ttl &&
         wire::rdata_equal(wire::RRType::SOA, cs.soa_from.rdata, cs.soa_to.rdata);
}

}  // namespace

namespace {

// The records of `in` that are also in `also` (same owner, type, RDATA and TTL). Both come
// from record_difference, so both are sorted by identity.
std::vector<Record> common(const std::vector<Record>& in, const std::vector<Record>& also) {
  const auto key = [](const Record& r) { return Keyed{r, wire::canonical_rdata(r.type, r.rdata)}; };
  std::vector<Keyed> b;
  b.reserve(also.size());
  for (const auto& r : also) b.push_back(key(r));
  const auto less = [](const Keyed& x, const Keyed& y) {
    const int c = compare_identity(x, y);
    return c != 0 ? c < 0 : x.rec.ttl < y.rec.ttl;
  };
  std::sort(b.begin(), b.end(), less);
  std::vector<Record> out;
  for (const auto& r : in) {
    const Keyed k = key(r);
    if (std::binary_search(b.begin(), b.end(), k, less)) out.push_back(r);
  }
  return out;
}

}  // namespace

Result<std::optional<Changeset>> merge_edit(const Zone& base, const Zone& current,
                                            const Zone& edited) {
  if (!(base.origin() == edited.origin()) || !(current.origin() == edited.origin())) {
    return fail(Errc::kRefused, "cannot merge zones with different origins");
  }
  // A record goes when the edit removed it and the zone still has it; one comes when the
  // edit added it and the zone lacks it. What UPDATEs did since `base` stays.
  const Changeset two_way = record_difference(current, edited);
  const Changeset edit = record_difference(base, edited);
  Changeset cs;
  cs.soa_from = current.soa_record();
  cs.soa_to = edited.soa_record();
  cs.removed = common(two_way.removed, edit.removed);
  cs.added = common(two_way.added, edit.added);
  if (same_soa(cs) && cs.empty()) return std::nullopt;
  if (!edited.serial().follows(current.serial())) {
    return fail(Errc::kRefused, "zone " + edited.origin().to_text() + " changed but its serial " +
                                    std::to_string(edited.serial().value()) + " does not follow " +
                                    std::to_string(current.serial().value()) +
                                    " (RFC 1982): raise the serial");
  }
  return cs;
}

RecordDifference count_differences(const Zone& a, const Zone& b) {
  const Changeset cs = record_difference(a, b);
  const std::size_t soa = same_soa(cs) ? 0 : 1;
  return {cs.removed.size() + soa, cs.added.size() + soa};
}

Result<std::optional<Changeset>> diff(const Zone& from, const Zone& to) {
  if (!(from.origin() == to.origin())) {
    return fail(Errc::kRefused, "cannot compare zones " + from.origin().to_text() + " and " +
                                    to.origin().to_text());
  }
  Changeset cs = record_difference(from, to);
  if (same_soa(cs) && cs.empty()) return std::nullopt;
  if (!to.serial().follows(from.serial())) {
    return fail(Errc::kRefused, "zone " + to.origin().to_text() + " changed but its serial " +
                                    std::to_string(to.serial().value()) + " does not follow " +
                                    std::to_string(from.serial().value()) +
                                    " (RFC 1982): raise the serial");
  }
  return cs;
}

}  // namespace dnspush::zone
