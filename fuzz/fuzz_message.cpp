// libFuzzer target: Message::parse, then a decode -> encode -> decode round trip.
// Whatever parses must re-encode (uncompressed) to bytes that parse to the same message;
// every record must also render as text without crashing.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "wire/message.hpp"
#include "wire/rdata.hpp"

namespace {

using dnspush::wire::Message;
using dnspush::wire::Name;
using dnspush::wire::Record;

[[noreturn]] void mismatch(const char* what) {
  std::fprintf(stderr, "round-trip mismatch: %s\n", what);
  std::abort();
}

bool same_bytes(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// `exact`: names and RDATA byte for byte (an uncompressed re-encoding must preserve case);
// otherwise case-insensitively, since compression may point at a differently-cased copy.
bool same_name(const Name& a, const Name& b, bool exact) {
  return exact ? same_bytes(a.wire(), b.wire()) : a == b;
}

void check_records(const std::vector<Record>& a, const std::vector<Record>& b, bool exact) {
  if (a.size() != b.size()) mismatch("record count");
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!same_name(a[i].owner, b[i].owner, exact)) mismatch("owner");
    if (a[i].type != b[i].type || a[i].cls != b[i].cls || a[i].ttl != b[i].ttl) {
      mismatch("type/class/ttl");
    }
    if (exact ? a[i].rdata != b[i].rdata
              : !dnspush::wire::rdata_equal(a[i].type, a[i].rdata, b[i].rdata)) {
      mismatch("rdata");
    }
  }
}

void check_equal(const Message& a, const Message& b, bool exact) {
  const auto& x = a.header;
  const auto& y = b.header;
  if (x.id != y.id || x.qr != y.qr || x.opcode != y.opcode || x.aa != y.aa || x.tc != y.tc ||
      x.rd != y.rd || x.ra != y.ra || x.z != y.z || x.ad != y.ad || x.cd != y.cd ||
      x.rcode != y.rcode) {
    mismatch("header");
  }
  if (a.questions.size() != b.questions.size()) mismatch("question count");
  for (std::size_t i = 0; i < a.questions.size(); ++i) {
    if (!same_name(a.questions[i].name, b.questions[i].name, exact) ||
        a.questions[i].type != b.questions[i].type || a.questions[i].cls != b.questions[i].cls) {
      mismatch("question");
    }
  }
  check_records(a.answers, b.answers, exact);
  check_records(a.authorities, b.authorities, exact);
  check_records(a.additionals, b.additionals, exact);
  if (a.edns.has_value() != b.edns.has_value()) mismatch("edns presence");
  if (a.edns) {
    const auto& e = *a.edns;
    const auto& f = *b.edns;
    if (e.udp_payload != f.udp_payload || e.extended_rcode != f.extended_rcode ||
        e.version != f.version || e.dnssec_ok != f.dnssec_ok || e.flags != f.flags ||
        e.options.size() != f.options.size()) {
      mismatch("edns");
    }
    for (std::size_t i = 0; i < e.options.size(); ++i) {
      if (e.options[i].code != f.options[i].code || e.options[i].data != f.options[i].data) {
        mismatch("edns option");
      }
    }
  }
  if (a.tsig_offset.has_value() != b.tsig_offset.has_value()) mismatch("tsig presence");
}

// The size of the message written without compression, to tell a message that cannot
// be re-encoded in 65,535 bytes (decompression grew it) from a real failure.
std::size_t uncompressed_size(const Message& m) {
  std::size_t n = dnspush::wire::kHeaderSize;
  for (const auto& q : m.questions) n += q.name.wire_size() + 4;
  for (const auto* s : {&m.answers, &m.authorities, &m.additionals}) {
    for (const auto& r : *s) n += r.owner.wire_size() + 10 + r.rdata.size();
  }
  if (m.edns) n += m.edns->wire_size();
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto parsed = Message::parse(std::span<const std::uint8_t>(data, size));
  if (!parsed) return 0;
  const Message& m = *parsed;

  for (const auto* s : {&m.answers, &m.authorities, &m.additionals}) {
    for (const auto& r : *s) {
      (void)dnspush::wire::rdata_to_text(r.type, r.rdata);
      (void)dnspush::wire::to_text(r);
      // What the parser accepted (other than UPDATE's empty RDATA) is valid RDATA.
      if (!r.rdata.empty() && !dnspush::wire::rdata_valid(r.type, r.rdata)) {
        mismatch("parsed RDATA not valid");
      }
      if (!dnspush::wire::rdata_equal(r.type, r.rdata, r.rdata)) mismatch("rdata_equal");
    }
  }
  (void)dnspush::wire::to_text(m);

  const auto wire = m.to_wire(dnspush::wire::Compression::kNone);
  auto again = Message::parse(wire);
  if (!again) {
    if (uncompressed_size(m) > 65535) return 0;
    std::fprintf(stderr, "re-parse failed: %s\n", again.error().message.c_str());
    mismatch("re-parse");
  }
  check_equal(m, *again, true);

  // Compressed encodings must decode to the same message too.
  for (auto c : {dnspush::wire::Compression::kUnicast, dnspush::wire::Compression::kPush}) {
    auto compressed = Message::parse(m.to_wire(c));
    if (!compressed) {
      std::fprintf(stderr, "compressed re-parse failed: %s\n", compressed.error().message.c_str());
      mismatch("compressed re-parse");
    }
    check_equal(*again, *compressed, false);
  }
  return 0;
}
