// libFuzzer target: RDATA presentation text (wire::rdata_from_text, used by `dnspush
// update`). The first two bytes are the type code, the rest is the text. Whatever parses must
// be valid RDATA, print with rdata_to_text, and that text must parse back to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "wire/rdata.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dnspush::wire;
  if (size < 2) return 0;
  // The type code as in fuzz_rdata_roundtrip's inputs (make_corpus.py writes a seed for
  // every valid vector of rdata_types_test.cpp, as dig prints it).
  const auto type = static_cast<RRType>((data[0] << 8) | data[1]);
  const std::string_view text(reinterpret_cast<const char*>(data + 2), size - 2);
  auto rdata = rdata_from_text(type, text);
  if (!rdata) return 0;
  if (!rdata_valid(type, *rdata) && descriptor(type) != nullptr) {
    std::fprintf(stderr, "accepted invalid RDATA for %s\n", to_text(type).c_str());
    std::abort();
  }
  const std::string shown = rdata_to_text(type, *rdata);
  auto back = rdata_from_text(type, shown);
  if (!back || *back != *rdata) {
    for (unsigned char c : shown) std::fprintf(stderr, "%02x", c);
    std::fprintf(stderr, "\n");
    std::fprintf(stderr, "round trip failed for %s: \"%s\" -> \"%s\" (%s)\n", to_text(type).c_str(),
                 std::string(text).c_str(), shown.c_str(),
                 back ? "different bytes" : back.error().message.c_str());
    std::abort();
  }
  return 0;
}
