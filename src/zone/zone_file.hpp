// RFC 1035 §5 master files via Knot's libzscanner ($ORIGIN, $TTL, $INCLUDE, relative
// names). A bad file is refused as a whole with "file:line: reason".
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "wire/name.hpp"
#include "zone/zone.hpp"

namespace dnspush::zone {

// The default TTL of a record without one when the file has no $TTL: 3600 s, as Knot's
// default. Not the SOA MINIMUM: RFC 2308 §4 made that field the negative-caching TTL
// (BIND's fallback to it predates that), and the scanner settles each record's TTL when
// it reads the record, before a later SOA could be consulted.
inline constexpr std::uint32_t kDefaultZoneTtl = 3600;

// Loads a master file. Errors name the file (the included one for $INCLUDE) and line.
Result<std::shared_ptr<const Zone>> load_zone_file(const std::string& path,
                                                   const wire::Name& origin);

// The same from text held in memory; `display_name` stands in for the file name in
// errors. Relative $INCLUDE paths resolve against the working directory.
Result<std::shared_ptr<const Zone>> load_zone_text(std::string_view text, const wire::Name& origin,
                                                   std::string_view display_name = "<text>");

// Whether the loader (libzscanner 3.2) reads this type's presentation form. The zone
// writer uses the RFC 3597 generic form for the others (e.g. HIP, WKS, A6, GPOS), so a
// file it writes always loads again.
bool loader_reads_type(wire::RRType type);

// Parses master-file text into records without any zone rules (for building changesets,
// e.g. in tests and tools): "www 60 IN A 192.0.2.1" relative to `origin`.
Result<std::vector<wire::Record>> parse_records(std::string_view text, const wire::Name& origin);

}  // namespace dnspush::zone
