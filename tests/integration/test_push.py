#!/usr/bin/python3
"""DNS Push Notifications (RFC 8765) over DSO (RFC 8490) against the real dnspushd over TLS:
a hand-built DSO client (dso_client.py) subscribes, nsupdate changes the zone, and the
client must receive exactly the expected PUSH messages: adds, single deletes, RRset and
whole-name deletes, coalescing across subscriptions, ANY subscriptions, TTL changes, and a
change that needs splitting. Hostile clients (duplicate SUBSCRIBE, PUSH from a client,
malformed TLVs, unknown TLVs, cleartext on the TLS port, 10,000 SUBSCRIBEs) are handled as
the RFCs say while another session keeps receiving its pushes."""

import os
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dso_client as dc  # noqa: E402
import harness  # noqa: E402
import update_helpers as uh  # noqa: E402

import dns.rdatatype  # noqa: E402

A, TXT, ANY = dns.rdatatype.A, dns.rdatatype.TXT, dns.rdatatype.ANY
DSOTYPENI, REFUSED, NOTAUTH, FORMERR, NOTIMP = 11, 5, 9, 1, 4


def texts(records):
    return [r.text() for r in records]


@unittest.skipUnless(uh.have_tools("nsupdate"), "needs nsupdate (bind9-dnsutils)")
class PushTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = uh.UpdateServer(
            tls=True,
            extra="[push]\nmax-subscriptions-per-session = 4096\nsubscribe-burst = 20000\n"
                  "subscribe-rate = 0\nmax-message = 2048\n").start()
        cls.watcher = dc.DsoClient(cls.server.tls_port)
        i, r = cls.watcher.subscribe("watch.example.test", "A")
        assert r["rcode"] == 0, r
        cls.watch_n = 0

    @classmethod
    def tearDownClass(cls):
        cls.watcher.close()
        rc = cls.server.stop()
        if rc != 0:
            raise AssertionError("dnspushd exited with %s:\n%s" % (rc, cls.server.log()[-4000:]))

    def update(self, *commands):
        rc, r = uh.nsupdate(self.server.port, list(commands), tcp=True)
        self.assertEqual(rc, "NOERROR", r.stderr)

    def client(self, **kw):
        c = dc.DsoClient(self.server.tls_port, **kw)
        self.addCleanup(c.close)
        return c

    def assert_watcher_still_served(self):
        """Another session keeps receiving its pushes (each hostile case must not disturb it)."""
        type(self).watch_n += 1
        addr = "192.0.2.%d" % (type(self).watch_n % 250 + 1)
        self.update("update add watch.example.test 60 A %s" % addr)
        got = texts(self.watcher.pushes(3.0, until=lambda rs: rs))
        self.assertIn("watch.example.test. A IN +60 %s" % addr, got)

    # Changes ------------------------------------------------------------------------------

    def test_add_single_delete_and_rrset_delete(self):
        c = self.client()
        _, r = c.subscribe("p1.example.test", "A")
        self.assertEqual(r["rcode"], 0)
        self.assertEqual(r["tlvs"], [])  # RFC 8765 §6.2.2: the response has no TLV
        self.assertEqual(c.pushes(0.3), [])  # the name does not exist yet: no initial PUSH
        self.update("update add p1.example.test 120 A 192.0.2.1",
                    "update add p1.example.test 120 A 192.0.2.2")
        self.assertEqual(sorted(texts(c.pushes(2.0, until=lambda rs: len(rs) >= 2))),
                         ["p1.example.test. A IN +120 192.0.2.1",
                          "p1.example.test. A IN +120 192.0.2.2"])
        self.update("update delete p1.example.test A 192.0.2.1")
        self.assertEqual(texts(c.pushes(2.0, until=lambda rs: rs)),
                         ["p1.example.test. A IN -192.0.2.1"])
        self.update("update delete p1.example.test A")
        # The whole RRset goes: one collective delete (RFC 8765 §6.3.1, TTL 0xFFFFFFFE).
        self.assertEqual(texts(c.pushes(2.0, until=lambda rs: rs)), ["p1.example.test. A IN -*"])

    def test_initial_push_carries_the_current_records(self):
        self.update("update add p2.example.test 300 TXT \"one\"",
                    "update add p2.example.test 300 TXT \"two\"")
        c = self.client()
        _, r = c.subscribe("p2.example.test", "TXT")
        self.assertEqual(r["rcode"], 0)
        self.assertEqual(sorted(texts(c.pushes(2.0, until=lambda rs: len(rs) >= 2))),
                         ['p2.example.test. TXT IN +300 "one"', 'p2.example.test. TXT IN +300 "two"'])

    def test_any_subscription_and_whole_name_delete(self):
        self.update("update add p3.example.test 60 A 192.0.2.3",
                    "update add p3.example.test 60 TXT \"x\"")
        c = self.client()
        _, r = c.subscribe("p3.example.test", ANY)
        self.assertEqual(r["rcode"], 0)
        self.assertEqual(len(c.pushes(2.0, until=lambda rs: len(rs) >= 2)), 2)
        self.update("update delete p3.example.test")
        got = c.pushes(2.0, until=lambda rs: rs)
        # Everything at the name went: one CLASS ANY collective delete.
        self.assertEqual(len(got), 1)
        self.assertEqual((got[0].rclass, got[0].ttl), (255, dc.TTL_DELETE_ALL))

    def test_a_record_matching_two_subscriptions_is_sent_once(self):
        c = self.client()
        _, r1 = c.subscribe("p4.example.test", "A")
        _, r2 = c.subscribe("p4.example.test", ANY)
        self.assertEqual((r1["rcode"], r2["rcode"]), (0, 0))
        self.update("update add p4.example.test 60 A 192.0.2.4")
        msgs = []
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            m = c.recv(0.5)
            if m is None:
                break
            d = dc.parse_dso(m)
            if d["tlvs"] and d["tlvs"][0][0] == dc.PUSH:
                msgs.append(dc.parse_push(m))
        self.assertEqual([texts(m) for m in msgs], [["p4.example.test. A IN +60 192.0.2.4"]])

    def test_ttl_change_is_pushed_as_an_add(self):
        self.update("update add p5.example.test 60 A 192.0.2.5")
        c = self.client()
        c.subscribe("p5.example.test", "A")
        c.pushes(1.0, until=lambda rs: rs)
        self.update("update add p5.example.test 999 A 192.0.2.5")
        self.assertEqual(texts(c.pushes(2.0, until=lambda rs: rs)),
                         ["p5.example.test. A IN +999 192.0.2.5"])

    def test_a_change_that_needs_splitting(self):
        c = self.client()
        c.subscribe("p6.example.test", "TXT")
        adds = ["update add p6.example.test 60 TXT \"%s-%03d\"" % ("y" * 100, i) for i in range(120)]
        self.update(*adds)
        sizes, records = [], []
        deadline = time.monotonic() + 5
        while len(records) < 120 and time.monotonic() < deadline:
            m = c.recv(1.0)
            if m is None:
                continue
            if dc.parse_dso(m)["tlvs"][0][0] != dc.PUSH:
                continue
            sizes.append(len(m))
            records.extend(dc.parse_push(m))
        self.assertEqual(len(records), 120)
        self.assertGreater(len(sizes), 5)  # 120 x ~130 bytes over max-message = 2048
        self.assertTrue(all(s <= 2048 for s in sizes), sizes)

    def test_two_sessions_with_the_same_subscription_get_the_same_bytes(self):
        a, b = self.client(), self.client()
        a.subscribe("p7.example.test", "A")
        b.subscribe("p7.example.test", "A")
        self.update("update add p7.example.test 60 A 192.0.2.7")
        ma, mb = a.recv(2.0), b.recv(2.0)
        while ma is not None and dc.parse_dso(ma)["tlvs"][0][0] != dc.PUSH:
            ma = a.recv(2.0)
        while mb is not None and dc.parse_dso(mb)["tlvs"][0][0] != dc.PUSH:
            mb = b.recv(2.0)
        self.assertIsNotNone(ma)
        self.assertEqual(ma, mb)

    def test_unsubscribe_stops_pushes_in_both_forms(self):
        c = self.client()
        i, _ = c.subscribe("p8.example.test", "A")
        j, _ = c.subscribe("p8b.example.test", "A")
        c.unsubscribe(i)  # RFC 8765 §6.4: the SUBSCRIBE's MESSAGE ID
        # Apple's draft form: NAME TYPE CLASS (spec/README.md).
        c.send(dc.dso_message(0, [dc.tlv(dc.UNSUBSCRIBE, dc.subscribe_data("p8b.example.test", "A"))]))
        time.sleep(0.2)
        self.update("update add p8.example.test 60 A 192.0.2.8",
                    "update add p8b.example.test 60 A 192.0.2.9")
        self.assertEqual(c.pushes(1.0), [])

    def test_names_outside_our_zones_are_notauth(self):
        c = self.client()
        _, r = c.subscribe("www.example.org", "A")
        self.assertEqual(r["rcode"], NOTAUTH)

    def test_keepalive_gets_the_servers_values(self):
        c = self.client()
        r = c.keepalive(5000, 20000)
        self.assertEqual(r["rcode"], 0)
        ka = [d for t, d, _ in r["tlvs"] if t == dc.KEEPALIVE]
        self.assertEqual(len(ka), 1)
        inactivity, interval = struct.unpack("!II", ka[0])
        self.assertEqual((inactivity, interval), (15000, 3600000))  # the server's win (§7.1)

    def test_a_client_that_starts_with_subscribe_is_told_a_long_keepalive(self):
        # Apple's client never sends Keepalive: after the session exists the server tells
        # it the long interval in a unidirectional Keepalive (RFC 8490 §7.1).
        c = self.client()
        c.subscribe("p9.example.test", "A")
        ka = None
        deadline = time.monotonic() + 2
        while ka is None and time.monotonic() < deadline:
            m = c.recv(0.5)
            if m is None:
                continue
            d = dc.parse_dso(m)
            if not d["qr"] and d["id"] == 0 and d["tlvs"] and d["tlvs"][0][0] == dc.KEEPALIVE:
                ka = struct.unpack("!II", d["tlvs"][0][1])
        self.assertEqual(ka, (15000, 3600000))

    def test_padded_client_gets_padded_responses_and_pushes(self):
        c = self.client(pad=True)
        _, r = c.subscribe("p10.example.test", "A")
        self.assertEqual(r["rcode"], 0)
        self.assertTrue(any(t == dc.PADDING for t, _, _ in r["tlvs"]))
        self.update("update add p10.example.test 60 A 192.0.2.10")
        m = None
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            m = c.recv(0.5)
            if m is not None and dc.parse_dso(m)["tlvs"][0][0] == dc.PUSH:
                break
        self.assertIsNotNone(m)
        self.assertEqual(len(m) % 468, 0)  # RFC 8467 §4.1 block policy
        self.assertEqual(texts(dc.parse_push(m)), ["p10.example.test. A IN +60 192.0.2.10"])

    # Hostile clients ----------------------------------------------------------------------

    def test_duplicate_subscribe_aborts_that_session_only(self):
        c = self.client()
        c.subscribe("h1.example.test", "A")
        c.request([dc.tlv(dc.SUBSCRIBE, dc.subscribe_data("h1.example.test", "A"))])
        self.assertTrue(c.closed_within(2.0))
        self.assert_watcher_still_served()

    def test_push_from_a_client_aborts(self):
        c = self.client()
        c.subscribe("h2.example.test", "A")
        c.send(dc.dso_message(0, [dc.tlv(dc.PUSH, b"")]))
        self.assertTrue(c.closed_within(2.0))
        self.assert_watcher_still_served()

    def test_truncated_tlv_aborts(self):
        c = self.client()
        c.subscribe("h3.example.test", "A")
        # A TLV whose length runs past the end of the message (RFC 8490 §5.4.4).
        c.send(dc.dso_message(7, [struct.pack("!HH", dc.SUBSCRIBE, 200) + b"\x00\x00\x01\x00\x01"]))
        self.assertTrue(c.closed_within(2.0))
        self.assert_watcher_still_served()

    def test_length_prefix_larger_than_what_follows_is_closed_in_time(self):
        c = self.client()
        c.subscribe("h4.example.test", "A")
        c.send_raw(struct.pack("!H", 65535) + b"\x00" * 100)  # then nothing more
        self.assertTrue(c.closed_within(8.0))  # tcp-message-timeout-ms (5 s by default)
        self.assert_watcher_still_served()

    def test_unknown_tlv_request_gets_dsotypeni_and_unidirectional_aborts(self):
        c = self.client()
        c.subscribe("h5.example.test", "A")
        i = c.request([dc.tlv(0xF0F0, b"abc")])
        r = c.response(i)
        self.assertEqual(r["rcode"], DSOTYPENI)
        self.assertEqual(r["tlvs"], [])
        c.send(dc.dso_message(0, [dc.tlv(0xF0F0, b"abc")]))
        self.assertTrue(c.closed_within(2.0))
        self.assert_watcher_still_served()

    def test_malformed_subscribe_is_formerr_or_abort(self):
        c = self.client()
        # A SUBSCRIBE with trailing bytes after CLASS: the TLV does not parse.
        i = c.request([dc.tlv(dc.SUBSCRIBE, dc.subscribe_data("h6.example.test", "A") + b"zz")])
        try:
            r = c.response(i, timeout=2.0)
            self.assertEqual(r["rcode"], FORMERR)
        except EOFError:
            pass  # aborting is allowed too (RFC 8765 §6.2.1)
        self.assert_watcher_still_served()

    def test_dso_before_the_tls_handshake_is_not_answered(self):
        import socket
        s = socket.create_connection(("127.0.0.1", self.server.tls_port), timeout=3)
        msg = dc.dso_message(1, [dc.tlv(dc.SUBSCRIBE, dc.subscribe_data("h7.example.test", "A"))])
        s.sendall(struct.pack("!H", len(msg)) + msg)
        s.settimeout(3)
        try:
            data = s.recv(4096)
        except (ConnectionResetError, OSError):
            data = b""
        s.close()
        # Whatever comes back is a TLS alert at most, never a DNS answer.
        self.assertFalse(data[2:3] == msg[0:1] and len(data) > 12 and data[4] & 0x78 == 0x30)
        self.assert_watcher_still_served()

    def test_ten_thousand_subscriptions_from_one_session(self):
        c = self.client()
        n = 10000
        first = c.next_id
        batch = b""
        for k in range(n):
            m = dc.dso_message(first + k, [dc.tlv(dc.SUBSCRIBE, dc.subscribe_data(
                "s%d.bulk.example.test" % k, "A"))])
            batch += struct.pack("!H", len(m)) + m
        c.send_raw(batch)
        rcodes = {}
        delays = 0
        deadline = time.monotonic() + 20
        while len(rcodes) < n and time.monotonic() < deadline:
            m = c.recv(2.0)
            if m is None:
                continue
            d = dc.parse_dso(m)
            if d["qr"]:
                rcodes[d["id"]] = d["rcode"]
                if any(t == dc.RETRY_DELAY for t, _, _ in d["tlvs"]):
                    delays += 1
        self.assertEqual(len(rcodes), n)
        accepted = sum(1 for v in rcodes.values() if v == 0)
        refused = sum(1 for v in rcodes.values() if v == REFUSED)
        self.assertEqual(accepted, 4096)  # max-subscriptions-per-session
        self.assertEqual(refused, n - 4096)
        self.assertEqual(delays, refused)  # each REFUSED carries a Retry Delay (§6.2.2)
        # The session still works, and so do the others.
        self.update("update add s5.bulk.example.test 60 A 192.0.2.55")
        self.assertIn("s5.bulk.example.test. A IN +60 192.0.2.55",
                      texts(c.pushes(3.0, until=lambda rs: rs)))
        self.assert_watcher_still_served()

    # Discovery ------------------------------------------------------------------------------

    def test_discovery_srv_points_at_the_tls_listener(self):
        a = self.server.dig("_dns-push-tls._tcp.example.test", "SRV")
        self.assertEqual(a.status, "NOERROR")
        self.assertEqual(a.rdatas("ANSWER", "SRV"),
                         ["0 0 %d push.example.test." % self.server.tls_port])
        self.assertEqual(a.rdatas("ADDITIONAL", "A"), ["127.0.0.1"])
        self.assertEqual(self.server.dig("push.example.test", "A").rdatas("ANSWER", "A"),
                         ["127.0.0.1"])


