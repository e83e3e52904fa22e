#!/usr/bin/python3
"""A hostile primary: a small fake primary in Python answers dnspushd's transfers with what
each case says. A record outside the zone, RDATA invalid for its type, a serial that goes
backwards, an IXFR whose differences do not apply, a transfer that never ends and one that
grows without bound are each rejected and logged, the zone stays at its last good serial,
and a push subscriber hears nothing of them; an honest IXFR afterwards still works."""

import os
import signal
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dso_client as dc  # noqa: E402
import harness  # noqa: E402
import secondary_helpers as sh  # noqa: E402
import update_helpers as uh  # noqa: E402

import dns.name  # noqa: E402
import dns.rcode  # noqa: E402
import dns.rdata  # noqa: E402
import dns.rdataclass  # noqa: E402
import dns.rdatatype  # noqa: E402
import dns.rrset  # noqa: E402

GOOD = 10
MAX_TIME = 3  # max-transfer-time-s
MAX_RECORDS = 2000  # max-transfer-records


class HostilePrimaryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fake = sh.FakePrimary()
        cls.fake.scenario = lambda req: sh.axfr(req, GOOD, ["watched.example.test. 300 IN A "
                                                            "192.0.2.1"])
        cls.server = sh.SecondaryServer(
            cls.fake.port,
            zone_extra="refresh-s = 3600\nretry-s = 3600\nmax-transfer-time-s = %d\n"
                       "max-transfer-records = %d\n" % (MAX_TIME, MAX_RECORDS))
        cls.server.start()
        cls.watcher = dc.DsoClient(cls.server.tls_port)
        _, r = cls.watcher.subscribe("watched.example.test", "ANY")
        assert r["rcode"] == 0, r
        assert len(cls.watcher.pushes(2.0, until=lambda rs: rs)) == 1

    @classmethod
    def tearDownClass(cls):
        cls.watcher.close()
        rc = cls.server.stop()
        cls.fake.close()
        if rc != 0:
            raise AssertionError("dnspushd exited with %s:\n%s" % (rc, cls.server.log()[-4000:]))

    def attempt(self, scenario, why, timeout=10.0, rejections=1):
        """Runs one hostile scenario (NOTIFY -> IXFR, plus the AXFR it may fall back to) and
        checks the rejection: logged with `why`, the serial still GOOD, nothing pushed."""
        before = sh.log_count(self.server, r"rejected \(")
        self.fake.requests.clear()
        self.fake.scenario = scenario
        rcode, _ = sh.send_notify(self.server.port)
        self.assertEqual(rcode, "NOERROR")
        n = sh.wait_log(self.server, r"rejected \(", timeout=timeout,
                        at_least=before + rejections)
        self.assertGreaterEqual(n, before + rejections, self.server.log()[-3000:])
        self.assertRegex(self.server.log(), why)
        self.assertIn("keeping serial %d" % GOOD, self.server.log())
        self.assertEqual(uh.soa_serial(self.server.port), GOOD)
        self.assertEqual(uh.dig(self.server.port, "watched.example.test", "A")
                         .rdatas("ANSWER", "A", "watched.example.test"), ["192.0.2.1"])
        self.assertEqual(self.watcher.pushes(0.3), [])

    def refuse_axfr(self, req, ixfr_answer):
        """IXFR gets `ixfr_answer`; the AXFR a rejected IXFR may fall back to is REFUSED."""
        if req.question[0].rdtype == dns.rdatatype.IXFR:
            return ixfr_answer(req)
        return [sh.answer(req, [], rcode=dns.rcode.REFUSED)]

    def test_a_record_outside_the_zone(self):
        self.attempt(lambda req: self.refuse_axfr(req, lambda r: sh.ixfr(
            r, [(GOOD, [], GOOD + 1, ["evil.example.net. 300 IN A 192.0.2.66"])], GOOD + 1)),
            r"rejected \(bad record\): evil\.example\.net\. A: owner is outside the zone")

    def test_rdata_invalid_for_its_type(self):
        bad = dns.rrset.RRset(dns.name.from_text("watched.example.test."), dns.rdataclass.IN,
                              dns.rdatatype.A)
        bad.add(dns.rdata.GenericRdata(dns.rdataclass.IN, dns.rdatatype.A, b"\x01\x02\x03\x04\x05"),
                300)
        self.attempt(lambda req: self.refuse_axfr(req, lambda r: sh.ixfr(
            r, [(GOOD, [], GOOD + 1, [bad])], GOOD + 1)),
            r"rejected \(malformed answer\): message 1 does not parse: bad A record")

    def generic(self, rdtype, data):
        rrset = dns.rrset.RRset(dns.name.from_text("watched.example.test."), dns.rdataclass.IN,
                                rdtype)
        rrset.add(dns.rdata.GenericRdata(dns.rdataclass.IN, rdtype, data), 300)
        return rrset

    def test_rdata_invalid_by_the_rules_of_update_and_zone_files(self):
        # The checks UPDATE and zone files apply beyond the RDATA's length: a CAA with an
        # empty tag (RFC 8659 §4.1), and an MD record, whose RDATA is a valid name but whose
        # type no zone may hold (RFC 1123 §6.1.3.6).
        caa = self.generic(dns.rdatatype.CAA, b"\x00\x00x")
        self.attempt(lambda req: self.refuse_axfr(req, lambda r: sh.ixfr(
            r, [(GOOD, [], GOOD + 1, [caa])], GOOD + 1)),
            r"rejected \(malformed answer\): message 1 does not parse: bad CAA record")
        md = self.generic(dns.rdatatype.MD, dns.name.from_text("ns1.example.test.").to_wire())
        self.attempt(lambda req: self.refuse_axfr(req, lambda r: sh.ixfr(
            r, [(GOOD, [], GOOD + 1, [md])], GOOD + 1)),
            r"rejected \(bad record\): watched\.example\.test\. MD: obsolete type")

    def test_a_serial_that_goes_backwards(self):
        # An IXFR answered with an older SOA alone, and an AXFR of an older zone.
        self.attempt(lambda req: [sh.answer(req, [sh.soa_rrset(GOOD - 3)])],
                     r"rejected \(serial went backwards\): the primary has serial 7, older "
                     r"than ours \(10\)")
        self.assertEqual(self.fake.requests, ["IXFR"])  # no fallback: an AXFR would be older too

    def test_an_ixfr_with_an_inconsistent_diff(self):
        # Removes a record the zone does not have; the AXFR fallback is refused.
        self.attempt(lambda req: self.refuse_axfr(req, lambda r: sh.ixfr(
            r, [(GOOD, ["ghost.example.test. 300 IN A 192.0.2.99"], GOOD + 1, [])], GOOD + 1)),
            r"rejected \(inconsistent\): difference 10 -> 11 does not apply: ghost\.example\.test\."
            r" A: removed record is not in the zone", rejections=2)
        # RFC 1995 §4: a history that does not apply is replaced by a full transfer, here
        # refused, so the zone stays as it was.
        self.assertEqual(self.fake.requests, ["IXFR", "AXFR"])

    def test_a_transfer_that_never_ends(self):
        # The first message, then nothing, the connection held open.
        self.attempt(lambda req: [sh.answer(req, [sh.soa_rrset(GOOD + 1)] +
                                            [sh.rrset(t) for t in sh.BASE_RECORDS]), None],
                     r"rejected \(timeout\)", timeout=MAX_TIME + 10)

    def test_a_transfer_that_trickles_forever(self):
        # One record every 0.5 s: never idle, never done.
        def trickle(req):
            out = [sh.answer(req, [sh.soa_rrset(GOOD + 1)] +
                             [sh.rrset(t) for t in sh.BASE_RECORDS])]
            for i in range(100):
                out += [0.5, sh.answer(req, [sh.rrset("t%d.example.test. 300 IN A 192.0.2.1"
                                                      % i)], question=False)]
            return out
        self.attempt(trickle, r"rejected \(timeout\): not complete after max-transfer-time",
                     timeout=MAX_TIME + 10)

    def test_a_transfer_that_grows_without_bound(self):
        def flood(req):
            out = [sh.answer(req, [sh.soa_rrset(GOOD + 1)] +
                             [sh.rrset(t) for t in sh.BASE_RECORDS])]
            for i in range(100):
                out.append(sh.answer(req, [sh.rrset("f%d-%d.example.test. 300 IN A 192.0.2.1"
                                                    % (i, j)) for j in range(100)],
                                     question=False))
            return out
        self.attempt(flood, r"rejected \(limit\): more than %d records \(max-transfer-records\)"
                     % MAX_RECORDS)

    def test_z_an_honest_ixfr_still_works(self):
        self.fake.scenario = lambda req: sh.ixfr(
            req, [(GOOD, ["watched.example.test. 300 IN A 192.0.2.1"], GOOD + 1,
                   ["watched.example.test. 300 IN A 192.0.2.2"])], GOOD + 1)
        rcode, _ = sh.send_notify(self.server.port)
        self.assertEqual(rcode, "NOERROR")
        ok = uh.wait_for(lambda: uh.soa_serial(self.server.port) == GOOD + 1, 10)
        self.assertTrue(ok, self.server.log()[-3000:])
        got = [x.text() for x in self.watcher.pushes(3.0, until=lambda rs: len(rs) >= 2)]
        self.assertIn("watched.example.test. A IN +300 192.0.2.2", got)
        # The old address goes (as a single delete or, all of the RRset going, an RRset
        # delete: RFC 8765 §6.3.1), and nothing else is said.
        self.assertEqual(len(got), 2, got)
        self.assertTrue(any(t.startswith("watched.example.test. A IN -") for t in got), got)
        # SIGHUP makes every secondary zone check at once (here: up to date).
        self.fake.requests.clear()
        self.fake.scenario = lambda req: [sh.answer(req, [sh.soa_rrset(GOOD + 1)])]
        os.kill(self.server.proc.pid, signal.SIGHUP)
        self.assertTrue(uh.wait_for(lambda: self.fake.requests == ["IXFR"], 10),
                        self.fake.requests)
        self.assertEqual(uh.soa_serial(self.server.port), GOOD + 1)

    def test_zz_a_full_zone_is_diffed_so_subscribers_hear_only_real_changes(self):
        # After test_z_: serial GOOD + 1, watched has 192.0.2.2. The primary answers the IXFR
        # with the whole zone (RFC 1995 §4 allows it), which adds one record and repeats all
        # the others: subscribers hear that one addition and nothing about the rest.
        www = dc.DsoClient(self.server.tls_port)
        try:
            _, r = www.subscribe("www.example.test", "A")
            self.assertEqual(r["rcode"], 0, r)
            self.assertEqual(len(www.pushes(2.0, until=lambda rs: rs)), 1)  # initial state
            self.fake.scenario = lambda req: sh.axfr(req, GOOD + 2, [
                "watched.example.test. 300 IN A 192.0.2.2",
                "watched.example.test. 300 IN A 192.0.2.3"])
            rcode, _ = sh.send_notify(self.server.port)
            self.assertEqual(rcode, "NOERROR")
            ok = uh.wait_for(lambda: uh.soa_serial(self.server.port) == GOOD + 2, 10)
            self.assertTrue(ok, self.server.log()[-3000:])
            got = [x.text() for x in self.watcher.pushes(2.0, until=lambda rs: rs)]
            self.assertEqual(got, ["watched.example.test. A IN +300 192.0.2.3"])
            self.assertEqual(self.watcher.pushes(0.5), [])
            self.assertEqual(www.pushes(0.5), [])
            self.assertRegex(self.server.log(), r"serial %d -> %d \(0 removed, 1 added\)"
                             % (GOOD + 1, GOOD + 2))
        finally:
            www.close()


if __name__ == "__main__":
    harness.main()
