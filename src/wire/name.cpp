#include "wire/name.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <utility>

namespace dnspush::wire {
namespace {

constexpr std::uint8_t lower(std::uint8_t c) {
  return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

// Offsets of each label's length byte, leftmost first (the root byte is not included).
std::size_t label_offsets(std::string_view w, std::size_t* out) {
  std::size_t n = 0, pos = 0;
  while (pos < w.size() && w[pos] != 0) {
    out[n++] = pos;
    pos += 1 + static_cast<std::uint8_t>(w[pos]);
  }
  return n;
}

// Presentation escapes (RFC 1035 §5.1): special characters get a backslash, anything not
// printable becomes \DDD.
void append_label_text(std::string& out, std::string_view label) {
  for (unsigned char c : label) {
    if (c == '.' || c == '\\' || c == '"' || c == ';' || c == '(' || c == ')' || c == '@' ||
        c == '$') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c > 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
    } else {
      char buf[5];
      buf[0] = '\\';
      buf[1] = static_cast<char>('0' + c / 100);
      buf[2] = static_cast<char>('0' + (c / 10) % 10);
      buf[3] = static_cast<char>('0' + c % 10);
      buf[4] = 0;
      out += buf;
    }
  }
}

}  // namespace

Name::Name() = default;  // size_ 1, inline_ all zero: the root

Name::Name(const char* wire, std::size_t n) {
  assign(wire, n);
}

void Name::assign(const char* wire, std::size_t n) {
  if (n > kInline) {
    char* p = new char[n];
    std::memcpy(p, wire, n);
    delete[] heap_;
    heap_ = p;
  } else {
    // `wire` may point into this object (a parent of itself): move, then drop the heap.
    std::memmove(inline_, wire, n);
    delete[] heap_;
    heap_ = nullptr;
  }
  size_ = static_cast<std::uint8_t>(n);
}

Name::Name(const Name& o) {
  assign(o.data(), o.size_);
}

Name::Name(Name&& o) noexcept : heap_(std::exchange(o.heap_, nullptr)), size_(o.size_) {
  if (heap_ == nullptr) std::memcpy(inline_, o.inline_, size_);
  o.size_ = 1;
  o.inline_[0] = 0;
}

Name& Name::operator=(const Name& o) {
  if (this != &o) assign(o.data(), o.size_);
  return *this;
}

Name& Name::operator=(Name&& o) noexcept {
  if (this == &o) return *this;
  delete[] heap_;
  heap_ = std::exchange(o.heap_, nullptr);
  size_ = o.size_;
  if (heap_ == nullptr) std::memcpy(inline_, o.inline_, size_);
  o.size_ = 1;
  o.inline_[0] = 0;
  return *this;
}

Name::~Name() {
  delete[] heap_;
}

Result<Name> Name::from_wire(std::span<const std::uint8_t> wire) {
  if (wire.empty() || wire.size() > kMaxWireLength) {
    return fail(Errc::kMalformed, "name length out of range");
  }
  std::size_t pos = 0;
  while (true) {
    if (pos >= wire.size()) return fail(Errc::kMalformed, "name not terminated");
    const std::uint8_t len = wire[pos];
    if (len == 0) break;
    if (len > kMaxLabelLength) return fail(Errc::kMalformed, "label too long or compressed");
    pos += 1 + len;
  }
  if (pos + 1 != wire.size()) return fail(Errc::kMalformed, "bytes after the root label");
  return Name(reinterpret_cast<const char*>(wire.data()), wire.size());
}

Result<Name> Name::from_text(std::string_view text, const Name* origin) {
  if (text == "@") {
    if (origin == nullptr) return fail(Errc::kMalformed, "'@' without an origin");
    return *origin;
  }
  if (text == ".") return Name();
  if (text.empty()) return fail(Errc::kMalformed, "empty name");

  std::string wire;
  wire.reserve(text.size() + 2);
  std::string label;
  bool absolute = false;
  auto end_label = [&]() -> bool {
    if (label.empty() || label.size() > kMaxLabelLength) return false;
    wire += static_cast<char>(label.size());
    wire += label;
    label.clear();
    return true;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\') {
      if (i + 1 >= text.size()) return fail(Errc::kMalformed, "dangling backslash in name");
      if (std::isdigit(static_cast<unsigned char>(text[i + 1]))) {
        if (i + 3 >= text.size()) return fail(Errc::kMalformed, "short \\DDD escape in name");
        int v = 0;
        for (int k = 1; k <= 3; ++k) {
          const char d = text[i + k];
          if (!std::isdigit(static_cast<unsigned char>(d))) {
            return fail(Errc::kMalformed, "bad \\DDD escape in name");
          }
          v = v * 10 + (d - '0');
        }
        if (v > 255) return fail(Errc::kMalformed, "\\DDD escape above 255");
        label += static_cast<char>(v);
        i += 3;
      } else {
        label += text[i + 1];
        ++i;
      }
    } else if (c == '.') {
      if (i + 1 == text.size()) {
        absolute = true;
      }
      if (!end_label()) return fail(Errc::kMalformed, "empty or over-long label in name");
    } else {
      label += c;
    }
  }
  if (!label.empty() && !end_label()) return fail(Errc::kMalformed, "over-long label in name");
  if (!absolute && origin != nullptr && !origin->is_root()) {
    wire.append(origin->data(), origin->size_ - 1);
  }
  wire += '\0';
  if (wire.size() > kMaxWireLength) return fail(Errc::kOutOfRange, "name longer than 255 bytes");
  return Name(wire.data(), wire.size());
}

