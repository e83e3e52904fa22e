"""A DNS Push client for tests, built by hand on sockets (dnspython has no DSO): DSO
messages (RFC 8490 §5.4) with their TLVs, SUBSCRIBE / UNSUBSCRIBE / RECONFIRM (RFC 8765),
and a strict decoder of PUSH messages whose names may be compressed against the start of
the message (RFC 8765 §6.3.1). Every read has a timeout."""

import socket
import ssl
import struct
import time

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype

OPCODE_DSO = 6
KEEPALIVE, RETRY_DELAY, PADDING = 1, 2, 3
SUBSCRIBE, PUSH, UNSUBSCRIBE, RECONFIRM = 0x40, 0x41, 0x42, 0x43
TTL_DELETE_ONE = 0xFFFFFFFF
TTL_DELETE_ALL = 0xFFFFFFFE


def tlv(t, data=b""):
    return struct.pack("!HH", t, len(data)) + data


def dso_message(msg_id, tlvs, qr=False, rcode=0):
    flags = (0x8000 if qr else 0) | (OPCODE_DSO << 11) | (rcode & 0xF)
    return struct.pack("!HHHHHH", msg_id, flags, 0, 0, 0, 0) + b"".join(tlvs)


def subscribe_data(name, rtype, rclass=dns.rdataclass.IN):
    return (dns.name.from_text(name).to_wire() +
            struct.pack("!HH", dns.rdatatype.from_text(rtype) if isinstance(rtype, str) else rtype,
                        rclass))


def parse_dso(msg):
    """(id, qr, opcode, rcode, [(type, data, offset_of_data)])."""
    if len(msg) < 12:
        raise ValueError("short message")
    msg_id, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", msg[:12])
    opcode = (flags >> 11) & 0xF
    tlvs = []
    pos = 12
    while pos < len(msg):
        if len(msg) - pos < 4:
            raise ValueError("truncated TLV header")
        t, n = struct.unpack("!HH", msg[pos:pos + 4])
        if len(msg) - pos - 4 < n:
            raise ValueError("TLV overruns the message")
        tlvs.append((t, msg[pos + 4:pos + 4 + n], pos + 4))
        pos += 4 + n
    return {"id": msg_id, "qr": bool(flags & 0x8000), "opcode": opcode, "rcode": flags & 0xF,
            "counts": (qd, an, ns, ar), "tlvs": tlvs}


class PushRecord:
    def __init__(self, name, rtype, rclass, ttl, rdata):
        self.name, self.rtype, self.rclass, self.ttl, self.rdata = name, rtype, rclass, ttl, rdata

    def text(self):
        """'name TYPE CLASS' plus '+TTL rdata' for an add, '-rdata' for a single delete,
        '-*' for a collective delete."""
        head = "%s %s %s" % (self.name.to_text(), dns.rdatatype.to_text(self.rtype),
                             dns.rdataclass.to_text(self.rclass))
        if self.ttl == TTL_DELETE_ALL:
            return head + " -*"
        if self.ttl == TTL_DELETE_ONE:
            return head + " -" + self.rdata.to_text()
        return head + " +%d %s" % (self.ttl, self.rdata.to_text())

    def __repr__(self):
        return self.text()


def parse_push(msg):
    """The records of a PUSH message, strictly (RFC 8765 §6.3.1)."""
    m = parse_dso(msg)
    if m["id"] != 0 or m["qr"] or m["opcode"] != OPCODE_DSO or any(m["counts"]):
        raise ValueError("not a unidirectional DSO message: %r" % (m,))
    if not m["tlvs"] or m["tlvs"][0][0] != PUSH:
        raise ValueError("primary TLV is not PUSH")
    for t, _, _ in m["tlvs"][1:]:
        if t != PADDING:
            raise ValueError("unexpected additional TLV %d" % t)
    _, data, start = m["tlvs"][0]
    end = start + len(data)
    pos = start
    out = []
    while pos < end:
        name, used = dns.name.from_wire(msg, pos)
        pos += used
        if end - pos < 10:
            raise ValueError("truncated RR")
        rtype, rclass, ttl, rdlen = struct.unpack("!HHIH", msg[pos:pos + 10])
        pos += 10
        if end - pos < rdlen:
            raise ValueError("RDATA overruns the TLV")
        if ttl == TTL_DELETE_ALL:
            if rdlen != 0:
                raise ValueError("collective delete with RDATA")
            rdata = None
        else:
            if rtype == 255 or rclass == 255:
                raise ValueError("ANY in an add or single delete")
            rdata = dns.rdata.from_wire(rclass, rtype, msg, pos, rdlen)
        pos += rdlen
        out.append(PushRecord(name, rtype, rclass, ttl, rdata))
    if pos != end:
        raise ValueError("trailing bytes in the PUSH TLV")
    return out


