#include "auth/lookup.hpp"

#include <algorithm>
#include <optional>
#include <utility>

namespace dnspush::auth {
namespace {

using wire::Name;
using wire::RRType;

// What one resolution step inside one zone ended with.
struct Step {
  Outcome outcome = Outcome::kAnswer;
  std::optional<Name> next;  // set when a CNAME/DNAME sends us on to another name
};

RRsetRef ref(const Name& owner, const zone::RRset& rrset) {
  return RRsetRef{owner, rrset.type, rrset.ttl, &rrset, {}};
}

// The name a CNAME/DNAME RDATA points at (uncompressed wire form).
std::optional<Name> rdata_target(const zone::RRset& rrset) {
  if (rrset.rdatas.empty()) return std::nullopt;
  auto n = Name::from_wire(rrset.rdatas.front());
  if (!n) return std::nullopt;
  return std::move(*n);
}

// `name` with its rightmost `keep` labels replaced by `target` (RFC 6672 §2.2
// substitution). nullopt when the result exceeds 255 bytes.
std::optional<Name> substitute(const Name& name, std::size_t owner_wire_size, const Name& target) {
  const auto w = name.wire();
  const std::size_t prefix_len = w.size() - owner_wire_size;  // labels above the owner
  std::vector<std::uint8_t> prefix(w.begin(), w.begin() + static_cast<long>(prefix_len));
  prefix.push_back(0);
  auto p = Name::from_wire(prefix);
  if (!p) return std::nullopt;
  auto joined = p->concat(target);
  if (!joined) return std::nullopt;
  return std::move(*joined);
}

class Resolver {
 public:
  Resolver(const zone::Zone& z, RRType qtype, LookupResult& out)
      : zone_(z), qtype_(qtype), out_(out) {}

  // RFC 1034 §4.3.2 step 3, for `name` inside zone_.
  Step resolve(const Name& name) {
    const std::size_t zone_labels = zone_.origin().label_count();
    const std::size_t name_labels = name.label_count();
    Name encloser_name;
    for (std::size_t depth = zone_labels; depth <= name_labels; ++depth) {
      Name here = depth == name_labels ? name : name.suffix(depth);
      const zone::Node* node = depth == zone_labels ? &zone_.apex() : zone_.find(here);
      if (node == nullptr) {
        // RFC 1034 §4.3.2 3.c: no such name; the last node found is the closest encloser
        // (RFC 4592 §3.3.1: empty non-terminals count, so it may be one).
        return no_such_name(name, encloser_name);
      }
      // RFC 1034 §4.3.2 3.b: a cut below the apex. At the cut itself only DS belongs to
      // this (the parent) side (RFC 4035 §3.1.4.1).
      if (depth > zone_labels) {
        if (const auto* ns = node->find(RRType::NS);
            ns && (depth < name_labels || qtype_ != RRType::DS)) {
          out_.authority.push_back(ref(here, *ns));
          out_.cut = node;
          out_.cut_name = here;
          return Step{Outcome::kReferral, std::nullopt};
        }
      }
      if (depth < name_labels) {
        if (const auto* dname = node->find(RRType::DNAME)) return follow_dname(name, here, *dname);
      } else {
        return exact(*node, name);
      }
      encloser_name = std::move(here);
    }
    return Step{Outcome::kNxDomain, std::nullopt};  // unreachable: the loop returns
  }

 private:
  // RFC 1034 §4.3.2 3.a, also used for a wildcard's synthesized answer (owner = qname).
  Step exact(const zone::Node& node, const Name& owner) {
    if (qtype_ == RRType::ANY) {
      // We answer ANY with every RRset at the name (RFC 1034 §3.7.1) rather than the
      // RFC 8482 minimal answer: zone data is public, the size limit still applies (TC
      // over UDP), and DNS-SD tooling uses `dig ANY` to inspect an instance.
      if (node.empty()) return Step{Outcome::kNoData, std::nullopt};
      for (const auto& rrset : node.rrsets()) out_.answer.push_back(ref(owner, rrset));
      return Step{Outcome::kAnswer, std::nullopt};
    }
    if (const auto* rrset = node.find(qtype_)) {
      out_.answer.push_back(ref(owner, *rrset));
      return Step{Outcome::kAnswer, std::nullopt};
    }
    if (qtype_ != RRType::CNAME) {
      if (const auto* cname = node.find(RRType::CNAME)) {
        out_.answer.push_back(ref(owner, *cname));
        return Step{Outcome::kAnswer, rdata_target(*cname)};
      }
    }
    return Step{Outcome::kNoData, std::nullopt};
  }

