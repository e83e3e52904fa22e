// Building blocks every answer shares (queries here; NOTIFY and UPDATE answers later):
// the response header, the size limit of the transport, the OPT record we send back
// with its keepalive and padding options, and complete error answers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "auth/query_context.hpp"
#include "auth/responder.hpp"
#include "wire/message.hpp"

namespace dnspush::auth {

inline constexpr std::size_t kUdpPlainLimit = 512;  // RFC 1035 §4.2.1
inline constexpr std::size_t kStreamLimit = 65535;  // RFC 1035 §4.2.2 length prefix
inline constexpr std::size_t kPaddingBlock = 468;   // RFC 8467 §4.1 (responses)
inline constexpr std::uint8_t kEdnsVersion = 0;     // the only one we speak

// QR=1, with the id, opcode, RD and CD of the query (RFC 1035 §4.1.1; RFC 6840 §5.9 for
// CD); AA, TC, RA, AD clear.
wire::Header response_header(const wire::Header& query);

// The largest response allowed: 512 over UDP without EDNS; with EDNS the client's payload
// size (never below 512, RFC 6891 §6.2.5) capped by our own maximum; 65535 over TCP/TLS.
// Less ctx.trailer_reserve, the room the caller needs for a TSIG appended afterwards.
std::size_t response_limit(const wire::Edns* query_edns, const QueryContext& ctx,
                           const ResponderOptions& opts);

// What our OPT will carry in answer to `query_edns`, before padding.
struct ResponseEdns {
  wire::Edns edns;
  bool pad = false;  // RFC 7830 §3 / RFC 8467 §4.1: the query asked for padding over TLS
};
ResponseEdns response_edns(const wire::Edns& query_edns, const QueryContext& ctx,
                           const ResponderOptions& opts);

// Room to keep free for the OPT record written last (with the largest padding).
std::size_t edns_reserve(const ResponseEdns& e);

// Writes the OPT record last, padding the whole message to a multiple of kPaddingBlock
// when asked and when that stays within the builder's limit.
void finish_edns(wire::MessageBuilder& b, const ResponseEdns& e, std::size_t limit);

// A complete answer without data: `rcode`, the question when given, and an OPT when the
// query had EDNS (RFC 6891 §7). Used for FORMERR, NOTIMP, REFUSED, BADVERS and friends.
std::vector<std::uint8_t> error_response(const wire::Header& query_header,
                                         const wire::Question* question,
                                         const wire::Edns* query_edns, wire::Rcode rcode,
                                         const QueryContext& ctx, const ResponderOptions& opts);
// The same into `out`, reusing its capacity.
void error_response(const wire::Header& query_header, const wire::Question* question,
                    const wire::Edns* query_edns, wire::Rcode rcode, const QueryContext& ctx,
                    const ResponderOptions& opts, std::vector<std::uint8_t>& out);

}  // namespace dnspush::auth
