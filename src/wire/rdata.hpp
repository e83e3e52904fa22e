// RDATA: each RR type is described once (DESIGN.md convention 2) as a list of fields;
// the same description serves parsing (with decompression), writing (with the
// compression each context allows), presentation text, validation and canonical
// comparison. Types without a description are opaque (RFC 3597).
//
// RDATA is always held in uncompressed wire form with the case of names preserved.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "wire/name.hpp"
#include "wire/reader.hpp"
#include "wire/types.hpp"
#include "wire/writer.hpp"

namespace dnspush::wire {

// Which names inside RDATA may be written as compression pointers.
enum class Compression {
  kNone,     // nothing compressed (canonical form, TSIG input, IXFR journal)
  kUnicast,  // RFC 3597 §4: only the RFC 1035 types (NS, CNAME, SOA, PTR, MX, MINFO, ...)
  kPush,     // RFC 8765 §6.4 / RFC 6762 §18.14: also SRV, NSEC, DNAME, RP, AFSDB, RT, KX, PX
};

enum class Field : std::uint8_t {
  kU8,
  kU16,
  kU32,
  kU48,             // TSIG time signed
  kType,            // u16 shown as a type mnemonic (RRSIG type covered)
  kTime,            // u32 shown as YYYYMMDDHHmmSS (RRSIG)
  kIPv4,            // 4 bytes
  kIPv6,            // 16 bytes
  kName,            // never compressed on output
  kNameUnicast,     // compressible in ordinary messages and in PUSH
  kNamePush,        // compressible only in PUSH (RFC 6762 §18.14 list)
  kCharString,      // <len><bytes>, shown quoted
  kCharStrings,     // one or more char-strings to the end (TXT)
  kCaaTag,          // <len><tag>, shown bare
  kCaaValue,        // bytes to the end, shown quoted
  kHexRest,         // bytes to the end, hex (DS digest, TLSA data)
  kBase64Rest,      // bytes to the end, base64 (DNSKEY key, RRSIG signature)
  kHexLen8,         // <len8><bytes>, hex, "-" when empty (NSEC3 salt)
  kBase32Len8,      // <len8><bytes>, base32hex (NSEC3 next hashed owner)
  kBlob16,          // <len16><bytes>, shown as length and base64 (TSIG MAC / other)
  kTypeBitmap,      // RFC 4034 §4.1.2 windows to the end
  kSvcParams,       // RFC 9460 key/value pairs to the end
  kTsigError,       // u16 shown as an RCODE mnemonic, 16 = BADSIG (RFC 8945 §4.3)
};

struct RdataDescriptor {
  RRType type;
  std::span<const Field> fields;
};

// nullptr for opaque (unknown) types.
const RdataDescriptor* descriptor(RRType type);

// Reads `rdlength` bytes of RDATA at the reader's position, decompressing names (any
// name field accepts pointers: tolerant on input, RFC 3597 §4). Returns the uncompressed
// RDATA; fails when the fields do not exactly fill rdlength.
Result<std::vector<std::uint8_t>> read_rdata(Reader& r, RRType type, std::uint16_t rdlength);

// Checks that uncompressed RDATA matches its type's description (e.g. from a zone file
// or an UPDATE).
bool rdata_valid(RRType type, std::span<const std::uint8_t> rdata);

// Writes uncompressed RDATA, compressing names as `c` allows. The caller writes RDLENGTH.
void write_rdata(Writer& w, RRType type, std::span<const std::uint8_t> rdata, Compression c);

// Presentation format (RFC 1035 §5.1; RFC 3597 "\# len hex" for opaque types).
std::string rdata_to_text(RRType type, std::span<const std::uint8_t> rdata);

// Canonical form (RFC 4034 §6.2: names lowercased in the types it lists) and equality on
// it: two RRs are the same record when owner, type, class and canonical RDATA match.
std::vector<std::uint8_t> canonical_rdata(RRType type, std::span<const std::uint8_t> rdata);
bool rdata_equal(RRType type, std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

}  // namespace dnspush::wire
