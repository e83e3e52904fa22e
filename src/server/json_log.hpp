// log-format = "json" ([server], docs/CONFIG.md): one JSON object per line, for log
// shippers. Fields: "time" (UTC, RFC 3339 with milliseconds), "level", "logger", "msg";
// and, when the message names them as every session line does ("connection <id> from
// <address>"), "session" and "client", so a session's lines can be selected without
// parsing text.
#pragma once

#include <spdlog/formatter.h>

#include <memory>
#include <string>
#include <string_view>

namespace dnspush::server {

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

}  // namespace dnspush::server
