// push_load: the DNS Push load generator (BENCHMARKS.md "DNS Push"; driven by
// bench/run_push_bench.sh, which starts dnspushd itself).
//
//   push_load push --tls-port P --dns-port D --server-pid PID --sessions N --subs M
//                  --changes K --rate R [--quiet-window W]
//     forks subscriber processes holding N TLS sessions with M subscriptions each (bound
//     to 127.0.0.x source addresses), reads the server's RSS before and after, sends K
//     TSIG-signed UPDATEs at R per second, and reports UPDATE->PUSH latency and the time
//     each change took to reach every session; with W > 0, then one change in a quiet
//     window of W seconds and the server's CPU over it (push at one change per W).
//   push_load poll --dns-port D --server-pid PID --clients N --duration S
//     N clients each asking once a second over UDP; bytes and the server's CPU.
//
// Every report ends with one "RESULT key=value ..." line for the driver.
#include <arpa/inet.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "children.hpp"
#include "poller.hpp"
#include "proc_stats.hpp"
#include "updater.hpp"

namespace {

using namespace dnspush;
using namespace dnspush::bench;
using namespace std::chrono_literals;

constexpr char kExampleKey[] =
    "hmac-sha256:example-key:bmc3Vb9CAvHrEG4OH0GWUZRXSt7oDDQ0ZWRpTrzHgL8=";

struct Common {
  std::string server = "127.0.0.1";
  int dns_port = 0;
  int server_pid = 0;
  std::string zone = "example.test";
  std::string watched = "lat.bench";  // relative to the zone
  std::string label = "-";
};

struct PushOptions {
  int tls_port = 0;
  std::size_t sessions = 10;
  std::size_t subs = 1;
  std::size_t procs = 0;
  std::size_t per_process = 5000;
  std::string source_base = "127.0.0.2";
  std::size_t per_source = 900;
  std::size_t extra_names = 100;
  std::size_t connect_window = 64;
  std::string key = kExampleKey;
  std::size_t changes = 3;
  double rate = 2;
  double settle_s = 2;
  double drain_s = 2;
  double quiet_s = 0;
  double setup_timeout_s = 600;
  bool strict = false;
};

struct PollOptions {
  std::size_t clients = 1000;
  double duration_s = 10;
  std::size_t sockets = 64;
};

double load_average() {
  double la = 0;
  if (std::FILE* fp = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(fp, "%lf", &la) != 1) la = 0;
    std::fclose(fp);
  }
  return la;
}

double ms(std::int64_t ns) {
  return static_cast<double>(ns) / 1e6;
}

Result<sockaddr_in> endpoint(const std::string& host, int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1) {
    return fail(Errc::kInvalidConfig, "not an IPv4 address: " + host);
  }
  return a;
}

Result<wire::Name> name_in_zone(const std::string& rel, const wire::Name& zone) {
  return wire::Name::from_text(rel, &zone);
}

// Server figures, when its PID is known.
struct ServerSnapshot {
  std::optional<ProcMemory> mem;
  std::optional<double> cpu;
  std::optional<std::size_t> fds;
  std::optional<std::uint64_t> tcp_kib;
};

ServerSnapshot snapshot(int pid) {
  ServerSnapshot s;
  s.tcp_kib = tcp_socket_memory_kib();
  if (pid <= 0) return s;
  s.mem = read_memory(pid);
  s.cpu = read_cpu_seconds(pid);
  s.fds = count_fds(pid);
  return s;
}

struct ChangeStats {
  std::int64_t sent_ns = 0;
  std::size_t receipts = 0;
  std::int64_t max_read_ns = 0;
  std::int64_t max_arrived_ns = 0;
};

// Latency from the UPDATE's send of every receipt of the changes in `sent`, twice: until
// the PUSH was read by the subscriber process ("read"), and until its bytes reached the
// subscriber's socket ("arrived", the kernel's receive timestamp: the server's side,
// without the subscribers' own queueing on the shared cores). Per change, the time to
// the last receiver (the fan-out time).
struct LatencyReport {
  std::vector<std::int64_t> read, arrived;
  std::vector<std::int64_t> fanout_read, fanout_arrived;  // per change that reached all
  std::size_t complete = 0;                               // changes received by every ready session
  std::size_t receipts = 0;
};

