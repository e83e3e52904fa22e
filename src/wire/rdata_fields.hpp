// Internal to the rdata implementation (rdata*.cpp): uncompressed RDATA split into the
// fields its type's descriptor lists, after full validation, and the helpers the
// descriptor table's rules share.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "wire/rdata.hpp"

namespace dnspush::wire::detail {

struct FieldSpan {
  Field field;
  std::size_t offset;  // into the RDATA
  std::size_t length;  // whole field, including any length prefix
};

// The most fields any descriptor has (RRSIG and SIG: 9).
inline constexpr std::size_t kMaxFields = 10;

// Fixed capacity, so splitting RDATA on the answer path does not allocate.
struct FieldSpans {
  std::array<FieldSpan, kMaxFields> items;
  std::size_t count = 0;
  const FieldSpan* begin() const { return items.data(); }
  const FieldSpan* end() const { return items.data() + count; }
};

// The fields of `rdata` per `desc`, or nullopt when it does not match the description
// exactly (every rule rdata_valid checks, including the descriptor's own rule). With
// `check_names` false, names are checked for structure only (label lengths, total
// length, the root at the end) and the caller validates them with Name::from_wire itself.
std::optional<FieldSpans> split_rdata(const RdataDescriptor& desc,
                                      std::span<const std::uint8_t> rdata, bool check_names = true);

// Fields that are one domain name (compression and canonical case apply to these).
bool is_name_field(Field f);

// Length of the uncompressed wire name at rdata[pos..] (labels of 0..63 octets, at most
// 255 in all, ending in the root), or nullopt.
std::optional<std::size_t> name_length(std::span<const std::uint8_t> rdata, std::size_t pos,
                                       bool check_name = true);

// RFC 3403 §4.1 / RFC 2915: NAPTR's REGEXP field is empty or a delimited substitution
// expression whose regular expression is a valid POSIX ERE (rdata_naptr.cpp). Takes the
// whole NAPTR RDATA.
bool naptr_regexp_valid(std::span<const std::uint8_t> rdata);

// ---- Presentation helpers shared by rdata_text.cpp and rdata_text_types.cpp ----

// dig splits long hex and base64 fields into chunks of 56 characters (its +split default).
inline constexpr std::size_t kSplitWidth = 56;

std::uint64_t get_uint(std::span<const std::uint8_t> b);  // big-endian, up to 8 octets
std::string split_chunks(const std::string& s);
std::string hex_upper(std::span<const std::uint8_t> b);
std::string quoted(std::span<const std::uint8_t> b);  // a <character-string>'s text
std::string ipv4_text(std::span<const std::uint8_t> b);
std::string ipv6_text(std::span<const std::uint8_t> b);
std::string type_bitmap_text(std::span<const std::uint8_t> b);  // RFC 4034 §4.1.2 windows
// A type's mnemonic, or its bare number when it has none (BIND's SIG and NXT text).
std::string known_type_text(RRType t);

// The text of the fields that serve one type only (kSecAlg .. kLocator64), given the
// field's bytes and the whole RDATA (some depend on an earlier field).
std::string type_field_text(Field f, std::span<const std::uint8_t> b,
                            std::span<const std::uint8_t> rdata);

// SvcParamKeys (RFC 9460 §14.3.2).
inline constexpr std::uint16_t kSvcMandatory = 0;
inline constexpr std::uint16_t kSvcAlpn = 1;
inline constexpr std::uint16_t kSvcNoDefaultAlpn = 2;
inline constexpr std::uint16_t kSvcPort = 3;
inline constexpr std::uint16_t kSvcIpv4Hint = 4;
inline constexpr std::uint16_t kSvcEch = 5;
inline constexpr std::uint16_t kSvcIpv6Hint = 6;
inline constexpr std::uint16_t kSvcDohPath = 7;
inline constexpr std::uint16_t kSvcInvalidKey = 65535;

}  // namespace dnspush::wire::detail
