#include "io/connection_limiter.hpp"

#include <string_view>

namespace dnspush::io {

std::size_t ConnectionLimiter::KeyHash::operator()(const Key& k) const {
  return std::hash<std::string_view>{}(
      std::string_view(reinterpret_cast<const char*>(k.data()), k.size()));
}

ConnectionLimiter::Key ConnectionLimiter::key_of(const auth::ClientAddress& a) {
  Key k{};
  const std::size_t n = a.v6 ? 16 : 4;
  for (std::size_t i = 0; i < n; ++i) k[i] = a.bytes[i];
  k[16] = a.v6 ? 6 : 4;
  return k;
}

std::optional<ConnectionLimiter::Ticket> ConnectionLimiter::try_acquire(
    const auth::ClientAddress& a, Refusal* why) {
  // Reserve globally first (lock-free), then per address under the mutex.
  if (total_.fetch_add(1, std::memory_order_relaxed) >= max_total_) {
    total_.fetch_sub(1, std::memory_order_relaxed);
    if (why != nullptr) *why = Refusal::kTotal;
    return std::nullopt;
  }
  const Key k = key_of(a);
  {
    std::lock_guard lock(mu_);
    auto& n = per_address_[k];
    if (n >= max_per_address_) {
      if (n == 0) per_address_.erase(k);
      total_.fetch_sub(1, std::memory_order_relaxed);
      if (why != nullptr) *why = Refusal::kPerAddress;
      return std::nullopt;
    }
    ++n;
  }
  return Ticket(this, k);
}

std::size_t ConnectionLimiter::for_address(const auth::ClientAddress& a) const {
  std::lock_guard lock(mu_);
  const auto it = per_address_.find(key_of(a));
  return it == per_address_.end() ? 0 : it->second;
}

void ConnectionLimiter::release(const Key& k) {
  {
    std::lock_guard lock(mu_);
    const auto it = per_address_.find(k);
    if (it != per_address_.end() && --it->second == 0) per_address_.erase(it);
  }
  total_.fetch_sub(1, std::memory_order_relaxed);
}

ConnectionLimiter::Ticket::~Ticket() {
  if (owner_ != nullptr) owner_->release(key_);
}

}  // namespace dnspush::io
