"""SLOW (about 90 s: a build of its own). The Debian package: built from the tree with CPack (prefix /usr), installed on this machine
with dpkg, every file in place and working, then purged without a trace."""
import grp
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import chairtest  # noqa: E402

PACKAGE = "massagechaird"
FILES = ["/usr/sbin/massagechaird", "/usr/share/doc/massagechaird/examples/reference-chair.conf", "/usr/bin/chairctl", "/lib/systemd/system/massagechaird.service",
         "/usr/lib/sysusers.d/massagechair.conf", "/usr/lib/tmpfiles.d/massagechair.conf",
         "/lib/udev/rules.d/60-massagechair.rules", "/usr/share/dbus-1/system.d/org.massagechair.Chair1.conf",
         "/usr/share/dbus-1/system-services/org.massagechair.Chair1.service",
         "/usr/share/dbus-1/interfaces/org.massagechair.Chair1.xml", "/usr/share/man/man8/massagechaird.8",
         "/usr/share/man/man1/chairctl.1", "/usr/share/man/man5/chair.conf.5",
         "/usr/share/massagechair/profiles/swedish.ini", "/usr/share/bash-completion/completions/chairctl",
         "/usr/bin/chairsim", "/usr/share/man/man1/chairsim.1", "/usr/share/man/man5/massagechair-profile.5"]


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
        run("cmake", "-S", chairtest.SOURCE_DIR, "-B", build, "-DCMAKE_INSTALL_PREFIX=/usr", "-DBUILD_TESTING=OFF",
            "-DCMAKE_BUILD_TYPE=Release")  # no debug info: faster, and what a package ships
        run("cmake", "--build", build, "-j2")
        run("cpack", "-G", "DEB", cwd=build)
        debs = [f for f in os.listdir(build) if f.endswith(".deb")]
        assert len(debs) == 1, debs
        yield os.path.join(build, debs[0])
    finally:
        if installed():
            subprocess.run(["dpkg", "--purge", PACKAGE], capture_output=True, timeout=120)
        shutil.rmtree(work, ignore_errors=True)


# SLOW: about a minute on an idle machine (a Release build of its own); bounded here.
@pytest.mark.timeout(170)
def test_install_and_purge(package):
    info = run("dpkg-deb", "--info", package).stdout
    assert "Package: massagechaird" in info and "libsystemd0" in info
    run("dpkg", "-i", package, timeout=120)
    assert installed()
    for f in FILES:
        assert os.path.exists(f), f
    assert run("/usr/sbin/massagechaird", "--version").stdout.startswith("massagechaird ")
    assert "chairctl" in run("/usr/bin/chairctl", "--help").stdout
    # The installed unit, with the package's real paths, verifies.
    r = subprocess.run(["systemd-analyze", "verify", "--man=no", "/lib/systemd/system/massagechaird.service"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    with open("/lib/systemd/system/massagechaird.service") as f:
        # The daemon itself handles a missing map (see systemd/massagechaird.service.in).
        assert re.search(r"^ExecStart=/usr/sbin/massagechaird$", f.read(), re.M)
    # The maintainer scripts made the daemon's user and directories.
    if shutil.which("systemd-sysusers"):
        assert run("getent", "passwd", "massagechair").stdout
        members = run("getent", "group", "gpio").stdout.strip().split(":")[3].split(",")
        assert "massagechair" in members
        assert os.path.isdir("/var/lib/massagechair")
        st = os.stat("/etc/massagechair/profiles.d")
        assert oct(st.st_mode & 0o7777) == "0o2775" and st.st_uid == pwd.getpwnam("massagechair").pw_uid \
            and st.st_gid == grp.getgrnam("chairtech").gr_gid
    run("dpkg", "--purge", PACKAGE, timeout=120)
    assert not installed()
    for f in FILES:
        assert not os.path.exists(f), f"{f} left behind"
    assert not os.path.exists("/var/lib/massagechair")
