// The LLQ server of one io worker (RFC 8764), sans-IO: the 4-way setup with a stateless
// challenge, refresh and cancel, leases, and the events each zone commit means for the
// worker's LLQs, acknowledged by the clients and resent until they are. It knows nothing of
// sockets: the io layer hands it datagrams that carry an LLQ option and sends what it says.
//
// The io worker:
//   - on a datagram with an LLQ option (the llq-listen port, or the main DNS port):
//     d = receive(bytes, peer, *catalogue_now, now, out); on kAnswer send `out` to the peer
//     from the address the datagram came to; kNotLlq: not ours (no LLQ option), answer it
//     as an ordinary query.
//   - for each zone::Commit, in commit order, after push::PushWorker::on_commit(commit) on
//     the worker's PushWorker: on_commit(push.llq_matches(), now).
//   - after every call: send each poll_transmit() to its peer; arm one timer at
//     next_timeout() and call on_timeout(now) when it fires.
//
// Setup (RFC 8764 §5.1): (1) SETUP with LLQ-ID 0 -> (2) challenge: a fresh LLQ-ID and the
// granted lease, no answers, no state: the ID is 24 random bits and a 40-bit SipHash MAC
// (secret key, the random bits, a time bucket, the client's address and port, the question),
// so only a client that received the challenge at its address can answer it; a challenge
// holds for one to two `challenge_bucket`s. (3) the challenge response echoes the ID ->
// (4) the LLQ is created and acknowledged with the current answers. A repeated challenge
// response for a live LLQ gets the ACK and answers again (idempotent); a repeated request
// gets another challenge (both stay valid). Each question of a request, with its own LLQ
// option in question order, is its own LLQ.
//
// The LLQ's question is a subscription in the worker's push::SubscriptionIndex (the one
// index for DNS Push and LLQ), read at the version of the catalogue its ACK answers came
// from, so a setup racing a commit neither misses nor repeats a change.
//
// Events (§6): an unsolicited response (QR, AA, a fresh message ID, the question, the LLQ
// option EVENT with the LLQ-ID and the remaining lease) with the changed records in the
// answer section: adds with their TTL, removals as single records with TTL 0xFFFFFFFF
// (never the collective forms, which Apple's client ignores), split to the client's UDP
// payload size without splitting a record. One event at a time per LLQ: the next waits
// until the client acknowledges the previous one (an LLQ EVENT message echoing the event's
// message ID and LLQ-ID, QR set or clear), so events are never reordered. An event not
// acknowledged is resent after event_resend, doubling, event_transmissions sends in all;
// after the last the LLQ is dropped.
//
// Over a stream (TCP or TLS; Peer::stream), as Apple's "private" LLQs over TLS did: the
// connection's own handshake has proved the client's address, so a SETUP with LLQ-ID 0 is
// answered at once with a fresh LLQ-ID, the ACK and the answers (steps 2 and 3 skipped;
// a client that answers nothing to a challenge would wait forever otherwise). Events go out
// on the stream as they come, in commit order, without waiting for acknowledgements (the
// stream delivers them in order or dies); acknowledgements that still arrive are ignored.
// Answers and events may use the whole 64 KiB of a stream message. The LLQs of a stream
// end with it (close_stream). Refresh, cancel, leases and limits are as over UDP.
//
// Threading: none; one LlqServer per io worker thread, next to its PushWorker.
// Bounds: LLQs per worker and per client address, and the same across all workers through
// LlqConfig::shared (SERV-FULL with a retry lease past any); events queued per LLQ
// (max_queued_events: past it the LLQ is dropped, as a client that does not acknowledge would be);
// the transmit queue is drained by the caller after each call. A challenge costs no state and is no
// larger than the request plus 0 bytes of answers, so spoofed setups can neither fill memory nor
// amplify. Failure policy: nothing here throws or asserts on peer input; a message that is not a
// valid LLQ message is answered FORMAT-ERR or ignored (responses).
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "base/time.hpp"
#include "llq/option.hpp"
#include "llq/shared_limits.hpp"
#include "llq/siphash.hpp"
#include "push/push_worker.hpp"
#include "wire/message.hpp"
#include "zone/catalogue.hpp"

