#include "push/index.hpp"

#include <algorithm>

namespace dnspush::push {

SubscriptionIndex::SlotId SubscriptionIndex::open(SessionId id) {
  if (const auto it = session_map_.find(id); it != session_map_.end()) return it->second;
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
  session_map_.emplace(id, s);
  return s;
}

std::optional<SubscriptionIndex::SlotId> SubscriptionIndex::find_session(SessionId id) const {
  const auto it = session_map_.find(id);
  if (it == session_map_.end()) return std::nullopt;
  return it->second;
}

void SubscriptionIndex::close(SessionId id) {
  const auto it = session_map_.find(id);
  if (it == session_map_.end()) return;
  const SlotId s = it->second;
  while (sessions_[s].first != kNone) remove(sessions_[s].first);
  sessions_[s] = Session{};
  free_sessions_.push_back(s);
  session_map_.erase(it);
}

std::optional<SubscriptionIndex::SubId> SubscriptionIndex::find_by_message_id(
    SlotId s, std::uint16_t message_id) const {
  return keys_.find(message_key(s, message_id));
}

std::optional<SubscriptionIndex::GroupId> SubscriptionIndex::find_group(const NameEntry& e,
                                                                        wire::RRType t,
                                                                        wire::RRClass c) const {
  for (const GroupId g : e.groups) {
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
    grp.live = true;
    entry.groups.push_back(g);
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
    auto& gs = grp.name->second.groups;
    gs.erase(std::find(gs.begin(), gs.end(), g));
    if (gs.empty()) names_.erase(names_.find(grp.name->first));
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
  std::size_t total = 0;
  for (const auto& [id, s] : session_map_) {
    if (s >= sessions_.size() || !sessions_[s].live || sessions_[s].id != id) return false;
    std::uint32_t n = 0;
    SubId prev = kNone;
    for (SubId i = sessions_[s].first; i != kNone; i = subs_[i].next) {
      const Subscription& sub = subs_[i];
      if (sub.session != s || sub.prev != prev || ++n > subs_.size()) return false;
      if (keys_.find(message_key(s, sub.message_id)) != i) return false;
      if (keys_.find(group_key(s, sub.group)) != i) return false;
      const Group& g = groups_[sub.group];
      if (!g.live || sub.pos >= g.subs.size() || g.subs[sub.pos] != i) return false;
      prev = i;
    }
    if (n != sessions_[s].count) return false;
    total += n;
  }
  if (total != sub_count_ || keys_.size() != 2 * sub_count_) return false;
  std::size_t in_groups = 0, live_groups = 0;
  for (GroupId g = 0; g < groups_.size(); ++g) {
    const Group& grp = groups_[g];
    if (!grp.live) continue;
    ++live_groups;
    if (grp.subs.empty()) return false;
    in_groups += grp.subs.size();
    const auto it = names_.find(grp.name->first);
    if (it == names_.end() || &*it != grp.name) return false;
    const auto& gs = it->second.groups;
    if (std::count(gs.begin(), gs.end(), g) != 1) return false;
    for (const GroupId other : gs) {
      if (other != g && groups_[other].type == grp.type && groups_[other].cls == grp.cls)
        return false;  // one group per (name, type, class)
    }
  }
  if (in_groups != sub_count_ || live_groups != groups()) return false;
  for (const auto& [name, e] : names_) {
    if (e.groups.empty()) return false;
  }
  return true;
}

}  // namespace dnspush::push
