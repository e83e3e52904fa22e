// The one unit of change (DESIGN.md "flow of data"): produced by UPDATE, IXFR-in and
// reloads, consumed by the journal, IXFR-out, DNS Push and LLQ alike. Same shape as an
// IXFR difference sequence (RFC 1995 §4): the old SOA, what was removed, the new SOA,
// what was added. The SOA records themselves are not in `removed`/`added`.
#pragma once

#include <vector>

#include "base/serial.hpp"
#include "wire/message.hpp"

namespace dnspush::zone {

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
