"""SLOW (about 90 s idle: a package build of its own). The Debian packages, built as the README
says (packaging/build-deb.sh: dpkg-buildpackage from a clean copy of the tree), lintian clean,
split and hardened as debian/ intends, installed on this machine with dpkg, every file in place
and working, then purged without a trace."""
import glob
import grp
import gzip
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import chairtest  # noqa: E402

SRC = chairtest.SOURCE_DIR
PACKAGES = ("massagechaird", "chairsim")
DOC = "/usr/share/doc/massagechaird"
BINARIES = {"massagechaird": ["/usr/sbin/massagechaird", "/usr/bin/chairctl"], "chairsim": ["/usr/bin/chairsim"]}
FILES = ["/usr/sbin/massagechaird", f"{DOC}/examples/reference-chair.conf", f"{DOC}/examples/chairsim.conf",
         "/usr/bin/chairctl", "/lib/systemd/system/massagechaird.service",
         "/usr/lib/sysusers.d/massagechair.conf", "/usr/lib/tmpfiles.d/massagechair.conf",
         "/lib/udev/rules.d/60-massagechair.rules", "/usr/share/dbus-1/system.d/org.massagechair.Chair1.conf",
         "/usr/share/dbus-1/system-services/org.massagechair.Chair1.service",
         "/usr/share/dbus-1/interfaces/org.massagechair.Chair1.xml",
         "/usr/share/dbus-1/interfaces/org.massagechair.Chair1.People.xml",
         "/usr/share/dbus-1/interfaces/org.massagechair.Chair1.Person.xml",
         "/usr/share/polkit-1/actions/org.massagechair.Chair1.policy",
         "/usr/share/polkit-1/rules.d/50-massagechair.rules", "/usr/share/man/man8/massagechaird.8.gz",
         "/usr/share/man/man1/chairctl.1.gz", "/usr/share/man/man5/chair.conf.5.gz",
         "/usr/share/man/man5/massagechair-profile.5.gz", "/usr/share/massagechair/profiles/swedish.ini",
         "/usr/share/bash-completion/completions/chairctl", "/usr/share/zsh/vendor-completions/_chairctl",
         f"{DOC}/copyright", f"{DOC}/changelog.gz", f"{DOC}/README.md",
         "/usr/bin/chairsim", "/usr/share/man/man1/chairsim.1.gz", "/usr/share/doc/chairsim/copyright"]
# A document a message or man page cites, as the tree names it.
CITED_DOC = re.compile(rb"docs/([a-z0-9-]+\.md)")


def run(*argv, timeout=300, **kw):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    assert r.returncode == 0, f"{' '.join(argv)}: {r.stdout[-2000:]} {r.stderr[-2000:]}"
    return r


def installed(package):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True)
    return "install ok installed" in r.stdout


def contents(deb):
    """The paths a .deb holds, without the leading '.'."""
    r = run("dpkg-deb", "-c", deb)
    return {line.split(None, 5)[5].split(" -> ")[0].lstrip(".").rstrip("/") or "/" for line in r.stdout.splitlines()}


def control_field(deb, field):
    return run("dpkg-deb", "-f", deb, field).stdout.strip()


@pytest.fixture(scope="module")
def debs():
    """Builds the packages once for the module: {package name: path of its .deb}, the .changes."""
    for tool in ("dpkg-buildpackage", "dh", "lintian"):
        assert shutil.which(tool), f"{tool} not installed (scripts/install-deps.sh installs it)"
    work = tempfile.mkdtemp(prefix="mcd-deb-test-")
    try:
        # Bounded: a Release-like build of its own (about a minute on an idle machine).
        run("bash", os.path.join(SRC, "packaging", "build-deb.sh"), work, timeout=420)
        found = {}
        for deb in glob.glob(os.path.join(work, "*.deb")):
            found[control_field(deb, "Package")] = deb
        changes = glob.glob(os.path.join(work, "*.changes"))
        assert len(changes) == 1, os.listdir(work)
        yield found, changes[0]
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.mark.timeout(540)
def test_lintian_clean(debs):
    found, changes = debs
    assert set(found) == {"massagechaird", "chairsim", "massagechaird-dbgsym", "chairsim-dbgsym"}, found
    r = subprocess.run(["lintian", "--no-tag-display-limit", changes], capture_output=True, text=True, timeout=300)
    complaints = [line for line in r.stdout.splitlines() if re.match(r"^[EW]: ", line)]
    assert not complaints and r.returncode == 0, r.stdout + r.stderr
    # An override must say why (the brief: overrides only with a written reason).
    for path in glob.glob(os.path.join(SRC, "debian", "*lintian-overrides")):
        lines = [line.strip() for line in open(path) if line.strip()]
        for i, line in enumerate(lines):
            if not line.startswith("#"):
                assert i > 0 and lines[i - 1].startswith("#"), f"{path}: override without a reason: {line}"


