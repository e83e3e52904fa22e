#include "client/answer_cache.hpp"

#include <algorithm>

namespace dnspush::client {
namespace {

void age(std::vector<wire::Record>& rs, std::uint32_t by) {
  for (auto& r : rs) r.ttl = r.ttl > by ? r.ttl - by : 0;
}

}  // namespace

std::optional<Answer> AnswerCache::find(const Question& q, TimePoint now) const {
  for (const auto& e : entries_) {
    if (!(e.q == q)) continue;
    if (e.expires <= now) return std::nullopt;
    Answer a = e.a;
    const auto held = std::chrono::duration_cast<std::chrono::seconds>(now - e.stored).count();
    const auto by = static_cast<std::uint32_t>(std::max<long long>(held, 0));
    age(a.answers, by);
    age(a.authority, by);
    age(a.additional, by);
    return a;
  }
  return std::nullopt;
}

void AnswerCache::insert(const Question& q, const Answer& a, TimePoint now) {
  // Only answers worth repeating: a server failure or a truncated answer is asked again.
  if (a.truncated || (a.rcode != wire::Rcode::NOERROR && a.rcode != wire::Rcode::NXDOMAIN)) return;
  const std::uint32_t ttl = a.cache_ttl();
  std::erase_if(entries_, [&](const Entry& e) { return e.q == q || e.expires <= now; });
  if (ttl == 0 || max_ == 0) return;
  if (entries_.size() >= max_) {
    auto soonest =
        std::min_element(entries_.begin(), entries_.end(),
                         [](const Entry& x, const Entry& y) { return x.expires < y.expires; });
    entries_.erase(soonest);
  }
  entries_.push_back(Entry{q, a, now, now + std::chrono::seconds(ttl)});
}

}  // namespace dnspush::client
