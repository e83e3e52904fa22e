#include "zone/changeset.hpp"

#include "wire/reader.hpp"

namespace dnspush::zone {

std::optional<SoaFields> parse_soa(std::span<const std::uint8_t> rdata) {
  // RFC 1035 §3.3.13: MNAME, RNAME, then five 32-bit fields. Zone RDATA is uncompressed,
  // so the reader never follows a pointer here.
  wire::Reader r(rdata);
  (void)r.name();
  (void)r.name();
  SoaFields f;
  f.serial = Serial(r.u32());
  f.refresh = r.u32();
  f.retry = r.u32();
  f.expire = r.u32();
  f.minimum = r.u32();
  if (!r.ok() || !r.at_end()) return std::nullopt;
  return f;
}

Serial soa_serial(std::span<const std::uint8_t> rdata) {
  const auto f = parse_soa(rdata);
  return f ? f->serial : Serial(0);
}

Serial Changeset::serial_from() const {
  return soa_serial(soa_from.rdata);
}
Serial Changeset::serial_to() const {
  return soa_serial(soa_to.rdata);
}

}  // namespace dnspush::zone
