// The subscription index of one io worker (DESIGN.md "shared-nothing workers"): every DNS
// Push subscription of the worker's sessions, arranged so that a changed (name, type) finds
// its subscribers without scanning sessions or subscriptions.
//
// Shape: owner name -> NameEntry (one hash lookup, case-insensitive) -> its few Groups, one
// per distinct (TYPE, CLASS) subscribed at that name -> the subscriptions in the group.
// Many sessions subscribing the same (name, type, class) share one Group, so a commit finds
// them all at once and sessions with the same groups can share one encoded PUSH.
// Per session, (session, MESSAGE ID) and (session, group) find a subscription in O(1)
// (a flat hash map), and an intrusive list links a session's subscriptions for closing.
//
// Threading: none. The index is owned outright by one worker thread; no locks.
// Bounds: the caller (PushWorker) enforces the subscription limits before add(); sessions
// are bounded by the io layer's connection limit.
// Memory: see bench/bench_push.cpp (measured figures are in docs/ARCHITECTURE.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "base/time.hpp"
#include "push/flat_map.hpp"
#include "push/options.hpp"
#include "push/tlv.hpp"
#include "wire/name.hpp"
#include "wire/types.hpp"

namespace dnspush::push {

class SubscriptionIndex {
 public:
  using SlotId = std::uint32_t;   // a session's place in sessions_
  using GroupId = std::uint32_t;  // a (name, type, class)'s place in groups_
  using SubId = std::uint32_t;    // a subscription's place in subs_
  static constexpr std::uint32_t kNone = ~std::uint32_t{0};

  struct Session {
    SessionId id{};
    SessionOptions options;
    SubId first = kNone;  // the session's subscriptions (intrusive list through Subscription)
    std::uint32_t count = 0;
    TimePoint rate_tat{};  // GCRA theoretical arrival time (PushWorker's SUBSCRIBE rate)
    bool live = false;
  };

  struct NameEntry;
  using NameMap = std::unordered_map<wire::Name, NameEntry, wire::NameHash>;

  struct NameEntry {
    GroupId first_group = kNone;  // the name's groups, linked through Group::next
    // The zone the name was subscribed in, as its origin's label count: a commit to another
    // zone (a parent whose delegation names this child apex) is not this name's change.
    std::uint8_t zone_labels = 0;
    // Per-commit scratch for PushWorker: the version of the commit that last touched the
    // name, and its place in that commit's list of touched names.
    std::uint64_t touched_version = 0;
    std::uint32_t touched_index = 0;
  };

  // The initial PUSH (RFC 8765 §6.3) last built for a group: sessions subscribing the same
  // (name, type, class) at the same zone version with the same options get the same bytes.
  struct InitialCache {
    std::shared_ptr<const std::vector<SharedBytes>> messages;
    std::uint64_t version = 0;
    std::uint32_t options_key = 0;
  };

  struct Group {
    NameMap::value_type* name = nullptr;  // the entry's node (stable in NameMap); null: free
    GroupId next = kNone;                 // the next group at the same name
    wire::RRType type{};
    wire::RRClass cls{};
    std::vector<SubId> subs;
    InitialCache initial;
  };

  struct Subscription {
    std::uint64_t version = 0;  // catalogue version its initial answer was read at
    GroupId group = kNone;
    SlotId session = kNone;
    std::uint32_t pos = 0;  // index in group.subs
    SubId prev = kNone, next = kNone;
    std::uint16_t message_id = 0;
  };

  // The session's slot, creating it (with default options) when new.
  SlotId open(SessionId id);
  std::optional<SlotId> find_session(SessionId id) const;
  // Removes every subscription of the session and the session.
  void close(SessionId id);

  std::optional<SubId> find_by_message_id(SlotId s, std::uint16_t message_id) const;
  // The session's subscription in group `g`, if any.
  std::optional<SubId> find_in_group(SlotId s, GroupId g) const {
    return keys_.find(group_key(s, g));
  }
  std::optional<SubId> find(SlotId s, const Subscribe& key) const;
  // Adds a subscription; the caller checked it is not a duplicate.
  SubId add(SlotId s, const Subscribe& key, std::uint16_t message_id, std::uint64_t version,
            std::uint8_t zone_labels);
  void remove(SubId id);

  // The name's entry (key and value), or nullptr when nobody subscribes at that name.
  NameMap::value_type* find_name(const wire::Name& n);
  Session& session(SlotId s) { return sessions_[s]; }
  const Session& session(SlotId s) const { return sessions_[s]; }
  Group& group(GroupId g) { return groups_[g]; }
  const Group& group(GroupId g) const { return groups_[g]; }
  const Subscription& sub(SubId id) const { return subs_[id]; }
  void set_version(SubId id, std::uint64_t version) { subs_[id].version = version; }

  std::size_t subscriptions() const { return sub_count_; }
  std::size_t sessions() const { return session_map_.size(); }
  std::size_t groups() const { return groups_.size() - free_groups_.size(); }
  std::size_t names() const { return names_.size(); }

  // Checks every structural invariant (links, counts, maps, back-pointers); for tests and
  // fuzzing. O(everything).
  bool check() const;

 private:
  static std::uint64_t message_key(SlotId s, std::uint16_t id) {
    return (std::uint64_t{s} << 32) | id;
  }
  static std::uint64_t group_key(SlotId s, GroupId g) {
    return (std::uint64_t{s} << 32) | 0x80000000u | g;
  }
  std::optional<GroupId> find_group(const NameEntry& e, wire::RRType t, wire::RRClass c) const;

  detail::FlatMap64 session_map_;  // SessionId -> SlotId
  std::vector<Session> sessions_;
  std::vector<SlotId> free_sessions_;
  NameMap names_;
  std::vector<Group> groups_;
  std::vector<GroupId> free_groups_;
  std::vector<Subscription> subs_;
  std::vector<SubId> free_subs_;
  std::size_t sub_count_ = 0;
  detail::FlatMap64 keys_;  // message_key and group_key -> SubId
};

}  // namespace dnspush::push
