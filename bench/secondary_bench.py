#!/usr/bin/python3
"""Change on a primary -> PUSH at the clients of its secondaries (BENCHMARKS.md,
"Secondaries").

Starts one dnspushd primary of example.test and N dnspushd secondaries of it (NOTIFY +
IXFR, as in docs/DEPLOYMENT.md), all on 127.0.0.1 with their state in a temporary
directory, and M DNS Push sessions over TLS on each secondary (spread over a few client
processes), every session subscribed to bench.example.test TXT. Then it commits one change
every --interval seconds on the primary (a TSIG-signed UPDATE replacing that TXT record with
"seq-<i>") and records, for every session, when the PUSH carrying seq-<i> arrived.

Reported per run: deliveries (sessions x changes, and how many were missed), the delay from
the primary's answer to the UPDATE (the change is durable and committed there) to each PUSH
(p50, p99), the same for the last session of each change (the time the whole fan-out took),
and the delay from sending the UPDATE (which includes the primary's journal fsync).

The clients run on the same machine as the servers and time-stamp each PUSH when their
event loop reads it, so with thousands of sessions the figures include the clients' own
queueing; say so next to them. Python asyncio clients, TLS 1.3.

  /usr/bin/python3 bench/secondary_bench.py --secondaries 1 2 4 --sessions 250 --changes 100
"""

import argparse
import asyncio
import multiprocessing
import os
import re
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time

import dns.asyncquery
import dns.name
import dns.tsigkeyring
import dns.update

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BIN = os.environ.get("DNSPUSH_BIN", os.path.join(SRC, "build", "bin"))
DNSPUSHD = os.path.join(BIN, "dnspushd")
KEY = ("example-key", "hmac-sha256", "bmc3Vb9CAvHrEG4OH0GWUZRXSt7oDDQ0ZWRpTrzHgL8=")
ZONE = os.path.join(SRC, "examples", "example.test.zone")
NAME = "bench.example.test"


def free_port():
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


class Daemon:
    def __init__(self, root, name, zone_toml, tls):
        self.dir = os.path.join(root, name)
        os.makedirs(self.dir)
        self.port = free_port()
        self.tls_port = free_port() if tls else None
        self.config = os.path.join(self.dir, "dnspushd.toml")
        self.zone_toml = zone_toml
        self.proc = None

    def write(self, zone_toml):
        with open(self.config, "w") as f:
            f.write('[server]\nstate-dir = "state"\nlog-level = "info"\nworkers = 1\n'
                    '[listen]\ndns = ["127.0.0.1:%d"]\n' % self.port)
            if self.tls_port:
                f.write('tls = ["127.0.0.1:%d"]\n' % self.tls_port)
            f.write('[push]\nsubscribe-rate = 0\nmax-sessions-per-address = 100000\n'
                    '[limits]\nmax-connections-per-address = 100000\n'
                    '[[key]]\nname = "%s"\nalgorithm = "%s"\nsecret = "%s"\n' % KEY)
            f.write(zone_toml)

    def start(self):
        self.log = open(os.path.join(self.dir, "dnspushd.log"), "w")
        self.proc = subprocess.Popen([DNSPUSHD, "--config", self.config], cwd=self.dir,
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)

    def wait_serving(self, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = subprocess.run(["dig", "@127.0.0.1", "-p", str(self.port), "+time=1", "+tries=1",
                                "example.test", "SOA"], capture_output=True, text=True)
            if "status: NOERROR" in r.stdout:
                return
            time.sleep(0.1)
        raise RuntimeError("%s not serving" % self.dir)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


# ---- client processes ------------------------------------------------------------------------


def subscribe_msg(msg_id):
    name = dns.name.from_text(NAME).to_wire()
    tlv = struct.pack("!HH", 0x40, len(name) + 4) + name + struct.pack("!HH", 16, 1)
    msg = struct.pack("!HHHHHH", msg_id, 6 << 11, 0, 0, 0, 0) + tlv
    return struct.pack("!H", len(msg)) + msg


SEQ = re.compile(rb"seq-(\d{5})")


async def session(port, ctx, ready, arrivals):
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=ctx)
    writer.write(subscribe_msg(1))
    await writer.drain()
    subscribed = False
    try:
        while True:
            head = await reader.readexactly(2)
            (n,) = struct.unpack("!H", head)
            msg = await reader.readexactly(n)
            now = time.monotonic()
            if not subscribed and msg[2] & 0x80:
                subscribed = True
                ready.append(1)
                continue
            for m in SEQ.finditer(msg):
                arrivals.append((int(m.group(1)), now))
    except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
        return


def client_main(ports, conn):
    async def run():
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ready, arrivals = [], []
        tasks = []
        for p in ports:
            tasks.append(asyncio.create_task(session(p, ctx, ready, arrivals)))
            if len(tasks) % 50 == 0:
                await asyncio.sleep(0)  # let handshakes progress
        deadline = time.monotonic() + 120
        while len(ready) < len(ports) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        conn.send(("ready", len(ready)))
        # Until the parent says stop.
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, conn.recv)
        conn.send(("arrivals", arrivals))
        for t in tasks:
            t.cancel()

    asyncio.run(run())


# ---- the driver --------------------------------------------------------------------------------


