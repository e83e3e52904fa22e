// dso::Session: the protocol core of one DNS-over-TCP/TLS connection, for its whole life:
// first plain RFC 7766 DNS (queries, UPDATEs, transfers, pipelined and answered in any
// order), then, once a DSO request gets a NOERROR response, a DSO session (RFC 8490):
// Keepalive, inactivity, Retry Delay, padding, and the application's TLVs (DNS Push).
// Both roles: the server accepts DSO sessions, the client establishes them. Sans-IO: no
// sockets, no TLS, no clock; the owner passes bytes and `now` in and takes frames and
// events out.
//
// How the io layer drives it: construct after the TLS handshake; while wants_read(), read
// a chunk and receive() it (any split); at end of stream call receive_eof(). Drain
// poll_event() after every call and act on each event (queries to the DNS handler,
// SUBSCRIBE to the push layer, ...), answering through answer()/respond()/...; whenever
// the socket is writable drain poll_transmit() into it, adding the 2-byte length prefix;
// arm one timer at next_timeout() and call on_timeout(now) when it passes. state() says
// when to close: kAborted at once (RST, queue discarded), kClosed once poll_transmit() is
// empty (FIN / close_notify).
//
// Threading: none inside. A session belongs to the thread that drives its connection;
// every member is called from that thread only. Frames are immutable and shared, so the
// same PUSH may sit in the queues of sessions on other threads.
//
// Bounds (everything a peer can grow):
//   - input: at most max_buffered_input bytes are held (one partial message plus one
//     read of up to 64 KiB with the default). Processing stops while max_outstanding
//     queries/requests wait for the application or reading is paused; wants_read() is
//     then false, and also while events wait to be polled. More input than the bound
//     aborts (kInputOverflow) -- only an owner that ignores wants_read() gets there.
//   - a message that has started must complete within message_timeout (slow-read attack,
//     RFC 7766 §6.2.3), whatever the idle timers say.
//   - transmit queue: at most max_queued_bytes (with prefixes); a frame that would pass it
//     aborts the session as a slow reader (kSlowReader) instead of growing.
//   - events: only produced by receive() (bounded by its input) and by calls of the owner.
//   - ids: owed requests are at most max_outstanding; the peer's long-lived operations
//     are the push layer's to bound.
//
// Failure policy: nothing a peer sends is asserted on or thrown. A fatal protocol error
// (RFC 8490 §5.3.1) aborts this session only: state() becomes kAborted and a ClosedEvent
// carries a CloseReason (metrics) and a text (log). Owner mistakes (an unknown token or
// id, a frame that is not what the call sends, DSO before the session exists) are
// refused with false/nullopt. The peer is never left without an answer it is owed: an
// answer that cannot be sent still settles its token, and a response that cannot be
// encoded goes out as SERVFAIL.
//
// Memory: 464 bytes of object; an idle established session holds 80 heap bytes more
// (measured with g++ 12 -O2), no input buffer and no event slots.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/time.hpp"
#include "dso/event.hpp"
#include "dso/fifo.hpp"
#include "dso/message.hpp"
#include "dso/recycling.hpp"
#include "dso/tlv.hpp"
#include "wire/types.hpp"

namespace dnspush::dso {

struct SessionConfig {
  Role role = Role::kServer;
  // false: DSO-opcode messages are ordinary messages (QueryEvent; the handler answers
  // NOTIMP, RFC 8490 §5.1.1) and the session never becomes a DSO session.
  bool dso_enabled = true;
  // TLS: pad DSO messages (RFC 8490 §7.3, RFC 8467 block-length policy). A response to a
  // padded request always carries an Encryption Padding TLV (§7.3 MUST); with `pad` it
  // fills a 468-byte block, without it is the 4-byte minimum.
  bool pad = false;
  // RFC 7766 §6.2.3, before the DSO session: close when nothing is outstanding for this
  // long after the last complete message. kInfinite: never.
  Duration idle_timeout = std::chrono::seconds(10);
  // A message whose first byte arrived must be complete this much later. kInfinite: never.
  Duration message_timeout = std::chrono::seconds(10);
  // Server: the values granted in every Keepalive (RFC 8490 §7.1; the keepalive interval
  // is raised to 10 s if below, §6.5.2). Client: the values it asks for. §6.5.2
  // recommends a 60-minute keepalive interval.
  Timeouts timeouts{std::chrono::seconds(15), std::chrono::minutes(60)};
  // Server: when a session is established by a request other than Keepalive (Apple's
  // client starts with SUBSCRIBE and never sends Keepalive), send `timeouts` in a
  // unidirectional Keepalive right after the response (§7.1), so the 15 s defaults do
  // not cut a long-lived session after 30 s.
  bool announce_timeouts = true;
  std::size_t max_queued_bytes = 256 * 1024;
  std::size_t max_outstanding = 64;
  std::size_t max_buffered_input = 2 * (kMaxMessageSize + 2);
  // The Primary TLVs the application implements, e.g. push_tlvs(). Not copied: the list
  // is shared by every session of a server and must outlive them.
  std::span<const AppTlv> app_tlvs;
};

class Session {
 public:
  enum class State : std::uint8_t {
    kOpen,
    kClosing,  // the peer ended its stream; answers still owed go out, then kClosed
    kClosed,   // graceful: send what poll_transmit() gives, then close
    kAborted,  // close now, discard the queue
  };

