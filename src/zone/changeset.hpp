// The one unit of change (DESIGN.md "flow of data"): produced by UPDATE, IXFR-in and
// reloads, consumed by the journal, IXFR-out, DNS Push and LLQ alike. Same shape as an
// IXFR difference sequence (RFC 1995 §4): the old SOA, what was removed, the new SOA,
// what was added. The SOA records themselves are not in `removed`/`added`.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/serial.hpp"
#include "wire/message.hpp"

namespace dnspush::zone {

// The fixed fields of SOA RDATA (RFC 1035 §3.3.13), after MNAME and RNAME.
struct SoaFields {
  Serial serial;
  std::uint32_t refresh = 0;
  std::uint32_t retry = 0;
  std::uint32_t expire = 0;
  std::uint32_t minimum = 0;  // the negative-caching TTL since RFC 2308 §4
};

// nullopt when `rdata` is not well-formed SOA RDATA (uncompressed).
std::optional<SoaFields> parse_soa(std::span<const std::uint8_t> rdata);
// The serial of SOA RDATA, or 0 when it is malformed.
Serial soa_serial(std::span<const std::uint8_t> rdata);

struct Changeset {
  wire::Record soa_from;  // the apex SOA before the change
  wire::Record soa_to;    // the apex SOA after it
  std::vector<wire::Record> removed;
  std::vector<wire::Record> added;

  Serial serial_from() const;
  Serial serial_to() const;
  bool empty() const { return removed.empty() && added.empty(); }
};

}  // namespace dnspush::zone
