#!/usr/bin/python3
"""dnspushd as a secondary of BIND 9: `named` is the primary of example.test (allow-update
with the example key, notify to dnspushd, transfers only when signed with the key); dnspushd
follows it (primaries = [{ address, key }]) and serves DNS Push on TLS. An `nsupdate` to
named reaches a push client subscribed on dnspushd: named NOTIFYs, dnspushd fetches the
change by a TSIG-signed IXFR, commits it like an UPDATE, and pushes it. The end-to-end
delay (nsupdate sent -> PUSH received) is measured and printed. UPDATEs sent to dnspushd
are forwarded to named (RFC 2136 §6)."""

import os
import re
import statistics
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dso_client as dc  # noqa: E402
import harness  # noqa: E402
import secondary_helpers as sh  # noqa: E402
import update_helpers as uh  # noqa: E402

import dns.query  # noqa: E402
import dns.tsigkeyring  # noqa: E402
import dns.zone  # noqa: E402

PUSH_TIMEOUT = 10.0


def zone_lines(port, keyring=None):
    xfr = dns.query.xfr("127.0.0.1", harness.ORIGIN, port=port, timeout=5, lifetime=10,
                        relativize=False, keyring=keyring, keyname=uh.KEY_NAME if keyring else None)
    z = dns.zone.from_xfr(xfr, relativize=False)
    return sorted(z.to_text(relativize=False).splitlines())


def notify_to_commit_ms(log):
    """For each serial: the time from the NOTIFY announcing it to its commit, from the log's
    millisecond timestamps."""
    def stamp(line):
        m = re.match(r"\[\d+-\d+-\d+ (\d+):(\d+):(\d+)\.(\d+)\]", line)
        h, mi, se, ms = (int(x) for x in m.groups())
        return ((h * 60 + mi) * 60 + se) * 1000 + ms
    notified, out = {}, []
    for line in log.splitlines():
        m = re.search(r"NOTIFY for example\.test\. from \S+ \(serial (\d+)\)", line)
        if m:
            notified.setdefault(int(m.group(1)), stamp(line))
            continue
        m = re.search(r"zone example\.test\.: serial \d+ -> (\d+) \(", line)
        if m and int(m.group(1)) in notified:
            out.append(stamp(line) - notified[int(m.group(1))])
    return out


@unittest.skipUnless(uh.have_tools("named", "nsupdate"), "needs BIND (bind9, bind9-dnsutils)")
class SecondaryOfNamedTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        named_port = harness.free_port()
        cls.server = sh.SecondaryServer(named_port, key=uh.KEY_NAME,
                                        zone_extra="forward-updates = true\n")
        cls.named = uh.Named(port=named_port, notify_ports=[cls.server.port], transfer_key=True)
        cls.named.start()
        cls.server.start()  # returns once the first copy (AXFR) is served
        cls.delays = []

    @classmethod
    def tearDownClass(cls):
        if cls.delays:
            ms = sorted(d * 1000 for d in cls.delays)
            print("\nBIND primary -> dnspushd secondary -> push client, end-to-end delay "
                  "(nsupdate sent -> PUSH received) over %d changes: min %.1f ms, median %.1f ms, "
                  "max %.1f ms" % (len(ms), ms[0], statistics.median(ms), ms[-1]),
                  file=sys.stderr)
            own = notify_to_commit_ms(cls.server.log())
            if own:
                print("of which dnspushd (NOTIFY received -> change committed, from its log): "
                      "median %.0f ms, max %.0f ms; the rest is nsupdate, named's commit and "
                      "when named sends its NOTIFY" % (statistics.median(own), max(own)),
                      file=sys.stderr)
        cls.named.cleanup()
        rc = cls.server.stop()
        if rc != 0:
            raise AssertionError("dnspushd exited with %s:\n%s" % (rc, cls.server.log()[-4000:]))

    def client(self):
        c = dc.DsoClient(self.server.tls_port)
        self.addCleanup(c.close)
        return c

    def named_update(self, *commands):
        rcode, r = uh.nsupdate(self.named.port, list(commands))
        self.assertEqual(rcode, "NOERROR", r.stderr)

    def test_0_first_copy_is_a_signed_axfr_of_the_whole_zone(self):
        self.assertRegex(self.server.log(),
                         r"zone example\.test\.: AXFR from 127\.0\.0\.1:%d: serial none -> "
                         r"2024010101" % self.named.port)
        self.assertEqual(zone_lines(self.server.port),
                         zone_lines(self.named.port, uh.keyring()))

    def test_update_on_named_reaches_a_push_client_of_dnspushd(self):
        c = self.client()
        _, r = c.subscribe("pushed.example.test", "A")
        self.assertEqual(r["rcode"], 0)
        self.assertEqual(c.pushes(0.3), [])  # nothing there yet
        for i in range(1, 6):
            before = sh.log_count(self.server, r"IXFR from 127\.0\.0\.1")
            t0 = time.monotonic()
            self.named_update("update add pushed.example.test 60 A 192.0.2.%d" % i)
            got = c.pushes(PUSH_TIMEOUT, until=lambda rs: rs)
            delay = time.monotonic() - t0
            self.assertEqual([x.text() for x in got],
                             ["pushed.example.test. A IN +60 192.0.2.%d" % i],
                             self.server.log()[-3000:])
            type(self).delays.append(delay)
            print("  change %d: nsupdate -> PUSH %.1f ms" % (i, delay * 1000), file=sys.stderr)
            # Fetched incrementally (a signed IXFR), not by a full transfer.
            self.assertGreater(sh.log_count(self.server, r"IXFR from 127\.0\.0\.1"), before)
        self.assertIn("NOTIFY for example.test. from 127.0.0.1", self.server.log())
        # A removal is pushed as a removal.
        self.named_update("update delete pushed.example.test A 192.0.2.1")
        got = c.pushes(PUSH_TIMEOUT, until=lambda rs: rs)
        self.assertEqual([x.text() for x in got], ["pushed.example.test. A IN -192.0.2.1"])
        self.assertEqual(zone_lines(self.server.port),
                         zone_lines(self.named.port, uh.keyring()))

    def test_update_sent_to_dnspushd_is_forwarded_to_named(self):
        c = self.client()
        _, r = c.subscribe("fwd.example.test", "TXT")
        self.assertEqual(r["rcode"], 0)
        rcode, p = uh.nsupdate(self.server.port, ['update add fwd.example.test 60 TXT "via"'])
        self.assertEqual(rcode, "NOERROR", p.stderr + self.server.log()[-2000:])
        # named has it (the primary decided) ...
        self.assertEqual(uh.dig(self.named.port, "fwd.example.test", "TXT")
                         .rdatas("ANSWER", "TXT", "fwd.example.test"), ['"via"'])
        # ... and it came back to dnspushd's subscribers the usual way.
        got = c.pushes(PUSH_TIMEOUT, until=lambda rs: rs)
        self.assertEqual([x.text() for x in got], ['fwd.example.test. TXT IN +60 "via"'])
        self.assertIn("forwarded to the primary", self.server.log())
        # A badly signed UPDATE is answered by named's verdict, relayed unchanged.
        rcode, _ = uh.nsupdate(self.server.port, ["update add bad.example.test 60 A 192.0.2.9"],
                               secret=uh.BAD_SECRET)
        self.assertNotEqual(rcode, "NOERROR")
        self.assertEqual(uh.dig(self.named.port, "bad.example.test", "A").status, "NXDOMAIN")


if __name__ == "__main__":
    harness.main()