  Session(SessionConfig config, TimePoint now);

  // ---- driving -------------------------------------------------------------------------
  // Bytes from the peer (already decrypted), any split. Ignored unless kOpen, and after
  // a Retry Delay (§6.6.1.1).
  void receive(std::span<const std::uint8_t> bytes, TimePoint now);
  // The peer ended its stream (FIN / close_notify).
  void receive_eof(TimePoint now);
  bool wants_read() const;
  std::optional<Event> poll_event();
  std::optional<Frame> poll_transmit();
  std::size_t queued_bytes() const { return queued_bytes_; }
  std::optional<TimePoint> next_timeout() const;
  void on_timeout(TimePoint now);

  State state() const { return state_; }
  Role role() const { return cfg_.role; }
  bool established() const { return established_; }
  // Client: whether DSO requests may still be sent (false after an error that means the
  // server does not do DSO, §5.1.1).
  bool dso_available() const;
  // The peer pads its DSO messages: the push layer pads PUSH messages for this session
  // (pad_message with kServerPaddingBlock) when this and SessionConfig::pad hold.
  bool peer_pads() const { return peer_pads_; }
  const Timeouts& timeouts() const { return timeouts_; }
  // Queries and DSO requests of the peer still waiting for this side's answer.
  std::size_t outstanding() const { return owed_queries_.size() + owed_requests_.size(); }

  // ---- the application's side ------------------------------------------------------------
  // The answer to a QueryEvent (any order, RFC 7766 §6.2.1.1). more=true: further
  // messages follow for the same query (AXFR/IXFR); the last one has more=false. Answers
  // after a Retry Delay or close are dropped. False: unknown token or frame not sent.
  bool answer(QueryToken token, Frame msg, TimePoint now, bool more = false);
  bool no_answer(QueryToken token, TimePoint now);
  // The response to a RequestEvent: `tlvs` are Response Primary/Additional TLVs, then an
  // optional Retry Delay (§7.2.2, with an error RCODE) and padding as §7.3 requires. A
  // server's first NOERROR response establishes the DSO session (§5.1.2).
  bool respond(std::uint16_t id, wire::Rcode rcode, TimePoint now, std::span<const Tlv> tlvs = {},
               std::optional<Duration> retry_delay = std::nullopt);
  // Responder-initiated cancellation of a long-lived operation that was accepted earlier
  // (RFC 8490 §5.6): a response with a nonzero RCODE for its (no longer owed) id.
  bool cancel(std::uint16_t id, wire::Rcode rcode, TimePoint now);
  // A unidirectional message of the application's (PUSH from the server, UNSUBSCRIBE or
  // RECONFIRM from the client): only in an established session (§5.1), only a Primary
  // TLV from the AppTlv list that this role may send.
  bool send_unidirectional(Frame msg, TimePoint now);
  // Server: an unsolicited DNS response outside DSO (an LLQ event over a stream, RFC 8764
  // §6): a QUERY-opcode response, queued like an answer under the same bound. Needs no
  // DSO session; nothing is sent after a Retry Delay or close.
  bool send_unsolicited(Frame msg, TimePoint now);
  // Long-lived operations this side serves (e.g. active subscriptions): while nonzero
  // the session is active and the inactivity timeout does not run (§6.3).
  void set_long_lived(std::size_t active, TimePoint now);
  // Stop taking messages from the peer (e.g. while a zone transfer drains).
  void pause_reading(bool paused, TimePoint now);

  // Server: new session timeouts from now on; sent as a unidirectional Keepalive when
  // the session is established (§7.1), used for later Keepalive responses either way.
  void set_timeouts(Timeouts t, TimePoint now);
  // Server: tell the client to go away and not come back for `delay` (§6.6.1). It goes
  // out after what is already queued; nothing is sent after it, input is ignored
  // (§6.6.1.1), and if the client has not closed 5 s later the session is aborted. With
  // no DSO session yet there is nothing to send it on: the session closes instead and
  // this returns false.
  bool retry_delay(Duration delay, wire::Rcode rcode, TimePoint now);

  // Close gracefully (flush, then FIN) or abort (RST) this session.
  void close(TimePoint now);
  void abort(std::string text, TimePoint now, CloseReason reason = CloseReason::kApplication);

  // ---- initiating requests (the client, or a server in an established session) ---------
  // A DSO request with an application Primary TLV; the id is allocated here (never one
  // in use, §5.4.1). long_lived: after a NOERROR response the id stays in use (and the
  // session active) until end_operation() or a cancellation (§5.6).
  std::optional<std::uint16_t> request(const Tlv& primary, TimePoint now, bool long_lived = false,
                                       std::span<const Tlv> additional = {});
  // This side ended a long-lived operation (e.g. sent UNSUBSCRIBE). A cancellation of it
  // that crossed on the wire is then dropped quietly instead of aborting.
  void end_operation(std::uint16_t id, TimePoint now);
  // Client: a Keepalive request asking for SessionConfig::timeouts (it also establishes
  // the session). The session sends these itself when the keepalive interval is due.
  std::optional<std::uint16_t> send_keepalive(TimePoint now);
  // An ordinary DNS query of this side (its id must not be in flight, RFC 7766 §6.2.1);
  // the answer comes back as a DnsResponseEvent.
  bool send_query(Frame msg, TimePoint now);

