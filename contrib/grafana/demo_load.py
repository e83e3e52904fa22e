"""The load behind `render.py --demo`: a primary dnspushd (UPDATEs, DNS Push over TLS, LLQ,
NOTIFY) and a dnspushd secondary following it, on 127.0.0.1 with ports chosen at run time,
started with the integration tests' helpers (tests/integration/), and for as long as the
`with` block lasts:
  - dnsperf over UDP (~3000 q/s) and TCP (~300 q/s): existing names, NXDOMAIN, a wildcard;
  - signed UPDATEs (TSIG) at a rate that rises and falls, each adding or deleting an A
    record at one of the names the subscribers watch;
  - DNS Push subscribers over TLS, one in eight replaced every second (sessions close);
  - LLQ clients that acknowledge their events, and one that never does (resends, drops);
  - every few seconds an AXFR, one with a bad TSIG (refused), and an oversized datagram
    (a limit hit).
Every process is stopped by its PID on exit. Not a benchmark: the load shares the machine
with both servers.
"""

import math
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time

SRC = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
os.environ.setdefault("DNSPUSH_SRC", SRC)
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))

import dns.message  # noqa: E402
import dns.query  # noqa: E402
import dns.tsigkeyring  # noqa: E402
import dns.update  # noqa: E402

import dso_client as dc  # noqa: E402
import harness  # noqa: E402
import secondary_helpers as sh  # noqa: E402
import update_helpers as uh  # noqa: E402
from test_llq import Client as LlqClient  # noqa: E402

WATCHED = ["w%d.example.test" % i for i in range(16)]
SUBSCRIBERS = 24
QUERIES = ["www.example.test A", "www.example.test AAAA", "mail.example.test MX",
           "example.test SOA", "ftp.example.test A", "x.wild.example.test TXT",
           "info.example.test TXT", "nx1.example.test A", "nx2.example.test AAAA",
           "w3.example.test A"]


