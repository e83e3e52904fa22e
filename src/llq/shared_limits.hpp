// LLQ limits shared by every io worker's LlqServer: the total number of LLQs and the number
// per client IP address, counted once for the whole server, so that a client whose
// datagrams (from many source ports) or connections spread over the workers (SO_REUSEPORT
// hashing) meets the configured bound exactly, not once per worker.
//
// Threading: any thread. A mutex guards the per-address map; it is taken once when an LLQ
// is created and once when it ends (and for the cheap pre-check before a challenge), never
// per event, ack or query.
// Bounds: the map holds one entry per address with at least one LLQ, so at most max_total.
// Failure policy: try_add() refuses (false) past either limit; nothing throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace dnspush::llq {

// A client address as a key: IPv4 in the first 4 bytes with the rest zero, IPv6 with a
// family bit folded in, so that the two families never meet.
struct AddressKey {
  std::uint64_t hi = 0, lo = 0;
  bool operator==(const AddressKey&) const = default;
};
struct AddressKeyHash {
  std::size_t operator()(const AddressKey& k) const { return k.hi * 0x9E3779B97F4A7C15ULL ^ k.lo; }
};

class SharedLimits {
 public:
  SharedLimits(std::size_t max_total, std::size_t max_per_address)
      : max_total_(max_total), max_per_address_(max_per_address) {}

  // Counts one more LLQ for `k`; false (and nothing counted) past either limit.
  bool try_add(const AddressKey& k);
  // The LLQ counted by a successful try_add(k) ended.
  void remove(const AddressKey& k);
  // Would try_add(k) refuse now? (A pre-check: the answer may change before try_add.)
  bool full(const AddressKey& k) const;
  std::size_t total() const;
  std::size_t for_address(const AddressKey& k) const;

 private:
  const std::size_t max_total_;
  const std::size_t max_per_address_;
  mutable std::mutex mu_;
  std::size_t total_ = 0;
  std::unordered_map<AddressKey, std::size_t, AddressKeyHash> per_address_;
};

}  // namespace dnspush::llq
