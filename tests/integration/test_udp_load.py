#!/usr/bin/python3
"""bench/udp_load, the UDP load generator of bench/run_dnsperf.sh (GEN=udp_load): its
counts must be right, or the benchmark's figures are wrong. Against the real dnspushd the
response codes follow the query file exactly and nothing is lost; against a port where
nothing listens, or a server that drops everything, every query is counted lost and the
run still ends on time; answers to another question, or duplicated, are not counted as
completed; and the queries themselves carry what dnsperf -e sends.

udp_load is built with everything else (it needs no Google Benchmark), so these tests run
in every build."""

import os
import re
import socket
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

import dns.flags  # noqa: E402
import dns.message  # noqa: E402
import dns.rdatatype  # noqa: E402

UDP_LOAD = os.path.join(harness.BIN, "udp_load")


def setUpModule():
    if not os.access(UDP_LOAD, os.X_OK):
        raise RuntimeError("%s not found: build first, or set DNSPUSH_BIN" % UDP_LOAD)

# Each line with the RCODE dnspushd gives it for examples/example.test.zone.
MIXED = [
    ("www.example.test A", "NOERROR"),
    ("nosuch.example.test A", "NXDOMAIN"),
    (r"Office\032Printer._ipp._tcp.example.test SRV", "NOERROR"),  # RFC 1035 §5.1 \DDD
    ("example.test SOA", "NOERROR"),
    ("missing.example.test AAAA", "NXDOMAIN"),
    ("WWW.Example.TEST aaaa", "NOERROR"),  # the answer's question may differ in case
    ("host1.wild.example.test A", "NOERROR"),
]


def parse_report(text):
    """The figures of udp_load's "Statistics:" block, as a dict."""
    out = {}
    for key, label in [("sent", "Queries sent"), ("completed", "Queries completed"),
                       ("lost", "Queries lost"), ("mismatched", "Queries mismatched"),
                       ("unexpected", "Unexpected answers"), ("truncated", "Truncated answers"),
                       ("refused", "Port unreachable")]:
        m = re.search(r"^\s*%s:\s+(\d+)" % label, text, re.M)
        if m is None:
            raise AssertionError("no %r line in:\n%s" % (label, text))
        out[key] = int(m.group(1))
    m = re.search(r"^\s*Queries per second:\s+([\d.]+)", text, re.M)
    out["qps"] = float(m.group(1))
    m = re.search(r"^\s*Response codes:(.*)$", text, re.M)
    out["rcodes"] = {name: int(n) for name, n in re.findall(r"(\w+) (\d+) \(", m.group(1))}
    m = re.search(r"^\s*Average Latency \(s\):\s+([\d.]+) \(min ([\d.]+), max ([\d.]+)\)",
                  text, re.M)
    out["latency"] = tuple(float(x) for x in m.groups())
    m = re.search(r"p50 ([\d.]+), p90 ([\d.]+), p99 ([\d.]+), p99\.9 ([\d.]+)", text)
    out["percentiles"] = tuple(float(x) for x in m.groups())
    return out


class UdpLoad:
    """Runs udp_load over a query file written for the run; bounded in time."""

    def __init__(self, lines):
        self.dir = tempfile.mkdtemp(prefix="dnspush-udpload-")
        self.path = os.path.join(self.dir, "queries.txt")
        with open(self.path, "w") as f:
            f.write("; a comment line, skipped\n\n")
            f.write("\n".join(lines) + "\n")

    def run(self, port, *args, seconds=1.5, timeout_ms=1000):
        cmd = [UDP_LOAD, "-s", "127.0.0.1", "-p", str(port), "-d", self.path,
               "-l", str(seconds), "-t", str(timeout_ms), *args]
        start = time.monotonic()
        r = harness.run(cmd, timeout=seconds + timeout_ms / 1000 + 20)
        elapsed = time.monotonic() - start
        return r, elapsed

    def cleanup(self):
        for name in os.listdir(self.dir):
            os.unlink(os.path.join(self.dir, name))
        os.rmdir(self.dir)


class Responder:
    """A UDP server in a thread that answers each query with the query itself, QR set,
    after `change` (bytearray -> list of datagrams to send back). Keeps the first queries
    it received, with their source ports."""

    def __init__(self, change):
        self.change = change
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.queries = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stopping.is_set():
            try:
                data, addr = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            if len(self.queries) < 16:
                self.queries.append((bytes(data), addr[1]))
            answer = bytearray(data)
            answer[2] |= 0x80  # QR
            for d in self.change(answer):
                self.sock.sendto(bytes(d), addr)

    def stop(self):
        self.stopping.set()
        self.thread.join(timeout=5)
        self.sock.close()


