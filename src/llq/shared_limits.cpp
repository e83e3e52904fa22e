#include "llq/shared_limits.hpp"

namespace dnspush::llq {

bool SharedLimits::try_add(const AddressKey& k) {
  std::lock_guard lock(mu_);
  if (total_ >= max_total_) return false;
  auto [it, inserted] = per_address_.try_emplace(k, 0);
  if (it->second >= max_per_address_) {
    if (inserted) per_address_.erase(it);
    return false;
  }
  ++it->second;
  ++total_;
  return true;
}

void SharedLimits::remove(const AddressKey& k) {
  std::lock_guard lock(mu_);
  const auto it = per_address_.find(k);
  if (it == per_address_.end()) return;
  if (--it->second == 0) per_address_.erase(it);
  if (total_ > 0) --total_;
}

bool SharedLimits::full(const AddressKey& k) const {
  std::lock_guard lock(mu_);
  if (total_ >= max_total_) return true;
  const auto it = per_address_.find(k);
  return it != per_address_.end() && it->second >= max_per_address_;
}

std::size_t SharedLimits::total() const {
  std::lock_guard lock(mu_);
  return total_;
}

std::size_t SharedLimits::for_address(const AddressKey& k) const {
  std::lock_guard lock(mu_);
  const auto it = per_address_.find(k);
  return it == per_address_.end() ? 0 : it->second;
}

}  // namespace dnspush::llq
