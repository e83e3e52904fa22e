#include "query_set.hpp"

#include <fstream>
#include <iterator>
#include <limits>

#include "wire/name.hpp"
#include "wire/types.hpp"

namespace dnspush::bench {
namespace {

constexpr std::size_t kHeaderSize = 12;  // RFC 1035 §4.1.1

void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

// The next whitespace-separated token of `line` from `pos` (empty at the end).
std::string_view token(std::string_view line, std::size_t& pos) {
  while (pos < line.size() && is_space(line[pos])) ++pos;
  const std::size_t start = pos;
  while (pos < line.size() && !is_space(line[pos])) ++pos;
  return line.substr(start, pos - start);
}

std::uint8_t fold(std::uint8_t c) {
  return c >= 'A' && c <= 'Z' ? static_cast<std::uint8_t>(c + ('a' - 'A')) : c;
}

}  // namespace

Result<QuerySet> QuerySet::load(const std::string& path, const QueryOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Errc::kIo, "cannot open " + path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return fail(Errc::kIo, "cannot read " + path);
  auto set = parse(text, options);
  if (!set) return fail(set.error().code, path + ":" + set.error().message);
  return set;
}

Result<QuerySet> QuerySet::parse(std::string_view text, const QueryOptions& options) {
  QuerySet set;
  std::size_t line_no = 0;
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    const std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    ++line_no;
    const auto where = [&] { return std::to_string(line_no) + ": "; };

    std::size_t pos = 0;
    const std::string_view name_text = token(line, pos);
    if (name_text.empty() || name_text.front() == ';') continue;
    const std::string_view type_text = token(line, pos);
    const std::string_view rest = token(line, pos);
    if (type_text.empty()) return fail(Errc::kMalformed, where() + "a name without a type");
    if (!rest.empty() && rest.front() != ';') {
      return fail(Errc::kMalformed, where() + "more than \"name type\": " + std::string(rest));
    }
    // dnsperf takes every name as absolute (origin "."), which from_text without an
    // origin does too.
    auto name = wire::Name::from_text(name_text);
    if (!name) return fail(Errc::kMalformed, where() + name.error().message);
    const auto type = wire::rrtype_from_text(type_text);
    if (!type) return fail(Errc::kMalformed, where() + "unknown type " + std::string(type_text));

    Entry e;
    e.offset = static_cast<std::uint32_t>(set.bytes_.size());
    if (set.bytes_.size() > std::numeric_limits<std::uint32_t>::max() - 512) {
      return fail(Errc::kOutOfRange, where() + "too many queries");
    }
    auto& out = set.bytes_;
    put16(out, 0);                                            // ID: written per send
    put16(out, options.recursion_desired ? 0x0100 : 0x0000);  // QUERY, RD as asked
    put16(out, 1);                                            // QDCOUNT
    put16(out, 0);                                            // ANCOUNT
    put16(out, 0);                                            // NSCOUNT
    put16(out, options.edns_payload != 0 ? 1 : 0);            // ARCOUNT: the OPT record
    const auto qname = name->wire();
    out.insert(out.end(), qname.begin(), qname.end());
    put16(out, static_cast<std::uint16_t>(*type));
    put16(out, static_cast<std::uint16_t>(wire::RRClass::IN));
    e.question_size = static_cast<std::uint16_t>(qname.size() + 4);
    if (options.edns_payload != 0) {  // RFC 6891 §6.1.2: root owner, OPT, payload as CLASS
      out.push_back(0);
      put16(out, static_cast<std::uint16_t>(wire::RRType::OPT));
      put16(out, options.edns_payload);
      put16(out, 0);  // extended RCODE, version 0
      put16(out, 0);  // flags: no DO
      put16(out, 0);  // RDLENGTH: no options
    }
    e.size = static_cast<std::uint16_t>(out.size() - e.offset);
    set.entries_.push_back(e);
  }
  if (set.entries_.empty()) return fail(Errc::kMalformed, "no queries");
  return set;
}

bool QuerySet::question_matches(std::size_t i, std::span<const std::uint8_t> answer) const {
  const Entry& e = entries_[i];
  if (answer.size() < kHeaderSize + e.question_size) return false;
  if (answer[4] != 0 || answer[5] != 1) return false;  // QDCOUNT 1
  const std::uint8_t* q = bytes_.data() + e.offset + kHeaderSize;
  const std::uint8_t* a = answer.data() + kHeaderSize;
  const std::size_t name_size = e.question_size - 4u;
  // Folding every byte, length bytes included, is safe: a label length is at most 63,
  // below 'A' (65), so folding never changes one.
  for (std::size_t k = 0; k < name_size; ++k) {
    if (fold(q[k]) != fold(a[k])) return false;
  }
  for (std::size_t k = name_size; k < e.question_size; ++k) {
    if (q[k] != a[k]) return false;
  }
  return true;
}

}  // namespace dnspush::bench
