#!/usr/bin/python3
"""TLS for `dnspush watch` (RFC 8765 §7.2): a certificate that does not verify is refused
(exit 5, and why) unless the CA file names its CA; the name is checked against the SRV
target; --insecure says so loudly; DANE (RFC 7673) with a stub resolver that sets AD:
a matching TLSA record authenticates the self-signed certificate without any CA file, a
wrong one is refused, and TLSA records without AD are not used."""

import hashlib
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import client_helpers as ch  # noqa: E402
import harness  # noqa: E402
import update_helpers as uh  # noqa: E402


def spki_sha256(cert_path):
    """SHA-256 of the certificate's SubjectPublicKeyInfo (TLSA selector 1, matching type 1)."""
    pub = subprocess.run(["openssl", "x509", "-in", cert_path, "-pubkey", "-noout"],
                         stdout=subprocess.PIPE, check=True, timeout=10).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub,
                         stdout=subprocess.PIPE, check=True, timeout=10).stdout
    return hashlib.sha256(der).hexdigest().upper()


class TlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = uh.UpdateServer(tls=True).start()
        cls.tmp = tempfile.mkdtemp(prefix="dnspush-client-tls-")
        # Another CA: a self-signed certificate that has nothing to do with the server's.
        cls.other_ca = os.path.join(cls.tmp, "other.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                        os.path.join(cls.tmp, "other.key"), "-out", cls.other_ca, "-days", "1",
                        "-subj", "/CN=push.example.test"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                       timeout=30)

    @classmethod
    def tearDownClass(cls):
        ch.stop_all()
        cls.server.stop()

    def watch(self, *args, resolver=None):
        """A push-only watch of mail.example.test that should print its one A record."""
        return ch.run("watch", "--protocol", "push", "--count", "1", "--timeout", "10",
                      "--resolver", "127.0.0.1:%d" % (resolver or self.server.port), *args,
                      "mail.example.test")

    def test_a_certificate_that_does_not_verify_is_refused_unless_the_ca_file_names_it(self):
        r = self.watch()  # the system trust store does not know the self-signed CA
        self.assertEqual(r.returncode, 5, r.stdout + r.stderr)
        self.assertIn("certificate verification failed", r.stderr)
        self.assertIn("self-signed", r.stderr)
        self.assertEqual(r.stdout, "")
        r = self.watch("--ca", self.other_ca)
        self.assertEqual(r.returncode, 5, r.stdout + r.stderr)
        r = self.watch("--ca", self.server.cert_path)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("+ mail.example.test. 3600 IN A 192.0.2.25", r.stdout)
        self.assertIn("authenticated by certificate", r.stderr)

    def test_the_name_is_checked_against_the_target(self):
        server = "127.0.0.1:%d" % self.server.tls_port
        ok = ch.run("watch", "--server", server, "--tls-name", "push.example.test", "--ca",
                    self.server.cert_path, "--count", "1", "--timeout", "10", "mail.example.test")
        self.assertEqual(ok.returncode, 0, ok.stderr)
        bad = ch.run("watch", "--protocol", "push", "--server", server, "--tls-name",
                     "elsewhere.example.net", "--ca", self.server.cert_path, "--timeout", "10",
                     "mail.example.test")
        self.assertEqual(bad.returncode, 5, bad.stderr)
        self.assertIn("hostname mismatch", bad.stderr)

    def test_insecure_works_and_says_so(self):
        r = self.watch("--insecure")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("WARNING: --insecure", r.stderr)
        self.assertIn("authenticated by none (insecure)", r.stderr)

    def test_dane_with_authenticated_tlsa_records(self):
        owner = "_%d._tcp.push.example.test" % self.server.tls_port
        good = "3 1 1 " + spki_sha256(self.server.cert_path)
        bad = "3 1 1 " + "00" * 32
        cases = [
            # (TLSA, AD, exit code, text on stderr)
            ([good], True, 0, "authenticated by DANE"),
            ([bad], True, 5, "DANE"),
            ([good], False, 5, "certificate verification failed"),  # no AD: no DANE
        ]
        for tlsa, ad, code, text in cases:
            stub = ch.StubResolver(self.server.port, ad=ad, tlsa={owner: tlsa})
            try:
                r = self.watch("-v", resolver=stub.port)  # no --ca: only DANE can succeed
            finally:
                stub.close()
            self.assertEqual(r.returncode, code, "%s AD=%s: %s" % (tlsa, ad, r.stderr))
            self.assertIn(text, r.stderr)
            if code == 0:
                self.assertIn("+ mail.example.test. 3600 IN A 192.0.2.25", r.stdout)
                self.assertIn("authenticated TLSA record(s): DANE", r.stderr)


if __name__ == "__main__":
    harness.main()
