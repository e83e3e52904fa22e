#include "auth/answer_cache.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace dnspush::auth {

void AnswerCache::resize(std::size_t entries) {
  const std::size_t n = entries == 0 ? 0 : std::bit_ceil(entries);
  if (n == slots_.size()) return;
  std::vector<Slot>(n).swap(slots_);
}

std::uint64_t AnswerCache::hash_of(std::span<const std::uint8_t> key) {
  // Eight bytes per step, multiply and fold (queries are 30-60 bytes here).
  std::uint64_t h = 0x9e3779b97f4a7c15ULL ^ key.size();
  std::size_t i = 0;
  for (; i + 8 <= key.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, key.data() + i, 8);
    h = (h ^ w) * 0xff51afd7ed558ccdULL;
    h ^= h >> 32;
  }
  std::uint64_t tail = 0;
  std::memcpy(&tail, key.data() + i, key.size() - i);
  h = (h ^ tail) * 0xc4ceb9fe1a85ec53ULL;
  return h ^ (h >> 29);
}

bool AnswerCache::find(std::uint64_t owner, std::uint64_t version, std::uint64_t context,
                       std::span<const std::uint8_t> query, std::vector<std::uint8_t>& out) const {
  if (slots_.empty() || query.size() < 12 || query.size() - 2 > kMaxKey) return false;
  const auto key = query.subspan(2);
  const std::uint64_t h = hash_of(key) ^ context * 0x9e3779b97f4a7c15ULL;
  const Slot& s = slots_[h & (slots_.size() - 1)];
  if (s.owner != owner || s.version != version || s.context != context || s.hash != h ||
      s.key.size() != key.size() || std::memcmp(s.key.data(), key.data(), key.size()) != 0) {
    return false;
  }
  out.assign(s.answer.begin(), s.answer.end());
  out[0] = query[0];  // RFC 1035 §4.1.1: the answer carries the query's ID
  out[1] = query[1];
  return true;
}

void AnswerCache::store(std::uint64_t owner, std::uint64_t version, std::uint64_t context,
                        std::span<const std::uint8_t> query, std::span<const std::uint8_t> answer) {
  if (slots_.empty() || query.size() < 12 || query.size() - 2 > kMaxKey || answer.size() < 12 ||
      answer.size() > kMaxAnswer) {
    return;
  }
  const auto key = query.subspan(2);
  const std::uint64_t h = hash_of(key) ^ context * 0x9e3779b97f4a7c15ULL;
  Slot& s = slots_[h & (slots_.size() - 1)];
  s.owner = owner;
  s.version = version;
  s.context = context;
  s.hash = h;
  s.key.assign(key.begin(), key.end());
  s.answer.assign(answer.begin(), answer.end());
}

}  // namespace dnspush::auth
