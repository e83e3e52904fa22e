// DNS UPDATE (RFC 2136) as a pure function: an UPDATE message and the current zone in,
// an RCODE and (when something changes) a zone::Changeset out. No I/O, no clock, no
// locks: the caller (the one writer for zone data) applies the changeset with
// zone::Zone::apply, journals it and answers with make_response. Nothing here touches
// the zone, so a failure at any step leaves it as it was (RFC 2136 §3.7 atomicity).
//
// Not here: TSIG verification and the permission check of §3.3 (the server does both
// before calling process), and forwarding to a primary (§6; we are primary only).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "wire/message.hpp"
#include "wire/types.hpp"
#include "zone/catalogue.hpp"
#include "zone/changeset.hpp"
#include "zone/zone.hpp"

namespace dnspush::update {

struct Outcome {
  wire::Rcode rcode = wire::Rcode::NOERROR;
  // Set only when the rcode is NOERROR and the zone changes. soa_from is the zone's SOA;
  // soa_to carries the next serial (RFC 2136 §3.6, RFC 1982).
  std::optional<zone::Changeset> changeset;
  std::string reason;  // why the rcode is not NOERROR, for logs; empty otherwise

  bool ok() const { return rcode == wire::Rcode::NOERROR; }
};

// RFC 2136 §3.1: the zone an UPDATE is for. FORMERR unless there is exactly one zone
// RR of type SOA; NOTAUTH unless ZNAME/ZCLASS name a zone of ours (class IN; we are
// primary for every zone we hold, so there is nothing to forward).
struct ZoneSelection {
  wire::Rcode rcode = wire::Rcode::NOERROR;
  std::shared_ptr<const zone::Zone> zone;  // set when rcode is NOERROR
  std::string reason;
};
ZoneSelection select_zone(const wire::Message& update, const zone::Catalogue& catalogue);

// RFC 2136 §3.1–§3.4: checks the zone section against `zone` (NOTAUTH when ZNAME is not
// its origin), the prerequisites against the zone as it is, prescans the update section
// and applies it in order to a scratch copy. The changeset is the net difference (an RR
// added and deleted by the same UPDATE is in neither list); nullopt when the UPDATE
// changes nothing (still NOERROR, nothing to commit).
Outcome process(const wire::Message& update, const zone::Zone& zone);

// RFC 2136 §3.8: ID and opcode copied, QR set, the section counts zero. The server adds
// EDNS and TSIG as the request had them.
wire::Message make_response(const wire::Message& update, wire::Rcode rcode);

}  // namespace dnspush::update
