#!/usr/bin/env bash
# Whole-system query throughput: dnspushd against Knot DNS (knotd) serving the same zone
# (examples/example.test.zone) on 127.0.0.1, measured with dnsperf (or, over UDP, with our
# own udp_load: GEN below), interleaved
# (ours, knot, ours, knot, ...) because the machine is shared and noisy. Results are
# printed per run and as a summary; see BENCHMARKS.md.
#
# Environment (all optional):
#   DNSPUSH_BIN  directory with dnspushd (and udp_load) (default: build/bin)
#   ROUNDS       interleaved rounds                  (default: 3)
#   DURATION     seconds per load run (-l)           (default: 10)
#   CLIENTS      dnsperf clients (-c), or udp_load sockets (-S) (default: 4)
#   WINDOW       queries in flight: dnsperf -q, udp_load -w (default: 100, dnsperf's own)
#   GEN          the load generator: dnsperf, or udp_load for TRANSPORT=udp (default: dnsperf).
#                udp_load (bench/udp_load/, built with everything else by `make build`)
#                sends the same queries and prints the same report lines for less
#                CPU per query: one thread, sendmmsg/recvmmsg batches. With PIN=1 dnsperf on
#                its one core was the bottleneck (BENCHMARKS.md); udp_load is meant not to be.
#   WORKERS      server threads for both servers     (default: nproc)
#   SERVERS      any of "dnspushd knot named"        (default: "dnspushd knot", or
#                "dnspushd named" for dot: Knot 3.2 has no DNS-over-TLS server)
#   TRANSPORT    udp, tcp or dot (dnsperf -m)        (default: udp)
#   PIN          1: each server on core 0 (taskset), the generator on core 1, WORKERS=1 unless set:
#                the fairest comparison a 2-core machine gives (default: 0, unpinned)
#   ANSWER_CACHE dnspushd's [limits] answer-cache: UDP answers kept per worker; 0 answers
#                every query afresh, as Knot does (default: 1024, the server's default)
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${DNSPUSH_BIN:-$SRC/build/bin}
ZONE=$SRC/examples/example.test.zone
ROUNDS=${ROUNDS:-3}
ANSWER_CACHE=${ANSWER_CACHE:-1024}
DURATION=${DURATION:-10}
CLIENTS=${CLIENTS:-4}
WINDOW=${WINDOW:-100}
GEN=${GEN:-dnsperf}
PIN=${PIN:-0}
if [[ $PIN == 1 ]]; then
  WORKERS=${WORKERS:-1}
  ON_SERVER_CORE=(taskset -c 0)
  ON_CLIENT_CORE=(taskset -c 1)
else
  WORKERS=${WORKERS:-$(nproc)}
  ON_SERVER_CORE=()
  ON_CLIENT_CORE=()
fi
TRANSPORT=${TRANSPORT:-udp}
if [[ $TRANSPORT == dot ]]; then
  SERVERS=${SERVERS:-"dnspushd named"}
else
  SERVERS=${SERVERS:-"dnspushd knot"}
fi
if [[ $TRANSPORT == dot && " $SERVERS " == *" knot "* ]]; then
  echo "run_dnsperf: Knot 3.2 serves no DNS over TLS; use SERVERS=\"dnspushd named\"" >&2
  exit 1
fi
PY=/usr/bin/python3

case $GEN in
  dnsperf) tools="dnsperf dig" ;;
  udp_load)
    tools=dig
    if [[ $TRANSPORT != udp ]]; then
      echo "run_dnsperf: GEN=udp_load speaks UDP only; use GEN=dnsperf for TRANSPORT=$TRANSPORT" >&2
      exit 1
    fi
    if [[ ! -x "$BIN/udp_load" ]]; then
      echo "run_dnsperf: $BIN/udp_load not built: cmake --build build --target udp_load" >&2
      exit 1
    fi
    ;;
  *) echo "run_dnsperf: GEN must be dnsperf or udp_load, not $GEN" >&2; exit 1 ;;
esac
for tool in $tools; do
  command -v "$tool" >/dev/null || { echo "run_dnsperf: $tool not found (scripts/install-deps.sh)" >&2; exit 1; }
done
for s in $SERVERS; do
  case $s in
    knot) tool=knotd ;;
    named) tool=named ;;
    *) continue ;;
  esac
  command -v "$tool" >/dev/null || { echo "run_dnsperf: $tool not found (scripts/install-deps.sh)" >&2; exit 1; }
done
if [[ " $SERVERS " == *" dnspushd "* && ! -x "$BIN/dnspushd" ]]; then
  echo "run_dnsperf: $BIN/dnspushd not built (make build, or SERVERS=knot)" >&2
  exit 1
fi

