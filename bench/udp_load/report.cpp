#include "report.hpp"

namespace dnspush::bench {
namespace {

// RFC 1035 §4.1.1, RFC 2136 §2.2 (6-10), as dnsperf names them.
constexpr const char* kRcodes[16] = {
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
    "NXRRSET", "NOTAUTH", "NOTZONE",  "rcode11",  "rcode12", "rcode13", "rcode14",  "rcode15"};

double percent(std::uint64_t part, std::uint64_t whole) {
  return whole != 0 ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0;
}

double seconds(double ns) {
  return ns / 1e9;
}

}  // namespace

void print_report(std::FILE* out, const LoadCounters& c) {
  std::fprintf(out, "Statistics:\n\n");
  std::fprintf(out, "  Queries sent:         %lu\n", c.sent);
  std::fprintf(out, "  Queries completed:    %lu (%.2f%%)\n", c.completed,
               percent(c.completed, c.sent));
  std::fprintf(out, "  Queries lost:         %lu (%.2f%%)\n", c.lost, percent(c.lost, c.sent));
  std::fprintf(out, "  Queries mismatched:   %lu\n", c.mismatched);
  std::fprintf(out, "  Unexpected answers:   %lu\n", c.unexpected);
  std::fprintf(out, "  Truncated answers:    %lu\n", c.truncated);
  std::fprintf(out, "  Port unreachable:     %lu\n", c.refused);
  if (c.send_errors != 0 || !c.first_error.empty()) {
    std::fprintf(out, "  Errors:               %lu sends failed; first error: %s\n", c.send_errors,
                 c.first_error.c_str());
  }
  std::fprintf(out, "\n  Response codes:");
  const char* sep = "       ";
  for (std::size_t i = 0; i < 16; ++i) {
    if (c.rcodes[i] == 0) continue;
    std::fprintf(out, "%s%s %lu (%.2f%%)", sep, kRcodes[i], c.rcodes[i],
                 percent(c.rcodes[i], c.completed));
    sep = ", ";
  }
  std::fprintf(out, "\n");
  std::fprintf(out, "  Average packet size:  request %.0f, response %.0f\n",
               c.sent != 0 ? static_cast<double>(c.request_bytes) / static_cast<double>(c.sent) : 0,
               c.completed != 0
                   ? static_cast<double>(c.response_bytes) / static_cast<double>(c.completed)
                   : 0);
  std::fprintf(out, "  Run time (s):         %.6f\n", c.run_seconds);
  std::fprintf(out, "  Queries per second:   %.6f\n",
               c.run_seconds > 0 ? static_cast<double>(c.completed) / c.run_seconds : 0);
  const LatencyHistogram& l = c.latency;
  std::fprintf(out, "\n  Average Latency (s):  %.6f (min %.6f, max %.6f)\n", seconds(l.mean()),
               seconds(static_cast<double>(l.min())), seconds(static_cast<double>(l.max())));
  std::fprintf(out, "  Latency StdDev (s):   %.6f\n", seconds(l.stddev()));
  std::fprintf(out, "  Latency percentiles (s): p50 %.6f, p90 %.6f, p99 %.6f, p99.9 %.6f\n",
               seconds(static_cast<double>(l.percentile(50))),
               seconds(static_cast<double>(l.percentile(90))),
               seconds(static_cast<double>(l.percentile(99))),
               seconds(static_cast<double>(l.percentile(99.9))));
  const double cpu = c.cpu_user_seconds + c.cpu_system_seconds;
  std::fprintf(out, "\n  Generator CPU (s):    %.3f (user %.3f, system %.3f; %.0f%% of the run)\n",
               cpu, c.cpu_user_seconds, c.cpu_system_seconds,
               c.run_seconds > 0 ? 100.0 * cpu / c.run_seconds : 0);
  std::fprintf(
      out,
      "  System calls:         sendmmsg %lu (%.1f queries each), recvmmsg %lu (%.1f "
      "answers each), ppoll %lu\n",
      c.send_calls,
      c.send_calls != 0 ? static_cast<double>(c.sent) / static_cast<double>(c.send_calls) : 0,
      c.receive_calls,
      c.receive_calls != 0 ? static_cast<double>(c.completed + c.mismatched + c.unexpected) /
                                 static_cast<double>(c.receive_calls)
                           : 0,
      c.poll_calls);
  std::fprintf(out, "\n");
}

}  // namespace dnspush::bench