std::string Name::to_text() const {
  if (is_root()) return ".";
  const std::string_view w = view();
  std::string out;
  out.reserve(w.size() + 4);
  std::size_t pos = 0;
  while (w[pos] != 0) {
    const auto len = static_cast<std::uint8_t>(w[pos]);
    append_label_text(out, w.substr(pos + 1, len));
    out += '.';
    pos += 1 + len;
  }
  return out;
}

std::size_t Name::label_count() const {
  const char* w = data();
  std::size_t n = 0, pos = 0;
  while (w[pos] != 0) {
    ++n;
    pos += 1 + static_cast<std::uint8_t>(w[pos]);
  }
  return n;
}

std::string_view Name::label(std::size_t i) const {
  const std::string_view w = view();
  std::size_t pos = 0;
  for (std::size_t k = 0; k < i && w[pos] != 0; ++k) {
    pos += 1 + static_cast<std::uint8_t>(w[pos]);
  }
  const auto len = static_cast<std::uint8_t>(w[pos]);
  return w.substr(pos + 1, len);
}

bool Name::is_wildcard() const {
  const char* w = data();
  return size_ >= 3 && w[0] == 1 && w[1] == '*';
}

Name Name::parent() const {
  if (is_root()) return *this;
  const char* w = data();
  const auto len = static_cast<std::uint8_t>(w[0]);
  return Name(w + 1 + len, size_ - 1 - len);
}

Name Name::suffix(std::size_t labels) const {
  std::size_t offs[128];
  const std::size_t n = label_offsets(view(), offs);
  if (labels >= n) return *this;
  if (labels == 0) return Name();
  return Name(data() + offs[n - labels], size_ - offs[n - labels]);
}

Result<Name> Name::prepend(std::string_view label) const {
  if (label.empty() || label.size() > kMaxLabelLength) {
    return fail(Errc::kMalformed, "label length out of range");
  }
  if (size_ + 1 + label.size() > kMaxWireLength) {
    return fail(Errc::kOutOfRange, "name longer than 255 bytes");
  }
  char w[kMaxWireLength];
  w[0] = static_cast<char>(label.size());
  std::memcpy(w + 1, label.data(), label.size());
  std::memcpy(w + 1 + label.size(), data(), size_);
  return Name(w, 1 + label.size() + size_);
}

Result<Name> Name::concat(const Name& origin) const {
  if (std::size_t{size_} - 1 + origin.size_ > kMaxWireLength) {
    return fail(Errc::kOutOfRange, "name longer than 255 bytes");
  }
  char w[kMaxWireLength];
  std::memcpy(w, data(), size_ - 1u);
  std::memcpy(w + size_ - 1, origin.data(), origin.size_);
  return Name(w, size_ - 1u + origin.size_);
}

