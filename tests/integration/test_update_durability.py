#!/usr/bin/python3
"""Durability of committed UPDATEs (RFC 2136 §3.6, §3.7: an UPDATE is answered NOERROR only
once it is committed): several clients send a stream of TSIG-signed UPDATEs with dnspython,
dnspushd is killed with SIGKILL while UPDATEs are in flight, and after a restart on the same
state directory every UPDATE that had been answered NOERROR is there, nothing is there that
was never sent, and the SOA serial equals the initial serial plus the number of UPDATEs
that landed (each adds exactly one new name, so each committed UPDATE is one serial step)."""

import os
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import update_helpers as uh  # noqa: E402

import dns.exception  # noqa: E402
import dns.query  # noqa: E402
import dns.rcode  # noqa: E402
import dns.tsig  # noqa: E402
import dns.update  # noqa: E402
import dns.zone  # noqa: E402

CLIENTS = 4
KILL_AFTER = 100  # answered UPDATEs before the SIGKILL
MAX_PER_CLIENT = 400  # bound on UPDATEs per client per round
ROUND_TIMEOUT = 25.0  # bound on one round (seconds)


def zone_names(port):
    """Owner names (relative text) in the zone transferred by AXFR from 127.0.0.1:port."""
    z = dns.zone.from_xfr(dns.query.xfr("127.0.0.1", harness.ORIGIN, port=port, timeout=5,
                                        lifetime=15))
    return {n.to_text() for n in z.nodes.keys()}


class Round:
    """One stream of UPDATEs from CLIENTS threads, SIGKILL after KILL_AFTER answers."""

    def __init__(self, server, tag, tcp):
        self.server = server
        self.tag = tag
        self.tcp = tcp
        self.lock = threading.Lock()
        self.acked = set()  # names whose UPDATE was answered NOERROR
        self.sent = set()  # names whose UPDATE was sent (answered or not)
        self.other_rcodes = []  # (name, rcode) of UPDATEs answered with an error
        self.unanswered = []  # (name, exception) of UPDATEs without an answer
        self.killed = threading.Event()
        self.enough = threading.Event()
        self.in_flight_at_kill = 0
        self.in_flight = 0

    def client(self, c):
        ring = uh.keyring()
        q = dns.query.tcp if self.tcp else dns.query.udp
        for i in range(MAX_PER_CLIENT):
            if self.killed.is_set():
                return
            name = "%s-%d-%d" % (self.tag, c, i)
            u = dns.update.Update(harness.ORIGIN, keyring=ring, keyname=uh.KEY_NAME,
                                  keyalgorithm=dns.tsig.HMAC_SHA256)
            u.add(name, 300, "A", "10.%d.%d.%d" % (c, i // 256, i % 256))
            with self.lock:
                self.sent.add(name)
                self.in_flight += 1
            try:
                r = q(u, "127.0.0.1", port=self.server.port, timeout=3)
            except (OSError, EOFError, dns.exception.DNSException) as e:
                with self.lock:
                    self.in_flight -= 1
                    self.unanswered.append((name, repr(e)))
                return  # the server is gone (or the answer is lost): stop this client
            with self.lock:
                self.in_flight -= 1
                if r.rcode() == dns.rcode.NOERROR:
                    self.acked.add(name)
                    if len(self.acked) >= KILL_AFTER:
                        self.enough.set()
                else:
                    self.other_rcodes.append((name, dns.rcode.to_text(r.rcode())))

    def run(self):
        threads = [threading.Thread(target=self.client, args=(c,), daemon=True)
                   for c in range(CLIENTS)]
        for t in threads:
            t.start()
        got = self.enough.wait(ROUND_TIMEOUT)
        # SIGKILL from this thread while the clients keep sending.
        with self.lock:
            self.in_flight_at_kill = self.in_flight
        self.server.kill()
        self.killed.set()
        for t in threads:
            t.join(ROUND_TIMEOUT)
        alive = [t for t in threads if t.is_alive()]
        return got, alive


class DurabilityTest(unittest.TestCase):
    def check_after_restart(self, server, s0, rounds):
        server.start()
        serial = uh.soa_serial(server.port)
        names = zone_names(server.port)
        landed = 0
        for rd in rounds:
            mine = {n for n in names if n.startswith(rd.tag + "-")}
            lost = rd.acked - mine
            self.assertEqual(lost, set(), "answered NOERROR but lost after SIGKILL (round %s)"
                             % rd.tag)
            self.assertLessEqual(mine, rd.sent, "names never sent appeared (round %s)" % rd.tag)
            landed += len(mine)
        self.assertEqual(serial, s0 + landed,
                         "serial %d != initial %d + %d committed UPDATEs"
                         % (serial, s0, landed))
        return landed

    def test_sigkill_during_update_stream(self):
        server = uh.UpdateServer(workers=2)
        try:
            server.start()
            s0 = uh.soa_serial(server.port)
            self.assertIsNotNone(s0)
            rounds = []
            for tag, tcp in (("tcp", True), ("udp", False)):
                rd = Round(server, tag, tcp)
                got, alive = rd.run()
                self.assertTrue(got, "only %d UPDATEs answered in %.0f s"
                                % (len(rd.acked), ROUND_TIMEOUT))
                self.assertEqual(alive, [], "client threads still running after the kill")
                self.assertEqual(rd.other_rcodes, [])
                self.assertGreaterEqual(len(rd.acked), KILL_AFTER)
                rounds.append(rd)
                sys.stderr.write(
                    "\n  round %s: %d sent, %d answered NOERROR, %d in flight at SIGKILL, "
                    "%d unanswered\n" % (tag, len(rd.sent), len(rd.acked),
                                         rd.in_flight_at_kill, len(rd.unanswered)))
                # Restart on the same state dir after each crash (the second round thus
                # also tests recovery from a journal that was itself replayed once).
                landed = self.check_after_restart(server, s0, rounds)
                sys.stderr.write("  after restart: %d UPDATEs committed in total, serial %d\n"
                                 % (landed, s0 + landed))
                self.assertRegex(server.log(), r"journal changesets replayed")

            # The recovered server still takes UPDATEs, and a clean stop keeps them too.
            s1 = uh.soa_serial(server.port)
            rcode, r = uh.nsupdate(server.port, ["update add after-crash.example.test 300 A "
                                                 "192.0.2.250"])
            self.assertEqual(rcode, "NOERROR", r.stderr)
            self.assertEqual(server.stop(), 0)
            server.start()
            self.assertEqual(uh.soa_serial(server.port), s1 + 1)
            a = server.dig("after-crash.example.test", "A")
            self.assertEqual(a.rdatas("ANSWER", "A", "after-crash.example.test"),
                             ["192.0.2.250"])
        except BaseException:
            sys.stderr.write("\n===== dnspushd logs =====\n%s\n" % server.all_logs()[-8000:])
            raise
        finally:
            server.stop()


if __name__ == "__main__":
    harness.main()
