#include "push/push_worker.hpp"

#include <algorithm>
#include <numeric>
#include <utility>

#include "wire/rdata.hpp"

namespace dnspush::push {
namespace {

using std::chrono::milliseconds;
using wire::Rcode;
using wire::RRClass;
using wire::RRType;
using SlotId = SubscriptionIndex::SlotId;
using SubId = SubscriptionIndex::SubId;
using GroupId = SubscriptionIndex::GroupId;

// RFC 6895 §3.1: meta TYPEs are not data, so nothing can be subscribed to them, except
// ANY, which RFC 8765 §6.2.1 defines as "all". TYPE 0 and CLASS 0 are reserved (RFC 6895
// §3.1, §3.2) and CLASS NONE is RFC 2136's meta class. We answer these FORMERR: the
// request does not describe records.
bool describes_records(const Subscribe& s) {
  const auto t = static_cast<std::uint16_t>(s.type);
  if (t == 0 || (wire::is_meta_type(s.type) && s.type != RRType::ANY)) return false;
  const auto c = static_cast<std::uint16_t>(s.cls);
  return c != 0 && s.cls != RRClass::NONE;
}

// RFC 1034 §4.2.1: a zone's authoritative data stops at its cuts. A name at or below a
// delegation (NS at a node other than the apex) belongs to the child zone, so we are not
// authoritative for it (RFC 8765 §6.2.2 NOTAUTH: "not authoritative for the requested
// name"); only DS at the cut itself is the parent's data (RFC 4035 §2.4).
bool below_cut(const zone::Zone& z, const wire::Name& name, RRType type) {
  wire::Name n = name;
  while (!(n == z.origin()) && !n.is_root()) {
    const zone::Node* node = z.find(n);
    const bool ds_at_cut = type == RRType::DS && n == name;
    if (node != nullptr && node->find(RRType::NS) != nullptr && !ds_at_cut) return true;
    n = n.parent();
  }
  return false;
}

std::uint64_t mix(std::uint64_t h, std::uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  h ^= h >> 31;
  h *= 0xbf58476d1ce4e5b9ULL;
  return h ^ (h >> 29);
}

std::size_t total_bytes(const std::vector<SharedBytes>& msgs) {
  std::size_t n = 0;
  for (const auto& m : msgs) n += m->size();
  return n;
}

}  // namespace

PushWorker::PushWorker(PushConfig cfg) : cfg_(std::move(cfg)) {
  // Group ids must stay below 2^31 (SubscriptionIndex's key layout); groups <= subscriptions.
  cfg_.max_subscriptions = std::min<std::size_t>(cfg_.max_subscriptions, 0x7FFFFFFF);
}

std::uint32_t PushWorker::options_key(const SessionOptions& o) const {
  return static_cast<std::uint32_t>(effective_max_message(o, cfg_.max_message)) |
         (o.deletes == DeletePolicy::kPerRecord ? 1u << 16 : 0u) | (o.pad ? 1u << 17 : 0u);
}

SubscribeResult PushWorker::refuse(Rcode rcode, milliseconds delay, const char* why) {
  SubscribeResult r;
  r.rcode = rcode;
  r.retry_delay = delay;
  r.reason = why;
  return r;
}

SubscribeResult PushWorker::abort(const char* why) {
  ++counters_.protocol_errors;
  SubscribeResult r;
  r.action = SubscribeResult::Action::kAbort;
  r.reason = why;
  return r;
}

void PushWorker::set_session_options(SessionId session, const SessionOptions& options) {
  index_.session(index_.open(session)).options = options;
}

SubscribeResult PushWorker::subscribe(SessionId session, std::uint16_t message_id,
                                      std::span<const std::uint8_t> data,
                                      const zone::Catalogue& snapshot, TimePoint now) {
  // RFC 8490 §5.4.1: SUBSCRIBE is a request, so a zero MESSAGE ID is fatal.
  if (message_id == 0) return abort("SUBSCRIBE with MESSAGE ID 0 (RFC 8490 §5.4.1)");
  auto req = decode_subscribe(data);
  if (!req) {
    ++counters_.subscribe_formerr;
    return refuse(Rcode::FORMERR, cfg_.retry_delay_formerr, "malformed SUBSCRIBE TLV");
  }
  const SlotId slot = index_.open(session);
  // RFC 8765 §6.2.1: the MESSAGE ID must not be one in use by an active subscription, and
  // a SUBSCRIBE duplicating an active one's NAME, TYPE, CLASS is fatal. Both O(1).
  if (index_.find_by_message_id(slot, message_id)) {
    return abort("SUBSCRIBE reuses an active subscription's MESSAGE ID (RFC 8765 §6.2.1)");
  }
  if (index_.find(slot, *req)) return abort("duplicate SUBSCRIBE (RFC 8765 §6.2.1)");
  if (!describes_records(*req)) {
    ++counters_.subscribe_formerr;
    return refuse(Rcode::FORMERR, cfg_.retry_delay_formerr, "SUBSCRIBE to a meta TYPE or CLASS");
  }

  // Limits (RFC 8765 §4: each subscription is individually accepted or rejected).
  SubscriptionIndex::Session& sess = index_.session(slot);
  if (cfg_.subscribe_interval > Duration::zero()) {
    // GCRA: accepted while the theoretical arrival time is at most `burst - 1` intervals
    // ahead of now. One comparison and one store per SUBSCRIBE, refused or not.
    const Duration tolerance =
        cfg_.subscribe_interval * (std::max<std::uint32_t>(cfg_.subscribe_burst, 1) - 1);
    const TimePoint tat = std::max(sess.rate_tat, now);
    if (tat - tolerance > now) {
      ++counters_.subscribe_refused_rate;
      const auto wait = std::chrono::ceil<milliseconds>(tat - tolerance - now);
      return refuse(Rcode::REFUSED, std::max(wait, milliseconds(1)), "SUBSCRIBE rate limit");
    }
    sess.rate_tat = tat + cfg_.subscribe_interval;
  }
  if (sess.count >= cfg_.max_subscriptions_per_session) {
    ++counters_.subscribe_refused_session_limit;
    return refuse(Rcode::REFUSED, cfg_.retry_delay_limit, "subscriptions per session limit");
  }
  if (index_.subscriptions() >= cfg_.max_subscriptions) {
    ++counters_.subscribe_refused_worker_limit;
    return refuse(Rcode::REFUSED, cfg_.retry_delay_limit, "subscriptions per worker limit");
  }

  // RFC 8765 §6.2.2 NOTAUTH: names outside our zones (we serve class IN only), and names at
  // or below a delegation.
  // An expired (or not yet transferred) secondary zone: nothing true can be said about it
  // now, so no subscription starts there (RFC 8765 §6.2.2 SERVFAIL, with a Retry Delay).
  if (snapshot.unavailable_for(req->name)) {
    ++counters_.subscribe_servfail_unavailable;
    return refuse(Rcode::SERVFAIL, cfg_.retry_delay_servfail, "the zone is not being served");
  }
  const auto* zp = req->cls == RRClass::IN || req->cls == RRClass::ANY
                       ? snapshot.find_enclosing(req->name)
                       : nullptr;
  if (zp == nullptr || below_cut(**zp, req->name, req->type)) {
    ++counters_.subscribe_notauth;
    return refuse(Rcode::NOTAUTH, cfg_.retry_delay_notauth, "not authoritative for the name");
  }
  const zone::Zone& z = **zp;
  if (cfg_.allow && !cfg_.allow(z.origin(), *req)) {
    ++counters_.subscribe_refused_policy;
    return refuse(Rcode::REFUSED, cfg_.retry_delay_policy, "refused by policy");
  }
  if (snapshot.version() < last_commit_) {
    // A snapshot older than a commit already pushed: the subscription would miss it.
    ++counters_.subscribe_servfail_stale;
    return refuse(Rcode::SERVFAIL, cfg_.retry_delay_servfail, "catalogue snapshot is stale");
  }

  // §6.2.1: names that do not exist yet are accepted (never NXDOMAIN); pushes follow when
  // records appear. The initial PUSH (§6.3) is read from the same snapshot whose version
  // the subscription keeps.
  const SubId id = index_.add(slot, *req, message_id, snapshot.version(),
                              static_cast<std::uint8_t>(z.origin().label_count()));
  ++counters_.subscribe_accepted;
  SubscribeResult r;
  r.reason = "subscribed";
  r.initial_push = initial_push(id, z, snapshot.version());
  return r;
}

std::vector<SharedBytes> PushWorker::initial_push(SubId id, const zone::Zone& zone,
                                                  std::uint64_t version) {
  const auto& sub = index_.sub(id);
  auto& g = index_.group(sub.group);
  const SessionOptions& opts = index_.session(sub.session).options;
  // Adds only: the delete policy does not change these bytes.
  SessionOptions initial_opts = opts;
  initial_opts.deletes = DeletePolicy::kCompact;
  const std::uint32_t key = options_key(initial_opts);
  auto& cache = g.initial;
  // The cached encoding still holds when it was read at this version, or when both
  // versions are at most the last commit seen here: every commit in between was processed
  // after the cache was built (snapshots are never older than the last commit), and one
  // that touched the group would have dropped it.
  const bool fresh =
      cache.messages && cache.options_key == key &&
      (cache.version == version || (version == last_commit_ && cache.version <= last_commit_));
  if (fresh) {
    ++counters_.initial_pushes_shared;
    counters_.messages += cache.messages->size();
    counters_.bytes_delivered += total_bytes(*cache.messages);
    return *cache.messages;
  }
  PushWriter w(effective_max_message(opts, cfg_.max_message), opts.pad);
  const wire::Name& name = g.name->first;
  if (const zone::Node* node = zone.find(name)) {
    counters_.records_too_large += write_node(w, name, *node, g.type, g.cls);
  }
  auto msgs = w.finish();
  ++counters_.initial_pushes_encoded;
  counters_.messages += msgs.size();
  counters_.bytes_encoded += total_bytes(msgs);
  counters_.bytes_delivered += total_bytes(msgs);
  // Nothing to send (a name without records yet) is not worth a cache entry.
  cache = {};
  if (!msgs.empty()) {
    cache.messages = std::make_shared<const std::vector<SharedBytes>>(msgs);
    cache.version = version;
    cache.options_key = key;
  }
  return msgs;
}

UnsubscribeResult PushWorker::unsubscribe(SessionId session, std::span<const std::uint8_t> data) {
  auto u = decode_unsubscribe(data);
  if (!u) {
    ++counters_.protocol_errors;
    return UnsubscribeResult::kAbort;
  }
  std::optional<SubId> id;
  const auto slot = index_.find_session(session);
  if (u->legacy) ++counters_.unsubscribe_legacy;
  if (slot)
    id = u->message_id ? index_.find_by_message_id(*slot, *u->message_id)
                       : index_.find(*slot, *u->legacy);
  if (!id) {
    // §6.4.1: "servers MUST silently ignore UNSUBSCRIBE messages that do not match any
    // currently active subscription" (e.g. one whose SUBSCRIBE failed).
    ++counters_.unsubscribe_unmatched;
    return UnsubscribeResult::kNoMatch;
  }
  catch_up_overlaps(*id);
  index_.remove(*id);
  ++counters_.unsubscribe_removed;
  return UnsubscribeResult::kRemoved;
}

void PushWorker::catch_up_overlaps(SubId id) {
  // The session's cache holds what `id` and its other subscriptions at the same name
  // brought, each at its own version. A newer one (version v2) skips the commits up to v2
  // that have not reached this worker yet, counting on `id` (older) to deliver them for
  // the records both cover, e.g. the delete of a record the newer one's initial answer no
  // longer had. With `id` gone, the newer one must take over those commits: its version
  // drops to what the session has seen for the overlap. Such commits may repeat what its
  // initial PUSH said (an add of a record the client has, or a delete of one it lacks),
  // which RFC 8765 clients take as no change; missing them would leave stale records.
  const auto& gone = index_.sub(id);
  const std::uint64_t seen = std::max(gone.version, last_commit_);
  const auto& g = index_.group(gone.group);
  for (GroupId o = g.name->second.first_group; o != SubscriptionIndex::kNone;
       o = index_.group(o).next) {
    const auto& other = index_.group(o);
    const bool overlap = g.type == RRType::ANY || other.type == RRType::ANY || g.type == other.type;
    if (o == gone.group || !overlap) continue;
    const auto t = index_.find_in_group(gone.session, o);
    if (t && index_.sub(*t).version > seen) index_.set_version(*t, seen);
  }
}

ReconfirmResult PushWorker::reconfirm(SessionId, std::span<const std::uint8_t> data,
                                      const zone::Catalogue& snapshot) {
  ReconfirmResult res;
  auto r = decode_reconfirm(data);
  if (!r) {
    ++counters_.protocol_errors;
    res.abort = true;
    return res;
  }
  ++counters_.reconfirms;
  res.record = std::move(*r);
  const auto& rc = res.record;
  const auto* zp = rc.cls == RRClass::IN ? snapshot.find_enclosing(rc.name) : nullptr;
  if (zp == nullptr || below_cut(**zp, rc.name, rc.type)) return res;
  res.authoritative = true;
  if (const zone::Node* node = (*zp)->find(rc.name)) {
    if (const zone::RRset* set = node->find(rc.type)) {
      res.present = std::any_of(set->rdatas.begin(), set->rdatas.end(), [&](const auto& rd) {
        return wire::rdata_equal(rc.type, rd, rc.rdata);
      });
    }
  }
  return res;
}

void PushWorker::close_session(SessionId session) {
  index_.close(session);
}

SubId PushWorker::add_llq(SessionId llq, const Subscribe& question, std::uint64_t version,
                          std::uint8_t zone_labels) {
  const SlotId slot = index_.open(llq);
  index_.session(slot).options.consumer = Consumer::kLlq;
  return index_.add(slot, question, 0, version, zone_labels);
}

std::size_t PushWorker::subscriptions(SessionId session) const {
  const auto slot = index_.find_session(session);
  return slot ? index_.session(*slot).count : 0;
}

void PushWorker::touch(const wire::Record& r, std::uint64_t version, std::uint8_t zone_labels,
                       bool removed) {
  auto* node = index_.find_name(r.owner);
  if (node == nullptr || node->second.zone_labels != zone_labels) return;
  auto& e = node->second;
  if (e.touched_version != version) {
    e.touched_version = version;
    e.touched_index = static_cast<std::uint32_t>(touched_.size());
    touched_.emplace_back();
    touched_.back().node = node;
  }
  Touched& t = touched_[e.touched_index];
  (removed ? t.removed : t.added).push_back(&r);
  if (std::find(t.types.begin(), t.types.end(), r.type) == t.types.end()) t.types.push_back(r.type);
}

std::vector<Delivery> PushWorker::on_commit(const zone::Commit& c) {
  std::vector<Delivery> out;
  if (c.version <= last_commit_) {
    ++counters_.commits_out_of_order;
    return out;
  }
  last_commit_ = c.version;
  ++counters_.commits;
  touched_.clear();
  pairs_.clear();
  runs_.clear();
  encodings_.clear();
  llq_matches_.clear();
  if (index_.subscriptions() == 0) return out;

  // 1. The touched names someone subscribes to: one hash lookup per changed record.
  const auto zl = static_cast<std::uint8_t>(c.origin.label_count());
  for (const auto& r : c.changeset.removed) touch(r, c.version, zl, true);
  for (const auto& r : c.changeset.added) touch(r, c.version, zl, false);
  // The apex SOA changes with each commit but is kept out of removed/added
  // (zone/changeset.hpp).
  const auto& cs = c.changeset;
  if (!(cs.soa_from == cs.soa_to) || cs.soa_from.ttl != cs.soa_to.ttl) {
    touch(cs.soa_from, c.version, zl, true);
    touch(cs.soa_to, c.version, zl, false);
  }

  // 2. Their groups that match a touched type, and in them the subscriptions older than
  // this commit (the version rule): (session, group) pairs.
  for (Touched& t : touched_) {
    for (GroupId gid = t.node->second.first_group; gid != SubscriptionIndex::kNone;
         gid = index_.group(gid).next) {
      auto& g = index_.group(gid);
      if (g.type != RRType::ANY &&
          std::find(t.types.begin(), t.types.end(), g.type) == t.types.end())
        continue;
      g.initial = {};  // its records changed: a cached initial PUSH is stale
      for (const SubId sid : g.subs) {
        const auto& s = index_.sub(sid);
        if (s.version >= c.version) continue;  // its initial answer already had this commit
        pairs_.push_back((std::uint64_t{s.session} << 32) | gid);
        t.matched = true;
      }
    }
  }
  if (pairs_.empty()) return out;

  // 3. What changed at each matched name, from the snapshots, once per commit.
  for (Touched& t : touched_) {
    if (t.matched)
      t.change = diff_name(t.node->first, c.before.get(), c.after.get(), t.removed, t.added);
  }

  // 4. Per session, the sorted list of its matching groups (its "signature"); sessions
  // with the same signature and options get the same bytes, encoded once.
  std::sort(pairs_.begin(), pairs_.end());
  for (std::size_t i = 0; i < pairs_.size();) {
    const auto slot = static_cast<SlotId>(pairs_[i] >> 32);
    if (index_.session(slot).options.consumer == Consumer::kLlq) {
      // An LLQ: its one subscription's change goes to the LLQ core, which writes events.
      const auto gid = static_cast<GroupId>(pairs_[i] & 0xFFFFFFFFu);
      const auto& g = index_.group(gid);
      const auto sub = index_.find_in_group(slot, gid);
      llq_matches_.push_back(LlqMatch{index_.session(slot).id,
                                      sub ? *sub : SubscriptionIndex::kNone,
                                      &touched_[g.name->second.touched_index].change});
      ++i;
      continue;
    }
    Run run{slot, static_cast<std::uint32_t>(i), 0, options_key(index_.session(slot).options), 0,
            0};
    std::uint64_t h = run.options_key;
    std::size_t j = i;
    for (; j < pairs_.size() && (pairs_[j] >> 32) == slot; ++j) h = mix(h, pairs_[j] & 0xFFFFFFFFu);
    run.end = static_cast<std::uint32_t>(j);
    run.hash = h;
    runs_.push_back(run);
    i = j;
  }
  order_.resize(runs_.size());
  std::iota(order_.begin(), order_.end(), 0u);
  std::sort(order_.begin(), order_.end(), [&](std::uint32_t a, std::uint32_t b) {
    const Run& x = runs_[a];
    const Run& y = runs_[b];
    if (x.hash != y.hash) return x.hash < y.hash;
    if (x.options_key != y.options_key) return x.options_key < y.options_key;
    const auto xs = pairs_.begin() + x.begin, ys = pairs_.begin() + y.begin;
    return std::lexicographical_compare(
        xs, pairs_.begin() + x.end, ys, pairs_.begin() + y.end,
        [](std::uint64_t p, std::uint64_t q) { return (p & 0xFFFFFFFFu) < (q & 0xFFFFFFFFu); });
  });
  for (std::size_t k = 0; k < order_.size(); ++k) {
    Run& run = runs_[order_[k]];
    if (k > 0 && same_signature(runs_[order_[k - 1]], run)) {
      run.encoding = runs_[order_[k - 1]].encoding;
      continue;
    }
    encodings_.push_back(encode_run(run));
    run.encoding = static_cast<std::uint32_t>(encodings_.size() - 1);
  }

  // 5. The deliveries, session by session; each keeps its messages' order.
  out.reserve(runs_.size());
  for (const Run& run : runs_) {
    const SessionId id = index_.session(run.slot).id;
    for (const SharedBytes& m : encodings_[run.encoding]) {
      out.push_back(Delivery{id, m});
      ++counters_.messages;
      counters_.bytes_delivered += m->size();
    }
  }
  return out;
}

bool PushWorker::same_signature(const Run& a, const Run& b) const {
  if (a.hash != b.hash || a.options_key != b.options_key || a.end - a.begin != b.end - b.begin)
    return false;
  for (std::uint32_t i = 0; i < a.end - a.begin; ++i) {
    if ((pairs_[a.begin + i] & 0xFFFFFFFFu) != (pairs_[b.begin + i] & 0xFFFFFFFFu)) return false;
  }
  return true;
}

std::vector<SharedBytes> PushWorker::encode_run(const Run& run) {
  const SessionOptions& opts = index_.session(run.slot).options;
  // Which types each touched name's subscriptions of this session cover.
  std::vector<std::pair<std::uint32_t, Coverage>> cover;
  for (std::uint32_t i = run.begin; i < run.end; ++i) {
    const auto& g = index_.group(static_cast<GroupId>(pairs_[i] & 0xFFFFFFFFu));
    const std::uint32_t ti = g.name->second.touched_index;
    auto it =
        std::find_if(cover.begin(), cover.end(), [&](const auto& p) { return p.first == ti; });
    if (it == cover.end()) it = cover.insert(cover.end(), {ti, Coverage{}});
    if (g.type == RRType::ANY)
      it->second.all = true;
    else
      it->second.types.push_back(g.type);
  }
  std::sort(cover.begin(), cover.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  // §6.3.1: one PUSH for everything of this commit the session subscribed to, a record that
  // matches several of its subscriptions once; names in the changeset's order.
  PushWriter w(effective_max_message(opts, cfg_.max_message), opts.pad);
  for (const auto& [ti, coverage] : cover) {
    counters_.records_too_large +=
        write_name_change(w, touched_[ti].change, coverage, opts.deletes);
  }
  auto msgs = w.finish();
  ++counters_.encodings;
  counters_.bytes_encoded += total_bytes(msgs);
  return msgs;
}

}  // namespace dnspush::push
