#!/usr/bin/python3
"""Watch DNS names change live over DNS Push (RFC 8765), with the hand-built DSO client the
integration tests use (tests/integration/dso_client.py). A stop-gap until `dnspush watch`
(the client issue) exists.

    scripts/push-watch.py [--port 8530] [--tcp] NAME TYPE [NAME TYPE ...]

Prints the current records, then every change as it arrives: "+" add (with its TTL), "-"
removal, "-*" a whole RRset or name removed. Ctrl-C to stop."""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
import dso_client as dc  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--server", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8530)
    p.add_argument("--tcp", action="store_true", help="plain TCP (needs [push] dso-on-tcp)")
    p.add_argument("args", nargs="+", metavar="NAME TYPE")
    a = p.parse_args()
    if len(a.args) % 2:
        p.error("names and types come in pairs")
    c = dc.DsoClient(a.port, use_tls=not a.tcp, host=a.server)
    for name, rtype in zip(a.args[::2], a.args[1::2]):
        _, r = c.subscribe(name, rtype.upper())
        print("; SUBSCRIBE %s %s: rcode %d" % (name, rtype.upper(), r["rcode"]), flush=True)
    try:
        while True:
            for rec in c.pushes(timeout=3600):
                print(time.strftime("%H:%M:%S"), rec.text(), flush=True)
    except (KeyboardInterrupt, EOFError) as e:
        if isinstance(e, EOFError):
            print("; the server closed the session", file=sys.stderr)
    finally:
        c.close()


if __name__ == "__main__":
    main()
