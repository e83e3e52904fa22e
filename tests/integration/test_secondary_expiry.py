#!/usr/bin/python3
"""The primary goes away: a dnspushd secondary keeps answering from its copy until the SOA
EXPIRE time has passed since its last successful refresh (RFC 1034 §4.3.5; the test zone's
SOA says refresh 2, retry 1, expire 10), then answers SERVFAIL for the zone, refuses new
push subscriptions and LLQ setups with SERVFAIL and tells its existing subscribers nothing. When the
primary is back, the next retry makes the zone current again and the subscribers hear
exactly what changed."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dso_client as dc  # noqa: E402
import harness  # noqa: E402
import secondary_helpers as sh  # noqa: E402
import update_helpers as uh  # noqa: E402

import dns.edns  # noqa: E402
import dns.exception  # noqa: E402
import dns.message  # noqa: E402
import dns.query  # noqa: E402
import struct  # noqa: E402

REFRESH, RETRY, EXPIRE = 2, 1, 10
SERVFAIL = 2

ZONE = """$ORIGIN example.test.
$TTL 300
@    IN SOA ns1 hostmaster 1 %d %d %d 60
@    IN NS  ns1
ns1  IN A   127.0.0.1
www  IN A   192.0.2.10
""" % (REFRESH, RETRY, EXPIRE)


@unittest.skipUnless(uh.have_tools("nsupdate"), "needs nsupdate (bind9-dnsutils)")
class SecondaryExpiryTest(unittest.TestCase):
    def setUp(self):
        self.primary = uh.UpdateServer(zone_text=ZONE)
        self.secondary = sh.SecondaryServer(self.primary.port,
                                            extra="[llq]\nenabled = true\non-dns-port = true\n")
        self.primary.notify = [self.secondary.port]
        self.primary.write_config()
        self.primary.start()
        self.secondary.start()

    def tearDown(self):
        self.secondary.stop()
        self.primary.stop()

    def test_serves_until_expire_then_servfail_then_recovers(self):
        c = dc.DsoClient(self.secondary.tls_port)
        self.addCleanup(c.close)
        _, r = c.subscribe("www.example.test", "A")
        self.assertEqual(r["rcode"], 0)
        self.assertEqual(len(c.pushes(2.0, until=lambda rs: rs)), 1)  # the initial PUSH
        # Let a refresh succeed (every REFRESH seconds), then take the primary away.
        sh.wait_log(self.secondary, r"up to date from 127\.0\.0\.1", timeout=REFRESH * 3)
        stopped = time.monotonic()
        self.assertEqual(self.primary.stop(), 0)

        # Still served while the copy is younger than EXPIRE (the last success was at most
        # REFRESH seconds before the stop).
        while time.monotonic() - stopped < EXPIRE - REFRESH - 1:
            self.assertEqual(self.secondary.status("www.example.test", "A"), "NOERROR")
            time.sleep(0.5)
        # Then SERVFAIL, within EXPIRE (and a retry's worth of slack) of the stop.
        ok = uh.wait_for(lambda: self.secondary.status() == "SERVFAIL", EXPIRE + 5)
        expired_after = time.monotonic() - stopped
        self.assertTrue(ok, self.secondary.log()[-3000:])
        print("\nprimary stopped; the secondary answered until it expired after %.1f s "
              "(SOA expire %d s)" % (expired_after, EXPIRE), file=sys.stderr)
        self.assertGreaterEqual(expired_after, EXPIRE - REFRESH - 1)
        self.assertEqual(self.secondary.status("www.example.test", "A"), "SERVFAIL")
        self.assertEqual(self.secondary.status("nothere.example.test", "TXT"), "SERVFAIL")
        self.assertIn("expired (no successful refresh within the SOA expire time)",
                      self.secondary.log())
        # Not handed on either.
        with self.assertRaises((dns.query.TransferError, dns.exception.FormError, EOFError)):
            dns.query.xfr("127.0.0.1", harness.ORIGIN, port=self.secondary.port, timeout=3,
                          lifetime=5).__next__()
        # New subscriptions: SERVFAIL; the existing subscriber was told nothing.
        d = dc.DsoClient(self.secondary.tls_port)
        self.addCleanup(d.close)
        _, r = d.subscribe("www.example.test", "A")
        self.assertEqual(r["rcode"], SERVFAIL)
        self.assertEqual(c.pushes(0.5), [])
        # An LLQ setup (RFC 8764 §5.1, on the DNS port): SERVFAIL too, no answers.
        setup = dns.edns.GenericOption(1, struct.pack("!HHHQI", 1, 1, 0, 0, 7200))
        q = dns.message.make_query("www.example.test", "A", use_edns=0, options=[setup])
        a = dns.query.udp(q, "127.0.0.1", port=self.secondary.port, timeout=3)
        self.assertEqual(a.rcode(), SERVFAIL, a)
        self.assertEqual(a.answer, [])
        self.assertEqual([o.otype for o in a.options], [1])

        # The primary is back and changes something: the next retry catches up, the zone is
        # served again and the subscriber hears exactly that change.
        self.primary.start()
        rcode, p = uh.nsupdate(self.primary.port, ["update add www.example.test 300 A 192.0.2.11"])
        self.assertEqual(rcode, "NOERROR", p.stderr)
        ok = uh.wait_for(lambda: self.secondary.status("www.example.test", "A") == "NOERROR",
                         RETRY * 10)
        self.assertTrue(ok, self.secondary.log()[-3000:])
        self.assertIn("current again", self.secondary.log())
        got = c.pushes(5.0, until=lambda rs: rs)
        self.assertEqual([x.text() for x in got], ["www.example.test. A IN +300 192.0.2.11"])
        _, r = d.subscribe("www.example.test", "A")
        self.assertEqual(r["rcode"], 0)


if __name__ == "__main__":
    harness.main()