LatencyReport latency_of(const std::vector<SentChange>& sent,
                         const std::vector<ChildResult>& results, std::size_t ready) {
  std::unordered_map<std::int64_t, ChangeStats> per;  // by stamp
  for (const auto& s : sent) per[s.stamp_ns].sent_ns = s.sent_ns;
  LatencyReport r;
  for (const auto& cr : results) {
    for (const auto& s : cr.samples) {
      auto it = per.find(s.stamp_ns);
      if (it == per.end()) continue;  // an older value, e.g. an initial PUSH
      ChangeStats& c = it->second;
      const std::int64_t l = s.received_ns - c.sent_ns;
      r.read.push_back(l);
      c.max_read_ns = std::max(c.max_read_ns, l);
      if (s.arrived_ns != 0) {
        const std::int64_t a = s.arrived_ns - c.sent_ns;
        r.arrived.push_back(a);
        c.max_arrived_ns = std::max(c.max_arrived_ns, a);
      }
      ++c.receipts;
    }
  }
  r.receipts = r.read.size();
  for (const auto& s : sent) {
    const auto& c = per[s.stamp_ns];
    if (c.receipts >= ready && ready > 0) {
      ++r.complete;
      r.fanout_read.push_back(c.max_read_ns);
      r.fanout_arrived.push_back(c.max_arrived_ns);
    }
  }
  return r;
}

struct Percentiles {
  double p50 = 0, p99 = 0, p999 = 0, max = 0;
};

Percentiles percentiles(std::vector<std::int64_t> v) {
  return {ms(percentile(v, 50)), ms(percentile(v, 99)), ms(percentile(v, 99.9)),
          ms(percentile(v, 100))};
}

void print_latency(const char* what, const LatencyReport& r, std::size_t changes,
                   std::size_t ready) {
  std::printf(
      "%s: %zu changes x %zu sessions: %zu receipts of %zu expected (%zu with a kernel "
      "timestamp)\n",
      what, changes, ready, r.receipts, changes * ready, r.arrived.size());
  for (const auto& [name, v] : {std::pair{"arrived at the subscriber's socket", &r.arrived},
                                std::pair{"read by the subscriber", &r.read}}) {
    if (v->empty()) continue;
    const auto p = percentiles(*v);
    std::printf("  UPDATE->PUSH %-35s p50 %8.3f  p99 %8.3f  p99.9 %8.3f  max %8.3f ms\n", name,
                p.p50, p.p99, p.p999, p.max);
  }
  std::printf("  one change to all %zu sessions (max over receivers; %zu changes complete):\n",
              ready, r.complete);
  for (const auto& [name, v] :
       {std::pair{"arrived", &r.fanout_arrived}, std::pair{"read", &r.fanout_read}}) {
    if (v->empty()) continue;
    const auto p = percentiles(*v);
    std::printf("    %-8s p50 %8.3f  max %8.3f ms\n", name, p.p50, p.max);
  }
}

