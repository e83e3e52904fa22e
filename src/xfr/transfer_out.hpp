// Zone transfers out over TCP/TLS: AXFR (RFC 5936) and IXFR (RFC 1995) from a zone
// snapshot and the journal's history, as a generator of DNS messages. Sans-IO: the io
// layer asks for one message at a time and writes it, so an encoded transfer is never
// held in memory as a whole. UDP IXFR (a single SOA when the answer does not fit) is the
// responder's business, not this one.
//
// Typical server use (after the ACL allowed the request):
//   auto t = TransferOut::start(request, zone, journal_lookup, opts, signer);
//   if (!t) -> answer error_response(request, t.error()) (FORMERR/NOTAUTH)
//   while (auto msg = t->next_message()) write(*msg);
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "base/result.hpp"
#include "base/serial.hpp"
#include "wire/message.hpp"
#include "zone/changeset.hpp"
#include "zone/journal.hpp"
#include "zone/zone.hpp"

namespace dnspush::xfr {

// The zone's history from `from` up to (at least) the current serial, oldest first, or
// nullopt when the history does not reach back that far (zone::Journal::changesets_since
// has this meaning).
using JournalLookup = std::function<std::optional<std::vector<zone::Changeset>>(Serial from)>;

// The lookup for `origin` in the durable journal. A journal error reads as "no history"
// (the client then gets the zone AXFR-style, which is always correct). `journal` must
// outlive the lookup; TransferOut::start uses it only during the call.
JournalLookup journal_lookup(const zone::Journal& journal, wire::Name origin);

// Called on every finished message before it is handed out, e.g. to append a TSIG RR
// with wire::TsigStreamSigner (RFC 8945 §5.3.1). A failure ends the transfer.
using MessageSigner = std::function<Result<void>(std::vector<std::uint8_t>&)>;

struct TransferOptions {
  // RFC 1035 §4.2.2: a TCP message is at most 65535 bytes, TSIG included.
  std::size_t max_message_size = 65535;
  // Room kept free in every message for what the signer appends
  // (wire::tsig_wire_size(key) for TSIG).
  std::size_t signer_reserve = 0;
  // RFC 5936 §2.2.2: later messages MAY repeat the question; by default only the first
  // carries it (as BIND does), which leaves more room for records.
  bool question_in_every_message = false;
  // RFC 1995 §5: an incremental answer longer than the whole zone defeats the purpose of
  // IXFR; when the difference sequences hold more than ratio × the zone's record count,
  // the zone is sent AXFR-style instead. 0 means no limit.
  double max_ixfr_ratio = 1.0;
  // The OPT record of the first message (RFC 5936 §2.2.5: SHOULD when the request had
  // one; never sent when it did not).
  wire::Edns edns;
};

enum class TransferKind {
  kAxfr,           // AXFR request: SOA, the zone, SOA
  kIxfr,           // difference sequences (RFC 1995 §4)
  kIxfrAxfrStyle,  // IXFR answered with the whole zone (history too short, or cheaper)
  kIxfrUpToDate,   // IXFR from our serial or a newer one: our SOA alone (RFC 1995 §2)
};

class TransferOut {
 public:
  // Checks the request and plans the answer. Fails with kMalformed (answer FORMERR)
  // when it is not a single-question AXFR/IXFR of class IN or an IXFR lacks the client's
  // SOA in the authority section (RFC 1995 §3), and kNotFound (answer NOTAUTH, RFC 5936
  // §2.2.1 note e) when the question is not `zone`'s origin.
  static Result<TransferOut> start(const wire::Message& request,
                                   std::shared_ptr<const zone::Zone> zone,
                                   const JournalLookup& journal, TransferOptions opts = {},
                                   MessageSigner signer = {});

  TransferOut(TransferOut&&) noexcept;
  TransferOut& operator=(TransferOut&&) noexcept;
  ~TransferOut();

  // The next message of the answer, or nullopt when all were handed out (or after an
  // error: see error()). Each one is at most max_message_size bytes.
  std::optional<std::vector<std::uint8_t>> next_message();

  bool done() const;
  TransferKind kind() const;
  Serial serial() const;  // the serial being sent
  std::size_t messages() const { return messages_; }
  std::size_t records_total() const;  // answer records in the whole transfer
  // Why the transfer ended early: a record too large for a message (a SERVFAIL message
  // ended the stream, RFC 5936 §2.2) or the signer failed (nothing more was sent).
  const std::optional<Error>& error() const { return error_; }

 private:
  struct Plan;
  explicit TransferOut(std::unique_ptr<Plan> plan);

  std::unique_ptr<Plan> plan_;
  std::size_t next_ = 0;  // index of the next record in the plan's sequence
  std::size_t messages_ = 0;
  bool finished_ = false;
  std::optional<Error> error_;
};

// A single error answer to a transfer request: the question copied (RFC 5936 §2.2 and
// §2.2.1: QDCOUNT MUST be 1 with an error RCODE), no records. For REFUSED (ACL),
// NOTAUTH (not our zone, or TSIG failed) and FORMERR. The caller signs it if need be.
std::vector<std::uint8_t> error_response(const wire::Message& request, wire::Rcode rcode);
// The RCODE for an error returned by TransferOut::start.
wire::Rcode rcode_for(const Error& e);

}  // namespace dnspush::xfr
