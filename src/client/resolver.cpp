#include "client/resolver.hpp"

#include <arpa/inet.h>

#include <fstream>
#include <sstream>

namespace dnspush::client {

Resolver::Resolver(ResolverConfig cfg)
    : cfg_(std::move(cfg)), cache_(cfg_.cache_entries), rng_(std::random_device{}()) {
  servers_ = cfg_.servers;
  if (servers_.empty()) {
    std::ifstream f("/etc/resolv.conf");
    std::stringstream ss;
    ss << f.rdbuf();
    servers_ = parse_resolv_conf(ss.str());
  }
  // resolv.conf(5): with no nameserver line, the resolver on the local machine.
  if (servers_.empty()) servers_.push_back({"127.0.0.1", 53});
}

asio::awaitable<ResolveResult> Resolver::query(const Question& q, bool use_cache) {
  ResolveResult res;
  if (use_cache) {
    if (auto a = cache_.find(q, Clock::now())) {
      res.answer = std::move(*a);
      res.from_cache = true;
      co_return res;
    }
  }
  res.error = {net::Failure::kUnreachable, "no resolver"};
  for (int round = 0; round < std::max(cfg_.attempts, 1); ++round) {
    for (const auto& s : servers_) {
      auto addr = net::parse_address(s.host.substr(0, s.host.find('%')));
      if (!addr) {
        res.error = {net::Failure::kUnreachable, "resolver " + s.host + " is not an address"};
        continue;
      }
      const net::Endpoint ep{*addr, s.port};
      // RFC 5452 §9.2: an unpredictable id for every query.
      const auto id = static_cast<std::uint16_t>(rng_());
      const auto query = build_query(q, id);
      auto out = co_await net::exchange(ep, net::Transport::kUdp, query, cfg_.timeout);
      if (out) {
        auto a = parse_answer(*out.value, q, id);
        if (a && a->truncated) {  // RFC 7766 §5: ask again over TCP
          out = co_await net::exchange(ep, net::Transport::kTcp, query, cfg_.timeout);
          if (out) a = parse_answer(*out.value, q, id);
        }
        if (out && a) {
          cache_.insert(q, *a, Clock::now());
          res.answer = std::move(*a);
          res.server = s.to_text();
          co_return res;
        }
        if (out) out.error = {net::Failure::kMalformed, a.error().message};
      }
      res.error = out.error;
      res.error.text = s.to_text() + ": " + res.error.text;
    }
  }
  co_return res;
}

asio::awaitable<DiscoveryResult> Resolver::discover(const wire::Name& name,
                                                    const DiscoveryConfig& cfg) {
  Discovery d(name, cfg, [this](std::uint32_t bound) {
    return std::uniform_int_distribution<std::uint32_t>(0, bound)(rng_);
  });
  while (auto q = d.poll_query()) {
    auto r = co_await query(*q);
    if (r.answer) {
      d.on_answer(*q, *r.answer);
    } else {
      d.on_failure(*q, r.error.text);
    }
  }
  co_return d.result();
}

asio::awaitable<std::vector<std::string>> Resolver::addresses(const std::string& host) {
  if (net::parse_address(host)) co_return std::vector<std::string>{host};
  std::vector<std::string> out;
  auto name = wire::Name::from_text(host);
  if (!name) co_return out;
  for (auto type : {wire::RRType::A, wire::RRType::AAAA}) {
    const Question q{*name, type, wire::RRClass::IN};
    auto r = co_await query(q);
    if (!r.answer) continue;
    for (const auto& rec : r.answer->matching(q)) {
      char buf[64] = "";
      if (type == wire::RRType::A && rec.rdata.size() == 4)
        inet_ntop(AF_INET, rec.rdata.data(), buf, sizeof buf);
      if (type == wire::RRType::AAAA && rec.rdata.size() == 16)
        inet_ntop(AF_INET6, rec.rdata.data(), buf, sizeof buf);
      if (buf[0] != '\0') out.emplace_back(buf);
    }
  }
  co_return out;
}

}  // namespace dnspush::client
