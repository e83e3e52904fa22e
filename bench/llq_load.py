#!/usr/bin/python3
"""LLQ (RFC 8764) whole-system benchmark (BENCHMARKS.md "LLQ"): for each N, a fresh dnspushd
on 127.0.0.1 (config written here, 2 workers, state on tmpfs, log level warn) and N LLQs on
`lat.example.test` TXT held over S UDP sockets (several LLQs per socket, as Apple's client
keeps all its LLQs on one port), each set up with the full 4-way handshake. Measured:

- server memory: VmRSS before the LLQs and 2 s after the last ACK; per LLQ = delta / N;
- UPDATE->event latency: K TSIG-signed UPDATEs (UDP) replacing the TXT record, each
  latency from the UPDATE's send to the kernel's receive timestamp (SO_TIMESTAMPNS) of
  the event at each socket ("arrived", the server's figure without this process's own
  queueing); every event is acknowledged; "to all N" is per change the latest receiver;
- the server's CPU (utime + stime) over the latency phase.

Every server started here is stopped by PID; every wait is bounded.

  bench/llq_load.py                    # N = 1000 5000 18000, 20 changes at 1/s
  bench/llq_load.py --sizes 1000 --changes 10 --rate 2
"""

import argparse
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))

import dns.message  # noqa: E402
import dns.query  # noqa: E402
import dns.tsigkeyring  # noqa: E402
import dns.update  # noqa: E402

KEY_NAME = "example-key"
KEY_SECRET = "bmc3Vb9CAvHrEG4OH0GWUZRXSt7oDDQ0ZWRpTrzHgL8="
SO_TIMESTAMPNS = 35
QNAME = "lat.example.test"
TXT = 16


def free_port():
    """A port on 127.0.0.1 free for both UDP and TCP (the DNS port takes both)."""
    for _ in range(50):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            t.bind(("127.0.0.1", 0))
            p = t.getsockname()[1]
            try:
                u.bind(("127.0.0.1", p))
            except OSError:
                continue
            return p
        finally:
            t.close()
            u.close()
    raise RuntimeError("no free port")


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def llq_option(opcode, llq_id, lease):
    """EDNS option 1 (code, length 18, then VERSION, OPCODE, ERROR, ID, LEASE)."""
    return struct.pack("!HH", 1, 18) + struct.pack("!HHHQI", 1, opcode, 0, llq_id, lease)


def qname_wire(name):
    out = b""
    for label in name.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


QWIRE = qname_wire(QNAME)


def setup_message(msg_id, llq_id, lease=7200):
    opt = llq_option(1, llq_id, lease)
    return (struct.pack("!HHHHHH", msg_id, 0, 1, 0, 0, 1) + QWIRE + struct.pack("!HH", TXT, 1)
            + b"\0" + struct.pack("!HHIH", 41, 1440, 0, len(opt)) + opt)


def skip_name(data, i):
    while True:
        n = data[i]
        if n == 0:
            return i + 1
        if n & 0xC0 == 0xC0:
            return i + 2
        i += 1 + n


def llq_of(data):
    """(LLQ-ID, ERROR-CODE) of the one LLQ option that ends our server's messages."""
    return struct.unpack("!Q", data[-12:-4])[0], struct.unpack("!H", data[-14:-12])[0]


def ack_for(event):
    """The acknowledgement (RFC 8764 §6.2): the event's ID, question and option, QR set."""
    i = skip_name(event, 12) + 4
    question = event[12:i]
    an = struct.unpack("!H", event[6:8])[0]
    for _ in range(an):
        i = skip_name(event, i)
        i += 10 + struct.unpack("!H", event[i + 8:i + 10])[0]
    return struct.pack("!HHHHHH", struct.unpack("!H", event[0:2])[0], 0x8400, 1, 0, 0, 1) + \
        question + event[i:]


