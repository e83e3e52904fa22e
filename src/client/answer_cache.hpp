// Answers of the stub resolver kept for their TTL (RFC 8765 §6.1: "The client MUST respect
// the DNS TTL values on records it receives while performing the discovery process and
// store them in its local cache"; RFC 2308 for negative answers). Sans-IO: time is passed
// in. Bounded: at most `max_entries`; inserting past it evicts the entry that expires
// soonest. Answers with TTL 0 are not kept.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "base/time.hpp"
#include "client/question.hpp"
#include "client/stub.hpp"

namespace dnspush::client {

class AnswerCache {
 public:
  explicit AnswerCache(std::size_t max_entries = 4096) : max_(max_entries) {}

  // The cached answer with TTLs reduced by the time it spent here, if not expired.
  std::optional<Answer> find(const Question& q, TimePoint now) const;
  void insert(const Question& q, const Answer& a, TimePoint now);
  void clear() { entries_.clear(); }
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    Question q;
    Answer a;
    TimePoint stored;
    TimePoint expires;
  };
  std::size_t max_;
  std::vector<Entry> entries_;
};

}  // namespace dnspush::client