class PushServerLifeTest(unittest.TestCase):
    """Servers of their own: limits, DSO on plain TCP, Retry Delay on shutdown."""

    def start(self, extra, tls=True):
        s = uh.UpdateServer(tls=tls, extra=extra).start()
        self.addCleanup(s.cleanup)
        return s

    def test_sigterm_sends_retry_delay_then_closes(self):
        s = self.start("[push]\nshutdown-retry-delay-ms = 7000\n")
        c = dc.DsoClient(s.tls_port)
        self.addCleanup(c.close)
        _, r = c.subscribe("www.example.test", "A")
        self.assertEqual(r["rcode"], 0)
        import signal
        os.kill(s.proc.pid, signal.SIGTERM)
        delay = None
        deadline = time.monotonic() + 5
        try:
            while delay is None and time.monotonic() < deadline:
                m = c.recv(1.0)
                if m is None:
                    continue
                d = dc.parse_dso(m)
                if not d["qr"] and d["tlvs"] and d["tlvs"][0][0] == dc.RETRY_DELAY:
                    delay = struct.unpack("!I", d["tlvs"][0][1])[0]
        except EOFError:
            pass
        self.assertEqual(delay, 7000)
        self.assertEqual(s.proc.wait(timeout=10), 0)

    def test_dso_on_plain_tcp_only_when_allowed(self):
        s = self.start("", tls=True)
        c = dc.DsoClient(s.port, use_tls=False)
        self.addCleanup(c.close)
        _, r = c.subscribe("www.example.test", "A")
        self.assertEqual(r["rcode"], NOTIMP)  # RFC 8490 §5.1.1: DSO not offered here
        s2 = self.start("[push]\ndso-on-tcp = true\n", tls=False)
        c2 = dc.DsoClient(s2.port, use_tls=False)
        self.addCleanup(c2.close)
        _, r2 = c2.subscribe("www.example.test", "A")
        self.assertEqual(r2["rcode"], 0)

    def test_sessions_per_address_limit_refuses_with_retry_delay(self):
        s = self.start("[push]\nmax-sessions-per-address = 1\n")
        a = dc.DsoClient(s.tls_port)
        self.addCleanup(a.close)
        _, r = a.subscribe("www.example.test", "A")
        self.assertEqual(r["rcode"], 0)
        b = dc.DsoClient(s.tls_port)
        self.addCleanup(b.close)
        _, r = b.subscribe("www.example.test", "A")
        self.assertEqual(r["rcode"], REFUSED)
        self.assertTrue(any(t == dc.RETRY_DELAY for t, _, _ in r["tlvs"]))
        a.close()
        time.sleep(0.3)
        c = dc.DsoClient(s.tls_port)
        self.addCleanup(c.close)
        _, r = c.subscribe("www.example.test", "A")
        self.assertEqual(r["rcode"], 0)  # the slot came back when the first session ended

    def test_subscribe_rate_limit(self):
        s = self.start("[push]\nsubscribe-burst = 5\nsubscribe-rate = 1\n")
        c = dc.DsoClient(s.tls_port)
        self.addCleanup(c.close)
        got = [c.subscribe("r%d.example.test" % i, "A")[1] for i in range(8)]
        self.assertEqual([g["rcode"] for g in got], [0] * 5 + [REFUSED] * 3)
        self.assertTrue(all(any(t == dc.RETRY_DELAY for t, _, _ in g["tlvs"]) for g in got[5:]))


