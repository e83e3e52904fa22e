#!/usr/bin/python3
"""What answering UDP in batches (recvmmsg/sendmmsg) could break, checked against the real
dnspushd: a burst of datagrams from many sources is answered to the right source, each
answer is truncated (TC) or not on its own, and a malformed datagram in the middle of a
batch is answered FORMERR or dropped alone while its neighbours are answered normally."""

import os
import select
import socket
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

import dns.flags  # noqa: E402
import dns.message  # noqa: E402
import dns.rcode  # noqa: E402


class UdpBatchTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(tls=False, workers=1).start()

    @classmethod
    def tearDownClass(cls):
        rc = cls.server.stop()
        if rc != 0:
            raise AssertionError("dnspushd exited with %s:\n%s" % (rc, cls.server.log()[-4000:]))

    def collect(self, socks, expected, timeout=5.0):
        """{sock index: [messages]} until `expected` answers arrived or `timeout` passed."""
        got = {i: [] for i in range(len(socks))}
        n = 0
        deadline = time.monotonic() + timeout
        fds = {s.fileno(): i for i, s in enumerate(socks)}
        while n < expected and time.monotonic() < deadline:
            r, _, _ = select.select(list(fds), [], [], max(0.0, deadline - time.monotonic()))
            for fd in r:
                i = fds[fd]
                data = socks[i].recv(65535)
                got[i].append(data)
                n += 1
        return got

    def test_burst_from_many_sources_goes_back_to_each_source(self):
        socks = []
        try:
            for k in range(40):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.bind(("127.0.0.%d" % (2 + k % 20), 0))  # 20 addresses, 40 ports
                socks.append(s)
            sent = 0
            for rnd in range(5):  # send everything before reading anything: full batches
                for k, s in enumerate(socks):
                    q = dns.message.make_query("www.example.test", "A")
                    q.id = k * 16 + rnd
                    s.sendto(q.to_wire(), ("127.0.0.1", self.server.port))
                    sent += 1
            got = self.collect(socks, sent)
            for k in range(len(socks)):
                ids = sorted(dns.message.from_wire(m).id for m in got[k])
                self.assertEqual(ids, [k * 16 + r for r in range(5)], "socket %d" % k)
        finally:
            for s in socks:
                s.close()

    def test_truncation_is_decided_per_datagram(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            wires = []
            for i in range(30):
                if i % 3 == 0:
                    q = dns.message.make_query("big.example.test", "TXT", use_edns=False)
                else:
                    q = dns.message.make_query("www.example.test", "A", use_edns=0, payload=1232)
                q.id = 1000 + i
                wires.append(q.to_wire())
            for w in wires:
                s.sendto(w, ("127.0.0.1", self.server.port))
            got = self.collect([s], len(wires))[0]
            self.assertEqual(len(got), len(wires))
            for m in got:
                r = dns.message.from_wire(m)
                big = (r.id - 1000) % 3 == 0
                self.assertEqual(bool(r.flags & dns.flags.TC), big, r.id)
                self.assertLessEqual(len(m), 512 if big else 1232)
                if not big:
                    self.assertEqual(len(r.answer), 1)
        finally:
            s.close()

    def test_a_malformed_datagram_in_a_batch_is_handled_alone(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            expected = 0
            for i in range(24):
                if i % 6 == 2:
                    # A header that says one question, then garbage: FORMERR with the same id.
                    s.sendto(struct.pack("!HHHHHH", 2000 + i, 0, 1, 0, 0, 0) + b"\xff\xfe",
                             ("127.0.0.1", self.server.port))
                    expected += 1
                elif i % 6 == 4:
                    s.sendto(b"\x01\x02\x03", ("127.0.0.1", self.server.port))  # dropped
                else:
                    q = dns.message.make_query("www.example.test", "AAAA")
                    q.id = 2000 + i
                    s.sendto(q.to_wire(), ("127.0.0.1", self.server.port))
                    expected += 1
            got = self.collect([s], expected + 2, timeout=2.0)[0]
            self.assertEqual(len(got), expected)  # nothing for the 3-byte datagrams
            for m in got:
                msg_id, flags = struct.unpack("!HH", m[:4])
                i = msg_id - 2000
                rcode = flags & 0xF
                if i % 6 == 2:
                    self.assertEqual(rcode, dns.rcode.FORMERR)
                else:
                    self.assertEqual(rcode, dns.rcode.NOERROR)
                    self.assertEqual(len(dns.message.from_wire(m).answer), 1)
        finally:
            s.close()


class WildcardSourceTest(unittest.TestCase):
    """On a socket bound to 0.0.0.0 the answer leaves from the address the query was sent
    to (IP_PKTINFO), not from whatever address routing would pick."""

    def test_answer_comes_from_the_address_queried(self):
        server = harness.Server(tls=False, workers=1)
        with open(server.config) as f:
            text = f.read()
        with open(server.config, "w") as f:
            f.write(text.replace('dns = ["127.0.0.1:%d"]' % server.port,
                                 'dns = ["0.0.0.0:%d"]' % server.port))
        server.start()
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(3)
            for dst in ("127.0.0.1", "127.0.0.7", "127.1.2.3"):
                q = dns.message.make_query("www.example.test", "A")
                s.sendto(q.to_wire(), (dst, server.port))
                data, src = s.recvfrom(65535)
                self.assertEqual(src, (dst, server.port))
                self.assertEqual(dns.message.from_wire(data).id, q.id)
            s.close()
        finally:
            self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    harness.main()
