// NOTIFY out (RFC 1996): after each commit, tell every configured secondary of a zone
// that its SOA changed, over UDP, retrying until a response or too many tries (§3.6).
// One NotifyOut per zone. Sans-IO: targets are opaque ids (indexes into the server's
// list of addresses), time is passed in, message ids come from an injected source.
//
// The io layer: on commit call notify(soa, now); send everything poll_transmit() gives
// to the target's address; feed datagrams from a target's address and port to
// receive(); arm a timer at next_timeout() and call on_timeout(now); log poll_event().
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "base/result.hpp"
#include "base/serial.hpp"
#include "base/time.hpp"
#include "wire/message.hpp"
#include "wire/name.hpp"
#include "wire/tsig.hpp"

namespace dnspush::xfr {

using TargetId = std::size_t;

struct NotifyConfig {
  // RFC 1996 §3.6 note: interval and count are operational parameters; 60 s and 5
  // retransmissions are its defaults, with additive or exponential backoff allowed. We
  // start faster (secondaries that scale us out should hear within seconds) and double.
  Duration initial_interval = std::chrono::seconds(2);
  Duration max_interval = std::chrono::seconds(60);
  unsigned max_retransmissions = 5;  // so at most 6 copies per change
  // Room the signer appends (wire::tsig_wire_size of its key): the NOTIFY, SOA hint
  // included, stays within 512 bytes once signed.
  std::size_t signer_reserve = 0;
};

struct NotifyTransmit {
  TargetId target;
  std::vector<std::uint8_t> bytes;
};

struct NotifyEvent {
  enum class Outcome {
    kAcknowledged,    // NOERROR response (RFC 1996 §4.8)
    kNotImplemented,  // NOTIMP: the transaction is complete for that target (§3.12)
    kRejected,        // another RCODE (REFUSED, NOTAUTH...): answered, so not retried
    kTimedOut,        // no response after every retransmission (§3.6)
    kSignFailed,      // the signer refused; not sent
  };
  TargetId target;
  Serial serial;
  Outcome outcome;
  wire::Rcode rcode = wire::Rcode::NOERROR;  // the response's, for kRejected
  unsigned sends = 0;                        // copies sent
};

class NotifyOut {
 public:
  using RandomId = std::function<std::uint16_t()>;
  // Appends e.g. a TSIG RR to a request for `target` (optional).
  using Signer = std::function<Result<void>(TargetId, std::vector<std::uint8_t>&)>;

  NotifyOut(wire::Name zone, std::size_t target_count, RandomId random, NotifyConfig cfg = {},
            Signer signer = {});

  // The zone's SOA changed to `soa` (its serial is the event): every target gets a
  // NOTIFY. A pending NOTIFY for another serial is superseded (its retries stop; the new
  // one starts afresh); the same serial still pending changes nothing.
  void notify(const wire::Record& soa, TimePoint now);
  // A datagram from `target` (the io layer matched the source address and port, §3.6).
  // Anything that is not the response to that target's outstanding NOTIFY (QR, opcode,
  // id, question) is ignored.
  void receive(TargetId target, std::span<const std::uint8_t> bytes, TimePoint now);

  std::optional<NotifyTransmit> poll_transmit();
  std::optional<NotifyEvent> poll_event();
  std::optional<TimePoint> next_timeout() const;
  void on_timeout(TimePoint now);

  bool idle() const;  // nothing outstanding
  std::size_t target_count() const { return targets_.size(); }

  // Events kept for poll_event(); the oldest is dropped past this (logging only).
  static constexpr std::size_t kMaxEvents = 1024;

 private:
  struct Target {
    bool pending = false;  // waiting for a response
    bool queued = false;   // a copy is waiting in the transmit queue
    Serial serial;
    std::uint16_t id = 0;
    unsigned sends = 0;
    TimePoint deadline{};
  };
  void queue(TargetId t);
  void finish(TargetId t, NotifyEvent::Outcome o, wire::Rcode rcode = wire::Rcode::NOERROR);
  Duration interval_after(unsigned sends) const;
  std::vector<std::uint8_t> build(const Target& t) const;

  wire::Name zone_;
  std::optional<wire::Record> soa_;
  RandomId random_;
  NotifyConfig cfg_;
  Signer signer_;
  std::vector<Target> targets_;
  std::deque<TargetId> transmit_;  // each target at most once (Target::queued)
  std::deque<NotifyEvent> events_;
};

// A NotifyOut::Signer that signs every copy for every target with `key`, as a TSIG
// request (RFC 8945 §4.3.1) timed by `now` (seconds since the epoch).
NotifyOut::Signer tsig_notify_signer(wire::TsigKey key, std::function<std::uint64_t()> now);

}  // namespace dnspush::xfr
