#!/usr/bin/python3
"""Writes the seed corpora for fuzz_message and fuzz_name with dnspython, and for
fuzz_rdata_roundtrip and fuzz_rdata_text from the RDATA vectors of
tests/unit/wire/rdata_types_test.cpp.

Run from anywhere: /usr/bin/python3 fuzz/make_corpus.py
The messages are real wire messages: queries, answers with compressed names, DNSSEC
records, EDNS options, UPDATE, NOTIFY and a TSIG-signed query.
"""

import os
import re
import struct

import dns.edns
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.tsigkeyring
import dns.update

HERE = os.path.dirname(os.path.abspath(__file__))
MESSAGE_DIR = os.path.join(HERE, "corpus", "message")
NAME_DIR = os.path.join(HERE, "corpus", "name")
RDATA_DIR = os.path.join(HERE, "corpus", "rdata_roundtrip")
RDATA_TEXT_DIR = os.path.join(HERE, "corpus", "rdata_text")
SRC = os.path.dirname(HERE)


def answer(qname, qtype, records, authority=(), additional=(), **kwargs):
    q = dns.message.make_query(qname, qtype, **kwargs)
    r = dns.message.make_response(q)
    r.flags |= dns.flags.AA
    for section, rows in ((r.answer, records), (r.authority, authority),
                          (r.additional, additional)):
        for name, ttl, rtype, text in rows:
            rrset = dns.rrset.from_text(name, ttl, "IN", rtype, text)
            section.append(rrset)
    return r


def messages():
    out = {}
    q = dns.message.make_query("www.example.com.", "A", use_edns=False, id=1)
    out["query_a"] = q.to_wire()
    q = dns.message.make_query("example.com.", "AAAA", use_edns=0, want_dnssec=True, id=2,
                               options=[dns.edns.GenericOption(10, b"\x01" * 8),
                                        dns.edns.GenericOption(11, b""),
                                        dns.edns.GenericOption(12, b"\x00" * 16)])
    out["query_edns_options"] = q.to_wire()
    out["answer_soa_mx"] = answer(
        "example.com.", "MX",
        [("example.com.", 300, "MX", "10 mail.example.com."),
         ("example.com.", 300, "MX", "20 Mail2.EXAMPLE.com.")],
        authority=[("example.com.", 3600, "SOA",
                    "ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300")],
        additional=[("mail.example.com.", 300, "A", "192.0.2.25"),
                    ("mail2.example.com.", 300, "AAAA", "2001:db8::25")]).to_wire()
    out["answer_srv_txt"] = answer(
        "_ipp._tcp.example.com.", "PTR",
        [("_ipp._tcp.example.com.", 120, "PTR", "Printer\\ One._ipp._tcp.example.com.")],
        additional=[("Printer\\ One._ipp._tcp.example.com.", 120, "SRV",
                     "0 0 631 printer.example.com."),
                    ("Printer\\ One._ipp._tcp.example.com.", 120, "TXT",
                     '"txtvers=1" "rp=ipp/print" "note=caf\\195\\169" ""')]).to_wire()
    out["answer_dnssec"] = answer(
        "example.com.", "DNSKEY",
        [("example.com.", 3600, "DNSKEY",
          "257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+"
          "KkxLbxILfDLUT0rAK9iUzy1L53eKGQ=="),
         ("example.com.", 3600, "RRSIG",
          "DNSKEY 13 2 3600 20240101000000 20231201000000 12345 example.com. "
          "oJB1W6WNGv+ldvQ3WDG0MQkg5IEhjRip8WTrPYGv07h108dUKGMeDPKijVCHX3DDKdfb+v6oB9wfuh3DT"
          "JXUAfI/M0zmO/zz8bW0Rznl8O3tGNazPwQKkRN20XPXV6nwwfoXmJQbsLNrLfkGJ5D6fwFm8nN+6pBz"
          "eDQfsS3Ap3o=")],
        authority=[("example.com.", 3600, "NSEC", "a.example.com. A NS SOA MX RRSIG NSEC DNSKEY"),
                   ("example.com.", 3600, "DS",
                    "370 13 2 BE74359954660069D5C63D200C39F5603827D7DD02B56F120EE9F3A86764247C")],
        want_dnssec=True).to_wire()
    out["answer_nsec3"] = answer(
        "nx.example.com.", "A", [],
        authority=[("example.com.", 300, "SOA",
                    "ns1.example.com. hostmaster.example.com. 1 2 3 4 5"),
                   ("2VPTU5TIMAMQTTGL4LUU9KG21E0AOR3S.example.com.", 300, "NSEC3",
                    "1 1 10 AABB 2VPTU5TIMAMQTTGL4LUU9KG21E0AOR3T A RRSIG"),
                   ("example.com.", 300, "NSEC3PARAM", "1 0 10 AABB")],
        want_dnssec=True).to_wire()
    out["answer_https_caa"] = answer(
        "example.com.", "HTTPS",
        [("example.com.", 300, "HTTPS",
          '1 . alpn="h2,h3" port=8443 ipv4hint=192.0.2.1 ech=AAAA ipv6hint=2001:db8::1'),
         ("svc.example.com.", 300, "SVCB", "0 pool.svc.example.com."),
         ("example.com.", 300, "CAA", '0 issue "letsencrypt.org"'),
         ("_443._tcp.example.com.", 300, "TLSA",
          "3 1 1 0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20")]).to_wire()
    out["answer_misc"] = answer(
        "misc.example.com.", "ANY",
        [("misc.example.com.", 60, "NAPTR",
          '100 10 "S" "SIP+D2U" "" _sip._udp.example.com.'),
         ("misc.example.com.", 60, "HINFO", '"PC" "Linux"'),
         ("misc.example.com.", 60, "RP", "admin.example.com. txt.example.com."),
         ("misc.example.com.", 60, "AFSDB", "1 afs.example.com."),
         ("misc.example.com.", 60, "KX", "10 kx.example.com."),
         ("misc.example.com.", 60, "TYPE65280", "\\# 3 abcdef"),
         ("alias.example.com.", 60, "DNAME", "target.example.com."),
         ("www.example.com.", 60, "CNAME", "misc.example.com.")]).to_wire()
    u = dns.update.UpdateMessage("example.com.", id=77)
    u.add("new.example.com.", 300, "A", "192.0.2.7")
    u.delete("old.example.com.", "A")
    u.delete("gone.example.com.")
    u.present("example.com.", "SOA")
    out["update"] = u.to_wire()
    n = dns.message.make_query("example.com.", "SOA", use_edns=False, id=99)
    n.set_opcode(dns.opcode.NOTIFY)
    n.flags |= dns.flags.AA
    out["notify"] = n.to_wire()
    keyring = dns.tsigkeyring.from_text({"key.example.": ("hmac-sha256", "c2VjcmV0c2VjcmV0c2VjcmV0")})
    s = dns.message.make_query("example.com.", "SOA", id=5)
    s.use_tsig(keyring, keyname="key.example.", algorithm="hmac-sha256")
    out["query_tsig"] = s.to_wire()
    r = dns.message.make_response(dns.message.make_query("x.example.com.", "A", use_edns=0))
    r.set_rcode(dns.rcode.BADVERS)
    out["response_badvers"] = r.to_wire()
    return out