WORK=$(mktemp -d /tmp/dnspush-bench.XXXXXX)
declare -A PID=()

stop_pid() {  # SIGTERM, then SIGKILL after 5 s; only the PIDs this script started
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local s
  for s in "${!PID[@]}"; do stop_pid "${PID[$s]}"; done
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

wait_ready() {  # name port: bounded (10 s) wait for an answer to the SOA query
  local name=$1 port=$2
  for _ in $(seq 100); do
    if ! kill -0 "${PID[$name]}" 2>/dev/null; then
      echo "run_dnsperf: $name exited; its log:" >&2
      cat "$WORK/$name.log" >&2
      exit 1
    fi
    if dig @127.0.0.1 -p "$port" +norec +time=1 +tries=1 example.test SOA 2>/dev/null |
        grep -q 'status: NOERROR'; then
      return 0
    fi
    sleep 0.1
  done
  echo "run_dnsperf: $name did not answer on port $port within 10 s; its log:" >&2
  cat "$WORK/$name.log" >&2
  exit 1
}

declare -A PORT=()   # UDP/TCP port of each server
declare -A QPORT=()  # the port the generator queries: PORT, or the DNS-over-TLS port

# One certificate for every DoT listener (dnsperf does not verify it).
make_cert() {
  [[ -f $WORK/cert.pem ]] && return 0
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=localhost -keyout "$WORK/key.pem" -out "$WORK/cert.pem" >/dev/null 2>&1
}

start_named() {
  local port tls_port="" tls_conf="" tls_listen=""
  port=$(free_port)
  mkdir -p "$WORK/named"
  cp "$ZONE" "$WORK/named/example.test.zone"
  if [[ $TRANSPORT == dot ]]; then
    make_cert
    tls_port=$(free_port)
    tls_conf="tls local-tls { key-file \"$WORK/key.pem\"; cert-file \"$WORK/cert.pem\"; };"
    tls_listen="listen-on port $tls_port tls local-tls { 127.0.0.1; };"
  fi
  cat >"$WORK/named/named.conf" <<EOF
$tls_conf
options {
    directory "$WORK/named";
    pid-file "$WORK/named/named.pid";
    listen-on port $port { 127.0.0.1; };
    $tls_listen
    listen-on-v6 { none; };
    recursion no;
    notify no;
    dnssec-validation no;
};
zone "example.test" { type primary; file "$WORK/named/example.test.zone"; };
EOF
  "${ON_SERVER_CORE[@]}" named -g -n "$WORKERS" -c "$WORK/named/named.conf" >"$WORK/named.log" 2>&1 &
  PID[named]=$!
  PORT[named]=$port
  QPORT[named]=${tls_port:-$port}
  wait_ready named "$port"
  echo "named $(named -v | awk '{print $2}') pid ${PID[named]} on 127.0.0.1:$port${tls_port:+ (DoT $tls_port)}, $WORKERS threads"
}

start_knot() {
  local port
  port=$(free_port)
  mkdir -p "$WORK/knot/run" "$WORK/knot/db"
  cp "$ZONE" "$WORK/knot/example.test.zone"
  cat >"$WORK/knot/knot.conf" <<EOF
server:
    rundir: "$WORK/knot/run"
    listen: 127.0.0.1@$port
    udp-workers: $WORKERS
    tcp-workers: $WORKERS
    background-workers: 1
database:
    storage: "$WORK/knot/db"
log:
  - target: stderr
    any: warning
template:
  - id: default
    storage: "$WORK/knot"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
  - domain: example.test
    file: "$WORK/knot/example.test.zone"
EOF
  "${ON_SERVER_CORE[@]}" knotd -c "$WORK/knot/knot.conf" >"$WORK/knot.log" 2>&1 &
  PID[knot]=$!
  PORT[knot]=$port
  QPORT[knot]=$port
  wait_ready knot "$port"
  echo "knotd $(knotd --version 2>/dev/null | awk '{print $NF}') pid ${PID[knot]} on 127.0.0.1:$port, $WORKERS udp/tcp workers"
}

start_dnspushd() {
  local port tls_port="" tls_listen="" tls_conf=""
  port=$(free_port)
  mkdir -p "$WORK/dnspushd"
  cp "$ZONE" "$WORK/dnspushd/example.test.zone"
  if [[ $TRANSPORT == dot ]]; then
    make_cert
    tls_port=$(free_port)
    tls_listen="tls = [\"127.0.0.1:$tls_port\"]"
    tls_conf=$(printf '[tls]\ncertificate = "%s"\nkey = "%s"' "$WORK/cert.pem" "$WORK/key.pem")
  fi
  cat >"$WORK/dnspushd/dnspushd.toml" <<EOF
[server]
state-dir = "state"
log-level = "warn"
workers = $WORKERS
[listen]
dns = ["127.0.0.1:$port"]
$tls_listen
[limits]
answer-cache = $ANSWER_CACHE
$tls_conf
[[zone]]
origin = "example.test"
file = "example.test.zone"
EOF
  "${ON_SERVER_CORE[@]}" "$BIN/dnspushd" --config "$WORK/dnspushd/dnspushd.toml" >"$WORK/dnspushd.log" 2>&1 &
  PID[dnspushd]=$!
  PORT[dnspushd]=$port
  QPORT[dnspushd]=${tls_port:-$port}
  wait_ready dnspushd "$port"
  echo "dnspushd (answer-cache $ANSWER_CACHE) pid ${PID[dnspushd]} on 127.0.0.1:$port${tls_port:+ (DoT $tls_port)}, $WORKERS workers"
}

# A realistic mix: existing names (A/AAAA/MX/TXT/SOA/NS), a CNAME, a wildcard, a referral,
# DNS-SD browsing (PTR, SRV, TXT) and NXDOMAIN for names that do not exist.
write_queries() {
  local f=$WORK/queries.txt
  : >"$f"
  for i in $(seq 1 20); do
    cat >>"$f" <<EOF
www.example.test A
www.example.test AAAA
mail.example.test A
mail.example.test AAAA
example.test MX
example.test SOA
example.test NS
info.example.test TXT
ftp.example.test A
printer.example.test A
printer.example.test AAAA
_ipp._tcp.example.test PTR
Office\\032Printer._ipp._tcp.example.test SRV
Office\\032Printer._ipp._tcp.example.test TXT
_http._tcp.example.test PTR
_services._dns-sd._udp.example.test PTR
b._dns-sd._udp.example.test PTR
host$i.wild.example.test A
host$i.sub.example.test A
nosuch$i.example.test A
missing$i.example.test AAAA
www.example.test MX
EOF
  done
  echo "$f: $(wc -l <"$f") queries ($(sort -u "$f" | wc -l) distinct)"
}

# Both servers must give the same rcode and answer section (names compared without case:
# knotd prints rdata names in lower case) for every distinct query,
# otherwise the comparison is meaningless. Differences are reported, not fatal.
compare_answers() {  # reference server
  local ref=$1 diffs=0 name type a b
  while read -r name type; do
    a=$(dig @127.0.0.1 -p "${PORT[dnspushd]}" +norec +noall +comments +answer "$name" "$type" |
      grep -E 'status:|^[^;]' | sed -E 's/id: [0-9]+//' | tr '[:upper:]' '[:lower:]' | sort)
    b=$(dig @127.0.0.1 -p "${PORT[$ref]}" +norec +noall +comments +answer "$name" "$type" |
      grep -E 'status:|^[^;]' | sed -E 's/id: [0-9]+//' | tr '[:upper:]' '[:lower:]' | sort)
    if [[ "$a" != "$b" ]]; then
      diffs=$((diffs + 1))
      echo "  differs: $name $type"
      diff <(echo "$a") <(echo "$b") | sed 's/^/    /' || true
    fi
  done < <(sort -u "$WORK/queries.txt")
  echo "answer check: $diffs distinct queries answered differently by dnspushd and $ref"
}

declare -a RESULTS=()

# The generator's command line, without the port.
if [[ $GEN == udp_load ]]; then
  # EDNS(0) with a 4096-byte payload on every query by default, as dnsperf -e.
  GEN_CMD=("$BIN/udp_load" -s 127.0.0.1 -d "$WORK/queries.txt" -l "$DURATION"
    -S "$CLIENTS" -w "$WINDOW")
else
  GEN_CMD=(dnsperf -e -m "$TRANSPORT" -s 127.0.0.1 -d "$WORK/queries.txt" -l "$DURATION"
    -c "$CLIENTS" -q "$WINDOW")
fi

cpu_ticks() {  # pid: utime + stime of the whole process (all threads), in clock ticks
  local -a f
  # /proc/PID/stat after "PID (comm) ": utime and stime are the 12th and 13th fields.
  read -r -a f < <(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  echo $((f[11] + f[12]))
}

run_one() {  # server round
  local s=$1 round=$2 out qps lat lost bad t0 t1 c0 c1 cpu completed us
  out=$WORK/$GEN-$s-$round.txt
  # The server's CPU over the run, in % of one core: near 100 x WORKERS the server is
  # the bottleneck; well below, the generator is (as dnsperf was with PIN=1).
  c0=$(cpu_ticks "${PID[$s]}")
  t0=$(date +%s.%N)
  "${ON_CLIENT_CORE[@]}" "${GEN_CMD[@]}" -p "${QPORT[$s]}" >"$out" 2>&1 || true
  t1=$(date +%s.%N)
  c1=$(cpu_ticks "${PID[$s]}")
  cpu=$(awk -v c="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" -v t0="$t0" -v t1="$t1" \
    'BEGIN {printf "%.0f", 100 * c / hz / (t1 - t0)}')
  if ! kill -0 "${PID[$s]}" 2>/dev/null; then
    echo "run_dnsperf: $s died during round $round; its log:" >&2
    cat "$WORK/$s.log" >&2
    exit 1
  fi
  qps=$(awk '/Queries per second:/ {printf "%.0f", $4}' "$out")
  lat=$(awk '/Average Latency \(s\):/ && !seen {printf "%.3f", $4 * 1000; seen = 1}' "$out")
  lost=$(awk '/Queries lost:/ {print $3}' "$out")
  # The server's CPU per answered query: the measure that holds when the generator, not
  # the server, sets the pace (then q/s only says both kept up).
  completed=$(awk '/Queries completed:/ {print $3}' "$out")
  us=$(awk -v c="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" -v n="${completed:-0}" \
    'BEGIN {printf "%.2f", (n > 0 ? 1e6 * c / hz / n : 0)}')
  if [[ -z "$qps" ]]; then
    echo "run_dnsperf: no result from $GEN for $s:" >&2
    cat "$out" >&2
    exit 1
  fi
  printf 'round %d  %-9s %10s q/s   avg latency %7s ms   lost %-6s server cpu %3s%% (%s us/query)   load %s\n' \
    "$round" "$s" "$qps" "$lat" "$lost" "$cpu" "$us" "$(cut -d' ' -f1 /proc/loadavg)"
  grep -E 'Response codes:|Latency percentiles|Generator CPU' "$out" | sed 's/^ */          /'
  # udp_load checks that each answer asks the question its query asked.
  bad=$(awk '/Queries mismatched:/ {print $3}' "$out")
  if [[ -n "$bad" && "$bad" != 0 ]]; then
    echo "          WARNING: $bad answers did not match their query's question"
  fi
  RESULTS+=("$s $qps $lat $us")
}

[[ $PIN == 1 ]] && echo "pinned: servers on core 0, $GEN on core 1"
echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), shared with $GEN"
write_queries
for s in $SERVERS; do
  case $s in
    dnspushd) start_dnspushd ;;
    knot) start_knot ;;
    named) start_named ;;
    *) echo "run_dnsperf: unknown server $s" >&2; exit 1 ;;
  esac
