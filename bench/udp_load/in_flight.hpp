// The queries one socket has in flight, by DNS message ID.
//
// IDs are handed out in sequence (wrapping at 65536), so between `oldest` and `next` the
// queries are in the order they were sent: finding the ones past their timeout looks only
// at the oldest end, and answered ones there are stepped over once (amortised O(1)). An
// ID is never reused while its query still waits: a socket whose next ID is busy sends
// nothing until that query is answered or lost, so an answer always names one query.
#pragma once

#include <cstdint>
#include <vector>

namespace dnspush::bench {

class InFlight {
 public:
  struct Slot {
    std::int64_t sent_ns = 0;
    std::uint32_t query = 0;  // index in the QuerySet
    bool busy = false;
  };

  InFlight() : slots_(kIds) {}

  std::uint32_t count() const { return count_; }
  // How many IDs can be handed out in sequence from next_id() before a busy one.
  std::uint32_t free_in_sequence() const { return kIds - span_; }
  std::uint16_t next_id() const { return next_; }

  // Takes next_id() for `query`, sent at `sent_ns`. Only while free_in_sequence() > 0.
  void add(std::int64_t sent_ns, std::uint32_t query) {
    slots_[next_] = Slot{sent_ns, query, true};
    ++next_;
    ++span_;
    ++count_;
  }

  // The query waiting for `id`, or null (never sent, answered already, or lost).
  Slot* find(std::uint16_t id) {
    Slot& s = slots_[id];
    return s.busy ? &s : nullptr;
  }

  void complete(Slot* s) {
    s->busy = false;
    --count_;
    trim();
  }

  // Gives up on every query sent at or before `deadline_ns`; returns how many.
  std::uint32_t expire(std::int64_t deadline_ns) {
    std::uint32_t lost = 0;
    while (span_ > 0 && slots_[oldest_].sent_ns <= deadline_ns) {
      slots_[oldest_].busy = false;  // the oldest end is busy: trim() keeps it so
      ++lost;
      --count_;
      ++oldest_;
      --span_;
      trim();
    }
    return lost;
  }

  // When the oldest query in flight was sent; meaningful only while count() > 0.
  std::int64_t oldest_sent_ns() const { return slots_[oldest_].sent_ns; }

 private:
  static constexpr std::uint32_t kIds = 65536;

  // Steps `oldest` over answered queries, so that it is busy unless nothing is in flight.
  void trim() {
    while (span_ > 0 && !slots_[oldest_].busy) {
      ++oldest_;
      --span_;
    }
  }

  std::vector<Slot> slots_;
  std::uint16_t oldest_ = 0;
  std::uint16_t next_ = 0;
  std::uint32_t span_ = 0;  // IDs from oldest_ up to next_: 0 to 65536
  std::uint32_t count_ = 0;
};

}  // namespace dnspush::bench
