#!/usr/bin/python3
"""Every described RR type through signed UPDATEs (RFC 2136 + RFC 8945), with RDATA that
BIND and Knot both parse (NOERROR, stored, served exactly as dig prints it) and RDATA one of
them refuses (FORMERR, nothing of the UPDATE stored). Afterwards `dig AXFR` and `kdig AXFR`
must read the whole zone: no "malformed", every record, the final SOA. This is the attack
the strict RDATA checks close: one client with a valid key storing a record that breaks
every secondary and every subscriber.

The vectors are the ones in tests/unit/wire/rdata_types_test.cpp (one list for both)."""

import base64
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import update_helpers as uh  # noqa: E402

import dns.message  # noqa: E402
import dns.name  # noqa: E402
import dns.query  # noqa: E402
import dns.rcode  # noqa: E402
import dns.rdata  # noqa: E402
import dns.rdataclass  # noqa: E402
import dns.rdatatype  # noqa: E402
import dns.tsig  # noqa: E402
import dns.update  # noqa: E402

VECTORS = os.path.join(harness.SRC, "tests", "unit", "wire", "rdata_types_test.cpp")
TIMEOUT = 5.0

# Type mnemonics as the C++ enum spells them -> code points (from src/wire/types.hpp).
TYPES_HPP = os.path.join(harness.SRC, "src", "wire", "types.hpp")

# Not addable through UPDATE whatever their RDATA: meta (RFC 6895 §3.1), obsolete
# (RFC 1123 §6.1.3.6), and the SOA (a second one is ignored, RFC 2136 §3.4.2.2).
NOT_ADDABLE = {"TKEY", "TSIG", "MD", "MF", "SOA"}


def _c_string(s):
    return re.sub(r"\\(.)", r"\1", s)


def load_vectors():
    """(valid, invalid): lists of (mnemonic, code, rdata bytes, text or reason)."""
    codes = {}
    with open(TYPES_HPP) as f:
        for name, value in re.findall(r"^\s+(\w+) = (\d+),", f.read(), re.M):
            codes[name] = int(value)
    with open(VECTORS) as f:
        src = f.read()
    valid_src = src[src.index("const Valid kValid[]"):src.index("const Invalid kInvalid[]")]
    invalid_src = src[src.index("const Invalid kInvalid[]"):src.index("// clang-format on")]
    # {RRType::X, "hex" ["hex"...], "text"}: adjacent literals are concatenated, as in C++.
    entry = re.compile(r'\{RRType::(\w+),\s*((?:"[0-9A-F]*"\s*)+),\s*"((?:[^"\\]|\\.)*)"\}')

    def parse(text):
        out = []
        for name, hexes, tail in entry.findall(text):
            hexstr = "".join(re.findall(r'"([0-9A-F]*)"', hexes))
            out.append((name, codes[name], bytes.fromhex(hexstr), _c_string(tail)))
        return out

    return parse(valid_src), parse(invalid_src)


def mnemonic(name):
    return {"NULL_": "NULL", "NSAP_PTR": "NSAP-PTR"}.get(name, name)


