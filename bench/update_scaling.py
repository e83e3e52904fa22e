#!/usr/bin/python3
"""Committed DNS UPDATE rate against zone size: does a commit cost more in a big zone?

For each zone size (PREFILL names added to examples/example.test.zone as A records) and
each dnspushd binary, one fresh server is started (durable LMDB journal, max-changesets
1000, write-back off, as bench/update_bench.py) and bench/update_load.py keeps CLIENTS
TSIG-signed UPDATEs in flight for DURATION seconds, each adding a new name; the SOA serial
must move by exactly the number of NOERROR answers ("serial ok"). Runs are interleaved:
round by round, size by size, binary by binary, so the shared machine's load spreads over
all of them. One JSON line per run, then a Markdown table.

Environment (all optional):
  BINS      "label=dir label=dir" of directories with dnspushd (default: build/bin as "ours")
  SIZES     zone sizes in names                      (default: "0 30000 90000")
  ROUNDS    interleaved rounds                       (default: 2)
  DURATION  seconds per measurement                  (default: 5)
  CLIENTS   concurrent clients                       (default: 16)
  WORKERS   dnspushd worker threads                  (default: nproc)
"""

import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import harness  # noqa: E402
import update_helpers as uh  # noqa: E402

PY = "/usr/bin/python3"
ROUNDS = int(os.environ.get("ROUNDS", "2"))
DURATION = float(os.environ.get("DURATION", "5"))
CLIENTS = int(os.environ.get("CLIENTS", "16"))
WORKERS = int(os.environ.get("WORKERS", str(os.cpu_count() or 2)))
SIZES = [int(s) for s in os.environ.get("SIZES", "0 30000 90000").split()]


def bins():
    spec = os.environ.get("BINS")
    if not spec:
        return [("ours", harness.BIN)]
    out = []
    for item in spec.split():
        label, _, path = item.partition("=")
        out.append((label, os.path.abspath(path)))
    return out


def zone_text(names):
    with open(harness.EXAMPLE_ZONE) as f:
        text = f.read()
    if not text.endswith("\n"):
        text += "\n"
    lines = ["pre%d 300 IN A 10.%d.%d.%d" % (i, (i >> 16) & 255, (i >> 8) & 255, i & 255)
             for i in range(names)]
    return text + "\n".join(lines) + ("\n" if lines else "")


def measure(binary, names, tag):
    harness.DNSPUSHD = os.path.join(binary, "dnspushd")
    s = uh.UpdateServer(workers=WORKERS, log_level="info", zone_text=zone_text(names))
    try:
        s.start()
        r = subprocess.run(
            [PY, os.path.join(HERE, "update_load.py"), "--port", str(s.port), "--secret",
             uh.KEY_SECRET, "--clients", str(CLIENTS), "--duration", str(DURATION),
             "--max-per-client", str(int(DURATION * 2000)), "--tag", tag],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=DURATION + 120)
        if not r.stdout.strip():
            raise RuntimeError("update_load.py failed: %s" % r.stderr[-2000:])
        d = json.loads(r.stdout)
        compactions = s.log().count("journal compacted")
    finally:
        s.stop()
        shutil.rmtree(s.dir, ignore_errors=True)
    return {"rate": d["noerror_per_s"], "p50": d["p50_ms"], "p99": d["p99_ms"],
            "noerror": d["rcodes"].get("NOERROR", 0), "lost": d["timeouts"],
            "serial_ok": d["serial_ok"], "ran_out": d["ran_out_of_messages"],
            "compactions": compactions}


def main():
    results = []
    for rnd in range(1, ROUNDS + 1):
        for names in SIZES:
            for label, binary in bins():
                m = measure(binary, names, "s%d%s%d" % (rnd, label[:1], names))
                row = {"round": rnd, "bin": label, "names": names, **m}
                print(json.dumps(row), flush=True)
                results.append(row)
    print()
    print("| round | binary | zone names | %d clients UPDATE/s | p50 | p99 | compactions | "
          "serial ok |" % CLIENTS)
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print("| %d | %s | %s | %s | %.2f ms | %.2f ms | %d | %s |"
              % (r["round"], r["bin"], format(r["names"], ","), format(int(r["rate"]), ","),
                 r["p50"] or 0, r["p99"] or 0, r["compactions"],
                 "yes" if r["serial_ok"] else "NO"))
    bad = [r for r in results if not r["serial_ok"] or r["lost"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
