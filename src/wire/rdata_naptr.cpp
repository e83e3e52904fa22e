// NAPTR's REGEXP field (RFC 3403 §4.1 with RFC 2915's syntax): empty, or
//   delim ERE delim replacement delim flags
// where the ERE is a POSIX extended regular expression, the replacement may refer back
// to its subexpressions as \1..\9, and the only flag is "i". BIND refuses anything else
// from the wire (FORMERR), so a record it cannot load is never accepted here. The ERE
// rules below are the ones BIND enforces: a syntax check, not a regex engine.
#include <algorithm>
#include <array>
#include <string>
#include <string_view>

#include "wire/rdata_fields.hpp"

namespace dnspush::wire::detail {
namespace {

// POSIX character class names allowed in a bracket expression ([:alpha:]).
constexpr std::array<std::string_view, 12> kClassNames = {"alnum", "digit", "punct", "alpha",
                                                          "graph", "space", "blank", "lower",
                                                          "upper", "cntrl", "print", "xdigit"};

bool is_digit(std::uint8_t c) {
  return c >= '0' && c <= '9';
}

// Validates one ERE; returns the number of subexpressions ("(" count), or -1.
class EreCheck {
 public:
  explicit EreCheck(std::string_view re) : re_(re) {}

  int run() {
    if (re_.empty()) return -1;
    while (pos_ < re_.size()) {
      const bool ok = in_bracket_ ? bracket_step() : atom_step();
      if (!ok) return -1;
    }
    if (open_groups_ != 0 || in_bracket_ || !have_atom_) return -1;
    return groups_;
  }

 private:
  // The character `ahead` positions on, or 0 past the end (the ERE holds no NUL).
  std::uint8_t peek(std::size_t ahead = 0) const {
    const std::size_t p = pos_ + ahead;
    return p < re_.size() ? static_cast<std::uint8_t>(re_[p]) : 0;
  }

  void literal() {
    have_atom_ = true;
    repeated_ = false;
    ++pos_;
  }

  // Outside a bracket expression.
  bool atom_step() {
    const std::uint8_t c = peek();
    switch (c) {
      case '\\': {
        const std::uint8_t next = peek(1);
        if (next == 0) return false;  // escaped end of the expression
        ++pos_;
        if (next >= '1' && next <= '9') {
          // A back reference names a subexpression opened before it.
          if (next - '0' > groups_) return false;
          literal();
          return true;
        }
        literal();
        return true;
      }
      case '[':
        ++pos_;
        in_bracket_ = true;
        negated_ = false;
        repeated_ = false;
        bracket_has_char_ = false;
        return true;
      case '{':
        if (!is_digit(peek(1))) {
          literal();
          return true;
        }
        // A bound repeats an atom that is not itself a repetition.
        if (!have_atom_ || repeated_) return false;
        ++pos_;
        have_atom_ = true;
        repeated_ = true;
        return bound();
      case '(':
        have_atom_ = false;
        repeated_ = false;
        empty_group_ok_ = true;
        ++open_groups_;
        ++groups_;
        ++pos_;
        return true;
      case ')':
        if (open_groups_ != 0 && !have_atom_ && !empty_group_ok_) return false;
        have_atom_ = true;
        repeated_ = false;
        if (open_groups_ != 0) --open_groups_;
        ++pos_;
        return true;
      case '|':
        if (!have_atom_) return false;  // an empty alternative
        have_atom_ = false;
        empty_group_ok_ = false;
        repeated_ = false;
        ++pos_;
        return true;
      case '^':
      case '$':
        have_atom_ = true;
        repeated_ = true;  // an anchor cannot be repeated
        ++pos_;
        return true;
      case '+':
      case '*':
      case '?':
        if (repeated_ || !have_atom_) return false;
        repeated_ = true;
        ++pos_;
        return true;
      default:
        literal();
        return true;
    }
  }

  // "{m}", "{m,}", "{m,n}": bounds up to 255 (RE_DUP_MAX), m <= n.
  bool bound() {
    unsigned low = 0;
    unsigned high = 0;
    bool comma = false;
    bool has_high = false;
    while (true) {
      const std::uint8_t c = peek();
      ++pos_;
      if (is_digit(c)) {
        unsigned& v = comma ? high : low;
        v = v * 10 + (c - '0');
        if (v > 255) return false;
        has_high = has_high || comma;
      } else if (c == ',') {
        if (comma) return false;
        comma = true;
      } else if (c == '}') {
        return !(has_high && low > high);
      } else {
        return false;  // anything else, including the end
      }
    }
  }