class PushTlsTest(unittest.TestCase):
    """TLS as the DNS Push seed (§7) asks: resumption by stateless tickets (a resumed session
    starts with no subscriptions), no compression, SNI choosing among certificates."""

    def make_cert(self, d, name):
        cert, key = os.path.join(d, name + ".pem"), os.path.join(d, name + ".key")
        r = harness.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                         "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=" + name,
                         "-addext", "subjectAltName=DNS:" + name, "-keyout", key, "-out", cert],
                        timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        return cert, key

    def test_resumed_session_has_no_subscriptions_and_no_compression(self):
        import ssl
        s = uh.UpdateServer(tls=True).start()
        self.addCleanup(s.cleanup)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        import socket
        raw = socket.create_connection(("127.0.0.1", s.tls_port), timeout=5)
        first = ctx.wrap_socket(raw)
        self.assertIsNone(first.compression())
        c1 = dc.DsoClient.__new__(dc.DsoClient)
        c1.sock, c1.timeout, c1.pad, c1.buf, c1.next_id, c1.pending = first, 5.0, False, b"", 1, []
        _, r = c1.subscribe("t1.example.test", "A")  # reading also collects the TLS ticket
        self.assertEqual(r["rcode"], 0)
        session = first.session
        first.close()
        raw2 = socket.create_connection(("127.0.0.1", s.tls_port), timeout=5)
        second = ctx.wrap_socket(raw2, session=session)
        self.assertTrue(second.session_reused)
        c2 = dc.DsoClient.__new__(dc.DsoClient)
        c2.sock, c2.timeout, c2.pad, c2.buf, c2.next_id, c2.pending = second, 5.0, False, b"", 1, []
        self.addCleanup(c2.close)
        rc, out = uh.nsupdate(s.port, ["update add t1.example.test 60 A 192.0.2.71"])
        self.assertEqual(rc, "NOERROR")
        self.assertEqual(c2.pushes(1.0), [])
        _, r = c2.subscribe("t1.example.test", "A")  # and it may subscribe afresh
        self.assertEqual(r["rcode"], 0)

    def test_sni_chooses_the_certificate(self):
        import socket
        import ssl
        import tempfile
        d = tempfile.mkdtemp(prefix="dnspush-sni-")
        self.addCleanup(lambda: __import__("shutil").rmtree(d, ignore_errors=True))
        a_cert, a_key = self.make_cert(d, "a.example.test")
        b_cert, b_key = self.make_cert(d, "b.example.test")
        s = uh.UpdateServer(tls=True, extra='[tls]\ncertificate = "%s"\nkey = "%s"\n'
                            'sni = [ { certificate = "%s", key = "%s" } ]\n'
                            % (a_cert, a_key, b_cert, b_key)).start()
        self.addCleanup(s.cleanup)

        def served(name):
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            with socket.create_connection(("127.0.0.1", s.tls_port), timeout=5) as raw:
                with ctx.wrap_socket(raw, server_hostname=name) as t:
                    return ssl.DER_cert_to_PEM_cert(t.getpeercert(binary_form=True))

        def pem(path):
            with open(path) as f:
                return ssl.DER_cert_to_PEM_cert(ssl.PEM_cert_to_DER_cert(f.read()))

        self.assertEqual(served("b.example.test"), pem(b_cert))
        self.assertEqual(served("a.example.test"), pem(a_cert))
        self.assertEqual(served("other.example.test"), pem(a_cert))  # the default


if __name__ == "__main__":
    harness.main()
