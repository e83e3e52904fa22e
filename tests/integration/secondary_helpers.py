"""Helpers for the secondary-zone tests: dnspushd as a primary (UpdateServer, with NOTIFY
targets) or as a secondary of some primary (SecondaryServer: `primaries = [...]`, DNS Push
over TLS), NOTIFY sent by hand, log scanning, and a small fake primary that answers AXFR /
IXFR over TCP with whatever a test scenario says (hostile cases).

Every process and thread started here is stopped by the tests; every wait is bounded.
"""

import os
import re
import socket
import struct
import threading
import time

import harness
import update_helpers as uh

import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

ORIGIN = harness.ORIGIN


class SecondaryServer(harness.Server):
    """dnspushd following `primary_port` for example.test, with DNS Push on TLS (and on
    plain TCP, for tests without TLS). `zone_extra` goes into the [[zone]] table (timers,
    forward-updates...), `extra` before it ([push], [limits]...)."""

    def __init__(self, primary_port, key=None, zone_extra="", extra="", workers=2,
                 notify=(), log_level="debug"):
        super().__init__(tls=True, workers=workers)
        self.workers = workers
        self.primary_port = primary_port
        self.key = key
        self.zone_extra = zone_extra
        self.extra = extra
        self.notify = list(notify)
        self.log_level = log_level
        self.write_config()

    def write_config(self):
        if self.key:
            primary = '{ address = "127.0.0.1:%d", key = "%s" }' % (self.primary_port, self.key)
        else:
            primary = '"127.0.0.1:%d"' % self.primary_port
        with open(self.config, "w") as f:
            f.write(
                "[server]\n"
                'state-dir = "state"\n'
                'log-level = "%s"\n'
                "workers = %d\n"
                "[listen]\n"
                'dns = ["127.0.0.1:%d"]\n'
                'tls = ["127.0.0.1:%d"]\n'
                "%s\n"
                "[[key]]\n"
                'name = "%s"\n'
                'algorithm = "%s"\n'
                'secret = "%s"\n'
                "[[zone]]\n"
                'origin = "%s"\n'
                "primaries = [%s]\n"
                'transfer = [ { network = "127.0.0.0/8" } ]\n'
                "notify = [%s]\n"
                "%s\n"
                % (self.log_level, self.workers, self.port, self.tls_port, self.extra,
                   uh.KEY_NAME, uh.KEY_ALGORITHM, uh.KEY_SECRET, ORIGIN, primary,
                   ", ".join('"127.0.0.1:%d"' % p for p in self.notify), self.zone_extra))

    def start(self, wait=True):
        """Starts dnspushd; with `wait`, until it serves the zone (its first copy, from the
        journal or by transfer)."""
        if os.path.exists(self.log_path) and os.path.getsize(self.log_path) > 0:
            n = 1
            while os.path.exists("%s.%d" % (self.log_path, n)):
                n += 1
            os.rename(self.log_path, "%s.%d" % (self.log_path, n))
        if wait:
            return super().start()
        self._log = open(self.log_path, "w")
        import subprocess
        self.proc = subprocess.Popen([harness.DNSPUSHD, "--config", self.config],
                                     stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=self.dir)
        return self

    def status(self, name=ORIGIN, rtype="SOA"):
        return uh.dig(self.port, name, rtype).status


def log_count(server, pattern):
    return len(re.findall(pattern, server.log()))


def wait_log(server, pattern, timeout=15.0, at_least=1):
    """Waits until `pattern` occurs `at_least` times in the server's log; returns the
    count."""
    uh.wait_for(lambda: log_count(server, pattern) >= at_least, timeout)
    return log_count(server, pattern)


def send_notify(port, origin=ORIGIN, serial=None, timeout=3.0):
    """A NOTIFY (RFC 1996 §4.5) from 127.0.0.1 over UDP; returns the response's RCODE text."""
    q = dns.message.make_query(origin, "SOA")
    q.set_opcode(dns.opcode.NOTIFY)
    q.flags |= dns.flags.AA
    q.flags &= ~dns.flags.RD
    if serial is not None:
        rr = dns.rrset.from_text(origin + ".", 300, "IN", "SOA",
                                 "ns1.%s. hostmaster.%s. %d 1 1 1 1" % (origin, origin, serial))
        q.answer.append(rr)
    wire = q.to_wire()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(("127.0.0.1", 0))
        s.settimeout(timeout)
        s.sendto(wire, ("127.0.0.1", port))
        data, _ = s.recvfrom(65535)
    finally:
        s.close()
    r = dns.message.from_wire(data)
    return dns.rcode.to_text(r.rcode()), r