def qname_end(msg):
    """Offset just past the (uncompressed) question name at offset 12."""
    i = 12
    while msg[i] != 0:
        i += msg[i] + 1
    return i + 1


class AgainstDnspushdTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(tls=False, workers=2).start()

    @classmethod
    def tearDownClass(cls):
        rc = cls.server.stop()
        if rc != 0:
            raise AssertionError("dnspushd exited with %s:\n%s" % (rc, cls.server.log()[-4000:]))

    def load(self, lines, *args, **kw):
        q = UdpLoad(lines)
        try:
            r, elapsed = q.run(self.server.port, *args, **kw)
        finally:
            q.cleanup()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return parse_report(r.stdout), r.stdout, elapsed

    def test_response_codes_follow_the_query_file(self):
        # 16 in flight: far below what the server's socket buffer holds, so nothing may be
        # lost and every query sent is counted in exactly one response code.
        rep, text, _ = self.load([line for line, _ in MIXED], "-w", "16", "-S", "4")
        self.assertGreater(rep["completed"], 0, text)
        self.assertEqual(rep["lost"], 0, text)
        self.assertEqual(rep["mismatched"], 0, text)
        self.assertEqual(rep["unexpected"], 0, text)
        self.assertEqual(rep["truncated"], 0, text)  # EDNS(0) 4096: the SRV answer fits
        self.assertEqual(rep["completed"], rep["sent"], text)
        # The file is sent in order, looping: line i went out sent // n times, once more
        # for the first sent % n lines.
        n = len(MIXED)
        expected = {}
        for i, (_, rcode) in enumerate(MIXED):
            expected[rcode] = expected.get(rcode, 0) + rep["sent"] // n + (i < rep["sent"] % n)
        self.assertEqual(rep["rcodes"], expected, text)
        avg, lo, hi = rep["latency"]
        self.assertTrue(0 < lo <= avg <= hi < 1.0, text)
        p50, p90, p99, p999 = rep["percentiles"]
        self.assertTrue(lo * 0.99 <= p50 <= p90 <= p99 <= p999 <= hi * 1.01, text)
        self.assertGreater(rep["qps"], 0, text)

    def test_only_nxdomain_names_give_only_nxdomain(self):
        lines = ["nosuch%d.example.test A" % i for i in range(10)]
        lines += ["gone%d.example.test TXT" % i for i in range(10)]
        rep, text, _ = self.load(lines, "-w", "32")
        self.assertGreater(rep["completed"], 0, text)
        self.assertEqual(rep["lost"], 0, text)
        self.assertEqual(rep["mismatched"], 0, text)
        self.assertEqual(rep["rcodes"], {"NXDOMAIN": rep["completed"]}, text)

    def test_without_edns_a_large_answer_is_truncated(self):
        # big.example.test TXT is over 512 bytes: TC without an OPT record (RFC 1035
        # §4.2.1), whole with dnsperf's 4096.
        rep, text, _ = self.load(["big.example.test TXT"], "-w", "8", "--edns", "0",
                                 seconds=0.5)
        self.assertGreater(rep["completed"], 0, text)
        self.assertEqual(rep["truncated"], rep["completed"], text)
        rep, text, _ = self.load(["big.example.test TXT"], "-w", "8", seconds=0.5)
        self.assertGreater(rep["completed"], 0, text)
        self.assertEqual(rep["truncated"], 0, text)


class LossTest(unittest.TestCase):
    SECONDS = 1.0
    TIMEOUT_MS = 300

    def load(self, port):
        q = UdpLoad(["www.example.test A", "nosuch.example.test A"])
        try:
            r, elapsed = q.run(port, "-w", "64", seconds=self.SECONDS,
                               timeout_ms=self.TIMEOUT_MS)
        finally:
            q.cleanup()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        rep = parse_report(r.stdout)
        # Sending stops at -l; the wait for answers after it is bounded by -t.
        self.assertLess(elapsed, self.SECONDS + self.TIMEOUT_MS / 1000 + 2.0, r.stdout)
        self.assertGreater(rep["sent"], 0, r.stdout)
        self.assertEqual(rep["completed"], 0, r.stdout)
        self.assertEqual(rep["lost"], rep["sent"], r.stdout)
        self.assertEqual(rep["rcodes"], {}, r.stdout)
        return rep, r.stdout

    def test_nothing_listening(self):
        rep, text = self.load(harness.free_port())
        # A full window per timeout: more than one window's worth over the run.
        self.assertGreater(rep["sent"], 64, text)
        self.assertGreater(rep["refused"], 0, text)  # the ICMP errors were seen, not fatal

    def test_a_server_that_drops_everything(self):
        sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sink.bind(("127.0.0.1", 0))  # bound, never read: no answer and no ICMP error
        try:
            rep, text = self.load(sink.getsockname()[1])
        finally:
            sink.close()
        self.assertEqual(rep["refused"], 0, text)


