#!/usr/bin/python3
"""Authoritative answers from dnspushd serving examples/example.test.zone, as seen by dig
(and by dnspython where the bytes matter): RFC 1034 §4.3.2 lookup, RFC 2308 negative
answers, RFC 4592 wildcards, referrals, RFC 6763 §12 additional records."""

import os
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

import dns.edns  # noqa: E402
import dns.flags  # noqa: E402
import dns.message  # noqa: E402
import dns.opcode  # noqa: E402
import dns.query  # noqa: E402
import dns.rcode  # noqa: E402
import dns.rdatatype  # noqa: E402

SOA_MINIMUM = 300  # the zone's SOA MINIMUM, lower than its TTL (3600)


class QueryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(tls=False).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def dig(self, name, rtype="A", *opts):
        return self.server.dig(name, rtype, *opts)

    def assertAuthoritative(self, a, status="NOERROR"):
        self.assertEqual(a.status, status, a)
        self.assertIn("qr", a.flags, a)
        self.assertIn("aa", a.flags, a)
        self.assertNotIn("rd", a.flags, a)  # +norec: RD must be copied as 0
        self.assertNotIn("ra", a.flags, a)  # authoritative only, no recursion

    def assertNegative(self, a, status):
        self.assertAuthoritative(a, status)
        self.assertEqual(a.answer, [], a)
        soa = a.records("AUTHORITY", "SOA")
        self.assertEqual(len(soa), 1, a)
        self.assertEqual(soa[0][0], "example.test.")
        # RFC 2308 §3: the SOA's TTL is the lesser of its own TTL and its MINIMUM field.
        self.assertEqual(soa[0][1], SOA_MINIMUM, a)

    # Positive answers ---------------------------------------------------------------------

    def test_a(self):
        a = self.dig("www.example.test", "A")
        self.assertAuthoritative(a)
        self.assertEqual(a.rdatas("ANSWER", "A", "www.example.test"),
                         ["192.0.2.10", "192.0.2.11"])
        self.assertEqual(len(a.answer), 2)

    def test_aaaa(self):
        a = self.dig("mail.example.test", "AAAA")
        self.assertAuthoritative(a)
        self.assertEqual(a.rdatas("ANSWER", "AAAA", "mail.example.test"), ["2001:db8::25"])

    def test_apex_ns_and_soa(self):
        a = self.dig("example.test", "NS")
        self.assertAuthoritative(a)
        self.assertEqual(a.rdatas("ANSWER", "NS"), ["ns1.example.test."])
        a = self.dig("example.test", "SOA")
        self.assertAuthoritative(a)
        soa = a.records("ANSWER", "SOA")
        self.assertEqual(len(soa), 1)
        self.assertEqual(soa[0][1], 3600)
        self.assertEqual(soa[0][4].split()[2], "2024010101")

    def test_mx(self):
        a = self.dig("example.test", "MX")
        self.assertAuthoritative(a)
        self.assertEqual(a.rdatas("ANSWER", "MX"), ["10 mail.example.test."])

    def test_txt(self):
        a = self.dig("info.example.test", "TXT")
        self.assertAuthoritative(a)
        self.assertEqual(a.rdatas("ANSWER", "TXT"), ['"dnspush example zone" "second string"'])

    def test_srv(self):
        a = self.dig(r"Office\032Printer._ipp._tcp.example.test", "SRV")
        self.assertAuthoritative(a)
        self.assertEqual(a.rdatas("ANSWER", "SRV"), ["0 0 631 printer.example.test."])

    def test_case_insensitive_and_question_preserved(self):
        # RFC 4343: names compare case-insensitively; the question is echoed as sent.
        q = dns.message.make_query("WwW.ExAmPlE.TeSt.", "A", use_edns=False)
        q.flags &= ~dns.flags.RD
        r = dns.query.udp(q, "127.0.0.1", port=self.server.port, timeout=3)
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        self.assertEqual(r.id, q.id)
        self.assertEqual(str(r.question[0].name), "WwW.ExAmPlE.TeSt.")
        self.assertEqual(sorted(rr.address for rr in r.answer[0]), ["192.0.2.10", "192.0.2.11"])

    def test_over_tcp(self):
        a = self.dig("www.example.test", "AAAA", "+tcp")
        self.assertAuthoritative(a)
        self.assertEqual(a.rdatas("ANSWER", "AAAA"), ["2001:db8::10"])

    # Negative answers (RFC 2308) ----------------------------------------------------------

    def test_nxdomain(self):
        self.assertNegative(self.dig("nosuch.example.test", "A"), "NXDOMAIN")
        self.assertNegative(self.dig("a.b.c.nosuch.example.test", "TXT"), "NXDOMAIN")

    def test_nodata(self):
        self.assertNegative(self.dig("www.example.test", "MX"), "NOERROR")
        self.assertNegative(self.dig("ns1.example.test", "TXT"), "NOERROR")

    def test_empty_non_terminal_is_nodata(self):
        # _tcp.example.test owns nothing but has names below it (RFC 8020: not NXDOMAIN).
        self.assertNegative(self.dig("_tcp.example.test", "A"), "NOERROR")
        self.assertNegative(self.dig("wild.example.test", "A"), "NOERROR")

    # CNAME (RFC 1034 §3.6.2, §4.3.2 step 3a) ----------------------------------------------

    def test_cname_is_followed_inside_the_zone(self):
        a = self.dig("ftp.example.test", "A")
        self.assertAuthoritative(a)
        self.assertEqual(a.rdatas("ANSWER", "CNAME", "ftp.example.test"), ["www.example.test."])
        self.assertEqual(a.rdatas("ANSWER", "A", "www.example.test"),
                         ["192.0.2.10", "192.0.2.11"])
        self.assertEqual(a.answer[0][3], "CNAME", "the CNAME comes first")

    def test_cname_query_for_cname(self):
        a = self.dig("alias.example.test", "CNAME")
        self.assertAuthoritative(a)
        self.assertEqual(a.rdatas("ANSWER"), ["www.example.test."])

    def test_cname_to_nodata(self):
        a = self.dig("ftp.example.test", "MX")
        self.assertEqual(a.status, "NOERROR", a)
        self.assertEqual(a.rdatas("ANSWER", "CNAME"), ["www.example.test."])
        self.assertEqual(a.records("ANSWER", "MX"), [])
        self.assertEqual(len(a.records("AUTHORITY", "SOA")), 1, a)

    # Wildcards (RFC 4592) -----------------------------------------------------------------

    def test_wildcard_synthesis(self):
        a = self.dig("anything.wild.example.test", "A")
        self.assertAuthoritative(a)
        # §2.2.1: the owner is the query name, not the wildcard.
        self.assertEqual(a.records("ANSWER", "A"),
                         [("anything.wild.example.test.", 3600, "IN", "A", "192.0.2.99")])
        a = self.dig("deeper.still.wild.example.test", "TXT")
        self.assertAuthoritative(a)
        self.assertEqual(a.rdatas("ANSWER", "TXT", "deeper.still.wild.example.test"),
                         ['"synthesised from a wildcard"'])

    def test_wildcard_nodata(self):
        self.assertNegative(self.dig("anything.wild.example.test", "MX"), "NOERROR")

    def test_existing_name_blocks_wildcard(self):
        a = self.dig("exists.wild.example.test", "A")
        self.assertAuthoritative(a)
        self.assertEqual(a.rdatas("ANSWER", "A"), ["192.0.2.98"])
        self.assertNegative(self.dig("exists.wild.example.test", "TXT"), "NOERROR")
        # Below an existing name the wildcard still applies (the closest encloser is
        # wild.example.test only for names that do not exist).
        a = self.dig("x.exists.wild.example.test", "A")
        self.assertEqual(a.status, "NXDOMAIN", a)

    # Delegation ---------------------------------------------------------------------------

    def assertReferral(self, a):
        self.assertEqual(a.status, "NOERROR", a)
        self.assertNotIn("aa", a.flags, "a referral is not authoritative: %s" % a)
        self.assertEqual(a.answer, [], a)
        self.assertEqual(a.rdatas("AUTHORITY", "NS", "sub.example.test"),
                         ["ns1.sub.example.test.", "ns2.sub.example.test."])
        self.assertEqual(a.rdatas("ADDITIONAL", "A", "ns1.sub.example.test"), ["192.0.2.53"])
        self.assertEqual(a.rdatas("ADDITIONAL", "AAAA", "ns2.sub.example.test"),
                         ["2001:db8::53"])

    def test_referral_with_glue(self):
        self.assertReferral(self.dig("host.sub.example.test", "A"))
        self.assertReferral(self.dig("deep.host.sub.example.test", "MX"))

    def test_referral_at_the_cut(self):
        self.assertReferral(self.dig("sub.example.test", "A"))
        self.assertReferral(self.dig("sub.example.test", "NS"))

    def test_glue_is_not_authoritative_data(self):
        # Names below the cut are the child's: a query for the glue is a referral too.
        self.assertReferral(self.dig("ns1.sub.example.test", "A"))

    # DNS-SD (RFC 6763) --------------------------------------------------------------------

    def test_dnssd_browse_adds_srv_txt_and_addresses(self):
        a = self.dig("_ipp._tcp.example.test", "PTR")
        self.assertAuthoritative(a)
        instance = r"office\032printer._ipp._tcp.example.test."
        self.assertEqual([r[4].lower() for r in a.records("ANSWER", "PTR")], [instance])
        # §12.1: the SRV and TXT of each instance, and §12.2: the SRV target's addresses.
        self.assertEqual(a.rdatas("ADDITIONAL", "SRV", instance),
                         ["0 0 631 printer.example.test."])
        txt = a.rdatas("ADDITIONAL", "TXT", instance)
        self.assertEqual(len(txt), 1, a)
        self.assertIn('"txtvers=1"', txt[0])
        self.assertIn('"rp=ipp/print"', txt[0])
        self.assertEqual(a.rdatas("ADDITIONAL", "A", "printer.example.test"), ["192.0.2.31"])
        self.assertEqual(a.rdatas("ADDITIONAL", "AAAA", "printer.example.test"),
                         ["2001:db8::31"])

    def test_dnssd_instance_name_with_space_on_the_wire(self):
        q = dns.message.make_query("_ipp._tcp.example.test.", "PTR", use_edns=0)
        r = dns.query.udp(q, "127.0.0.1", port=self.server.port, timeout=3)
        target = r.answer[0][0].target
        self.assertEqual(target.labels[0], b"Office Printer")

    def test_dnssd_service_enumeration_and_browse_domains(self):
        a = self.dig("_services._dns-sd._udp.example.test", "PTR")
        self.assertAuthoritative(a)
        self.assertEqual(a.rdatas("ANSWER", "PTR"),
                         ["_http._tcp.example.test.", "_ipp._tcp.example.test."])
        a = self.dig("b._dns-sd._udp.example.test", "PTR")
        self.assertAuthoritative(a)
        self.assertEqual(a.rdatas("ANSWER", "PTR"), ["example.test."])

    def test_srv_query_adds_target_addresses(self):
        a = self.dig(r"Office\032Printer._ipp._tcp.example.test", "SRV")
        self.assertEqual(a.rdatas("ADDITIONAL", "A", "printer.example.test"), ["192.0.2.31"])

    # Refusals and header handling ---------------------------------------------------------

    def test_refused_outside_our_zones(self):
        for name in ("www.example.com", "test", "example.org"):
            a = self.dig(name, "A")
            self.assertEqual(a.status, "REFUSED", a)
            self.assertEqual(a.answer, [], a)
            self.assertNotIn("aa", a.flags, a)

    def test_edns_echoed_and_absent_when_not_asked(self):
        q = dns.message.make_query("www.example.test.", "A", use_edns=0, payload=4096)
        r = dns.query.udp(q, "127.0.0.1", port=self.server.port, timeout=3)
        self.assertEqual(r.edns, 0)
        self.assertLessEqual(r.payload, 4096)
        self.assertGreaterEqual(r.payload, 512)
        q = dns.message.make_query("www.example.test.", "A", use_edns=False)
        r = dns.query.udp(q, "127.0.0.1", port=self.server.port, timeout=3)
        self.assertEqual(r.edns, -1, "RFC 6891 §7: no OPT in the answer to a query without one")

    def test_unknown_edns_version_is_badvers(self):
        a = self.dig("www.example.test", "A", "+edns=1", "+noednsneg")
        self.assertEqual(a.status, "BADVERS", a)
        self.assertEqual(a.answer, [], a)

    def test_unknown_opcode_is_notimp(self):
        q = dns.message.make_query("www.example.test.", "A", use_edns=False)
        q.set_opcode(dns.opcode.STATUS)
        r = dns.query.udp(q, "127.0.0.1", port=self.server.port, timeout=3)
        self.assertEqual(r.rcode(), dns.rcode.NOTIMP)
        self.assertEqual(r.id, q.id)

    def test_two_questions_is_formerr(self):
        q = dns.message.make_query("www.example.test.", "A", use_edns=False)
        wire = bytearray(q.to_wire())
        question = wire[12:]
        wire[4:6] = (2).to_bytes(2, "big")  # QDCOUNT = 2
        wire += question
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.settimeout(2)
            s.sendto(bytes(wire), ("127.0.0.1", self.server.port))
            data, _ = s.recvfrom(65535)
        finally:
            s.close()
        self.assertEqual(data[:2], wire[:2], "same id")
        self.assertEqual(data[3] & 0x0F, dns.rcode.FORMERR)


if __name__ == "__main__":
    harness.main()
