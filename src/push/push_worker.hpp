// The DNS Push server side of one io worker (RFC 8765), sans-IO: SUBSCRIBE, UNSUBSCRIBE and
// RECONFIRM from the worker's DSO sessions, and the PUSH messages each zone commit means
// for them. It knows nothing of sockets, TLS or DSO framing: the DSO session (src/dso/)
// hands it a primary TLV's DSO-DATA and sends what it returns.
//
// The io worker:
//   - on a SUBSCRIBE request: r = subscribe(session, id, data, *catalogue_now, now). On
//     kAbort, forcibly abort the session (RFC 8765 §1.2). Otherwise send the response with
//     r.rcode (and a Retry Delay TLV, RFC 8490 §7.2.2, when r.retry_delay is set), then
//     every message of r.initial_push in order (§6.3: "immediately following").
//   - on UNSUBSCRIBE / RECONFIRM: call unsubscribe() / reconfirm(); kAbort as above.
//   - when a session ends, close_session(); set_session_options() when the client is seen
//     to pad (RFC 8490 §7.3) or needs another delete policy or message size.
//   - for each zone::Commit posted by the writer, in commit order: write every Delivery of
//     on_commit(commit) to its session. A session's deliveries are in order.
//
// Versions (DESIGN.md "commits carry a version"): a subscription's initial answer is read
// from the catalogue snapshot passed to subscribe(), and the subscription remembers its
// version; on_commit() skips it for commits at or before that version and includes it in
// every later one, so a SUBSCRIBE racing a commit neither misses nor repeats a change. The
// caller passes the current catalogue, which is never older than the last commit it posted
// here; an older one is answered SERVFAIL (it would miss commits) and counted. One case
// repeats instead of missing: when a session cancels a subscription while commits are in
// flight and another of its subscriptions at the same name is newer than those commits,
// that one takes them over (see catch_up_overlaps), which may re-send what its initial
// PUSH already said; RFC 8765 clients take a repeated add or delete as no change.
//
// Threading: none; one PushWorker per io worker thread, owned by it.
// Bounds (PushConfig): subscriptions per session and per worker, a SUBSCRIBE rate per
// session (REFUSED with a Retry Delay past each; a refused SUBSCRIBE costs O(1)); PUSH
// messages are at most max_message bytes (§6.3.1). Failure policy: nothing here throws on
// peer input; whatever a peer can send is either answered by an RCODE or is kAbort.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "base/time.hpp"
#include "push/changes.hpp"
#include "push/index.hpp"
#include "push/options.hpp"
#include "push/tlv.hpp"
#include "wire/types.hpp"
#include "zone/catalogue.hpp"
#include "zone/commit.hpp"

namespace dnspush::push {

struct PushConfig {
  // Past either: REFUSED with retry_delay_limit (§6.2.2: "the server resources are
  // exhausted"). The worker limit keeps group ids below 2^31 (the index's key layout).
  std::size_t max_subscriptions_per_session = 4096;
  std::size_t max_subscriptions = 2'000'000;
  // SUBSCRIBE rate per session, a token bucket (GCRA): `subscribe_burst` at once (Apple's
  // client sends every SUBSCRIBE pipelined when it connects), then one per
  // `subscribe_interval`. Over it: REFUSED with a Retry Delay of when the next one would
  // be accepted. An interval of zero disables the limit.
  Duration subscribe_interval = std::chrono::milliseconds(10);
  std::uint32_t subscribe_burst = 512;
  // PUSH message size for sessions whose options do not say (§6.3.1: at most 16,382).
  std::size_t max_message = kMaxPushMessage;
  // Retry Delay values (RFC 8765 §6.2.2's recommendations), in the units RFC 8490 §7.2
  // specifies (milliseconds).
  std::chrono::milliseconds retry_delay_formerr = std::chrono::minutes(5);
  std::chrono::milliseconds retry_delay_notauth = std::chrono::minutes(5);
  std::chrono::milliseconds retry_delay_policy = std::chrono::minutes(5);
  std::chrono::milliseconds retry_delay_limit = std::chrono::minutes(1);
  std::chrono::milliseconds retry_delay_servfail = std::chrono::minutes(1);
  // Policy: false refuses the subscription (REFUSED, retry_delay_policy). `zone` is the
  // origin of the zone the name is in. Empty: everything is allowed.
  std::function<bool(const wire::Name& zone, const Subscribe& request)> allow;
};

// Monotonic counters (for metrics). Gauges are the PushWorker's size accessors.
struct PushCounters {
  std::uint64_t subscribe_accepted = 0;
  std::uint64_t subscribe_formerr = 0;
  std::uint64_t subscribe_notauth = 0;
  std::uint64_t subscribe_refused_policy = 0;
  std::uint64_t subscribe_refused_rate = 0;
  std::uint64_t subscribe_refused_session_limit = 0;
  std::uint64_t subscribe_refused_worker_limit = 0;
  std::uint64_t subscribe_servfail_stale = 0;
  std::uint64_t subscribe_servfail_unavailable = 0;  // an expired or unloaded secondary zone
  std::uint64_t protocol_errors = 0;                 // every kAbort
  std::uint64_t unsubscribe_removed = 0;
  std::uint64_t unsubscribe_legacy = 0;  // draft-form (NAME TYPE CLASS) UNSUBSCRIBEs seen
  std::uint64_t unsubscribe_unmatched = 0;
  std::uint64_t reconfirms = 0;
  std::uint64_t commits = 0;
  std::uint64_t commits_out_of_order = 0;  // version not above the last: ignored
  std::uint64_t initial_pushes_encoded = 0;
  std::uint64_t initial_pushes_shared = 0;  // served from a group's cached encoding
  std::uint64_t encodings = 0;              // distinct PUSH encodings made for commits
  std::uint64_t messages = 0;               // PUSH messages handed out (commits + initial)
  std::uint64_t bytes_encoded = 0;          // bytes of distinct encodings
  std::uint64_t bytes_delivered = 0;        // bytes handed out (encodings x sessions)
  std::uint64_t records_too_large = 0;      // records no message could hold: not pushed
};

struct SubscribeResult {
  enum class Action : std::uint8_t { kRespond, kAbort };
  Action action = Action::kRespond;
  wire::Rcode rcode = wire::Rcode::NOERROR;
  // For a nonzero RCODE (RFC 8765 §6.2.2: SHOULD append a Retry Delay TLV).
  std::optional<std::chrono::milliseconds> retry_delay;
  // After a NOERROR response: the current records (§6.3), possibly several messages.
  std::vector<SharedBytes> initial_push;
  const char* reason = "";  // for logs; static storage
};

enum class UnsubscribeResult : std::uint8_t {
  kRemoved,
  kNoMatch,  // §6.4.1: silently ignored
  kAbort,    // unparseable: the session is aborted
};

struct ReconfirmResult {
  bool abort = false;  // unparseable or TYPE/CLASS ANY (§6.5.1)
  Reconfirm record;
  bool authoritative = false;  // the name is in one of our zones, not below a delegation
  bool present = false;        // and the zone holds exactly that record now
};

class PushWorker {
 public:
  explicit PushWorker(PushConfig cfg = {});

