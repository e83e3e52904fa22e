#include "llq/option.hpp"

namespace dnspush::llq {

Result<Option> decode_option(std::span<const std::uint8_t> data) {
  if (data.size() != kOptionLength) return fail(Errc::kMalformed, "LLQ option length is not 18");
  auto u16 = [&](std::size_t at) {
    return static_cast<std::uint16_t>((data[at] << 8) | data[at + 1]);
  };
  Option o;
  o.version = u16(0);
  o.opcode = u16(2);
  o.error = u16(4);
  o.id = 0;
  for (std::size_t i = 0; i < 8; ++i) o.id = (o.id << 8) | data[6 + i];
  o.lease = (std::uint32_t{data[14]} << 24) | (std::uint32_t{data[15]} << 16) |
            (std::uint32_t{data[16]} << 8) | data[17];
  return o;
}

std::vector<std::uint8_t> encode_option(const Option& o) {
  std::vector<std::uint8_t> out;
  out.reserve(kOptionLength);
  auto u16 = [&](std::uint16_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
  };
  u16(o.version);
  u16(o.opcode);
  u16(o.error);
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(o.id >> (8 * i)));
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(o.lease >> (8 * i)));
  return out;
}

wire::EdnsOption to_edns(const Option& o) {
  return wire::EdnsOption{kOptionCode, encode_option(o)};
}

std::vector<Result<Option>> llq_options(const wire::Edns& edns) {
  std::vector<Result<Option>> out;
  for (const auto& opt : edns.options) {
    if (opt.code == kOptionCode) out.push_back(decode_option(opt.data));
  }
  return out;
}

const char* to_text(ErrorCode e) {
  switch (e) {
    case ErrorCode::NO_ERROR:
      return "NO-ERROR";
    case ErrorCode::SERV_FULL:
      return "SERV-FULL";
    case ErrorCode::STATIC:
      return "STATIC";
    case ErrorCode::FORMAT_ERR:
      return "FORMAT-ERR";
    case ErrorCode::NO_SUCH_LLQ:
      return "NO-SUCH-LLQ";
    case ErrorCode::BAD_VERS:
      return "BAD-VERS";
    case ErrorCode::UNKNOWN_ERR:
      return "UNKNOWN-ERR";
  }
  return "?";
}

}  // namespace dnspush::llq
