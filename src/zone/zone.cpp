#include "zone/zone.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "wire/rdata.hpp"

namespace dnspush::zone {

using wire::Name;
using wire::Record;
using wire::RRClass;
using wire::RRType;

// The one place that edits a Node's private state, shared by ZoneBuilder and Zone::apply.
struct NodeAccess {
  static std::vector<RRset>& rrsets(Node& n) { return n.rrsets_; }
  static std::uint32_t& children(Node& n) { return n.children_; }

  // Adds one RR. Returns true when added, false when an identical RR is already there
  // (dropped: RFC 2181 §5). `newest_ttl_wins` chooses whether a differing TTL replaces
  // the RRset's (updates) or is ignored (zone files: the first one wins).
  static Result<bool> add(Node& n, const Record& r, bool newest_ttl_wins);
  // Removes one RR (matched on canonical RDATA); fails when it is not there.
  static Result<void> remove(Node& n, const Record& r);
};

namespace {

std::string describe(const Name& owner, RRType t) {
  return owner.to_text() + " " + wire::to_text(t);
}

// RFC 1034 §3.6.2: a CNAME owner has no other data; RFC 4035 §2.5 lets DNSSEC's RRSIG
// and NSEC live next to it.
bool may_coexist_with_cname(RRType t) {
  return t == RRType::CNAME || t == RRType::RRSIG || t == RRType::NSEC;
}

}  // namespace

Result<void> check_record(const Name& origin, const Record& r) {
  // Built only on failure: this runs for every record of every zone load.
  const auto what = [&r] { return describe(r.owner, r.type); };
  if (r.cls != RRClass::IN) {
    return fail(Errc::kRefused, what() + ": class " + wire::to_text(r.cls) + " is not IN");
  }
  if (wire::is_meta_type(r.type)) {
    return fail(Errc::kRefused, what() + ": meta type cannot be stored in a zone (RFC 6895 §3.1)");
  }
  if (wire::is_reserved_type(r.type)) {
    return fail(Errc::kRefused,
                what() + ": reserved type cannot be stored in a zone (RFC 6895 §3.1)");
  }
  if (wire::is_obsolete_type(r.type)) {
    return fail(Errc::kRefused, what() + ": obsolete type MUST NOT be loaded (RFC 1123 §6.1.3.6)");
  }
  if (!r.owner.is_subdomain_of(origin)) {
    return fail(Errc::kRefused, what() + ": owner is outside the zone " + origin.to_text());
  }
  if (!wire::rdata_valid(r.type, r.rdata)) {
    return fail(Errc::kMalformed, what() + ": invalid RDATA for its type");
  }
  if (!wire::owner_valid(r.type, r.owner)) {
    return fail(Errc::kMalformed, what() + ": owner is not a base32hex hash (RFC 5155 §3)");
  }
  if (r.type == RRType::SOA && !(r.owner == origin)) {
    return fail(Errc::kRefused, what() + ": SOA is only allowed at the zone apex");
  }
  return {};
}

namespace {

bool same_spelling(const Name& a, const Name& b) {
  return std::ranges::equal(a.wire(), b.wire());
}

RRset* find_set(std::vector<RRset>& sets, RRType t) {
  for (auto& s : sets) {
    if (s.type == t) return &s;
  }
  return nullptr;
}

}  // namespace

Result<bool> NodeAccess::add(Node& n, const Record& r, bool newest_ttl_wins) {
  // RFC 2181 §8: a TTL with the top bit set counts as 0. Every record enters a node here,
  // so none is stored (or served) with 2147483648 or more, whoever produced it.
  const std::uint32_t ttl = wire::effective_ttl(r.ttl);
  auto& sets = n.rrsets_;
  if (RRset* set = find_set(sets, r.type)) {
    for (const auto& rd : set->rdatas) {
      if (wire::rdata_equal(r.type, rd, r.rdata)) {
        if (newest_ttl_wins) set->ttl = ttl;
        return false;
      }
    }
    if (r.type == RRType::SOA) {
      return fail(Errc::kRefused, describe(r.owner, r.type) + ": a zone has exactly one SOA");
    }
    if (r.type == RRType::CNAME) {  // RFC 2181 §10.1: one CNAME per name
      return fail(Errc::kRefused, describe(r.owner, r.type) + ": more than one CNAME at a name");
    }
    set->rdatas.push_back(r.rdata);
    if (newest_ttl_wins) set->ttl = ttl;
    return true;
  }
  const bool has_cname = find_set(sets, RRType::CNAME) != nullptr;
  if (r.type == RRType::CNAME) {
    for (const auto& s : sets) {
      if (!may_coexist_with_cname(s.type)) {
        return fail(Errc::kRefused, describe(r.owner, r.type) + ": CNAME and other data (" +
                                        wire::to_text(s.type) +
                                        ") at the same name (RFC 1034 §3.6.2)");
      }
    }
  } else if (has_cname && !may_coexist_with_cname(r.type)) {
    return fail(Errc::kRefused, describe(r.owner, r.type) +
                                    ": CNAME and other data at the same name (RFC 1034 §3.6.2)");
  }
  RRset s;
  s.type = r.type;
  s.ttl = ttl;
  s.rdatas.push_back(r.rdata);
  const auto pos = std::find_if(sets.begin(), sets.end(), [&](const RRset& x) {
    return static_cast<std::uint16_t>(x.type) > static_cast<std::uint16_t>(r.type);
  });
  sets.insert(pos, std::move(s));
  return true;
}

Result<void> NodeAccess::remove(Node& n, const Record& r) {
  auto& sets = n.rrsets_;
  for (auto it = sets.begin(); it != sets.end(); ++it) {
    if (it->type != r.type) continue;
    auto& rds = it->rdatas;
    for (auto rd = rds.begin(); rd != rds.end(); ++rd) {
      if (wire::rdata_equal(r.type, *rd, r.rdata)) {
        rds.erase(rd);
        if (rds.empty()) sets.erase(it);
        return {};
      }
    }
    break;
  }
  return fail(Errc::kNotFound, describe(r.owner, r.type) + ": removed record is not in the zone");
}

// ---- Node / Zone (read side) ----

const RRset* Node::find(wire::RRType t) const {
  for (const auto& s : rrsets_) {
    if (s.type == t) return &s;
  }
  return nullptr;
}

std::size_t Zone::shard_count_for(std::size_t nodes) {
  std::size_t n = 1;
  while (n < 65536 && n * kNodesPerShard < nodes) n <<= 1;
  return n;
}

std::size_t Zone::shard_of_hash(std::size_t hash, std::size_t shard_count) {
  // The high bits: unordered_map uses the low ones for its buckets inside a shard.
  return static_cast<std::size_t>(static_cast<std::uint64_t>(hash) >> 40) & (shard_count - 1);
}

std::vector<std::shared_ptr<const Zone::ShardPage>> Zone::paginate(
    std::vector<std::shared_ptr<Shard>> shards) {
  std::vector<std::shared_ptr<const ShardPage>> pages;
  pages.reserve((shards.size() + kShardsPerPage - 1) / kShardsPerPage);
  for (std::size_t i = 0; i < shards.size(); i += kShardsPerPage) {
    auto page = std::make_shared<ShardPage>();
    const std::size_t end = std::min(shards.size(), i + kShardsPerPage);
    page->reserve(end - i);
    for (std::size_t k = i; k < end; ++k) page->push_back(std::move(shards[k]));
    pages.push_back(std::move(page));
  }
  return pages;
}

const Node* Zone::find(const Name& owner) const {
  // One hash for both the shard and its map (the query path does this per name it tries).
  const wire::HashedName key(owner);
  const Shard& s = shard(shard_of_hash(key.hash, shard_count_));
  const auto it = s.find(key);
  return it == s.end() ? nullptr : it->second.get();
}

void Zone::index_apex() {
  apex_ = shard(shard_of(origin_, shard_count_)).at(origin_);
  soa_ = apex_->find(RRType::SOA);
}

const RRset& Zone::soa() const {
  return *soa_;
}

Record Zone::soa_record() const {
  Record r;
  r.owner = origin_;
  r.type = RRType::SOA;
  r.cls = RRClass::IN;
  r.ttl = soa_->ttl;
  r.rdata = soa_->rdatas.front();
  return r;
}

Serial Zone::serial() const {
  return soa_serial(soa_->rdatas.front());
}

std::uint32_t Zone::negative_ttl() const {
  const auto f = parse_soa(soa_->rdatas.front());
  const std::uint32_t minimum = f ? f->minimum : 0;
  return std::min(soa_->ttl, minimum);
}

namespace {

// A byte string whose plain byte order is RFC 4034 §6.1 canonical name order: labels
// from the rightmost, lowercased, each ended by 00 00 with a 00 inside a label written
// 00 FF, so a label sorts before its extensions and a name before its descendants.
std::string canonical_key(const Name& n) {
  std::string key;
  key.reserve(n.wire_size() + 2 * n.label_count());
  for (std::size_t i = n.label_count(); i-- > 0;) {
    for (const char ch : n.label(i)) {
      const auto c = static_cast<unsigned char>(ch);
      if (c == 0) {
        key += '\0';
        key += '\xFF';
      } else {
        key += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
      }
    }
    key += '\0';
    key += '\0';
  }
  return key;
}

}  // namespace

std::vector<Record> Zone::records() const {
  std::vector<Record> out;
  out.reserve(records_);
  out.push_back(soa_record());

  // RFC 4034 §6.1 owner order; then type value; then RFC 4034 §6.3 RDATA order (canonical
  // form as unsigned octet strings, a shorter prefix first).
  struct Entry {
    std::string key;
    const Name* name;
    const Node* node;
  };
  std::vector<Entry> order;
  order.reserve(node_count_);
  for (std::size_t i = 0; i < shard_count_; ++i) {
    for (const auto& [name, node] : shard(i)) {
      if (!node->empty()) order.push_back({canonical_key(name), &name, node.get()});
    }
  }
  std::sort(order.begin(), order.end(),
            [](const Entry& a, const Entry& b) { return a.key < b.key; });

  std::vector<std::pair<std::vector<std::uint8_t>, const std::vector<std::uint8_t>*>> sorted;
  for (const auto& e : order) {
    for (const auto& set : e.node->rrsets()) {
      if (set.type == RRType::SOA) continue;  // already first
      sorted.clear();
      for (const auto& rd : set.rdatas)
        sorted.emplace_back(wire::canonical_rdata(set.type, rd), &rd);
      if (sorted.size() > 1) {
        // ranges:: rather than vector's operator<, which g++ 12 -O3 falsely flags
        // (-Wstringop-overread on the memcmp it inlines); same byte order.
        std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
          return std::ranges::lexicographical_compare(a.first, b.first);
        });
      }
      for (const auto& [canon, rd] : sorted) {
        Record r;
        r.owner = *e.name;
        r.type = set.type;
        r.cls = RRClass::IN;
        r.ttl = set.ttl;
        r.rdata = *rd;
        out.push_back(std::move(r));
      }
    }
  }
  return out;
}

