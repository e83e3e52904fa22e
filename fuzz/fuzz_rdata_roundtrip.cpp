// libFuzzer target: accepted RDATA -> presentation text -> parsed back -> the same RDATA.
//
// Input: a 16-bit type code (a code that is not a described type is mapped onto one, so
// mutations stay on described types) and the RDATA. For RDATA that rdata_valid accepts:
//  - reading it from a message (uncompressed, and after writing it under each compression
//    policy) gives the same bytes, and reading refuses what validation refuses;
//  - rdata_to_text never falls back to the generic form (except for NULL, whose form it is);
//  - libzscanner (Knot's zone file parser, the one the zone layer uses) parses the text
//    back to RDATA that is canonically equal, for every type libzscanner knows.
// Any mismatch calls abort(). libzscanner is GPL-3+: fine for a fuzzer, never linked into
// the wire library.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "wire/rdata.hpp"
#include "wire/rdata_fields.hpp"

extern "C" {
#include <libzscanner/scanner.h>
}

namespace {

using namespace dnspush::wire;
using Bytes = std::vector<std::uint8_t>;

[[noreturn]] void mismatch(const char* what, RRType type, std::span<const std::uint8_t> rd,
                           const std::string& text = {}) {
  std::fprintf(stderr, "rdata round-trip mismatch (%s): %s, %zu octets:", what,
               to_text(type).c_str(), rd.size());
  for (std::uint8_t b : rd) std::fprintf(stderr, " %02X", b);
  std::fprintf(stderr, "\ntext: %s\n", text.c_str());
  std::abort();
}

// The RDATA as it sits in a message after a 12-octet header and "example.com.".
dnspush::Result<Bytes> read_in_message(RRType type, std::span<const std::uint8_t> rdata) {
  Bytes msg(12, 0);
  const Name origin = *Name::from_text("example.com.");
  msg.insert(msg.end(), origin.wire().begin(), origin.wire().end());
  const std::size_t at = msg.size();
  msg.insert(msg.end(), rdata.begin(), rdata.end());
  Reader r(msg);
  r.skip(at);
  return read_rdata(r, type, static_cast<std::uint16_t>(rdata.size()));
}

Bytes write_in_message(RRType type, std::span<const std::uint8_t> rdata, Compression c) {
  Writer w;
  w.bytes(Bytes(12, 0));
  w.name(*Name::from_text("example.com."), false);
  const std::size_t at = w.size();
  write_rdata(w, type, rdata, c);
  return Bytes(w.data().begin() + static_cast<long>(at), w.data().end());
}

struct Parsed {
  int records = 0;
  int error = 0;
  std::uint16_t type = 0;
  Bytes rdata;
};

void on_record(zs_scanner_t* s) {
  auto* p = static_cast<Parsed*>(s->process.data);
  ++p->records;
  p->type = s->r_type;
  p->rdata.assign(s->r_data, s->r_data + s->r_data_length);
}

void on_error(zs_scanner_t* s) {
  auto* p = static_cast<Parsed*>(s->process.data);
  if (p->error == 0) p->error = s->error.code;
  s->state = ZS_STATE_STOP;
}

// One record line through libzscanner; nullopt when the scanner cannot be set up.
Parsed zscan(const std::string& line) {
  static auto scanner = std::make_unique<zs_scanner_t>();  // large: keep off the stack
  Parsed p;
  zs_scanner_t* s = scanner.get();
  if (zs_init(s, "example.", 1, 3600) != 0) std::abort();
  if (zs_set_input_string(s, line.data(), line.size()) != 0 ||
      zs_set_processing(s, on_record, on_error, &p) != 0) {
    std::abort();
  }
  if (zs_parse_all(s) != 0 && p.error == 0) p.error = s->error.code;
  zs_deinit(s);
  return p;
}

// Name::to_text escapes what BIND escapes ('.', ';', '\\', '(', ')', '@', '$', '"' and
// non-printables); libzscanner also refuses other printable characters in names, such as
// "'" or ",". That is the name printer's concern (owner names share it), not RDATA's, and
// is left out here: true when a name in the RDATA has such a character.
bool names_beyond_zscanner(RRType type, std::span<const std::uint8_t> rd) {
  const auto fields = detail::split_rdata(*descriptor(type), rd);
  if (!fields) return false;
  for (const auto& f : *fields) {
    const auto b = rd.subspan(f.offset, f.length);
    std::size_t p = 0;
    const bool names = detail::is_name_field(f.field) || f.field == Field::kNameList ||
                       f.field == Field::kA6Prefix || f.field == Field::kGateway;
    if (!names) continue;
    while (p < b.size()) {  // any label octet that is printable but not [A-Za-z0-9_*/-]
      const std::size_t len = b[p];
      if (len == 0 || len > 63) break;
      for (std::size_t i = p + 1; i <= p + len && i < b.size(); ++i) {
        const std::uint8_t c = b[i];
        const bool plain = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                           (c >= 'A' && c <= 'Z') || c == '-' || c == '_' || c == '*' || c == '/';
        const bool escaped = c <= 0x20 || c >= 0x7F || c == '.' || c == ';' || c == '\\' ||
                             c == '(' || c == ')' || c == '@' || c == '$' || c == '"';
        if (!plain && !escaped) return true;
      }
      p += 1 + len;
    }
  }
  return false;
}

void check(RRType type, std::span<const std::uint8_t> rd) {
  const bool valid = rdata_valid(type, rd);
  if (rd.empty()) return;  // RDLENGTH 0 is UPDATE's empty RDATA on input, not a record
  auto read = read_in_message(type, rd);
  // Reading may succeed where validation fails only by following a compression pointer
  // (RFC 3597 §4: tolerated on input), and then it returns other (decompressed) bytes.
  const bool same = read && std::equal(read->begin(), read->end(), rd.begin(), rd.end());
  if (valid != same) mismatch("validation and reading disagree", type, rd);
  if (!valid) return;
  if (!std::equal(read->begin(), read->end(), rd.begin(), rd.end())) {
    mismatch("read changed the bytes", type, rd);
  }
  for (auto c : {Compression::kNone, Compression::kUnicast, Compression::kPush}) {
    const Bytes written = write_in_message(type, rd, c);
    auto back = read_in_message(type, written);
    // Compression may point at an earlier spelling of a name in other case (names compare
    // case-insensitively), so compressed forms need only be canonically equal.
    if (!back || (c == Compression::kNone ? *back != Bytes(rd.begin(), rd.end())
                                          : !rdata_equal(type, *back, rd))) {
      mismatch("write/read", type, rd);
    }
  }

  const std::string text = rdata_to_text(type, rd);
  if (type != RRType::NULL_ && text.rfind("\\# ", 0) == 0) {
    mismatch("valid RDATA printed in generic form", type, rd, text);
  }
  const std::string line = "x 3600 IN " + to_text(type) + " " + text + "\n";
  const Parsed p = zscan(line);
  if (p.error == ZS_UNSUPPORTED_TYPE) return;  // a type libzscanner does not know
  if (names_beyond_zscanner(type, rd)) return;
  if (p.error != 0 || p.records != 1) {
    mismatch(zs_strerror(p.error == 0 ? ZS_BAD_RDATA : p.error), type, rd, text);
  }
  if (p.type != static_cast<std::uint16_t>(type) || !rdata_equal(type, p.rdata, rd)) {
    mismatch("text parses back to other RDATA", type, rd, text);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2 || size - 2 > 0xFFFF) return 0;
  auto type = static_cast<RRType>((data[0] << 8) | data[1]);
  if (descriptor(type) == nullptr) {
    const auto all = descriptors();
    type = all[((data[0] << 8) | data[1]) % all.size()].type;
  }
  check(type, std::span<const std::uint8_t>(data + 2, size - 2));
  return 0;
}