def test_version_is_the_projects():
    with open(os.path.join(SRC, "CMakeLists.txt")) as f:
        version = re.search(r"project\(massagechaird VERSION (\S+)", f.read()).group(1).rstrip(")")
    with open(os.path.join(SRC, "debian", "changelog")) as f:
        assert re.match(rf"massagechaird \({re.escape(version)}\) ", f.readline()), "debian/changelog's version"


@pytest.mark.timeout(540)
def test_split_stripped_hardened(debs):
    found, _ = debs
    daemon, sim = contents(found["massagechaird"]), contents(found["chairsim"])
    # chairsim, a simulator, is only in its own package.
    assert not [p for p in daemon if "chairsim" in os.path.basename(p) and "/examples/" not in p
                and not p.endswith("chairsim.md")], daemon
    assert {"/usr/bin/chairsim", "/usr/share/man/man1/chairsim.1.gz"} <= sim
    assert "bash-completion" in control_field(found["massagechaird"], "Suggests") + \
        control_field(found["massagechaird"], "Recommends")
    # Man pages compressed (dh_compress), the docs in the daemon's doc directory as the tree has them.
    assert all(p.endswith(".gz") for p in daemon | sim if re.match(r"/usr/share/man/man\d/.+\.\d", p))
    for md in glob.glob(os.path.join(SRC, "docs", "*.md")):
        assert f"{DOC}/{os.path.basename(md)}" in daemon, md
    # Stripped binaries whose debug info is in the -dbgsym packages (by build ID), hardened with
    # dpkg-buildflags' flags (PIE, full RELRO, BIND_NOW, the stack protector).
    with tempfile.TemporaryDirectory(prefix="mcd-deb-x-") as x:
        for pkg in PACKAGES:
            run("dpkg-deb", "-x", found[pkg], x)
            debug = contents(found[pkg + "-dbgsym"])
            for b in BINARIES[pkg]:
                path = x + b
                sections = run("readelf", "-SW", path).stdout
                assert ".symtab" not in sections and ".debug_info" not in sections, f"{b} not stripped"
                build_id = re.search(r"Build ID: ([0-9a-f]+)", run("readelf", "-n", path).stdout).group(1)
                assert f"/usr/lib/debug/.build-id/{build_id[:2]}/{build_id[2:]}.debug" in debug, b
                assert "DYN (Position-Independent Executable" in run("readelf", "-hW", path).stdout, f"{b}: not PIE"
                assert "GNU_RELRO" in run("readelf", "-lW", path).stdout, f"{b}: no RELRO"
                dyn = run("readelf", "-dW", path).stdout
                assert re.search(r"\(FLAGS\).*BIND_NOW|\(FLAGS_1\).*\bNOW\b", dyn), f"{b}: no BIND_NOW"
                assert "__stack_chk_fail" in run("readelf", "--dyn-syms", "-W", path).stdout, f"{b}: no stack protector"
                if shutil.which("hardening-check"):
                    # bookworm's dpkg-buildflags has no control-flow protection on amd64.
                    run("hardening-check", "--nocfprotection", path)


@pytest.fixture
def installed_packages(debs):
    found, _ = debs
    for pkg in PACKAGES:
        if installed(pkg):
            pytest.skip(f"{pkg} is installed on this machine already; not touching it")
    try:
        yield found
    finally:
        for pkg in PACKAGES:
            if installed(pkg):
                subprocess.run(["dpkg", "--purge", pkg], capture_output=True, timeout=120)


def cited_docs(path):
    """The docs/NAME.md a file cites (a man page compressed or not, a binary's strings)."""
    data = open(path, "rb").read()
    if path.endswith(".gz"):
        data = gzip.decompress(data)
    return {m.decode() for m in CITED_DOC.findall(data.replace(b"\\-", b"-"))}


