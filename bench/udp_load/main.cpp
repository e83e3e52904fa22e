// udp_load: a UDP DNS load generator, for bench/run_dnsperf.sh (GEN=udp_load).
//
// dnsperf pinned to one core of a 2-core machine was the bottleneck of the pinned UDP
// comparison (BENCHMARKS.md, "One hash per zone lookup"): both servers answered all it
// sent, so the ratio said nothing about them. This does the same job for less CPU per
// query: one thread, queries encoded once, the ID written per send, sendmmsg/recvmmsg in
// batches of 64, no allocation per query. Options follow dnsperf's where they exist:
//
//   udp_load -s ADDR -p PORT -d QUERYFILE [-l SECONDS] [-w WINDOW] [-S SOCKETS]
//            [-t TIMEOUT_MS] [--edns SIZE] [--rd]
//
// and the report ends in dnsperf's "Statistics:" block (report.hpp).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "load_run.hpp"
#include "query_set.hpp"
#include "report.hpp"

namespace {

using namespace dnspush;
using namespace dnspush::bench;

bool parse_address(const std::string& host, std::uint16_t port, LoadConfig& c) {
  c.server = {};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&c.server);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    c.server_len = sizeof(sockaddr_in);
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&c.server);
  if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    c.server_len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"udp_load: UDP DNS load generator (dnsperf's query files and report)"};
  std::string server = "127.0.0.1";
  std::uint16_t port = 53;
  std::string file;
  double seconds = 10;
  // dnsperf's default -q: the same concurrency as the dnsperf runs it replaces. More is not
  // more load here: at 256 in flight dnspushd's socket (the kernel's default 208 KiB
  // receive buffer) overflowed and dropped queries (ss -uam: d183 after one 2 s run).
  std::uint32_t window = 100;
  std::uint32_t sockets = 4;
  std::uint32_t timeout_ms = 1000;
  QueryOptions qo;
  app.add_option("-s", server, "server IPv4 or IPv6 address")->capture_default_str();
  app.add_option("-p", port, "server port")->capture_default_str();
  app.add_option("-d", file, "query file: \"name type\" per line, as dnsperf's -d")->required();
  app.add_option("-l", seconds, "seconds to send for")->capture_default_str();
  app.add_option("-w,-q", window, "queries in flight, over all sockets (dnsperf's -q)")
      ->capture_default_str();
  app.add_option("-S", sockets, "UDP sockets (source ports); the window is split over them")
      ->capture_default_str();
  app.add_option("-t", timeout_ms, "milliseconds after which an unanswered query is lost")
      ->capture_default_str();
  app.add_option("--edns", qo.edns_payload,
                 "EDNS(0) payload size in an OPT record on every query (dnsperf -e: 4096); "
                 "0: no OPT record")
      ->capture_default_str();
  app.add_flag("--rd", qo.recursion_desired, "set RD, as dnsperf does");
  CLI11_PARSE(app, argc, argv);

  LoadConfig config;
  if (!parse_address(server, port, config)) {
    std::fprintf(stderr, "udp_load: -s %s: not an IPv4 or IPv6 address\n", server.c_str());
    return 2;
  }
  if (!(seconds > 0) || window == 0 || sockets == 0 || timeout_ms == 0) {
    std::fprintf(stderr, "udp_load: -l, -w, -S and -t must be > 0\n");
    return 2;
  }
  if (qo.edns_payload != 0 && qo.edns_payload < 512) {
    std::fprintf(stderr, "udp_load: --edns below 512 (RFC 6891 §6.2.5)\n");
    return 2;
  }
  config.duration =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(seconds));
  config.window = window;
  config.sockets = sockets;
  config.timeout = std::chrono::milliseconds(timeout_ms);

  auto queries = QuerySet::load(file, qo);
  if (!queries) {
    std::fprintf(stderr, "udp_load: %s\n", queries.error().message.c_str());
    return 1;
  }
  std::printf(
      "[Status] Sending queries to %s port %u: %zu queries in the file, %u in flight "
      "over %u sockets, for %.1f s (timeout %u ms)\n",
      server.c_str(), static_cast<unsigned>(port), queries->size(), window,
      std::min(sockets, window), seconds, timeout_ms);
  std::fflush(stdout);
  auto counters = run_load(config, *queries);
  if (!counters) {
    std::fprintf(stderr, "udp_load: %s\n", counters.error().message.c_str());
    return 1;
  }
  std::printf("[Status] Testing complete (time limit)\n\n");
  print_report(stdout, *counters);
  return 0;
}
