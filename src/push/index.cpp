#include "push/index.hpp"

#include <algorithm>

namespace dnspush::push {

namespace {
std::uint64_t key_of(SessionId id) {
  return static_cast<std::uint64_t>(id);
}
}  // namespace

SubscriptionIndex::SlotId SubscriptionIndex::open(SessionId id) {
  if (const auto s = session_map_.find(key_of(id))) return *s;
  SlotId s;
  if (!free_sessions_.empty()) {
    s = free_sessions_.back();
    free_sessions_.pop_back();
  } else {
    s = static_cast<SlotId>(sessions_.size());
    sessions_.emplace_back();
  }
  sessions_[s] = Session{};
  sessions_[s].id = id;
  sessions_[s].live = true;
  session_map_.insert(key_of(id), s);
  return s;
}

std::optional<SubscriptionIndex::SlotId> SubscriptionIndex::find_session(SessionId id) const {
  return session_map_.find(key_of(id));
}

void SubscriptionIndex::close(SessionId id) {
  const auto found = session_map_.find(key_of(id));
  if (!found) return;
  const SlotId s = *found;
  while (sessions_[s].first != kNone) remove(sessions_[s].first);
  sessions_[s] = Session{};
  free_sessions_.push_back(s);
  session_map_.erase(key_of(id));
}

std::optional<SubscriptionIndex::SubId> SubscriptionIndex::find_by_message_id(
    SlotId s, std::uint16_t message_id) const {
  return keys_.find(message_key(s, message_id));
}

std::optional<SubscriptionIndex::GroupId> SubscriptionIndex::find_group(const NameEntry& e,
                                                                        wire::RRType t,
                                                                        wire::RRClass c) const {
  for (GroupId g = e.first_group; g != kNone; g = groups_[g].next) {
    if (groups_[g].type == t && groups_[g].cls == c) return g;
  }
  return std::nullopt;
}

std::optional<SubscriptionIndex::SubId> SubscriptionIndex::find(SlotId s,
                                                                const Subscribe& key) const {
  const auto it = names_.find(key.name);
  if (it == names_.end()) return std::nullopt;
  const auto g = find_group(it->second, key.type, key.cls);
  if (!g) return std::nullopt;
  return keys_.find(group_key(s, *g));
}

SubscriptionIndex::SubId SubscriptionIndex::add(SlotId s, const Subscribe& key,
                                                std::uint16_t message_id, std::uint64_t version,
                                                std::uint8_t zone_labels) {
  auto [nit, fresh_name] = names_.try_emplace(key.name);
  NameEntry& entry = nit->second;
  if (fresh_name) entry.zone_labels = zone_labels;
  GroupId g;
  if (const auto found = find_group(entry, key.type, key.cls)) {
    g = *found;
  } else {
    if (!free_groups_.empty()) {
      g = free_groups_.back();
      free_groups_.pop_back();
    } else {
      g = static_cast<GroupId>(groups_.size());
      groups_.emplace_back();
    }
    Group& grp = groups_[g];
    grp = Group{};
    grp.name = &*nit;
    grp.type = key.type;
    grp.cls = key.cls;
    grp.next = entry.first_group;
    entry.first_group = g;
  }

  SubId id;
  if (!free_subs_.empty()) {
    id = free_subs_.back();
    free_subs_.pop_back();
  } else {
    id = static_cast<SubId>(subs_.size());
    subs_.emplace_back();
  }
  Session& sess = sessions_[s];
  Subscription& sub = subs_[id];
  sub = Subscription{};
  sub.version = version;
  sub.group = g;
  sub.session = s;
  sub.message_id = message_id;
  sub.pos = static_cast<std::uint32_t>(groups_[g].subs.size());
  groups_[g].subs.push_back(id);
  sub.next = sess.first;
  if (sess.first != kNone) subs_[sess.first].prev = id;
  sess.first = id;
  ++sess.count;
  ++sub_count_;
  keys_.insert(message_key(s, message_id), id);
  keys_.insert(group_key(s, g), id);
  return id;
}

void SubscriptionIndex::remove(SubId id) {
  Subscription& sub = subs_[id];
  Session& sess = sessions_[sub.session];
  keys_.erase(message_key(sub.session, sub.message_id));
  keys_.erase(group_key(sub.session, sub.group));
  // Unlink from the session's list.
  if (sub.prev != kNone)
    subs_[sub.prev].next = sub.next;
  else
    sess.first = sub.next;
  if (sub.next != kNone) subs_[sub.next].prev = sub.prev;
  --sess.count;
  // Swap-remove from the group.
  Group& grp = groups_[sub.group];
  const SubId moved = grp.subs.back();
  grp.subs[sub.pos] = moved;
  subs_[moved].pos = sub.pos;
  grp.subs.pop_back();
  if (grp.subs.empty()) {
    const GroupId g = sub.group;
    GroupId* link = &grp.name->second.first_group;
    while (*link != g) link = &groups_[*link].next;
    *link = grp.next;
    if (grp.name->second.first_group == kNone) names_.erase(names_.find(grp.name->first));
    grp = Group{};  // drops the cached initial PUSH and the subs vector's memory
    free_groups_.push_back(g);
  } else if (grp.subs.capacity() > 16 && grp.subs.size() * 4 < grp.subs.capacity()) {
    grp.subs.shrink_to_fit();  // a group that once had many subscribers does not keep them
  }
  sub = Subscription{};
  free_subs_.push_back(id);
  --sub_count_;
}

SubscriptionIndex::NameMap::value_type* SubscriptionIndex::find_name(const wire::Name& n) {
  const auto it = names_.find(n);
  return it == names_.end() ? nullptr : &*it;
}

bool SubscriptionIndex::check() const {
  std::size_t total = 0, live = 0;
  for (SlotId s = 0; s < sessions_.size(); ++s) {
    if (!sessions_[s].live) continue;
    ++live;
    if (session_map_.find(key_of(sessions_[s].id)) != s) return false;
    std::uint32_t n = 0;
    SubId prev = kNone;
    for (SubId i = sessions_[s].first; i != kNone; i = subs_[i].next) {
      const Subscription& sub = subs_[i];
      if (sub.session != s || sub.prev != prev || ++n > subs_.size()) return false;
      if (keys_.find(message_key(s, sub.message_id)) != i) return false;
      if (keys_.find(group_key(s, sub.group)) != i) return false;
      const Group& g = groups_[sub.group];
      if (g.name == nullptr || sub.pos >= g.subs.size() || g.subs[sub.pos] != i) return false;
      prev = i;
    }
    if (n != sessions_[s].count) return false;
    total += n;
  }
  if (live != session_map_.size() || live + free_sessions_.size() != sessions_.size()) return false;
  if (total != sub_count_ || keys_.size() != 2 * sub_count_) return false;
  std::size_t in_groups = 0, live_groups = 0;
  for (GroupId g = 0; g < groups_.size(); ++g) {
    const Group& grp = groups_[g];
    if (grp.name == nullptr) continue;
    ++live_groups;
    if (grp.subs.empty()) return false;
    in_groups += grp.subs.size();
    const auto it = names_.find(grp.name->first);
    if (it == names_.end() || &*it != grp.name) return false;
    std::size_t seen = 0, hops = 0;
    for (GroupId o = it->second.first_group; o != kNone; o = groups_[o].next) {
      if (++hops > groups_.size() || groups_[o].name != grp.name) return false;
      if (o == g)
        ++seen;
      else if (groups_[o].type == grp.type && groups_[o].cls == grp.cls)
        return false;  // one group per (name, type, class)
    }
    if (seen != 1) return false;
  }
  if (in_groups != sub_count_ || live_groups != groups()) return false;
  for (const auto& [name, e] : names_) {
    if (e.first_group == kNone) return false;
  }
  return true;
}

}  // namespace dnspush::push
