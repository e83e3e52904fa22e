#include "server/json_log.hpp"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "base/json.hpp"

namespace dnspush::server {

namespace {

// The token after `key` in `msg` made of characters `ok` accepts; empty when absent.
template <class Ok>
std::string_view token_after(std::string_view msg, std::string_view key, Ok ok) {
  const auto at = msg.find(key);
  if (at == std::string_view::npos) return {};
  const std::size_t b = at + key.size();
  std::size_t e = b;
  while (e < msg.size() && ok(static_cast<unsigned char>(msg[e]))) ++e;
  return msg.substr(b, e - b);
}

}  // namespace

void JsonFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  std::string out;
  out.reserve(msg.payload.size() + 128);
  const auto t = std::chrono::system_clock::to_time_t(msg.time);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count() %
      1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char ts[96];
  std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  out += "{\"time\":\"";
  out += ts;
  out += "\",\"level\":\"";
  const auto lv = spdlog::level::to_string_view(msg.level);
  out.append(lv.data(), lv.size());
  out += "\",\"logger\":\"";
  append_json_escaped(std::string_view(msg.logger_name.data(), msg.logger_name.size()), out);
  out += "\"";
  const std::string_view text(msg.payload.data(), msg.payload.size());
  const auto id = token_after(text, "connection ", [](unsigned char c) { return std::isdigit(c); });
  if (!id.empty()) {
    out += ",\"session\":";
    out.append(id.data(), id.size());
  }
  auto client = token_after(
      text, " from ", [](unsigned char c) { return std::isxdigit(c) || c == '.' || c == ':'; });
  // "from 192.0.2.1: ...": the punctuation after the address is not part of it.
  while (!client.empty() && !client.ends_with("::") &&
         (client.back() == ':' || client.back() == '.')) {
    client.remove_suffix(1);
  }
  if (!client.empty()) {
    out += ",\"client\":\"";
    out.append(client.data(), client.size());
    out += "\"";
  }
  out += ",\"msg\":\"";
  append_json_escaped(text, out);
  out += "\"}\n";
  dest.append(out.data(), out.data() + out.size());
}

std::unique_ptr<spdlog::formatter> JsonFormatter::clone() const {
  return std::make_unique<JsonFormatter>();
}

}  // namespace dnspush::server
