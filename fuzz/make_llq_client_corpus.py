#!/usr/bin/python3
"""Writes the seed corpus for fuzz_llq_client (no dependencies).

Run from anywhere: /usr/bin/python3 fuzz/make_llq_client_corpus.py

fuzz_llq_client reads a byte program front to back: an op byte (op % 8: 0 raw datagram,
1-2 answer the outstanding request, 3 event, 4 resend the last event, 5 time passes,
6 full answer, 7 stop), then its arguments. The seeds walk the handshake, events, resends,
a refresh and a cancel, each ERROR-CODE, a truncated ACK and retransmission timeouts, plus
programs from a fixed random seed.
"""

import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
DIR = os.path.join(HERE, "corpus", "llq_client")

OK = 6  # an answer "how" byte that takes none of the fuzzer's detours: the right answer
CHALLENGE = [1, OK, 0]
ACK = [1, OK, 2, 0x00, 1, 0x04, 1]  # 192.0.2.1 and .2, TTL 100


def seeds():
    out = {}
    happy = (CHALLENGE + ACK
             + [3, 0x12, 0x34, 1, 1, 0x08, 2]     # event: add 192.0.2.3
             + [4]                                # resent
             + [3, 0x12, 0x35, 1, 1, 0x00, 210]   # event: remove 192.0.2.1
             + [5, 175]                           # 48 min: the refresh
             + [1, OK, 0]                         # its answer
             + [7, 0])                            # stop: the cancel
    out["happy"] = bytes(happy)
    for err in range(1, 8):
        out["setup_error_%d" % err] = bytes([1, 5, err, 0, 5, 100, 1, OK, 0])
        out["ack_error_%d" % err] = bytes(CHALLENGE + [1, 5, err, 0, 5, 100, 1, OK, 0])
    out["truncated"] = bytes(CHALLENGE + [1, 4, 0] + [6, 2, 0x00, 1, 0x04, 1])
    out["timeouts"] = bytes([5, 20] * 12)
    out["refresh_lost"] = bytes(CHALLENGE + ACK + [5, 175] + [5, 60] * 10 + CHALLENGE + ACK)
    rng = random.Random(8764)
    for i in range(8):
        out["program_%02d" % i] = bytes(rng.randrange(256) for _ in range(48 + 48 * i))
    return out


def main():
    os.makedirs(DIR, exist_ok=True)
    for name, data in seeds().items():
        with open(os.path.join(DIR, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
