// LlqClient: the client of one DNS Long-Lived Query (RFC 8764), one question, with one LLQ
// server. Sans-IO, in the shape of xfr::NotifyOut: the io layer sends each poll_transmit()
// datagram to the server, feeds back every datagram that came from the server's address
// and port (a connected UDP socket does that filtering), arms one timer at next_timeout()
// and calls on_timeout(now); time is passed in, message IDs come from an injected source.
//
// Steps (RFC 8764 §5.1):
//   (1) SETUP request: the question, LLQ option SETUP, LLQ-ID 0, the lease asked for;
//   (2) the server's challenge: SETUP, NO-ERROR, a fresh LLQ-ID, the lease granted;
//   (3) the challenge response: the same question echoing that LLQ-ID;
//   (4) the ACK: SETUP, NO-ERROR, the LLQ-ID, the granted lease and the current answers,
//       which replace the RecordSet (records that vanished meanwhile are removed: the same
//       reconciliation as a reconnect of a push session).
// Requests (1), (3) and refreshes are retransmitted with the same message ID after 2 s,
// then 4 s, and given up 8 s after the third copy (§5.2.1: three attempts in all). A
// response is accepted only with the request's message ID, QR, the question and an LLQ
// option of the right opcode (and LLQ-ID, after the challenge).
//
// Events (§6): an unsolicited response carrying the question, the LLQ option EVENT with our
// LLQ-ID and changed records: TTL 0xFFFFFFFF removes one record, a TTL up to 2^31-1 adds it
// (or changes its TTL); other TTLs are ignored. Each event is acknowledged (§6.2: the
// event's message ID, the question, the LLQ option EVENT, QR set as Apple's client does).
// The server resends an unacknowledged event with the same bytes: one seen recently
// (message ID and content, the last kRecentEvents) is acknowledged again and not applied.
// An event before the ACK (step 4 lost, the LLQ exists) is acknowledged and not applied:
// the retransmitted challenge response brings the ACK with the current answers.
//
// Lease (§7): REFRESH with the LLQ-ID at 80% of the granted lease, retransmitted like
// setup. The new lease counts from the first copy of the request, so the client never
// believes in a lease the server already ended. A refresh answered NO-SUCH-LLQ, or not
// answered before the lease ends, loses the LLQ: the RecordSet is suspended (TTLs run, as
// for a lost push session) and setup starts again; its ACK reconciles the set. stop()
// cancels with a REFRESH of lease 0 (§7), sent once.
//
// Errors (§3.2 ERROR-CODE, and RCODEs):
//   SERV-FULL      wait the LEASE-LIFE the server gave (clamped to [1 s, 1 h]), set up again;
//   STATIC         failed, unavailable: the zone does not do LLQ (callers fall back to polling);
//   BAD-VERS       failed, unavailable: the server speaks another LLQ version;
//   FORMAT-ERR     failed: the server could not parse what we sent;
//   NO-SUCH-LLQ    to a challenge response (the challenge expired) or a refresh: set up
//                  again from step (1), at most kMaxRestarts times in a row, then back off;
//   UNKNOWN-ERR, SERVFAIL: transient, set up again after a back-off;
//   REFUSED, NOTAUTH, other RCODEs: failed, with the RCODE;
//   a NOERROR response without an LLQ option: failed, unavailable (not an LLQ server);
//   no answer to setup: failed (kNoAnswer) if the LLQ was never established, so a caller
//   can fall back; once it was, setup is retried by back-off (records age meanwhile).
//
// Bounds: the records are the caller's RecordSet's (its max_records); at most one request
// is outstanding; acknowledgements waiting in the transmit queue are capped at
// kMaxQueuedTransmits (past it the oldest is dropped: the server resends its event);
// events are produced only by calls of the owner, so drain poll_event() after each call.
// Threading: none inside; one thread drives an LlqClient. Nothing here throws or asserts
// on what a server sends.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "base/time.hpp"
#include "client/backoff.hpp"
#include "client/question.hpp"
#include "client/record_set.hpp"
#include "llq/option.hpp"
#include "wire/message.hpp"

