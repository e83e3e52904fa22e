// RFC 1035 §5 master files via Knot's libzscanner ($ORIGIN, $TTL, $INCLUDE, relative
// names). A bad file is refused as a whole with "file:line: reason".
#pragma once

#include <memory>
#include <string>

#include "base/result.hpp"
#include "wire/name.hpp"
#include "zone/zone.hpp"

namespace dnspush::zone {

Result<std::shared_ptr<const Zone>> load_zone_file(const std::string& path,
                                                   const wire::Name& origin);

}  // namespace dnspush::zone
