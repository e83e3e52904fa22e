"""Helpers for the client tests: the real `dnspush` binary (DNSPUSH_BIN) run as a watcher
whose output is read line by line, one-shot runs with their exit code, and a small stub
resolver that forwards to dnspushd and can set the AD bit and add TLSA records (a
validating resolver's view, for DANE).

Every process started here is stopped by its PID; every wait is bounded.
"""

import json
import os
import queue
import signal
import socket
import subprocess
import threading
import time

import harness

import dns.flags
import dns.message
import dns.query
import dns.rdatatype
import dns.rrset

DNSPUSH = os.path.join(harness.BIN, "dnspush")

_procs = []


def run(*args, timeout=30):
    """dnspush ARGS; returns the CompletedProcess (text)."""
    return harness.run([DNSPUSH, *args], timeout=timeout)


def strip_time(events):
    """JSON events without their "time" (the rest is deterministic)."""
    out = []
    for e in events:
        e = dict(e)
        e.pop("time", None)
        out.append(e)
    return out


def ev(event, name, rtype, ttl, rdata, rclass="IN"):
    return {"event": event, "name": name, "type": rtype, "class": rclass, "ttl": ttl,
            "rdata": rdata}


class Watch:
    """`dnspush ARGS` running in the background; stdout lines in a queue, stderr kept."""

    def __init__(self, *args, program=None):
        self.proc = subprocess.Popen([program or DNSPUSH, *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        _procs.append(self)
        self.lines = queue.Queue()
        self.err = []
        threading.Thread(target=self._read, args=(self.proc.stdout, self.lines.put),
                         daemon=True).start()
        threading.Thread(target=self._read, args=(self.proc.stderr, self.err.append),
                         daemon=True).start()

    @classmethod
    def program(cls, path, *args):
        """Another program than dnspush (the examples)."""
        return cls(*args, program=path)

    @staticmethod
    def _read(f, put):
        for line in f:
            put(line.rstrip("\n"))

    def take(self, n, timeout=10.0):
        """The next n stdout lines (fewer if the time runs out)."""
        out = []
        deadline = time.monotonic() + timeout
        while len(out) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                out.append(self.lines.get(timeout=left))
            except queue.Empty:
                break
        return out

    def events(self, n, timeout=10.0):
        return [json.loads(line) for line in self.take(n, timeout)]

    def quiet(self, seconds):
        """Lines that arrive within `seconds` (expected: none)."""
        return self.take(1 << 30, seconds)

    def stderr(self):
        return "\n".join(self.err)

    def wait_stderr(self, text, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.stderr():
                return True
            time.sleep(0.05)
        return False

    def wait(self, timeout=15.0):
        """The exit code (the watch must end by itself: --count or --timeout)."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise AssertionError("dnspush did not stop by itself:\n" + self.stderr())

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        return self.proc.returncode


def stop_all():
    for p in _procs:
        p.stop()


class StubResolver:
    """A UDP+TCP stub on 127.0.0.1 that forwards every query to the dnspushd at
    `upstream_port`, sets AD on the answers when `ad` is true (as a validating resolver
    would for a signed zone), and answers TLSA queries for names in `tlsa` itself
    ({owner: [rdata text]}), with AD when `ad`."""

    def __init__(self, upstream_port, ad=True, tlsa=None):
        self.upstream = upstream_port
        self.ad = ad
        self.tlsa = {k.lower().rstrip(".") + ".": v for k, v in (tlsa or {}).items()}
        self.port = harness.free_port()
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.port))
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind(("127.0.0.1", self.port))
        self.tcp.listen(8)
        self.stopped = False
        threading.Thread(target=self._serve_udp, daemon=True).start()
        threading.Thread(target=self._serve_tcp, daemon=True).start()

    def answer(self, wire):
        q = dns.message.from_wire(wire)
        question = q.question[0]
        name = question.name.to_text().lower()
        if question.rdtype == dns.rdatatype.TLSA and name in self.tlsa:
            r = dns.message.make_response(q)
            r.answer.append(dns.rrset.from_text_list(question.name, 300, "IN", "TLSA",
                                                     self.tlsa[name]))
        else:
            r = dns.query.udp(q, "127.0.0.1", port=self.upstream, timeout=3)
            if r.flags & dns.flags.TC:
                r = dns.query.tcp(q, "127.0.0.1", port=self.upstream, timeout=3)
            r.id = q.id
        if self.ad:
            r.flags |= dns.flags.AD
        else:
            r.flags &= ~dns.flags.AD
        return r.to_wire()

    def _serve_udp(self):
        self.udp.settimeout(0.5)
        while not self.stopped:
            try:
                data, addr = self.udp.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                self.udp.sendto(self.answer(data), addr)
            except Exception:  # a broken query: no answer, as a resolver might
                pass

    def _serve_tcp(self):
        self.tcp.settimeout(0.5)
        while not self.stopped:
            try:
                c, _ = self.tcp.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with c:
                c.settimeout(3)
                try:
                    n = int.from_bytes(c.recv(2), "big")
                    data = b""
                    while len(data) < n:
                        chunk = c.recv(n - len(data))
                        if not chunk:
                            break
                        data += chunk
                    out = self.answer(data)
                    c.sendall(len(out).to_bytes(2, "big") + out)
                except Exception:
                    pass

    def close(self):
        self.stopped = True
        self.udp.close()
        self.tcp.close()
