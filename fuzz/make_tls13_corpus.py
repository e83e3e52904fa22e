#!/usr/bin/env python3
"""Seeds for fuzz_tls13_records: byte programs (see the harness) that seal application
data, KeyUpdates (requested or not), alerts and padding with the peer layer, read them in
one piece or split, answer, and add raw headers of every kind."""
import os
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "tls13_records")

# op % 5: 0 raw bytes, 1 sealed message (type, len, bytes), 2 app data, 3 open (cut), 4 answer
def raw(b):
    return bytes([0, len(b)]) + b

def sealed(t, b):
    return bytes([1, t, len(b)]) + b

def app(n):
    return bytes([2, n])

def read(cut=255):
    return bytes([3, cut])

def answer(b):
    return bytes([4, len(b)]) + b

SEEDS = {
    "app_roundtrip": [app(40), read(), answer(b"hello")],
    "key_update_requested": [sealed(22, b"\x18\x00\x00\x01\x01"), app(10), read(), answer(b"x")],
    "key_update_split": [sealed(22, b"\x18\x00"), sealed(22, b"\x00\x01\x00"), read(3), answer(b"y")],
    "close_notify": [app(5), sealed(21, b"\x01\x00"), read(), answer(b"bye")],
    "fatal_alert": [sealed(21, b"\x02\x28"), read()],
    "padding": [sealed(0, b"data\x17\x00\x00\x00"), read(7)],
    "ccs": [raw(b"\x14\x03\x03\x00\x01\x01"), read()],
    "overflow": [raw(b"\x17\x03\x03\x41\x01"), read()],
    "short": [raw(b"\x17\x03\x03\x00\x05abcde"), read()],
    "big_app": [bytes([2 + 5 * 48, 200]), read(100), answer(b"z" * 50)],
}

def main():
    os.makedirs(OUT, exist_ok=True)
    for i, (name, ops) in enumerate(SEEDS.items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(bytes([i % 3]) + b"".join(ops))
    return 0

if __name__ == "__main__":
    sys.exit(main())
