#include "zone/zone_file.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>

// libzscanner's headers have no extern "C" of their own (DESIGN.md "Zone files").
extern "C" {
#include <libzscanner/scanner.h>
}

namespace dnspush::zone {

namespace {

// Where scanned records go: into a ZoneBuilder (zone rules checked per record) or into
// a plain list.
struct ScanState {
  ZoneBuilder* builder = nullptr;
  std::vector<wire::Record>* records = nullptr;
  std::string display_name;    // for input that is not a file
  std::optional<Error> error;  // the first error; nothing after it is looked at
};

std::string where(const zs_scanner_t* s, const ScanState& st) {
  const std::string file = s->file.name != nullptr ? std::string(s->file.name) : st.display_name;
  return file + ":" + std::to_string(s->line_counter) + ": ";
}

// Called for every record, including those of $INCLUDEd files: the scanner parses them
// with a nested scanner sharing `process.data`, so `s` then names the included file.
void on_record(zs_scanner_t* s) {
  auto* st = static_cast<ScanState*>(s->process.data);
  if (st->error) {
    s->state = ZS_STATE_STOP;
    return;
  }
  auto owner = wire::Name::from_wire(std::span<const std::uint8_t>(s->r_owner, s->r_owner_length));
  if (!owner) {
    st->error = Error{Errc::kMalformed, where(s, *st) + owner.error().message};
    s->state = ZS_STATE_STOP;
    return;
  }
  wire::Record r;
  r.owner = std::move(*owner);
  r.type = static_cast<wire::RRType>(s->r_type);
  r.cls = static_cast<wire::RRClass>(s->r_class);
  r.ttl = s->r_ttl;
  r.rdata.assign(s->r_data, s->r_data + s->r_data_length);
  if (st->builder != nullptr) {
    if (auto ok = st->builder->add(r); !ok) {
      st->error = Error{ok.error().code, where(s, *st) + ok.error().message};
      s->state = ZS_STATE_STOP;
    }
  } else {
    st->records->push_back(std::move(r));
  }
}

void on_error(zs_scanner_t* s) {
  auto* st = static_cast<ScanState*>(s->process.data);
  if (!st->error) st->error = Error{Errc::kMalformed, where(s, *st) + zs_strerror(s->error.code)};
  s->state = ZS_STATE_STOP;  // one error refuses the whole input
}

// Runs the scanner over a file (`path`) or a string (`text`); errors land in `st`.
void scan(ScanState& st, const wire::Name& origin, const std::string* path, std::string_view text) {
  // The scanner context embeds several 64 KiB buffers: keep it off the stack.
  auto scanner = std::make_unique<zs_scanner_t>();
  zs_scanner_t* s = scanner.get();
  const std::string label = path != nullptr ? *path : st.display_name;
  if (zs_init(s, origin.to_text().c_str(), static_cast<std::uint16_t>(wire::RRClass::IN),
              kDefaultZoneTtl) != 0) {
    st.error = Error{Errc::kInvalidConfig, label + ": bad origin " + origin.to_text() + ": " +
                                               zs_strerror(s->error.code)};
    zs_deinit(s);
    return;
  }
  const int in = path != nullptr ? zs_set_input_file(s, path->c_str())
                                 : zs_set_input_string(s, text.data(), text.size());
  if (in != 0) {
    st.error = Error{path != nullptr ? Errc::kIo : Errc::kMalformed,
                     label + ": " + zs_strerror(s->error.code)};
    zs_deinit(s);
    return;
  }
  if (zs_set_processing(s, on_record, on_error, &st) != 0) {
    st.error = Error{Errc::kInvalidConfig, label + ": " + zs_strerror(s->error.code)};
    zs_deinit(s);
    return;
  }
  if (zs_parse_all(s) != 0 && !st.error) {
    st.error = Error{Errc::kMalformed, where(s, st) + zs_strerror(s->error.code)};
  }
  zs_deinit(s);
}

Result<std::shared_ptr<const Zone>> load(const wire::Name& origin, const std::string* path,
                                         std::string_view text, std::string_view display_name) {
  ZoneBuilder builder(origin);
  ScanState st;
  st.builder = &builder;
  st.display_name = std::string(display_name);
  scan(st, origin, path, text);
  if (st.error) return tl::unexpected(std::move(*st.error));
  // Whole-zone rules (an apex SOA and NS) have no line of their own.
  auto z = std::move(builder).finish();
  if (!z) return fail(z.error().code, std::string(display_name) + ": " + z.error().message);
  return z;
}

}  // namespace

Result<std::shared_ptr<const Zone>> load_zone_file(const std::string& path,
                                                   const wire::Name& origin) {
  return load(origin, &path, {}, path);
}

Result<std::shared_ptr<const Zone>> load_zone_text(std::string_view text, const wire::Name& origin,
                                                   std::string_view display_name) {
  return load(origin, nullptr, text, display_name);
}

bool loader_reads_type(wire::RRType type) {
  using wire::RRType;
  // Knot 3.2's descriptor table less its obsolete types (src/libknot/descriptor.c).
  static constexpr RRType kRead[] = {
      RRType::A,     RRType::NS,     RRType::CNAME, RRType::SOA,      RRType::PTR,
      RRType::HINFO, RRType::MINFO,  RRType::MX,    RRType::TXT,      RRType::RP,
      RRType::AFSDB, RRType::RT,     RRType::KEY,   RRType::AAAA,     RRType::LOC,
      RRType::SRV,   RRType::NAPTR,  RRType::KX,    RRType::CERT,     RRType::DNAME,
      RRType::APL,   RRType::DS,     RRType::SSHFP, RRType::IPSECKEY, RRType::RRSIG,
      RRType::NSEC,  RRType::DNSKEY, RRType::DHCID, RRType::NSEC3,    RRType::NSEC3PARAM,
      RRType::TLSA,  RRType::SMIMEA, RRType::CDS,   RRType::CDNSKEY,  RRType::OPENPGPKEY,
      RRType::CSYNC, RRType::ZONEMD, RRType::SVCB,  RRType::HTTPS,    RRType::SPF,
      RRType::NID,   RRType::L32,    RRType::L64,   RRType::LP,       RRType::EUI48,
      RRType::EUI64, RRType::URI,    RRType::CAA};
  for (RRType t : kRead) {
    if (t == type) return true;
  }
  return false;
}

Result<std::vector<wire::Record>> parse_records(std::string_view text, const wire::Name& origin) {
  std::vector<wire::Record> out;
  ScanState st;
  st.records = &out;
  st.display_name = "<text>";
  scan(st, origin, nullptr, text);
  if (st.error) return tl::unexpected(std::move(*st.error));
  return out;
}

}  // namespace dnspush::zone
