#include "zone/journal_codec.hpp"

#include <algorithm>
#include <array>
#include <string>

#include "wire/rdata.hpp"
#include "wire/reader.hpp"

namespace dnspush::zone::journal_codec {

namespace {

constexpr std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr auto kCrcTable = make_crc_table();

// Smallest encoded record: root owner (1) + type, class, ttl, rdlen (10).
constexpr std::size_t kMinRecordSize = 11;
constexpr std::size_t kCrcSize = 4;
// Serials, two SOA records, two counts.
constexpr std::size_t kChangesetMinBody = 8 + 2 * kMinRecordSize + 8;
// Serial, count, the SOA record.
constexpr std::size_t kSnapshotMinBody = 8 + kMinRecordSize;

// Encoding writes trusted, in-memory values into a plain growing buffer: the wire::Writer
// is built for size-limited messages with compression, neither of which applies here.
class Out {
 public:
  void u8(std::uint8_t v) { buf_.push_back(v); }
  void u16(std::uint16_t v) {
    u8(static_cast<std::uint8_t>(v >> 8));
    u8(static_cast<std::uint8_t>(v));
  }
  void u32(std::uint32_t v) {
    u16(static_cast<std::uint16_t>(v >> 16));
    u16(static_cast<std::uint16_t>(v));
  }
  void u64(std::uint64_t v) {
    u32(static_cast<std::uint32_t>(v >> 32));
    u32(static_cast<std::uint32_t>(v));
  }
  void bytes(std::span<const std::uint8_t> b) { buf_.insert(buf_.end(), b.begin(), b.end()); }
  void record(const wire::Record& r) {
    bytes(r.owner.wire());
    u16(static_cast<std::uint16_t>(r.type));
    u16(static_cast<std::uint16_t>(r.cls));
    u32(r.ttl);
    // RDATA held in memory came through the reader or the zone loader, so it fits in
    // 16 bits; clamp defensively rather than write a length that lies.
    const std::size_t n = std::min<std::size_t>(r.rdata.size(), 0xFFFF);
    u16(static_cast<std::uint16_t>(n));
    bytes(std::span(r.rdata).first(n));
  }
  std::vector<std::uint8_t> finish() && {
    const std::uint32_t c = crc32(buf_);
    u32(c);
    return std::move(buf_);
  }