namespace dnspush::llq {

// An LLQ client as the io layer knows it: where answers and events go, and from which of
// our addresses and sockets they leave (the address the client sent to).
struct Peer {
  std::array<std::uint8_t, 16> address{};  // IPv4 in the first 4 bytes
  bool v6 = false;
  std::uint16_t port = 0;
  bool has_local = false;  // `local` is the destination of the client's datagram
  bool local_v6 = false;
  std::array<std::uint8_t, 16> local{};
  std::uint16_t socket = 0;  // the io layer's socket index
  // Nonzero: the client spoke over this stream connection (TCP or TLS) of the worker, not
  // UDP; answers and events go back on it.
  std::uint64_t stream = 0;
};

struct LlqConfig {
  // §5.1: the server may grant a lease other than the one asked for. Apple's dnsextd
  // granted 15 min to 2 h; Apple's client asks for 7200 s.
  std::chrono::seconds lease_min{900};
  std::chrono::seconds lease_max{7200};
  // Past either: SERV-FULL with LEASE-LIFE = serv_full_retry (§3.2: the time after which
  // the client may retry).
  std::size_t max_llqs = 100'000;  // this worker's
  std::size_t max_llqs_per_address = 256;
  // The server's limits across all workers (the total and per address), checked besides
  // the two above when set; must outlive the LlqServer.
  std::shared_ptr<SharedLimits> shared;
  std::chrono::seconds serv_full_retry{300};
  // Event retransmission (Apple's implementation: 2 s, doubling, 3 tries).
  Duration event_resend = std::chrono::seconds(2);
  unsigned event_transmissions = 3;
  std::size_t max_queued_events = 64;  // per LLQ, the one in flight included
  // Largest answer or event, whatever the client's EDNS payload says (at least 512).
  std::uint16_t max_udp = 1232;
  Duration challenge_bucket = std::chrono::seconds(30);
  SipKey secret{};  // from a CSPRNG (the server's), for the challenge MAC
  // False: LLQ is off for the zone: STATIC (§3.2). Empty: allowed everywhere.
  std::function<bool(const wire::Name& zone)> allow;
};

struct LlqCounters {
  std::uint64_t challenges = 0;
  std::uint64_t established = 0;
  std::uint64_t acks_repeated = 0;  // idempotent ACKs for retransmitted challenge responses
  std::uint64_t refreshes = 0;
  std::uint64_t cancels = 0;
  std::uint64_t expired = 0;
  std::uint64_t dropped_unacked = 0;   // no acknowledgement after the last transmission
  std::uint64_t dropped_overflow = 0;  // max_queued_events reached
  std::uint64_t events = 0;            // event messages made
  std::uint64_t resends = 0;
  std::uint64_t event_acks = 0;
  std::uint64_t event_acks_ignored = 0;   // unknown LLQ, other message ID, other address
  std::uint64_t records_too_large = 0;    // a record no event message could hold
  std::array<std::uint64_t, 7> errors{};  // answers by ErrorCode (index = code)
  std::uint64_t ignored = 0;              // malformed responses and the like: no answer
  std::uint64_t stream_closed = 0;        // LLQs over TCP/TLS that ended with their connection
  std::uint64_t full_total = 0;           // SERV-FULL for max_llqs
  std::uint64_t full_address = 0;         // SERV-FULL for max_llqs_per_address
};

struct Transmit {
  Peer to;
  push::SharedBytes bytes;
};

enum class Disposition : std::uint8_t {
  kAnswer,    // `out` holds the answer
  kNoAnswer,  // handled (an event acknowledgement, or something to drop)
  kNotLlq,    // no LLQ option: an ordinary query
};

class LlqServer {
 public:
  // A 64-bit random source (the server's CSPRNG; tests inject a fixed sequence).
  using Random = std::function<std::uint64_t()>;

  // `index` is the worker's PushWorker (its SubscriptionIndex); it must outlive this.
  LlqServer(push::PushWorker& index, LlqConfig cfg, Random random);
  ~LlqServer();
  LlqServer(const LlqServer&) = delete;
  LlqServer& operator=(const LlqServer&) = delete;