namespace dnspush::client {

struct LlqClientConfig {
  // Asked for in SETUP and REFRESH; the server decides (§5.1). Apple's client asks 7200 s.
  std::uint32_t lease = 7200;
  // §5.2.1: at least 2 s before the first retransmission, 4 s before the second, and an
  // answer awaited 8 s after the third copy.
  Duration first_retransmit = std::chrono::seconds(2);
  unsigned transmissions = 3;
  // §7: refresh when this fraction of the granted lease has run.
  double refresh_at = 0.8;
  // EDNS payload size offered: events and the ACK's answers are sized to it.
  std::uint16_t udp_payload = 1232;
  // Transient failures (SERVFAIL, UNKNOWN-ERR, setup unanswered after success): when to
  // set up again.
  BackoffConfig backoff{std::chrono::seconds(2), std::chrono::minutes(10), 0.5};
};

// The LLQ's state changed (poll_event).
struct LlqStatus {
  enum class State : std::uint8_t {
    kEstablished,  // ACK received: events follow; `lease` is the granted lease
    kTruncated,    // the ACK had TC (answers too large for UDP): the LLQ stands; the caller
                   // fetches the answer another way (TCP) and calls full_answer()
    kLost,         // refresh failed or the lease ran out: TTLs run, setting up again
    kRetrying,     // refused for now (SERV-FULL, SERVFAIL, ...): setup again at `retry_at`
    kFailed,       // ended for good; `reason` says why
  };
  enum class Reason : std::uint8_t {
    kNone,
    kNoAnswer,     // setup was never answered
    kUnavailable,  // STATIC, BAD-VERS, or not an LLQ server: use another protocol
    kRcode,        // an error RCODE (`rcode`)
    kFormatError,  // FORMAT-ERR: the server could not parse our request
    kServFull,     // SERV-FULL (with kRetrying)
    kNoSuchLlq,    // NO-SUCH-LLQ (with kLost or kRetrying)
    kTransient,    // SERVFAIL, UNKNOWN-ERR (with kRetrying)
    kUnreachable,  // the io layer's: the server's port was refused (ICMP port unreachable)
  };
  State state = State::kEstablished;
  Reason reason = Reason::kNone;
  wire::Rcode rcode = wire::Rcode::NOERROR;
  std::optional<llq::ErrorCode> error;  // the server's ERROR-CODE, when it sent one
  std::uint32_t lease = 0;              // granted (kEstablished)
  std::optional<TimePoint> retry_at;    // kRetrying, kLost
  std::string text;
};

using LlqEvent = std::variant<RecordEvent, LlqStatus>;

struct LlqCountersClient {
  std::uint64_t sent = 0;
  std::uint64_t retransmissions = 0;
  std::uint64_t events = 0;           // event messages applied
  std::uint64_t events_repeated = 0;  // resent by the server, acknowledged again
  std::uint64_t ignored = 0;          // datagrams that were not for us / malformed
  std::uint64_t setups = 0;           // ACKs received
  std::uint64_t refreshes = 0;        // refresh answers received
  std::uint64_t acks_dropped = 0;     // kMaxQueuedTransmits reached
};

class LlqClient {
 public:
  using RandomId = std::function<std::uint16_t()>;

  static constexpr std::size_t kRecentEvents = 16;
  static constexpr std::size_t kMaxQueuedTransmits = 32;
  static constexpr unsigned kMaxRestarts = 3;
  static constexpr Duration kMinServFullWait = std::chrono::seconds(1);
  static constexpr Duration kMaxServFullWait = std::chrono::hours(1);

  // `set` is the caller's, outlives this, and is what the LLQ keeps live.
  LlqClient(Question q, RecordSet* set, LlqClientConfig cfg, RandomId random_id,
            Backoff::Random random);

  // Sends the SETUP request (step 1).
  void start(TimePoint now);
  // A datagram from the server's address and port.
  void receive(std::span<const std::uint8_t> datagram, TimePoint now);
  // The complete answer, fetched another way after kTruncated: replaces the set.
  void full_answer(std::span<const wire::Record> records);
  // Cancels (REFRESH with lease 0, §7) if established; then nothing more is sent.
  void stop(TimePoint now);

