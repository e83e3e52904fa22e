// The server's counters (DESIGN.md "bounded everything": every limit has a metric). Every
// layer counts through one `Metrics` object, named by the `Counter` and `Histogram` enums
// below; `server/metrics_http` turns a snapshot into Prometheus text.
//
// Threading and cost: each thread that counts gets its own shard (cache-line aligned
// slots written by that thread only, relaxed load + store: no locked instruction and no
// cache line shared between io workers on the query path); a scrape sums the shards. The
// first count on a thread registers its shard under a mutex (one allocation per thread
// and Metrics, never per event). Shards live as long as the Metrics, so counts of a
// thread that ended stay in the totals. Gauges that go up and down (sessions open,
// subscriptions) are counters of +1/-1 whose sum is read as a signed value.
//
// Adding a metric: append to the enum and to kCounterInfo (same order), that is all.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>
#include <thread>
#include <vector>

namespace dnspush {

enum class Counter : std::uint16_t {
  kQueries,            // label transport x rcode
  kUpdates,            // label rcode: the UPDATE's answer
  kCommits,            // changesets committed by the writer (UPDATE, reload, IXFR in)
  kTlsHandshakes,      // label result
  kDsoSessionsOpened,  // DSO sessions established
  kDsoSessions,        // gauge: established and not yet closed
  kSessionsClosed,     // label reason: every TCP/TLS connection, DSO or not
  kSubscriptions,      // gauge: active DNS Push subscriptions
  kSubscribes,         // label rcode: SUBSCRIBE answers
  kPushMessages,       // PUSH messages queued to sessions
  kPushBytes,          // their bytes
  kTransfersOut,       // label kind
  kTransfersIn,        // label kind: transfers in committed (secondary zones)
  kNotifiesOut,        // NOTIFY messages sent, retransmissions included
  kLlqActive,          // gauge: LLQs established
  kLlqEvents,          // LLQ event messages sent (first transmissions)
  kLimitHits,          // label limit
  kReloads,            // label result: zone or config reloads
  kLlqEstablished,     // LLQs created (RFC 8764 §5.1 step 4)
  kLlqRefreshes,       // LLQ_REFRESH that renewed a lease (§5.2)
  kLlqEnded,           // label reason: LLQs that ended other than by server shutdown
  kLlqEventResends,    // LLQ events retransmitted (§6.2)
  kLlqEventAcks,       // LLQ events acknowledged by their client
  kLlqAnswers,         // label error: answers to LLQ setup/refresh, by LLQ error code
  kNotifyResults,      // label result: how each NOTIFY to a target ended
  kXfrChecks,          // secondary zone checks (SOA refresh timer, NOTIFY, operator)
  kXfrFallbacks,       // IXFR that fell back to AXFR
  kXfrFailures,        // label reason: transfer attempts in that failed
  kZoneExpiries,       // secondary copies that expired (RFC 1034 §4.3.5)
  kTransfersRefused,   // label reason: AXFR/IXFR requests refused
  kTlsTakeovers,       // TLS 1.3 connections continued on our record layer
  kCount
};

enum class Histogram : std::uint8_t {
  kJournalFsync,  // one group commit's journal write + fsync
  kUpdateToPush,  // UPDATE received (or commit made) to PUSH queued on a session
  kCommit,        // one UPDATE batch in the writer: apply, journal, publish
  kCount
};

// Label values. Indices are what callers pass as `label`.
namespace metric_labels {
inline constexpr std::array<std::string_view, 3> kTransport = {"udp", "tcp", "tls"};
inline constexpr std::array<std::string_view, 16> kRcode = {
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
    "NXRRSET", "NOTAUTH", "NOTZONE",  "RCODE11",  "RCODE12", "RCODE13", "RCODE14",  "RCODE15"};
inline constexpr std::array<std::string_view, 2> kResult = {"ok", "failed"};
inline constexpr std::array<std::string_view, 4> kTransferKind = {"axfr", "ixfr", "ixfr_axfr",
                                                                  "ixfr_current"};
}  // namespace metric_labels

// Why a TCP/TLS connection ended (coarser than dso::CloseReason, which io/ maps).
enum class CloseCause : std::uint8_t {
  kPeerClosed,
  kIdleTimeout,     // RFC 7766 idle or DSO inactivity/keepalive
  kMessageTimeout,  // a message or the TLS handshake did not complete in time
  kSlowReader,      // transmit queue bound (max-pending-bytes)
  kProtocolError,   // RFC 8490 §5.3.1 abort rules
  kEvicted,         // closed for room at max-connections
  kRetryDelay,      // shutdown or server-side Retry Delay
  kTlsFailed,       // handshake failed
  kApplication,     // closed by the server (control tool, application abort)
  kCount
};

enum class Limit : std::uint8_t {
  kMaxConnections,
  kMaxConnectionsPerAddress,
  kMaxPendingBytes,
  kMaxTransfersOut,
  kSubscribeRate,
  kMaxSubscriptions,
  kUdpOversized,
  kUpdateQueue,
  kMaxPushSessions,
  kMaxLlqs,            // SERV-FULL: the worker's share of max-llqs
  kMaxLlqsPerAddress,  // SERV-FULL: one client address
  kLlqQueuedEvents,    // max-queued-events: the LLQ is dropped
  kForwardedUpdates,   // UPDATEs being forwarded to a primary: SERVFAIL past it
  kMaxTransferSize,    // max-transfer-bytes / max-transfer-records of a transfer in
  kPushBacklog,        // a worker's PUSH backlog: fan-out no longer sliced
  kCount
};

namespace metric_labels {
inline constexpr std::array<std::string_view, static_cast<std::size_t>(CloseCause::kCount)>
    kCloseCause = {"peer_closed", "idle_timeout",   "message_timeout",
                   "slow_reader", "protocol_error", "evicted",
                   "retry_delay", "tls_failed",     "server"};
inline constexpr std::array<std::string_view, static_cast<std::size_t>(Limit::kCount)> kLimit = {
    "max_connections",       "max_connections_per_address",
    "max_pending_bytes",     "max_transfers_out",
    "subscribe_rate",        "max_subscriptions",
    "udp_oversized",         "update_queue",
    "max_push_sessions",     "max_llqs",
    "max_llqs_per_address",  "max_queued_events",
    "max_forwarded_updates", "max_transfer_size",
    "push_backlog"};
inline constexpr std::array<std::string_view, 5> kLlqEnd = {
    "cancelled", "expired", "unacknowledged", "queue_full", "connection_closed"};
// RFC 8764 §3.2's error codes, by value.
inline constexpr std::array<std::string_view, 7> kLlqError = {
    "NO-ERROR", "SERV-FULL", "STATIC", "FORMAT-ERR", "NO-SUCH-LLQ", "BAD-VERS", "UNKNOWN-ERR"};
inline constexpr std::array<std::string_view, 5> kNotifyResult = {
    "acknowledged", "rejected", "not_implemented", "timed_out", "sign_failed"};
inline constexpr std::array<std::string_view, 4> kTransferInKind = {"up_to_date", "ixfr", "axfr",
                                                                    "ixfr_axfr"};
// Why a transfer in failed: xfr::TransferInError's, with REFUSED apart from other RCODEs,
// then the server's own.
inline constexpr std::array<std::string_view, 12> kXfrFailure = {
    "refused",      "rcode", "malformed", "tsig",   "bad_record",  "serial_backwards",
    "inconsistent", "limit", "timeout",   "closed", "unreachable", "not_committed"};
inline constexpr std::array<std::string_view, 6> kTransferRefusal = {
    "tsig", "unavailable", "not_authoritative", "policy", "limit", "error"};
}  // namespace metric_labels

namespace detail {
void unknown_label_value();  // never defined: naming it in label_index is a compile error
}  // namespace detail

// The index of label value `v`, checked at compile time (a typo does not build).
template <std::size_t N>
consteval std::size_t label_index(const std::array<std::string_view, N>& values,
                                  std::string_view v) {
  for (std::size_t i = 0; i < N; ++i) {
    if (values[i] == v) return i;
  }
  detail::unknown_label_value();
  return N;
}

struct CounterInfo {
  std::string_view name;  // Prometheus name, without the _total a counter gets
  std::string_view help;
  bool gauge = false;       // an up/down value (signed sum)
  std::string_view label1;  // empty: no labels
  std::span<const std::string_view> values1;
  std::string_view label2;  // a second dimension (index = i1 * n2 + i2)
  std::span<const std::string_view> values2;
  constexpr std::size_t size() const {
    return (values1.empty() ? 1 : values1.size()) * (values2.empty() ? 1 : values2.size());
  }
};

inline constexpr std::array<CounterInfo, static_cast<std::size_t>(Counter::kCount)> kCounterInfo = {
    {
        {"dnspush_queries", "DNS queries answered, by transport and RCODE", false, "transport",
         metric_labels::kTransport, "rcode", metric_labels::kRcode},
        {"dnspush_updates", "DNS UPDATEs answered, by RCODE", false, "rcode",
         metric_labels::kRcode},
        {"dnspush_commits", "Changesets committed to zones"},
        {"dnspush_tls_handshakes", "TLS handshakes, by result", false, "result",
         metric_labels::kResult},
        {"dnspush_dso_sessions_opened", "DSO sessions established"},
        {"dnspush_dso_sessions", "DSO sessions open", true},
        {"dnspush_sessions_closed", "TCP/TLS connections closed, by reason", false, "reason",
         metric_labels::kCloseCause},
        {"dnspush_subscriptions", "DNS Push subscriptions active", true},
        {"dnspush_subscribes", "DNS Push SUBSCRIBE requests, by RCODE", false, "rcode",
         metric_labels::kRcode},
        {"dnspush_push_messages", "DNS Push PUSH messages queued to sessions"},
        {"dnspush_push_bytes", "Bytes of DNS Push PUSH messages queued to sessions"},
        {"dnspush_transfers_out", "Zone transfers served, by kind", false, "kind",
         metric_labels::kTransferKind},
        {"dnspush_transfers_in", "Zone transfers in committed, by kind", false, "kind",
         metric_labels::kTransferInKind},
        {"dnspush_notifies_out", "NOTIFY messages sent"},
        {"dnspush_llqs", "LLQs established", true},
        {"dnspush_llq_events", "LLQ event messages sent"},
        {"dnspush_limit_hits", "Times a configured limit was reached, by limit", false, "limit",
         metric_labels::kLimit},
        {"dnspush_reloads", "Zone and configuration reloads, by result", false, "result",
         metric_labels::kResult},
        {"dnspush_llq_established", "LLQs established"},
        {"dnspush_llq_refreshes", "LLQ leases refreshed"},
        {"dnspush_llqs_ended", "LLQs ended, by reason", false, "reason", metric_labels::kLlqEnd},
        {"dnspush_llq_event_resends", "LLQ event messages retransmitted"},
        {"dnspush_llq_event_acks", "LLQ event messages acknowledged"},
        {"dnspush_llq_answers", "LLQ setup and refresh answers, by LLQ error code", false, "error",
         metric_labels::kLlqError},
        {"dnspush_notify_results", "NOTIFYs to a target that ended, by result", false, "result",
         metric_labels::kNotifyResult},
        {"dnspush_xfr_checks", "Secondary zone checks against a primary"},
        {"dnspush_xfr_fallbacks", "Transfers in that fell back from IXFR to AXFR"},
        {"dnspush_xfr_failures", "Transfer in attempts that failed, by reason", false, "reason",
         metric_labels::kXfrFailure},
        {"dnspush_zone_expiries", "Secondary zone copies that expired"},
        {"dnspush_transfers_refused", "AXFR and IXFR requests refused, by reason", false, "reason",
         metric_labels::kTransferRefusal},
        {"dnspush_tls_record_takeovers",
         "TLS 1.3 connections whose records dnspushd took over from OpenSSL after the handshake"},
    }};

struct HistogramInfo {
  std::string_view name;
  std::string_view help;
};
inline constexpr std::array<HistogramInfo, static_cast<std::size_t>(Histogram::kCount)>
    kHistogramInfo = {{
        {"dnspush_journal_fsync_seconds", "Journal group commit (write and fsync) latency"},
        {"dnspush_update_to_push_seconds",
         "Latency from an UPDATE's commit request to its PUSH messages being queued"},
        {"dnspush_commit_seconds",
         "One UPDATE batch in the writer: apply, journal write and fsync, publish"},
    }};
// Upper bounds in seconds; a last bucket (+Inf) follows.
inline constexpr std::array<double, 14> kHistogramBounds = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};

