#!/usr/bin/python3
"""DNS Long-Lived Queries (RFC 8764) against the real dnspushd: a dnspython client walks the
4-way handshake by hand on the llq-listen port and on the main DNS port and checks the wire
(message ID echoed, answers from the address asked, lease clamped), nsupdate changes the
zone and the client receives events (adds with their TTL, removals with TTL 0xFFFFFFFF),
acknowledges them (or not: they are resent), refreshes, cancels, and meets every error
code (NO-SUCH-LLQ, BAD-VERS, FORMAT-ERR, STATIC, SERV-FULL for a setup flood from one
address while another address keeps working). dig +ednsopt=llq gets a challenge, and the
_dns-llq._udp SRV is answered."""

import os
import shutil
import socket
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import update_helpers as uh  # noqa: E402

import dns.edns  # noqa: E402
import dns.flags  # noqa: E402
import dns.message  # noqa: E402
import dns.name  # noqa: E402
import dns.rcode  # noqa: E402
import dns.rdataclass  # noqa: E402
import dns.rdatatype  # noqa: E402

SETUP, REFRESH, EVENT = 1, 2, 3
NO_ERROR, SERV_FULL, STATIC, FORMAT_ERR, NO_SUCH_LLQ, BAD_VERS = 0, 1, 2, 3, 4, 5
LEASE_MIN, LEASE_MAX, PER_ADDRESS = 2, 600, 20

STATIC_ZONE = """$ORIGIN static.test.
$TTL 300
@ SOA ns1.static.test. hostmaster.static.test. 1 7200 3600 1209600 300
@ NS ns1
ns1 A 127.0.0.1
www A 192.0.2.80
"""


def option(opcode, llq_id=0, lease=7200, error=0, version=1):
    return dns.edns.GenericOption(1, struct.pack("!HHHQI", version, opcode, error, llq_id, lease))


def llq_options(msg):
    out = []
    for o in msg.options:
        if o.otype == 1:
            data = o.to_wire() if not hasattr(o, "data") else o.data
            out.append(struct.unpack("!HHHQI", data))  # version, opcode, error, id, lease
    return out


class Client:
    """One UDP socket (one source address and port, like Apple's client)."""

    def __init__(self, port, source="127.0.0.1"):
        self.port = port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((source, 0))
        self.next_id = 1000

    def close(self):
        self.sock.close()

    def send(self, qname, opts, rdtype="A", msg_id=None, qr=False, questions=None):
        q = dns.message.make_query(qname, rdtype, use_edns=0, payload=1440, options=opts)
        if questions:
            for name, t in questions:
                q.find_rrset(q.question, dns.name.from_text(name), dns.rdataclass.IN,
                             dns.rdatatype.from_text(t), create=True, force_unique=True)
        if msg_id is None:
            msg_id = self.next_id
            self.next_id += 1
        q.id = msg_id
        if qr:
            q.flags |= dns.flags.QR
        self.sock.sendto(q.to_wire(), ("127.0.0.1", self.port))
        return msg_id

    def recv(self, timeout=3.0):
        """(message, source address) or (None, None)."""
        self.sock.settimeout(timeout)
        try:
            data, addr = self.sock.recvfrom(65535)
        except socket.timeout:
            return None, None
        self.last_wire = data
        return dns.message.from_wire(data), addr

    def ask(self, qname, opts, rdtype="A", **kw):
        msg_id = self.send(qname, opts, rdtype, **kw)
        for _ in range(5):
            m, addr = self.recv()
            if m is None:
                raise AssertionError("no answer to %s" % qname)
            if m.id == msg_id:
                return m, addr
        raise AssertionError("no answer with ID %d" % msg_id)

    def setup(self, qname, rdtype="A", lease=7200):
        """The 4-way handshake; returns (llq id, granted lease, ACK message)."""
        ch, _ = self.ask(qname, [option(SETUP, 0, lease)], rdtype)
        (_, op, err, llq_id, granted), = llq_options(ch)
        assert err == NO_ERROR and llq_id != 0, (err, llq_id)
        ack, _ = self.ask(qname, [option(SETUP, llq_id, granted)], rdtype)
        (_, op, err, llq_id2, granted2), = llq_options(ack)
        assert err == NO_ERROR and llq_id2 == llq_id, (err, llq_id2)
        return llq_id, granted2, ack

    def event(self, timeout=3.0):
        m, addr = self.recv(timeout)
        if m is None:
            return None, None
        return m, addr

    def ack(self, event, qr=True):
        (_, _, _, llq_id, lease), = llq_options(event)
        q = event.question[0]
        self.send(q.name.to_text(), [option(EVENT, llq_id, lease)], dns.rdatatype.to_text(q.rdtype),
                  msg_id=event.id, qr=qr)


