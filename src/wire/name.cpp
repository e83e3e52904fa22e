#include "wire/name.hpp"

#include <algorithm>
#include <cctype>

namespace dnspush::wire {
namespace {

constexpr std::uint8_t lower(std::uint8_t c) {
  return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

// Offsets of each label's length byte, leftmost first (the root byte is not included).
std::size_t label_offsets(const std::string& w, std::size_t* out) {
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

Name::Name() : wire_(1, '\0') {}

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
  return Name(std::string(reinterpret_cast<const char*>(wire.data()), wire.size()));
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
    wire.append(origin->wire_, 0, origin->wire_.size() - 1);
  }
  wire += '\0';
  if (wire.size() > kMaxWireLength) return fail(Errc::kOutOfRange, "name longer than 255 bytes");
  return Name(std::move(wire));
}

std::string Name::to_text() const {
  if (is_root()) return ".";
  std::string out;
  out.reserve(wire_.size() + 4);
  std::size_t pos = 0;
  while (wire_[pos] != 0) {
    const auto len = static_cast<std::uint8_t>(wire_[pos]);
    append_label_text(out, std::string_view(wire_).substr(pos + 1, len));
    out += '.';
    pos += 1 + len;
  }
  return out;
}

std::size_t Name::label_count() const {
  std::size_t n = 0, pos = 0;
  while (wire_[pos] != 0) {
    ++n;
    pos += 1 + static_cast<std::uint8_t>(wire_[pos]);
  }
  return n;
}

std::string_view Name::label(std::size_t i) const {
  std::size_t pos = 0;
  for (std::size_t k = 0; k < i && wire_[pos] != 0; ++k) {
    pos += 1 + static_cast<std::uint8_t>(wire_[pos]);
  }
  const auto len = static_cast<std::uint8_t>(wire_[pos]);
  return std::string_view(wire_).substr(pos + 1, len);
}

bool Name::is_wildcard() const {
  return wire_.size() >= 3 && wire_[0] == 1 && wire_[1] == '*';
}

Name Name::parent() const {
  if (is_root()) return *this;
  const auto len = static_cast<std::uint8_t>(wire_[0]);
  return Name(wire_.substr(1 + len));
}

Name Name::suffix(std::size_t labels) const {
  std::size_t offs[128];
  const std::size_t n = label_offsets(wire_, offs);
  if (labels >= n) return *this;
  if (labels == 0) return Name();
  return Name(wire_.substr(offs[n - labels]));
}

Result<Name> Name::prepend(std::string_view label) const {
  if (label.empty() || label.size() > kMaxLabelLength) {
    return fail(Errc::kMalformed, "label length out of range");
  }
  if (wire_.size() + 1 + label.size() > kMaxWireLength) {
    return fail(Errc::kOutOfRange, "name longer than 255 bytes");
  }
  std::string w;
  w.reserve(wire_.size() + 1 + label.size());
  w += static_cast<char>(label.size());
  w += label;
  w += wire_;
  return Name(std::move(w));
}

Result<Name> Name::concat(const Name& origin) const {
  if (wire_.size() - 1 + origin.wire_.size() > kMaxWireLength) {
    return fail(Errc::kOutOfRange, "name longer than 255 bytes");
  }
  std::string w = wire_.substr(0, wire_.size() - 1);
  w += origin.wire_;
  return Name(std::move(w));
}

bool Name::is_subdomain_of(const Name& ancestor) const {
  if (ancestor.wire_.size() > wire_.size()) return false;
  // Walk label boundaries so that "xexample." is not taken to be under "example.".
  std::size_t pos = 0;
  const std::size_t want = wire_.size() - ancestor.wire_.size();
  while (pos < want) pos += 1 + static_cast<std::uint8_t>(wire_[pos]);
  if (pos != want) return false;
  for (std::size_t i = 0; i < ancestor.wire_.size(); ++i) {
    if (lower(static_cast<std::uint8_t>(wire_[pos + i])) !=
        lower(static_cast<std::uint8_t>(ancestor.wire_[i]))) {
      return false;
    }
  }
  return true;
}

Name Name::to_lower() const {
  std::string w = wire_;
  for (auto& c : w) c = static_cast<char>(lower(static_cast<std::uint8_t>(c)));
  return Name(std::move(w));
}

bool operator==(const Name& a, const Name& b) {
  if (a.wire_.size() != b.wire_.size()) return false;
  // Length bytes are below 64 and so unaffected by lowering: compare everything.
  for (std::size_t i = 0; i < a.wire_.size(); ++i) {
    if (lower(static_cast<std::uint8_t>(a.wire_[i])) !=
        lower(static_cast<std::uint8_t>(b.wire_[i]))) {
      return false;
    }
  }
  return true;
}

std::size_t Name::hash() const {
  // FNV-1a over the lowered bytes.
  std::uint64_t h = 1469598103934665603ull;
  for (char c : wire_) {
    h ^= lower(static_cast<std::uint8_t>(c));
    h *= 1099511628211ull;
  }
  return static_cast<std::size_t>(h);
}

int Name::canonical_compare(const Name& other) const {
  // RFC 4034 §6.1: compare label by label from the rightmost, each label as lowercased
  // octet strings where a shorter prefix sorts first.
  std::size_t a_offs[128], b_offs[128];
  const std::size_t na = label_offsets(wire_, a_offs);
  const std::size_t nb = label_offsets(other.wire_, b_offs);
  std::size_t ia = na, ib = nb;
  while (ia > 0 && ib > 0) {
    --ia;
    --ib;
    const auto la = static_cast<std::uint8_t>(wire_[a_offs[ia]]);
    const auto lb = static_cast<std::uint8_t>(other.wire_[b_offs[ib]]);
    const std::size_t n = std::min(la, lb);
    for (std::size_t k = 0; k < n; ++k) {
      const auto ca = lower(static_cast<std::uint8_t>(wire_[a_offs[ia] + 1 + k]));
      const auto cb = lower(static_cast<std::uint8_t>(other.wire_[b_offs[ib] + 1 + k]));
      if (ca != cb) return ca < cb ? -1 : 1;
    }
    if (la != lb) return la < lb ? -1 : 1;
  }
  if (ia == 0 && ib == 0) return 0;
  return ia == 0 ? -1 : 1;
}

}  // namespace dnspush::wire