int run_push(const Common& co, const PushOptions& o) {
  auto zone = wire::Name::from_text(co.zone);
  if (!zone) {
    std::fprintf(stderr, "push_load: bad zone: %s\n", zone.error().message.c_str());
    return 2;
  }
  auto watched = name_in_zone(co.watched, *zone);
  auto extra_parent = name_in_zone("bench", *zone);
  auto key = wire::TsigKey::from_string(o.key);
  auto server_tcp = endpoint(co.server, o.tls_port);
  auto server_udp = endpoint(co.server, co.dns_port);
  if (!watched || !extra_parent || !key || !server_tcp || !server_udp) {
    std::fprintf(stderr, "push_load: bad --watched, --key, --server or port\n");
    return 2;
  }
  if (o.subs == 0 || (o.subs > 1 && o.extra_names < o.subs - 1)) {
    std::fprintf(stderr, "push_load: --subs must be >= 1 and --extra-names >= subs - 1\n");
    return 2;
  }
  const std::size_t procs =
      o.procs != 0 ? o.procs
                   : std::max<std::size_t>(1, (o.sessions + o.per_process - 1) / o.per_process);

  SubscriberConfig sc;
  sc.server = asio::ip::tcp::endpoint(asio::ip::make_address_v4(co.server),
                                      static_cast<std::uint16_t>(o.tls_port));
  std::error_code ec;
  auto base = asio::ip::make_address_v4(o.source_base, ec);
  if (ec) {
    std::fprintf(stderr, "push_load: bad --source-base\n");
    return 2;
  }
  const std::size_t nsources = (o.sessions + o.per_source - 1) / o.per_source;
  for (std::size_t i = 0; i < std::max<std::size_t>(nsources, 1); ++i) {
    sc.sources.push_back(asio::ip::address_v4(base.to_uint() + static_cast<std::uint32_t>(i)));
  }
  sc.per_source = o.per_source;
  sc.sessions = o.sessions;
  sc.subscriptions = o.subs;
  sc.watched = *watched;
  sc.extra_parent = *extra_parent;
  sc.extra_names = std::max<std::size_t>(o.extra_names, 1);
  sc.connect_window = o.connect_window;

  std::printf(
      "push: %zu sessions x %zu subscriptions, %zu subscriber processes, %zu source "
      "addresses from %s, server %s (tls %d, dns %d, pid %d)\n",
      o.sessions, o.subs, procs, sc.sources.size(), o.source_base.c_str(), co.server.c_str(),
      o.tls_port, co.dns_port, co.server_pid);
  const ServerSnapshot before = snapshot(co.server_pid);
  const TimePoint t_connect = Clock::now();
  auto children = spawn_subscribers(sc, procs);
  if (!children) {
    std::fprintf(stderr, "push_load: %s\n", children.error().message.c_str());
    return 1;
  }
  const auto setup_deadline = t_connect + std::chrono::duration_cast<Duration>(
                                              std::chrono::duration<double>(o.setup_timeout_s));
  ChildReady ready;
  for (auto& c : *children) {
    auto r = wait_ready(c, setup_deadline);
    if (!r) {
      std::fprintf(stderr, "push_load: %s\n", r.error().message.c_str());
      kill_children(*children);
      return 1;
    }
    ready.ready += r->ready;
    ready.failed += r->failed;
    ready.subscribed += r->subscribed;
    ready.refused += r->refused;
    if (ready.first_error.empty()) ready.first_error = r->first_error;
  }
  const double setup_s = std::chrono::duration<double>(Clock::now() - t_connect).count();
  std::printf(
      "sessions: %zu ready, %zu failed%s%s; %zu SUBSCRIBEs NOERROR, %zu refused; "
      "set up in %.1f s\n",
      ready.ready, ready.failed,
      ready.first_error.empty() ? "" : ": first error: ", ready.first_error.c_str(),
      ready.subscribed, ready.refused, setup_s);
  std::this_thread::sleep_for(std::chrono::duration<double>(o.settle_s));
  const ServerSnapshot held = snapshot(co.server_pid);

  double per_session_kib = 0, per_sub_kib = 0;
  if (before.mem && held.mem && ready.ready > 0) {
    const double d =
        static_cast<double>(held.mem->rss_kib) - static_cast<double>(before.mem->rss_kib);
    per_session_kib = d / static_cast<double>(ready.ready);
    per_sub_kib = d / static_cast<double>(ready.subscribed);
    std::printf(
        "server RSS: %lu KiB before, %lu KiB with the sessions (anon %lu -> %lu, file "
        "%lu -> %lu): %.2f KiB per session, %.2f KiB per subscription\n",
        before.mem->rss_kib, held.mem->rss_kib, before.mem->rss_anon_kib, held.mem->rss_anon_kib,
        before.mem->rss_file_kib, held.mem->rss_file_kib, per_session_kib, per_sub_kib);
  }
  if (before.fds && held.fds) {
    std::printf("server descriptors: %zu before, %zu with the sessions\n", *before.fds, *held.fds);
  }
  if (before.tcp_kib && held.tcp_kib) {
    std::printf("kernel TCP socket memory (machine-wide, both ends, outside RSS): %lu -> %lu KiB\n",
                *before.tcp_kib, *held.tcp_kib);
  }

  // ---- latency phase ---------------------------------------------------------------------
  UpdaterConfig uc;
  uc.server = *server_udp;
  uc.zone = *zone;
  uc.watched = *watched;
  uc.key = *key;
  Updater up(uc);
  if (auto r = up.open(); !r) {
    std::fprintf(stderr, "push_load: %s\n", r.error().message.c_str());
    kill_children(*children);
    return 1;
  }
  const double cpu0 = held.cpu.value_or(0);
  const TimePoint t_updates = Clock::now();
  const auto stamps = up.run(o.changes, o.rate);
  up.pump(Clock::now() +
          std::chrono::duration_cast<Duration>(std::chrono::duration<double>(o.drain_s)));
  const double updates_s = std::chrono::duration<double>(Clock::now() - t_updates).count();
  const auto cpu1 = co.server_pid > 0 ? read_cpu_seconds(co.server_pid) : std::nullopt;

  // ---- quiet window: push at one change per window ---------------------------------------
  std::vector<SentChange> quiet_stamps;
  double quiet_cpu = 0, quiet_sched = 0;
  PoolCounters quiet_a, quiet_b;
  if (o.quiet_s > 0) {
    const auto deadline = Clock::now() + 30s;
    auto a = query_counters(*children, deadline);
    const auto c0 = co.server_pid > 0 ? read_cpu_seconds(co.server_pid) : std::nullopt;
    const auto s0 = co.server_pid > 0 ? read_sched_cpu_seconds(co.server_pid) : std::nullopt;
    const TimePoint w0 = Clock::now();
    if (auto s = up.send_change()) quiet_stamps.push_back(*s);
    up.pump(w0 + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(o.quiet_s)));
    const auto c1 = co.server_pid > 0 ? read_cpu_seconds(co.server_pid) : std::nullopt;
    const auto s1 = co.server_pid > 0 ? read_sched_cpu_seconds(co.server_pid) : std::nullopt;
    auto b = query_counters(*children, Clock::now() + 30s);
    if (a && b) {
      quiet_a = *a;
      quiet_b = *b;
    }
    if (c0 && c1) quiet_cpu = *c1 - *c0;
    if (s0 && s1) quiet_sched = *s1 - *s0;
  }

  auto results = collect(*children, Clock::now() + 120s);
  if (!results) {
    std::fprintf(stderr, "push_load: %s\n", results.error().message.c_str());
    kill_children(*children);
    return 1;
  }
  PoolCounters total;
  for (const auto& r : *results) {
    total.lost += r.counters.lost;
    total.push_messages += r.counters.push_messages;
    total.bad_push += r.counters.bad_push;
  }

  const auto& uc_counters = up.counters();
  auto build = uc_counters.build_ns;
  auto sign = uc_counters.sign_ns;
  auto send = uc_counters.send_ns;
  std::printf(
      "updates: %zu sent (%zu at %.1f/s, %zu in the quiet window), %zu NOERROR, %zu "
      "other%s%s, %zu unanswered; build+sign+send p50 %.1f us (TSIG %.1f, send %.1f; not in "
      "the latency)\n",
      uc_counters.sent, stamps.size(), o.rate, quiet_stamps.size(), uc_counters.noerror,
      uc_counters.other_rcode,
      uc_counters.first_error.empty() ? "" : " first: ", uc_counters.first_error.c_str(),
      up.outstanding(), ms(percentile(build, 50)) * 1e3, ms(percentile(sign, 50)) * 1e3,
      ms(percentile(send, 50)) * 1e3);
  auto answers = uc_counters.answer_ns;
  if (!answers.empty()) {
    std::printf("  UPDATE->answer: p50 %.3f ms  p99 %.3f ms\n", ms(percentile(answers, 50)),
                ms(percentile(answers, 99)));
  }
  auto lat = latency_of(stamps, *results, ready.ready);
  print_latency("latency", lat, stamps.size(), ready.ready);
  std::printf("  PUSH messages received %lu (bad %lu); sessions lost after ready %zu\n",
              total.push_messages, total.bad_push, total.lost);
  double server_cpu_updates = cpu1 && held.cpu ? *cpu1 - cpu0 : 0;
  if (cpu1) {
    std::printf("  server CPU over the latency phase (%.1f s): %.3f s\n", updates_s,
                server_cpu_updates);
  }

  LatencyReport quiet;
  double cpu_per_sub_s = 0, sched_per_sub_s = 0;
  std::uint64_t quiet_bytes = 0;
  if (o.quiet_s > 0) {
    quiet = latency_of(quiet_stamps, *results, ready.ready);
    quiet_bytes =
        (quiet_b.wire_read - quiet_a.wire_read) + (quiet_b.wire_written - quiet_a.wire_written);
    const double per = ready.ready ? 1.0 / o.quiet_s / static_cast<double>(ready.ready) : 0;
    cpu_per_sub_s = quiet_cpu * per;
    sched_per_sub_s = quiet_sched * per;
    std::printf(
        "quiet window: %.0f s with 1 change: server CPU %.3f s (utime+stime; schedstat %.4f s) = "
        "%.3g (%.3g) CPU-s per subscriber per second; TLS bytes on the wire %lu (%.1f B/s)\n",
        o.quiet_s, quiet_cpu, quiet_sched, cpu_per_sub_s, sched_per_sub_s, quiet_bytes,
        static_cast<double>(quiet_bytes) / o.quiet_s);
    print_latency("  quiet change", quiet, quiet_stamps.size(), ready.ready);
  }

  const auto pr = percentiles(lat.read), pa = percentiles(lat.arrived);
  const auto fr = percentiles(lat.fanout_read), fa = percentiles(lat.fanout_arrived);
  const auto qa = percentiles(quiet.fanout_arrived), qr = percentiles(quiet.fanout_read);
  std::printf(
      "RESULT mode=push label=%s sessions=%zu ready=%zu failed=%zu subs=%zu subscribed=%zu "
      "rss_before_kib=%lu rss_after_kib=%lu kib_per_session=%.3f kib_per_sub=%.3f "
      "changes=%zu rate=%.1f receipts=%zu expected=%zu "
      "arr_p50_ms=%.3f arr_p99_ms=%.3f arr_p999_ms=%.3f arr_max_ms=%.3f "
      "read_p50_ms=%.3f read_p99_ms=%.3f read_p999_ms=%.3f read_max_ms=%.3f "
      "fan_arr_p50_ms=%.3f fan_arr_max_ms=%.3f fan_read_p50_ms=%.3f fan_read_max_ms=%.3f "
      "complete=%zu lost=%zu setup_s=%.1f update_cpu_s=%.3f quiet_s=%.0f quiet_cpu_s=%.3f "
      "cpu_per_sub_s=%.4g sched_per_sub_s=%.4g quiet_bytes=%lu quiet_fan_arr_ms=%.3f "
      "quiet_fan_read_ms=%.3f "
      "load=%.2f\n",
      co.label.c_str(), o.sessions, ready.ready, ready.failed, o.subs, ready.subscribed,
      before.mem ? before.mem->rss_kib : 0, held.mem ? held.mem->rss_kib : 0, per_session_kib,
      per_sub_kib, stamps.size(), o.rate, lat.receipts, stamps.size() * ready.ready, pa.p50, pa.p99,
      pa.p999, pa.max, pr.p50, pr.p99, pr.p999, pr.max, fa.p50, fa.max, fr.p50, fr.max,
      lat.complete, total.lost, setup_s, server_cpu_updates, o.quiet_s, quiet_cpu, cpu_per_sub_s,
      sched_per_sub_s, quiet_bytes, qa.max, qr.max, load_average());
  const bool ok = ready.ready == o.sessions && lat.receipts == stamps.size() * ready.ready &&
                  stamps.size() == o.changes && uc_counters.noerror == uc_counters.sent &&
                  total.bad_push == 0 && total.lost == 0;
  if (o.strict && !ok) {
    std::printf("push_load: FAILED (strict): not every session, change or receipt arrived\n");
    return 1;
  }
  return ready.ready > 0 ? 0 : 1;
}