Zone::Walk::Walk(const Zone& z) : zone_(&z) {
  if (zone_->shard_count_ > 0) node_ = zone_->shard(0).begin();
}

std::optional<Zone::RecordView> Zone::Walk::current() const {
  if (!soa_done_) {
    const RRset& soa = zone_->soa();
    return RecordView{&zone_->origin_, RRType::SOA, soa.ttl, soa.rdatas.front()};
  }
  if (shard_ >= zone_->shard_count_) return std::nullopt;
  const auto& [name, node] = *node_;
  const RRset& set = node->rrsets()[rrset_];
  return RecordView{&name, set.type, set.ttl, set.rdatas[rdata_]};
}

void Zone::Walk::next() {
  if (!soa_done_) {
    soa_done_ = true;
    settle();
    return;
  }
  if (shard_ >= zone_->shard_count_) return;
  ++rdata_;
  settle();
}

void Zone::Walk::settle() {
  while (shard_ < zone_->shard_count_) {
    if (node_ == zone_->shard(shard_).end()) {
      if (++shard_ < zone_->shard_count_) node_ = zone_->shard(shard_).begin();
      rrset_ = rdata_ = 0;
      continue;
    }
    const auto sets = node_->second->rrsets();
    if (rrset_ >= sets.size()) {
      ++node_;
      rrset_ = rdata_ = 0;
      continue;
    }
    // The SOA went first and is not repeated here (RFC 5936 §2.2: only at both ends).
    if (sets[rrset_].type == RRType::SOA || rdata_ >= sets[rrset_].rdatas.size()) {
      ++rrset_;
      rdata_ = 0;
      continue;
    }
    return;
  }
}

