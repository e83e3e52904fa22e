// What a dso::Session tells its owner (poll_event) and the vocabulary both share: roles,
// frames, the application's TLVs and why a session ended.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/time.hpp"
#include "dso/tlv.hpp"
#include "wire/types.hpp"

namespace dnspush::dso {

enum class Role : std::uint8_t { kServer, kClient };

// A complete DNS message without its 2-byte length prefix, shareable: one PUSH encoded
// once is queued on thousands of sessions (DESIGN.md "encode once, encrypt per session").
using Frame = std::shared_ptr<const std::vector<std::uint8_t>>;
inline Frame make_frame(std::vector<std::uint8_t> bytes) {
  return std::make_shared<const std::vector<std::uint8_t>>(std::move(bytes));
}

// A Primary TLV the application implements (RFC 8490 §5.4.4: its specification says
// whether it is a request or unidirectional, and who may send it). The base TLVs
// (Keepalive, Retry Delay, Encryption Padding) are the session's own and not listed.
enum class TlvKind : std::uint8_t { kRequest, kUnidirectional };
enum class Initiator : std::uint8_t { kClient = 1, kServer = 2, kEither = 3 };
struct AppTlv {
  TlvType type = TlvType::Reserved;
  TlvKind kind = TlvKind::kRequest;
  Initiator initiator = Initiator::kClient;
};
// RFC 8765 §6: SUBSCRIBE is a request from the client; PUSH is unidirectional from the
// server; UNSUBSCRIBE and RECONFIRM are unidirectional from the client.
std::span<const AppTlv> push_tlvs();

// The session timeouts (RFC 8490 §6.2); kInfinite is 0xFFFFFFFF on the wire.
struct Timeouts {
  Duration inactivity = kDefaultTimeout;
  Duration keepalive = kDefaultTimeout;
  friend bool operator==(const Timeouts&, const Timeouts&) = default;
};

// Why a session ended, for metrics (the text in ClosedEvent is for the log).
enum class CloseReason : std::uint8_t {
  kApplication,           // close() or abort() by the owner
  kPeerClosed,            // end of stream from the peer
  kIdleTimeout,           // RFC 7766 §6.2.3: no DSO session, nothing outstanding
  kMessageTimeout,        // a message started but did not complete in time
  kInactive,              // client: inactivity timeout reached (RFC 8490 §6.4.1)
  kInactivityDelinquent,  // server: the client kept an inactive session open (§6.4.1)
  kKeepaliveDelinquent,   // server: no message for twice the keepalive interval (§6.5.1)
  kPeerSilent,            // client: a Keepalive got no response within the interval
  kEstablishmentTimeout,  // client: no response to a DSO request for 30 s (§5.1.1)
  kRetryDelay,            // client: the server sent Retry Delay (§6.6.1)
  kRetryDelayIgnored,     // server: the client did not close 5 s after Retry Delay
  kSlowReader,            // the transmit queue reached max_queued_bytes
  kInputOverflow,         // more input than max_buffered_input (owner ignored wants_read)
  // Fatal protocol errors (RFC 8490 §5.3.1): the session is forcibly aborted.
  kMalformed,              // unparseable DSO message or base TLV
  kBadMessageId,           // MESSAGE ID against §5.4.1/§5.5.2
  kUnexpectedTlv,          // a TLV where §8.2 (or the application's TLV list) forbids it
  kUnknownUnidirectional,  // unrecognized Primary TLV with MESSAGE ID 0 (§5.4.5)
  kNotEstablished,         // a DSO message only allowed in an established session (§5.1)
  kBadKeepalive,           // keepalive interval below 10 s (§6.5.2)
  kResponseTlv,            // a response's TLVs break §5.4.2 or §7.1
  kTcpKeepaliveOption,     // edns-tcp-keepalive on a DSO session (§5.4.6, §7.1.2)
};
std::string_view to_text(CloseReason r);
// Whether the reason is a peer's protocol violation (the fatal errors above).
bool is_protocol_error(CloseReason r);

using QueryToken = std::uint64_t;

// An ordinary DNS message from the peer (a query, UPDATE, NOTIFY...; with DSO disabled
// also DSO-opcode messages, which the handler answers NOTIMP). Answer it with
// Session::answer or no_answer, quoting the token.
struct QueryEvent {
  QueryToken token = 0;
  std::vector<std::uint8_t> message;
};
// The answer to a query sent with Session::send_query.
struct DnsResponseEvent {
  std::vector<std::uint8_t> message;
};
// A DSO request whose Primary TLV the application implements (e.g. SUBSCRIBE). Answer
// it with Session::respond(id, ...).
struct RequestEvent {
  std::uint16_t id = 0;
  TlvType type = TlvType::Reserved;
  std::vector<std::uint8_t> message;
};
// A DSO unidirectional message of the application's (PUSH, UNSUBSCRIBE, RECONFIRM).
struct UnidirectionalEvent {
  TlvType type = TlvType::Reserved;
  std::vector<std::uint8_t> message;
};
// The response to a request this side sent with Session::request. `cancelled`: the
// responder ended a long-lived operation it had accepted (RFC 8490 §5.6).
struct ResponseEvent {
  std::uint16_t id = 0;
  TlvType type = TlvType::Reserved;  // the request's Primary TLV
  wire::Rcode rcode = wire::Rcode::NOERROR;
  std::optional<Duration> retry_delay;  // Response Additional TLV (§7.2.2)
  bool cancelled = false;
  std::vector<std::uint8_t> message;
};
// The DSO session now exists (RFC 8490 §5.1): the first DSO request got NOERROR.
struct EstablishedEvent {};
// The session timeouts in effect changed (a Keepalive exchange or announcement, §7.1).
struct TimeoutsEvent {
  Timeouts timeouts;
};
// Client: the server asked us to go away for `delay` (§6.6.1, §7.2.1); the session
// closes gracefully right after this event.
struct RetryDelayEvent {
  Duration delay{};
  wire::Rcode rcode = wire::Rcode::NOERROR;
};
// The session ended; always the last event. aborted: close the socket now (TCP RST);
// otherwise flush what poll_transmit() still gives, then close gracefully (§5.3).
struct ClosedEvent {
  CloseReason reason = CloseReason::kApplication;
  bool aborted = false;
  std::string text;
};

using Event =
    std::variant<QueryEvent, DnsResponseEvent, RequestEvent, UnidirectionalEvent, ResponseEvent,
                 EstablishedEvent, TimeoutsEvent, RetryDelayEvent, ClosedEvent>;

}  // namespace dnspush::dso
