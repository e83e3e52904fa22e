#!/usr/bin/python3
"""PUSH output that the socket cannot take at once, against the real dnspushd over TLS.

A fan-out hands each slice's sends to the kernel together (io/send_batch.hpp: io_uring, one
system call for many sessions) and reports them written before the kernel has seen them.
When a subscriber's socket is full, the part it did not take must still reach that
subscriber whole, in order and exactly once, ahead of everything sealed after it (TLS
records carry sequence numbers: one byte lost, repeated or reordered and the client's TLS
fails); when a subscriber has gone, its session ends and no other is disturbed. Each case
runs with batching (send-batch = 64, the default) and without it (send-batch = 0: one send(2) each)."""

import os
import re
import socket
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dso_client as dc  # noqa: E402
import update_helpers as uh  # noqa: E402

import dns.query  # noqa: E402
import dns.update  # noqa: E402

# ~700 KB for the late subscriber, against a server socket of 16 KB ([limits]
# tcp-send-buffer, doubled by the kernel) and a client socket of 4 KB: the first commit's
# sends already come back short, the later ones EAGAIN.
COMMITS = 12
PER_COMMIT = 200  # TXT records of ~250 bytes: ~58 KB of PUSH per commit
SEQ = re.compile(r'"c(\d+)-r(\d+)-')


def seqs(records):
    out = []
    for r in records:
        m = SEQ.search(r.text())
        if m and " +" in r.text():
            out.append((int(m.group(1)), int(m.group(2))))
    return out


class LateReader:
    @classmethod
    def setUpClass(cls):
        cls.server = uh.UpdateServer(
            tls=True,
            extra="[limits]\nmax-pending-bytes = 8388608\ntcp-send-buffer = 16384\n"
                  "send-batch = %d\n" % cls.SEND_BATCH
        ).start()

    @classmethod
    def tearDownClass(cls):
        rc = cls.server.stop()
        if rc != 0:
            raise AssertionError("dnspushd exited with %s:\n%s" % (rc, cls.server.log()[-4000:]))

    def client(self, **kw):
        c = dc.DsoClient(self.server.tls_port, timeout=10.0, **kw)
        self.addCleanup(c.close)
        return c

    def update(self, *commands):
        rc, r = uh.nsupdate(self.server.port, list(commands), tcp=True)
        self.assertEqual(rc, "NOERROR", r.stderr)

    def add_texts(self, name, texts):
        """One signed UPDATE over TCP adding TXT records (dnspython: quicker than nsupdate
        for the many large commits here)."""
        u = dns.update.UpdateMessage("example.test", keyring=uh.keyring(),
                                     keyalgorithm=uh.KEY_ALGORITHM)
        for t in texts:
            u.add(name + ".", 60, "TXT", '"%s"' % t)
        r = dns.query.tcp(u, "127.0.0.1", port=self.server.port, timeout=10)
        self.assertEqual(r.rcode(), 0)

    def test_a_subscriber_that_reads_late_gets_every_push_whole_in_order_once(self):
        name = "late%d.example.test" % self.SEND_BATCH
        late = self.client(rcvbuf=4096)
        keen = self.client()
        for c in (late, keen):
            _, r = c.subscribe(name, "TXT")
            self.assertEqual(r["rcode"], 0, r)
        want = []
        for i in range(COMMITS):
            texts = []
            for j in range(PER_COMMIT):
                texts.append("c%02d-r%03d-%s" % (i, j, "z" * 240))
                want.append((i, j))
            self.add_texts(name, texts)
            # The keen subscriber is served while the late one's output waits.
            got = seqs(keen.pushes(10.0, until=lambda rs: len(seqs(rs)) >= PER_COMMIT))
            self.assertEqual(got, want[-PER_COMMIT:], "commit %d to the keen subscriber" % i)
        # Everything owed to the late subscriber (far beyond what its socket and the
        # server's hold) arrives now that it reads: TLS intact, each record once, in order.
        got = []
        deadline = time.monotonic() + 60
        while len(got) < len(want) and time.monotonic() < deadline:
            m = late.recv(5.0)
            if m is None:
                break
            if dc.parse_dso(m)["tlvs"][0][0] == dc.PUSH:
                got.extend(seqs(dc.parse_push(m)))
        self.assertEqual(len(got), len(want))
        self.assertEqual(got, want)
        # The session is still open and served.
        self.update('update add %s 60 TXT "after"' % name)
        after = late.pushes(10.0, until=lambda rs: any('"after"' in r.text() for r in rs))
        self.assertTrue(any('"after"' in r.text() for r in after))

    def test_a_subscriber_that_vanished_ends_its_session_only(self):
        name = "gone%d.example.test" % self.SEND_BATCH
        keen = self.client()
        _, r = keen.subscribe(name, "TXT")
        self.assertEqual(r["rcode"], 0, r)
        gone = []
        for _ in range(20):
            c = dc.DsoClient(self.server.tls_port)
            _, r = c.subscribe(name, "TXT")
            self.assertEqual(r["rcode"], 0, r)
            gone.append(c)
        for c in gone:
            # An abortive close (RST): the server's next send to it fails.
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            c.close()
        for k in range(3):
            self.update('update add %s 60 TXT "after-%d"' % (name, k))
            text = '"after-%d"' % k
            got = keen.pushes(10.0, until=lambda rs: any(text in r.text() for r in rs))
            self.assertTrue(any(text in r.text() for r in got), k)
        self.assertTrue(self.server.alive())


@unittest.skipUnless(uh.have_tools("nsupdate"), "needs nsupdate (bind9-dnsutils)")
class LateReaderBatched(LateReader, unittest.TestCase):
    SEND_BATCH = 64


@unittest.skipUnless(uh.have_tools("nsupdate"), "needs nsupdate (bind9-dnsutils)")
class LateReaderUnbatched(LateReader, unittest.TestCase):
    SEND_BATCH = 0


if __name__ == "__main__":
    unittest.main()
