// How events look to people and to programs: one line of text (time, +/-, the record in
// presentation format) or one JSON object per line (`dnspush watch --json`).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "base/json.hpp"
#include "client/record_set.hpp"

namespace dnspush::client {

using WallTime = std::chrono::system_clock::time_point;

// "14:03:27.512 + www.example.test. 300 IN A 192.0.2.10" ("-" and no TTL for removals).
std::string event_line(const RecordEvent& e, WallTime t);
// {"time":"2026-01-02T14:03:27.512Z","event":"add","name":"www.example.test.",
//  "type":"A","class":"IN","ttl":300,"rdata":"192.0.2.10"}
std::string event_json(const RecordEvent& e, WallTime t);
// A JSON string literal (RFC 8259 §7): base/json.hpp.
using dnspush::json_string;
// RFC 3339 in UTC with milliseconds.
std::string rfc3339(WallTime t);

}  // namespace dnspush::client
