#!/usr/bin/python3
"""Wireshark's DNS dissector must decode every answer dnspushd sends (UDP and TCP) without
flagging anything as malformed. Skipped, with the reason, where capturing on lo is not
permitted."""

import os
import shutil
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

CAPTURE_SECONDS = 15  # upper bound; the capture is stopped as soon as the queries are done

QUERIES = [
    ("www.example.test", "A"),
    ("www.example.test", "AAAA"),
    ("example.test", "MX"),
    ("example.test", "SOA"),
    ("info.example.test", "TXT"),
    ("nosuch.example.test", "A"),  # NXDOMAIN + SOA
    ("www.example.test", "MX"),  # NODATA + SOA
    ("ftp.example.test", "A"),  # CNAME chain
    ("x.wild.example.test", "TXT"),  # wildcard
    ("host.sub.example.test", "A"),  # referral with glue
    ("_ipp._tcp.example.test", "PTR"),  # DNS-SD with additional records
    (r"Office\032Printer._ipp._tcp.example.test", "SRV"),
    ("_services._dns-sd._udp.example.test", "PTR"),
    ("www.example.com", "A"),  # REFUSED
]


class TsharkTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if shutil.which("tshark") is None:
            raise unittest.SkipTest("tshark is not installed")
        cls.server = harness.Server(tls=False).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_answers_decode_without_malformed(self):
        pcap = os.path.join(self.server.dir, "capture.pcapng")
        port = self.server.port
        cap = harness.Capture(pcap, "port %d" % port, CAPTURE_SECONDS)
        if not cap.start():
            self.skipTest("cannot capture on lo: %s" % cap.why)
        try:
            for name, rtype in QUERIES:
                self.assertIsNotNone(self.server.dig(name, rtype).status)
            for name, rtype in QUERIES[:4]:
                self.server.dig(name, rtype, "+tcp")
            self.server.dig("big.example.test", "TXT", "+noedns", "+ignore")  # TC
            self.server.dig("big.example.test", "TXT", "+tcp")
            time.sleep(0.5)
        finally:
            cap.stop()

        r = harness.run(["tshark", "-n", "-r", pcap, "-d", "tcp.port==%d,dns" % port,
                         "-d", "udp.port==%d,dns" % port, "-Y", "dns.flags.response == 1",
                         "-T", "fields", "-e", "dns.id", "-e", "dns.flags.rcode"], timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        responses = [line for line in r.stdout.splitlines() if line.strip()]
        expected = len(QUERIES) + 4 + 2
        self.assertGreaterEqual(len(responses), expected,
                                "tshark saw %d responses:\n%s" % (len(responses), r.stdout))

        r = harness.run(["tshark", "-n", "-r", pcap, "-d", "tcp.port==%d,dns" % port,
                         "-d", "udp.port==%d,dns" % port, "-V"], timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("Malformed", r.stdout,
                         "\n".join(l for l in r.stdout.splitlines() if "Malformed" in l))
        # The DNS-SD answer was decoded down to its additional records.
        self.assertIn("Office Printer._ipp._tcp.example.test: type SRV", r.stdout)


if __name__ == "__main__":
    harness.main()
