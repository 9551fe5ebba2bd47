"""The Debian package: built from the tree with CPack (prefix /usr), installed on this machine
with dpkg, every file in place and working, then purged without a trace."""
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import chairtest  # noqa: E402

PACKAGE = "massagechaird"
FILES = ["/usr/sbin/massagechaird", "/usr/bin/chairctl", "/lib/systemd/system/massagechaird.service",
         "/usr/lib/sysusers.d/massagechair.conf", "/usr/lib/tmpfiles.d/massagechair.conf",
         "/lib/udev/rules.d/60-massagechair.rules", "/usr/share/dbus-1/system.d/org.massagechair.Chair1.conf",
         "/usr/share/dbus-1/system-services/org.massagechair.Chair1.service",
         "/usr/share/dbus-1/interfaces/org.massagechair.Chair1.xml", "/usr/share/man/man8/massagechaird.8",
         "/usr/share/man/man1/chairctl.1", "/usr/share/man/man5/chair.conf.5",
         "/usr/share/massagechair/profiles/swedish.ini", "/usr/share/bash-completion/completions/chairctl"]


def run(*argv, timeout=300, **kw):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    assert r.returncode == 0, f"{' '.join(argv)}: {r.stdout[-2000:]} {r.stderr[-2000:]}"
    return r


def installed():
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", PACKAGE], capture_output=True, text=True)
    return "install ok installed" in r.stdout


@pytest.fixture
def package():
    if installed():
        pytest.skip("massagechaird is installed on this machine already; not touching it")
    work = tempfile.mkdtemp(prefix="mcd-deb-")
    build = os.path.join(work, "build")
    try:
        run("cmake", "-S", chairtest.SOURCE_DIR, "-B", build, "-DCMAKE_INSTALL_PREFIX=/usr", "-DBUILD_TESTING=OFF")
        run("cmake", "--build", build, "-j2", "--target", "massagechaird", "chairctl")
        run("cpack", "-G", "DEB", cwd=build)
        debs = [f for f in os.listdir(build) if f.endswith(".deb")]
        assert len(debs) == 1, debs
        yield os.path.join(build, debs[0])
    finally:
        if installed():
            subprocess.run(["dpkg", "--purge", PACKAGE], capture_output=True, timeout=120)
        shutil.rmtree(work, ignore_errors=True)


def test_install_and_purge(package):
    info = run("dpkg-deb", "--info", package).stdout
    assert "Package: massagechaird" in info and "libsystemd0" in info
    run("dpkg", "-i", package, timeout=120)
    assert installed()
    for f in FILES:
        assert os.path.exists(f), f
    assert run("/usr/sbin/massagechaird", "--version").stdout.startswith("massagechaird ")
    assert "chairctl" in run("/usr/bin/chairctl", "--help").stdout
    # The maintainer scripts made the daemon's user and directories.
    if shutil.which("systemd-sysusers"):
        assert run("getent", "passwd", "massagechair").stdout
        assert os.path.isdir("/var/lib/massagechair")
    run("dpkg", "--purge", PACKAGE, timeout=120)
    assert not installed()
    for f in FILES:
        assert not os.path.exists(f), f"{f} left behind"
    assert not os.path.exists("/var/lib/massagechair")
