// The journal's on-disk encoding: one changeset, one zone snapshot or one per-zone meta
// record per LMDB value. Bytes read back from disk are treated like bytes from a peer
// (DESIGN.md convention 1): decoding goes through wire::Reader, checks a version byte,
// the kind, every length and count, RDATA against its type, and a CRC-32 over the whole
// value, so a flipped bit becomes an error value, never a crash or a wrong zone.
//
// Layouts (all integers big-endian):
//   record    = owner (uncompressed wire name) | type u16 | class u16 | ttl u32 |
//               rdlen u16 | rdata
//   changeset = version u8 (1) | kind u8 (1) | serial_from u32 | serial_to u32 |
//               soa_from record | soa_to record | nremoved u32 | records |
//               nadded u32 | records | crc32 u32
//   snapshot  = version u8 (1) | kind u8 (2) | serial u32 | nrecords u32 | records |
//               crc32 u32                        (the apex SOA is the first record)
//   meta      = version u8 (1) | kind u8 (3) | flags u8 | last_serial u32 |
//               next_seq u64 | count u64 | bytes u64 | crc32 u32
// The serials sit at fixed offsets so the journal can walk a chain without decoding
// every record.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/result.hpp"
#include "base/serial.hpp"
#include "wire/message.hpp"
#include "zone/changeset.hpp"

namespace dnspush::zone::journal_codec {

inline constexpr std::uint8_t kVersion = 1;
inline constexpr std::uint8_t kKindChangeset = 1;
inline constexpr std::uint8_t kKindSnapshot = 2;
inline constexpr std::uint8_t kKindMeta = 3;

// CRC-32 (IEEE 802.3 polynomial, as zlib's crc32), over `bytes`.
std::uint32_t crc32(std::span<const std::uint8_t> bytes);

std::vector<std::uint8_t> encode_changeset(const Changeset& c);
Result<Changeset> decode_changeset(std::span<const std::uint8_t> value);

// The serials of an encoded changeset from its fixed header, after checking version, kind
// and size. Cheap (no CRC, no record decoded): for walking a chain; anything used is
// then decoded in full, which checks the CRC.
struct ChangesetHeader {
  Serial serial_from;
  Serial serial_to;
};
Result<ChangesetHeader> peek_changeset(std::span<const std::uint8_t> value);

// A snapshot: every record of a zone, the apex SOA first.
std::vector<std::uint8_t> encode_snapshot(std::span<const wire::Record> records);
struct Snapshot {
  Serial serial;
  std::vector<wire::Record> records;
};
Result<Snapshot> decode_snapshot(std::span<const std::uint8_t> value);
// The serial of an encoded snapshot, after checking version, kind and size (no CRC).
Result<Serial> peek_snapshot_serial(std::span<const std::uint8_t> value);

// Per-zone bookkeeping, updated in the same transaction as the changesets it counts.
struct Meta {
  bool has_last = false;       // whether last_serial is meaningful
  Serial last_serial;          // the newest serial the journal knows (changeset or snapshot)
  std::uint64_t next_seq = 0;  // key of the next changeset
  std::uint64_t count = 0;     // changesets stored
  std::uint64_t bytes = 0;     // their encoded size
};
std::vector<std::uint8_t> encode_meta(const Meta& m);
Result<Meta> decode_meta(std::span<const std::uint8_t> value);

}  // namespace dnspush::zone::journal_codec
