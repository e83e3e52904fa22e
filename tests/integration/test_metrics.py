#!/usr/bin/python3
"""The Prometheus endpoint ([metrics] listen) scraped while the test drives the real
dnspushd: every value checked is one the test caused (queries by transport and RCODE,
UPDATEs by result, commits, journal fsync and UPDATE->PUSH histograms, zone serials, TLS
handshakes, DSO sessions and subscriptions, PUSH messages, session closes, limits), and
the endpoint refuses what it must (unknown path 404, oversized request head 431)."""

import os
import re
import socket
import sys
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dso_client as dc  # noqa: E402
import harness  # noqa: E402
import update_helpers as uh  # noqa: E402

SAMPLE = re.compile(r'^([a-z_]+)(\{([^}]*)\})? (\S+)$')


def parse(text):
    """{(name, frozenset(labels)): value} from Prometheus text."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, "unparseable sample line: %r" % line
        labels = frozenset(tuple(kv.split("=", 1)) for kv in re.findall(r'[a-z_]+="[^"]*"',
                                                                       m.group(3) or ""))
        labels = frozenset((k, v.strip('"')) for k, v in labels)
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


@unittest.skipUnless(uh.have_tools("nsupdate"), "needs nsupdate (bind9-dnsutils)")
class MetricsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.metrics_port = harness.free_port()
        cls.server = uh.UpdateServer(
            tls=True, workers=2,
            extra='[metrics]\nlisten = "127.0.0.1:%d"\n' % cls.metrics_port).start()

    @classmethod
    def tearDownClass(cls):
        rc = cls.server.stop()
        if rc != 0:
            raise AssertionError("dnspushd exited with %s:\n%s" % (rc, cls.server.log()[-4000:]))

    def scrape(self):
        url = "http://127.0.0.1:%d/metrics" % self.metrics_port
        with urllib.request.urlopen(url, timeout=5) as r:
            self.assertEqual(r.status, 200)
            self.assertIn("text/plain", r.headers["Content-Type"])
            return parse(r.read().decode())

    def test_counts_what_the_test_did(self):
        before = self.scrape()
        # 5 NOERROR and 3 NXDOMAIN over UDP, 2 NOERROR over TCP.
        for _ in range(5):
            self.server.dig("www.example.test", "A")
        for i in range(3):
            self.server.dig("nx%d.example.test" % i, "A")
        for _ in range(2):
            self.server.dig("www.example.test", "A", "+tcp")
        # A push subscriber, then 2 signed UPDATEs that change what it watches and 1 refused
        # (a wrong key: NOTAUTH).
        c = dc.DsoClient(self.server.tls_port)
        try:
            _, r = c.subscribe("m.example.test", "A")
            self.assertEqual(r["rcode"], 0)
            mid = self.scrape()
            self.assertEqual(value(mid, "dnspush_subscriptions"), 1)
            self.assertEqual(value(mid, "dnspush_dso_sessions"), 1)
            for i in (1, 2):
                rc, r = uh.nsupdate(self.server.port,
                                    ["update add m.example.test 60 A 192.0.2.%d" % i])
                self.assertEqual(rc, "NOERROR", r.stderr)
            rc, _ = uh.nsupdate(self.server.port, ["update add m.example.test 60 A 192.0.2.9"],
                                secret=uh.BAD_SECRET)
            self.assertEqual(rc, "NOTAUTH(BADSIG)")
            got = c.pushes(3.0, until=lambda rs: len(rs) >= 2)
            self.assertEqual(len(got), 2)
        finally:
            c.close()
        serial = uh.soa_serial(self.server.port)
        # The close is counted once the server has seen it.
        uh.wait_for(lambda: value(self.scrape(), "dnspush_dso_sessions") == 0, 5)
        after = self.scrape()

        def delta(name, **labels):
            return value(after, name, **labels) - value(before, name, **labels)

        # The readiness probe and soa_serial also query: count at least ours, exactly ours
        # where nothing else asks.
        self.assertGreaterEqual(delta("dnspush_queries_total", transport="udp", rcode="NOERROR"), 5)
        self.assertEqual(delta("dnspush_queries_total", transport="udp", rcode="NXDOMAIN"), 3)
        self.assertEqual(delta("dnspush_queries_total", transport="tcp", rcode="NOERROR"), 2)
        self.assertEqual(delta("dnspush_updates_total", rcode="NOERROR"), 2)
        self.assertEqual(delta("dnspush_updates_total", rcode="NOTAUTH"), 1)
        self.assertEqual(delta("dnspush_commits_total"), 2)
        self.assertEqual(delta("dnspush_journal_fsync_seconds_count"), 2)
        self.assertGreater(delta("dnspush_journal_fsync_seconds_sum"), 0)
        self.assertEqual(delta("dnspush_update_to_push_seconds_count"), 2)
        self.assertEqual(delta("dnspush_push_messages_total"), 2)
        self.assertGreater(delta("dnspush_push_bytes_total"), 2 * 12)
        self.assertEqual(delta("dnspush_tls_handshakes_total", result="ok"), 1)
        # Python's ssl negotiates TLS 1.3: its records went on without OpenSSL's state.
        self.assertEqual(delta("dnspush_tls_record_takeovers_total"), 1)
        self.assertEqual(delta("dnspush_dso_sessions_opened_total"), 1)
        self.assertEqual(delta("dnspush_subscribes_total", rcode="NOERROR"), 1)
        self.assertEqual(value(after, "dnspush_subscriptions"), 0)
        self.assertEqual(value(after, "dnspush_dso_sessions"), 0)
        self.assertEqual(delta("dnspush_sessions_closed_total", reason="peer_closed"), 3)
        self.assertEqual(value(after, "dnspush_zone_serial", zone="example.test."), serial)
        self.assertGreater(value(after, "dnspush_zone_records", zone="example.test."), 0)
        self.assertEqual(value(after, "dnspush_workers"), 2)
        # Histogram buckets are cumulative and end at +Inf = count.
        self.assertEqual(value(after, "dnspush_journal_fsync_seconds_bucket", le="+Inf"),
                         value(after, "dnspush_journal_fsync_seconds_count"))

    def test_limit_hit_is_counted(self):
        before = self.scrape()
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.sendto(b"\0" * 17000, ("127.0.0.1", self.server.port))  # above 16 KiB: dropped
        finally:
            s.close()
        uh.wait_for(lambda: value(self.scrape(), "dnspush_limit_hits_total", limit="udp_oversized")
                    > value(before, "dnspush_limit_hits_total", limit="udp_oversized"), 5)

    def test_endpoint_bounds(self):
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen("http://127.0.0.1:%d/nothing" % self.metrics_port, timeout=5)
        self.assertEqual(e.exception.code, 404)
        s = socket.create_connection(("127.0.0.1", self.metrics_port), timeout=5)
        try:
            s.sendall(b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 9000 + b"\r\n\r\n")
            self.assertIn(b" 431 ", s.recv(200))
        finally:
            s.close()
        # A client that sends nothing is dropped at the deadline (5 s), not held.
        s = socket.create_connection(("127.0.0.1", self.metrics_port), timeout=10)
        try:
            t0 = time.monotonic()
            self.assertEqual(s.recv(10), b"")
            self.assertLess(time.monotonic() - t0, 8)
        finally:
            s.close()


if __name__ == "__main__":
    harness.main()
