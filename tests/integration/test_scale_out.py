#!/usr/bin/python3
"""Scaling out: three dnspushd processes. One primary takes UPDATEs and NOTIFYs two
secondaries, which follow it by IXFR (transfers signed with the example key) and each serve
their own DNS Push subscribers. Every subscriber on both secondaries sees every change, in
order; stopping one secondary does not disturb the other; the stopped one, restarted on
its state directory, catches up by IXFR from its journal's serial and its subscribers see
the changes they missed as the zone's current state."""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dso_client as dc  # noqa: E402
import harness  # noqa: E402
import secondary_helpers as sh  # noqa: E402
import update_helpers as uh  # noqa: E402

PUSH_TIMEOUT = 10.0
SUBSCRIBERS = 3  # per secondary


@unittest.skipUnless(uh.have_tools("nsupdate"), "needs nsupdate (bind9-dnsutils)")
class ScaleOutTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.primary = uh.UpdateServer()
        cls.secondaries = [sh.SecondaryServer(cls.primary.port, key=uh.KEY_NAME)
                           for _ in range(2)]
        cls.primary.notify = [s.port for s in cls.secondaries]
        cls.primary.write_config()
        # Transfers out only when signed with the key (RFC 8945 §5.3.1 on every message).
        with open(cls.primary.config) as f:
            text = f.read()
        text = text.replace('transfer = [ { network = "127.0.0.0/8" } ]',
                            'transfer = [ { key = "%s" } ]' % uh.KEY_NAME)
        with open(cls.primary.config, "w") as f:
            f.write(text)
        cls.primary.start()
        for s in cls.secondaries:
            s.start()

    @classmethod
    def tearDownClass(cls):
        codes = [s.stop() for s in cls.secondaries] + [cls.primary.stop()]
        if any(c not in (0, None) for c in codes):
            raise AssertionError("exit codes %s" % codes)

    def update(self, *commands):
        rcode, r = uh.nsupdate(self.primary.port, list(commands))
        self.assertEqual(rcode, "NOERROR", r.stderr)

    def subscribers(self, secondary, name, rtype="TXT", n=SUBSCRIBERS):
        out = []
        for _ in range(n):
            c = dc.DsoClient(secondary.tls_port)
            self.addCleanup(c.close)
            _, r = c.subscribe(name, rtype)
            self.assertEqual(r["rcode"], 0)
            out.append(c)
        return out

    def test_0_check_config_accepts_secondary_zones(self):
        r = harness.run([harness.DNSPUSHD, "--config", self.secondaries[0].config,
                         "--check-config"], timeout=20)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("OK", r.stdout)

    def test_1_every_subscriber_sees_every_change_in_order(self):
        clients = [c for s in self.secondaries for c in self.subscribers(s, "seq.example.test")]
        n = 12
        for i in range(n):
            self.update('update add seq.example.test 60 TXT "%02d"' % i)
        for k, c in enumerate(clients):
            got = c.pushes(PUSH_TIMEOUT, until=lambda rs: len(rs) >= n)
            self.assertEqual([x.text() for x in got],
                             ['seq.example.test. TXT IN +60 "%02d"' % i for i in range(n)],
                             "subscriber %d" % k)
        serial = uh.soa_serial(self.primary.port)
        for s in self.secondaries:
            self.assertEqual(uh.soa_serial(s.port), serial)
            # Incremental transfers, signed (the primary refuses unsigned ones).
            self.assertRegex(s.log(), r"IXFR from 127\.0\.0\.1:%d: serial \d+ -> \d+"
                             % self.primary.port)

    def test_2_stopping_one_secondary_does_not_disturb_the_other(self):
        first, second = self.secondaries
        watchers = self.subscribers(second, "alive.example.test", "A", 2)
        old_serial = uh.soa_serial(first.port)
        first.stop()
        for i in range(1, 4):
            self.update("update add alive.example.test 60 A 192.0.2.%d" % i)
            for c in watchers:
                got = c.pushes(PUSH_TIMEOUT, until=lambda rs: rs)
                self.assertEqual([x.text() for x in got],
                                 ["alive.example.test. A IN +60 192.0.2.%d" % i])
        missed_serial = uh.soa_serial(self.primary.port)
        self.assertEqual(uh.soa_serial(second.port), missed_serial)

        # Restarted on its state directory: the copy comes from its journal, then one IXFR
        # from that serial brings the three changes it missed.
        first.start()
        ok = uh.wait_for(lambda: uh.soa_serial(first.port) == missed_serial, PUSH_TIMEOUT)
        self.assertTrue(ok, first.log()[-3000:])
        log = first.log()
        self.assertIn("secondary copy loaded from the journal", log)
        m = re.search(r"IXFR from 127\.0\.0\.1:%d: serial (\d+) -> (\d+) \((\d+) changesets?"
                      % self.primary.port, log)
        self.assertIsNotNone(m, log[-3000:])
        self.assertEqual(int(m.group(2)), missed_serial)
        self.assertEqual(int(m.group(3)), 3)
        self.assertEqual(int(m.group(1)), old_serial)
        self.assertNotIn("AXFR from", log)
        # Its new subscribers see the current state, and later changes as usual.
        c = self.subscribers(first, "alive.example.test", "A", 1)[0]
        got = c.pushes(PUSH_TIMEOUT, until=lambda rs: len(rs) >= 3)
        self.assertEqual(sorted(x.text() for x in got),
                         ["alive.example.test. A IN +60 192.0.2.%d" % i for i in (1, 2, 3)])
        self.update("update delete alive.example.test A 192.0.2.2")
        for x in [c] + watchers:
            self.assertEqual([r.text() for r in x.pushes(PUSH_TIMEOUT, until=lambda rs: rs)],
                             ["alive.example.test. A IN -192.0.2.2"])


if __name__ == "__main__":
    harness.main()