class Server:
    def __init__(self, bin_dir, workers):
        self.dir = tempfile.mkdtemp(prefix="llq-bench-", dir="/dev/shm")
        self.port, self.llq_port = free_port(), free_port()
        shutil.copyfile(os.path.join(SRC, "examples", "example.test.zone"),
                        os.path.join(self.dir, "zone.db"))
        with open(os.path.join(self.dir, "dnspushd.toml"), "w") as f:
            f.write('[server]\nstate-dir = "state"\nlog-level = "warn"\nworkers = %d\n'
                    '[listen]\ndns = ["127.0.0.1:%d"]\n'
                    '[push]\nenabled = false\n'
                    '[llq]\nenabled = true\nlisten = ["127.0.0.1:%d"]\nmax-llqs = 1000000\n'
                    'max-llqs-per-address = 1000000\n'
                    '[[key]]\nname = "%s"\nalgorithm = "hmac-sha256"\nsecret = "%s"\n'
                    '[journal]\nsync = "nometasync"\n'
                    '[[zone]]\norigin = "example.test"\nfile = "zone.db"\n'
                    'update = [ { key = "%s" } ]\n'
                    % (workers, self.port, self.llq_port, KEY_NAME, KEY_SECRET, KEY_NAME))
        self.log = open(os.path.join(self.dir, "log"), "w")
        self.proc = subprocess.Popen([os.path.join(bin_dir, "dnspushd"), "--config",
                                      os.path.join(self.dir, "dnspushd.toml")],
                                     stdout=self.log, stderr=subprocess.STDOUT, cwd=self.dir)
        deadline = time.monotonic() + 20
        q = dns.message.make_query("example.test", "SOA")
        why = None
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                dns.query.udp(q, "127.0.0.1", port=self.port, timeout=0.5)
                return
            except Exception as e:  # not up yet
                why = e
                time.sleep(0.1)
        with open(os.path.join(self.dir, "log")) as f:
            log = f.read()
        self.stop()
        raise RuntimeError("dnspushd did not start (%r):\n%s" % (why, log[-3000:]))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def establish(sockets, n, port, merged):
    """n LLQs over the sockets, each with the 4-way handshake; returns how many distinct."""
    per = [n // len(sockets) + (1 if i < n % len(sockets) else 0) for i in range(len(sockets))]
    done = 0
    msg_id = 1
    for s, k in zip(sockets, per):
        pending = {}
        for step in (0, 1):
            for attempt in range(5):
                if step == 0:
                    todo = [j for j in range(k) if j not in pending]
                    for j in todo:
                        s.sendto(setup_message(j, 0), ("127.0.0.1", port))
                else:
                    todo = [j for j, v in pending.items() if v is not None and v[1] is False]
                    for j in todo:
                        s.sendto(setup_message(j, pending[j][0]), ("127.0.0.1", port))
                if not todo:
                    break
                deadline = time.monotonic() + 1.0
                got = 0
                while got < len(todo) and time.monotonic() < deadline:
                    r, _, _ = select.select([s], [], [], 0.2)
                    if not r:
                        continue
                    data = s.recv(2048)
                    j = struct.unpack("!H", data[0:2])[0]
                    llq_id, err = llq_of(data)
                    if err != 0:
                        continue
                    if step == 0 and j not in pending:
                        pending[j] = [llq_id, False]
                        got += 1
                    elif step == 1 and j in pending and pending[j][1] is False:
                        pending[j][1] = True
                        got += 1
        ids = [v[0] for v in pending.values() if v[1] is True]
        done += len(set(ids))
        # Two setups of the same question on one socket whose challenges drew the same 24
        # random bits in one 30 s bucket get the same LLQ-ID: the server takes the second
        # challenge response for a retransmission of the first (one LLQ).
        merged[0] += len(ids) - len(set(ids))
        msg_id += k
    return done


def percentile(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100.0 * len(xs)))]