 private:
  std::vector<std::uint8_t> buf_;
};

Result<void> check_frame(std::span<const std::uint8_t> value, std::uint8_t kind,
                         std::size_t min_body, const char* what, bool verify_crc = true) {
  if (value.size() < 2 + min_body + kCrcSize) {
    return fail(Errc::kMalformed, std::string("journal ") + what + ": value too short (" +
                                      std::to_string(value.size()) + " bytes)");
  }
  if (value[0] != kVersion) {
    return fail(Errc::kMalformed, std::string("journal ") + what + ": unknown format version " +
                                      std::to_string(value[0]));
  }
  if (value[1] != kind) {
    return fail(Errc::kMalformed,
                std::string("journal ") + what + ": wrong record kind " + std::to_string(value[1]));
  }
  if (!verify_crc) return {};
  const auto body = value.first(value.size() - kCrcSize);
  const auto tail = value.last(kCrcSize);
  const std::uint32_t stored = (std::uint32_t{tail[0]} << 24) | (std::uint32_t{tail[1]} << 16) |
                               (std::uint32_t{tail[2]} << 8) | std::uint32_t{tail[3]};
  if (crc32(body) != stored) {
    return fail(Errc::kMalformed, std::string("journal ") + what + ": CRC mismatch (corrupted)");
  }
  return {};
}

// One record through the bounds-checked reader. Names on disk are never compressed:
// a pointer would consume fewer bytes than the name's length, which is refused.
Result<wire::Record> read_record(wire::Reader& r) {
  wire::Record rec;
  const std::size_t before = r.offset();
  rec.owner = r.name();
  if (r.ok() && r.offset() - before != rec.owner.wire_size()) r.fail();
  rec.type = static_cast<wire::RRType>(r.u16());
  rec.cls = static_cast<wire::RRClass>(r.u16());
  rec.ttl = r.u32();
  const std::uint16_t rdlen = r.u16();
  const auto rd = r.bytes(rdlen);
  if (!r.ok()) return fail(Errc::kMalformed, "journal record truncated or malformed");
  rec.rdata.assign(rd.begin(), rd.end());
  if (!wire::rdata_valid(rec.type, rec.rdata)) {
    return fail(Errc::kMalformed, "journal record " + rec.owner.to_text() + " " +
                                      wire::to_text(rec.type) + ": invalid RDATA");
  }
  return rec;
}

Result<std::vector<wire::Record>> read_records(wire::Reader& r) {
  const std::uint32_t n = r.u32();
  if (!r.ok()) return fail(Errc::kMalformed, "journal record count truncated");
  // Never trust a count further than the bytes that could hold it.
  if (n > r.remaining() / kMinRecordSize) {
    return fail(Errc::kMalformed,
                "journal record count " + std::to_string(n) + " exceeds the value's size");
  }
  std::vector<wire::Record> out;
  out.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    auto rec = read_record(r);
    if (!rec) return tl::unexpected(rec.error());
    out.push_back(std::move(*rec));
  }
  return out;
}

Result<wire::Record> read_soa(wire::Reader& r, Serial expected, const char* which) {
  auto rec = read_record(r);
  if (!rec) return rec;
  if (rec->type != wire::RRType::SOA) {
    return fail(Errc::kMalformed, std::string("journal changeset: ") + which + " is not an SOA");
  }
  if (soa_serial(rec->rdata) != expected) {
    return fail(Errc::kMalformed,
                std::string("journal changeset: ") + which + " serial disagrees with the header");
  }
  return rec;
}

// Two reads in sequence (operands of | have no evaluation order).
std::uint64_t read_u64(wire::Reader& r) {
  const std::uint64_t hi = r.u32();
  const std::uint64_t lo = r.u32();
  return (hi << 32) | lo;
}

}  // namespace

