// Global and per-client-address limits on open TCP/TLS connections, shared by all
// workers. Checked once per accepted connection (the per-address map takes a mutex only
// there); a refused connection is the newest one, so established clients keep working.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "auth/query_context.hpp"

namespace dnspush::io {

class ConnectionLimiter {
 public:
  using Key = std::array<std::uint8_t, 17>;  // address bytes + family
  struct KeyHash {
    std::size_t operator()(const Key& k) const;
  };

  enum class Refusal { kTotal, kPerAddress };

  // Holds one connection slot; releases it when destroyed.
  class Ticket {
   public:
    Ticket(Ticket&& o) noexcept : owner_(o.owner_), key_(o.key_) { o.owner_ = nullptr; }
    Ticket& operator=(Ticket&&) = delete;
    ~Ticket();

   private:
    friend class ConnectionLimiter;
    Ticket(ConnectionLimiter* owner, const Key& key) : owner_(owner), key_(key) {}
    ConnectionLimiter* owner_;
    Key key_;
  };

  ConnectionLimiter(std::size_t max_total, std::size_t max_per_address)
      : max_total_(max_total), max_per_address_(max_per_address) {}

  // nullopt (and `why`) when taking a slot would exceed a limit.
  std::optional<Ticket> try_acquire(const auth::ClientAddress& a, Refusal* why);
  std::size_t total() const { return total_.load(std::memory_order_relaxed); }
  std::size_t for_address(const auth::ClientAddress& a) const;

 private:
  static Key key_of(const auth::ClientAddress& a);
  void release(const Key& k);

  const std::size_t max_total_;
  const std::size_t max_per_address_;
  std::atomic<std::size_t> total_{0};
  mutable std::mutex mu_;
  std::unordered_map<Key, std::size_t, KeyHash> per_address_;
};

}  // namespace dnspush::io