bool Name::is_subdomain_of(const Name& ancestor) const {
  if (ancestor.size_ > size_) return false;
  const char* w = data();
  const char* a = ancestor.data();
  // Walk label boundaries so that "xexample." is not taken to be under "example.".
  std::size_t pos = 0;
  const std::size_t want = size_ - ancestor.size_;
  while (pos < want) pos += 1 + static_cast<std::uint8_t>(w[pos]);
  if (pos != want) return false;
  for (std::size_t i = 0; i < ancestor.size_; ++i) {
    if (lower(static_cast<std::uint8_t>(w[pos + i])) != lower(static_cast<std::uint8_t>(a[i]))) {
      return false;
    }
  }
  return true;
}

Name Name::to_lower() const {
  char w[kMaxWireLength];
  const char* src = data();
  for (std::size_t i = 0; i < size_; ++i) {
    w[i] = static_cast<char>(lower(static_cast<std::uint8_t>(src[i])));
  }
  return Name(w, size_);
}

bool operator==(const Name& a, const Name& b) {
  if (a.size_ != b.size_) return false;
  const char* x = a.data();
  const char* y = b.data();
  // Length bytes are below 64 and so unaffected by lowering: compare everything.
  for (std::size_t i = 0; i < a.size_; ++i) {
    if (x[i] != y[i] &&
        lower(static_cast<std::uint8_t>(x[i])) != lower(static_cast<std::uint8_t>(y[i]))) {
      return false;
    }
  }
  return true;
}

namespace {

// ASCII upper case to lower case in eight bytes at once (bytes 'A'..'Z' get 0x20 added;
// a label length byte in that range is folded too, the same way for every spelling of a
// name, so equal names still hash equal).
std::uint64_t fold8(std::uint64_t x) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ull;
  const std::uint64_t low7 = x & (0x7F * kOnes);
  const std::uint64_t above_z = low7 + (0x7F - 'Z') * kOnes;  // high bit: byte > 'Z'
  const std::uint64_t from_a = low7 + (0x80 - 'A') * kOnes;   // high bit: byte >= 'A'
  const std::uint64_t upper = (from_a & ~above_z) & ~x & (0x80 * kOnes);
  return x | (upper >> 2);
}

}  // namespace

std::size_t Name::hash() const {
  // Eight case-folded bytes per step (the query path hashes a name per zone lookup), then
  // a final avalanche so that the high bits (zone shards) depend on every byte.
  const auto* p = reinterpret_cast<const unsigned char*>(data());
  std::size_t n = size_;
  std::uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
  auto step = [&h](std::uint64_t w) {
    h = (h ^ fold8(w)) * 0xBF58476D1CE4E5B9ull;
    h = (h << 29) | (h >> 35);
  };
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    step(w);
  }
  if (n > 0) {
    std::uint64_t w = 0;
    std::memcpy(&w, p, n);
    step(w);
  }
  h ^= h >> 31;
  h *= 0x94D049BB133111EBull;
  h ^= h >> 29;
  return static_cast<std::size_t>(h);
}

int Name::canonical_compare(const Name& other) const {
  // RFC 4034 §6.1: compare label by label from the rightmost, each label as lowercased
  // octet strings where a shorter prefix sorts first.
  std::size_t a_offs[128], b_offs[128];
  const std::string_view wa = view(), wb = other.view();
  const std::size_t na = label_offsets(wa, a_offs);
  const std::size_t nb = label_offsets(wb, b_offs);
  std::size_t ia = na, ib = nb;
  while (ia > 0 && ib > 0) {
    --ia;
    --ib;
    const auto la = static_cast<std::uint8_t>(wa[a_offs[ia]]);
    const auto lb = static_cast<std::uint8_t>(wb[b_offs[ib]]);
    const std::size_t n = std::min(la, lb);
    for (std::size_t k = 0; k < n; ++k) {
      const auto ca = lower(static_cast<std::uint8_t>(wa[a_offs[ia] + 1 + k]));
      const auto cb = lower(static_cast<std::uint8_t>(wb[b_offs[ib] + 1 + k]));
      if (ca != cb) return ca < cb ? -1 : 1;
    }
    if (la != lb) return la < lb ? -1 : 1;
  }
  if (ia == 0 && ib == 0) return 0;
  return ia == 0 ? -1 : 1;
}

}  // namespace dnspush::wire
