// The end-of-run statistics, in dnsperf's words and layout ("Queries sent:", "Queries per
// second:", "Average Latency (s):", ...), so that bench/run_dnsperf.sh reads either
// program's output with the same awk; then what dnsperf does not say: answers that did
// not match their query, and latency percentiles.
#pragma once

#include <cstdio>

#include "load_run.hpp"

namespace dnspush::bench {

void print_report(std::FILE* out, const LoadCounters& c);

}  // namespace dnspush::bench
