#!/usr/bin/python3
"""Transports: truncation over UDP and retry over TCP (RFC 1035 §4.2.1, RFC 7766),
pipelined and split TCP queries (RFC 7766 §6.2.1.1), DNS over TLS with the self-signed
certificate (RFC 7858), hostile bytes, and the connection limits of [limits]."""

import base64
import hashlib
import os
import random
import socket
import ssl
import struct
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

import dns.flags  # noqa: E402
import dns.message  # noqa: E402
import dns.rcode  # noqa: E402

BIG_TXT_COUNT = 10  # big.example.test has ten TXT records, over 512 bytes in all


def frame(wire):
    return struct.pack("!H", len(wire)) + wire


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def recv_framed(sock):
    (length,) = struct.unpack("!H", recv_exact(sock, 2))
    return dns.message.from_wire(recv_exact(sock, length))


def closed_by_peer(sock, within):
    """True if the peer closes the connection (EOF or reset) within `within` seconds."""
    sock.settimeout(within)
    try:
        while True:
            if sock.recv(4096) == b"":
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def udp_exchange(port, payload, timeout):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.settimeout(timeout)
        s.sendto(payload, ("127.0.0.1", port))
        try:
            return s.recvfrom(65535)[0]
        except socket.timeout:
            return None
    finally:
        s.close()


def spki_pin(cert_pem_path):
    """base64(SHA-256(SubjectPublicKeyInfo)), the pin format of kdig +tls-pin (RFC 7858)."""
    pub = subprocess.run(["openssl", "x509", "-in", cert_pem_path, "-noout", "-pubkey"],
                         stdout=subprocess.PIPE, check=True, timeout=10).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub,
                         stdout=subprocess.PIPE, check=True, timeout=10).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


class TransportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(tls=True).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def tearDown(self):
        self.assertTrue(self.server.alive(), "dnspushd died:\n" + self.server.log())

    def query(self, name, rtype="A", edns=-1):
        q = dns.message.make_query(name, rtype, use_edns=edns)
        q.flags &= ~dns.flags.RD
        return q

    # Truncation ---------------------------------------------------------------------------

    def test_truncated_over_udp_without_edns_then_whole_over_tcp(self):
        a = self.server.dig("big.example.test", "TXT", "+noedns", "+ignore")
        self.assertEqual(a.status, "NOERROR", a)
        self.assertIn("tc", a.flags, a)
        self.assertIn("aa", a.flags, a)
        # RFC 2181 §9: never a partial RRset with TC... dig shows whatever fitted, and no
        # record may be cut in half; the message must parse.
        self.assertLess(len(a.records("ANSWER", "TXT")), BIG_TXT_COUNT)
        a = self.server.dig("big.example.test", "TXT", "+noedns", "+tcp")
        self.assertEqual(a.status, "NOERROR", a)
        self.assertNotIn("tc", a.flags, a)
        self.assertEqual(len(a.records("ANSWER", "TXT", "big.example.test")), BIG_TXT_COUNT)

    def test_truncated_udp_answer_is_at_most_512_bytes(self):
        q = self.query("big.example.test.", "TXT")
        data = udp_exchange(self.server.port, q.to_wire(), 3)
        self.assertIsNotNone(data, "no answer")
        self.assertLessEqual(len(data), 512)
        r = dns.message.from_wire(data)
        self.assertTrue(r.flags & dns.flags.TC)
        self.assertEqual(r.id, q.id)

    def test_edns_payload_avoids_truncation(self):
        a = self.server.dig("big.example.test", "TXT", "+bufsize=1232", "+ignore")
        self.assertNotIn("tc", a.flags, a)
        self.assertEqual(len(a.records("ANSWER", "TXT")), BIG_TXT_COUNT)
        # A client advertising 512 gets TC (RFC 6891 §6.2.5).
        a = self.server.dig("big.example.test", "TXT", "+bufsize=512", "+ignore")
        self.assertIn("tc", a.flags, a)

    # TCP ----------------------------------------------------------------------------------

    def tcp(self):
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=5)
        s.settimeout(5)
        return s

    def check_pipelined(self, sock):
        queries = [self.query("www.example.test.", "A"),
                   self.query("big.example.test.", "TXT"),
                   self.query("nosuch.example.test.", "A")]
        ids = set()
        for q in queries:
            while q.id in ids:
                q.id = random.randrange(65536)
            ids.add(q.id)
        sock.sendall(b"".join(frame(q.to_wire()) for q in queries))
        answers = {}
        for _ in queries:
            r = recv_framed(sock)
            answers[r.id] = r
        # RFC 7766 §7: answers may come in any order; match them by id.
        self.assertEqual(set(answers), ids)
        www, big, nx = (answers[q.id] for q in queries)
        self.assertEqual(sorted(rr.address for rr in www.answer[0]), ["192.0.2.10", "192.0.2.11"])
        self.assertEqual(len(big.answer[0]), BIG_TXT_COUNT)
        self.assertFalse(big.flags & dns.flags.TC)
        self.assertEqual(nx.rcode(), dns.rcode.NXDOMAIN)
        for q in queries:
            self.assertEqual(answers[q.id].question[0].name, q.question[0].name)

    def test_pipelined_tcp_queries(self):
        s = self.tcp()
        try:
            self.check_pipelined(s)
            self.check_pipelined(s)  # the connection stays open for more
        finally:
            s.close()

    def test_tcp_query_split_across_segments(self):
        s = self.tcp()
        try:
            wire = frame(self.query("mail.example.test.", "A").to_wire())
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for i in range(len(wire)):  # one byte at a time
                s.sendall(wire[i:i + 1])
                if i in (0, 1, 7):
                    time.sleep(0.05)
            r = recv_framed(s)
            self.assertEqual(r.answer[0][0].address, "192.0.2.25")
        finally:
            s.close()

    def test_tcp_garbage_does_not_hurt_others(self):
        s = self.tcp()
        try:
            s.sendall(frame(bytes(random.Random(7).getrandbits(8) for _ in range(40))))
            # Either a FORMERR or the connection closes; both are fine, a crash is not.
            try:
                s.settimeout(2)
                s.recv(4096)
            except (socket.timeout, ConnectionError):
                pass
        finally:
            s.close()
        a = self.server.dig("www.example.test", "A", "+tcp")
        self.assertEqual(a.status, "NOERROR", a)

    # DNS over TLS -------------------------------------------------------------------------

    def test_dot_with_kdig(self):
        a, r = self.server.kdig_tls("www.example.test", "A")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(a.status, "NOERROR", a)
        self.assertIn("aa", a.flags, a)
        self.assertEqual(a.rdatas("ANSWER", "A"), ["192.0.2.10", "192.0.2.11"])
        self.assertIn("(TCP)", r.stdout)
        a, r = self.server.kdig_tls("_ipp._tcp.example.test", "PTR")
        self.assertEqual(a.status, "NOERROR", a)
        self.assertEqual(len(a.records("ANSWER", "PTR")), 1, a)
        a, r = self.server.kdig_tls("nosuch.example.test", "A")
        self.assertEqual(a.status, "NXDOMAIN", a)

    def test_dot_certificate_is_the_generated_self_signed_one(self):
        self.assertTrue(os.path.exists(self.server.cert_path), "no certificate in state-dir")
        pin = spki_pin(self.server.cert_path)
        a, r = self.server.kdig_tls("www.example.test", "A", "+tls-pin=" + pin)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(a.status, "NOERROR", a)
        # Verified as a CA by kdig (GnuTLS): the certificate names localhost (RFC 7858 §4.2).
        a, r = self.server.kdig_tls("www.example.test", "A", "+tls-ca=" + self.server.cert_path,
                                    "+tls-hostname=localhost")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(a.status, "NOERROR", a)
        wrong = base64.b64encode(hashlib.sha256(b"another key").digest()).decode()
        a, r = self.server.kdig_tls("www.example.test", "A", "+tls-pin=" + wrong)
        self.assertIsNone(a.status, "kdig accepted a wrong pin:\n" + r.stdout)
        # The same certificate, byte for byte, through Python's ssl.
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(self.server.cert_path)
        ctx.check_hostname = False  # the address is checked by kdig above; here: the chain
        with socket.create_connection(("127.0.0.1", self.server.tls_port), timeout=5) as raw:
            with ctx.wrap_socket(raw) as tls:
                der = tls.getpeercert(binary_form=True)
        with open(self.server.cert_path) as f:
            self.assertEqual(der, ssl.PEM_cert_to_DER_cert(f.read()))

    def test_dot_pipelined(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with socket.create_connection(("127.0.0.1", self.server.tls_port), timeout=5) as raw:
            with ctx.wrap_socket(raw) as tls:
                tls.settimeout(5)
                self.check_pipelined(tls)

    def test_tls_port_speaks_only_tls(self):
        s = socket.create_connection(("127.0.0.1", self.server.tls_port), timeout=5)
        try:
            s.sendall(frame(self.query("www.example.test.", "A").to_wire()))
            self.assertTrue(closed_by_peer(s, 7), "plain DNS on the TLS port was not closed")
        finally:
            s.close()

    # Hostile input over UDP ---------------------------------------------------------------

    def assertFormerrOrSilence(self, payload):
        data = udp_exchange(self.server.port, payload, 0.5)
        if data is None:
            return
        self.assertGreaterEqual(len(data), 12)
        self.assertTrue(data[2] & 0x80, "an answer must have QR set")
        self.assertEqual(data[3] & 0x0F, dns.rcode.FORMERR, data.hex())
        if len(payload) >= 2:
            self.assertEqual(data[:2], payload[:2], "the id is copied")

    def test_malformed_udp(self):
        rng = random.Random(20240101)
        good = self.query("www.example.test.", "A").to_wire()
        payloads = [bytes(rng.getrandbits(8) for _ in range(rng.randrange(12, 300)))
                    for _ in range(20)]
        # Keep QR clear so that the server considers them queries.
        payloads = [p[:2] + bytes([p[2] & 0x7F]) + p[3:] for p in payloads]
        payloads += [good[:n] for n in (13, 15, len(good) - 1)]  # truncated questions
        payloads += [good[:12]]  # QDCOUNT 1 and no question
        payloads += [good + b"\x00\x00\x00"]  # trailing garbage
        # A compression pointer to itself as the question name.
        payloads += [good[:12] + b"\xc0\x0c\x00\x01\x00\x01"]
        for p in payloads:
            self.assertFormerrOrSilence(p)
        a = self.server.dig("www.example.test", "A")
        self.assertEqual(a.status, "NOERROR", a)

    def test_short_datagrams_get_no_answer(self):
        # Fewer than 12 bytes: no header to answer with.
        for n in (0, 1, 2, 11):
            self.assertIsNone(udp_exchange(self.server.port, b"\x12" * n, 0.3))
        self.assertEqual(self.server.dig("www.example.test", "A").status, "NOERROR")

    def test_responses_are_not_answered(self):
        # A message with QR set is never answered (two servers must not loop).
        q = self.query("www.example.test.", "A").to_wire()
        r = q[:2] + bytes([q[2] | 0x80]) + q[3:]
        self.assertIsNone(udp_exchange(self.server.port, r, 0.5))


class LimitsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(
            tls=True, workers=1,
            extra_config="[limits]\n"
                         "tcp-idle-timeout-ms = 1500\n"
                         "tls-handshake-timeout-ms = 500\n"
                         "max-connections-per-address = 3\n").start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_idle_tcp_connection_is_closed(self):
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=5)
        try:
            start = time.monotonic()
            self.assertTrue(closed_by_peer(s, 5), "idle connection kept open")
            self.assertGreater(time.monotonic() - start, 1.0)
        finally:
            s.close()

    def test_stalled_tls_handshake_is_closed(self):
        s = socket.create_connection(("127.0.0.1", self.server.tls_port), timeout=5)
        try:
            self.assertTrue(closed_by_peer(s, 5), "handshake never started, still open")
        finally:
            s.close()

    def test_connections_per_address_limit(self):
        held = []
        try:
            for _ in range(3):
                held.append(socket.create_connection(("127.0.0.1", self.server.port), timeout=5))
            # Let the server accept all three before the fourth arrives.
            time.sleep(0.1)
            extra = socket.create_connection(("127.0.0.1", self.server.port), timeout=5)
            try:
                # The newest connection is the one closed, without an answer.
                q = dns.message.make_query("www.example.test.", "A")
                try:
                    extra.sendall(frame(q.to_wire()))
                except (ConnectionError, BrokenPipeError):
                    pass
                extra.settimeout(3)
                try:
                    data = extra.recv(4096)
                except ConnectionError:
                    data = b""
                self.assertEqual(data, b"", "a 4th connection from one address was served")
            finally:
                extra.close()
            # The three established ones still work.
            held[0].sendall(frame(dns.message.make_query("www.example.test.", "A").to_wire()))
            held[0].settimeout(3)
            self.assertEqual(recv_framed(held[0]).rcode(), dns.rcode.NOERROR)
        finally:
            for s in held:
                s.close()
        # Slots are released when connections close.
        deadline = time.monotonic() + 5
        while True:
            a = self.server.dig("www.example.test", "A", "+tcp")
            if a.status == "NOERROR" or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(a.status, "NOERROR", a)


if __name__ == "__main__":
    harness.main()