  void set_session_options(SessionId session, const SessionOptions& options);
  // RFC 8765 §6.2. `message_id` is the request's MESSAGE ID; `data` the SUBSCRIBE TLV's
  // DSO-DATA; `snapshot` the current catalogue.
  SubscribeResult subscribe(SessionId session, std::uint16_t message_id,
                            std::span<const std::uint8_t> data, const zone::Catalogue& snapshot,
                            TimePoint now);
  // RFC 8765 §6.4 (both the RFC's and the draft's form).
  UnsubscribeResult unsubscribe(SessionId session, std::span<const std::uint8_t> data);
  // RFC 8765 §6.5: our data is authoritative, so nothing changes; the result is for logs.
  ReconfirmResult reconfirm(SessionId session, std::span<const std::uint8_t> data,
                            const zone::Catalogue& snapshot);
  // The session ended: all its subscriptions go (§6.7).
  void close_session(SessionId session);

  // LLQs (RFC 8764) live in the same index: each is a session of its own (`llq` has
  // kLlqSessionBit set) with exactly one subscription, the LLQ's question, read at catalogue
  // version `version` (the snapshot its ACK answers came from). The LLQ core checks its own
  // limits; remove it with close_session(). Returns the subscription.
  SubscriptionIndex::SubId add_llq(SessionId llq, const Subscribe& question, std::uint64_t version,
                                   std::uint8_t zone_labels);
  // What the last on_commit() meant for LLQs: one entry per LLQ whose question the commit
  // touched (and that is older than the commit), with what changed at its name. Valid until
  // the next on_commit(); `change` points into this worker's scratch.
  struct LlqMatch {
    SessionId llq{};
    SubscriptionIndex::SubId sub = SubscriptionIndex::kNone;
    const NameChange* change = nullptr;
  };
  const std::vector<LlqMatch>& llq_matches() const { return llq_matches_; }

  // The PUSH messages `commit` means for this worker's sessions (§6.3.1), per session one
  // coalesced change set split at the session's message size.
  std::vector<Delivery> on_commit(const zone::Commit& commit);

  // RFC 8765 §3: a session with a subscription is not idle (for the DSO inactivity timer).
  std::size_t subscriptions(SessionId session) const;
  std::size_t subscriptions() const { return index_.subscriptions(); }
  std::size_t sessions() const { return index_.sessions(); }
  std::uint64_t last_commit_version() const { return last_commit_; }
  const PushCounters& counters() const { return counters_; }
  const SubscriptionIndex& index() const { return index_; }
  const PushConfig& config() const { return cfg_; }

 private:
  struct Touched {
    SubscriptionIndex::NameMap::value_type* node = nullptr;  // the index's name entry
    std::vector<const wire::Record*> removed, added;
    std::vector<wire::RRType> types;
    NameChange change;
    bool matched = false;  // some group at the name cares: compute `change`
  };
  struct Run {  // one session's matching groups: pairs_[begin, end)
    SubscriptionIndex::SlotId slot;
    std::uint32_t begin, end;
    std::uint32_t options_key;
    std::uint64_t hash;
    std::uint32_t encoding;
  };

  SubscribeResult refuse(wire::Rcode rcode, std::chrono::milliseconds delay, const char* why);
  SubscribeResult abort(const char* why);
  std::uint32_t options_key(const SessionOptions& o) const;
  void touch(const wire::Record& r, std::uint64_t version, std::uint8_t zone_labels, bool removed);
  void catch_up_overlaps(SubscriptionIndex::SubId id);
  std::vector<SharedBytes> encode_run(const Run& run);
  bool same_signature(const Run& a, const Run& b) const;
  std::vector<SharedBytes> initial_push(SubscriptionIndex::SubId sub, const zone::Zone& zone,
                                        std::uint64_t version);

  PushConfig cfg_;
  SubscriptionIndex index_;
  PushCounters counters_;
  std::uint64_t last_commit_ = 0;
  // Per-commit scratch, kept to reuse its memory.
  std::vector<Touched> touched_;
  std::vector<std::uint64_t> pairs_;  // slot << 32 | group
  std::vector<Run> runs_;
  std::vector<std::uint32_t> order_;
  std::vector<std::vector<SharedBytes>> encodings_;
  std::vector<LlqMatch> llq_matches_;
};

}  // namespace dnspush::push
