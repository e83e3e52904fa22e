// RFC 1982 serial number arithmetic for 32-bit SOA serials. Deliberately has no
// operator<: serials are not totally ordered (RFC 1982 §3.2, the undefined half-way case).
#pragma once

#include <cstdint>

namespace dnspush {

class Serial {
 public:
  constexpr Serial() = default;
  constexpr explicit Serial(std::uint32_t v) : v_(v) {}
  constexpr std::uint32_t value() const { return v_; }

  friend constexpr bool operator==(Serial, Serial) = default;

  // RFC 1982 §3.2: s1 < s2 iff (i1 < i2 and i2 - i1 < 2^31) or (i1 > i2 and i1 - i2 > 2^31).
  constexpr bool precedes(Serial other) const {
    const std::uint32_t a = v_, b = other.v_;
    return (a < b && b - a < 0x80000000u) || (a > b && a - b > 0x80000000u);
  }
  constexpr bool follows(Serial other) const { return other.precedes(*this); }

  // RFC 1982 §3.1: addition of n in [0, 2^31 - 1].
  constexpr Serial plus(std::uint32_t n) const { return Serial(v_ + (n & 0x7FFFFFFFu)); }
  constexpr Serial next() const { return plus(1); }

 private:
  std::uint32_t v_ = 0;
};

}  // namespace dnspush