def run(bin_dir, n, changes, rate, workers):
    srv = Server(bin_dir, workers)
    try:
        pid = srv.proc.pid
        n_sockets = max(16, n // 200)
        sockets = []
        for _ in range(n_sockets):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                s.setsockopt(socket.SOL_SOCKET, 33, 4 << 20)  # SO_RCVBUFFORCE (needs root)
            except OSError:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        time.sleep(0.5)
        rss0 = rss_kib(pid)
        t = time.monotonic()
        merged = [0]
        held = establish(sockets, n, srv.llq_port, merged)
        print("N=%d: %d set-ups merged into another LLQ (same ID)" % (n, merged[0]), file=sys.stderr)
        setup_s = time.monotonic() - t
        time.sleep(2)
        rss1 = rss_kib(pid)

        keyring = dns.tsigkeyring.from_text({KEY_NAME: KEY_SECRET})
        up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        up.bind(("127.0.0.1", 0))
        lat, to_all, lost, refused, resent = [], [], 0, 0, 0
        cpu0 = cpu_s(pid)
        for c in range(changes):
            u = dns.update.Update("example.test", keyring=keyring, keyalgorithm="hmac-sha256")
            u.replace(QNAME + ".", 60, "TXT", '"%d"' % c)
            wire = u.to_wire()
            text = str(c).encode()
            mark = struct.pack("!IHB", 60, len(text) + 1, len(text)) + text  # the added TXT
            up.sendto(wire, ("127.0.0.1", srv.port))
            sent = time.time_ns()
            got, latest, seen = 0, 0, set()
            deadline = time.monotonic() + 10
            while got < held and time.monotonic() < deadline:
                r, _, _ = select.select(sockets + [up], [], [], 0.5)
                for s in r:
                    if s is up:
                        answer = up.recv(2048)
                        if answer[3] & 0x0F != 0:
                            refused += 1  # the UPDATE was not applied
                        continue
                    while True:
                        try:
                            data, anc, _, addr = s.recvmsg(2048, 64, socket.MSG_DONTWAIT)
                        except BlockingIOError:
                            break
                        ts = None
                        for level, typ, d in anc:
                            if level == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS:
                                sec, nsec = struct.unpack("qq", d[:16])
                                ts = sec * 1_000_000_000 + nsec
                        s.sendto(ack_for(data), addr)
                        if mark not in data:
                            continue  # a resend of an earlier change
                        llq_id = llq_of(data)[0]
                        if llq_id in seen:
                            resent += 1  # our acknowledgement was lost or late
                            continue
                        seen.add(llq_id)
                        got += 1
                        if ts is not None:
                            lat.append((ts - sent) / 1e6)
                            latest = max(latest, ts)
            lost += held - got
            if latest:
                to_all.append((latest - sent) / 1e6)
            print("N=%d change %d: %d events, to all %.2f ms" % (n, c, got, to_all[-1] if latest else -1),
                  file=sys.stderr)
            next_at = time.monotonic() + max(0.0, 1.0 / rate - 0.0)
            while time.monotonic() < next_at:
                time.sleep(0.01)
        cpu1 = cpu_s(pid)
        load = os.getloadavg()[0]
        return {
            "n": n, "held": held, "setup_s": setup_s, "rss0": rss0, "rss1": rss1,
            "per_llq": (rss1 - rss0) / max(1, held), "changes": changes, "rate": rate,
            "p50": percentile(lat, 50), "p99": percentile(lat, 99), "p999": percentile(lat, 99.9),
            "all_p50": percentile(to_all, 50), "all_max": max(to_all) if to_all else float("nan"),
            "lost": lost, "refused": refused, "resent": resent, "cpu": cpu1 - cpu0, "load": load, "sockets": n_sockets,
        }
    finally:
        srv.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--bin", default=os.environ.get("DNSPUSH_BIN", os.path.join(SRC, "build", "bin")))
    ap.add_argument("--sizes", default="1000 5000 18000")
    ap.add_argument("--changes", type=int, default=20)
    ap.add_argument("--rate", type=float, default=1.0)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    print("| N | sockets | set-up | RSS before | RSS with LLQs | per LLQ | changes | "
          "arrived p50 / p99 / p99.9 ms | to all N p50 / max ms | events missing | resent | UPDATEs failed | "
          "server CPU | load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n in [int(x) for x in a.sizes.split()]:
        r = run(a.bin, n, a.changes, a.rate, a.workers)
        print("| %d (%d held) | %d | %.2f s | %d KiB | %d KiB | %.2f KiB | %d at %g/s | "
              "%.2f / %.2f / %.2f | %.2f / %.2f | %d | %d | %d | %.2f s | %.2f |"
              % (r["n"], r["held"], r["sockets"], r["setup_s"], r["rss0"], r["rss1"],
                 r["per_llq"], r["changes"], r["rate"], r["p50"], r["p99"], r["p999"],
                 r["all_p50"], r["all_max"], r["lost"], r["resent"], r["refused"], r["cpu"], r["load"]), flush=True)


if __name__ == "__main__":
    main()
