#include "server/answers.hpp"

#include <spdlog/spdlog.h>

#include "auth/response.hpp"

namespace dnspush::server {

std::vector<std::uint8_t> rcode_answer(const wire::Message& request, wire::Rcode rcode,
                                       WithQuestion q, const auth::QueryContext& ctx,
                                       const auth::ResponderOptions& opts,
                                       const std::optional<wire::TsigVerifyResult>& tsig,
                                       std::uint64_t now, bool authoritative) {
  // RFC 8945 §5.3.2: signed, unless the request's TSIG was itself malformed (FORMERR).
  const bool sign = tsig && tsig->error != wire::Rcode::FORMERR;
  auth::QueryContext c = ctx;
  if (sign && tsig->key) c.trailer_reserve += wire::tsig_wire_size(*tsig->key);
  wire::Header h = request.header;
  if (h.opcode == wire::Opcode::UPDATE) {
    // RFC 2136 §2.2: UPDATE has no RD/CD; those bits are Z there and answered as zero.
    h.rd = h.cd = false;
  }
  const wire::Question* question =
      q == WithQuestion::kYes && !request.questions.empty() ? &request.questions.front() : nullptr;
  auto out =
      auth::error_response(h, question, request.edns ? &*request.edns : nullptr, rcode, c, opts);
  if (authoritative && out.size() > 2) out[2] |= 0x04;  // RFC 1035 §4.1.1: AA; before signing
  if (sign) {
    if (auto r = wire::tsig_sign_answer(out, *tsig, now); !r) {
      spdlog::warn("cannot sign an answer: {}", r.error().message);
    }
  }
  return out;
}

}  // namespace dnspush::server