  // Inside "[...]".
  bool bracket_step() {
    const std::uint8_t c = peek();
    switch (c) {
      case '^':
        if (bracket_has_char_ || negated_) return bracket_char(c);
        negated_ = true;
        ++pos_;
        return true;
      case '-':
        if (range_ == 2 || !bracket_has_char_) return bracket_char(c);
        if (range_ == 1) return false;  // "a-b-c"
        range_ = 2;
        ++pos_;
        return true;
      case '[': {
        const std::uint8_t kind = peek(1);
        pos_ += 1;
        bool ok = true;
        if (kind == '.') {
          if (range_ != 0) --range_;
          ++pos_;
          ok = collating_element();
        } else if (kind == '=') {
          if (range_ == 2) return false;  // an equivalence class cannot end a range
          ++pos_;
          ok = delimited_item('=', /*class_name=*/false);
        } else if (kind == ':') {
          if (range_ == 2) return false;  // nor can a character class
          ++pos_;
          ok = delimited_item(':', /*class_name=*/true);
        }
        bracket_has_char_ = true;
        return ok;
      }
      case ']':
        if (!bracket_has_char_) {
          if (peek(1) == 0) return false;  // "[]" at the end never closes
          return bracket_char(c);          // a leading ']' is an ordinary character
        }
        ++pos_;
        range_ = 0;
        have_atom_ = true;
        in_bracket_ = false;
        return true;
      case 0:
        return false;
      default:
        return bracket_char(c);
    }
  }

  bool bracket_char(std::uint8_t c) {
    bracket_has_char_ = true;
    if (range_ == 2 && c < range_start_) return false;  // "z-a"
    if (range_ != 0) --range_;
    range_start_ = c;
    ++pos_;
    return true;
  }

  // "[.x.]": at least one character; a multi-character element ends no range.
  bool collating_element() {
    bool seen = false;
    while (pos_ < re_.size()) {
      const std::uint8_t c = peek();
      if (c == '.' && peek(1) == ']') {
        if (!seen) return false;
        pos_ += 2;
        return true;
      }
      range_start_ = seen ? 256 : c;
      seen = true;
      ++pos_;
    }
    return false;
  }

  // "[=x=]" and "[:name:]" (the name must be a POSIX class).
  bool delimited_item(char delim, bool class_name) {
    const std::size_t start = pos_;
    while (pos_ < re_.size()) {
      if (peek() == delim && peek(1) == ']') {
        const std::string_view name = re_.substr(start, pos_ - start);
        pos_ += 2;
        if (class_name) {
          for (const auto& known : kClassNames) {
            if (name == known) return true;
          }
          return false;
        }
        return !name.empty();
      }
      ++pos_;
    }
    return false;
  }

  std::string_view re_;
  std::size_t pos_ = 0;
  int groups_ = 0;       // subexpressions opened so far
  int open_groups_ = 0;  // not yet closed
  bool have_atom_ = false;
  bool repeated_ = false;  // the last atom already carries a repetition (or is an anchor)
  bool empty_group_ok_ = false;
  bool in_bracket_ = false;
  bool negated_ = false;
  bool bracket_has_char_ = false;
  int range_ = 0;  // 2 just after '-', counting down over the range's end
  unsigned range_start_ = 0;
};

// The REGEXP character-string's content (without its length octet).
bool regexp_valid(std::span<const std::uint8_t> field) {
  if (field.empty()) return true;
  const std::uint8_t delim = field[0];
  // Digits, the escape character and the flag can't be delimiters (nor NUL).
  if (is_digit(delim) || delim == '\\' || delim == 'i' || delim == 0) return false;
  std::string ere;
  int part = 0;  // 0 the ERE, 1 the replacement, 2 the flags
  int max_backref = 0;
  for (std::size_t i = 1; i < field.size(); ++i) {
    std::uint8_t c = field[i];
    if (c == 0) return false;
    if (c == delim) {
      if (++part > 2) return false;
      continue;
    }
    if (part == 2) {  // flags are not escaped
      if (c != 'i') return false;
      continue;
    }
    if (part == 0) ere.push_back(static_cast<char>(c));
    if (c != '\\') continue;
    if (++i == field.size()) return false;
    c = field[i];
    if (c == 0) return false;
    if (part == 0) {
      ere.push_back(static_cast<char>(c));
    } else if (c == '0') {
      return false;  // \0 would be the whole match, which RFC 2915 does not offer
    } else if (c >= '1' && c <= '9') {
      max_backref = std::max(max_backref, c - '0');
    }
  }
  if (part != 2) return false;
  const int groups = EreCheck(ere).run();
  return groups >= 0 && max_backref <= groups;
}

}  // namespace

bool naptr_regexp_valid(std::span<const std::uint8_t> rdata) {
  // ORDER, PREFERENCE, FLAGS, SERVICES, then REGEXP; the fields matched already.
  std::size_t p = 4;
  p += 1 + rdata[p];
  p += 1 + rdata[p];
  return regexp_valid(rdata.subspan(p + 1, rdata[p]));
}

}  // namespace dnspush::wire::detail