std::vector<Record> Zone::records_unordered() const {
  std::vector<Record> out;
  out.reserve(records_);
  out.push_back(soa_record());
  for (std::size_t i = 0; i < shard_count_; ++i) {
    for (const auto& [name, node] : shard(i)) {
      for (const auto& set : node->rrsets()) {
        if (set.type == RRType::SOA) continue;  // already first
        for (const auto& rd : set.rdatas) {
          Record r;
          r.owner = name;
          r.type = set.type;
          r.cls = RRClass::IN;
          r.ttl = set.ttl;
          r.rdata = rd;
          out.push_back(std::move(r));
        }
      }
    }
  }
  return out;
}

// ---- Zone::apply (copy-on-write) ----

// Edits a new version of a zone: pages and shards are copied the first time they are
// written and nodes the first time they are touched; everything else stays shared with
// the old version, which no one can observe changing.
class ZoneEditor {
 public:
  explicit ZoneEditor(const Zone& z)
      : origin_(z.origin_),
        pages_(z.pages_),
        shard_count_(z.shard_count_),
        node_count_(z.node_count_) {}

  // The node at `n` for writing, or nullptr when there is none.
  Node* touch(const Name& n) {
    if (auto it = owned_.find(n); it != owned_.end()) return it->second;
    const std::size_t i = Zone::shard_of(n, shard_count_);
    const auto found = shard(i).find(n);
    if (found == shard(i).end()) return nullptr;
    auto copy = std::make_shared<Node>(*found->second);
    Node* p = copy.get();
    writable(i).find(n)->second = std::move(copy);
    owned_.emplace(n, p);
    return p;
  }

