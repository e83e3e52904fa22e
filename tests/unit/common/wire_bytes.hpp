// Building blocks for hand-made wire bytes in tests of every layer.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "wire/name.hpp"

namespace dnspush::test {

using Bytes = std::vector<std::uint8_t>;

inline wire::Name N(std::string_view text) {
  auto n = wire::Name::from_text(text);
  EXPECT_TRUE(n.has_value()) << text;
  return n ? *n : wire::Name();
}

inline void put16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
inline void put32(Bytes& b, std::uint32_t v) {
  put16(b, static_cast<std::uint16_t>(v >> 16));
  put16(b, static_cast<std::uint16_t>(v));
}
inline void put_name(Bytes& b, std::string_view text) {
  const wire::Name n = N(text);  // keep it alive: wire() is a view
  b.insert(b.end(), n.wire().begin(), n.wire().end());
}

}  // namespace dnspush::test