  Disposition receive(std::span<const std::uint8_t> msg, const Peer& from,
                      const zone::Catalogue& snapshot, TimePoint now,
                      std::vector<std::uint8_t>& out);
  // The LLQ part of a commit: `matches` is PushWorker::llq_matches() right after its
  // on_commit(commit).
  void on_commit(std::span<const push::PushWorker::LlqMatch> matches, TimePoint now);

  std::optional<Transmit> poll_transmit();
  std::optional<TimePoint> next_timeout();
  void on_timeout(TimePoint now);

  std::size_t size() const { return ids_.size(); }
  std::size_t for_address(const Peer& p) const;
  // LLQs living on stream connection `stream`.
  std::size_t for_stream(std::uint64_t stream) const;
  // The stream connection is gone: its LLQs end (no events are sent after this).
  void close_stream(std::uint64_t stream);
  // A stream whose number of LLQs changed since the last call (the io layer keeps a
  // connection with LLQs open and out of idle eviction: RFC 7766 §6.2.3).
  std::optional<std::uint64_t> poll_stream_change();
  const LlqCounters& counters() const { return counters_; }
  const LlqConfig& config() const { return cfg_; }

  // For tests and tools.
  struct Info {
    std::uint64_t id = 0;
    TimePoint expires{};
    std::size_t queued_events = 0;  // the one in flight included
    unsigned sends = 0;             // of the event in flight
    std::uint16_t event_id = 0;     // its message ID
  };
  std::optional<Info> info(std::uint64_t id) const;
  // Every structural invariant (maps, counts, the index); O(everything).
  bool check() const;

 private:
  struct Llq;
  struct Timer {
    TimePoint at;
    std::uint32_t slot;
    std::uint32_t gen;
    bool operator>(const Timer& o) const { return at > o.at; }
  };
  struct Ctx;
  struct Outcome;

  Outcome setup(Ctx& c, const wire::Question& q, const Option& o);
  Outcome refresh(Ctx& c, const Option& o);
  void ack(const wire::Message& m, const Option& o, const Peer& from, TimePoint now);

  std::uint64_t challenge_id(const Peer& p, const wire::Question& q, std::uint64_t bucket,
                             std::uint32_t r) const;
  bool verify(const Peer& p, const wire::Question& q, std::uint64_t id, TimePoint now) const;
  std::uint32_t grant(std::uint32_t asked) const;
  bool full(const Peer& p) const;
  std::optional<std::uint32_t> find(std::uint64_t id, const Peer& p) const;
  std::uint32_t create(std::uint64_t id, const Peer& p, const wire::Question& q,
                       std::uint32_t lease, std::uint16_t udp, std::uint64_t version,
                       std::uint8_t zone_labels, TimePoint now);
  void drop(std::uint32_t slot);
  void enqueue(std::uint32_t slot, push::SharedBytes event, TimePoint now);
  void send_front(std::uint32_t slot, TimePoint now);
  void reschedule(std::uint32_t slot);
  std::uint32_t remaining(const Llq& l, TimePoint now) const;

  push::PushWorker& index_;
  LlqConfig cfg_;
  Random random_;
  std::vector<Llq> llqs_;
  std::vector<std::uint32_t> free_;
  std::unordered_map<std::uint64_t, std::uint32_t> ids_;  // LLQ-ID -> slot
  using AddrKey = AddressKey;
  using AddrHash = AddressKeyHash;
  static AddrKey addr_key(const Peer& p);
  // Takes the LLQ's place in the shared limits (true when there are none).
  bool admit(const Peer& p);
  std::unordered_map<AddrKey, std::uint32_t, AddrHash> per_address_;
  std::unordered_map<std::uint64_t, std::uint32_t> per_stream_;  // LLQs per stream
  std::vector<std::uint64_t> stream_changes_;                    // for poll_stream_change
  std::vector<Timer> timers_;  // a min-heap with stale entries (gen mismatch) skipped
  std::deque<Transmit> transmit_;
  LlqCounters counters_;
};

}  // namespace dnspush::llq