  // The node at `n`, created with every missing ancestor up to the origin as an empty
  // non-terminal (RFC 4592 §2.2.2), each counted in its parent's children.
  Node* get_or_create(const Name& n) {
    if (Node* p = touch(n)) {
      if (p->empty()) respell(n);
      return p;
    }
    Node* created = insert(n);
    Name child = n;
    while (!(child == origin_)) {
      const Name parent = child.parent();
      Node* p = touch(parent);
      const bool existed = p != nullptr;
      if (!existed) p = insert(parent);
      ++NodeAccess::children(*p);
      if (existed) break;
      child = parent;
    }
    return created;
  }

  // Removes `n` and then each ancestor that is left an empty non-terminal without children.
  void prune(Name n) {
    while (!(n == origin_)) {
      const std::size_t i = Zone::shard_of(n, shard_count_);
      const auto it = shard(i).find(n);
      if (it == shard(i).end() || !it->second->empty() || it->second->children() != 0) return;
      writable(i).erase(n);
      owned_.erase(n);
      --node_count_;
      n = n.parent();
      Node* p = touch(n);
      if (p == nullptr) return;  // cannot happen in a consistent tree
      --NodeAccess::children(*p);
    }
  }

  // Moves the edited nodes into `z`, re-sharding when the zone has outgrown its shards
  // (an O(n) step that doubling makes rare).
  void finish_into(Zone& z) && {
    z.origin_ = origin_;
    z.node_count_ = node_count_;
    if (node_count_ > shard_count_ * Zone::kNodesPerShard * 4) {
      const std::size_t count = Zone::shard_count_for(node_count_);
      std::vector<std::shared_ptr<Zone::Shard>> fresh(count);
      for (auto& s : fresh) s = std::make_shared<Zone::Shard>();
      for (std::size_t i = 0; i < shard_count_; ++i) {
        for (const auto& [name, node] : shard(i))
          fresh[Zone::shard_of(name, count)]->emplace(name, node);
      }
      z.pages_ = Zone::paginate(std::move(fresh));
      z.shard_count_ = count;
    } else {
      z.pages_ = std::move(pages_);
      z.shard_count_ = shard_count_;
    }
    z.index_apex();
  }

 private:
  const Zone::Shard& shard(std::size_t i) const {
    return *(*pages_[i / Zone::kShardsPerPage])[i % Zone::kShardsPerPage];
  }

