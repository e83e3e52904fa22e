// A DNS Push client's record cache reduced to what the tests and the index fuzzer need:
// it applies PUSH messages (RFC 8765 §6.3.1) decoded by the strict decoder and says
// whether they were exact (no delete of a record it lacks, no add of one it has with the
// same TTL) and whether its cache equals what its subscriptions see in a zone.
// Free of GoogleTest so fuzz/fuzz_push_index.cpp can use it too.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "push/options.hpp"
#include "push/tlv.hpp"
#include "wire/rdata.hpp"
#include "zone/zone.hpp"

namespace dnspush::push::test {

class ClientModel {
 public:
  // (lowercased owner wire, type) -> canonical RDATA -> TTL
  using Key = std::pair<std::string, std::uint16_t>;
  using Records = std::map<Key, std::map<std::vector<std::uint8_t>, std::uint32_t>>;

  // Applies one message. `strict`: a redundant operation is an error (commits must be
  // exact); initial PUSHes may repeat what another subscription already brought.
  bool apply(const SharedBytes& message, bool strict) {
    auto data = parse_push_message(*message);
    if (!data) return failed("undecodable PUSH: " + data.error().message);
    if (data->ignored != 0) return failed("server sent an ignorable TTL");
    for (const Change& c : data->changes) {
      const std::string owner = key_of(c.name);
      switch (c.kind) {
        case ChangeKind::kAdd: {
          auto& set = records_[{owner, static_cast<std::uint16_t>(c.type)}];
          const auto rd = wire::canonical_rdata(c.type, c.rdata);
          const auto it = set.find(rd);
          if (strict && it != set.end() && it->second == c.ttl) return failed("repeated add");
          set[rd] = c.ttl;
          break;
        }
        case ChangeKind::kDeleteRecord: {
          auto it = records_.find({owner, static_cast<std::uint16_t>(c.type)});
          const auto rd = wire::canonical_rdata(c.type, c.rdata);
          if (it == records_.end() || it->second.erase(rd) == 0) {
            if (strict) return failed("delete of a record the client does not have");
            break;
          }
          if (it->second.empty()) records_.erase(it);
          break;
        }
        case ChangeKind::kDeleteRRset:
          if (records_.erase({owner, static_cast<std::uint16_t>(c.type)}) == 0 && strict)
            return failed("RRset delete of an RRset the client does not have");
          break;
        case ChangeKind::kDeleteClass:
        case ChangeKind::kDeleteName: {
          std::size_t n = 0;
          for (auto it = records_.begin(); it != records_.end();) {
            if (it->first.first == owner) {
              it = records_.erase(it);
              ++n;
            } else {
              ++it;
            }
          }
          if (n == 0 && strict) return failed("name delete of a name the client does not have");
          break;
        }
      }
    }
    ++messages_;
    return true;
  }

  // What the subscriptions see in `z` (class IN; TYPE ANY = all types).
  static Records expected(const zone::Zone& z, const std::vector<Subscribe>& subs) {
    Records out;
    for (const Subscribe& s : subs) {
      if (s.cls != wire::RRClass::IN && s.cls != wire::RRClass::ANY) continue;
      const zone::Node* node = z.find(s.name);
      if (node == nullptr) continue;
      for (const zone::RRset& set : node->rrsets()) {
        if (s.type != wire::RRType::ANY && s.type != set.type) continue;
        auto& dst = out[{key_of(s.name), static_cast<std::uint16_t>(set.type)}];
        for (const auto& rd : set.rdatas)
          dst[wire::canonical_rdata(set.type, rd)] = ttl_of(set.ttl);
      }
    }
    return out;
  }

  // Drops what none of `subs` covers (a cancelled subscription's records).
  void prune(const std::vector<Subscribe>& subs) {
    std::erase_if(records_, [&](const auto& kv) {
      return std::none_of(subs.begin(), subs.end(), [&](const Subscribe& s) {
        return key_of(s.name) == kv.first.first &&
               (s.type == wire::RRType::ANY ||
                static_cast<std::uint16_t>(s.type) == kv.first.second);
      });
    });
  }

  const Records& records() const { return records_; }
  const std::string& error() const { return error_; }
  std::size_t messages() const { return messages_; }
  void clear() { records_.clear(); }

  static std::string key_of(const wire::Name& n) {
    const wire::Name lower = n.to_lower();  // wire() is a view into it
    return std::string(lower.wire().begin(), lower.wire().end());
  }

 private:
  static std::uint32_t ttl_of(std::uint32_t ttl) { return ttl > 0x7FFFFFFFu ? 0 : ttl; }
  bool failed(std::string why) {
    if (error_.empty()) error_ = std::move(why);
    return false;
  }

  Records records_;
  std::string error_;
  std::size_t messages_ = 0;
};

}  // namespace dnspush::push::test