std::uint32_t crc32(std::span<const std::uint8_t> bytes) {
  std::uint32_t c = 0xFFFFFFFFu;
  for (std::uint8_t b : bytes) c = kCrcTable[(c ^ b) & 0xFFu] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

std::vector<std::uint8_t> encode_changeset(const Changeset& c) {
  Out o;
  o.u8(kVersion);
  o.u8(kKindChangeset);
  o.u32(c.serial_from().value());
  o.u32(c.serial_to().value());
  o.record(c.soa_from);
  o.record(c.soa_to);
  o.u32(static_cast<std::uint32_t>(c.removed.size()));
  for (const auto& r : c.removed) o.record(r);
  o.u32(static_cast<std::uint32_t>(c.added.size()));
  for (const auto& r : c.added) o.record(r);
  return std::move(o).finish();
}

Result<ChangesetHeader> peek_changeset(std::span<const std::uint8_t> value) {
  if (auto ok = check_frame(value, kKindChangeset, kChangesetMinBody, "changeset", false); !ok) {
    return tl::unexpected(ok.error());
  }
  wire::Reader r(value.first(value.size() - kCrcSize));
  r.skip(2);
  ChangesetHeader h;
  h.serial_from = Serial(r.u32());
  h.serial_to = Serial(r.u32());
  return h;
}

Result<Changeset> decode_changeset(std::span<const std::uint8_t> value) {
  if (auto ok = check_frame(value, kKindChangeset, kChangesetMinBody, "changeset"); !ok) {
    return tl::unexpected(ok.error());
  }
  auto h = peek_changeset(value);
  if (!h) return tl::unexpected(h.error());
  wire::Reader r(value.first(value.size() - kCrcSize));
  r.skip(10);
  Changeset c;
  auto from = read_soa(r, h->serial_from, "soa_from");
  if (!from) return tl::unexpected(from.error());
  auto to = read_soa(r, h->serial_to, "soa_to");
  if (!to) return tl::unexpected(to.error());
  c.soa_from = std::move(*from);
  c.soa_to = std::move(*to);
  auto removed = read_records(r);
  if (!removed) return tl::unexpected(removed.error());
  auto added = read_records(r);
  if (!added) return tl::unexpected(added.error());
  if (!r.ok() || !r.at_end()) {
    return fail(Errc::kMalformed, "journal changeset: trailing bytes after the records");
  }
  c.removed = std::move(*removed);
  c.added = std::move(*added);
  return c;
}

std::vector<std::uint8_t> encode_snapshot(std::span<const wire::Record> records) {
  Out o;
  o.u8(kVersion);
  o.u8(kKindSnapshot);
  o.u32(records.empty() ? 0 : soa_serial(records.front().rdata).value());
  o.u32(static_cast<std::uint32_t>(records.size()));
  for (const auto& r : records) o.record(r);
  return std::move(o).finish();
}

Result<Serial> peek_snapshot_serial(std::span<const std::uint8_t> value) {
  if (auto ok = check_frame(value, kKindSnapshot, kSnapshotMinBody, "snapshot", false); !ok) {
    return tl::unexpected(ok.error());
  }
  wire::Reader r(value.first(value.size() - kCrcSize));
  r.skip(2);
  return Serial(r.u32());
}

Result<Snapshot> decode_snapshot(std::span<const std::uint8_t> value) {
  if (auto ok = check_frame(value, kKindSnapshot, kSnapshotMinBody, "snapshot"); !ok) {
    return tl::unexpected(ok.error());
  }
  auto serial = peek_snapshot_serial(value);
  if (!serial) return tl::unexpected(serial.error());
  wire::Reader r(value.first(value.size() - kCrcSize));
  r.skip(6);
  Snapshot s;
  s.serial = *serial;
  auto recs = read_records(r);
  if (!recs) return tl::unexpected(recs.error());
  if (!r.ok() || !r.at_end()) {
    return fail(Errc::kMalformed, "journal snapshot: trailing bytes after the records");
  }
  if (recs->empty() || recs->front().type != wire::RRType::SOA ||
      soa_serial(recs->front().rdata) != s.serial) {
    return fail(Errc::kMalformed, "journal snapshot: does not start with its SOA");
  }
  s.records = std::move(*recs);
  return s;
}

std::vector<std::uint8_t> encode_meta(const Meta& m) {
  Out o;
  o.u8(kVersion);
  o.u8(kKindMeta);
  o.u8(m.has_last ? 1 : 0);
  o.u32(m.last_serial.value());
  o.u64(m.next_seq);
  o.u64(m.count);
  o.u64(m.bytes);
  return std::move(o).finish();
}

Result<Meta> decode_meta(std::span<const std::uint8_t> value) {
  constexpr std::size_t kBody = 1 + 4 + 8 + 8 + 8;
  if (auto ok = check_frame(value, kKindMeta, kBody, "meta"); !ok) {
    return tl::unexpected(ok.error());
  }
  if (value.size() != 2 + kBody + kCrcSize) {
    return fail(Errc::kMalformed, "journal meta: wrong size");
  }
  wire::Reader r(value.first(value.size() - kCrcSize));
  r.skip(2);
  const std::uint8_t flags = r.u8();
  Meta m;
  m.has_last = (flags & 1u) != 0;
  m.last_serial = Serial(r.u32());
  m.next_seq = read_u64(r);
  m.count = read_u64(r);
  m.bytes = read_u64(r);
  if (!r.ok() || flags > 1) return fail(Errc::kMalformed, "journal meta: malformed");
  return m;
}

}  // namespace dnspush::zone::journal_codec
