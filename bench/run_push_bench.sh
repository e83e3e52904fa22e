#!/usr/bin/env bash
# DNS Push whole-system benchmark (BENCHMARKS.md "DNS Push"): for each N, a fresh dnspushd
# on 127.0.0.1 (config written here, state on tmpfs), then build/bin/push_load holding N
# TLS sessions with SUBS subscriptions each over several processes and 127.0.0.x source
# addresses: server RSS per session/subscription, UPDATE->PUSH latency, the time for one
# change to reach all N, and the server's CPU with one change in a quiet window; then the
# polling baseline (N UDP clients, one query a second each) against another fresh server.
# Every server this script starts is stopped by PID; every wait is bounded.
#
# Environment (all optional):
#   DNSPUSH_BIN   directory with dnspushd and push_load       (default: build/bin)
#   SIZES         session counts N                            (default: "1000 5000 18000")
#   SUBS          subscriptions per session                   (default: 1)
#   EXTRA         extra "N:M" push runs, e.g. "5000:10"       (default: "5000:10")
#   ROUNDS        rounds over SIZES, interleaved              (default: 1)
#   CHANGES       UPDATEs in the latency phase                (default: max(20, 200000/N), <= 300)
#   RATE          UPDATEs per second                          (default: 10000/N, in [1, 20])
#   QUIET         seconds of the one-change CPU window (0: off)  (default: 60)
#   POLL          seconds of each polling run (0: off)        (default: 60)
#   SEND_BATCH    dnspushd's [limits] send-batch (0: one send(2) per delivery)  (default: 64)
#   CLIENT_NICE   nice value of push_load's processes: 19 lets dnspushd have the cores
#                 first, as if the subscribers ran elsewhere           (default: 0)
#   WORKERS       server threads                              (default: nproc)
#   STATE_TMP     where server state lives                    (default: /dev/shm)
#   SMOKE=1       quick check: N=10, 3 changes, 2 s windows, strict
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${DNSPUSH_BIN:-$SRC/build/bin}
ZONE=$SRC/examples/example.test.zone
SIZES=${SIZES-"1000 5000 18000"}
SUBS=${SUBS:-1}
EXTRA=${EXTRA-"5000:10"}
ROUNDS=${ROUNDS:-1}
QUIET=${QUIET:-60}
POLL=${POLL:-60}
SEND_BATCH=${SEND_BATCH:-64}
CLIENT_NICE=${CLIENT_NICE:-0}
WORKERS=${WORKERS:-$(nproc)}
STATE_TMP=${STATE_TMP:-/dev/shm}
STRICT=()
if [[ "${SMOKE:-0}" == 1 ]]; then
  SIZES=10 EXTRA="10:3" CHANGES=${CHANGES:-3} RATE=${RATE:-5} QUIET=2 POLL=2
  STRICT=(--strict)
fi
PY=/usr/bin/python3

for tool in dig; do
  command -v "$tool" >/dev/null || { echo "run_push_bench: $tool not found (scripts/install-deps.sh)" >&2; exit 1; }
done
for b in dnspushd push_load; do
  [[ -x "$BIN/$b" ]] || { echo "run_push_bench: $BIN/$b not built (make build)" >&2; exit 1; }
done

WORK=$(mktemp -d "$STATE_TMP/dnspush-push-bench.XXXXXX")
SERVER_PID=""
DNS_PORT=""
TLS_PORT=""