NAMES = [
    b"example.com.", b"www.example.com", b".", b"@", b"a\\.b.example.", b"\\065\\000x.",
    b"*.wild.example.", b"_ipp._tcp.local.", b"Printer\\ One._ipp._tcp.local.",
    b"a" * 63 + b".b" * 10 + b".", b"xn--caf-dma.example.", b"\\\\.\\\"quoted\\\".",
]


def rdata_vectors():
    """(name, input) for every valid and invalid vector: a 16-bit type code, then RDATA."""
    with open(os.path.join(SRC, "src", "wire", "types.hpp")) as f:
        codes = dict((n, int(v)) for n, v in re.findall(r"^\s+(\w+) = (\d+),", f.read(), re.M))
    with open(os.path.join(SRC, "tests", "unit", "wire", "rdata_types_test.cpp")) as f:
        src = f.read()
    body = src[src.index("const Valid kValid[]"):src.index("// clang-format on")]
    out = []
    for i, (name, hexes) in enumerate(
            re.findall(r'\{RRType::(\w+),\s*((?:"[0-9A-F]*"\s*)+),', body)):
        rdata = bytes.fromhex("".join(re.findall(r'"([0-9A-F]*)"', hexes)))
        out.append(("%s_%03d" % (name.lower().rstrip("_"), i),
                    struct.pack("!H", codes[name]) + rdata))
    return out


def rdata_texts():
    """(name, input) for fuzz_rdata_text: a 16-bit type code, then each valid vector's text
    as dig prints it."""
    with open(os.path.join(SRC, "src", "wire", "types.hpp")) as f:
        codes = dict((n, int(v)) for n, v in re.findall(r"^\s+(\w+) = (\d+),", f.read(), re.M))
    with open(os.path.join(SRC, "tests", "unit", "wire", "rdata_types_test.cpp")) as f:
        src = f.read()
    body = src[src.index("const Valid kValid[]"):src.index("const Invalid kInvalid[]")]
    out = []
    vectors = re.findall(
        r'\{RRType::(\w+),\s*(?:"[0-9A-F]*"\s*)+,\s*((?:"(?:[^"\\]|\\.)*"\s*)+)\}', body)
    for i, (name, texts) in enumerate(vectors):
        pieces = re.findall(r'"((?:[^"\\]|\\.)*)"', texts)
        text = re.sub(r"\\(.)", r"\1", "".join(pieces))
        out.append(("%s_%03d" % (name.lower().rstrip("_"), i),
                    struct.pack("!H", codes[name]) + text.encode("latin-1")))
    return out


def main():
    os.makedirs(RDATA_TEXT_DIR, exist_ok=True)
    for name, data in rdata_texts():
        with open(os.path.join(RDATA_TEXT_DIR, name), "wb") as f:
            f.write(data)
    os.makedirs(RDATA_DIR, exist_ok=True)
    for name, data in rdata_vectors():
        with open(os.path.join(RDATA_DIR, name), "wb") as f:
            f.write(data)
    os.makedirs(MESSAGE_DIR, exist_ok=True)
    os.makedirs(NAME_DIR, exist_ok=True)
    for name, wire in sorted(messages().items()):
        with open(os.path.join(MESSAGE_DIR, name + ".bin"), "wb") as f:
            f.write(wire)
    for i, text in enumerate(NAMES):
        with open(os.path.join(NAME_DIR, "text_%02d" % i), "wb") as f:
            f.write(text)
        try:
            wire = dns.name.from_text(text.decode("latin-1")).to_wire()
        except Exception:  # "@" is not a name to dnspython
            continue
        with open(os.path.join(NAME_DIR, "wire_%02d" % i), "wb") as f:
            f.write(wire)


if __name__ == "__main__":
    main()
