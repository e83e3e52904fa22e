#!/usr/bin/python3
"""Writes the seed corpus for fuzz_llq (no dependencies).

Run from anywhere: /usr/bin/python3 fuzz/make_llq_corpus.py

fuzz_llq reads a byte program (any bytes are a valid program): FuzzedDataProvider takes the
step choices from the end and raw message bytes from the front. The seeds are programs
from a fixed seed, so the files are stable, plus programs whose front holds real LLQ
messages (a SETUP, a REFRESH, an acknowledgement) for the raw-message step.
"""

import os
import random
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
DIR = os.path.join(HERE, "corpus", "llq")


def name(text):
    out = b""
    for label in text.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def llq_message(msg_id, qname, qtype, opcode, llq_id, lease, qr=False, version=1):
    opt = struct.pack("!HH", 1, 18) + struct.pack("!HHHQI", version, opcode, 0, llq_id, lease)
    flags = 0x8000 if qr else 0
    return (struct.pack("!HHHHHH", msg_id, flags, 1, 0, 0, 1) + name(qname)
            + struct.pack("!HH", qtype, 1) + b"\0" + struct.pack("!HHIH", 41, 1232, 0, len(opt))
            + opt)


def seeds():
    rng = random.Random(8764)
    out = {}
    for i in range(12):
        out["program_%02d" % i] = bytes(rng.randrange(256) for _ in range(64 + 64 * i))
    msgs = {
        "setup": llq_message(1, "a.example.", 1, 1, 0, 7200),
        "refresh": llq_message(2, "a.example.", 1, 2, 0x1122334455667788, 60),
        "ack": llq_message(3, "b.example.", 16, 3, 0x0102030405060708, 60, qr=True),
        "badvers": llq_message(4, "a.example.", 1, 1, 0, 7200, version=2),
    }
    for k, m in msgs.items():
        # The raw step's length comes from the end: the tail picks step 2 and the length.
        tail = bytes(rng.randrange(256) for _ in range(24))
        out["raw_" + k] = m + tail
    return out


def main():
    os.makedirs(DIR, exist_ok=True)
    for k, v in seeds().items():
        with open(os.path.join(DIR, k), "wb") as f:
            f.write(v)


if __name__ == "__main__":
    main()