namespace detail {
inline constexpr std::array<std::size_t, static_cast<std::size_t>(Counter::kCount) + 1>
    kCounterOffsets = [] {
      std::array<std::size_t, static_cast<std::size_t>(Counter::kCount) + 1> o{};
      for (std::size_t i = 0; i < kCounterInfo.size(); ++i)
        o[i + 1] = o[i] + kCounterInfo[i].size();
      return o;
    }();
inline std::atomic<std::uint64_t> metrics_next_id{1};
}  // namespace detail

class Metrics {
 public:
  static constexpr std::size_t kSlots = detail::kCounterOffsets.back();
  static constexpr std::size_t kBuckets = kHistogramBounds.size() + 1;
  static constexpr std::size_t kHistograms = static_cast<std::size_t>(Histogram::kCount);

  struct Totals {
    std::array<std::uint64_t, kSlots> slots{};
    std::array<std::array<std::uint64_t, kBuckets>, kHistograms> buckets{};  // not cumulative
    std::array<std::uint64_t, kHistograms> sum_ns{};

    std::uint64_t value(Counter c, std::size_t label = 0) const {
      return slots[detail::kCounterOffsets[static_cast<std::size_t>(c)] + label];
    }
    std::int64_t gauge(Counter c, std::size_t label = 0) const {
      return static_cast<std::int64_t>(value(c, label));
    }
    std::uint64_t count(Histogram h) const {
      std::uint64_t n = 0;
      for (auto b : buckets[static_cast<std::size_t>(h)]) n += b;
      return n;
    }
  };

