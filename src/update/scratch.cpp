#include "update/scratch.hpp"

#include <algorithm>
#include <cstring>
#include <unordered_set>

#include "base/serial.hpp"
#include "update/canonical.hpp"
#include "wire/rdata.hpp"

namespace dnspush::update {

using wire::Name;
using wire::Record;
using wire::RRClass;
using wire::RRType;

namespace {

// RFC 1034 §3.6.2: a CNAME owner has no other data; RFC 4035 §2.5 lets RRSIG and NSEC
// sit beside it (the same rule Zone::apply enforces).
bool may_coexist_with_cname(RRType t) {
  return t == RRType::CNAME || t == RRType::RRSIG || t == RRType::NSEC;
}

// RFC 2136 §1.1.5: types whose RRs replace rather than join the RRset when some fields
// match. SOA and CNAME: NAME, CLASS and TYPE alone; WKS: also ADDRESS and PROTOCOL
// (RFC 1035 §3.4.2: the first five RDATA octets).
bool replaces_on_fields(RRType type) {
  return type == RRType::SOA || type == RRType::CNAME || type == RRType::WKS;
}
bool same_fields(RRType type, std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  if (type != RRType::WKS) return true;
  return a.size() >= 5 && b.size() >= 5 && std::memcmp(a.data(), b.data(), 5) == 0;
}

// SOA RDATA ends with SERIAL REFRESH RETRY EXPIRE MINIMUM (RFC 1035 §3.3.13).
std::vector<std::uint8_t> with_serial(std::vector<std::uint8_t> rdata, Serial s) {
  const std::size_t at = rdata.size() - 20;  // the zone's SOA RDATA is valid
  const std::uint32_t v = s.value();
  for (std::size_t i = 0; i < 4; ++i) {
    rdata[at + i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
  }
  return rdata;
}

Record make_record(const Name& owner, RRType type, std::uint32_t ttl,
                   const std::vector<std::uint8_t>& rdata) {
  Record r;
  r.owner = owner;
  r.type = type;
  r.cls = RRClass::IN;
  r.ttl = ttl;
  r.rdata = rdata;
  return r;
}

}  // namespace

Scratch::Set::Set(RRType t, std::uint32_t set_ttl, std::vector<Rdata> rds) : type(t), ttl(set_ttl) {
  rdatas.reserve(rds.size());
  for (auto& rd : rds) push(std::move(rd));
}

void Scratch::Set::push(Rdata rd) {
  index.emplace(canonical_key(type, rd), rdatas.size());
  rdatas.push_back(std::move(rd));
}

void Scratch::Set::replace(std::size_t i, Rdata rd) {
  index.erase(canonical_key(type, rdatas[i]));
  index.emplace(canonical_key(type, rd), i);
  rdatas[i] = std::move(rd);
}

void Scratch::Set::erase(std::size_t i) {
  index.erase(canonical_key(type, rdatas[i]));
  const std::size_t last = rdatas.size() - 1;
  if (i != last) {
    rdatas[i] = std::move(rdatas[last]);
    index[canonical_key(type, rdatas[i])] = i;
  }
  rdatas.pop_back();
}

Scratch::Scratch(const zone::Zone& zone) : zone_(zone) {}

Scratch::Sets& Scratch::node(const Name& owner) {
  auto it = nodes_.find(owner);
  if (it != nodes_.end()) return it->second;
  Sets sets;
  if (const zone::Node* n = zone_.find(owner)) {
    for (const auto& s : n->rrsets()) sets.emplace_back(s.type, s.ttl, s.rdatas);
  }
  return nodes_.emplace(owner, std::move(sets)).first->second;
}

void Scratch::apply(const Record& rr) {
  if (rr.cls == RRClass::IN) {
    add(rr);
  } else if (rr.cls == RRClass::ANY) {
    if (rr.type == RRType::ANY) {
      delete_all(rr.owner);
    } else {
      delete_rrset(rr.owner, rr.type);
    }
  } else if (rr.cls == RRClass::NONE) {
    delete_rr(rr);
  }
  // Other classes were refused by the prescan (RFC 2136 §3.4.1).
}

// RFC 2136 §3.4.2.2 (pseudocode §3.4.2.7).
void Scratch::add(const Record& rr) {
  // RFC 2181 §8: a TTL above 2^31 - 1 is treated as 0, so the changeset (and through it
  // the zone, the journal, IXFR and push) carries 0, never 2147483648.
  const std::uint32_t ttl = wire::effective_ttl(rr.ttl);
  Sets& sets = node(rr.owner);
  // CNAME and other data: the update RR that would create the conflict is ignored.
  if (rr.type == RRType::CNAME) {
    for (const Set& s : sets) {
      if (!may_coexist_with_cname(s.type)) return;
    }
  } else if (!may_coexist_with_cname(rr.type)) {
    for (const Set& s : sets) {
      if (s.type == RRType::CNAME) return;
    }
  }
  auto it = std::find_if(sets.begin(), sets.end(), [&](const Set& s) { return s.type == rr.type; });
  if (rr.type == RRType::SOA) {
    // Ignored when there is no SOA at that name (it is not the apex) or the new serial
    // is not greater (RFC 1982) than the current one; RFC 2136 §3.6.
    if (it == sets.end() || it->rdatas.empty()) return;
    const Serial current = zone::soa_serial(it->rdatas.front());
    if (!zone::soa_serial(rr.rdata).follows(current)) return;
  }
  if (it == sets.end()) {
    const auto pos = std::find_if(sets.begin(), sets.end(), [&](const Set& s) {
      return static_cast<std::uint16_t>(s.type) > static_cast<std::uint16_t>(rr.type);
    });
    sets.insert(pos, Set(rr.type, ttl, {rr.rdata}));
    return;
  }
  // RFC 2181 §5.2: an RRset has one TTL. The update RR's TTL becomes the RRset's, as a
  // duplicate "replaces" the zone RR (RFC 2136 §3.4.2.2) and Zone::apply does likewise.
  Set& set = *it;
  set.ttl = ttl;
  if (replaces_on_fields(rr.type)) {
    for (std::size_t i = 0; i < set.rdatas.size(); ++i) {
      if (same_fields(rr.type, set.rdatas[i], rr.rdata)) {
        set.replace(i, rr.rdata);
        return;
      }
    }
  }
  if (const auto dup = set.index.find(canonical_key(rr.type, rr.rdata)); dup != set.index.end()) {
    set.replace(dup->second, rr.rdata);  // a duplicate: only the TTL can change
    return;
  }
  set.push(rr.rdata);
}

// RFC 2136 §3.4.2.3, second half: at the apex, SOA and NS are never deleted this way.
void Scratch::delete_rrset(const Name& owner, RRType type) {
  if (owner == zone_.origin() && (type == RRType::SOA || type == RRType::NS)) return;
  Sets& sets = node(owner);
  std::erase_if(sets, [&](const Set& s) { return s.type == type; });
}

// RFC 2136 §3.4.2.3, first half: at the apex everything but SOA and NS goes.
void Scratch::delete_all(const Name& owner) {
  Sets& sets = node(owner);
  const bool apex = owner == zone_.origin();
  std::erase_if(
      sets, [&](const Set& s) { return !apex || (s.type != RRType::SOA && s.type != RRType::NS); });
}

// RFC 2136 §3.4.2.4: the SOA is never deleted, nor the last NS at the apex; deleting an
// RR that is not there does nothing (§2.5.4).
void Scratch::delete_rr(const Record& rr) {
  if (rr.type == RRType::SOA) return;
  Sets& sets = node(rr.owner);
  auto it = std::find_if(sets.begin(), sets.end(), [&](const Set& s) { return s.type == rr.type; });
  if (it == sets.end()) return;
  const auto match = it->index.find(canonical_key(rr.type, rr.rdata));
  if (match == it->index.end()) return;
  if (rr.type == RRType::NS && rr.owner == zone_.origin() && it->rdatas.size() == 1) return;
  it->erase(match->second);
  if (it->rdatas.empty()) sets.erase(it);
}

std::optional<zone::Changeset> Scratch::changeset() const {
  zone::Changeset c;
  c.soa_from = zone_.soa_record();
  Record soa = c.soa_from;
  const auto type_value = [](RRType t) { return static_cast<std::uint16_t>(t); };

  for (const auto& [owner, sets] : nodes_) {
    const zone::Node* old_node = zone_.find(owner);
    const std::span<const zone::RRset> old_sets =
        old_node != nullptr ? old_node->rrsets() : std::span<const zone::RRset>();

    // Both lists are sorted by type value: walk them together.
    auto o = old_sets.begin();
    auto n = sets.begin();
    while (o != old_sets.end() || n != sets.end()) {
      const zone::RRset* before = nullptr;
      const Set* after = nullptr;
      if (n == sets.end() || (o != old_sets.end() && type_value(o->type) < type_value(n->type))) {
        before = &*o++;
      } else if (o == old_sets.end() || type_value(n->type) < type_value(o->type)) {
        after = &*n++;
      } else {
        before = &*o++;
        after = &*n++;
      }
      const RRType type = before != nullptr ? before->type : after->type;
      if (type == RRType::SOA) {
        // The SOA travels as soa_from/soa_to, never in removed/added.
        if (after != nullptr && !after->rdatas.empty()) {
          soa.ttl = after->ttl;
          soa.rdata = after->rdatas.front();
        }
        continue;
      }
      // A new TTL applies to the whole RRset (RFC 2181 §5.2): the old set goes and the new
      // one comes in full, so IXFR and push consumers see every record's new TTL.
      const bool ttl_changed = before != nullptr && after != nullptr && before->ttl != after->ttl;
      std::unordered_set<std::string> old_keys;
      if (before != nullptr) {
        for (const auto& rd : before->rdatas) {
          std::string key = canonical_key(type, rd);
          if (ttl_changed || after == nullptr || !after->index.contains(key)) {
            c.removed.push_back(make_record(owner, type, before->ttl, rd));
          }
          old_keys.insert(std::move(key));
        }
      }
      if (after != nullptr) {
        for (const auto& rd : after->rdatas) {
          if (ttl_changed || !old_keys.contains(canonical_key(type, rd))) {
            c.added.push_back(make_record(owner, type, after->ttl, rd));
          }
        }
      }
    }
  }

  const bool soa_changed =
      soa.ttl != c.soa_from.ttl || !wire::rdata_equal(RRType::SOA, soa.rdata, c.soa_from.rdata);
  if (!soa_changed && c.empty()) return std::nullopt;

  // RFC 2136 §3.6: the serial moves forward with every change. An UPDATE that set a
  // greater serial itself keeps it; otherwise the serial is incremented (RFC 1982 §3.1,
  // so 0xFFFFFFFF is followed by 0).
  const Serial from = zone_.serial();
  if (!zone::soa_serial(soa.rdata).follows(from)) soa.rdata = with_serial(soa.rdata, from.next());
  c.soa_to = std::move(soa);
  return c;
}

}  // namespace dnspush::update
