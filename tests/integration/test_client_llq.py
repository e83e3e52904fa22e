#!/usr/bin/python3
"""`dnspush watch --protocol llq` against a real dnspushd with LLQ (RFC 8764): discovery of
_dns-llq._udp, the current answers then the changes nsupdate makes (adds and removes),
kept live across several leases by refreshes; --server skipping discovery; `browse` and
`discover`; `--protocol auto` taking LLQ when the zone's push server does not answer, and
polling when the zone has neither or neither answers; a watch that ends cancels its LLQ;
the exit codes of STATIC (10), a refused port (4), REFUSED (6) and no LLQ server (3)."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import client_helpers as ch  # noqa: E402
import harness  # noqa: E402
import update_helpers as uh  # noqa: E402

from client_helpers import ev  # noqa: E402

LEASE = 3  # lease-max-s: every watch below lives through several refreshes

STATIC_ZONE = """$ORIGIN static.test.
$TTL 300
@ SOA ns1.static.test. hostmaster.static.test. 1 7200 3600 1209600 300
@ NS ns1
ns1 A 127.0.0.1
www A 192.0.2.80
"""


@unittest.skipUnless(uh.have_tools("nsupdate"), "needs nsupdate (bind9-dnsutils)")
class LlqWatchTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.llq_port = harness.free_port()
        extra = ("[llq]\nenabled = true\nlisten = [\"127.0.0.1:%d\"]\nlease-min-s = 1\n"
                 "lease-max-s = %d\n" % (cls.llq_port, LEASE))
        cls.server = uh.UpdateServer(extra=extra)
        with open(os.path.join(cls.server.dir, "static.db"), "w") as f:
            f.write(STATIC_ZONE)
        with open(cls.server.config, "a") as f:
            f.write('[[zone]]\norigin = "static.test"\nfile = "static.db"\nllq = false\n')
        cls.server.start()
        cls.res = "127.0.0.1:%d" % cls.server.port

    @classmethod
    def tearDownClass(cls):
        ch.stop_all()
        cls.server.stop()

    def watch(self, *args):
        w = ch.Watch("watch", "--json", "-v", "--resolver", self.res, *args)
        self.addCleanup(w.stop)
        return w

    def nsupdate(self, *commands):
        rc, r = uh.nsupdate(self.server.port, list(commands))
        self.assertEqual(rc, "NOERROR", r.stderr)

    def test_llq_watch_sees_nsupdate_adds_and_removes(self):
        w = self.watch("--protocol", "llq", "l1.example.test", "A")
        self.assertTrue(w.wait_stderr("LLQ established", 10), w.stderr())
        # Found by discovery: the SRV dnspushd answers names its llq-listen port.
        self.assertIn("127.0.0.1:%d" % self.llq_port, w.stderr())
        self.assertEqual(w.quiet(0.3), [])
        self.nsupdate("update add l1.example.test 60 A 192.0.2.1")
        self.assertEqual(ch.strip_time(w.events(1)),
                         [ev("add", "l1.example.test.", "A", 60, "192.0.2.1")])
        self.nsupdate("update add l1.example.test 60 A 192.0.2.2")
        self.assertEqual(ch.strip_time(w.events(1)),
                         [ev("add", "l1.example.test.", "A", 60, "192.0.2.2")])
        self.nsupdate("update delete l1.example.test A 192.0.2.1")
        self.assertEqual(ch.strip_time(w.events(1)),
                         [ev("remove", "l1.example.test.", "A", 60, "192.0.2.1")])
        # Several leases later, kept by refreshes (no new setup), still live.
        self.assertEqual(w.quiet(2.5 * LEASE), [])
        self.nsupdate("update delete l1.example.test A")
        self.assertEqual(ch.strip_time(w.events(1)),
                         [ev("remove", "l1.example.test.", "A", 60, "192.0.2.2")])
        self.assertEqual(w.stderr().count("LLQ established"), 1, w.stderr())
        self.assertNotIn("LLQ lost", w.stderr())

    def test_discover_says_llq_would_be_used(self):
        r = ch.run("discover", "--resolver", self.res, "www.example.test")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"watch: +LLQ at llq\.example\.test\.:%d \(127\.0\.0\.1\)"
                         % self.llq_port)

    def test_browse_over_llq(self):
        r = ch.run("browse", "--protocol", "llq", "--resolver", self.res, "--timeout", "2",
                   "_ipp._tcp", "example.test")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"^\+ Office Printer +printer\.example\.test\.:631 ")

    def test_server_skips_discovery_and_answers_come_first(self):
        w = ch.Watch("watch", "--protocol", "llq", "--server", "127.0.0.1:%d" % self.llq_port,
                     "--count", "2", "--json", "www.example.test")
        got = ch.strip_time(w.events(2))
        self.assertEqual(sorted(e["rdata"] for e in got), ["192.0.2.10", "192.0.2.11"])
        self.assertEqual(w.wait(), 0)

    def test_auto_takes_llq_when_the_push_server_does_not_answer(self):
        dead = harness.free_port()
        self.nsupdate("update add _dns-push-tls._tcp.example.test 300 SRV 0 0 %d dead.example.test"
                      % dead, "update add dead.example.test 300 A 127.0.0.1")
        self.addCleanup(self.nsupdate, "update delete _dns-push-tls._tcp.example.test SRV",
                        "update delete dead.example.test A")
        w = self.watch("--protocol", "auto", "a1.example.test", "TXT")
        self.assertTrue(w.wait_stderr("LLQ established", 20), w.stderr())
        self.assertIn("push server unreachable", w.stderr())
        self.assertNotIn("polling", w.stderr())
        self.nsupdate('update add a1.example.test 60 TXT "via llq"')
        self.assertEqual(ch.strip_time(w.events(1)),
                         [ev("add", "a1.example.test.", "TXT", 60, '"via llq"')])

    def test_auto_polls_when_neither_push_nor_llq_answers(self):
        dead_push, dead_llq = harness.free_port(), harness.free_port()
        # Records in the zone replace the SRV records dnspushd answers itself.
        self.nsupdate("update add _dns-push-tls._tcp.example.test 300 SRV 0 0 %d dead.example.test"
                      % dead_push,
                      "update add _dns-llq._udp.example.test 300 SRV 0 0 %d dead.example.test"
                      % dead_llq, "update add dead.example.test 300 A 127.0.0.1")
        self.addCleanup(self.nsupdate, "update delete _dns-push-tls._tcp.example.test SRV",
                        "update delete _dns-llq._udp.example.test SRV",
                        "update delete dead.example.test A")
        w = self.watch("--protocol", "auto", "www.example.test")
        self.assertEqual(sorted(e["rdata"] for e in w.events(2)), ["192.0.2.10", "192.0.2.11"],
                         w.stderr())
        self.assertTrue(w.wait_stderr("polling instead", 5), w.stderr())
        self.assertIn("push server unreachable", w.stderr())
        self.assertIn("LLQ server unreachable", w.stderr())
        self.assertNotIn("LLQ established", w.stderr())

    def test_exit_codes(self):
        # STATIC: the zone does not do LLQ (10, as a server without DSO for push).
        r = ch.run("watch", "--protocol", "llq", "--server", "127.0.0.1:%d" % self.llq_port,
                   "www.static.test")
        self.assertEqual(r.returncode, 10, r.stderr)
        self.assertIn("STATIC", r.stderr)
        # ... and no _dns-llq._udp SRV for it: no LLQ server (3).
        r = ch.run("watch", "--protocol", "llq", "--resolver", self.res, "www.static.test")
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("no LLQ server", r.stderr)
        # A port where nothing listens: ICMP port unreachable, at once (4).
        start = time.monotonic()
        r = ch.run("watch", "--protocol", "llq", "--server",
                   "127.0.0.1:%d" % harness.free_port(), "www.example.test")
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertLess(time.monotonic() - start, 5)
        # Not our zone: REFUSED (6).
        r = ch.run("watch", "--protocol", "llq", "--server", "127.0.0.1:%d" % self.llq_port,
                   "www.nowhere.invalid")
        self.assertEqual(r.returncode, 6, r.stderr)


class CancelTest(unittest.TestCase):
    """A watch that ends cancels its LLQ (RFC 8764 §7: lease 0): with one LLQ allowed per
    address and long leases, the next watch from the same address still gets its answers
    (SERV-FULL otherwise)."""

    @classmethod
    def setUpClass(cls):
        cls.llq_port = harness.free_port()
        extra = ("[llq]\nenabled = true\nlisten = [\"127.0.0.1:%d\"]\nlease-min-s = 600\n"
                 "lease-max-s = 600\nmax-llqs-per-address = 1\n" % cls.llq_port)
        cls.server = uh.UpdateServer(extra=extra).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_each_watch_cancels_its_llq_when_it_ends(self):
        for _ in range(3):
            r = ch.run("watch", "--protocol", "llq", "--server", "127.0.0.1:%d" % self.llq_port,
                       "--timeout", "1", "--json", "www.example.test")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(len(r.stdout.splitlines()), 2, r.stdout + r.stderr)


@unittest.skipUnless(uh.have_tools("nsupdate"), "needs nsupdate (bind9-dnsutils)")
class NeitherTest(unittest.TestCase):
    """A zone with neither push nor LLQ: auto polls, llq finds no server."""

    @classmethod
    def setUpClass(cls):
        cls.server = uh.UpdateServer(tls=False).start()
        cls.res = "127.0.0.1:%d" % cls.server.port

    @classmethod
    def tearDownClass(cls):
        ch.stop_all()
        cls.server.stop()

    def test_auto_polls_and_llq_finds_no_server(self):
        w = ch.Watch("watch", "-v", "--json", "--resolver", self.res, "www.example.test")
        self.addCleanup(w.stop)
        self.assertEqual(sorted(e["rdata"] for e in w.events(2)), ["192.0.2.10", "192.0.2.11"])
        self.assertTrue(w.wait_stderr("polling instead", 5), w.stderr())
        self.assertNotIn("LLQ", w.stderr())
        r = ch.run("watch", "--protocol", "llq", "--resolver", self.res, "www.example.test")
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("no LLQ server for zone example.test.", r.stderr)


if __name__ == "__main__":
    harness.main()