  // RFC 4592 §3.3.1: try "*.<closest encloser>" before declaring NXDOMAIN. Existing
  // names (including empty non-terminals) never reach here, so a wildcard never
  // applies to them or below them except via its own closest encloser.
  Step no_such_name(const Name& name, const Name& closest_encloser) {
    if (auto star = closest_encloser.prepend("*")) {
      if (const zone::Node* wild = zone_.find(*star)) return exact(*wild, name);
    }
    return Step{Outcome::kNxDomain, std::nullopt};
  }

  // RFC 6672 §2.2 / §3.2: return the DNAME, a CNAME synthesized from it (TTL of the
  // DNAME), and continue with the substituted name.
  Step follow_dname(const Name& name, const Name& owner, const zone::RRset& dname) {
    out_.answer.push_back(ref(owner, dname));
    auto target = rdata_target(dname);
    if (!target) return Step{Outcome::kAnswer, std::nullopt};
    auto next = substitute(name, owner.wire_size(), *target);
    if (!next) return Step{Outcome::kYxDomain, std::nullopt};
    RRsetRef cname{name, RRType::CNAME, dname.ttl, nullptr, {}};
    const auto w = next->wire();
    cname.synthesized.assign(w.begin(), w.end());
    out_.answer.push_back(std::move(cname));
    return Step{Outcome::kAnswer, std::move(next)};
  }

  const zone::Zone& zone_;
  RRType qtype_;
  LookupResult& out_;
};

// The zone that answers `qname`. DS at a zone apex belongs to the parent zone (RFC 4035
// §3.1.4.1): answer it from there when we hold the parent too.
const zone::Zone* pick_zone(const zone::Catalogue& cat, const Name& qname, RRType qtype) {
  const auto* z = cat.find_enclosing(qname);
  if (z == nullptr || !*z) return nullptr;
  if (qtype == RRType::DS && !qname.is_root() && (*z)->origin() == qname) {
    const auto* parent = cat.find_enclosing(qname.parent());
    if (parent != nullptr && *parent) return parent->get();
  }
  return z->get();
}

}  // namespace

RRsetRef negative_soa(const zone::Zone& z) {
  const zone::RRset& soa = z.soa();
  std::uint32_t ttl = soa.ttl;
  if (!soa.rdatas.empty() && soa.rdatas.front().size() >= 4) {
    const auto& rd = soa.rdatas.front();
    const std::size_t n = rd.size();
    const std::uint32_t minimum = (std::uint32_t{rd[n - 4]} << 24) |
                                  (std::uint32_t{rd[n - 3]} << 16) |
                                  (std::uint32_t{rd[n - 2]} << 8) | std::uint32_t{rd[n - 1]};
    ttl = std::min(ttl, minimum);  // RFC 2308 §3
  }
  return RRsetRef{z.origin(), wire::RRType::SOA, ttl, &soa, {}};
}

LookupResult lookup(const zone::Catalogue& catalogue, const wire::Name& qname, wire::RRType qtype) {
  LookupResult out;
  lookup(catalogue, qname, qtype, out);
  return out;
}

void lookup(const zone::Catalogue& catalogue, const wire::Name& qname, wire::RRType qtype,
            LookupResult& out) {
  out.outcome = Outcome::kRefused;
  out.authoritative = false;
  out.answer.clear();
  out.authority.clear();
  out.zone = nullptr;
  out.cut = nullptr;
  out.cut_name = Name();
  const zone::Zone* z = pick_zone(catalogue, qname, qtype);
  if (z == nullptr) return;
  Resolver resolver(*z, qtype, out);
  Name name = qname;
  for (int step = 0;; ++step) {
    out.zone = z;
    Step s = resolver.resolve(name);
    if (step == 0) out.authoritative = s.outcome != Outcome::kReferral;
    out.outcome = s.outcome;
    switch (s.outcome) {
      case Outcome::kNoData:
      case Outcome::kNxDomain:
        // RFC 2308 §2.1/§2.2 (and RFC 6604 after a chain: the RCODE is that of the last
        // name).
        out.authority.push_back(negative_soa(*z));
        return;
      case Outcome::kAnswer:
        break;
      default:
        return;
    }
    if (!s.next) return;
    // Follow the chain only inside this zone; a target elsewhere is the client's next
    // query. Stop on a loop or after kMaxChainSteps.
    if (!s.next->is_subdomain_of(z->origin())) return;
    if (step + 1 >= kMaxChainSteps) return;
    // Every name visited so far is the query name or the owner of a record the chain
    // put in the answer section: a target among them is a loop.
    if (*s.next == qname) return;
    for (const auto& rr : out.answer) {
      if (rr.owner == *s.next) return;
    }
    name = std::move(*s.next);
  }
}

}  // namespace dnspush::auth
