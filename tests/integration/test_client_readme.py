#!/usr/bin/python3
"""The README's two-terminal demo, as written: dnspushd from examples/dnspushd.toml (`make
run`), the README's `dnspush watch` command, then its `dnspush update` command; the update
must print NOERROR and the watch must print exactly the lines the README shows (without
their times). The commands and the expected lines are read from README.md itself; only the
ports, the state directory and the binaries' directory are changed to this run's."""

import os
import re
import shlex
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import client_helpers as ch  # noqa: E402
import harness  # noqa: E402


def readme_demo():
    """(watch command, update command, expected watch lines) from README.md's
    "Watch it change live" section."""
    with open(os.path.join(harness.SRC, "README.md")) as f:
        text = f.read()
    section = text[text.index("Watch it change live"):]
    blocks = re.findall(r"```(\w*)\n(.*?)```", section, re.S)
    commands = [b.strip() for lang, b in blocks if lang == "sh"]
    watch = next(c for c in commands if c.startswith("build/bin/dnspush watch"))
    update = next(c for c in commands if c.startswith("build/bin/dnspush update"))
    shown = next(b for lang, b in blocks if lang == "text")
    expected = [re.sub(r"^\S+ ", "", line) for line in shown.strip().splitlines()]
    return watch, update, expected


class ReadmeDemoTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="dnspush-readme-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.port, self.tls_port = harness.free_port(), harness.free_port()
        examples = os.path.join(harness.SRC, "examples")
        for f in ("dnspushd.toml", "example.test.zone"):
            shutil.copy(os.path.join(examples, f), self.dir)
        self.state = os.path.join(self.dir, "var", "dnspushd")
        conf = os.path.join(self.dir, "dnspushd.toml")
        with open(conf) as f:
            text = f.read()
        text = (text.replace("127.0.0.1:5300", "127.0.0.1:%d" % self.port)
                .replace("127.0.0.1:8530", "127.0.0.1:%d" % self.tls_port)
                .replace('"../var/dnspushd"', '"var/dnspushd"'))
        with open(conf, "w") as f:
            f.write(text)
        self.server = harness.Server(tls=True)  # only for its start/stop/log machinery
        self.server.config = conf
        self.server.port = self.port
        self.server.log_path = os.path.join(self.dir, "dnspushd.log")
        self.server.start()
        self.addCleanup(self.server.stop)

    def localize(self, command):
        """The README's command with this run's ports, state dir and binary."""
        return (command.replace("127.0.0.1:5300", "127.0.0.1:%d" % self.port)
                .replace("var/dnspushd/", self.state + "/")
                .replace("build/bin/dnspush", ch.DNSPUSH))

    def test_the_two_terminal_demo_as_written(self):
        watch_cmd, update_cmd, expected = readme_demo()
        w = ch.Watch(*shlex.split(self.localize(watch_cmd))[1:])
        self.addCleanup(w.stop)
        self.assertEqual([re.sub(r"^\S+ ", "", l) for l in w.take(1)], expected[:1], w.stderr())
        args = shlex.split(self.localize(update_cmd))
        r = harness.run(args, timeout=30)
        self.assertEqual((r.returncode, r.stdout.strip()), (0, "NOERROR"), r.stderr)
        got = [re.sub(r"^\S+ ", "", l) for l in w.take(len(expected) - 1)]
        self.assertEqual(got, expected[1:], w.stderr())
        self.assertEqual(w.quiet(0.5), [])


if __name__ == "__main__":
    harness.main()