def pct(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


async def drive(primary_port, changes, interval):
    keyring = dns.tsigkeyring.from_text({KEY[0]: (KEY[1], KEY[2])})
    sent, answered = {}, {}
    for i in range(changes):
        u = dns.update.UpdateMessage("example.test", keyring=keyring, keyname=KEY[0],
                                     keyalgorithm=KEY[1])
        u.delete("bench", "TXT")
        u.add("bench", 60, "TXT", '"seq-%05d"' % i)
        t0 = time.monotonic()
        r = await dns.asyncquery.udp(u, "127.0.0.1", port=primary_port, timeout=5)
        t1 = time.monotonic()
        if r.rcode() != 0:
            raise RuntimeError("UPDATE %d answered %d" % (i, r.rcode()))
        sent[i], answered[i] = t0, t1
        await asyncio.sleep(max(0.0, interval - (t1 - t0)))
    return sent, answered


def run_once(n_secondaries, sessions, changes, interval, procs):
    root = tempfile.mkdtemp(prefix="dnspush-secbench-")
    daemons = []
    try:
        # 0 secondaries: the sessions are on the primary itself (the baseline without the
        # NOTIFY + IXFR hop).
        primary = Daemon(root, "primary", "", tls=n_secondaries == 0)
        shutil.copyfile(ZONE, os.path.join(primary.dir, "zone.db"))
        secondaries = [Daemon(root, "s%d" % i, "", tls=True) for i in range(n_secondaries)]
        primary.write('[journal]\nsync = "nometasync"\n[[zone]]\norigin = "example.test"\n'
                      'file = "zone.db"\nupdate = [ { key = "example-key" } ]\n'
                      'transfer = [ { network = "127.0.0.0/8" } ]\nnotify = [%s]\n'
                      % ", ".join('"127.0.0.1:%d"' % s.port for s in secondaries))
        for s in secondaries:
            s.write('[[zone]]\norigin = "example.test"\nprimaries = ["127.0.0.1:%d"]\n'
                    % primary.port)
        daemons = [primary] + secondaries
        primary.start()
        primary.wait_serving()
        for s in secondaries:
            s.start()
        for s in secondaries:
            s.wait_serving()
        # Sessions: M per secondary, dealt round-robin over the client processes.
        servers = secondaries or [primary]
        ports = [s.tls_port for s in servers for _ in range(sessions)]
        shares = [ports[i::procs] for i in range(procs)]
        pipes, children = [], []
        for share in shares:
            a, b = multiprocessing.Pipe()
            p = multiprocessing.Process(target=client_main, args=(share, b), daemon=True)
            p.start()
            pipes.append(a)
            children.append(p)
        ready = sum(a.recv()[1] for a in pipes)
        if ready < len(ports):
            print("  only %d of %d sessions subscribed" % (ready, len(ports)), file=sys.stderr)
        load = os.getloadavg()[0]
        sent, answered = asyncio.run(drive(primary.port, changes, interval))
        time.sleep(max(1.0, interval * 5))  # the last pushes
        arrivals = []
        for a in pipes:
            a.send("stop")
        for a in pipes:
            arrivals += a.recv()[1]
        for p in children:
            p.join(timeout=10)
        from_commit, from_send, last = [], [], {}
        for seq, t in arrivals:
            if seq not in answered:
                continue
            from_commit.append(t - answered[seq])
            from_send.append(t - sent[seq])
            last[seq] = max(last.get(seq, 0.0), t - answered[seq])
        expected = ready * changes
        return {
            "secondaries": n_secondaries, "sessions": ready, "changes": changes,
            "deliveries": len(from_commit), "missed": expected - len(from_commit),
            "p50": pct(from_commit, 50) * 1000, "p99": pct(from_commit, 99) * 1000,
            "all_p50": pct(list(last.values()), 50) * 1000,
            "all_p99": pct(list(last.values()), 99) * 1000,
            "send_p50": pct(from_send, 50) * 1000, "load": load,
        }
    finally:
        for d in daemons:
            d.stop()
        shutil.rmtree(root, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--secondaries", type=int, nargs="+", default=[1, 2, 4],
                    help="0: the sessions on the primary itself")
    ap.add_argument("--sessions", type=int, default=250, help="per secondary (or primary)")
    ap.add_argument("--changes", type=int, default=100)
    ap.add_argument("--interval", type=float, default=0.1)
    ap.add_argument("--procs", type=int, default=2, help="client processes")
    ap.add_argument("--rounds", type=int, default=1)
    a = ap.parse_args()
    print("| round | secondaries | sessions (all) | deliveries | missed | commit->PUSH p50 | p99 "
          "| last session p50 | p99 | UPDATE sent->PUSH p50 | load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for rnd in range(1, a.rounds + 1):
        for n in a.secondaries:
            r = run_once(n, a.sessions, a.changes, a.interval, a.procs)
            print("| %d | %d | %d | %d | %d | %.2f ms | %.2f ms | %.2f ms | %.2f ms | %.2f ms | %.1f |"
                  % (rnd, r["secondaries"], r["sessions"], r["deliveries"], r["missed"], r["p50"],
                     r["p99"], r["all_p50"], r["all_p99"], r["send_p50"], r["load"]), flush=True)


if __name__ == "__main__":
    main()