class DsoClient:
    def __init__(self, port, use_tls=True, host="127.0.0.1", timeout=5.0, pad=False,
                 rcvbuf=None):
        if rcvbuf is None:
            raw = socket.create_connection((host, port), timeout=timeout)
        else:
            # A small receive buffer (set before connecting: it sets the window) makes the
            # server's socket fill up as soon as this client stops reading.
            raw = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            raw.settimeout(timeout)
            raw.connect((host, port))
        if use_tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            self.sock = ctx.wrap_socket(raw)
        else:
            self.sock = raw
        self.timeout = timeout
        self.pad = pad
        self.buf = b""
        self.next_id = 1
        self.pending = []  # messages read but not yet taken

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, msg):
        self.sock.sendall(struct.pack("!H", len(msg)) + msg)

    def _read_frame(self, deadline):
        while True:
            if len(self.buf) >= 2:
                (n,) = struct.unpack("!H", self.buf[:2])
                if len(self.buf) >= 2 + n:
                    frame = self.buf[2:2 + n]
                    self.buf = self.buf[2 + n:]
                    return frame
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            except (ConnectionResetError, ssl.SSLError):
                raise EOFError("connection reset")
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk

    def recv(self, timeout=None):
        """The next message, or None after `timeout` seconds; EOFError when closed."""
        if self.pending:
            return self.pending.pop(0)
        return self._read_frame(time.monotonic() + (self.timeout if timeout is None else timeout))

    def closed_within(self, timeout):
        """True when the server closes the connection within `timeout` (messages before
        that are dropped)."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                self._read_frame(deadline)
        except EOFError:
            return True
        return False

    def request(self, tlvs, msg_id=None):
        if msg_id is None:
            msg_id = self.next_id
            self.next_id += 1
        if self.pad:
            tlvs = list(tlvs) + [tlv(PADDING, b"\0" * 8)]
        self.send(dso_message(msg_id, tlvs))
        return msg_id

    def response(self, msg_id, timeout=None):
        """Waits for the response to `msg_id`; other messages are kept for recv()."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        kept = []
        try:
            while True:
                m = self._read_frame(deadline)
                if m is None:
                    raise AssertionError("no response to %d" % msg_id)
                d = parse_dso(m)
                if d["qr"] and d["id"] == msg_id:
                    return d
                kept.append(m)
        finally:
            self.pending.extend(kept)

    def subscribe(self, name, rtype, rclass=dns.rdataclass.IN, msg_id=None):
        """Sends SUBSCRIBE and returns (id, response)."""
        i = self.request([tlv(SUBSCRIBE, subscribe_data(name, rtype, rclass))], msg_id)
        return i, self.response(i)

    def unsubscribe(self, msg_id):
        self.send(dso_message(0, [tlv(UNSUBSCRIBE, struct.pack("!H", msg_id))]))

    def keepalive(self, inactivity_ms, interval_ms):
        i = self.request([tlv(KEEPALIVE, struct.pack("!II", inactivity_ms, interval_ms))])
        return self.response(i)

    def pushes(self, timeout=2.0, until=None):
        """PUSH records received within `timeout` (or as soon as `until(records)` holds).
        Non-PUSH unidirectional messages (Keepalive) are skipped."""
        deadline = time.monotonic() + timeout
        records = []
        while time.monotonic() < deadline:
            m = self.recv(max(0.0, deadline - time.monotonic()))
            if m is None:
                break
            d = parse_dso(m)
            if d["tlvs"] and d["tlvs"][0][0] == PUSH:
                records.extend(parse_push(m))
                if until is not None and until(records):
                    break
        return records