done
for ref in knot named; do
  if [[ -n "${PORT[dnspushd]:-}" && -n "${PORT[$ref]:-}" ]]; then compare_answers "$ref"; fi
done

echo "${GEN_CMD[*]} -p PORT, $ROUNDS rounds interleaved" | sed -e "s|$WORK/||g" -e "s|$BIN/||g"
for round in $(seq 1 "$ROUNDS"); do
  for s in $SERVERS; do run_one "$s" "$round"; done
done

echo
echo "summary (q/s per run; the server and $GEN share $(nproc) cores):"
for s in $SERVERS; do
  printf '  %-9s' "$s"
  for r in "${RESULTS[@]}"; do
    set -- $r
    [[ $1 == "$s" ]] && printf ' %10s' "$2"
  done
  echo
done

# The ratio of each round (dnspushd over the peer run right after it) and their median:
# the machine's speed drifts by tens of percent within minutes, so adjacent runs are the
# fairest pairs and the median the figure least moved by one disturbed round.
peer=""
for s in $SERVERS; do [[ $s != dnspushd ]] && peer=$s && break; done
if [[ " $SERVERS " == *" dnspushd "* && -n $peer ]]; then
  ours=() theirs=() ours_us=() theirs_us=()
  for r in "${RESULTS[@]}"; do
    set -- $r
    [[ $1 == dnspushd ]] && ours+=("$2") && ours_us+=("$4")
    [[ $1 == "$peer" ]] && theirs+=("$2") && theirs_us+=("$4")
  done
  median() { sort -n | awk '{ r[NR] = $1 } END { printf "%.2f", (NR % 2) ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2 }'; }
  ratios=$(paste <(printf '%s\n' "${ours[@]}") <(printf '%s\n' "${theirs[@]}") |
    awk '{ printf "%.2f\n", $1 / $2 }')
  echo "  q/s ratio per round (dnspushd / $peer): $(echo $ratios); median $(echo "$ratios" | median)"
  ratios=$(paste <(printf '%s\n' "${theirs_us[@]}") <(printf '%s\n' "${ours_us[@]}") |
    awk '{ printf "%.2f\n", ($2 > 0 ? $1 / $2 : 0) }')
  echo "  CPU per query, $peer / dnspushd, per round: $(echo $ratios); median $(echo "$ratios" | median)"
fi
