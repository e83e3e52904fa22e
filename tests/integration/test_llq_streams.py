#!/usr/bin/python3
"""LLQ (RFC 8764) over TCP and over TLS against the real dnspushd: a SETUP with LLQ-ID 0 on
a stream is acknowledged at once with a fresh LLQ-ID, the clamped lease and the answers (the
connection proved the address: no challenge, as Apple's LLQs over TLS); nsupdate's changes
arrive as events on the same connection in commit order without waiting for
acknowledgements; the connection outlives the TCP idle timeout while it holds an LLQ;
refresh and cancel work on the stream; a plain query on the same connection is still
answered as a query."""

import os
import socket
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import update_helpers as uh  # noqa: E402
from dso_client import DsoClient  # noqa: E402
from test_llq import (EVENT, NO_ERROR, NO_SUCH_LLQ, REFRESH, SETUP, llq_options,  # noqa: E402
                      option, records, wire_ttls)

import dns.flags  # noqa: E402
import dns.message  # noqa: E402
import dns.rcode  # noqa: E402

LEASE_MAX = 600
IDLE_MS = 1500


class StreamLlq:
    """One TCP or TLS connection speaking LLQ with 2-byte framing."""

    def __init__(self, port, tls):
        self.c = DsoClient(port, use_tls=tls)
        self.next_id = 2000

    def close(self):
        self.c.close()

    def send(self, qname, opts, rdtype="A"):
        q = dns.message.make_query(qname, rdtype, use_edns=0, payload=1232, options=opts)
        q.id = self.next_id
        self.next_id += 1
        self.c.send(q.to_wire())
        return q.id

    def recv(self, timeout=3.0):
        data = self.c.recv(timeout)
        if data is None:
            return None, None
        return dns.message.from_wire(data), data

    def ask(self, qname, opts, rdtype="A"):
        msg_id = self.send(qname, opts, rdtype)
        for _ in range(10):
            m, _ = self.recv()
            if m is None:
                raise AssertionError("no answer to %s" % qname)
            if m.id == msg_id:
                return m
        raise AssertionError("no answer with ID %d" % msg_id)


@unittest.skipUnless(uh.have_tools("nsupdate"), "needs nsupdate (bind9-dnsutils)")
class LlqStreamTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        extra = ("[limits]\ntcp-idle-timeout-ms = %d\n"
                 "[llq]\nenabled = true\nlease-min-s = 2\nlease-max-s = %d\n" % (IDLE_MS, LEASE_MAX))
        cls.server = uh.UpdateServer(workers=2, tls=True, extra=extra)
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        rc = cls.server.stop()
        if rc != 0:
            raise AssertionError("dnspushd exited with %s:\n%s" % (rc, cls.server.log()[-4000:]))

    def stream(self, tls):
        s = StreamLlq(self.server.tls_port if tls else self.server.port, tls)
        self.addCleanup(s.close)
        return s

    def update(self, *commands):
        rc, r = uh.nsupdate(self.server.port, list(commands))
        self.assertEqual(rc, "NOERROR", r.stderr)

    def setup_llq(self, s, qname, lease=7200):
        ack = s.ask(qname, [option(SETUP, 0, lease)])
        self.assertEqual(ack.rcode(), dns.rcode.NOERROR)
        (version, op, err, llq_id, granted), = llq_options(ack)
        self.assertEqual((version, op, err), (1, SETUP, NO_ERROR))
        self.assertNotEqual(llq_id, 0)
        return llq_id, granted, ack

    def event(self, s, llq_id, timeout=5.0):
        m, data = s.recv(timeout)
        self.assertIsNotNone(m, "no event")
        (_, op, err, eid, _), = llq_options(m)
        self.assertEqual((op, err, eid), (EVENT, NO_ERROR, llq_id))
        self.assertTrue(m.flags & dns.flags.QR)
        return m, data

    def check_events(self, tls):
        host = "st%d.example.test" % (1 if tls else 0)
        self.update("update add %s 120 A 192.0.2.1" % host)
        s = self.stream(tls)
        llq_id, granted, ack = self.setup_llq(s, host)
        self.assertEqual(granted, LEASE_MAX, "the lease is clamped")
        self.assertEqual(records(ack), [(host + ".", 120, "A", "192.0.2.1")])
        # Two changes: both events arrive, in order, with no acknowledgement sent.
        self.update("update add %s 120 A 192.0.2.2" % host)
        self.update("update delete %s A 192.0.2.1" % host)
        m1, _ = self.event(s, llq_id)
        self.assertEqual(records(m1), [(host + ".", 120, "A", "192.0.2.2")])
        m2, wire2 = self.event(s, llq_id)
        self.assertEqual([r[3] for r in records(m2)], ["192.0.2.1"])
        self.assertEqual(wire_ttls(wire2), [0xFFFFFFFF], "a removal has TTL 0xFFFFFFFF")
        # A plain query on the same connection is a query.
        q = s.ask(host, [])
        self.assertEqual(llq_options(q), [])
        self.assertEqual([r[3] for r in records(q)], ["192.0.2.2"])
        return s, host, llq_id

    def test_llq_over_tcp_setup_events_refresh_cancel(self):
        s, host, llq_id = self.check_events(tls=False)
        r = s.ask(host, [option(REFRESH, llq_id, 300)])
        (_, op, err, rid, lease), = llq_options(r)
        self.assertEqual((op, err, rid, lease), (REFRESH, NO_ERROR, llq_id, 300))
        r = s.ask(host, [option(REFRESH, llq_id, 0)])
        (_, op, err, rid, lease), = llq_options(r)
        self.assertEqual((op, err, lease), (REFRESH, NO_ERROR, 0))
        self.update("update add %s 120 A 192.0.2.3" % host)
        m, _ = s.recv(1.0)
        self.assertIsNone(m, "no event after the cancel")
        r = s.ask(host, [option(REFRESH, llq_id, 300)])
        self.assertEqual(llq_options(r)[0][2], NO_SUCH_LLQ)

    def test_llq_over_tls(self):
        self.check_events(tls=True)

    def test_connection_with_an_llq_outlives_the_idle_timeout(self):
        host = "idle.example.test"
        self.update("update add %s 120 A 192.0.2.9" % host)
        s = self.stream(False)
        llq_id, _, _ = self.setup_llq(s, host)
        plain = self.stream(False)
        plain.ask(host, [])
        time.sleep(IDLE_MS / 1000.0 * 2.5)
        self.assertTrue(plain.c.closed_within(1.0), "an idle plain connection is closed")
        self.update("update add %s 120 A 192.0.2.10" % host)
        m, _ = self.event(s, llq_id)
        self.assertEqual([r[3] for r in records(m)], ["192.0.2.10"])

    def test_llq_ids_are_per_connection(self):
        host = "per.example.test"
        a = self.stream(False)
        llq_id, _, _ = self.setup_llq(a, host)
        b = self.stream(False)
        r = b.ask(host, [option(REFRESH, llq_id, 300)])
        self.assertEqual(llq_options(r)[0][2], NO_SUCH_LLQ, "another connection's LLQ")
        a.close()
        time.sleep(0.3)
        # Over UDP from anywhere it is unknown too, and the server is fine.
        q = dns.message.make_query(host, "A", use_edns=0, options=[option(REFRESH, llq_id, 300)])
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.addCleanup(sock.close)
        sock.settimeout(3)
        sock.sendto(q.to_wire(), ("127.0.0.1", self.server.port))
        data, _ = sock.recvfrom(65535)
        self.assertEqual(llq_options(dns.message.from_wire(data))[0][2], NO_SUCH_LLQ)


if __name__ == "__main__":
    unittest.main()
