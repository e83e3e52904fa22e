#!/usr/bin/python3
"""Writes the seed corpora for fuzz_push_tlv and fuzz_push_index (no dependencies).

Run from anywhere: /usr/bin/python3 fuzz/make_push_corpus.py

fuzz_push_tlv: the first byte picks the codec (0 SUBSCRIBE, 1 UNSUBSCRIBE, 2 RECONFIRM,
3 a whole PUSH message). The PUSH messages follow RFC 8765 section 6.3.1: adds, single
and collective deletes, an ignorable TTL, compressed owner and RDATA names, padding.
fuzz_push_index: byte programs for the worker harness (any bytes are a valid program),
from a fixed pseudo-random seed so the files are stable.
"""

import os
import random
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
TLV_DIR = os.path.join(HERE, "corpus", "push_tlv")
INDEX_DIR = os.path.join(HERE, "corpus", "push_index")


def name(text):
    out = b""
    for label in text.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def ntc(n, rtype, rclass=1):
    return name(n) + struct.pack("!HH", rtype, rclass)


def change(owner, rtype, rclass, ttl, rdata):
    owner_bytes = owner if isinstance(owner, bytes) else name(owner)
    return owner_bytes + struct.pack("!HHIH", rtype, rclass, ttl, len(rdata)) + rdata


def push(data, extra=b""):
    header = struct.pack("!HBBHHHH", 0, 0x30, 0, 0, 0, 0, 0)
    return header + struct.pack("!HH", 0x41, len(data)) + data + extra


def seeds_tlv():
    out = {}
    out["subscribe_ptr"] = b"\0" + ntc("_ipp._tcp.example.com.", 12)
    out["subscribe_any_any"] = b"\0" + ntc("Printer.Example.com.", 255, 255)
    out["subscribe_root"] = b"\0" + ntc(".", 1)
    out["unsubscribe_id"] = b"\1" + struct.pack("!H", 0x1234)
    out["unsubscribe_draft"] = b"\1" + ntc("_ipp._tcp.example.com.", 12)
    out["reconfirm_a"] = b"\2" + ntc("printer.example.com.", 1) + bytes([192, 0, 2, 1])
    out["reconfirm_srv"] = (b"\2" + ntc("inst._ipp._tcp.example.com.", 33) +
                            struct.pack("!HHH", 0, 0, 631) + name("printer.example.com."))
    out["reconfirm_opaque"] = b"\2" + ntc("x.example.", 65280) + b"\x01\x02"

    # Offset 16 is the first owner (12-byte header + PUSH TLV type and length).
    d = change("www.example.com.", 1, 1, 300, bytes([192, 0, 2, 1]))
    d += change(b"\xc0\x10", 1, 1, 0xFFFFFFFF, bytes([192, 0, 2, 2]))
    d += change(b"\xc0\x10", 28, 1, 0xFFFFFFFE, b"")
    d += change(b"\xc0\x10", 255, 1, 0xFFFFFFFE, b"")
    d += change("gone.example.com.", 0, 255, 0xFFFFFFFE, b"")
    d += change(b"\xc0\x10", 1, 1, 0x80000000, bytes([1, 2, 3, 4]))  # ignored
    out["push_every_kind"] = b"\3" + push(d)

    inst = "Printer One._ipp._tcp.example.com."
    d = change("_ipp._tcp.example.com.", 12, 1, 120, name(inst))
    srv_owner = bytes([11]) + b"Printer One" + b"\xc0\x10"
    d += change(srv_owner, 33, 1, 120,
                struct.pack("!HHH", 0, 0, 631) + bytes([7]) + b"printer" + b"\xc0\x1a")
    d += change(srv_owner, 16, 1, 120, b"\x09txtvers=1\x06rp=ipp")
    out["push_dnssd"] = b"\3" + push(d)

    d = change("a.example.", 1, 1, 60, bytes([10, 0, 0, 1]))
    out["push_padded"] = b"\3" + push(d, struct.pack("!HH", 3, 30) + bytes(30))
    out["push_unknown_additional"] = b"\3" + push(d, struct.pack("!HH", 0x7777, 2) + b"zz")
    d = change("a.example.", 6, 1, 300,
               name("ns.a.example.") + name("host.a.example.") + struct.pack("!IIIII", 1, 2, 3, 4, 5))
    d += change("a.example.", 15, 1, 300, struct.pack("!H", 10) + name("mail.a.example."))
    d += change("a.example.", 2, 1, 300, b"\x02ns\xc0\x10")
    out["push_soa_mx_ns"] = b"\3" + push(d)
    return out


def seeds_index():
    rng = random.Random(8765)
    out = {}
    for i in range(12):
        out["program_%02d" % i] = bytes(rng.randrange(256) for _ in range(64 + 48 * i))
    return out


def write(directory, items):
    os.makedirs(directory, exist_ok=True)
    for key, data in items.items():
        with open(os.path.join(directory, key + ".bin"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    write(TLV_DIR, seeds_tlv())
    write(INDEX_DIR, seeds_index())
