#include "zone/catalogue.hpp"

#include <algorithm>

namespace dnspush::zone {

std::shared_ptr<const Catalogue> Catalogue::with(std::shared_ptr<const Zone> z) const {
  return with(std::move(z), version_);
}

std::shared_ptr<const Catalogue> Catalogue::with(std::shared_ptr<const Zone> z,
                                                 std::uint64_t version) const {
  auto c = std::make_shared<Catalogue>(*this);
  if (z) {
    const wire::Name origin = z->origin();
    c->zones_.insert_or_assign(origin, std::move(z));
  }
  c->version_ = version;
  return c;
}

std::shared_ptr<const Catalogue> Catalogue::without(const wire::Name& origin) const {
  auto c = std::make_shared<Catalogue>(*this);
  c->zones_.erase(origin);
  return c;
}

const std::shared_ptr<const Zone>* Catalogue::find_enclosing(const wire::Name& name) const {
  if (zones_.empty()) return nullptr;
  // Longest suffix first: the name itself, then each parent up to the root. At most 127
  // hash lookups (RFC 1035 §3.1 bounds a name's labels).
  wire::Name n = name;
  while (true) {
    if (const auto it = zones_.find(n); it != zones_.end()) return &it->second;
    if (n.is_root()) return nullptr;
    n = n.parent();
  }
}

const std::shared_ptr<const Zone>* Catalogue::find_exact(const wire::Name& origin) const {
  const auto it = zones_.find(origin);
  return it == zones_.end() ? nullptr : &it->second;
}

std::shared_ptr<const Catalogue> Catalogue::with_unavailable(const wire::Name& origin,
                                                             bool unavailable) const {
  auto c = std::make_shared<Catalogue>(*this);
  if (unavailable) {
    c->unavailable_.insert(origin);
  } else {
    c->unavailable_.erase(origin);
  }
  return c;
}

bool Catalogue::unavailable_for(const wire::Name& name) const {
  if (unavailable_.empty()) return false;
  wire::Name n = name;
  while (true) {
    if (unavailable_.contains(n)) return true;
    if (zones_.contains(n) || n.is_root()) return false;
    n = n.parent();
  }
}

std::vector<std::shared_ptr<const Zone>> Catalogue::zones() const {
  std::vector<std::shared_ptr<const Zone>> out;
  out.reserve(zones_.size());
  for (const auto& [origin, z] : zones_) out.push_back(z);
  // Deterministic order (canonical, RFC 4034 §6.1) for logs and tests.
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a->origin().canonical_compare(b->origin()) < 0;
  });
  return out;
}

}  // namespace dnspush::zone