def simulate_from_the_installed_prefix():
    """`massagechaird --simulate` with no other flag runs from the installed prefix (its state
    directory made by tmpfiles, or made or replaced by a temporary one when missing) and answers
    `chairctl status` on a private bus."""
    workdir = tempfile.mkdtemp(prefix="mcd-pkg-sim-")
    bus = chairtest.PrivateBus(workdir)
    daemon = None
    try:
        daemon = subprocess.Popen(["/usr/sbin/massagechaird", "--simulate"], env=bus.env(),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while not bus.name_has_owner():
            assert daemon.poll() is None, daemon.stderr.read()
            assert time.monotonic() < deadline, "the installed daemon never took its bus name"
            time.sleep(0.1)
        r = run("/usr/bin/chairctl", f"--address={bus.address}", "status", timeout=30)
        assert "idle" in r.stdout, r.stdout
    finally:
        if daemon and daemon.poll() is None:
            daemon.terminate()
            try:
                daemon.wait(timeout=10)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait()
        bus.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.mark.timeout(540)
def test_install_and_purge(installed_packages):
    found = installed_packages
    run("dpkg", "-i", found["massagechaird"], found["chairsim"], timeout=180)
    assert installed("massagechaird") and installed("chairsim")
    for f in FILES:
        assert os.path.exists(f), f
    assert run("dpkg-query", "-S", "/usr/bin/chairsim").stdout.startswith("chairsim:")
    assert run("/usr/sbin/massagechaird", "--version").stdout.startswith("massagechaird ")
    assert "chairctl" in run("/usr/bin/chairctl", "--help").stdout
    assert run("/usr/bin/chairsim", "--help").returncode == 0
    simulate_from_the_installed_prefix()
    # The installed unit, with the package's real paths, verifies.
    r = subprocess.run(["systemd-analyze", "verify", "--man=no", "/lib/systemd/system/massagechaird.service"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    with open("/lib/systemd/system/massagechaird.service") as f:
        unit = f.read()
    # The daemon itself handles a missing map (see systemd/massagechaird.service.in).
    assert re.search(r"^ExecStart=/usr/sbin/massagechaird$", unit, re.M)
    # Every document a message, the unit or a man page cites is installed, under the name it cites.
    for path in re.findall(r"/usr/share/doc/[^\s\"']+", unit):
        assert os.path.exists(path.rstrip(".,")), f"the unit cites {path}"
    for pkg in PACKAGES:
        files = run("dpkg-query", "-L", pkg).stdout.split()
        docdir = f"/usr/share/doc/{pkg}"
        for path in files:
            if os.path.isfile(path) and (path in BINARIES[pkg] or "/man/" in path):
                for doc in cited_docs(path):
                    assert os.path.exists(f"{docdir}/{doc}"), f"{path} cites docs/{doc}, not in {docdir}"
    # The completion works with bash-completion (which loads it on demand).
    if os.path.exists("/usr/share/bash-completion/bash_completion"):
        r = run("bash", "-c", ". /usr/share/bash-completion/bash_completion; _completion_loader chairctl; "
                "COMP_WORDS=(chairctl st); COMP_CWORD=1; COMP_LINE='chairctl st'; COMP_POINT=11; "
                "_chairctl chairctl st chairctl; printf '%s\\n' \"${COMPREPLY[@]}\"", timeout=30)
        assert {"status", "start", "stop"} <= set(r.stdout.split()), r.stdout
    # The maintainer scripts (debhelper's sysusers and tmpfiles snippets) made the daemon's user,
    # groups and directories.
    if shutil.which("systemd-sysusers"):
        assert run("getent", "passwd", "massagechair").stdout
        members = run("getent", "group", "gpio").stdout.strip().split(":")[3].split(",")
        assert "massagechair" in members
        assert run("getent", "group", "chairtech").stdout
        st = os.stat("/var/lib/massagechair")
        assert oct(st.st_mode & 0o7777) == "0o750" and st.st_uid == pwd.getpwnam("massagechair").pw_uid
        st = os.stat("/etc/massagechair/profiles.d")
        assert oct(st.st_mode & 0o7777) == "0o2775" and st.st_uid == pwd.getpwnam("massagechair").pw_uid \
            and st.st_gid == grp.getgrnam("chairtech").gr_gid
    run("dpkg", "--purge", "chairsim", "massagechaird", timeout=180)
    assert not installed("massagechaird") and not installed("chairsim")
    for f in FILES:
        assert not os.path.exists(f), f"{f} left behind"
    for d in ("/var/lib/massagechair", "/etc/massagechair", DOC, "/usr/share/doc/chairsim",
              "/usr/share/massagechair"):
        assert not os.path.exists(d), f"{d} left behind"
