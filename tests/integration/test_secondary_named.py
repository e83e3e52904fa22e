#!/usr/bin/python3
"""BIND 9 `named` as a secondary of dnspushd: it loads the zone by AXFR (RFC 5936), then,
after each UPDATE to dnspushd, gets a NOTIFY (RFC 1996) and fetches the change by IXFR
(RFC 1995), which named's debug log records as "got incremental response" (an AXFR-style
answer is "got nonincremental response"). The secondary's copy must equal the primary's."""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import update_helpers as uh  # noqa: E402

import dns.query  # noqa: E402
import dns.zone  # noqa: E402

PROPAGATION_TIMEOUT = 15.0  # seconds for a change to reach named after the UPDATE


def zone_lines(port):
    """The zone transferred by AXFR from 127.0.0.1:port, as a sorted list of RR lines."""
    xfr = dns.query.xfr("127.0.0.1", harness.ORIGIN, port=port, timeout=5, lifetime=10,
                        relativize=False)
    z = dns.zone.from_xfr(xfr, relativize=False)
    return sorted(z.to_text(relativize=False).splitlines())


@unittest.skipUnless(uh.have_tools("named"), "needs BIND (bind9, bind9-dnsutils)")
class SecondaryNamedTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        named_port = harness.free_port()
        cls.server = uh.UpdateServer(notify=[named_port]).start()
        cls.named = uh.Named(primary_port=cls.server.port, port=named_port, debug=3)
        cls.named.start()

    @classmethod
    def tearDownClass(cls):
        cls.named.cleanup()
        # A clean exit (SIGTERM -> 0) also catches sanitizer reports in the ASan build.
        rc = cls.server.stop()
        if rc != 0:
            raise AssertionError("dnspushd exited with %s:\n%s" % (rc, cls.server.log()[-4000:]))

    def setUp(self):
        # Both peers at the same serial before each test (bounded wait).
        target = uh.soa_serial(self.server.port)
        ok = uh.wait_for(lambda: uh.soa_serial(self.named.port) == target, PROPAGATION_TIMEOUT)
        self.assertTrue(ok, self.named.log()[-4000:])

    def incremental_count(self):
        return len(re.findall(r"got incremental response", self.named.log()))

    def update(self, *commands):
        rcode, r = uh.nsupdate(self.server.port, list(commands))
        self.assertEqual(rcode, "NOERROR", r.stderr)

    def wait_serial(self, serial):
        ok = uh.wait_for(lambda: uh.soa_serial(self.named.port) == serial, PROPAGATION_TIMEOUT)
        self.assertTrue(ok, "named did not reach serial %d within %.0f s:\n%s"
                        % (serial, PROPAGATION_TIMEOUT, self.named.log()[-4000:]))

    def assertSameZone(self):
        self.assertEqual(zone_lines(self.named.port), zone_lines(self.server.port))

    def test_0_initial_axfr(self):  # runs first: the zone is still the example zone
        log = self.named.log()
        self.assertRegex(log, r"requesting AXFR of initial version from 127\.0\.0\.1#%d"
                         % self.server.port)
        self.assertIn("got nonincremental response", log)
        self.assertRegex(log, r"Transfer completed: .* records")
        a = uh.dig(self.named.port, "www.example.test", "A")
        self.assertEqual(a.status, "NOERROR", a)
        self.assertIn("aa", a.flags)
        self.assertEqual(a.rdatas("ANSWER", "A", "www.example.test"),
                         ["192.0.2.10", "192.0.2.11"])
        self.assertSameZone()

    def test_add_reaches_secondary_by_ixfr(self):
        before = self.incremental_count()
        s0 = uh.soa_serial(self.server.port)
        self.update("update add sec-add.example.test 300 A 192.0.2.150")
        self.assertEqual(uh.soa_serial(self.server.port), s0 + 1)
        self.wait_serial(s0 + 1)
        a = uh.dig(self.named.port, "sec-add.example.test", "A")
        self.assertEqual(a.rdatas("ANSWER", "A", "sec-add.example.test"), ["192.0.2.150"])
        self.assertGreater(self.incremental_count(), before, self.named.log()[-3000:])
        self.assertIn("received notify for zone 'example.test'", self.named.log())
        self.assertSameZone()

    def test_delete_and_replace_reach_secondary_by_ixfr(self):
        before = self.incremental_count()
        s0 = uh.soa_serial(self.server.port)
        self.update("update delete www.example.test A 192.0.2.11")
        self.update("update delete mail.example.test AAAA",
                    "update add mail.example.test 3600 AAAA 2001:db8::2526")
        self.update("update delete ftp.example.test")
        self.wait_serial(s0 + 3)
        self.assertEqual(uh.dig(self.named.port, "www.example.test", "A")
                         .rdatas("ANSWER", "A", "www.example.test"), ["192.0.2.10"])
        self.assertEqual(uh.dig(self.named.port, "mail.example.test", "AAAA")
                         .rdatas("ANSWER", "AAAA", "mail.example.test"), ["2001:db8::2526"])
        self.assertEqual(uh.dig(self.named.port, "ftp.example.test", "CNAME").status,
                         "NXDOMAIN")
        self.assertGreater(self.incremental_count(), before)
        self.assertSameZone()

    def test_several_changesets_in_one_ixfr_after_secondary_restart(self):
        # named is down while three UPDATEs commit; on restart it loads its own copy, asks
        # for IXFR from its old serial, and gets all three changesets in one incremental
        # answer (RFC 1995 §4: the sequence of differences).
        s0 = uh.soa_serial(self.server.port)
        self.named.stop()
        for i in range(3):
            self.update("update add offline-%d.example.test 300 A 192.0.2.%d" % (i, 160 + i))
        self.assertEqual(uh.soa_serial(self.server.port), s0 + 3)
        self.named.start(wait_zone=True)
        self.wait_serial(s0 + 3)
        log = self.named.log()  # of the new run only: start() truncates it
        self.assertRegex(log, r"requesting IXFR for serial %d" % s0, log[-4000:])
        self.assertIn("got incremental response", log)
        for i in range(3):
            self.assertEqual(uh.dig(self.named.port, "offline-%d.example.test" % i, "A")
                             .rdatas("ANSWER", "A", "offline-%d.example.test" % i),
                             ["192.0.2.%d" % (160 + i)])
        self.assertSameZone()


if __name__ == "__main__":
    harness.main()
