// The client's stub resolver: asks the configured recursive resolvers (resolv.conf(5), or
// the ones given) over UDP, retrying over TCP when the answer is truncated (RFC 7766 §5),
// trying each server in turn, and keeps answers for their TTL (AnswerCache). Runs on the
// caller's executor; all calls from its thread.
#pragma once

#include <random>
#include <string>
#include <vector>

#include "client/answer_cache.hpp"
#include "client/config_files.hpp"
#include "client/discovery.hpp"
#include "client/net.hpp"
#include "client/stub.hpp"

namespace dnspush::client {

struct ResolverConfig {
  std::vector<ServerAddress> servers;          // empty: read /etc/resolv.conf (127.0.0.1 if none)
  Duration timeout = std::chrono::seconds(2);  // per server and attempt
  int attempts = 2;                            // rounds over the server list
  std::size_t cache_entries = 4096;
};

struct ResolveResult {
  std::optional<Answer> answer;
  net::NetError error;  // when no server answered
  std::string server;   // who answered
  bool from_cache = false;
};

class Resolver {
 public:
  explicit Resolver(ResolverConfig cfg);

  // `use_cache` false: always ask (polling must see the resolver's view, not ours).
  asio::awaitable<ResolveResult> query(const Question& q, bool use_cache = true);
  // Runs a Discovery (RFC 8765 §6.1) to its end with this resolver.
  asio::awaitable<DiscoveryResult> discover(const wire::Name& name, const DiscoveryConfig& cfg);
  // Host name (or literal) to addresses: A then AAAA.
  asio::awaitable<std::vector<std::string>> addresses(const std::string& host);
  // (Parameters by reference: see net.hpp on g++ 12 and coroutine temporaries.)

  const std::vector<ServerAddress>& servers() const { return servers_; }

 private:
  ResolverConfig cfg_;
  std::vector<ServerAddress> servers_;
  AnswerCache cache_;
  std::mt19937 rng_;
};

}  // namespace dnspush::client
