#!/usr/bin/python3
"""bench/send_floor, the kernel floor of a fan-out quoted in BENCHMARKS.md: every round
must deliver every byte to the reader process (or the tool fails), both ways of writing
(send(2) and io_uring batches) must report, and the per-send figures must be consistent
with the round's times. Small N: this checks the tool, not the machine."""

import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

SEND_FLOOR = os.path.join(harness.BIN, "send_floor")
LINE = re.compile(r"^mode=(send|uring) n=(\d+) size=(\d+) round=(\d+) write_ms=([\d.]+) "
                  r"per_send_us=([\d.]+) writer_cpu_ms=([\d.]+) all_read_ms=([\d.]+) "
                  r"reader_cpu_ms=([\d.]+)$")


def setUpModule():
    if not os.access(SEND_FLOOR, os.X_OK):
        raise RuntimeError("%s not found: build first, or set DNSPUSH_BIN" % SEND_FLOOR)


def run(*args):
    return subprocess.run([SEND_FLOOR, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=120)


class SendFloorTest(unittest.TestCase):
    def test_both_modes_deliver_every_round(self):
        r = run("-n", "200", "--size", "100", "--rounds", "3", "--batch", "32")
        self.assertEqual(r.returncode, 0, r.stderr)
        rounds = [LINE.match(l) for l in r.stdout.splitlines() if l.startswith("mode=")]
        self.assertTrue(all(rounds), r.stdout)
        modes = [m.group(1) for m in rounds]
        self.assertEqual(modes.count("send"), 3)
        if "io_uring unavailable" not in r.stderr:
            self.assertEqual(modes.count("uring"), 3)
        for m in rounds:
            n, write_ms, per_send = int(m.group(2)), float(m.group(5)), float(m.group(6))
            self.assertEqual(n, 200)
            self.assertGreater(write_ms, 0)
            self.assertAlmostEqual(per_send, write_ms * 1000 / n, delta=0.01 + per_send * 0.01)
            # The reader has everything only after the last write began.
            self.assertGreater(float(m.group(8)), 0)
        medians = [l for l in r.stdout.splitlines() if l.startswith("median ")]
        self.assertEqual(len(medians), len(set(modes)))

    def test_one_mode_and_large_writes(self):
        r = run("-n", "20", "--size", "16384", "--rounds", "2", "--mode", "send")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("median mode=send n=20 size=16384 rounds=2", r.stdout)
        self.assertNotIn("mode=uring", r.stdout)

    def test_bad_arguments_are_refused(self):
        for args in (["-n", "0"], ["--mode", "writev"], ["--size", "0"], ["-n", "20000"]):
            r = run(*args)
            self.assertNotEqual(r.returncode, 0, args)


if __name__ == "__main__":
    unittest.main()
