#include "client/record_set.hpp"

#include <algorithm>

namespace dnspush::client {

using push::ChangeKind;

RecordSet::RecordSet(Question q, std::size_t max_records)
    : q_(std::move(q)), max_records_(max_records) {}

void RecordSet::add(const wire::Record& r, TimePoint now, std::vector<RecordEvent>& out) {
  auto it =
      std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.record == r; });
  if (it != entries_.end()) {
    it->confirmed = true;
    if (aging_) it->expires = now + std::chrono::seconds(r.ttl);
    // RFC 8765 §6.3.1: an add for a record we have is a TTL change; the same TTL again
    // (a re-announcement after a reconnect) is no news.
    if (it->record.ttl != r.ttl) {
      it->record.ttl = r.ttl;
      out.push_back({RecordEvent::Kind::kAdd, it->record});
    }
    return;
  }
  if (entries_.size() >= max_records_) {
    ++dropped_;
    return;
  }
  Entry e{r, true, std::nullopt};
  if (aging_) e.expires = now + std::chrono::seconds(r.ttl);
  entries_.push_back(e);
  out.push_back({RecordEvent::Kind::kAdd, r});
}

template <class Pred>
void RecordSet::remove_if(Pred p, std::vector<RecordEvent>& out) {
  auto keep = entries_.begin();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (p(*it)) {
      out.push_back({RecordEvent::Kind::kRemove, it->record});
    } else {
      if (keep != it) *keep = std::move(*it);
      ++keep;
    }
  }
  entries_.erase(keep, entries_.end());
}

void RecordSet::apply(const push::Change& c, TimePoint now, std::vector<RecordEvent>& out) {
  if (!(c.name == q_.name)) return;
  const bool class_ok = q_.cls == wire::RRClass::ANY || c.cls == q_.cls;
  switch (c.kind) {
    case ChangeKind::kAdd: {
      wire::Record r{c.name, c.type, c.cls, c.ttl, c.rdata};
      if (q_.matches(r)) add(r, now, out);
      return;
    }
    case ChangeKind::kDeleteRecord: {
      const wire::Record r{c.name, c.type, c.cls, 0, c.rdata};
      remove_if([&](const Entry& e) { return e.record == r; }, out);
      return;
    }
    case ChangeKind::kDeleteRRset:
      if (!class_ok) return;
      remove_if([&](const Entry& e) { return e.record.type == c.type && e.record.cls == c.cls; },
                out);
      return;
    case ChangeKind::kDeleteClass:
      remove_if([&](const Entry& e) { return e.record.cls == c.cls; }, out);
      return;
    case ChangeKind::kDeleteName:
      remove_if([](const Entry&) { return true; }, out);
      return;
  }
}

void RecordSet::replace(std::span<const wire::Record> full, std::vector<RecordEvent>& out) {
  resync_deadline_.reset();
  aging_ = false;
  remove_if(
      [&](const Entry& e) {
        return std::none_of(full.begin(), full.end(),
                            [&](const wire::Record& r) { return r == e.record; });
      },
      out);
  for (auto& e : entries_) e.expires.reset();
  for (const auto& r : full)
    if (q_.matches(r)) add(r, TimePoint{}, out);
}

void RecordSet::begin_resync(TimePoint deadline) {
  resync_deadline_ = deadline;
  aging_ = false;
  for (auto& e : entries_) {
    e.confirmed = false;
    e.expires.reset();
  }
}

void RecordSet::set_live() {
  aging_ = false;
  for (auto& e : entries_) e.expires.reset();
}

void RecordSet::suspend(TimePoint now) {
  // A resync that had not finished: what was confirmed stays, the rest ages like all.
  resync_deadline_.reset();
  if (aging_) return;
  aging_ = true;
  for (auto& e : entries_) {
    e.confirmed = true;
    e.expires = now + std::chrono::seconds(e.record.ttl);
  }
}

std::optional<TimePoint> RecordSet::next_timeout() const {
  std::optional<TimePoint> t = resync_deadline_;
  if (aging_) {
    for (const auto& e : entries_)
      if (e.expires && (!t || *e.expires < *t)) t = e.expires;
  }
  return t;
}

void RecordSet::on_timeout(TimePoint now, std::vector<RecordEvent>& out) {
  if (resync_deadline_ && *resync_deadline_ <= now) {
    resync_deadline_.reset();
    remove_if([](const Entry& e) { return !e.confirmed; }, out);
  }
  if (aging_) remove_if([&](const Entry& e) { return e.expires && *e.expires <= now; }, out);
}

std::vector<wire::Record> RecordSet::records(TimePoint now) const {
  std::vector<wire::Record> out;
  out.reserve(entries_.size());
  for (const auto& e : entries_) {
    out.push_back(e.record);
    if (e.expires) {
      const auto left = std::chrono::duration_cast<std::chrono::seconds>(*e.expires - now);
      out.back().ttl = left.count() > 0 ? static_cast<std::uint32_t>(left.count()) : 0;
    }
  }
  return out;
}

}  // namespace dnspush::client
