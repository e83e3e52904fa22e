#!/usr/bin/python3
"""DNS UPDATE (RFC 2136) with TSIG (RFC 8945) from BIND's nsupdate to dnspushd, checked
with dig: additions, deletions and replacements land with a new SOA serial (RFC 2136 §3.6),
prerequisite failures carry the RCODEs of RFC 2136 §3.2, UPDATEs over TCP work, and wrongly
signed (RFC 8945 §5.2: NOTAUTH/BADSIG) or unsigned (policy: REFUSED) UPDATEs change
nothing.

With DNSPUSH_UPDATE_PEER=named the same tests run against BIND's named as the primary
(the reference the expectations were checked against)."""

import os
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import update_helpers as uh  # noqa: E402

import dns.message  # noqa: E402
import dns.rdatatype  # noqa: E402


@unittest.skipUnless(uh.have_tools("nsupdate"), "needs BIND (bind9, bind9-dnsutils)")
class NsupdateTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.environ.get("DNSPUSH_UPDATE_PEER") == "named":
            cls.server = uh.Named().start()
        else:
            cls.server = uh.UpdateServer().start()
        cls.port = cls.server.port

    @classmethod
    def tearDownClass(cls):
        # A clean exit (SIGTERM -> 0) also catches sanitizer reports in the ASan build.
        rc = cls.server.stop()
        if rc != 0:
            raise AssertionError("server exited with %s:\n%s" % (rc, cls.server.log()[-4000:]))

    def update(self, *commands, **kw):
        return uh.nsupdate(self.port, list(commands), **kw)

    def assertUpdate(self, expected, *commands, **kw):
        rcode, r = self.update(*commands, **kw)
        self.assertEqual(rcode, expected, "nsupdate stdout: %s\nstderr: %s" % (r.stdout, r.stderr))

    def serial(self):
        s = uh.soa_serial(self.port)
        self.assertIsNotNone(s)
        return s

    def rdatas(self, name, rtype):
        a = self.server.dig(name, rtype)
        return a.status, a.rdatas("ANSWER", rtype, name)

    def ask_udp(self, sock, qname, rtype, qid):
        """The same query bytes each time for one (qname, rtype, qid): what dnspushd's UDP
        answer cache keys on (docs/CONFIG.md answer-cache); one socket, so one worker."""
        q = dns.message.make_query(qname, rtype, use_edns=0, payload=1232)
        q.id = qid
        sock.sendto(q.to_wire(), ("127.0.0.1", self.port))
        r = dns.message.from_wire(sock.recv(65535))
        self.assertEqual(r.id, qid)
        return r

    def ask_tcp(self, sock, qname, rtype, qid):
        """As ask_udp, on one TCP connection (RFC 7766 §8 framing)."""
        q = dns.message.make_query(qname, rtype, use_edns=0, payload=1232)
        q.id = qid
        wire = q.to_wire()
        sock.sendall(len(wire).to_bytes(2, "big") + wire)

        def exactly(n):
            b = b""
            while len(b) < n:
                chunk = sock.recv(n - len(b))
                self.assertTrue(chunk, "connection closed")
                b += chunk
            return b

        r = dns.message.from_wire(exactly(int.from_bytes(exactly(2), "big")))
        self.assertEqual(r.id, qid)
        return r

    def test_a_repeated_tcp_question_sees_each_change_at_once(self):
        # The answer cache keeps TCP answers too (apart from UDP ones): same rule.
        name = "cached-tcp.example.test"
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:

            def addresses(qid=7):
                r = self.ask_tcp(sock, name, "A", qid)
                return sorted(rd.address for rrset in r.answer for rd in rrset)

            for qid in (7, 7, 8):
                self.assertEqual(addresses(qid), [])
            self.assertUpdate("NOERROR", "update add %s 300 A 192.0.2.81" % name)
            self.assertEqual(addresses(), ["192.0.2.81"])
            self.assertUpdate("NOERROR", "update delete %s A" % name)
            self.assertEqual(addresses(), [])

    def test_a_repeated_udp_question_sees_each_change_at_once(self):
        # The answer cache must never outlive the zone data: every commit is seen by the
        # very next identical query, and the question's case is echoed per query.
        name = "cached.example.test"
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(5)

            def addresses(qname=name, qid=7):
                r = self.ask_udp(sock, qname, "A", qid)
                return sorted(rd.address for rrset in r.answer for rd in rrset)

            for qid in (7, 7, 8):
                self.assertEqual(addresses(qid=qid), [])
            self.assertUpdate("NOERROR", "update add %s 300 A 192.0.2.71" % name)
            self.assertEqual(addresses(), ["192.0.2.71"])
            self.assertEqual(addresses(qid=9), ["192.0.2.71"])
            self.assertUpdate("NOERROR", "update add %s 300 A 192.0.2.72" % name)
            self.assertEqual(addresses(), ["192.0.2.71", "192.0.2.72"])
            r = self.ask_udp(sock, "CaChEd.Example.TEST", "A", 10)
            self.assertEqual(str(r.question[0].name), "CaChEd.Example.TEST.")
            self.assertEqual(len(r.answer[0]), 2)
            self.assertUpdate("NOERROR", "update delete %s A" % name)
            self.assertEqual(addresses(), [])
            self.assertEqual(addresses("CaChEd.Example.TEST", 10), [])

    # Changes ------------------------------------------------------------------------------

    def test_add_delete_replace(self):
        s0 = self.serial()
        self.assertUpdate("NOERROR", "update add added.example.test 300 A 192.0.2.201",
                          "update add added.example.test 300 TXT \"hello world\"")
        self.assertEqual(self.rdatas("added.example.test", "A"), ("NOERROR", ["192.0.2.201"]))
        self.assertEqual(self.rdatas("added.example.test", "TXT"),
                         ("NOERROR", ['"hello world"']))
        s1 = self.serial()
        self.assertEqual(s1, s0 + 1)  # one UPDATE, one new serial

        # Replace: delete the RRset and add a new one in the same UPDATE (atomic).
        self.assertUpdate("NOERROR", "update delete added.example.test A",
                          "update add added.example.test 600 A 192.0.2.202",
                          "update add added.example.test 600 A 192.0.2.203")
        a = self.server.dig("added.example.test", "A")
        self.assertEqual(a.rdatas("ANSWER", "A", "added.example.test"),
                         ["192.0.2.202", "192.0.2.203"])
        self.assertEqual({r[1] for r in a.answer}, {600})
        s2 = self.serial()
        self.assertEqual(s2, s1 + 1)

        # Delete one RR of an RRset, then the whole name.
        self.assertUpdate("NOERROR", "update delete added.example.test A 192.0.2.202")
        self.assertEqual(self.rdatas("added.example.test", "A"), ("NOERROR", ["192.0.2.203"]))
        self.assertUpdate("NOERROR", "update delete added.example.test")
        status, _ = self.rdatas("added.example.test", "A")
        self.assertEqual(status, "NXDOMAIN")
        self.assertEqual(self.serial(), s2 + 2)

    def test_existing_records_modified(self):
        s0 = self.serial()
        self.assertUpdate("NOERROR", "update delete mail.example.test AAAA",
                          "update add mail.example.test 3600 AAAA 2001:db8::2525")
        self.assertEqual(self.rdatas("mail.example.test", "AAAA"),
                         ("NOERROR", ["2001:db8::2525"]))
        self.assertEqual(self.rdatas("mail.example.test", "A"), ("NOERROR", ["192.0.2.25"]))
        self.assertEqual(self.serial(), s0 + 1)

    def test_update_over_tcp(self):
        s0 = self.serial()
        self.assertUpdate("NOERROR", "update add tcp.example.test 300 A 192.0.2.210", tcp=True)
        self.assertEqual(self.rdatas("tcp.example.test", "A"), ("NOERROR", ["192.0.2.210"]))
        self.assertEqual(self.serial(), s0 + 1)
        # dig over TCP sees the same.
        a = self.server.dig("tcp.example.test", "A", "+tcp")
        self.assertEqual(a.rdatas("ANSWER", "A", "tcp.example.test"), ["192.0.2.210"])

    def test_noop_update_keeps_serial(self):
        # RFC 2136 §3.4.2.2: adding an RR that exists is ignored; nothing changed, so the
        # serial must not move either.
        s0 = self.serial()
        self.assertUpdate("NOERROR", "update add www.example.test 3600 A 192.0.2.10")
        self.assertEqual(self.serial(), s0)
        self.assertEqual(self.rdatas("www.example.test", "A"),
                         ("NOERROR", ["192.0.2.10", "192.0.2.11"]))

    # Prerequisites (RFC 2136 §3.2) --------------------------------------------------------

    def test_prereq_nxdomain_on_existing_name(self):
        s0 = self.serial()
        self.assertUpdate("YXDOMAIN", "prereq nxdomain www.example.test",
                          "update add p1.example.test 300 A 192.0.2.220")
        self.assertEqual(self.rdatas("p1.example.test", "A")[0], "NXDOMAIN")
        self.assertEqual(self.serial(), s0)

    def test_prereq_yxrrset_on_missing_rrset(self):
        s0 = self.serial()
        self.assertUpdate("NXRRSET", "prereq yxrrset www.example.test MX",
                          "update add p2.example.test 300 A 192.0.2.221")
        self.assertEqual(self.rdatas("p2.example.test", "A")[0], "NXDOMAIN")
        self.assertEqual(self.serial(), s0)

    def test_prereq_yxdomain_on_missing_name(self):
        s0 = self.serial()
        self.assertUpdate("NXDOMAIN", "prereq yxdomain nothing-here.example.test",
                          "update add p3.example.test 300 A 192.0.2.222")
        self.assertEqual(self.serial(), s0)

    def test_prereq_nxrrset_on_existing_rrset(self):
        s0 = self.serial()
        self.assertUpdate("YXRRSET", "prereq nxrrset www.example.test A",
                          "update add p4.example.test 300 A 192.0.2.223")
        self.assertEqual(self.serial(), s0)

    def test_prereq_value_dependent(self):
        s0 = self.serial()
        # The RRset www A is {192.0.2.10, 192.0.2.11}: a partial match is NXRRSET (§3.2.3).
        self.assertUpdate("NXRRSET", "prereq yxrrset www.example.test A 192.0.2.10",
                          "update add p5.example.test 300 A 192.0.2.224")
        self.assertEqual(self.serial(), s0)
        self.assertUpdate("NOERROR", "prereq yxrrset www.example.test A 192.0.2.10",
                          "prereq yxrrset www.example.test A 192.0.2.11",
                          "prereq nxdomain p5.example.test",
                          "update add p5.example.test 300 A 192.0.2.224")
        self.assertEqual(self.rdatas("p5.example.test", "A"), ("NOERROR", ["192.0.2.224"]))
        self.assertEqual(self.serial(), s0 + 1)

    # Authentication and policy ------------------------------------------------------------

    def test_bad_signature_changes_nothing(self):
        s0 = self.serial()
        rcode, r = self.update("update add badsig.example.test 300 A 192.0.2.230",
                               secret=uh.BAD_SECRET)
        # RFC 8945 §5.2.2: a MAC that does not verify gives NOTAUTH with TSIG error BADSIG;
        # nsupdate prints "NOTAUTH(BADSIG)".
        self.assertEqual(rcode, "NOTAUTH(BADSIG)", "nsupdate: %s %s" % (r.stdout, r.stderr))
        self.assertEqual(self.rdatas("badsig.example.test", "A")[0], "NXDOMAIN")
        self.assertEqual(self.serial(), s0)

    def test_bad_signature_over_tcp_changes_nothing(self):
        s0 = self.serial()
        rcode, r = self.update("update add badsig2.example.test 300 A 192.0.2.231",
                               secret=uh.BAD_SECRET, tcp=True)
        self.assertEqual(rcode, "NOTAUTH(BADSIG)", "nsupdate: %s %s" % (r.stdout, r.stderr))
        self.assertEqual(self.rdatas("badsig2.example.test", "A")[0], "NXDOMAIN")
        self.assertEqual(self.serial(), s0)

    def test_unsigned_refused(self):
        s0 = self.serial()
        self.assertUpdate("REFUSED", "update add unsigned.example.test 300 A 192.0.2.240",
                          signed=False)
        self.assertEqual(self.rdatas("unsigned.example.test", "A")[0], "NXDOMAIN")
        self.assertEqual(self.serial(), s0)

    def test_update_outside_zone_notzone(self):
        # RFC 2136 §3.4.1.3: an update RR outside the zone named in the Zone section.
        s0 = self.serial()
        self.assertUpdate("NOTZONE", "update add outside.example.org 300 A 192.0.2.241")
        self.assertEqual(self.serial(), s0)

    def test_update_of_unknown_zone_notauth(self):
        # RFC 2136 §3.1.2: not authoritative for the zone -> NOTAUTH.
        rcode, r = self.update("update add x.other.test 300 A 192.0.2.242", zone="other.test")
        self.assertEqual(rcode, "NOTAUTH", r.stderr)


if __name__ == "__main__":
    harness.main()
