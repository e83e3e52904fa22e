#!/usr/bin/python3
"""The installed tree and the Debian package: `cpack -G DEB` on the build directory the
tests run from (no rebuild), then either `dpkg -i` into this system (as root when CI=true
or DNSPUSH_TEST_DPKG_INSTALL=1: the maintainer script creates the dnspushd user and
/var/lib/dnspushd) or `dpkg -x` into a scratch root. Either way the installed dnspushd is
started with the installed example configuration (moved to a free loopback port), answers
dig, is stopped by its PID; the package is removed and purged again. The unit passes
`systemd-analyze verify` against the installed binary and man pages, and every man page
renders without a warning (`man --warnings`)."""

import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

BUILD = os.path.dirname(harness.BIN)
PACKAGE = "dnspushd"
MAN_PAGES = ["usr/share/man/man1/dnspush.1", "usr/share/man/man5/dnspushd.toml.5",
             "usr/share/man/man8/dnspushd.8", "usr/share/man/man8/dnspushctl.8"]
UNIT = "usr/lib/systemd/system/dnspushd.service"


def sanitized_build():
    try:
        with open(os.path.join(BUILD, "CMakeCache.txt")) as f:
            return re.search(r"^DNSPUSH_SANITIZE:BOOL=ON$", f.read(), re.M) is not None
    except OSError:
        return False


def real_install_allowed():
    return os.geteuid() == 0 and (os.environ.get("CI") == "true"
                                  or os.environ.get("DNSPUSH_TEST_DPKG_INSTALL") == "1")


def installed(pkg):
    r = harness.run(["dpkg-query", "-W", "-f=${Status}", pkg])
    return r.returncode == 0 and "install ok installed" in r.stdout


@unittest.skipIf(shutil.which("cpack") is None or shutil.which("dpkg-deb") is None,
                 "needs cpack (cmake) and dpkg-deb")
@unittest.skipIf(sanitized_build(), "the package is built from the regular build directory")
@unittest.skipUnless(os.path.exists(os.path.join(BUILD, "CPackConfig.cmake")),
                     "no CPackConfig.cmake in %s" % BUILD)
class PackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="dnspush-deb-")
        os.chmod(cls.dir, 0o755)  # the scratch-root server runs as nobody
        r = harness.run(["cpack", "-G", "DEB", "-B", cls.dir], timeout=300, cwd=BUILD)
        if r.returncode != 0:
            raise AssertionError("cpack failed:\n" + r.stdout + r.stderr)
        debs = [f for f in os.listdir(cls.dir) if f.endswith(".deb")]
        assert len(debs) == 1, debs
        cls.deb = os.path.join(cls.dir, debs[0])
        cls.real = real_install_allowed() and not installed(PACKAGE)
        if cls.real:
            r = harness.run(["dpkg", "-i", cls.deb], timeout=120)
            if r.returncode != 0:
                raise AssertionError("dpkg -i failed:\n" + r.stdout + r.stderr)
            cls.root = "/"
        else:
            cls.root = os.path.join(cls.dir, "root")
            harness.run(["dpkg-deb", "-x", cls.deb, cls.root], check=True, timeout=120)

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.real:
                r = harness.run(["dpkg", "-r", PACKAGE], timeout=120)
                assert r.returncode == 0, r.stdout + r.stderr
                assert not os.path.exists("/usr/sbin/dnspushd")
                # dpkg -r keeps the conffiles; purge removes them and the state directory.
                assert os.path.exists("/etc/dnspushd/dnspushd.toml")
                r = harness.run(["dpkg", "--purge", PACKAGE], timeout=120)
                assert r.returncode == 0, r.stdout + r.stderr
                assert not os.path.exists("/etc/dnspushd/dnspushd.toml")
                assert not os.path.exists("/var/lib/dnspushd")
        finally:
            shutil.rmtree(cls.dir, ignore_errors=True)

    def path(self, rel):
        return os.path.join(self.root, rel)

    def test_control_fields_and_contents(self):
        info = harness.run(["dpkg-deb", "-f", self.deb], check=True).stdout
        self.assertIn("Package: dnspushd\n", info)
        self.assertRegex(info, r"Version: \d+\.\d+\.\d+\n")
        # dpkg-shlibdeps found the libraries the binaries link.
        for lib in ("libc6", "libssl3", "liblmdb0", "libzscanner"):
            self.assertRegex(info, r"Depends:.*\b%s" % lib)
        for rel in ("usr/sbin/dnspushd", "usr/bin/dnspush", "usr/bin/dnspushctl", UNIT,
                    "etc/dnspushd/dnspushd.toml", "etc/dnspushd/example.test.zone", *MAN_PAGES):
            self.assertTrue(os.path.exists(self.path(rel)), rel)
        listing = harness.run(["dpkg-deb", "-I", self.deb, "conffiles"], check=True).stdout
        self.assertEqual(listing.split(), ["/etc/dnspushd/dnspushd.toml",
                                           "/etc/dnspushd/example.test.zone"])

    def test_man_pages_render_without_warnings(self):
        for rel in MAN_PAGES:
            r = harness.run(["man", "--warnings", "-l", self.path(rel)],
                            env=dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8"))
            self.assertEqual(r.returncode, 0, rel + r.stderr)
            self.assertEqual(r.stderr.strip(), "", rel)
            self.assertIn("NAME", r.stdout)

    def test_unit_passes_systemd_analyze_verify(self):
        if shutil.which("systemd-analyze") is None:
            self.skipTest("systemd-analyze is missing (package systemd)")
        unit = self.path(UNIT)
        env = dict(os.environ)
        if not self.real:
            # The unit names /usr/sbin/dnspushd, which verify wants to exist: point it into
            # the scratch root, and let man find the pages there.
            vdir = os.path.join(self.dir, "verify")
            os.makedirs(vdir, exist_ok=True)
            with open(unit) as f:
                text = f.read().replace("/usr/sbin/dnspushd", self.path("usr/sbin/dnspushd"))
            unit = os.path.join(vdir, "dnspushd.service")
            with open(unit, "w") as f:
                f.write(text)
            env["MANPATH"] = self.path("usr/share/man")
        r = harness.run(["systemd-analyze", "verify", unit], env=env, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # verify prints, and exits 0 on, settings it ignores: none is allowed.
        self.assertEqual((r.stdout + r.stderr).strip(), "")
        with open(unit) as f:
            text = f.read()
        for line in ("Type=notify", "WatchdogSec=", "ExecReload=/bin/kill -HUP $MAINPID",
                     "ProtectSystem=strict", "NoNewPrivileges=yes",
                     "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
                     "AmbientCapabilities=CAP_NET_BIND_SERVICE", "StateDirectory=dnspushd",
                     "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
                     "SystemCallFilter=@system-service", "MemoryDenyWriteExecute=yes",
                     "User=dnspushd"):
            self.assertIn(line, text)

    def test_installed_server_answers(self):
        if self.real:
            user = pwd.getpwnam("dnspushd")  # made by postinst
            st = os.stat("/var/lib/dnspushd")
            self.assertEqual((st.st_uid, st.st_mode & 0o777), (user.pw_uid, 0o750))
        with open(self.path("etc/dnspushd/dnspushd.toml")) as f:
            text = f.read()
        port, tls_port = harness.free_port(), harness.free_port()
        text = text.replace('"127.0.0.1:53"', '"127.0.0.1:%d"' % port)
        text = text.replace('"127.0.0.1:853"', '"127.0.0.1:%d"' % tls_port)
        text = text.replace('file = "example.test.zone"',
                            'file = "%s"' % self.path("etc/dnspushd/example.test.zone"))
        self.assertIn('"127.0.0.1:%d"' % port, text)
        conf_dir = os.path.join(self.dir, "etc")
        os.makedirs(conf_dir, exist_ok=True)
        os.chmod(conf_dir, 0o755)
        if not self.real:
            # No dnspushd user outside a real installation: the state in the scratch
            # directory, and as root the drop goes to nobody instead.
            state = os.path.join(self.dir, "state")
            text = text.replace('"/var/lib/dnspushd"', '"%s"' % state)
            if os.geteuid() == 0:
                text = text.replace('user = "dnspushd"', 'user = "nobody"')
            else:
                text = re.sub(r'(?m)^user = .*$', "", text)
        config = os.path.join(conf_dir, "dnspushd.toml")
        with open(config, "w") as f:
            f.write(text)
        os.chmod(config, 0o644)

        server = harness.Server(tls=False)  # for its log, wait and stop; config is ours
        server.config = config
        server.port = port
        orig = harness.DNSPUSHD
        harness.DNSPUSHD = self.path("usr/sbin/dnspushd")
        try:
            server.start()
        finally:
            harness.DNSPUSHD = orig
        try:
            a = server.dig("www.example.test", "A")
            self.assertEqual(a.status, "NOERROR")
            self.assertEqual(a.rdatas("ANSWER", "A"), ["192.0.2.10", "192.0.2.11"])
            if os.geteuid() == 0:
                expect = "dnspushd" if self.real else "nobody"
                self.assertIn("running as user %s" % expect, server.log())
            ctl = harness.run([self.path("usr/bin/dnspushctl"), "-c", config, "status"])
            self.assertEqual(ctl.returncode, 0, ctl.stdout + ctl.stderr)
            self.assertIn("zone example.test.", ctl.stdout)
        finally:
            self.assertEqual(server.stop(), 0, server.log())


if __name__ == "__main__":
    harness.main()
