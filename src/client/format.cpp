#include "client/format.hpp"

#include <ctime>

#include <fmt/format.h>

#include "wire/rdata.hpp"

namespace dnspush::client {
namespace {

std::tm utc(WallTime t) {
  const std::time_t s = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&s, &tm);
  return tm;
}

int millis(WallTime t) {
  return static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000);
}

}  // namespace

std::string rfc3339(WallTime t) {
  const std::tm tm = utc(t);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis(t));
}

std::string event_line(const RecordEvent& e, WallTime t) {
  const std::time_t s = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  localtime_r(&s, &tm);
  const auto& r = e.record;
  const std::string rdata = wire::rdata_to_text(r.type, r.rdata);
  if (e.kind == RecordEvent::Kind::kAdd)
    return fmt::format("{:02}:{:02}:{:02}.{:03} + {} {} {} {} {}", tm.tm_hour, tm.tm_min, tm.tm_sec,
                       millis(t), r.owner.to_text(), r.ttl, wire::to_text(r.cls),
                       wire::to_text(r.type), rdata);
  return fmt::format("{:02}:{:02}:{:02}.{:03} - {} {} {} {}", tm.tm_hour, tm.tm_min, tm.tm_sec,
                     millis(t), r.owner.to_text(), wire::to_text(r.cls), wire::to_text(r.type),
                     rdata);
}

std::string event_json(const RecordEvent& e, WallTime t) {
  const auto& r = e.record;
  return fmt::format(
      R"({{"time":{},"event":"{}","name":{},"type":{},"class":{},"ttl":{},"rdata":{}}})",
      json_string(rfc3339(t)), e.kind == RecordEvent::Kind::kAdd ? "add" : "remove",
      json_string(r.owner.to_text()), json_string(wire::to_text(r.type)),
      json_string(wire::to_text(r.cls)), r.ttl, json_string(wire::rdata_to_text(r.type, r.rdata)));
}

}  // namespace dnspush::client