@unittest.skipUnless(uh.have_tools("dig", "kdig"), "needs dig and kdig")
class RdataUpdateTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.valid, cls.invalid = load_vectors()
        cls.server = uh.UpdateServer(log_level="info").start()
        cls.port = cls.server.port
        cls.zone = dns.name.from_text(harness.ORIGIN)

    @classmethod
    def tearDownClass(cls):
        rc = cls.server.stop()
        if rc != 0:
            raise AssertionError("server exited with %s:\n%s" % (rc, cls.server.log()[-4000:]))

    def send(self, adds, ttl=300):
        """One signed UPDATE adding (owner, type code, rdata bytes) records; the RCODE."""
        upd = dns.update.UpdateMessage(self.zone, keyring=uh.keyring(),
                                       keyname=dns.name.from_text(uh.KEY_NAME),
                                       keyalgorithm=dns.tsig.HMAC_SHA256)
        for owner, code, rdata in adds:
            rd = dns.rdata.GenericRdata(dns.rdataclass.IN, code, rdata)
            upd.add(dns.name.from_text(owner, self.zone), ttl, rd)
        r = dns.query.tcp(upd, "127.0.0.1", port=self.port, timeout=TIMEOUT)
        return r.rcode()

    def axfr(self):
        r = harness.run(["dig", "@127.0.0.1", "-p", str(self.port), "+tcp", "+time=5",
                         "+tries=1", "+nocomments", "+nostats", "+noquestion", "AXFR",
                         harness.ORIGIN], timeout=30)
        return r

    def kdig_axfr(self):
        return harness.run(["kdig", "@127.0.0.1", "-p", str(self.port), "+time=5", "+retry=0",
                            "AXFR", harness.ORIGIN], timeout=30)

    def test_every_type(self):
        # 1. Valid RDATA: one UPDATE per type, all of its vectors at their own owners.
        expected = {}  # owner -> (mnemonic, text)
        by_type = {}
        for i, (name, code, rdata, text) in enumerate(self.valid):
            if name in NOT_ADDABLE:
                continue
            owner = "v%d-%s" % (i, mnemonic(name).lower())
            if name == "NSEC3":  # RFC 5155 §3: its owner is a base32hex hash
                owner = base64.b32hexencode(bytes([i]) * 20).decode().lower()
            by_type.setdefault(name, []).append((owner, code, rdata))
            expected[owner + "." + harness.ORIGIN + "."] = (mnemonic(name), text)
        for name, adds in sorted(by_type.items()):
            rcode = self.send(adds)
            self.assertEqual(dns.rcode.to_text(rcode), "NOERROR", name)

        # 2. Invalid RDATA: FORMERR, and the valid record sent with it is not stored either
        #    (RFC 2136 §3.4.1: the prescan comes before any change).
        refused = []
        for i, (name, code, rdata, why) in enumerate(self.invalid):
            if name in NOT_ADDABLE:
                continue
            owner = "bad%d-%s" % (i, mnemonic(name).lower())
            rcode = self.send([("witness-" + owner, 1, bytes([192, 0, 2, 1])),
                               (owner, code, rdata)])
            self.assertEqual(dns.rcode.to_text(rcode), "FORMERR",
                             "%s %s (%s)" % (name, rdata.hex(), why))
            refused.append(owner)

        # 3. dig reads the whole zone and prints every stored record as BIND prints it.
        r = self.axfr()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("malformed", (r.stdout + r.stderr).lower())
        lines = [l for l in r.stdout.splitlines() if l and not l.startswith(";")]
        self.assertGreater(len(lines), len(expected))
        self.assertTrue(len(lines[0].split()) > 3, r.stdout[:300] + r.stdout[-1500:])
        self.assertTrue(lines[0].split()[3] == "SOA" and lines[-1].split()[3] == "SOA",
                        "AXFR must start and end with the SOA:\n" + r.stdout[-2000:])
        seen = {}
        for line in lines:
            owner, _ttl, _cls, rtype, text = (line.split(None, 4) + [""])[:5]
            seen.setdefault(owner.lower(), []).append((rtype, text))
        for owner, (rtype, text) in expected.items():
            self.assertIn((rtype, text), seen.get(owner.lower(), []), owner)
        for owner in refused:
            self.assertNotIn(owner + "." + harness.ORIGIN + ".", seen)
            self.assertNotIn("witness-" + owner + "." + harness.ORIGIN + ".", seen)

        # 4. kdig reads and prints the same zone: as many records, no error.
        k = self.kdig_axfr()
        self.assertEqual(k.returncode, 0, k.stdout + k.stderr)
        for bad in ("malformed", "failed", "error", "can't"):
            self.assertNotIn(bad, (k.stdout + k.stderr).lower(), k.stdout[-2000:] + k.stderr)
        klines = [l for l in k.stdout.splitlines() if l and not l.startswith(";")]
        self.assertEqual(len(klines), len(lines), "kdig and dig disagree on the record count")

        # 5. Each record also answers a plain query over UDP and TCP (dig parses it).
        for owner, (rtype, text) in list(expected.items())[::7]:
            for opt in ("+notcp", "+tcp"):
                a = self.server.dig(owner, rtype, opt)
                self.assertEqual(a.status, "NOERROR", owner)
                if rtype != "NS":  # an NS below the apex is a delegation (a referral)
                    self.assertIn(text, a.rdatas("ANSWER", rtype, owner), owner)

    def test_reserved_meta_and_obsolete_types_are_formerr(self):
        for code in (0, 65535, 41, 249, 250, 251, 252, 253, 254, 255, 128, 3, 4):
            rcode = self.send([("typed%d" % code, code, b"\x00")])
            self.assertEqual(dns.rcode.to_text(rcode), "FORMERR", "TYPE%d" % code)
        a = self.server.dig("typed3." + harness.ORIGIN, "MD")
        self.assertEqual(a.rdatas("ANSWER"), [])

    def test_ttl_above_max_is_zero(self):
        # RFC 2181 §8: "treat ... as if the entire value received was zero".
        self.assertEqual(dns.rcode.to_text(self.send([("bigttl", 1, bytes([192, 0, 2, 77]))],
                                                     ttl=2147483648)), "NOERROR")
        a = self.server.dig("bigttl." + harness.ORIGIN, "A")
        self.assertEqual([(r[1], r[4]) for r in a.answer], [(0, "192.0.2.77")])


if __name__ == "__main__":
    harness.main()
