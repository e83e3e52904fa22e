#include "auth/synthetic.hpp"

#include <algorithm>

namespace dnspush::auth {

const zone::RRset* SyntheticRecords::Node::find(wire::RRType t) const {
  for (const auto& s : rrsets) {
    if (s.type == t) return &s;
  }
  return nullptr;
}

void SyntheticRecords::add(const wire::Name& origin, const wire::Record& r) {
  auto [it, inserted] = nodes_.try_emplace(r.owner);
  Node& n = it->second;
  if (inserted) n.origin = origin;
  for (auto& s : n.rrsets) {
    if (s.type == r.type) {
      // Two SRVs may share a target (push and LLQ over TLS): its address once.
      if (std::find(s.rdatas.begin(), s.rdatas.end(), r.rdata) == s.rdatas.end())
        s.rdatas.push_back(r.rdata);
      return;
    }
  }
  n.rrsets.push_back(zone::RRset{r.type, r.ttl, {r.rdata}});
}

const SyntheticRecords::Node* SyntheticRecords::find(const wire::Name& owner) const {
  auto it = nodes_.find(owner);
  return it == nodes_.end() ? nullptr : &it->second;
}

}  // namespace dnspush::auth
