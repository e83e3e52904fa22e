#!/usr/bin/python3
"""Closed-loop DNS UPDATE load generator for bench/run_update_bench.sh.

CLIENTS clients (UDP sockets driven from one epoll loop) each keep exactly one TSIG-signed
UPDATE (RFC 2136, RFC 8945 hmac-sha256) outstanding: send, wait for the answer, send the
next. Each UPDATE adds one new
name, so every NOERROR is one committed change and one SOA serial step; the serial is read
before and after the run and must have moved by exactly the number of NOERROR answers
(checked, reported as "serial_ok").

The UPDATE messages are built and signed before the timed phase (the TSIG time stays within
its 300 s fudge for any run this tool allows), so the timed loop only does socket I/O and
the generator's own cost stays small next to the server's on the shared cores.

Latency is measured from just before send() to the answer's arrival. Output: one JSON
object on stdout.
"""

import argparse
import json
import socket
import struct
import sys
import selectors
import time

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import dns.update

MAX_DURATION = 120.0  # seconds: the TSIG fudge (300 s) must cover the whole run
ANSWER_TIMEOUT = 2.0  # seconds for one UPDATE's answer


def soa_serial(server, port, zone):
    q = dns.message.make_query(zone, dns.rdatatype.SOA)
    r = dns.query.udp(q, server, port=port, timeout=2)
    for rrset in r.answer:
        if rrset.rdtype == dns.rdatatype.SOA:
            return rrset[0].serial
    raise RuntimeError("no SOA in the answer from %s:%d" % (server, port))


def build(args, client, count):
    ring = dns.tsigkeyring.from_text({args.key_name: ("hmac-sha256", args.secret)})
    out = []
    for i in range(count):
        u = dns.update.Update(args.zone, keyring=ring, keyname=args.key_name,
                              keyalgorithm=dns.tsig.HMAC_SHA256)
        u.add("%s-c%d-%d" % (args.tag, client, i), 300, "A",
              "10.%d.%d.%d" % (client % 256, (i >> 8) & 255, i & 255))
        out.append((u.id, u.to_wire()))
    return out


class Client:
    """One simulated client: a connected UDP socket with at most one UPDATE outstanding."""

    def __init__(self, args, msgs):
        self.msgs = msgs
        self.next = 0
        self.qid = None
        self.t0 = 0.0
        self.latencies = []  # seconds, NOERROR answers only
        self.rcodes = {}
        self.timeouts = 0
        self.sent = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.connect((args.server, args.port))
        self.sock.setblocking(False)

    def send_next(self, now):
        """Sends the next UPDATE; False when there is none left."""
        if self.next >= len(self.msgs):
            self.qid = None
            return False
        self.qid, wire = self.msgs[self.next]
        self.next += 1
        self.t0 = now
        self.sock.send(wire)
        self.sent += 1
        return True

    def on_readable(self, now):
        """Reads the answers waiting on the socket; True when the outstanding one arrived."""
        done = False
        while True:
            try:
                data = self.sock.recv(65535)
            except BlockingIOError:
                return done
            if self.qid is None or len(data) < 4 or struct.unpack("!H", data[:2])[0] != self.qid:
                continue  # a stray answer to an UPDATE that timed out
            rcode = data[3] & 0x0F
            name = dns.rcode.to_text(rcode)
            self.rcodes[name] = self.rcodes.get(name, 0) + 1
            if rcode == 0:
                self.latencies.append(now - self.t0)
            self.qid = None
            done = True


def run_clients(clients, duration):
    """One thread, one epoll set: every client keeps one UPDATE in flight until `duration`
    seconds have passed (no GIL hand-offs between client threads distort the latencies)."""
    sel = selectors.DefaultSelector()
    for c in clients:
        sel.register(c.sock, selectors.EVENT_READ, c)
    t_start = time.monotonic()
    stop_at = t_start + duration
    active = 0
    for c in clients:
        if c.send_next(time.monotonic()):
            active += 1
    while active > 0:
        now = time.monotonic()
        if now >= stop_at + ANSWER_TIMEOUT:
            break  # bounded: answers still missing count as timeouts below
        for key, _ in sel.select(timeout=0.05):
            c = key.data
            now = time.monotonic()
            if c.qid is not None and c.on_readable(now):
                if now >= stop_at or not c.send_next(now):
                    active -= 1
            elif c.qid is None:
                c.on_readable(now)
        now = time.monotonic()
        for c in clients:
            if c.qid is not None and now - c.t0 > ANSWER_TIMEOUT:
                c.timeouts += 1
                c.qid = None
                if now >= stop_at or not c.send_next(now):
                    active -= 1
    for c in clients:
        if c.qid is not None:
            c.timeouts += 1
        sel.unregister(c.sock)
        c.sock.close()
    return time.monotonic() - t_start


def percentile(sorted_values, p):
    if not sorted_values:
        return None
    k = min(len(sorted_values) - 1, max(0, int(round(p / 100.0 * len(sorted_values))) - 1))
    return sorted_values[k]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--server", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--zone", default="example.test")
    ap.add_argument("--key-name", default="example-key")
    ap.add_argument("--secret", required=True)
    ap.add_argument("--clients", type=int, default=1)
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--max-per-client", type=int, default=20000,
                    help="UPDATEs built per client (a run stops early when they run out)")
    ap.add_argument("--tag", default="u", help="prefix of the added names (unique per run)")
    args = ap.parse_args()
    if not 0 < args.duration <= MAX_DURATION:
        ap.error("--duration must be in (0, %.0f]" % MAX_DURATION)
    if not 1 <= args.clients <= 256:
        ap.error("--clients must be in [1, 256]")

    msgs = [build(args, c, args.max_per_client) for c in range(args.clients)]
    serial0 = soa_serial(args.server, args.port, args.zone)
    clients = [Client(args, msgs[c]) for c in range(args.clients)]
    elapsed = run_clients(clients, args.duration)
    time.sleep(0.2)
    serial1 = soa_serial(args.server, args.port, args.zone)

    lat = sorted(x for c in clients for x in c.latencies)
    rcodes = {}
    for c in clients:
        for k, v in c.rcodes.items():
            rcodes[k] = rcodes.get(k, 0) + v
    noerror = rcodes.get("NOERROR", 0)
    committed = (serial1 - serial0) % (1 << 32)
    exhausted = any(c.sent == len(c.msgs) for c in clients)
    out = {
        "clients": args.clients,
        "duration_s": round(elapsed, 3),
        "sent": sum(c.sent for c in clients),
        "rcodes": rcodes,
        "timeouts": sum(c.timeouts for c in clients),
        "noerror_per_s": round(noerror / elapsed, 1),
        "p50_ms": round(percentile(lat, 50) * 1000, 3) if lat else None,
        "p99_ms": round(percentile(lat, 99) * 1000, 3) if lat else None,
        "serial_before": serial0,
        "serial_after": serial1,
        "committed": committed,
        "serial_ok": committed == noerror,
        "ran_out_of_messages": exhausted,
    }
    print(json.dumps(out))
    return 0 if out["serial_ok"] else 3


if __name__ == "__main__":
    sys.exit(main())
