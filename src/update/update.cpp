#include "update/update.hpp"

#include "update/checks.hpp"
#include "update/scratch.hpp"

namespace dnspush::update {

using wire::Rcode;

namespace {

Outcome refuse(Failure f) {
  Outcome o;
  o.rcode = f.rcode;
  o.reason = std::move(f.reason);
  return o;
}

}  // namespace

ZoneSelection select_zone(const wire::Message& update, const zone::Catalogue& catalogue) {
  if (auto f = check_zone_section(update)) return ZoneSelection{f->rcode, nullptr, f->reason};
  const wire::Name& zname = update.questions.front().name;
  // RFC 2136 §3.1.1: ZNAME must be the name of one of our zones, not a name inside one.
  const auto* z = catalogue.find_exact(zname);
  if (z == nullptr || *z == nullptr) {
    return ZoneSelection{Rcode::NOTAUTH, nullptr,
                         "NOTAUTH: not authoritative for zone " + zname.to_text()};
  }
  return ZoneSelection{Rcode::NOERROR, *z, {}};
}

Outcome process(const wire::Message& update, const zone::Zone& zone) {
  // RFC 2136 §3.1: zone section.
  if (auto f = check_zone_section(update)) return refuse(std::move(*f));
  if (!(update.questions.front().name == zone.origin())) {
    return refuse(Failure{Rcode::NOTAUTH, "NOTAUTH: zone " +
                                              update.questions.front().name.to_text() + " is not " +
                                              zone.origin().to_text()});
  }
  // RFC 2136 §3.2: prerequisites, against the zone as it is now.
  if (auto f = check_prerequisites(update.answers, zone)) return refuse(std::move(*f));
  // RFC 2136 §3.4.1: the whole update section is checked before any of it is applied.
  if (auto f = prescan(update.authorities, zone.origin())) return refuse(std::move(*f));
  // RFC 2136 §3.4.2: applied in order to a scratch copy; the zone itself changes only
  // when the caller applies the changeset, so the UPDATE is all or nothing (§3.7).
  Scratch scratch(zone);
  for (const wire::Record& rr : update.authorities) scratch.apply(rr);
  Outcome o;
  o.changeset = scratch.changeset();
  return o;
}

wire::Message make_response(const wire::Message& update, Rcode rcode) {
  wire::Message m;
  m.header.id = update.header.id;
  m.header.opcode = update.header.opcode;
  m.header.qr = true;
  m.set_rcode(rcode);
  return m;
}

}  // namespace dnspush::update