  Zone::Shard& writable(std::size_t i) {
    if (auto it = owned_shards_.find(i); it != owned_shards_.end()) return *it->second;
    const std::size_t p = i / Zone::kShardsPerPage;
    auto page = owned_pages_.find(p);
    if (page == owned_pages_.end()) {
      auto copy = std::make_shared<Zone::ShardPage>(*pages_[p]);
      page = owned_pages_.emplace(p, copy.get()).first;
      pages_[p] = std::move(copy);
    }
    auto& slot = (*page->second)[i % Zone::kShardsPerPage];
    auto copy = std::make_shared<Zone::Shard>(*slot);
    Zone::Shard* raw = copy.get();
    slot = std::move(copy);
    owned_shards_.emplace(i, raw);
    return *raw;
  }

  // An empty non-terminal takes the spelling of the first record added at it.
  void respell(const Name& n) {
    Zone::Shard& shard = writable(Zone::shard_of(n, shard_count_));
    auto it = shard.find(n);
    if (same_spelling(it->first, n)) return;
    auto handle = shard.extract(it);
    handle.key() = n;
    shard.insert(std::move(handle));
  }

  Node* insert(const Name& n) {
    auto node = std::make_shared<Node>();
    Node* p = node.get();
    writable(Zone::shard_of(n, shard_count_)).emplace(n, std::move(node));
    owned_.emplace(n, p);
    ++node_count_;
    return p;
  }

  const Name& origin_;
  std::vector<std::shared_ptr<const Zone::ShardPage>> pages_;
  std::size_t shard_count_;
  // The pages and shards this version owns (copied on first write): a handful.
  std::unordered_map<std::size_t, Zone::ShardPage*> owned_pages_;
  std::unordered_map<std::size_t, Zone::Shard*> owned_shards_;
  std::unordered_map<Name, Node*, wire::NameHash> owned_;
  std::size_t node_count_;
};

namespace {

Result<void> check_soa_to(const Name& origin, const Record& soa_to, Serial current) {
  if (soa_to.type != RRType::SOA || !(soa_to.owner == origin)) {
    return fail(Errc::kRefused, "changeset soa_to is not the SOA of " + origin.to_text());
  }
  if (auto ok = check_record(origin, soa_to); !ok) return ok;
  const Serial next = soa_serial(soa_to.rdata);
  // RFC 1982 §3.2: the new version's serial must be greater, or secondaries (RFC 1995)
  // and the journal cannot tell the versions apart.
  if (!next.follows(current)) {
    return fail(Errc::kRefused, "changeset serial " + std::to_string(next.value()) +
                                    " does not follow the zone's serial " +
                                    std::to_string(current.value()));
  }
  return {};
}

}  // namespace

Result<std::shared_ptr<const Zone>> Zone::apply(const Changeset& c) const {
  const Record current = soa_record();
  if (c.soa_from.type != RRType::SOA || !(c.soa_from.owner == origin_) ||
      !wire::rdata_equal(RRType::SOA, c.soa_from.rdata, current.rdata)) {
    return fail(Errc::kRefused, "changeset soa_from (serial " +
                                    std::to_string(c.serial_from().value()) +
                                    ") does not match the zone's SOA (serial " +
                                    std::to_string(serial().value()) + ")");
  }
  if (auto ok = check_soa_to(origin_, c.soa_to, serial()); !ok) return tl::unexpected(ok.error());

  ZoneEditor ed(*this);
  std::size_t records = records_;
  std::vector<const Name*> emptied;

  for (const auto& r : c.removed) {
    if (r.type == RRType::SOA) {
      return fail(Errc::kRefused,
                  describe(r.owner, r.type) + ": the SOA changes via soa_from/soa_to");
    }
    Node* n = ed.touch(r.owner);
    if (n == nullptr) {
      return fail(Errc::kNotFound,
                  describe(r.owner, r.type) + ": removed record is not in the zone");
    }
    if (auto ok = NodeAccess::remove(*n, r); !ok) return tl::unexpected(ok.error());
    --records;
    if (n->empty()) emptied.push_back(&r.owner);
  }
  for (const auto& r : c.added) {
    if (auto ok = check_record(origin_, r); !ok) return tl::unexpected(ok.error());
    if (r.type == RRType::SOA) {
      return fail(Errc::kRefused,
                  describe(r.owner, r.type) + ": the SOA changes via soa_from/soa_to");
    }
    Node* n = ed.get_or_create(r.owner);
    auto added = NodeAccess::add(*n, r, /*newest_ttl_wins=*/true);
    if (!added) return tl::unexpected(added.error());
    if (*added) ++records;
  }

  Node* apex = ed.touch(origin_);
  RRset* soa = find_set(NodeAccess::rrsets(*apex), RRType::SOA);
  soa->ttl = wire::effective_ttl(c.soa_to.ttl);
  soa->rdatas.front() = c.soa_to.rdata;
  // RFC 1035 §4.2.1 / RFC 2136 §3.4.2.4: the apex keeps its NS RRset.
  if (apex->find(RRType::NS) == nullptr) {
    return fail(Errc::kRefused,
                describe(origin_, RRType::NS) + ": the apex NS RRset cannot be removed");
  }
  for (const Name* n : emptied) ed.prune(*n);

  auto z = std::make_shared<Zone>();
  z->records_ = records;
  std::move(ed).finish_into(*z);
  return std::shared_ptr<const Zone>(std::move(z));
}

