// Zone transfers in: IXFR (RFC 1995) with AXFR (RFC 5936) as the full form, as a sans-IO
// core. One TransferIn is one attempt against one primary over one TCP connection: it
// builds the request, checks every message of the answer as it arrives and, when the
// answer is complete and correct, hands out what the zone becomes: the changesets to
// commit, each with the zone version it produces. Nothing is applied to the served zone
// here; a failed attempt leaves no trace (RFC 1995 §4: "only replace an older version with
// a newer version after all the differences have been successfully processed").
//
// The io layer: connect, write request() with its length prefix, feed each complete DNS
// message to receive(), call on_closed() at end of stream, arm a timer at next_timeout()
// and call on_timeout(); once done(), close the connection and read the outcome.
//
// What is checked (every message, every record), each failure a TransferInError:
//   - the header (id of the request, QR, opcode QUERY, not truncated, RCODE; RFC 5936
//     §2.2.1), the question (the first message carries ours, later ones ours or none,
//     §2.2.2), an empty authority section (§2.2.4);
//   - with a TSIG key: the signature of every message (RFC 8945 §5.3.1: the first and the
//     last must be signed, at most 99 unsigned in between, each covered by the next MAC);
//     without one, a signed answer is refused (it cannot be checked);
//   - the framing: the first record is the zone's SOA; an AXFR ends with that same SOA and
//     holds no other SOA (RFC 5936 §2.2); an IXFR's difference sequences start at our
//     serial and chain serial to serial up to the primary's (RFC 1995 §4); nothing after
//     the final SOA;
//   - each record as zone files and UPDATE are checked (zone::check_record: class IN, no
//     meta type, inside the zone, RDATA valid for its type, SOA only at the apex);
//   - serials (RFC 1982): a primary older than our copy is refused (kSerialBackwards);
//   - the result: every difference sequence must apply to the zone as the previous one
//     left it (removed records present, CNAME rules, apex NS kept: zone::Zone::apply); an
//     AXFR must build a valid zone (ZoneBuilder) and, against our copy, differ only with a
//     newer serial (zone::diff).
// Bounds (TransferInLimits): bytes and records received, the whole attempt's time, and the
// idle time between messages; past any of them the attempt fails with kLimit or kTimeout.
// Memory is bounded by them: the records are held until the answer is complete.
//
// Threading: none (one owner). Failure policy: nothing here throws or asserts on what the
// primary sends; every rule broken becomes done() with an error and a reason for the log.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "base/serial.hpp"
#include "base/time.hpp"
#include "wire/message.hpp"
#include "wire/name.hpp"
#include "wire/tsig.hpp"
#include "zone/changeset.hpp"
#include "zone/zone.hpp"

namespace dnspush::xfr {

enum class TransferType { kIxfr, kAxfr };

struct TransferInLimits {
  std::size_t max_bytes = std::size_t{256} << 20;    // DNS messages received, all together
  std::size_t max_records = 4'000'000;               // answer records received
  Duration max_time = std::chrono::minutes(10);      // from start() to the final message
  Duration idle_timeout = std::chrono::seconds(30);  // between two messages (and to the first)
};

struct TransferInOptions {
  // kIxfr asks for the differences since our copy's serial (RFC 1995 §3); without a copy
  // the request is an AXFR whatever this says.
  TransferType type = TransferType::kIxfr;
  TransferInLimits limits;
  std::optional<wire::TsigKey> key;  // signs the request; then every answer must verify
};

enum class TransferInError {
  kNone,
  kRcode,            // the primary answered with an error RCODE (rcode())
  kMalformed,        // a message that does not parse or breaks the framing rules
  kTsig,             // a signature missing, unexpected or wrong
  kBadRecord,        // a record zone::check_record refuses (outside the zone, bad RDATA...)
  kSerialBackwards,  // the primary's serial is older than our copy's (RFC 1982)
  kInconsistent,     // differences that do not chain or apply; an AXFR that is no valid zone
  kLimit,            // max_bytes or max_records
  kTimeout,          // max_time or idle_timeout
  kClosed,           // the connection ended before the answer did (RFC 5936 §2.3)
};
std::string_view to_text(TransferInError e);

enum class TransferInKind {
  kUpToDate,     // our serial is the primary's (RFC 1995 §2: a single SOA)
  kIncremental,  // difference sequences (RFC 1995 §4)
  kFull,         // the whole zone (an AXFR, or an IXFR answered AXFR-style)
};

// One change to commit and the zone version it makes.
struct ZoneStep {
  zone::Changeset changeset;
  std::shared_ptr<const zone::Zone> after;
};

struct TransferInResult {
  TransferInKind kind = TransferInKind::kUpToDate;
  Serial serial;                           // the primary's
  std::shared_ptr<const zone::Zone> base;  // our copy when the attempt started (may be null)
  // In order, each applying to the previous one's `after` (the first to `base`): one per
  // difference sequence, or for a full transfer of a zone we hold, the one difference
  // between `base` and what was sent (zone::diff: only the real removals and additions,
  // so push subscribers hear exactly what changed). Empty when nothing changed.
  std::vector<ZoneStep> steps;
  // A full transfer with no `base`: the zone as sent (there is nothing to diff against).
  std::shared_ptr<const zone::Zone> zone;
  std::size_t messages = 0;
  std::size_t bytes = 0;
  std::size_t records = 0;
};

class TransferIn {
 public:
  // `current` is our copy of the zone (nullptr: none, so an AXFR). `now` starts the
  // attempt's clock; `wall` (seconds since the epoch) times the TSIG. Fails only when
  // the request cannot be signed.
  static Result<TransferIn> start(wire::Name origin, std::shared_ptr<const zone::Zone> current,
                                  std::uint16_t id, TransferInOptions opts, TimePoint now,
                                  std::uint64_t wall);

  TransferIn(TransferIn&&) noexcept;
  TransferIn& operator=(TransferIn&&) noexcept;
  ~TransferIn();

  // The request, one DNS message without the TCP length prefix.
  const std::vector<std::uint8_t>& request() const;
  TransferType type() const;
  const wire::Name& origin() const;

  // One complete DNS message of the answer. Ignored once done().
  void receive(std::span<const std::uint8_t> message, TimePoint now, std::uint64_t wall);
  // The stream ended: a failure (kClosed) unless the answer was complete.
  void on_closed(TimePoint now);
  // The io layer could not connect or send: a failure (kClosed) with its reason.
  void on_io_error(const std::string& reason);
  std::optional<TimePoint> next_timeout() const;  // nullopt once done()
  void on_timeout(TimePoint now);

  bool done() const;
  bool ok() const;  // done() and succeeded
  TransferInError error() const;
  const std::string& reason() const;  // why it failed, for the log
  wire::Rcode rcode() const;          // the primary's, for kRcode
  // After a failure of an IXFR: whether asking for an AXFR instead is worth it (RFC 1995
  // §2: IXFR not understood, NOTIMP or FORMERR; the connection closed before any answer;
  // or differences that did not apply to our copy, which a full transfer replaces).
  bool fallback_to_axfr() const;
  // When ok(): the outcome (once).
  TransferInResult take_result();

  std::size_t bytes() const;
  std::size_t records() const;

 private:
  struct State;
  explicit TransferIn(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
};

}  // namespace dnspush::xfr