int run_polling(const Common& co, const PollOptions& o) {
  auto zone = wire::Name::from_text(co.zone);
  auto watched = zone ? name_in_zone(co.watched, *zone) : zone;
  auto server = endpoint(co.server, co.dns_port);
  if (!watched || !server) {
    std::fprintf(stderr, "push_load: bad --zone, --watched or --server\n");
    return 2;
  }
  PollConfig pc;
  pc.server = *server;
  pc.qname = *watched;
  pc.clients = o.clients;
  pc.duration = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(o.duration_s));
  pc.sockets = o.sockets;
  std::printf("poll: %zu clients x 1 query/s (UDP, %zu sockets) for %.0f s, server %s:%d\n",
              o.clients, o.sockets, o.duration_s, co.server.c_str(), co.dns_port);
  const auto c0 = co.server_pid > 0 ? read_cpu_seconds(co.server_pid) : std::nullopt;
  const auto s0 = co.server_pid > 0 ? read_sched_cpu_seconds(co.server_pid) : std::nullopt;
  auto r = run_poll(pc);
  const auto c1 = co.server_pid > 0 ? read_cpu_seconds(co.server_pid) : std::nullopt;
  const auto s1 = co.server_pid > 0 ? read_sched_cpu_seconds(co.server_pid) : std::nullopt;
  if (!r) {
    std::fprintf(stderr, "push_load: %s\n", r.error().message.c_str());
    return 1;
  }
  const double cpu = c0 && c1 ? *c1 - *c0 : 0;
  const double sched = s0 && s1 ? *s1 - *s0 : 0;
  const double s = r->seconds;
  const double bytes = static_cast<double>(r->bytes_sent + r->bytes_received);
  const double with_headers = bytes + 28.0 * static_cast<double>(r->sent + r->answered);
  const double per_client = o.clients && s > 0 ? cpu / s / static_cast<double>(o.clients) : 0;
  const double sched_per_client =
      o.clients && s > 0 ? sched / s / static_cast<double>(o.clients) : 0;
  std::printf("  %lu queries, %lu answered in %.1f s (%.0f q/s)%s%s\n", r->sent, r->answered, s,
              static_cast<double>(r->sent) / s, r->first_error.empty() ? "" : "; ",
              r->first_error.c_str());
  std::printf("  DNS payload %.0f B/s (%.0f B/s with IPv4+UDP headers)\n", bytes / s,
              with_headers / s);
  std::printf(
      "  server CPU %.3f s (utime+stime; schedstat %.3f s) = %.3g (%.3g) CPU-s per client per "
      "second\n",
      cpu, sched, per_client, sched_per_client);
  std::printf(
      "RESULT mode=poll label=%s clients=%zu seconds=%.1f sent=%lu answered=%lu "
      "bytes_per_s=%.0f bytes_hdr_per_s=%.0f server_cpu_s=%.3f cpu_per_client_s=%.4g "
      "sched_cpu_s=%.3f sched_per_client_s=%.4g\n",
      co.label.c_str(), o.clients, s, r->sent, r->answered, bytes / s, with_headers / s, cpu,
      per_client, sched, sched_per_client);
  return r->answered > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"push_load: DNS Push load generator (RFC 8765) and its polling baseline"};
  app.require_subcommand(1);
  Common co;
  PushOptions po;
  PollOptions qo;
  const auto common = [&](CLI::App* s) {
    s->add_option("--server", co.server, "server IPv4 address")->capture_default_str();
    s->add_option("--dns-port", co.dns_port, "server UDP port (UPDATE, polling)")->required();
    s->add_option("--server-pid", co.server_pid, "server PID, for /proc figures");
    s->add_option("--zone", co.zone, "zone")->capture_default_str();
    s->add_option("--watched", co.watched, "changed name, relative to the zone")
        ->capture_default_str();
    s->add_option("--label", co.label, "label on the RESULT line");
  };
  auto* push = app.add_subcommand("push", "TLS sessions with subscriptions, changes by UPDATE");
  common(push);
  push->add_option("--tls-port", po.tls_port, "server DNS-over-TLS port")->required();
  push->add_option("--sessions", po.sessions, "TLS sessions")->capture_default_str();
  push->add_option("--subs", po.subs, "subscriptions per session")->capture_default_str();
  push->add_option("--procs", po.procs, "subscriber processes (0: one per --per-process)");
  push->add_option("--per-process", po.per_process, "sessions per process when --procs is 0")
      ->capture_default_str();
  push->add_option("--source-base", po.source_base, "first local source address")
      ->capture_default_str();
  push->add_option("--per-source", po.per_source, "sessions per source address")
      ->capture_default_str();
  push->add_option("--extra-names", po.extra_names, "names the other subscriptions spread over")
      ->capture_default_str();
  push->add_option("--connect-window", po.connect_window, "session setups in flight per process")
      ->capture_default_str();
  push->add_option("--key", po.key, "TSIG key alg:name:secret");
  push->add_option("--changes", po.changes, "UPDATEs in the latency phase")->capture_default_str();
  push->add_option("--rate", po.rate, "UPDATEs per second")->capture_default_str();
  push->add_option("--settle", po.settle_s, "seconds between set-up and the RSS reading")
      ->capture_default_str();
  push->add_option("--drain", po.drain_s, "seconds to wait after the last UPDATE")
      ->capture_default_str();
  push->add_option("--quiet-window", po.quiet_s,
                   "seconds of one change for the CPU figure (0: none)")
      ->capture_default_str();
  push->add_option("--setup-timeout", po.setup_timeout_s, "seconds for every session to be ready")
      ->capture_default_str();
  push->add_flag("--strict", po.strict, "exit 1 unless every session and receipt arrived");
  auto* poll = app.add_subcommand("poll", "UDP polling baseline");
  common(poll);
  poll->add_option("--clients", qo.clients, "clients, each 1 query/s")->capture_default_str();
  poll->add_option("--duration", qo.duration_s, "seconds")->capture_default_str();
  poll->add_option("--sockets", qo.sockets, "UDP sockets the clients share")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  if (po.rate <= 0 || po.per_source == 0 || po.per_process == 0 || qo.sockets == 0) {
    std::fprintf(stderr, "push_load: --rate, --per-source, --per-process, --sockets must be > 0\n");
    return 2;
  }
  if (push->parsed()) return run_push(co, po);
  return run_polling(co, qo);
}
