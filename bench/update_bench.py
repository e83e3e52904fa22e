#!/usr/bin/python3
"""Durable DNS UPDATE throughput and latency: dnspushd against BIND 9 `named` (a primary
with `allow-update { key example-key; }`), both on 127.0.0.1 with their state (dnspushd's
LMDB journal, named's .jnl) in /tmp on the same disk, measured the same way, interleaved
(ours, bind, ours, bind, ...). Driven by bench/run_update_bench.sh; see BENCHMARKS.md.

Per server and round, on a fresh copy of examples/example.test.zone:
  1 client:   bench/update_load.py --clients 1 (closed loop, one UPDATE in flight)
  N clients:  dnsperf -u -c N -q N -v (N sockets, N UPDATEs in flight); p50/p99 from the
              per-answer latencies dnsperf -v prints.
Every UPDATE adds a new name; the SOA serial must move by exactly the number of NOERROR
answers (checked: "serial ok").
"""

import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import harness  # noqa: E402
import update_helpers as uh  # noqa: E402

ROUNDS = int(os.environ.get("ROUNDS", "2"))
DURATION = float(os.environ.get("DURATION", "5"))
MANY = int(os.environ.get("CLIENTS", "16"))
SERVERS = os.environ.get("SERVERS", "dnspushd bind").split()
WORKERS = int(os.environ.get("WORKERS", str(os.cpu_count() or 2)))
PY = "/usr/bin/python3"
DNSPERF_BLOCKS = int(os.environ.get("DNSPERF_BLOCKS", "100000"))  # UPDATEs in its file


def percentile(values, p):
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(round(p / 100.0 * len(v))) - 1))]


def start(kind):
    if kind == "dnspushd":
        s = uh.UpdateServer(workers=WORKERS, log_level="info")
        s.start()
    else:
        s = uh.Named()
        s.start()
    return s


def one_client(port, tag):
    r = subprocess.run(
        [PY, os.path.join(HERE, "update_load.py"), "--port", str(port), "--secret",
         uh.KEY_SECRET, "--clients", "1", "--duration", str(DURATION),
         "--max-per-client", str(int(DURATION * 4000)), "--tag", tag],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        timeout=DURATION + 120)
    if not r.stdout.strip():
        raise RuntimeError("update_load failed (%d): %s" % (r.returncode, r.stderr))
    d = json.loads(r.stdout)
    return {"rate": d["noerror_per_s"], "p50": d["p50_ms"], "p99": d["p99_ms"],
            "sent": d["sent"], "noerror": d["rcodes"].get("NOERROR", 0),
            "lost": d["timeouts"], "serial_ok": d["serial_ok"],
            "ran_out": d["ran_out_of_messages"]}


def many_clients(port, tag, work):
    path = os.path.join(work, "updates-%s.txt" % tag)
    with open(path, "w") as f:
        for i in range(DNSPERF_BLOCKS):
            f.write("%s\nadd %s-%d 300 A 10.%d.%d.%d\nsend\n"
                    % (harness.ORIGIN, tag, i, (i >> 16) & 255, (i >> 8) & 255, i & 255))
    s0 = uh.soa_serial(port)
    cmd = ["dnsperf", "-u", "-s", "127.0.0.1", "-p", str(port), "-d", path, "-n", "1",
           "-l", str(DURATION), "-c", str(MANY), "-q", str(MANY), "-t", "2", "-v",
           "-y", "%s:%s:%s" % (uh.KEY_ALGORITHM, uh.KEY_NAME, uh.KEY_SECRET)]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=DURATION + 60)
    time.sleep(0.2)
    s1 = uh.soa_serial(port)
    lat, noerror, other, lost = [], 0, 0, 0
    for line in r.stdout.splitlines():
        if not line.startswith("> "):
            continue
        parts = line.split()
        if parts[1] == "NOERROR":
            noerror += 1
            lat.append(float(parts[-1]))
        elif parts[1] == "T":
            lost += 1
        else:
            other += 1
    run_time = None
    for line in r.stdout.splitlines():
        if "Run time (s):" in line:
            run_time = float(line.split(":")[1])
    if run_time is None:
        raise RuntimeError("dnsperf failed (%d): %s %s" % (r.returncode, r.stdout[-2000:],
                                                          r.stderr))
    os.unlink(path)
    return {"rate": round(noerror / run_time, 1),
            "p50": round(percentile(lat, 50) * 1000, 3) if lat else None,
            "p99": round(percentile(lat, 99) * 1000, 3) if lat else None,
            "sent": noerror + other + lost, "noerror": noerror, "lost": lost,
            "other": other, "serial_ok": (s1 - s0) % (1 << 32) == noerror,
            "ran_out": noerror + other + lost >= DNSPERF_BLOCKS}


def main():
    needed = ["dnsperf", "dig"] + (["named"] if "bind" in SERVERS else [])
    for tool in needed:
        if not uh.have_tools(tool):
            sys.exit("run_update_bench: %s not found (scripts/install-deps.sh)" % tool)
    for kind in SERVERS:
        if kind not in ("dnspushd", "bind"):
            sys.exit("run_update_bench: SERVERS: unknown server %r (dnspushd, bind)" % kind)
    if "dnspushd" in SERVERS and not os.access(harness.DNSPUSHD, os.X_OK):
        sys.exit("run_update_bench: %s not built (make build, or SERVERS=bind)"
                 % harness.DNSPUSHD)
    work = tempfile.mkdtemp(prefix="dnspush-update-bench-")
    results = []
    try:
        for rnd in range(1, ROUNDS + 1):
            for kind in SERVERS:
                s = start(kind)
                try:
                    tag = "r%d%s" % (rnd, kind[0])
                    one = one_client(s.port, tag + "1")
                    many = many_clients(s.port, tag + "n", work)
                finally:
                    s.stop()
                    s.cleanup()
                row = {"round": rnd, "server": kind, "one": one, "many": many}
                results.append(row)
                print(json.dumps(row), flush=True)
    finally:
        for f in os.listdir(work):
            os.unlink(os.path.join(work, f))
        os.rmdir(work)

    print("\n| round | server | 1 client UPDATE/s | p50 | p99 | %d clients UPDATE/s | p50 | p99 "
          "| serial ok |" % MANY)
    print("|---|---|---|---|---|---|---|---|---|")
    for row in results:
        o, m = row["one"], row["many"]
        print("| %d | %s | %.0f | %.2f ms | %.2f ms | %.0f | %.2f ms | %.2f ms | %s |"
              % (row["round"], "dnspushd" if row["server"] == "dnspushd" else "BIND 9",
                 o["rate"], o["p50"] or 0, o["p99"] or 0, m["rate"], m["p50"] or 0,
                 m["p99"] or 0, "yes" if o["serial_ok"] and m["serial_ok"] else "NO"))
    bad = [r for r in results if not (r["one"]["serial_ok"] and r["many"]["serial_ok"])]
    notes = [r for r in results if r["one"]["ran_out"] or r["many"]["ran_out"]]
    for r in notes:
        print("note: round %d %s ran out of prepared UPDATEs before the time limit"
              % (r["round"], r["server"]))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
