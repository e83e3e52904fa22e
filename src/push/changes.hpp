// What one commit did to one owner name, computed from the zone before and after it, and
// how that is written as change notifications (RFC 8765 §6.3.1): exact (every record the
// client must drop or learn, nothing else) and compact (collective deletes where a whole
// RRset or name goes, unless the session's policy asks for single deletes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "push/encoder.hpp"
#include "push/options.hpp"
#include "wire/message.hpp"
#include "wire/name.hpp"
#include "wire/types.hpp"
#include "zone/zone.hpp"

namespace dnspush::push {

using Rdata = std::vector<std::uint8_t>;

// One touched RRset (owner, type) of one commit.
struct RRsetChange {
  wire::RRType type{};
  const zone::RRset* before = nullptr;  // nullptr: absent before the commit
  const zone::RRset* after = nullptr;   // nullptr: absent after it
  std::vector<const Rdata*> removed;    // records of `before` that are not in `after`
  // Records of `after` to send as adds: the new ones, or all of them when the RRset's TTL
  // changed (RFC 2181 §5.2: one TTL per RRset, so every record carries the new one).
  std::vector<const Rdata*> added;
  // Compact policy: every record of `before` goes while the RRset stays (replaced in one
  // commit), so "delete the RRset, add `added`" says it in fewer bytes. Deletes go first,
  // so the client ends with exactly `after`.
  bool replace = false;
};

struct NameChange {
  const wire::Name* owner = nullptr;
  const zone::Node* before = nullptr;
  // Every RRset of the name went: before had records, after has none.
  bool gone = false;
  std::vector<RRsetChange> sets;  // touched types, in the changeset's order
};

// `removed` and `added` are the changeset's records at `owner` (the apex SOA included when
// it changed): they say which types and records to look at, and the snapshots decide, so a
// record removed and re-added in one commit is no change and a TTL change is seen.
NameChange diff_name(const wire::Name& owner, const zone::Zone* before, const zone::Zone* after,
                     std::span<const wire::Record* const> removed,
                     std::span<const wire::Record* const> added);

// Which types of one name a session's subscriptions cover (TYPE ANY: all).
struct Coverage {
  bool all = false;
  std::vector<wire::RRType> types;
  bool covers(wire::RRType t) const;
};

// Writes the covered part of `c`: deletes first, then adds. Compact policy: a name whose
// every RRset went is one CLASS ANY delete (TYPE 0) when the session covers all of those
// RRsets and either subscribed TYPE ANY or there were several; an RRset that went is one
// collective delete. Returns how many records could not be written (too large
// for an empty message).
std::size_t write_name_change(PushWriter& w, const NameChange& c, const Coverage& coverage,
                              DeletePolicy policy);

// The records at `node` a (TYPE, CLASS) subscription matches, as adds: the initial PUSH
// (§6.3). No CNAME or wildcard expansion (§6.2.1): only the node's own records. Returns
// how many records could not be written.
std::size_t write_node(PushWriter& w, const wire::Name& owner, const zone::Node& node,
                       wire::RRType type, wire::RRClass cls);

}  // namespace dnspush::push