import dns.flags  # noqa: E402  (used above, imported late to keep the list short)


# ---- a fake primary ------------------------------------------------------------------------


def soa_rrset(serial, origin=ORIGIN, expire=1209600, refresh=3600, retry=600):
    return dns.rrset.from_text(origin + ".", 300, "IN", "SOA",
                               "ns1.%s. hostmaster.%s. %d %d %d %d 60"
                               % (origin, origin, serial, refresh, retry, expire))


def rrset(text):
    """One record from 'name ttl class type rdata' text."""
    parts = text.split(None, 4)
    return dns.rrset.from_text(parts[0], int(parts[1]), parts[2], parts[3], parts[4])


BASE_RECORDS = [
    "example.test. 300 IN NS ns1.example.test.",
    "ns1.example.test. 300 IN A 127.0.0.1",
    "www.example.test. 300 IN A 192.0.2.10",
]


class FakePrimary:
    """A TCP (and UDP, for SOA queries) server on 127.0.0.1 that answers each zone transfer
    request with `self.scenario(request)`: a list of answer messages (dns.message.Message or
    raw bytes) to send, with optional float delays in between ("sleep this long"), and a
    final None meaning "keep the connection open without sending more". Records every
    request's type in `self.requests`."""

    def __init__(self):
        self.port = harness.free_port()
        self.requests = []
        self.scenario = lambda req: []
        self._stop = threading.Event()
        self._tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._tcp.bind(("127.0.0.1", self.port))
        self._tcp.listen(16)
        self._tcp.settimeout(0.2)
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        for t in self._threads:
            t.start()

    def close(self):
        self._stop.set()
        for t in self._threads:
            t.join(timeout=5)
        self._tcp.close()

    def _accept(self):
        while not self._stop.is_set():
            try:
                conn, _ = self._tcp.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            t.start()

    def _serve(self, conn):
        conn.settimeout(10)
        try:
            head = self._read(conn, 2)
            (n,) = struct.unpack("!H", head)
            req = dns.message.from_wire(self._read(conn, n))
            self.requests.append(dns.rdatatype.to_text(req.question[0].rdtype))
            for item in self.scenario(req):
                if self._stop.is_set():
                    return
                if item is None:  # hold the connection open, silently
                    while not self._stop.wait(0.2):
                        pass
                    return
                if isinstance(item, (int, float)):
                    time.sleep(item)
                    continue
                wire = item if isinstance(item, bytes) else item.to_wire(max_size=65535)
                conn.sendall(struct.pack("!H", len(wire)) + wire)
        except (OSError, EOFError, ValueError):
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    @staticmethod
    def _read(conn, n):
        buf = b""
        while len(buf) < n:
            chunk = conn.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf


def answer(req, rrsets, rcode=dns.rcode.NOERROR, question=True):
    """One transfer answer message to `req` holding `rrsets` in order (nothing merged)."""
    m = dns.message.make_response(req)
    m.flags |= dns.flags.AA
    m.set_rcode(rcode)
    if not question:
        m.question = []
    for r in rrsets:
        m.answer.append(r)
    return m


def axfr(req, serial, extra=(), **soa_kw):
    """A whole zone: SOA, the base records and `extra` (texts or rrsets), SOA."""
    body = [rrset(t) if isinstance(t, str) else t for t in list(BASE_RECORDS) + list(extra)]
    return [answer(req, [soa_rrset(serial, **soa_kw)] + body + [soa_rrset(serial, **soa_kw)])]


def ixfr(req, sequences, new_serial, **soa_kw):
    """Difference sequences [(from, [removed...], to, [added...]), ...] (RFC 1995 §4)."""
    out = [soa_rrset(new_serial, **soa_kw)]
    for frm, removed, to, added in sequences:
        out.append(soa_rrset(frm, **soa_kw))
        out += [rrset(t) if isinstance(t, str) else t for t in removed]
        out.append(soa_rrset(to, **soa_kw))
        out += [rrset(t) if isinstance(t, str) else t for t in added]
    out.append(soa_rrset(new_serial, **soa_kw))
    return [answer(req, out)]
