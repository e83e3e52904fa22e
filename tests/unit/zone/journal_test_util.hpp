// Helpers for the journal and zone-writer tests: a temporary directory removed on
// destruction, and a zone's records as comparable text.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "wire/rdata.hpp"
#include "wire/types.hpp"
#include "zone/zone.hpp"

namespace dnspush::zone::test {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "dnspush-journal-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = tmpl;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// One line per record (lowercased owner, type, class, TTL, canonical RDATA in hex),
// sorted: two zones hold the same data exactly when these are equal. TTLs count.
inline std::vector<std::string> record_lines(const Zone& z) {
  std::vector<std::string> out;
  for (const auto& r : z.records()) {
    std::string line = r.owner.to_lower().to_text() + " " + wire::to_text(r.type) + " " +
                       wire::to_text(r.cls) + " " + std::to_string(r.ttl) + " ";
    static const char* kHex = "0123456789abcdef";
    for (std::uint8_t b : wire::canonical_rdata(r.type, r.rdata)) {
      line += kHex[b >> 4];
      line += kHex[b & 15];
    }
    out.push_back(std::move(line));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace dnspush::zone::test
