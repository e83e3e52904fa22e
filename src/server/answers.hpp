// The one path for answers that carry an RCODE and no data: UPDATE results (RFC 2136 §3.8),
// TSIG failures (RFC 8945 §5.2), policy refusals and transfer errors (RFC 5936 §2.2.1).
// auth::error_response writes the header, the question when asked, and the OPT record the
// transport calls for (EDNS payload, edns-tcp-keepalive, RFC 8467 padding on TLS); the
// answer is then signed when the request was (RFC 8945 §5.3.2), with room kept for the
// TSIG so padding and size limits hold for the signed message. Queries with data go
// through auth::Responder, which shares the same building blocks (auth/response.hpp);
// DSO responses and PUSH messages use the same RFC 8467 block policy (dso/, push/).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "auth/query_context.hpp"
#include "auth/responder.hpp"
#include "wire/message.hpp"
#include "wire/tsig.hpp"

namespace dnspush::server {

enum class WithQuestion { kNo, kYes };

// `authoritative` sets AA (a NOTIFY response, RFC 1996 §4.7).

std::vector<std::uint8_t> rcode_answer(const wire::Message& request, wire::Rcode rcode,
                                       WithQuestion q, const auth::QueryContext& ctx,
                                       const auth::ResponderOptions& opts,
                                       const std::optional<wire::TsigVerifyResult>& tsig,
                                       std::uint64_t now, bool authoritative = false);

}  // namespace dnspush::server