  std::optional<std::vector<std::uint8_t>> poll_transmit();
  std::optional<LlqEvent> poll_event();
  std::optional<TimePoint> next_timeout() const;
  void on_timeout(TimePoint now);

  bool established() const { return state_ == State::kEstablished || state_ == State::kRefreshing; }
  bool finished() const { return state_ == State::kFailed || state_ == State::kStopped; }
  std::uint64_t llq_id() const { return llq_id_; }
  std::optional<TimePoint> lease_end() const { return lease_end_; }
  const LlqCountersClient& counters() const { return counters_; }
  const Question& question() const { return q_; }

 private:
  enum class State : std::uint8_t {
    kIdle,
    kSetup,      // (1) sent, waiting for the challenge
    kChallenge,  // (3) sent, waiting for the ACK
    kEstablished,
    kRefreshing,  // REFRESH sent, waiting for its answer
    kWaiting,     // until retry_at_, then setup again
    kFailed,
    kStopped,
  };
  // The one outstanding request.
  struct Request {
    std::uint16_t id = 0;
    llq::Opcode opcode = llq::Opcode::LLQ_SETUP;
    std::uint64_t llq_id = 0;
    std::uint32_t lease = 0;
    unsigned sends = 0;
    TimePoint first_sent{};
    TimePoint deadline{};
  };

  void send_request(llq::Opcode op, std::uint64_t llq_id, std::uint32_t lease, TimePoint now);
  void retransmit_or_give_up(TimePoint now);
  void setup_again(TimePoint now);
  void lose(LlqStatus::Reason why, const std::string& text, TimePoint now);
  void wait_then_setup(TimePoint at, LlqStatus::Reason why, wire::Rcode rcode,
                       std::optional<llq::ErrorCode> e, std::string text, TimePoint now);
  void backoff_then_setup(LlqStatus::Reason why, wire::Rcode rcode, std::optional<llq::ErrorCode> e,
                          std::string text, TimePoint now);
  void fail(LlqStatus::Reason why, wire::Rcode rcode, std::optional<llq::ErrorCode> e,
            std::string text, TimePoint now);
  void on_response(const wire::Message& m, const std::optional<llq::Option>& o, TimePoint now);
  void on_ack(const wire::Message& m, const llq::Option& o, TimePoint now);
  void on_event(const wire::Message& m, const llq::Option& o, std::uint64_t digest, TimePoint now);
  bool error_response(const wire::Message& m, const std::optional<llq::Option>& o, TimePoint now);
  bool our_question(const wire::Message& m) const;
  std::vector<std::uint8_t> build(std::uint16_t id, bool qr, const llq::Option& o) const;
  void queue(std::vector<std::uint8_t> bytes);
  void status(LlqStatus s);
  Duration retransmit_interval(unsigned sends) const;

  Question q_;
  RecordSet* set_;
  LlqClientConfig cfg_;
  RandomId random_id_;
  Backoff backoff_;
  State state_ = State::kIdle;
  std::optional<Request> req_;
  std::uint64_t llq_id_ = 0;
  std::uint32_t granted_ = 0;
  std::optional<TimePoint> lease_end_;
  std::optional<TimePoint> refresh_at_;
  std::optional<TimePoint> retry_at_;
  bool ever_established_ = false;
  unsigned restarts_ = 0;  // NO-SUCH-LLQ answers to setup in a row
  struct Recent {
    std::uint16_t id = 0;
    std::uint64_t digest = 0;
  };
  std::array<Recent, kRecentEvents> recent_{};
  std::size_t recent_next_ = 0;
  std::size_t recent_count_ = 0;
  std::deque<std::vector<std::uint8_t>> transmit_;
  std::deque<LlqEvent> events_;
  std::vector<RecordEvent> scratch_;
  LlqCountersClient counters_;
};

}  // namespace dnspush::client
