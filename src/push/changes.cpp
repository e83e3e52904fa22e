#include "push/changes.hpp"

#include <algorithm>

#include "push/tlv.hpp"
#include "wire/rdata.hpp"

namespace dnspush::push {
namespace {

using wire::RRClass;
using wire::RRType;

// The record of `set` equal to `rdata` (RFC 4034 §6.2 canonical equality), or nullptr.
const Rdata* find_rdata(const zone::RRset* set, std::span<const std::uint8_t> rdata) {
  if (set == nullptr) return nullptr;
  for (const auto& rd : set->rdatas) {
    if (wire::rdata_equal(set->type, rd, rdata)) return &rd;
  }
  return nullptr;
}

void push_unique(std::vector<const Rdata*>& v, const Rdata* rd) {
  if (std::find(v.begin(), v.end(), rd) == v.end()) v.push_back(rd);
}

RRsetChange diff_rrset(RRType type, const zone::Node* before, const zone::Node* after,
                       std::span<const wire::Record* const> removed,
                       std::span<const wire::Record* const> added) {
  RRsetChange c;
  c.type = type;
  c.before = before ? before->find(type) : nullptr;
  c.after = after ? after->find(type) : nullptr;
  if (c.after == nullptr) {
    // The whole RRset went: every record of it is "removed" (per-record policy lists them).
    if (c.before)
      for (const auto& rd : c.before->rdatas) c.removed.push_back(&rd);
    return c;
  }
  if (c.before == nullptr || c.before->ttl != c.after->ttl) {
    for (const auto& rd : c.after->rdatas) c.added.push_back(&rd);
  } else {
    for (const wire::Record* r : added) {
      if (r->type != type || find_rdata(c.before, r->rdata)) continue;
      if (const Rdata* rd = find_rdata(c.after, r->rdata)) push_unique(c.added, rd);
    }
  }
  if (c.before == nullptr) return c;
  for (const wire::Record* r : removed) {
    if (r->type != type || find_rdata(c.after, r->rdata)) continue;
    if (const Rdata* rd = find_rdata(c.before, r->rdata)) push_unique(c.removed, rd);
  }
  // Compact: when every old record goes, one RRset delete is smaller than the single
  // deletes (each at least as big) and the adds are the same. While some old records stay,
  // single deletes keep them: an RRset delete would drop them until the adds arrive,
  // possibly in a later message of a split change.
  c.replace = !c.removed.empty() && c.removed.size() == c.before->rdatas.size();
  return c;
}

}  // namespace

bool Coverage::covers(RRType t) const {
  return all || std::find(types.begin(), types.end(), t) != types.end();
}

NameChange diff_name(const wire::Name& owner, const zone::Zone* before, const zone::Zone* after,
                     std::span<const wire::Record* const> removed,
                     std::span<const wire::Record* const> added) {
  NameChange c;
  c.owner = &owner;
  c.before = before ? before->find(owner) : nullptr;
  const zone::Node* now = after ? after->find(owner) : nullptr;
  c.gone = c.before != nullptr && !c.before->empty() && (now == nullptr || now->empty());
  std::vector<RRType> types;
  for (const auto* list : {&removed, &added}) {
    for (const wire::Record* r : *list) {
      if (std::find(types.begin(), types.end(), r->type) == types.end()) types.push_back(r->type);
    }
  }
  c.sets.reserve(types.size());
  for (const RRType t : types) {
    RRsetChange s = diff_rrset(t, c.before, now, removed, added);
    if (s.removed.empty() && s.added.empty()) continue;  // e.g. removed and re-added
    c.sets.push_back(std::move(s));
  }
  return c;
}

std::size_t write_name_change(PushWriter& w, const NameChange& c, const Coverage& coverage,
                              DeletePolicy policy) {
  const wire::Name& owner = *c.owner;
  const bool compact = policy == DeletePolicy::kCompact;
  std::size_t dropped = 0;
  auto put = [&](RRType type, RRClass cls, std::uint32_t ttl, const Rdata* rd) {
    if (!w.add(owner, type, cls, ttl,
               rd ? std::span<const std::uint8_t>(*rd) : std::span<const std::uint8_t>{}))
      ++dropped;
  };

  // RFC 8765 §6.3.1: "when both an SRV and a TXT record are removed from a given name, and
  // no other records of any kind exist for that name, the server SHOULD send a 'remove all
  // RRsets from a name'". Only when the session covers every RRset that went, so the name
  // delete says no more than the RRset deletes would have.
  // One RRset going stays an RRset delete unless the session asked for every type.
  bool name_deleted = false;
  if (compact && c.gone && (coverage.all || c.before->rrsets().size() > 1)) {
    name_deleted = std::all_of(c.before->rrsets().begin(), c.before->rrsets().end(),
                               [&](const zone::RRset& s) { return coverage.covers(s.type); });
    if (name_deleted) put(static_cast<RRType>(0), RRClass::ANY, kTtlDeleteCollective, nullptr);
  }
  // Deletes before adds: an RRset replaced in one commit ends as `after`.
  for (const RRsetChange& s : c.sets) {
    if (!coverage.covers(s.type) || name_deleted || s.before == nullptr) continue;
    if (compact && (s.after == nullptr || s.replace)) {
      put(s.type, RRClass::IN, kTtlDeleteCollective, nullptr);  // "remove specified RRset"
      continue;
    }
    for (const Rdata* rd : s.removed) put(s.type, RRClass::IN, kTtlDeleteRecord, rd);
  }
  for (const RRsetChange& s : c.sets) {
    if (!coverage.covers(s.type) || s.after == nullptr) continue;
    const std::uint32_t ttl = push_ttl(s.after->ttl);
    for (const Rdata* rd : s.added) put(s.type, RRClass::IN, ttl, rd);
  }
  return dropped;
}

std::size_t write_node(PushWriter& w, const wire::Name& owner, const zone::Node& node, RRType type,
                       RRClass cls) {
  std::size_t dropped = 0;
  // The zone is class IN; a CLASS ANY subscription sees it too (§6.2.1: ANY means ALL).
  if (cls != RRClass::IN && cls != RRClass::ANY) return 0;
  for (const zone::RRset& s : node.rrsets()) {
    if (type != RRType::ANY && s.type != type) continue;
    for (const auto& rd : s.rdatas) {
      if (!w.add(owner, s.type, RRClass::IN, push_ttl(s.ttl), rd)) ++dropped;
    }
  }
  return dropped;
}

}  // namespace dnspush::push