  Metrics() = default;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // `label` indexes the counter's label values (for two dimensions: i1 * n2 + i2); an index
  // out of range is counted in the last one rather than corrupting another counter.
  void add(Counter c, std::size_t label = 0, std::uint64_t n = 1) {
    const auto i = static_cast<std::size_t>(c);
    const std::size_t size = kCounterInfo[i].size();
    bump(shard().slots[detail::kCounterOffsets[i] + (label < size ? label : size - 1)], n);
  }
  // Up/down gauges: add(c) and sub(c).
  void sub(Counter c, std::size_t label = 0, std::uint64_t n = 1) {
    add(c, label, ~n + 1);  // two's complement: the signed sum goes down by n
  }
  void observe(Histogram h, std::chrono::nanoseconds d) {
    const auto i = static_cast<std::size_t>(h);
    const double s = std::chrono::duration<double>(d).count();
    std::size_t b = 0;
    while (b < kHistogramBounds.size() && s > kHistogramBounds[b]) ++b;
    Shard& sh = shard();
    bump(sh.buckets[i][b], 1);
    bump(sh.sum_ns[i], d.count() > 0 ? static_cast<std::uint64_t>(d.count()) : 0);
  }

  // The sums over every thread's shard (relaxed reads: each value is exact, the set is a
  // moment's approximation).
  Totals totals() const {
    Totals t;
    std::lock_guard lock(m_);
    for (const auto& e : shards_) {
      const Shard& s = *e.shard;
      for (std::size_t i = 0; i < kSlots; ++i)
        t.slots[i] += s.slots[i].load(std::memory_order_relaxed);
      for (std::size_t h = 0; h < kHistograms; ++h) {
        for (std::size_t b = 0; b < kBuckets; ++b) {
          t.buckets[h][b] += s.buckets[h][b].load(std::memory_order_relaxed);
        }
        t.sum_ns[h] += s.sum_ns[h].load(std::memory_order_relaxed);
      }
    }
    return t;
  }

