// PushChannel: the DNS Push client (RFC 8765) for one push server, across reconnects.
// Sans-IO: the io layer connects (TCP + TLS) when told, feeds bytes and end of stream,
// writes what poll_transmit() gives, arms one timer at next_timeout() and reports a
// failed connection attempt; time is passed in, randomness (back-off jitter) injected.
//
// Inside is one dso::Session per connection, client role: the session is established
// with a Keepalive request asking for `timeouts` (RFC 8490 §5.1.1; the server's answer is
// followed, and the session keeps itself alive), then every subscription is sent as a
// SUBSCRIBE (§6.2). Several subscriptions share the session. PUSH messages are decoded
// with RFC 8765 §6.3.1's receive rules (a violation aborts the session, §6.3) and applied
// to each subscription's RecordSet, which the caller owns and which outlives its entry
// here (remove() before destroying it).
//
// Failures: a lost session suspends every subscription (their TTLs run again, RFC 8765
// §6.3.1) and schedules a reconnect by exponential back-off with jitter, never before a
// Retry Delay the server gave (RFC 8490 §6.6.1); after the reconnect each subscription is
// sent again and its RecordSet reconciled with the new initial answer (resync: records
// not re-announced within `resync_grace` are removed). A SUBSCRIBE refused with a
// temporary error (REFUSED, SERVFAIL) is retried after its Retry Delay or the back-off; a
// permanent one (NOTAUTH, FORMERR, NOTIMP, DSOTYPENI...) ends that subscription with a
// kFailed status. A server that does not do DSO (an error to the Keepalive, §5.1.1)
// makes the channel kUnsupported: the caller falls back (polling).
//
// Bounds: events are produced only by calls of the owner and by receive() (bounded by
// its input); drain poll_event() after each call. Subscriptions are the caller's to
// bound. Threading: none inside; one thread drives a channel.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "base/time.hpp"
#include "client/backoff.hpp"
#include "client/question.hpp"
#include "client/record_set.hpp"
#include "dso/session.hpp"

namespace dnspush::client {

using SubscriptionId = std::uint64_t;

struct PushChannelConfig {
  // What this client asks for in its Keepalive (RFC 8490 §7.1); the server decides.
  dso::Timeouts timeouts{std::chrono::seconds(15), std::chrono::minutes(60)};
  Duration resync_grace = std::chrono::seconds(1);
  BackoffConfig backoff;
  bool pad = true;  // RFC 8490 §7.3 / RFC 8467: pad DSO messages over TLS
};

// A subscription's state changed.
struct SubscriptionStatus {
  enum class State : std::uint8_t {
    kSubscribed,  // NOERROR: changes are pushed (records follow as kAdd events)
    kSuspended,   // the session was lost or the server cancelled: TTLs run, retrying
    kRetrying,    // refused for now (REFUSED/SERVFAIL): retrying at `retry_at`
    kFailed,      // refused for good (NOTAUTH, FORMERR, ...): the channel forgets it
  };
  SubscriptionId id = 0;
  State state = State::kSubscribed;
  wire::Rcode rcode = wire::Rcode::NOERROR;
  std::optional<TimePoint> retry_at;
  std::string text;
};

// The connection's state changed.
struct ChannelStatus {
  enum class State : std::uint8_t {
    kConnecting,    // the io layer should connect now
    kEstablished,   // DSO session up
    kDisconnected,  // lost or failed: reconnecting at `retry_at`
    kUnsupported,   // the server does not do DSO or DNS Push (RFC 8490 §5.1.1, DSOTYPENI)
    kIdle,          // no subscription left; closed
  };
  State state = State::kConnecting;
  std::optional<TimePoint> retry_at;
  std::string text;
};

struct SubscriptionEvent {
  SubscriptionId id = 0;
  RecordEvent event;
};

using ChannelEvent = std::variant<SubscriptionEvent, SubscriptionStatus, ChannelStatus>;

class PushChannel {
 public:
  PushChannel(PushChannelConfig cfg, Backoff::Random random);

  // ---- subscriptions -------------------------------------------------------------------
  // `set` must outlive the subscription here. Sent at once when the session is up.
  void add(SubscriptionId id, RecordSet* set, TimePoint now);
  // UNSUBSCRIBE (RFC 8765 §6.4) if subscribed; forgotten either way.
  void remove(SubscriptionId id, TimePoint now);
  std::size_t subscriptions() const { return subs_.size(); }

  // ---- the connection (io layer) ---------------------------------------------------------
  // Whether the io layer should be connecting (now or at next_timeout()).
  bool wants_connection() const { return state_ == State::kWaiting; }
  // When the next connection attempt may start (kWaiting).
  std::optional<TimePoint> connect_at() const { return connect_at_; }
  // The TLS handshake completed: a new session starts.
  void connected(TimePoint now);
  // The attempt failed (no address answered, TLS verification failed, ...): retry later.
  // `permanent`: do not retry (e.g. a certificate that will not verify next time either
  // is still retried: only the caller knows; false is the safe default).
  void connect_failed(const std::string& why, TimePoint now, bool permanent = false);
  void receive(std::span<const std::uint8_t> bytes, TimePoint now);
  // End of stream or a read/write error.
  void connection_lost(const std::string& why, TimePoint now);
  // The session is over: close the socket (after flushing what poll_transmit gives, if
  // graceful).
  bool should_close() const;
  bool wants_read() const { return session_ && session_->wants_read(); }
  std::optional<dso::Frame> poll_transmit();

  std::optional<TimePoint> next_timeout() const;
  void on_timeout(TimePoint now);
  std::optional<ChannelEvent> poll_event();

  // A session that can take SUBSCRIBEs now: not one that was established and has since
  // closed (a Retry Delay), which is kept until the connection is gone.
  bool established() const {
    return state_ == State::kConnected && session_ && session_->established() &&
           session_->state() == dso::Session::State::kOpen;
  }

 private:
  enum class State : std::uint8_t { kWaiting, kConnected, kUnsupported, kIdle };
  struct Sub {
    SubscriptionId id = 0;
    RecordSet* set = nullptr;
    std::optional<std::uint16_t> request_id;  // SUBSCRIBE awaiting its response
    std::optional<std::uint16_t> active_id;   // accepted: the id of the subscription
    std::optional<TimePoint> retry_at;        // refused for now
    bool ever_subscribed = false;
    bool removed = false;  // removed while its SUBSCRIBE was in flight
  };
  void subscribe(Sub& s, TimePoint now);
  void subscribe_due(TimePoint now);
  void drain_session(TimePoint now);
  void on_response(const dso::ResponseEvent& r, TimePoint now);
  void on_push(const std::vector<std::uint8_t>& msg, TimePoint now);
  void session_closed(const std::string& why, TimePoint now);
  Sub* find(SubscriptionId id);

  PushChannelConfig cfg_;
  Backoff backoff_;
  State state_ = State::kIdle;
  std::optional<TimePoint> connect_at_;
  std::unique_ptr<dso::Session> session_;
  std::vector<Sub> subs_;
  std::deque<ChannelEvent> events_;
  std::vector<RecordEvent> scratch_;
};

}  // namespace dnspush::client