class Demo:
    def __init__(self, seconds):
        self.seconds = seconds
        self.stop = threading.Event()
        self.threads = []
        self.procs = []
        self.metrics = [harness.free_port(), harness.free_port()]
        self.llq_port = harness.free_port()
        self.secondary = sh.SecondaryServer(
            0, log_level="warn", extra='[metrics]\nlisten = "127.0.0.1:%d"\n' % self.metrics[1])
        extra = ('[metrics]\nlisten = "127.0.0.1:%d"\n'
                 '[llq]\nenabled = true\nlisten = ["127.0.0.1:%d"]\n'
                 "event-resend-ms = 1000\nevent-transmissions = 2\n"
                 % (self.metrics[0], self.llq_port))
        self.primary = uh.UpdateServer(tls=True, workers=2, log_level="warn", extra=extra,
                                       sync="full", notify=[self.secondary.port])
        self.urls = ["http://127.0.0.1:%d/metrics" % p for p in self.metrics]

    def __enter__(self):
        self.primary.start()
        self.secondary.primary_port = self.primary.port
        self.secondary.write_config()
        self.secondary.start()
        self.queries = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)
        self.queries.write("\n".join(QUERIES) + "\n")
        self.queries.close()
        for mode, qps in (("udp", 3000), ("tcp", 300)):
            self.procs.append(subprocess.Popen(
                ["dnsperf", "-s", "127.0.0.1", "-p", str(self.primary.port), "-m", mode,
                 "-d", self.queries.name, "-l", str(int(self.seconds) + 30), "-Q", str(qps),
                 "-c", "2", "-q", "50"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for fn in (self.updates, self.subscribers, self.llq, self.misc):
            t = threading.Thread(target=self.guard, args=(fn,), daemon=True)
            t.start()
            self.threads.append(t)
        time.sleep(2)  # subscribers connected, load running
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for t in self.threads:
            t.join(timeout=10)
        os.unlink(self.queries.name)
        self.secondary.stop()
        self.primary.stop()

    def tick(self, n):
        sys.stderr.write("\rscrape %d" % n)
        sys.stderr.flush()

    def guard(self, fn):
        try:
            fn()
        except Exception as e:  # the picture goes on without that part of the load
            if not self.stop.is_set():
                sys.stderr.write("\n%s stopped: %r\n" % (fn.__name__, e))

    def updates(self):
        keyring = dns.tsigkeyring.from_text({uh.KEY_NAME: uh.KEY_SECRET})
        t0 = time.monotonic()
        k = 0
        while not self.stop.is_set():
            # 2 to 40 UPDATEs a second, a slow wave, so the rates have a shape.
            rate = 21 + 19 * math.sin((time.monotonic() - t0) / 8)
            u = dns.update.UpdateMessage(harness.ORIGIN, keyring=keyring,
                                         keyname=uh.KEY_NAME, keyalgorithm=uh.KEY_ALGORITHM)
            name = WATCHED[k % len(WATCHED)].split(".")[0]
            addr = "192.0.2.%d" % (100 + (k // len(WATCHED)) % 100)
            if (k // len(WATCHED)) % 2:
                u.delete(name, "A")
            else:
                u.add(name, 60, "A", addr)
            try:
                dns.query.udp(u, "127.0.0.1", port=self.primary.port, timeout=2)
            except Exception:
                pass
            k += 1
            self.stop.wait(1.0 / rate)

    def subscribers(self):
        clients = []

        def connect(i):
            c = dc.DsoClient(self.primary.tls_port)
            c.subscribe(WATCHED[i % len(WATCHED)], "A")
            return c

        for i in range(SUBSCRIBERS):
            clients.append(connect(i))
        i = 0
        while not self.stop.is_set():
            deadline = time.monotonic() + 1.0
            while time.monotonic() < deadline and not self.stop.is_set():
                for c in clients:  # read what was pushed, so no one is a slow reader
                    try:
                        while c.recv(0.005) is not None:
                            pass
                    except EOFError:
                        pass
            for _ in range(SUBSCRIBERS // 8):
                j = random.randrange(len(clients))
                clients[j].close()
                i += 1
                clients[j] = connect(i)
        for c in clients:
            c.close()

    def llq(self):
        clients = []
        for i in range(6):
            c = LlqClient(self.llq_port, "127.0.0.%d" % (2 + i))
            c.setup(WATCHED[i], lease=3600)
            clients.append(c)
        deaf = LlqClient(self.llq_port, "127.0.0.20")  # never acknowledges: resends, drops
        deaf.setup(WATCHED[0], lease=3600)
        while not self.stop.is_set():
            for c in clients:
                ev, _ = c.event(timeout=0.05)
                while ev is not None:
                    c.ack(ev)
                    ev, _ = c.event(timeout=0.01)
            if random.random() < 0.05:  # the deaf one comes back, to be dropped again
                deaf.close()
                deaf = LlqClient(self.llq_port, "127.0.0.20")
                deaf.setup(WATCHED[0], lease=3600)
        for c in clients + [deaf]:
            c.close()

    def misc(self):
        bad = dns.tsigkeyring.from_text({uh.KEY_NAME: uh.BAD_SECRET})
        n = 0
        while not self.stop.wait(1.0):
            n += 1
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.sendto(b"\0" * 17000, ("127.0.0.1", self.primary.port))  # udp_oversized
            s.close()
            if n % 5 == 0:
                q = dns.message.make_query(harness.ORIGIN, "AXFR")
                try:
                    dns.query.tcp(q, "127.0.0.1", port=self.primary.port, timeout=3)
                except Exception:
                    pass
            if n % 3 == 0:
                q = dns.message.make_query(harness.ORIGIN, "AXFR")
                q.use_tsig(bad, keyname=uh.KEY_NAME, algorithm=uh.KEY_ALGORITHM)
                try:
                    dns.query.tcp(q, "127.0.0.1", port=self.primary.port, timeout=3)
                except Exception:
                    pass
