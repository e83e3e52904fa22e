#!/usr/bin/python3
"""Writes the seed corpus for fuzz_dso_message: DSO messages (RFC 8490, RFC 8765) as
the session sends and receives them, plus a few queries carrying EDNS options for the
edns-tcp-keepalive scan.

Run from anywhere: /usr/bin/python3 fuzz/make_dso_corpus.py
(fuzz_dso_session's seeds are inputs kept from a merged fuzzing run: see README.md.)
"""

import os
import struct

import dns.edns
import dns.message
import dns.name

HERE = os.path.dirname(os.path.abspath(__file__))
DIR = os.path.join(HERE, "corpus", "dso_message")

KEEPALIVE, RETRY_DELAY, PADDING = 1, 2, 3
SUBSCRIBE, PUSH, UNSUBSCRIBE, RECONFIRM = 0x40, 0x41, 0x42, 0x43


def header(msg_id, qr=False, rcode=0):
    return struct.pack("!HBBHHHH", msg_id, (0x80 if qr else 0) | (6 << 3), rcode, 0, 0, 0, 0)


def tlv(t, data=b""):
    return struct.pack("!HH", t, len(data)) + data


def name(text):
    return dns.name.from_text(text).to_wire()


def question(text, rtype=12, rclass=1):
    return name(text) + struct.pack("!HH", rtype, rclass)


def messages():
    ka = struct.pack("!II", 15000, 3600000)
    out = {
        "keepalive_request": header(1) + tlv(KEEPALIVE, ka),
        "keepalive_response": header(1, qr=True) + tlv(KEEPALIVE, ka),
        "keepalive_unidirectional_infinite": header(0) + tlv(KEEPALIVE, b"\xff" * 8),
        "keepalive_padded_request": header(2) + tlv(KEEPALIVE, ka) + tlv(PADDING, bytes(96)),
        "retry_delay": header(0, rcode=2) + tlv(RETRY_DELAY, struct.pack("!I", 300000)),
        "response_retry_delay": header(7, qr=True, rcode=5)
        + tlv(RETRY_DELAY, struct.pack("!I", 30000)),
        "response_dsotypeni": header(9, qr=True, rcode=11),
        "subscribe": header(0x1234) + tlv(SUBSCRIBE, question("_ipp._tcp.example.com.")),
        "subscribe_response": header(0x1234, qr=True),
        "unsubscribe": header(0) + tlv(UNSUBSCRIBE, struct.pack("!H", 0x1234)),
        # Apple's form: the old draft's NAME, TYPE, CLASS.
        "unsubscribe_apple": header(0) + tlv(UNSUBSCRIBE, question("_ipp._tcp.example.com.")),
        "reconfirm": header(0)
        + tlv(RECONFIRM, question("printer.example.com.", 1) + bytes([192, 0, 2, 7])),
        "unknown_primary": header(3) + tlv(0xF900, b"\x01\x02") + tlv(0xFC00),
    }
    # A PUSH with one add (PTR) and one delete, names compressed against the message.
    push = bytearray(header(0))
    start = len(push) + 4
    owner = name("_ipp._tcp.example.com.")
    body = owner + struct.pack("!HHIH", 12, 1, 120, 0)
    target = name("Printer._ipp._tcp.example.com.")[:8] + struct.pack("!H", 0xC000 | start)
    body = body[:-2] + struct.pack("!H", len(target)) + target
    body += struct.pack("!H", 0xC000 | start) + struct.pack("!HHIH", 12, 1, 0xFFFFFFFF, 2)
    body += struct.pack("!H", 0xC000 | start)
    out["push"] = bytes(push) + tlv(PUSH, body) + tlv(PADDING, bytes(20))
    q = dns.message.make_query("www.example.com.", "A", use_edns=0,
                               options=[dns.edns.GenericOption(11, b""),
                                        dns.edns.GenericOption(12, bytes(8))])
    out["query_tcp_keepalive"] = q.to_wire()
    return out


def main():
    os.makedirs(DIR, exist_ok=True)
    for n, wire in sorted(messages().items()):
        with open(os.path.join(DIR, n + ".bin"), "wb") as f:
            f.write(wire)


if __name__ == "__main__":
    main()
