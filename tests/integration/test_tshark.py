#!/usr/bin/python3
"""Wireshark's DNS dissector must decode every answer dnspushd sends (UDP and TCP) without
flagging anything as malformed. Skipped, with the reason, where capturing on lo is not
permitted."""

import os
import shutil
import subprocess
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
        cap = subprocess.Popen(
            ["tshark", "-n", "-i", "lo", "-f", "port %d" % port,
             "-a", "duration:%d" % CAPTURE_SECONDS, "-w", pcap],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
            text=True)
        try:
            # Wait (bounded) for the capture to start: tshark says "Capturing on ...".
            started = False
            deadline = time.monotonic() + 10
            err = ""
            while time.monotonic() < deadline and cap.poll() is None:
                if os.path.exists(pcap) and os.path.getsize(pcap) > 0:
                    started = True
                    break
                time.sleep(0.1)
            if not started:
                if cap.poll() is None:
                    os.kill(cap.pid, 15)
                _, err = cap.communicate(timeout=10)
                why = [line for line in err.splitlines()
                       if line.strip() and "packets captured" not in line
                       and "Running as user" not in line]
                self.skipTest("cannot capture on lo: %s" % " ".join(why)[:300])
            time.sleep(0.5)  # the file header is written just before capturing starts
            for name, rtype in QUERIES:
                self.assertIsNotNone(self.server.dig(name, rtype).status)
            for name, rtype in QUERIES[:4]:
                self.server.dig(name, rtype, "+tcp")
            self.server.dig("big.example.test", "TXT", "+noedns", "+ignore")  # TC
            self.server.dig("big.example.test", "TXT", "+tcp")
            time.sleep(0.5)
        finally:
            if cap.poll() is None:
                os.kill(cap.pid, 2)  # SIGINT: tshark flushes the file and exits
            try:
                cap.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                cap.kill()
                cap.communicate(timeout=5)

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