// ---- ZoneBuilder ----

ZoneBuilder::ZoneBuilder(Name origin) : origin_(std::move(origin)) {}

Result<void> ZoneBuilder::add(const Record& r) {
  if (auto ok = check_record(origin_, r); !ok) return ok;
  auto it = nodes_.find(r.owner);
  if (it == nodes_.end()) {
    // A new name: create it and every missing ancestor below the origin as an empty
    // non-terminal (RFC 4592 §2.2.2). References into an unordered_map survive rehashing.
    Node& created = nodes_[r.owner];
    Name child = r.owner;
    while (!(child == origin_)) {
      const Name parent = child.parent();
      auto [pit, inserted] = nodes_.try_emplace(parent);
      ++pit->second.children_;
      if (!inserted) break;
      child = parent;
    }
    (void)NodeAccess::add(created, r, /*newest_ttl_wins=*/false);  // cannot fail on an empty node
    ++records_;
    return {};
  }
  if (it->second.empty() && !same_spelling(it->first, r.owner)) {
    // An empty non-terminal takes the spelling of its first own record's owner (case is
    // preserved, RFC 4343 §4), not that of the descendant that created it.
    auto handle = nodes_.extract(it);
    handle.key() = r.owner;
    it = nodes_.insert(std::move(handle)).position;
  }
  auto added = NodeAccess::add(it->second, r, /*newest_ttl_wins=*/false);
  if (!added) return tl::unexpected(added.error());
  if (*added) ++records_;
  return {};
}

Result<std::shared_ptr<const Zone>> ZoneBuilder::finish() && {
  const auto apex = nodes_.find(origin_);
  if (apex == nodes_.end() || apex->second.find(RRType::SOA) == nullptr) {
    return fail(Errc::kRefused, "zone " + origin_.to_text() + " has no SOA at its apex");
  }
  if (apex->second.find(RRType::NS) == nullptr) {
    return fail(Errc::kRefused, "zone " + origin_.to_text() + " has no NS at its apex");
  }
  auto z = std::make_shared<Zone>();
  z->origin_ = origin_;
  z->records_ = records_;
  z->node_count_ = nodes_.size();
  const std::size_t count = Zone::shard_count_for(nodes_.size());
  std::vector<std::shared_ptr<Zone::Shard>> shards(count);
  for (auto& s : shards) {
    s = std::make_shared<Zone::Shard>();
    s->reserve(nodes_.size() / count + 1);
  }
  while (!nodes_.empty()) {  // moves node by node, so peak memory stays near one copy
    auto handle = nodes_.extract(nodes_.begin());
    shards[Zone::shard_of(handle.key(), count)]->emplace(
        std::move(handle.key()), std::make_shared<const Node>(std::move(handle.mapped())));
  }
  z->pages_ = Zone::paginate(std::move(shards));
  z->shard_count_ = count;
  z->index_apex();
  return std::shared_ptr<const Zone>(std::move(z));
}

}  // namespace dnspush::zone