 private:
  struct alignas(64) Shard {
    std::array<std::atomic<std::uint64_t>, kSlots> slots{};
    std::array<std::array<std::atomic<std::uint64_t>, kBuckets>, kHistograms> buckets{};
    std::array<std::atomic<std::uint64_t>, kHistograms> sum_ns{};
  };
  struct Entry {
    std::thread::id thread;
    std::unique_ptr<Shard> shard;
  };

  // One writer per shard: a plain read-modify-write, atomic only so a scrape may read it.
  static void bump(std::atomic<std::uint64_t>& a, std::uint64_t n) {
    a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

  Shard& shard() {
    // The id (never reused, unlike an address) tells whether the cached shard is ours.
    thread_local std::uint64_t cached_id = 0;
    thread_local Shard* cached = nullptr;
    if (cached_id == id_) return *cached;
    std::lock_guard lock(m_);
    const auto me = std::this_thread::get_id();
    Shard* s = nullptr;
    for (auto& e : shards_) {
      if (e.thread == me) s = e.shard.get();
    }
    if (s == nullptr) {
      shards_.push_back(Entry{me, std::make_unique<Shard>()});
      s = shards_.back().shard.get();
    }
    cached_id = id_;
    cached = s;
    return *s;
  }

  const std::uint64_t id_ = detail::metrics_next_id.fetch_add(1);
  mutable std::mutex m_;
  std::vector<Entry> shards_;
};

}  // namespace dnspush
