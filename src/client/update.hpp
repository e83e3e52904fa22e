// DNS UPDATE (RFC 2136) as a client sends it: the operations `dnspush update` offers
// (add, delete an RRset or a name or one record, replace an RRset), built into one
// UPDATE message for a zone and signed with TSIG (RFC 8945 §4.3.1). Without I/O: the
// caller sends the bytes and checks the answer with check_update_answer().
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "wire/message.hpp"
#include "wire/tsig.hpp"

namespace dnspush::client {

struct UpdateOp {
  enum class Kind : std::uint8_t {
    kAdd,           // RFC 2136 §2.5.1: add `record` to its RRset
    kDeleteRRset,   // §2.5.2: every record of (name, type)
    kDeleteName,    // §2.5.3: every RRset at name
    kDeleteRecord,  // §2.5.4: one record (name, type, rdata)
    kReplace,       // delete the RRset of (name, type), then add `record` (one UPDATE)
  };
  Kind kind = Kind::kAdd;
  wire::Record record;  // owner, type and, for adds/record deletes, ttl and rdata
};

// Parses the command-line form: "add NAME TTL TYPE RDATA...", "delete NAME [TYPE
// [RDATA...]]", "replace NAME TTL TYPE RDATA...". Names are absolute.
Result<UpdateOp> parse_update_op(std::span<const std::string> words);

struct UpdateRequest {
  std::vector<std::uint8_t> bytes;        // signed when a key was given
  std::vector<std::uint8_t> request_mac;  // to verify the answer's TSIG
  std::uint16_t id = 0;
};

// One UPDATE for `zone` with all operations in order (RFC 2136 §3.4.2: applied in
// order, atomically). `now` is the TSIG time (seconds since the epoch).
Result<UpdateRequest> build_update(const wire::Name& zone, std::span<const UpdateOp> ops,
                                   std::uint16_t id, const wire::TsigKey* key, std::uint64_t now);

struct UpdateAnswer {
  wire::Rcode rcode = wire::Rcode::NOERROR;
  // The answer's TSIG: nullopt when no key was used; otherwise the verification result
  // (a REFUSED or NOTAUTH answer may come unsigned, RFC 8945 §5.3.2).
  std::optional<wire::Rcode> tsig;
  std::optional<wire::Rcode> tsig_error;  // the error the server put in its TSIG
};
Result<UpdateAnswer> check_update_answer(std::span<const std::uint8_t> bytes,
                                         const UpdateRequest& req, const wire::TsigKey* key,
                                         std::uint64_t now);

}  // namespace dnspush::client
