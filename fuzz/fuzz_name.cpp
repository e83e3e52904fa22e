// libFuzzer target: domain names. Text -> name -> text -> name must give the same wire
// bytes (case preserved); wire input that from_wire accepts must survive the same trip.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include "wire/name.hpp"

namespace {

using dnspush::wire::Name;

[[noreturn]] void mismatch(const char* what, const std::string& text) {
  std::fprintf(stderr, "name round-trip mismatch (%s): %s\n", what, text.c_str());
  std::abort();
}

void round_trip(const Name& n) {
  const std::string text = n.to_text();
  auto back = Name::from_text(text);
  if (!back) mismatch("to_text output does not parse", text);
  if (back->wire_size() != n.wire_size() ||
      !std::equal(n.wire().begin(), n.wire().end(), back->wire().begin())) {
    mismatch("wire differs", text);
  }
  if (back->to_text() != text) mismatch("text differs", text);
  auto from_wire = Name::from_wire(n.wire());
  if (!from_wire || !(*from_wire == n)) mismatch("from_wire of own wire", text);
  if (!(n.to_lower() == n) || n.to_lower().hash() != n.hash()) mismatch("case folding", text);
  if (n.canonical_compare(*back) != 0) mismatch("canonical_compare", text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto n = Name::from_text(text)) round_trip(*n);
  if (auto n = Name::from_wire(std::span<const std::uint8_t>(data, size))) round_trip(*n);
  return 0;
}
