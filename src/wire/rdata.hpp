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

// The shapes RDATA fields take. Most are generic; the last group each serve one type
// whose layout no generic field can state (the RFC named beside it).
enum class Field : std::uint8_t {
  kU8,
  kU16,
  kU32,
  kU48,            // TSIG time signed
  kType,           // u16 shown as a type mnemonic (RRSIG type covered)
  kSigType,        // u16 shown as a mnemonic if known, else as a number (SIG, as BIND)
  kTime,           // u32 shown as YYYYMMDDHHmmSS (RRSIG)
  kIPv4,           // 4 bytes
  kIPv6,           // 16 bytes
  kName,           // never compressed on output
  kNameUnicast,    // compressible in ordinary messages and in PUSH
  kNamePush,       // compressible only in PUSH (RFC 6762 §18.14 list)
  kNameList,       // zero or more uncompressed names to the end (HIP servers)
  kCharString,     // <len><bytes>, shown quoted
  kCharStrings,    // one or more char-strings to the end (TXT)
  kCharStringOpt,  // zero or one char-string to the end (ISDN subaddress)
  kCaaTag,         // <len><tag>, shown bare
  kQuotedRest,     // bytes to the end, shown quoted (CAA value, URI target)
  kHexRest,        // one or more bytes to the end, hex (DS digest, TLSA data)
  kBase64Rest,     // one or more bytes to the end, base64 (DNSKEY key, RRSIG signature)
  kBase64RestOpt,  // zero or more bytes to the end, base64, nothing when empty (SINK)
  kBase64OrDash,   // zero or more bytes to the end, base64 unsplit or "-" when empty (DOA)
  kOpaque,         // one or more bytes to the end, shown in RFC 3597 form (NULL)
  kHexLen8,        // <len8><bytes>, hex, "-" when empty (NSEC3 salt)
  kBase32Len8,     // <len8><bytes>, base32hex (NSEC3 next hashed owner)
  kBlob16,         // <len16><bytes>, shown as length and base64 (TSIG MAC / other)
  kTypeBitmap,     // RFC 4034 §4.1.2 windows to the end
  kSvcParams,      // RFC 9460 key/value pairs to the end
  kTsigError,      // u16 shown as an RCODE mnemonic, 16 = BADSIG (RFC 8945 §4.3)
  kSecAlg,         // u8 shown as a DNSSEC algorithm mnemonic (CERT, RFC 4398 §2.1)
  kCertType,       // u16 shown as a certificate type mnemonic (RFC 4398 §2.1)
  kDsyncScheme,    // u8 shown as NOTIFY for 1 (DSYNC)
  kNxtBitmap,      // RFC 2535 §5.2: types 0..127, at most 16 octets
  kWksBitmap,      // RFC 1035 §3.4.2: port bitmap to the end, shown as port numbers
  kLoc,            // RFC 1876 §2: the 16 octets of a version 0 LOC
  kApl,            // RFC 3123 §4: address prefix items to the end
  kGateway,        // RFC 4025 §2.5 / RFC 8777 §4.2.3: by the type at RDATA offset 1
  kAmtRelayType,   // RFC 8777 §4.2: D bit and relay type in one octet, shown "D type"
  kA6Suffix,       // RFC 2874 §3.1: 16 - prefix/8 octets of address, shown as IPv6
  kA6Prefix,       // RFC 2874 §3.1: a name when the prefix length is not 0
  kHipKeys,        // RFC 8005 §5: HIT and public key, lengths in the first 4 octets
  kNsap,           // RFC 1706 §5: one or more bytes to the end, shown 0x<hex>
  kAtma,           // ATM Forum AF-DANS-0152: format octet and address to the end
  kEui48,          // RFC 7043 §3: 6 octets shown xx-xx-xx-xx-xx-xx
  kEui64,          // RFC 7043 §4: 8 octets
  kLocator64,      // RFC 6742 §2.3: 8 octets shown as four 16-bit hex groups
};

struct RdataDescriptor {
  RRType type;
  std::span<const Field> fields;
  // A rule between fields that the list cannot state (a DS digest's length by digest
  // type, the NOKEY flags of KEY, ...), run on RDATA that matched the fields; nullptr
  // when the fields say it all.
  bool (*check)(std::span<const std::uint8_t> rdata) = nullptr;
};

// nullptr for opaque (unknown) types.
const RdataDescriptor* descriptor(RRType type);
// Every described type, in code point order.
std::span<const RdataDescriptor> descriptors();

// Reads `rdlength` bytes of RDATA at the reader's position, decompressing names (any
// name field accepts pointers: tolerant on input, RFC 3597 §4). Returns the uncompressed
// RDATA; fails when the fields do not exactly fill rdlength.
Result<std::vector<std::uint8_t>> read_rdata(Reader& r, RRType type, std::uint16_t rdlength);

// Checks that uncompressed RDATA matches its type's description (e.g. from a zone file
// or an UPDATE).
bool rdata_valid(RRType type, std::span<const std::uint8_t> rdata);

// Rules on the owner of a record of `type` that its RDATA depends on. RFC 5155 §3: an
// NSEC3's owner is the base32hex hash as one label above the zone; BIND refuses a whole
// message (every AXFR of the zone) that has an NSEC3 at any other owner.
bool owner_valid(RRType type, const Name& owner);

// Writes uncompressed RDATA, compressing names as `c` allows. The caller writes RDLENGTH.
void write_rdata(Writer& w, RRType type, std::span<const std::uint8_t> rdata, Compression c);

// Presentation format (RFC 1035 §5.1; RFC 3597 "\# len hex" for opaque types).
std::string rdata_to_text(RRType type, std::span<const std::uint8_t> rdata);

// Presentation text to uncompressed RDATA (RFC 1035 §5.1 quoting and escapes; RFC 3597 §5
// "\# <length> <hex>" for any type). Relative names are appended to `origin`; without
// one they are taken as absolute, as dig does. The result passes rdata_valid().
Result<std::vector<std::uint8_t>> rdata_from_text(RRType type, std::string_view text,
                                                  const Name* origin = nullptr);

// Canonical form (RFC 4034 §6.2: names lowercased in the types it lists) and equality on
// it: two RRs are the same record when owner, type, class and canonical RDATA match.
std::vector<std::uint8_t> canonical_rdata(RRType type, std::span<const std::uint8_t> rdata);
bool rdata_equal(RRType type, std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

}  // namespace dnspush::wire
