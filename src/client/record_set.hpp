// The live answer set of one subscription (RFC 8765 §6.3.1): the records a consumer
// currently sees for a Question, and the add/remove events that keep a consumer's copy
// equal to it. Sans-IO: time is passed in.
//
// Sources feed it in two ways: incremental change notifications from PUSH messages
// (apply), or a complete answer (replace, from a poll). While a source is live the
// records' TTLs stand still (RFC 8765 §6.3.1: "the TTL is not decremented"); when it goes
// away (suspend) aging resumes and records are removed when their TTL runs out.
//
// Reconnects: after a new SUBSCRIBE is accepted, the server sends the current records
// again as adds, with no marker saying the initial answer is complete. begin_resync()
// marks every record unconfirmed; an add confirms it (no event unless new or its TTL
// changed), a delete removes it at once, and records still unconfirmed at the deadline
// are removed then. So no stale record survives and no removal done while disconnected
// is missed, and a record that stayed is never reported removed and added again.
//
// Bounds: at most `max_records` records; further adds are dropped and counted
// (dropped()), never grown. Events go to a caller's vector; nothing else is queued.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "base/time.hpp"
#include "client/question.hpp"
#include "push/tlv.hpp"
#include "wire/message.hpp"

namespace dnspush::client {

struct RecordEvent {
  enum class Kind : std::uint8_t { kAdd, kRemove };
  Kind kind = Kind::kAdd;
  wire::Record record;  // a removal carries the TTL the record last had
};

class RecordSet {
 public:
  static constexpr std::size_t kDefaultMaxRecords = 10000;

  explicit RecordSet(Question q, std::size_t max_records = kDefaultMaxRecords);

  const Question& question() const { return q_; }

  // One change notification of a PUSH message; those for other questions are ignored.
  void apply(const push::Change& c, TimePoint now, std::vector<RecordEvent>& out);
  // A complete answer: records not in `full` are removed, new ones added, changed TTLs
  // reported as adds. Ends a resync; the set is live afterwards (TTLs stand still).
  void replace(std::span<const wire::Record> full, std::vector<RecordEvent>& out);
  // A new subscription was accepted on a new session: records not re-announced by
  // `deadline` are removed then. TTLs stand still.
  void begin_resync(TimePoint deadline);
  bool resyncing() const { return resync_deadline_.has_value(); }
  // The subscription is live again without a resync (e.g. the first SUBSCRIBE).
  void set_live();
  // The source is gone: TTLs run from `now` (RFC 8765 §6.3.1).
  void suspend(TimePoint now);
  bool live() const { return !aging_; }

  std::optional<TimePoint> next_timeout() const;
  // Ends a resync whose deadline passed; removes records whose TTL ran out.
  void on_timeout(TimePoint now, std::vector<RecordEvent>& out);

  // The current records; while aging, with their remaining TTL.
  std::vector<wire::Record> records(TimePoint now) const;
  std::size_t size() const { return entries_.size(); }
  std::size_t dropped() const { return dropped_; }

 private:
  struct Entry {
    wire::Record record;
    bool confirmed = true;
    std::optional<TimePoint> expires;  // while aging
  };
  void add(const wire::Record& r, TimePoint now, std::vector<RecordEvent>& out);
  template <class Pred>
  void remove_if(Pred p, std::vector<RecordEvent>& out);

  Question q_;
  std::size_t max_records_;
  std::vector<Entry> entries_;  // small sets: a linear scan beats hashing here
  std::optional<TimePoint> resync_deadline_;
  bool aging_ = false;
  std::size_t dropped_ = 0;
};

}  // namespace dnspush::client