class AnswerCheckTest(unittest.TestCase):
    """Against a responder that echoes each query back as its answer, changed."""

    def load(self, change, lines=("www.example.test A", r"Office\032Printer.example.test SRV")):
        responder = Responder(change)
        q = UdpLoad(list(lines))
        try:
            r, _ = q.run(responder.port, "-w", "4", "-S", "2", seconds=0.5, timeout_ms=300)
        finally:
            q.cleanup()
            responder.stop()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        rep = parse_report(r.stdout)
        self.assertGreater(rep["sent"], 0, r.stdout)
        return rep, r.stdout, responder.queries

    def test_the_query_is_what_dnsperf_e_sends(self):
        _, text, received = self.load(lambda a: [a])
        self.assertTrue(received, text)
        queries = [wire for wire, _ in received]
        for wire in queries:
            m = dns.message.from_wire(wire)
            self.assertEqual(m.edns, 0)
            self.assertEqual(m.payload, 4096)  # dnsperf's MAX_EDNS_PACKET
            self.assertFalse(m.flags & dns.flags.RD)
            self.assertEqual(len(m.question), 1)
            self.assertEqual(len(m.options), 0)
        names = {(dns.message.from_wire(w).question[0].name.to_text(),
                  dns.message.from_wire(w).question[0].rdtype) for w in queries}
        self.assertEqual(names, {("www.example.test.", dns.rdatatype.A),
                                 (r"Office\032Printer.example.test.", dns.rdatatype.SRV)})
        # -S 2: two source ports, each with its own sequence of IDs, none repeated.
        ports = {port for _, port in received}
        self.assertEqual(len(ports), 2, received)
        for port in ports:
            ids = [(w[0] << 8) | w[1] for w, p in received if p == port]
            self.assertEqual(len(set(ids)), len(ids), "an ID reused on one socket: %s" % ids)

    def test_a_question_in_another_case_is_the_same_question(self):
        def upper(a):
            end = qname_end(a)
            a[12:end] = bytes(a[12:end]).upper()  # label lengths are below b"A"
            return [a]
        rep, text, _ = self.load(upper)
        self.assertEqual(rep["mismatched"], 0, text)
        self.assertEqual(rep["lost"], 0, text)
        self.assertEqual(rep["completed"], rep["sent"], text)
        self.assertEqual(rep["rcodes"], {"NOERROR": rep["completed"]}, text)

    def test_an_answer_to_another_question_is_a_mismatch(self):
        def other_type(a):
            end = qname_end(a)
            a[end + 1] ^= 0x40  # QTYPE A (1) -> 65, SRV (33) -> 97
            return [a]
        rep, text, _ = self.load(other_type)
        self.assertGreater(rep["mismatched"], 0, text)
        self.assertEqual(rep["completed"], 0, text)
        self.assertEqual(rep["lost"], rep["sent"], text)  # their real answers never came

    def test_a_duplicate_answer_is_unexpected_not_completed(self):
        rep, text, _ = self.load(lambda a: [a, bytearray(a)])
        self.assertEqual(rep["lost"], 0, text)
        self.assertEqual(rep["completed"], rep["sent"], text)
        # Each query's second copy finds its ID no longer in flight (the last ones may
        # still be on their way when the run ends).
        self.assertGreater(rep["unexpected"], 0, text)
        self.assertLessEqual(rep["unexpected"], rep["completed"], text)


class QueryFileTest(unittest.TestCase):
    def run_file(self, lines):
        q = UdpLoad(lines)
        try:
            r, _ = q.run(harness.free_port(), seconds=0.2)
        finally:
            q.cleanup()
        return r

    def test_a_bad_line_is_refused_with_its_number(self):
        # Line 1 is the comment and 2 the blank line UdpLoad writes first.
        for bad in ("www.example.test", "www.example.test NOSUCHTYPE",
                    "www.example.test A extra", "a..b.example.test A"):
            r = self.run_file(["www.example.test A", bad])
            self.assertEqual(r.returncode, 1, bad)
            self.assertIn("queries.txt:4:", r.stderr, bad)
            self.assertNotIn("Statistics", r.stdout, bad)

    def test_a_trailing_comment_is_allowed(self):
        r = self.run_file(["www.example.test A ; the web server"])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


if __name__ == "__main__":
    harness.main()
