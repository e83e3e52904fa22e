#!/usr/bin/python3
"""dnspushctl against a running dnspushd: the control socket is owner-only; status shows
zones, serials, sessions and subscriptions; sessions lists a push client with its
subscriptions and close ends it; freeze refuses UPDATEs, the operator edits the zone file,
thaw reloads it and a push subscriber sees exactly the difference; stop is graceful (the
DSO session gets a Retry Delay) and the server exits 0."""

import os
import re
import stat
import struct
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dso_client as dc  # noqa: E402
import harness  # noqa: E402
import update_helpers as uh  # noqa: E402

DNSPUSHCTL = os.path.join(harness.BIN, "dnspushctl")
RETRY_DELAY = 2


@unittest.skipUnless(uh.have_tools("nsupdate"), "needs nsupdate (bind9-dnsutils)")
class ControlTest(unittest.TestCase):
    def setUp(self):
        self.server = uh.UpdateServer(tls=True, workers=2).start()
        self.socket = os.path.join(self.server.state_dir, "dnspushd.sock")

    def tearDown(self):
        self.server.stop()

    def ctl(self, *args, ok=True):
        r = subprocess.run([DNSPUSHCTL, "-c", self.server.config, *args], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=15)
        if ok:
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r

    def test_socket_is_owner_only(self):
        st = os.stat(self.socket)
        self.assertTrue(stat.S_ISSOCK(st.st_mode))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)

    def test_status_sessions_and_close(self):
        c = dc.DsoClient(self.server.tls_port)
        try:
            for name in ("a.example.test", "b.example.test"):
                _, r = c.subscribe(name, "A")
                self.assertEqual(r["rcode"], 0)
            out = self.ctl("status").stdout
            self.assertIn("dso-sessions 1\n", out)
            self.assertIn("subscriptions 2\n", out)
            self.assertRegex(out, r"zone example\.test\. serial %d records \d+\n"
                             % uh.soa_serial(self.server.port))
            lines = [l.split("\t") for l in self.ctl("sessions").stdout.splitlines()[1:]]
            push = [l for l in lines if l[2] == "tls" and l[3] == "yes"]
            self.assertEqual(len(push), 1, lines)
            self.assertTrue(push[0][1].startswith("127.0.0.1#"))
            self.assertEqual(push[0][4], "2")
            self.assertEqual(self.ctl("close", push[0][0]).stdout, "ok\n")
            self.assertTrue(c.closed_within(3.0))
            r = self.ctl("close", push[0][0], ok=False)
            self.assertEqual(r.returncode, 1)
            self.assertIn("no connection", r.stdout)
        finally:
            c.close()
        self.assertEqual(self.ctl("bogus", ok=False).returncode, 1)

    def test_freeze_edit_thaw_pushes_the_difference(self):
        c = dc.DsoClient(self.server.tls_port)
        try:
            _, r = c.subscribe("frozen.example.test", "A")
            self.assertEqual(r["rcode"], 0)
            self.assertIn("frozen", self.ctl("freeze", "example.test").stdout)
            self.assertIn(" frozen\n", self.ctl("status").stdout)
            rc, _ = uh.nsupdate(self.server.port, ["update add x.example.test 60 A 192.0.2.1"])
            self.assertEqual(rc, "REFUSED")
            # The operator's edit: a new name and a newer serial.
            with open(self.server.zone_path) as f:
                text = f.read()
            serial = uh.soa_serial(self.server.port)
            # freeze wrote the zone: a comment names the serial first, then the SOA line.
            new = re.sub(r"(\bSOA\b[^\n]*?)\b%d\b" % serial, r"\g<1>%d" % (serial + 1), text,
                         count=1)
            self.assertNotEqual(new, text)
            new += "\nfrozen.example.test. 300 IN A 198.51.100.7\n"
            with open(self.server.zone_path, "w") as f:
                f.write(new)
            self.ctl("thaw", "example.test")
            got = [r.text() for r in c.pushes(5.0, until=lambda rs: rs)]
            self.assertEqual(got, ["frozen.example.test. A IN +300 198.51.100.7"])
            self.assertEqual(uh.soa_serial(self.server.port), serial + 1)
            rc, r = uh.nsupdate(self.server.port, ["update add x.example.test 60 A 192.0.2.1"])
            self.assertEqual(rc, "NOERROR", r.stderr)
        finally:
            c.close()

    def test_stop_is_graceful(self):
        c = dc.DsoClient(self.server.tls_port)
        try:
            _, r = c.subscribe("a.example.test", "A")
            self.assertEqual(r["rcode"], 0)
            self.assertEqual(self.ctl("stop").stdout, "ok: stopping\n")
            # RFC 8490 §6.6.1: a Retry Delay before the server goes.
            saw_retry = False
            for _ in range(5):
                try:
                    m = c.recv(timeout=3.0)
                except Exception:
                    break
                if m is None:
                    break
                if any(t[0] == RETRY_DELAY for t in dc.parse_dso(m)["tlvs"]):
                    saw_retry = True
                    break
            self.assertTrue(saw_retry)
        finally:
            c.close()
        self.server.proc.wait(timeout=10)
        self.assertEqual(self.server.proc.returncode, 0)
        self.assertFalse(os.path.exists(self.socket))


if __name__ == "__main__":
    harness.main()
