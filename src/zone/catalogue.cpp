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
    c->index_label_counts();
  }
  c->version_ = version;
  return c;
}

std::shared_ptr<const Catalogue> Catalogue::without(const wire::Name& origin) const {
  auto c = std::make_shared<Catalogue>(*this);
  c->zones_.erase(origin);
  c->index_label_counts();
  return c;
}

void Catalogue::index_label_counts() {
  label_counts_[0] = label_counts_[1] = 0;
  for (const auto& [origin, z] : zones_) {
    const std::size_t n = origin.label_count();  // <= 127 (RFC 1035 §3.1)
    label_counts_[n / 64] |= std::uint64_t{1} << (n % 64);
  }
}

const std::shared_ptr<const Zone>* Catalogue::find_enclosing(const wire::Name& name) const {
  if (zones_.empty()) return nullptr;
  // Longest suffix first: the name itself, then each parent up to the root, skipping the
  // lengths no origin has. At most 128 hash lookups (RFC 1035 §3.1 bounds the labels).
  const std::size_t labels = name.label_count();
  for (std::size_t d = labels + 1; d-- > 0;) {
    if (!has_origin_of(d)) continue;
    const auto it = d == labels ? zones_.find(name) : zones_.find(name.suffix(d));
    if (it != zones_.end()) return &it->second;
  }
  return nullptr;
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
