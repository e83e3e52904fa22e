// Internal to the rdata implementation (rdata.cpp, rdata_text.cpp): uncompressed RDATA
// split into the fields its type's descriptor lists, after full validation.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "wire/rdata.hpp"

namespace dnspush::wire::detail {

struct FieldSpan {
  Field field;
  std::size_t offset;  // into the RDATA
  std::size_t length;  // whole field, including any length prefix
};

// The most fields any descriptor has (RRSIG: 9).
inline constexpr std::size_t kMaxFields = 10;

// Fixed capacity, so splitting RDATA on the answer path does not allocate.
struct FieldSpans {
  std::array<FieldSpan, kMaxFields> items;
  std::size_t count = 0;
  const FieldSpan* begin() const { return items.data(); }
  const FieldSpan* end() const { return items.data() + count; }
};

// The fields of `rdata` per `desc`, or nullopt when it does not match the description
// exactly (every rule rdata_valid checks). With `check_names` false, names are checked for
// structure only (label lengths, total length, the root at the end) and the caller
// validates them with Name::from_wire itself.
std::optional<FieldSpans> split_rdata(const RdataDescriptor& desc,
                                      std::span<const std::uint8_t> rdata, bool check_names = true);

bool is_name_field(Field f);

// SvcParamKeys (RFC 9460 §14.3.2).
inline constexpr std::uint16_t kSvcMandatory = 0;
inline constexpr std::uint16_t kSvcAlpn = 1;
inline constexpr std::uint16_t kSvcNoDefaultAlpn = 2;
inline constexpr std::uint16_t kSvcPort = 3;
inline constexpr std::uint16_t kSvcIpv4Hint = 4;
inline constexpr std::uint16_t kSvcEch = 5;
inline constexpr std::uint16_t kSvcIpv6Hint = 6;
inline constexpr std::uint16_t kSvcInvalidKey = 65535;

}  // namespace dnspush::wire::detail
