#!/usr/bin/python3
"""Wireshark's dissector must decode a DNS Push session (plain-TCP DSO on loopback, allowed by
[push] dso-on-tcp) as DSO with the right TLV types: Keepalive, SUBSCRIBE, PUSH, UNSUBSCRIBE,
RECONFIRM, and find nothing malformed except tshark 4.0's known false alarm on a DSO
response without TLVs (DESIGN.md). Skipped, with the reason, where capturing on lo is not
permitted."""

import os
import re
import shutil
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dso_client as dc  # noqa: E402
import harness  # noqa: E402
import update_helpers as uh  # noqa: E402

CAPTURE_SECONDS = 20  # upper bound; stopped as soon as the session is done


@unittest.skipUnless(uh.have_tools("nsupdate"), "needs nsupdate (bind9-dnsutils)")
class TsharkDsoTest(unittest.TestCase):
    def setUp(self):
        if shutil.which("tshark") is None:
            self.skipTest("tshark is not installed")
        self.server = uh.UpdateServer(extra="[push]\ndso-on-tcp = true\n").start()
        self.addCleanup(self.server.cleanup)

    def test_push_session_decodes_as_dso(self):
        pcap = os.path.join(self.server.dir, "dso.pcapng")
        cap = harness.Capture(pcap, "tcp port %d" % self.server.port, CAPTURE_SECONDS)
        if not cap.start():
            self.skipTest("cannot capture on lo: %s" % cap.why)
        try:
            c = dc.DsoClient(self.server.port, use_tls=False)
            self.assertEqual(c.keepalive(20000, 60000)["rcode"], 0)
            i, r = c.subscribe("_ipp._tcp.example.test", "PTR")
            self.assertEqual(r["rcode"], 0)
            self.assertTrue(c.pushes(2.0, until=lambda rs: rs))  # the initial PUSH
            rc, _ = uh.nsupdate(self.server.port,
                                ["update add _ipp._tcp.example.test 60 PTR x._ipp._tcp.example.test.",
                                 "update delete _ipp._tcp.example.test PTR Office\\032Printer._ipp._tcp.example.test."])
            self.assertEqual(rc, "NOERROR")
            self.assertTrue(c.pushes(2.0, until=lambda rs: len(rs) >= 2))
            c.send(dc.dso_message(0, [dc.tlv(dc.RECONFIRM, dc.subscribe_data(
                "_ipp._tcp.example.test", "PTR") + b"\x01x\x00")]))
            c.unsubscribe(i)
            time.sleep(0.3)
            c.close()
            time.sleep(0.5)
        finally:
            cap.stop()

        r = harness.run(["tshark", "-n", "-r", pcap, "-d", "tcp.port==%d,dns" % self.server.port,
                         "-V"], timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout
        for name in ("Keep Alive", "Subscribe", "Push", "Unsubscribe", "Reconfirm"):
            self.assertIn("DSO TLV: %s" % name, out)
        self.assertIn("Opcode: DNS Stateful operations (DSO) (6)", out)
        # Every "Malformed" must be tshark 4.0's false alarm: it directly follows a DSO
        # response of 12 bytes (no TLV), which RFC 8765 §6.2.2 prescribes for SUBSCRIBE.
        blocks = re.split(r"(?=Domain Name System \()", out)
        for k, b in enumerate(blocks):
            if "Malformed" not in b:
                continue
            self.assertIn("Domain Name System (response)", b[:40], b[:600])
            self.assertIn("Length: 12", b, b[:600])
            self.assertIn("Opcode: DNS Stateful operations (DSO)", b, b[:600])


if __name__ == "__main__":
    harness.main()
