#!/usr/bin/env bash
# Durable DNS UPDATE benchmark: committed UPDATEs per second with 1 client and with
# CLIENTS concurrent clients, and p50/p99 latency from UPDATE sent to NOERROR received,
# for dnspushd and for BIND 9 named (a primary with allow-update), interleaved
# (ours, bind, ours, bind). See bench/update_bench.py and BENCHMARKS.md ("DNS UPDATE").
#
# Environment (all optional):
#   DNSPUSH_BIN  directory with dnspushd              (default: build/bin)
#   ROUNDS       interleaved rounds                   (default: 2)
#   DURATION     seconds per measurement              (default: 5)
#   CLIENTS      concurrent clients of the 2nd run    (default: 16)
#   WORKERS      dnspushd worker threads              (default: nproc)
#   SERVERS      "dnspushd bind", or one of them      (default: both)
set -euo pipefail
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export DNSPUSH_SRC=$SRC
export DNSPUSH_BIN=${DNSPUSH_BIN:-$SRC/build/bin}
for tool in dnsperf dig nsupdate; do
  command -v "$tool" >/dev/null || { echo "run_update_bench: $tool not found (scripts/install-deps.sh)" >&2; exit 1; }
done
exec /usr/bin/python3 "$SRC/bench/update_bench.py" "$@"