def skip_name(data, i):
    while True:
        n = data[i]
        if n == 0:
            return i + 1
        if n & 0xC0 == 0xC0:
            return i + 2
        i += 1 + n


def wire_ttls(data):
    """The answer section's TTLs as sent (dnspython reads a TTL above 2^31 - 1 as 0)."""
    qd, an = struct.unpack("!HH", data[4:8])
    i = 12
    for _ in range(qd):
        i = skip_name(data, i) + 4
    out = []
    for _ in range(an):
        i = skip_name(data, i)
        _, _, ttl, rdlen = struct.unpack("!HHIH", data[i:i + 10])
        out.append(ttl)
        i += 10 + rdlen
    return out


def records(msg):
    """[(name, ttl, type, rdata text)] of the answer section."""
    out = []
    for rrset in msg.answer:
        for rd in rrset:
            out.append((rrset.name.to_text().lower(), rrset.ttl, dns.rdatatype.to_text(rrset.rdtype),
                        rd.to_text()))
    return sorted(out)


@unittest.skipUnless(uh.have_tools("nsupdate", "dig"), "needs nsupdate and dig (bind9-dnsutils)")
class LlqTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.llq_port = harness.free_port()
        extra = ("[llq]\nenabled = true\nlisten = [\"127.0.0.1:%d\"]\nlease-min-s = %d\n"
                 "lease-max-s = %d\nmax-llqs-per-address = %d\nevent-resend-ms = 500\n"
                 "serv-full-retry-s = 77\n"
                 % (cls.llq_port, LEASE_MIN, LEASE_MAX, PER_ADDRESS))
        cls.server = uh.UpdateServer(workers=2, extra=extra)
        with open(os.path.join(cls.server.dir, "static.db"), "w") as f:
            f.write(STATIC_ZONE)
        with open(cls.server.config, "a") as f:
            f.write('[[zone]]\norigin = "static.test"\nfile = "static.db"\nllq = false\n')
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        rc = cls.server.stop()
        if rc != 0:
            raise AssertionError("dnspushd exited with %s:\n%s" % (rc, cls.server.log()[-4000:]))

    def client(self, port=None, source="127.0.0.1"):
        c = Client(port or self.llq_port, source)
        self.addCleanup(c.close)
        return c

    def update(self, *commands):
        rc, r = uh.nsupdate(self.server.port, list(commands))
        self.assertEqual(rc, "NOERROR", r.stderr)

    # Handshake ------------------------------------------------------------------------------

    def test_handshake_echoes_id_clamps_lease_and_answers_from_the_address_asked(self):
        self.update("update add hs.example.test 120 A 192.0.2.7")
        c = self.client()
        ch, addr = c.ask("hs.example.test", [option(SETUP, 0, 7200)], msg_id=4321)
        self.assertEqual(addr, ("127.0.0.1", self.llq_port))
        self.assertEqual(ch.id, 4321)
        self.assertTrue(ch.flags & dns.flags.QR)
        self.assertEqual(ch.answer, [])  # the challenge carries no answers
        (ver, op, err, llq_id, lease), = llq_options(ch)
        self.assertEqual((ver, op, err), (1, SETUP, NO_ERROR))
        self.assertNotEqual(llq_id, 0)
        self.assertEqual(lease, LEASE_MAX)  # 7200 clamped
        ack, _ = c.ask("hs.example.test", [option(SETUP, llq_id, lease)], msg_id=4322)
        self.assertEqual(ack.id, 4322)
        self.assertEqual(records(ack), [("hs.example.test.", 120, "A", "192.0.2.7")])
        self.assertEqual(llq_options(ack)[0][3], llq_id)
        # A retransmitted challenge response gets the ACK and answers again.
        again, _ = c.ask("hs.example.test", [option(SETUP, llq_id, lease)], msg_id=4323)
        self.assertEqual(records(again), records(ack))
        self.assertEqual(llq_options(again)[0][2], NO_ERROR)
        # A short lease is raised to the minimum.
        ch2, _ = c.ask("hs.example.test", [option(SETUP, 0, 1)])
        self.assertEqual(llq_options(ch2)[0][4], LEASE_MIN)

    def test_llq_on_the_main_dns_port(self):
        c = self.client(self.server.port)
        self.update("update add main.example.test 60 A 192.0.2.8")
        ch, addr = c.ask("main.example.test", [option(SETUP, 0, 300)])
        self.assertEqual(addr, ("127.0.0.1", self.server.port))
        self.assertEqual(ch.answer, [])  # a challenge, not the plain answer
        llq_id = llq_options(ch)[0][3]
        ack, _ = c.ask("main.example.test", [option(SETUP, llq_id, 300)])
        self.assertEqual(records(ack), [("main.example.test.", 60, "A", "192.0.2.8")])
        self.update("update delete main.example.test A 192.0.2.8")
        ev, addr = c.event()
        self.assertIsNotNone(ev)
        self.assertEqual(addr, ("127.0.0.1", self.server.port))
        c.ack(ev)

    def test_dig_ednsopt_llq_gets_a_challenge(self):
        # VERSION 1, SETUP, NO-ERROR, ID 0, lease 3600.
        hexopt = "0001" + "0001" + "0000" + "0" * 16 + "00000e10"
        r = harness.run(["dig", "@127.0.0.1", "-p", str(self.llq_port), "+norec", "+time=2",
                         "+tries=1", "+ednsopt=llq:" + hexopt, "ns1.example.test", "A"])
        self.assertEqual(r.returncode, 0, r.stderr)
        a = harness.Answer(r.stdout)
        self.assertEqual(a.status, "NOERROR")
        self.assertEqual(a.answer, [])
        self.assertIn("LLQ", r.stdout)

    def test_srv_discovery(self):
        a = self.server.dig("_dns-llq._udp.example.test", "SRV")
        self.assertEqual(a.rdatas("ANSWER", "SRV"), ["0 0 %d llq.example.test." % self.llq_port])
        a = self.server.dig("llq.example.test", "A")
        self.assertEqual(a.rdatas("ANSWER", "A"), ["127.0.0.1"])
        # Not for a zone with llq = false.
        a = self.server.dig("_dns-llq._udp.static.test", "SRV")
        self.assertEqual(a.answer, [])

    def test_plain_queries_on_the_llq_port_are_answered(self):
        c = self.client()
        q = dns.message.make_query("ns1.example.test", "A")
        c.sock.sendto(q.to_wire(), ("127.0.0.1", self.llq_port))
        m, _ = c.recv()
        self.assertIsNotNone(m)
        self.assertEqual(m.id, q.id)
        self.assertEqual(records(m), [("ns1.example.test.", 3600, "A", "127.0.0.1")])

    # Events ---------------------------------------------------------------------------------

    def test_events_add_with_ttl_remove_with_ffffffff_and_ack(self):
        c = self.client()
        llq_id, _, ack = c.setup("ev.example.test")
        self.assertEqual(ack.answer, [])  # no records yet
        self.update("update add ev.example.test 90 A 192.0.2.1")
        ev, addr = c.event()
        self.assertIsNotNone(ev, "no event")
        self.assertEqual(addr, ("127.0.0.1", self.llq_port))
        self.assertEqual(ev.question[0].name.to_text(), "ev.example.test.")
        (_, op, err, eid, _), = llq_options(ev)
        self.assertEqual((op, err, eid), (EVENT, NO_ERROR, llq_id))
        self.assertEqual(records(ev), [("ev.example.test.", 90, "A", "192.0.2.1")])
        self.assertEqual(wire_ttls(c.last_wire), [90])
        c.ack(ev)
        self.update("update delete ev.example.test A 192.0.2.1")
        ev2, _ = c.event()
        self.assertIsNotNone(ev2, "no removal event")
        self.assertEqual(wire_ttls(c.last_wire), [0xFFFFFFFF])  # removal: never TTL 0
        self.assertEqual([r[3] for r in records(ev2)], ["192.0.2.1"])
        c.ack(ev2, qr=False)  # acks with QR clear are accepted too
        self.assertEqual(c.event(1.5), (None, None))  # acknowledged: nothing resent

    def test_unacknowledged_event_is_resent_with_the_same_id(self):
        c = self.client()
        c.setup("rs.example.test")
        self.update("update add rs.example.test 60 A 192.0.2.2")
        first, _ = c.event()
        self.assertIsNotNone(first)
        t = time.monotonic()
        second, _ = c.event(3.0)
        self.assertIsNotNone(second, "not resent")
        self.assertGreaterEqual(time.monotonic() - t, 0.3)
        self.assertEqual(second.id, first.id)
        self.assertEqual(records(second), records(first))
        c.ack(second)
        self.assertEqual(c.event(2.0), (None, None))

    def test_several_questions_each_get_their_llq(self):
        c = self.client()
        msg_id = c.send("q1.example.test", [option(SETUP), option(SETUP)],
                        questions=[("q2.example.test", "TXT")])
        ch, _ = c.recv()
        self.assertEqual(ch.id, msg_id)
        opts = llq_options(ch)
        self.assertEqual(len(opts), 2)
        self.assertNotEqual(opts[0][3], opts[1][3])

    # Refresh and cancel -------------------------------------------------------------------

    def test_refresh_cancel_and_no_such_llq(self):
        c = self.client()
        llq_id, _, _ = c.setup("rf.example.test")
        r, _ = c.ask("rf.example.test", [option(REFRESH, llq_id, 300)], msg_id=777)
        self.assertEqual(r.id, 777)
        self.assertEqual(r.answer, [])
        self.assertEqual(llq_options(r)[0][1:], (REFRESH, NO_ERROR, llq_id, 300))
        r, _ = c.ask("rf.example.test", [option(REFRESH, llq_id, 99999)])
        self.assertEqual(llq_options(r)[0][4], LEASE_MAX)
        r, _ = c.ask("rf.example.test", [option(REFRESH, llq_id, 0)])  # cancel
        self.assertEqual(llq_options(r)[0][1:], (REFRESH, NO_ERROR, llq_id, 0))
        r, _ = c.ask("rf.example.test", [option(REFRESH, llq_id, 300)])
        self.assertEqual(llq_options(r)[0][2], NO_SUCH_LLQ)
        self.update("update add rf.example.test 60 A 192.0.2.3")
        self.assertEqual(c.event(1.0), (None, None))  # cancelled: no event

    # Errors -----------------------------------------------------------------------------------

    def test_bad_vers_format_err_static(self):
        c = self.client()
        r, _ = c.ask("ns1.example.test", [option(SETUP, version=2)])
        self.assertEqual(llq_options(r)[0][2], BAD_VERS)
        short = dns.edns.GenericOption(1, b"\x00\x01\x00\x01\x00")
        r, _ = c.ask("ns1.example.test", [short])
        self.assertEqual(r.rcode(), dns.rcode.FORMERR)
        self.assertEqual(llq_options(r)[0][2], FORMAT_ERR)
        r, _ = c.ask("ns1.example.test", [option(7)])
        self.assertEqual(llq_options(r)[0][2], FORMAT_ERR)
        r, _ = c.ask("www.static.test", [option(SETUP)])
        self.assertEqual(llq_options(r)[0][2], STATIC)
        r, _ = c.ask("ns1.example.test", [option(SETUP, 0x1234567890, 300)])  # a made-up ID
        self.assertEqual(llq_options(r)[0][2], NO_SUCH_LLQ)

    def test_setup_flood_from_one_address_is_limited_another_keeps_working(self):
        flood = self.client(source="127.0.0.2")
        established, full = 0, 0
        for i in range(PER_ADDRESS + 10):
            name = "flood%d.example.test" % i
            ch, _ = flood.ask(name, [option(SETUP)])
            (_, _, err, llq_id, lease), = llq_options(ch)
            if err == SERV_FULL:
                self.assertEqual(lease, 77)  # the retry time
                full += 1
                continue
            ack, _ = flood.ask(name, [option(SETUP, llq_id, lease)])
            err = llq_options(ack)[0][2]
            if err == NO_ERROR:
                established += 1
            else:
                self.assertEqual(err, SERV_FULL)
                full += 1
        self.assertEqual(established, PER_ADDRESS)
        self.assertEqual(full, 10)
        # From other source ports of the same address (spread over both workers by
        # SO_REUSEPORT): the limit is the address's, not a worker's.
        for port_try in range(8):
            c = self.client(source="127.0.0.2")
            ch, _ = c.ask("floodport%d.example.test" % port_try, [option(SETUP)])
            self.assertEqual(llq_options(ch)[0][2], SERV_FULL, "source port %d" % port_try)
        other = self.client(source="127.0.0.3")
        llq_id, _, _ = other.setup("flood0.example.test")
        self.assertNotEqual(llq_id, 0)


if __name__ == "__main__":
    unittest.main()
