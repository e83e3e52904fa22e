// A small open-addressing hash map from 64-bit keys to 32-bit values, for the per-session
// lookups of the subscription index ((session, MESSAGE ID) and (session, group) to a
// subscription). Linear probing with backward-shift deletion (no tombstones), keys and
// values in two flat arrays: 12 bytes a slot, at 3/8..3/4 load 16-32 bytes an entry, where
// std::unordered_map costs about 40 and one allocation per entry.
//
// Single-threaded. Every 64-bit key is allowed: ~0, the empty-slot marker, is kept apart.
// Grows at 3/4 load, shrinks below 1/8 (hysteresis, so erase/insert at a boundary does not
// rehash each time).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace dnspush::push::detail {

class FlatMap64 {
 public:
  static constexpr std::uint64_t kEmpty = ~std::uint64_t{0};

  std::optional<std::uint32_t> find(std::uint64_t key) const {
    if (key == kEmpty) return empty_key_;
    if (keys_.empty()) return std::nullopt;
    for (std::size_t i = slot(key);; i = (i + 1) & mask()) {
      if (keys_[i] == key) return values_[i];
      if (keys_[i] == kEmpty) return std::nullopt;
    }
  }

  // Inserts or overwrites.
  void insert(std::uint64_t key, std::uint32_t value) {
    if (key == kEmpty) {
      empty_key_ = value;
      return;
    }
    if ((size_ + 1) * 4 > keys_.size() * 3) rehash(keys_.empty() ? 16 : keys_.size() * 2);
    std::size_t i = slot(key);
    while (keys_[i] != kEmpty && keys_[i] != key) i = (i + 1) & mask();
    if (keys_[i] == kEmpty) ++size_;
    keys_[i] = key;
    values_[i] = value;
  }

  bool erase(std::uint64_t key) {
    if (key == kEmpty) {
      const bool had = empty_key_.has_value();
      empty_key_.reset();
      return had;
    }
    if (keys_.empty()) return false;
    std::size_t i = slot(key);
    while (keys_[i] != key) {
      if (keys_[i] == kEmpty) return false;
      i = (i + 1) & mask();
    }
    // Backward-shift: move later members of the probe run into the hole when their home
    // slot does not lie cyclically in (hole, their position].
    std::size_t hole = i;
    for (std::size_t j = (i + 1) & mask(); keys_[j] != kEmpty; j = (j + 1) & mask()) {
      const std::size_t home = slot(keys_[j]);
      const bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
      if (stays) continue;
      keys_[hole] = keys_[j];
      values_[hole] = values_[j];
      hole = j;
    }
    keys_[hole] = kEmpty;
    --size_;
    if (keys_.size() > 16 && size_ * 8 < keys_.size()) rehash(keys_.size() / 2);
    return true;
  }

  std::size_t size() const { return size_ + (empty_key_ ? 1 : 0); }
  std::size_t memory_bytes() const {
    return keys_.capacity() * sizeof(std::uint64_t) + values_.capacity() * sizeof(std::uint32_t);
  }

 private:
  std::size_t mask() const { return keys_.size() - 1; }
  std::size_t slot(std::uint64_t key) const {
    // splitmix64's finalizer: keys are structured (session << 32 | small value).
    key ^= key >> 30;
    key *= 0xbf58476d1ce4e5b9ULL;
    key ^= key >> 27;
    key *= 0x94d049bb133111ebULL;
    key ^= key >> 31;
    return static_cast<std::size_t>(key) & mask();
  }
  void rehash(std::size_t capacity) {
    std::vector<std::uint64_t> keys(capacity, kEmpty);
    std::vector<std::uint32_t> values(capacity);
    keys.swap(keys_);
    values.swap(values_);
    size_ = 0;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] == kEmpty) continue;
      std::size_t j = slot(keys[i]);
      while (keys_[j] != kEmpty) j = (j + 1) & mask();
      keys_[j] = keys[i];
      values_[j] = values[i];
      ++size_;
    }
  }

  std::vector<std::uint64_t> keys_;
  std::vector<std::uint32_t> values_;
  std::size_t size_ = 0;  // in the arrays
  std::optional<std::uint32_t> empty_key_;
};

}  // namespace dnspush::push::detail
