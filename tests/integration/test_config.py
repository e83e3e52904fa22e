#!/usr/bin/python3
"""Configuration and zone-file errors: `dnspushd --check-config` and start-up refuse bad
input with a message that names the file and line (docs/CONFIG.md)."""

import os
import re
import socket
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

BAD_ZONE = """$ORIGIN example.test.
$TTL 300
@    IN SOA ns1 hostmaster 1 7200 3600 1209600 300
@    IN NS  ns1
ns1  IN A   127.0.0.1
www  IN A   192.0.2.300
"""
BAD_LINE = 6  # the A record with an octet above 255


class ConfigTest(unittest.TestCase):
    def check_config(self, server):
        return harness.run([harness.DNSPUSHD, "--config", server.config, "--check-config"],
                           timeout=20)

    def test_example_config_is_valid(self):
        # The configuration that `make run` uses, as shipped.
        r = harness.run([harness.DNSPUSHD, "--config",
                         os.path.join(harness.SRC, "examples", "dnspushd.toml"),
                         "--check-config"], timeout=20)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("OK", r.stdout)

    def test_check_config_good(self):
        s = harness.Server()
        r = self.check_config(s)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertFalse(os.path.exists(s.state_dir), "--check-config must not write state")

    def test_check_config_bad_zone_names_file_and_line(self):
        s = harness.Server(zone_text=BAD_ZONE)
        r = self.check_config(s)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn("zone.db:%d" % BAD_LINE, r.stderr)

    def test_check_config_missing_zone_file(self):
        s = harness.Server()
        os.unlink(s.zone_path)
        r = self.check_config(s)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn("zone.db", r.stderr)

    def test_zone_without_soa_is_rejected(self):
        s = harness.Server(zone_text="$ORIGIN example.test.\n$TTL 300\nwww IN A 192.0.2.1\n")
        r = self.check_config(s)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn("zone.db", r.stderr)

    def test_unknown_key_is_named(self):
        s = harness.Server()
        with open(s.config, "a") as f:
            f.write("\n[limits]\nmax-conections = 5\n")
        r = self.check_config(s)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn("limits.max-conections", r.stderr)

    def test_out_of_range_value_is_named(self):
        s = harness.Server()
        with open(s.config, "a") as f:
            f.write("\n[limits]\nudp-payload = 100\n")
        r = self.check_config(s)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn("limits.udp-payload", r.stderr)

    def test_toml_syntax_error_names_line(self):
        s = harness.Server()
        with open(s.config) as f:
            lines = f.read().splitlines()
        lines.insert(1, "state-dir = \"unterminated")
        with open(s.config, "w") as f:
            f.write("\n".join(lines) + "\n")
        r = self.check_config(s)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertRegex(r.stderr, re.escape("dnspushd.toml") + r":2\b")

    def test_server_refuses_to_start_on_bad_zone(self):
        s = harness.Server(zone_text=BAD_ZONE)
        with open(s.log_path, "w") as log:
            p = subprocess.Popen([harness.DNSPUSHD, "--config", s.config], stdout=log,
                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=s.dir)
            try:
                code = p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)
                self.fail("dnspushd kept running with a broken zone:\n" + s.log())
        self.assertNotEqual(code, 0)
        self.assertIn("zone.db:%d" % BAD_LINE, s.log())
        # Nothing was left listening on its port.
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            self.assertNotEqual(t.connect_ex(("127.0.0.1", s.port)), 0)
        finally:
            t.close()

    def test_server_refuses_to_start_on_a_taken_port(self):
        s = harness.Server()
        blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            blocker.bind(("127.0.0.1", s.port))  # no SO_REUSEPORT: binding must fail
            blocker.listen(1)
            r = harness.run([harness.DNSPUSHD, "--config", s.config], timeout=15)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn(str(s.port), r.stdout + r.stderr)
        finally:
            blocker.close()

    def test_sigterm_exits_cleanly(self):
        s = harness.Server(tls=True).start()
        self.assertEqual(s.stop(), 0, s.log())


if __name__ == "__main__":
    harness.main()