stop_pid() {  # SIGTERM, then SIGKILL after 10 s; only the PIDs this script started
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  [[ -n "$SERVER_PID" ]] && stop_pid "$SERVER_PID"
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {  # free on 127.0.0.1 for both UDP and TCP
  "$PY" - <<'EOF'
import socket
for _ in range(50):
    t = socket.socket(); u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
        try:
            u.bind(("127.0.0.1", p))
        except OSError:
            continue
        print(p); break
    finally:
        t.close(); u.close()
EOF
}

# A fresh server: new state directory (journal, self-signed certificate), new ports.
start_server() {  # name
  local dir=$WORK/$1
  mkdir -p "$dir"
  cp "$ZONE" "$dir/example.test.zone"
  DNS_PORT=$(free_port)
  TLS_PORT=$(free_port)
  cat >"$dir/dnspushd.toml" <<EOF
[server]
state-dir = "state"
log-level = "warn"
workers = $WORKERS
[listen]
dns = ["127.0.0.1:$DNS_PORT"]
tls = ["127.0.0.1:$TLS_PORT"]
[limits]
# The open-files limit is 20,000 per process: 18k sessions plus listeners and the journal.
max-connections = 19500
max-connections-per-address = 1000
tls-handshake-timeout-ms = 10000
send-batch = $SEND_BATCH
[push]
max-sessions = 19500
max-sessions-per-address = 1000
[[key]]
name = "example-key"
algorithm = "hmac-sha256"
secret = "bmc3Vb9CAvHrEG4OH0GWUZRXSt7oDDQ0ZWRpTrzHgL8="
[journal]
sync = "full"
[[zone]]
origin = "example.test"
file = "example.test.zone"
update = [ { key = "example-key" } ]
EOF
  "$BIN/dnspushd" --config "$dir/dnspushd.toml" >"$dir/dnspushd.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "run_push_bench: dnspushd exited; its log:" >&2
      cat "$dir/dnspushd.log" >&2
      exit 1
    fi
    if dig @127.0.0.1 -p "$DNS_PORT" +norec +time=1 +tries=1 example.test SOA 2>/dev/null |
        grep -q 'status: NOERROR'; then
      return 0
    fi
    sleep 0.1
  done
  echo "run_push_bench: dnspushd did not answer within 10 s; its log:" >&2
  cat "$dir/dnspushd.log" >&2
  exit 1
}

stop_server() {  # name
  stop_pid "$SERVER_PID"
  SERVER_PID=""
  if grep -v -E '^\s*$' "$WORK/$1/dnspushd.log" | grep -q .; then
    echo "  dnspushd log ($1, warnings and errors):"
    sed 's/^/    /' "$WORK/$1/dnspushd.log" | head -20
  fi
}

declare -a RESULTS=()

run_push() {  # round sessions subs
  local round=$1 n=$2 m=$3 changes rate name out
  changes=${CHANGES:-$(awk -v n="$n" 'BEGIN { c = int(200000 / n); if (c < 20) c = 20; if (c > 300) c = 300; print c }')}
  rate=${RATE:-$(awk -v n="$n" 'BEGIN { r = int(10000 / n); if (r < 1) r = 1; if (r > 20) r = 20; print r }')}
  name=push-$round-$n-$m
  start_server "$name"
  echo
  echo "== round $round: push, N=$n, $m subscription(s) per session (dnspushd pid $SERVER_PID," \
    "$WORKERS workers; load $(cut -d' ' -f1 /proc/loadavg))"
  out=$WORK/$name.out
  nice -n "$CLIENT_NICE" "$BIN/push_load" push --server 127.0.0.1 --dns-port "$DNS_PORT" --tls-port "$TLS_PORT" \
    --server-pid "$SERVER_PID" --sessions "$n" --subs "$m" --changes "$changes" --rate "$rate" \
    --quiet-window "$QUIET" --label "$round" "${STRICT[@]}" | tee "$out"
  RESULTS+=("$(grep '^RESULT' "$out")")
  stop_server "$name"
}

run_poll() {  # round clients
  local round=$1 n=$2 name out
  name=poll-$round-$n
  start_server "$name"
  echo
  echo "== round $round: polling, N=$n (dnspushd pid $SERVER_PID; load $(cut -d' ' -f1 /proc/loadavg))"
  out=$WORK/$name.out
  "$BIN/push_load" poll --server 127.0.0.1 --dns-port "$DNS_PORT" --server-pid "$SERVER_PID" \
    --clients "$n" --duration "$POLL" --label "$round" | tee "$out"
  RESULTS+=("$(grep '^RESULT' "$out")")
  stop_server "$name"
}

echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')),"\
  "shared by dnspushd ($WORKERS workers), the subscriber processes and the updater;"\
  "open files $(ulimit -n); server state in $STATE_TMP"
for round in $(seq "$ROUNDS"); do
  for n in $SIZES; do run_push "$round" "$n" "$SUBS"; done
  for x in $EXTRA; do run_push "$round" "${x%%:*}" "${x##*:}"; done
  if [[ "$POLL" != 0 ]]; then
    for n in $SIZES; do run_poll "$round" "$n"; done
  fi
done

# ---- summary ---------------------------------------------------------------------------
echo
echo "summary (2 cores shared by server, subscribers and updater; see BENCHMARKS.md):"
printf '%s\n' "${RESULTS[@]}" | awk '
function v(k,   i, kv) { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) return kv[2] } return "" }
/mode=push/ {
  printf "  push  round %s N=%s M=%s: %s ready, %s receipts of %s; server RSS %s KiB per session, %s KiB per subscription\n",
    v("label"), v("sessions"), v("subs"), v("ready"), v("receipts"), v("expected"),
    v("kib_per_session"), v("kib_per_sub")
  printf "        UPDATE->PUSH ms (%s changes at %s/s), arrived p50/p99/p99.9 %s / %s / %s, read %s / %s / %s\n",
    v("changes"), v("rate"), v("arr_p50_ms"), v("arr_p99_ms"), v("arr_p999_ms"), v("read_p50_ms"), v("read_p99_ms"), v("read_p999_ms")
  printf "        one change to all N ms: arrived p50 %s max %s, read p50 %s max %s; quiet window: %s (schedstat %s) CPU-s per subscriber per second\n",
    v("fan_arr_p50_ms"), v("fan_arr_max_ms"), v("fan_read_p50_ms"), v("fan_read_max_ms"), v("cpu_per_sub_s"), v("sched_per_sub_s")
  if (v("subs") == 1) { n[++k] = v("ready"); rss[k] = v("rss_after_kib") - v("rss_before_kib"); cpu[v("sessions")] = v("cpu_per_sub_s"); sched[v("sessions")] = v("sched_per_sub_s") }
}
/mode=poll/ {
  printf "  poll  round %s N=%s: %s of %s queries answered in %s s; %s B/s (%s with headers); server CPU %s s (schedstat %s) = %s (%s) CPU-s per client per second\n",
    v("label"), v("clients"), v("answered"), v("sent"), v("seconds"), v("bytes_per_s"), v("bytes_hdr_per_s"),
    v("server_cpu_s"), v("sched_cpu_s"), v("cpu_per_client_s"), v("sched_per_client_s")
  if (cpu[v("clients")] != "" && v("cpu_per_client_s") > 0)
    printf "        server CPU per subscriber, push at one change per quiet window / polling: %.4f (schedstat: %s)\n", cpu[v("clients")] / v("cpu_per_client_s"),
      (sched[v("clients")] != "" && v("sched_per_client_s") > 0) ? sprintf("%.4f", sched[v("clients")] / v("sched_per_client_s")) : "-"
}
END {
  for (i = 2; i <= k; i++)
    if (n[i] != n[i-1]) printf "  RSS slope N=%s -> %s: %.2f KiB per added session\n", n[i-1], n[i], (rss[i] - rss[i-1]) / (n[i] - n[i-1])
}'
