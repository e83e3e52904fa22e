// Helpers shared by the zone tests: names and records from presentation text (through
// the same libzscanner path the loader uses), so tests read like zone files.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "wire/message.hpp"
#include "wire/name.hpp"
#include "zone/zone.hpp"
#include "zone/zone_file.hpp"

namespace dnspush::zone::test {

inline wire::Name name(std::string_view text) {
  auto n = wire::Name::from_text(text);
  EXPECT_TRUE(n.has_value()) << text;
  return n ? *n : wire::Name();
}

// Records from master-file lines, relative to `origin`.
inline std::vector<wire::Record> records(std::string_view text,
                                         std::string_view origin = "example.com.") {
  auto rs = parse_records(text, name(origin));
  EXPECT_TRUE(rs.has_value()) << (rs ? "" : rs.error().message);
  return rs ? *rs : std::vector<wire::Record>{};
}

// Exactly one record from one line.
inline wire::Record rr(std::string_view line, std::string_view origin = "example.com.") {
  auto rs = records(std::string(line) + "\n", origin);
  EXPECT_EQ(rs.size(), 1u) << line;
  return rs.empty() ? wire::Record{} : rs.front();
}

inline constexpr std::string_view kBaseZone =
    "$TTL 300\n"
    "@    SOA ns1 hostmaster 1 7200 3600 1209600 60\n"
    "@    NS  ns1\n"
    "ns1  A   192.0.2.1\n"
    "www  A   192.0.2.10\n";

inline std::shared_ptr<const Zone> zone_from(std::string_view text,
                                             std::string_view origin = "example.com.") {
  auto z = load_zone_text(text, name(origin));
  EXPECT_TRUE(z.has_value()) << (z ? "" : z.error().message);
  return z ? *z : nullptr;
}

// The SOA of example.com. with another serial, for a changeset's soa_to.
inline wire::Record soa(std::uint32_t serial, std::string_view origin = "example.com.") {
  return rr("@ 300 SOA ns1 hostmaster " + std::to_string(serial) + " 7200 3600 1209600 60", origin);
}

}  // namespace dnspush::zone::test
