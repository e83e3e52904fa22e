#!/usr/bin/python3
"""SIGHUP (and dnspushctl reload) re-reads the configuration (issue 11): a zone added is
loaded and answered, a zone removed is REFUSED, a broken file is refused with the reason in
the log and the old zones keep answering, a new TSIG key signs UPDATEs at once, a changed
listener is reported as needing a restart; a DNS Push session subscribed to an unchanged
zone survives all of it and still gets its PUSH; discovery records, push switches and
NOTIFY targets follow the reload."""

import os
import signal
import socket
import subprocess
import sys
import time
import unittest

import dns.message
import dns.opcode

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dso_client as dc  # noqa: E402
import harness  # noqa: E402
import update_helpers as uh  # noqa: E402

DNSPUSHCTL = os.path.join(harness.BIN, "dnspushctl")
OTHER_ZONE = """$ORIGIN other.test.
$TTL 300
@ IN SOA ns1 hostmaster 7 3600 600 86400 300
@ IN NS ns1
ns1 IN A 127.0.0.1
www IN A 192.0.2.77
"""
NEW_KEY_SECRET = "bmV3LWtleS1zZWNyZXQtMDEyMzQ1Njc4OWFiY2RlZg=="


class ReloadConfigTest(unittest.TestCase):
    def setUp(self):
        self.server = uh.UpdateServer(tls=True, workers=2).start()
        with open(os.path.join(self.server.dir, "other.zone"), "w") as f:
            f.write(OTHER_ZONE)
        with open(self.server.config) as f:
            self.base_config = f.read()

    def tearDown(self):
        self.server.stop()

    def write_config(self, text):
        with open(self.server.config, "w") as f:
            f.write(text)

    def hup(self, marker):
        """SIGHUP, then waits (bounded) until the log shows the reload's outcome."""
        n = self.server.log().count(marker)
        os.kill(self.server.proc.pid, signal.SIGHUP)
        self.assertTrue(uh.wait_for(lambda: self.server.log().count(marker) > n, 10.0),
                        self.server.log())

    def ctl(self, *args):
        return subprocess.run([DNSPUSHCTL, "-c", self.server.config, *args],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=30)

    def test_add_remove_broken_and_the_push_session_survives(self):
        s = self.server
        c = dc.DsoClient(s.tls_port)
        try:
            _, r = c.subscribe("watched.example.test", "A")
            self.assertEqual(r["rcode"], 0)
            c.pushes(0.5)
            self.assertEqual(s.dig("www.other.test").status, "REFUSED")

            # A zone added.
            self.write_config(self.base_config +
                              '[[zone]]\norigin = "other.test"\nfile = "other.zone"\n')
            self.hup("configuration reloaded")
            self.assertIn("1 zone added (other.test.)", s.log())
            a = s.dig("www.other.test")
            self.assertEqual(a.status, "NOERROR")
            self.assertEqual(a.rdatas("ANSWER", "A"), ["192.0.2.77"])
            _, r = c.subscribe("www.other.test", "A")  # DNS Push there too, same session
            self.assertEqual(r["rcode"], 0)
            self.assertEqual([p.text() for p in c.pushes(2.0, until=lambda rs: rs)],
                             ["www.other.test. A IN +300 192.0.2.77"])

            # The zone removed.
            self.write_config(self.base_config)
            self.hup("configuration reloaded")
            self.assertIn("0 zones added, 1 removed (other.test.)", s.log())
            self.assertEqual(s.dig("www.other.test").status, "REFUSED")

            # A broken file: refused with the reason, the old configuration stays.
            self.write_config(self.base_config + "[limits]\nmax-pipelined = -3\n")
            self.hup("configuration reload refused")
            self.assertRegex(s.log(), r"configuration reload refused, the running "
                             r"configuration stays: .*limits\.max-pipelined: -3 is out of range")
            self.assertEqual(s.dig("www.example.test").status, "NOERROR")
            # dnspushctl finds the server through the broken file's state-dir, warns, and
            # shows the server's own refusal.
            r = self.ctl("reload")
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("error: configuration not reloaded", r.stdout)
            self.assertIn("max-pipelined", r.stdout)
            self.assertIn("warning:", r.stderr)
            # Not TOML at all: it needs the socket, and says so.
            self.write_config("[server\n")
            r = self.ctl("reload")
            self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
            self.assertIn("-s", r.stderr)
            r = subprocess.run([DNSPUSHCTL, "-s", os.path.join(s.state_dir, "dnspushd.sock"),
                                "status"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, timeout=30)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.write_config(self.base_config)

            # The session subscribed to the unchanged zone is still there and hears changes.
            rc, out = uh.nsupdate(s.port, ["update add watched.example.test 60 A 192.0.2.5"])
            self.assertEqual(rc, "NOERROR", out.stderr)
            got = [p.text() for p in c.pushes(5.0, until=lambda rs: rs)]
            self.assertEqual(got, ["watched.example.test. A IN +60 192.0.2.5"])
        finally:
            c.close()

    def test_an_added_zone_is_discoverable_and_its_push_switch_applies(self):
        # RFC 8765 §6.1: a client finds the push server through the zone's
        # _dns-push-tls._tcp SRV; a zone added by a reload must answer it at once, and
        # `push = false` (given or taken back by a reload) must hold for SUBSCRIBE too.
        s = self.server
        srv = "_dns-push-tls._tcp.other.test"
        self.assertEqual(s.dig(srv, "SRV").status, "REFUSED")  # not our zone yet
        zone = '[[zone]]\norigin = "other.test"\nfile = "other.zone"\n'
        self.write_config(self.base_config + zone)
        self.hup("configuration reloaded")
        a = s.dig(srv, "SRV")
        self.assertEqual(a.status, "NOERROR")
        rd = a.rdatas("ANSWER", "SRV")
        self.assertEqual(len(rd), 1, a)
        self.assertEqual(rd[0].split()[2], str(s.tls_port), a)
        c = dc.DsoClient(s.tls_port)
        try:
            _, r = c.subscribe("www.other.test", "A")
            self.assertEqual(r["rcode"], 0)
            # Switched off by a reload: no discovery record, SUBSCRIBE refused.
            self.write_config(self.base_config + zone + "push = false\n")
            self.hup("configuration reloaded")
            a = s.dig(srv, "SRV")
            self.assertEqual(a.rdatas("ANSWER", "SRV"), [], a)
            _, r = c.subscribe("mail.other.test", "A")
            self.assertEqual(r["rcode"], 5)  # REFUSED
            # The zone that stayed as it was keeps its record.
            self.assertEqual(len(s.dig("_dns-push-tls._tcp.example.test", "SRV")
                                 .rdatas("ANSWER", "SRV")), 1)
        finally:
            c.close()

    def test_notify_targets_follow_the_reload(self):
        # RFC 1996: after a commit every configured secondary hears of the new serial; a
        # target added by a reload hears of the next commit, one removed hears nothing.
        s = self.server
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.addCleanup(sock.close)
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(0.5)
        port = sock.getsockname()[1]

        def notifies(seconds):
            got, deadline = [], time.monotonic() + seconds
            while time.monotonic() < deadline:
                try:
                    data, _ = sock.recvfrom(4096)
                except socket.timeout:
                    continue
                m = dns.message.from_wire(data)
                if m.opcode() == dns.opcode.NOTIFY:
                    got.append((m.question[0].name.to_text(), m.answer[0][0].serial))
                    break
            return got

        def update(i):
            rc, out = uh.nsupdate(s.port, ["update add n%d.example.test 60 A 192.0.2.%d" % (i, i)])
            self.assertEqual(rc, "NOERROR", out.stderr)
            return uh.soa_serial(s.port)

        update(1)
        self.assertEqual(notifies(1.0), [])
        self.assertIn("notify = []", self.base_config)
        self.write_config(self.base_config.replace("notify = []",
                                                   'notify = ["127.0.0.1:%d"]' % port))
        self.hup("configuration reloaded")
        serial = update(2)
        self.assertEqual(notifies(5.0), [("example.test.", serial)])
        self.write_config(self.base_config)
        self.hup("configuration reloaded")
        # The reload drops the target, and with it the retransmissions of the unanswered one.
        for _ in range(30):
            if not notifies(1.0):
                break
        update(3)
        self.assertEqual(notifies(1.5), [])

    def test_new_key_and_restart_only_changes(self):
        s = self.server
        signed = ["update add k.example.test 60 A 192.0.2.6"]
        # A key the server does not know yet: NOTAUTH (RFC 8945 §5.2).
        rc, _ = uh.nsupdate(s.port, signed, secret=NEW_KEY_SECRET)
        self.assertNotEqual(rc, "NOERROR")
        text = self.base_config.replace(uh.KEY_SECRET, NEW_KEY_SECRET)
        # And a listener change, which needs a restart.
        text = text.replace('dns = ["127.0.0.1:%d"]' % s.port,
                            'dns = ["127.0.0.1:%d", "127.0.0.2:%d"]' % (s.port, s.port))
        self.write_config(text)
        r = self.ctl("reload")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("changed [listen]: needs a restart, not applied", r.stdout)
        rc, out = uh.nsupdate(s.port, signed, secret=NEW_KEY_SECRET)
        self.assertEqual(rc, "NOERROR", out.stderr)
        rc, _ = uh.nsupdate(s.port, ["update add k2.example.test 60 A 192.0.2.7"])
        self.assertNotEqual(rc, "NOERROR")  # the old secret no longer verifies


if __name__ == "__main__":
    harness.main()
