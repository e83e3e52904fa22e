#include "client/srv.hpp"

#include <algorithm>

#include "wire/reader.hpp"

namespace dnspush::client {

std::optional<SrvRecord> SrvRecord::from_record(const wire::Record& r) {
  if (r.type != wire::RRType::SRV) return std::nullopt;
  wire::Reader rd(r.rdata);
  SrvRecord s;
  s.priority = rd.u16();
  s.weight = rd.u16();
  s.port = rd.u16();
  s.target = rd.name();
  s.ttl = r.ttl;
  if (!rd.ok() || !rd.at_end()) return std::nullopt;
  return s;
}

std::vector<SrvRecord> order_srv(std::vector<SrvRecord> records, const UniformRandom& random) {
  if (records.size() == 1 && records.front().target.is_root()) return {};
  std::erase_if(records, [](const SrvRecord& s) { return s.target.is_root(); });
  std::stable_sort(records.begin(), records.end(),
                   [](const SrvRecord& a, const SrvRecord& b) { return a.priority < b.priority; });
  std::vector<SrvRecord> out;
  out.reserve(records.size());
  auto group = records.begin();
  while (group != records.end()) {
    auto end = std::find_if(group, records.end(),
                            [&](const SrvRecord& s) { return s.priority != group->priority; });
    // RFC 2782: weight-0 records at the beginning of the unordered list.
    std::vector<SrvRecord> left(group, end);
    std::stable_partition(left.begin(), left.end(),
                          [](const SrvRecord& s) { return s.weight == 0; });
    while (!left.empty()) {
      std::uint32_t sum = 0;
      for (const auto& s : left) sum += s.weight;
      const std::uint32_t pick = random(sum);
      std::uint32_t running = 0;
      std::size_t chosen = left.size() - 1;
      for (std::size_t i = 0; i < left.size(); ++i) {
        running += left[i].weight;
        if (running >= pick) {
          chosen = i;
          break;
        }
      }
      out.push_back(std::move(left[chosen]));
      left.erase(left.begin() + static_cast<std::ptrdiff_t>(chosen));
    }
    group = end;
  }
  return out;
}

}  // namespace dnspush::client