 private:
  struct OwedQuery {
    QueryToken token;
    bool tcp_keepalive;  // carried edns-tcp-keepalive: strip it from answers once in DSO
  };
  struct OwedRequest {
    std::uint16_t id;
    bool padded;
  };
  struct Pending {
    std::uint16_t id;
    TlvType type;
    bool long_lived;
    TimePoint sent;
  };
  enum class Timer : std::uint8_t {
    kMessage,
    kShutdown,
    kEstablish,
    kIdle,
    kInactivity,
    kKeepalive
  };
  struct Deadline {
    TimePoint at;
    Timer timer;
  };

  // input
  std::size_t process(std::span<const std::uint8_t> buf, TimePoint now);
  void resume(TimePoint now);
  void after_input(TimePoint now, bool consumed_any);
  bool blocked() const;
  void handle(std::span<const std::uint8_t> msg, TimePoint now);
  void handle_dns(std::span<const std::uint8_t> msg, TimePoint now);
  void handle_dso(std::span<const std::uint8_t> msg, TimePoint now);
  void handle_dso_request(const MessageView& m, std::span<const std::uint8_t> msg, TimePoint now);
  void handle_dso_response(const MessageView& m, std::span<const std::uint8_t> msg, TimePoint now);
  void handle_keepalive_request(const MessageView& m, bool padded, TimePoint now);
  bool additional_allowed(const MessageView& m, TimePoint now);
  bool owes_request(std::uint16_t id) const;
  bool recently_ended(std::uint16_t id) const;
  const AppTlv* app_tlv(TlvType t) const;
  bool may_initiate(const AppTlv& a, Role r) const;
  bool apply_server_timeouts(const Keepalive& k, TimePoint now);
  void establish(TimePoint now);

  // output
  bool queue(Frame f, TimePoint now, bool keepalive);
  bool queue_response(std::uint16_t id, wire::Rcode rcode, std::span<const Tlv> tlvs,
                      std::optional<Duration> retry_delay, bool padded, TimePoint now,
                      bool keepalive);
  std::optional<std::size_t> initiator_pad_block() const;
  std::optional<std::uint16_t> send_request(TlvType type, std::span<const std::uint8_t> data,
                                            std::span<const Tlv> additional, bool long_lived,
                                            TimePoint now);
  bool announce_timeouts(TimePoint now);
  std::optional<std::uint16_t> allocate_id();

  // timers and state
  void touch(TimePoint now, bool keepalive);
  void operation_ended(TimePoint now);
  bool active() const;
  std::optional<Deadline> next_deadline() const;
  void fire(Timer t, TimePoint now);
  void finish(State s, CloseReason reason, std::string text);
  void check_closing();

  SessionConfig cfg_;
  State state_ = State::kOpen;
  bool established_ = false;
  bool dso_refused_ = false;  // client: §5.1.1 "server does not implement DSO"
  bool shutdown_ = false;     // server: Retry Delay sent
  bool paused_ = false;
  bool peer_pads_ = false;
  bool keepalive_exchanged_ = false;  // a Keepalive request was answered
  bool in_process_ = false;
  Timeouts timeouts_;  // in effect: §6.2 defaults until a Keepalive says otherwise
  std::size_t long_lived_ = 0;

  std::vector<std::uint8_t> in_;
  std::optional<TimePoint> partial_since_;

  TimePoint last_message_;   // any complete message sent or received (keepalive timer)
  TimePoint last_activity_;  // non-keepalive message or end of an operation (inactivity)
  std::optional<TimePoint> timeouts_changed_;  // server: last announcement (§7.1.1 grace)
  std::optional<TimePoint> shutdown_deadline_;

  std::vector<OwedQuery> owed_queries_;
  std::vector<OwedRequest> owed_requests_;
  QueryToken next_token_ = 1;
  std::vector<Pending> pending_;        // our DSO requests awaiting a response
  std::vector<Pending> operations_;     // our long-lived operations (ids in use)
  std::vector<std::uint16_t> queries_;  // our DNS queries awaiting an answer
  std::uint16_t next_id_ = 1;
  std::optional<std::uint16_t> keepalive_id_;
  // Operations this side ended lately: the responder may have cancelled one before it
  // heard (§5.6 racing an UNSUBSCRIBE), and that response is no protocol error. These ids
  // are not handed out again while listed.
  static constexpr std::size_t kRecentlyEnded = 8;
  std::array<std::uint16_t, kRecentlyEnded> ended_{};
  std::size_t ended_next_ = 0;

  Fifo<Frame, FrameSpare> out_;
  std::size_t queued_bytes_ = 0;
  Fifo<Event, EventSpare> events_;
};

}  // namespace dnspush::dso
