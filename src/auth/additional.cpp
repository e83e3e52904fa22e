#include "auth/additional.hpp"

#include <algorithm>
#include <optional>
#include <utility>

namespace dnspush::auth {
namespace {

using wire::Name;
using wire::RRType;

// The domain name that ends an RDATA at `offset` (NS, MX, SRV, PTR keep it last).
std::optional<Name> name_at(std::span<const std::uint8_t> rdata, std::size_t offset) {
  if (offset >= rdata.size()) return std::nullopt;
  auto n = Name::from_wire(rdata.subspan(offset));
  if (!n) return std::nullopt;
  return std::move(*n);
}

class Collector {
 public:
  Collector(const zone::Zone& z, std::vector<AdditionalRRset>& out) : zone_(z), out_(out) {}

  // Adds the RRsets of `types` at `owner` when `owner` is in the zone.
  void add(const Name& owner, std::initializer_list<RRType> types, bool required = false) {
    if (!owner.is_subdomain_of(zone_.origin())) return;
    const zone::Node* node = zone_.find(owner);
    if (node == nullptr) return;
    for (const RRType t : types) {
      const zone::RRset* rrset = node->find(t);
      if (rrset == nullptr || seen(rrset)) continue;
      out_.push_back(AdditionalRRset{RRsetRef{owner, t, rrset->ttl, rrset, {}}, required});
    }
  }

  // Adds the addresses of the name at `offset` in each RDATA of `rrset`.
  void addresses_of_targets(const zone::RRset& rrset, std::size_t offset, bool required = false) {
    for (const auto& rd : rrset.rdatas) {
      if (auto target = name_at(rd, offset)) add(*target, {RRType::A, RRType::AAAA}, required);
    }
  }

  const zone::Zone& zone() const { return zone_; }

 private:
  // Deduplicates by the RRset's identity in the snapshot: one (owner, type) is one RRset.
  bool seen(const zone::RRset* rrset) const {
    return std::any_of(out_.begin(), out_.end(),
                       [rrset](const AdditionalRRset& a) { return a.rr.rrset == rrset; });
  }

  const zone::Zone& zone_;
  std::vector<AdditionalRRset>& out_;
};

constexpr std::size_t kSrvTargetOffset = 6;  // priority, weight, port (RFC 2782)
constexpr std::size_t kMxTargetOffset = 2;   // preference (RFC 1035 §3.3.9)

void for_answer(Collector& c, const RRsetRef& rr) {
  if (rr.rrset == nullptr) return;  // synthesized CNAME: nothing to add
  switch (rr.type) {
    case RRType::NS:
      c.addresses_of_targets(*rr.rrset, 0);
      break;
    case RRType::MX:
      c.addresses_of_targets(*rr.rrset, kMxTargetOffset);
      break;
    case RRType::SRV:
      c.addresses_of_targets(*rr.rrset, kSrvTargetOffset);
      break;
    case RRType::PTR: {
      // RFC 6763 §12.1: SRV and TXT of each instance first, then the addresses of the
      // SRV targets, so that a full browse answer arrives in one response.
      for (const auto& rd : rr.rrset->rdatas) {
        if (auto instance = name_at(rd, 0)) c.add(*instance, {RRType::SRV, RRType::TXT});
      }
      for (const auto& rd : rr.rrset->rdatas) {
        const auto instance = name_at(rd, 0);  // read again: no list to allocate
        if (!instance || !instance->is_subdomain_of(c.zone().origin())) continue;
        const zone::Node* node = c.zone().find(*instance);
        if (node == nullptr) continue;
        if (const auto* srv = node->find(RRType::SRV)) {
          c.addresses_of_targets(*srv, kSrvTargetOffset);
        }
      }
      break;
    }
    default:
      break;
  }
}

}  // namespace

std::vector<AdditionalRRset> additional_for(const LookupResult& r) {
  std::vector<AdditionalRRset> out;
  additional_for(r, out);
  return out;
}

void additional_for(const LookupResult& r, std::vector<AdditionalRRset>& out) {
  out.clear();
  if (r.zone == nullptr) return;
  Collector c(*r.zone, out);
  if (r.outcome == Outcome::kReferral) {
    if (r.cut == nullptr) return;
    const zone::RRset* ns = r.cut->find(RRType::NS);
    if (ns == nullptr) return;
    // RFC 9471 §2.1/§3.1: glue for name servers below the cut is required; other
    // in-zone name servers' addresses (sibling glue) go in when there is room.
    for (const auto& rd : ns->rdatas) {
      auto target = name_at(rd, 0);
      if (target && target->is_subdomain_of(r.cut_name)) {
        c.add(*target, {RRType::A, RRType::AAAA}, true);
      }
    }
    for (const auto& rd : ns->rdatas) {
      auto target = name_at(rd, 0);
      if (target && !target->is_subdomain_of(r.cut_name)) c.add(*target, {RRType::A, RRType::AAAA});
    }
    return;
  }
  if (r.outcome != Outcome::kAnswer) return;
  for (const auto& rr : r.answer) for_answer(c, rr);
}

}  // namespace dnspush::auth
