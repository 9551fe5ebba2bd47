"""The installed systemd and D-Bus files: systemd-analyze verify, the hardening threshold, and the
shipped D-Bus policy loaded into a private dbus-daemon (who may own the name, who may call
the technician interface)."""
import configparser
import grp
import os
import re
import subprocess

import pytest

import chairtest
from chairtest import BUS_NAME, OBJECT_PATH, SERVICE_INTERFACE, INTERFACE

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.fixture(scope="module")
def staged():
    """`cmake --install` into a staging prefix, as a package build would."""
    w = chairtest.Workdir()
    prefix = os.path.join(w.path, "stage")
    r = subprocess.run(["cmake", "--install", chairtest.BUILD_DIR, "--prefix", prefix], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    yield prefix
    w.cleanup()


def test_files_installed_where_the_system_looks(staged):
    for path in ("sbin/massagechaird", "bin/chairctl", "lib/systemd/system/massagechaird.service",
                 "lib/sysusers.d/massagechair.conf", "lib/tmpfiles.d/massagechair.conf",
                 "lib/udev/rules.d/60-massagechair.rules", "share/dbus-1/system.d/org.massagechair.Chair1.conf",
                 "share/dbus-1/system-services/org.massagechair.Chair1.service",
                 "share/dbus-1/interfaces/org.massagechair.Chair1.xml", "share/massagechair/profiles/swedish.ini",
                 "share/man/man8/massagechaird.8", "share/man/man1/chairctl.1", "share/man/man1/chairsim.1",
                 "share/man/man5/chair.conf.5", "share/man/man5/massagechair-profile.5",
                 "share/bash-completion/completions/chairctl"):
        assert os.path.exists(os.path.join(staged, path)), path


def test_units_verify(staged):
    unit = os.path.join(staged, "lib/systemd/system/massagechaird.service")
    with open(unit) as f:
        assert re.search(rf"^ExecStart={re.escape(staged)}/sbin/massagechaird$", f.read(), re.M)
    r = subprocess.run(["systemd-analyze", "verify", "--man=no", unit], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


def test_hardening_threshold(staged):
    unit = os.path.join(staged, "lib/systemd/system/massagechaird.service")
    r = subprocess.run(["systemd-analyze", "security", "--offline=yes", unit], capture_output=True, text=True,
                       timeout=60)
    m = re.search(r"Overall exposure level for massagechaird.service: ([0-9.]+)", r.stdout)
    assert m, r.stdout + r.stderr
    assert float(m.group(1)) <= 2.0, r.stdout
    with open(unit) as f:
        text = f.read()
    # SCHED_FIFO stays possible, and device access is exactly the chair's.
    assert not re.search(r"^RestrictRealtime=", text, re.M) and re.search(r"^LimitRTPRIO=", text, re.M)
    assert "DevicePolicy=closed" in text and "DeviceAllow=char-gpiochip rw" in text


POLICY_BUS = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <!-- As Debian's system.conf: connect, talk to the bus, receive replies; nothing else. -->
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_destination="org.freedesktop.DBus"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
  </policy>
  <include>{policy}</include>
</busconfig>
"""


def unit_proc_sandbox():
    """A command prefix that runs a program with /proc mounted as the shipped unit mounts it
    (ProtectProc= is hidepid=, ProcSubset=pid is subset=pid), in a mount namespace of its own."""
    u = unit_settings(os.path.join(chairtest.SOURCE_DIR, "systemd", "massagechaird.service.in"))
    options = []
    protect = u.get("ProtectProc", ["default"])[-1]
    if protect != "default":
        options.append(f"hidepid={protect}")
    if u.get("ProcSubset", ["all"])[-1] == "pid":
        options.append("subset=pid")
    if not options:
        return []
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c",
            f'mount -t proc -o {",".join(options)} proc /proc && exec "$@"', "sh"]


@pytest.fixture
def chairtech_gid():
    """The technicians' group, as the package's sysusers.d makes it; created for the test (and
    removed after) when this machine has none."""
    try:
        yield grp.getgrnam("chairtech").gr_gid
        return
    except KeyError:
        pass
    subprocess.run(["groupadd", "--system", "chairtech"], check=True, timeout=30)
    try:
        yield grp.getgrnam("chairtech").gr_gid
    finally:
        subprocess.run(["groupdel", "chairtech"], timeout=30)


def test_shipped_policy_in_a_private_bus(workdir, chairtech_gid):
    # The shipped policy, with the daemon's user played by 'daemon' (no massagechair user here).
    with open(os.path.join(chairtest.SOURCE_DIR, "systemd", "org.massagechair.Chair1.conf")) as f:
        policy_text = f.read().replace('user="massagechair"', 'user="daemon"')
    policy = os.path.join(workdir, "policy.conf")
    with open(policy, "w") as f:
        f.write(policy_text)
    socket = os.path.join(workdir, "bus.socket")
    config = os.path.join(workdir, "bus.conf")
    with open(config, "w") as f:
        f.write(POLICY_BUS.format(socket=socket, policy=policy))
    bus_proc = chairtest.Process(["dbus-daemon", "--nofork", "--nopidfile", f"--config-file={config}"],
                                 os.path.join(workdir, "dbus.log"))
    env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=f"unix:path={socket}")
    env.pop("JOURNAL_STREAM", None)
    state = os.path.join(workdir, "state")
    os.makedirs(state, mode=0o777)
    os.chmod(state, 0o777)
    daemons = []
    try:
        chairtest.wait_for(lambda: os.path.exists(socket), 10, "the bus socket")
        argv = [chairtest.binary("massagechaird"), "--simulate", "--state-dir", state, "--profiles-dir",
                os.path.join(chairtest.SOURCE_DIR, "profiles", "programs"), "--overrides-dir", state]
        # root may not own the name: only the daemon's user may.
        as_root = chairtest.Process(argv, os.path.join(workdir, "root-daemon.log"), env=env)
        daemons.append(as_root)
        assert as_root.wait(timeout=10) == 1
        assert "not allowed to own" in as_root.output() or "Access denied" in as_root.output() \
            or "Permission denied" in as_root.output(), as_root.output()

        # The daemon sees /proc as the unit's ProtectProc=/ProcSubset= make it: the technician
        # check reads callers' groups from there.
        as_daemon_user = unit_proc_sandbox() + ["setpriv", "--reuid=daemon", "--regid=daemon", "--clear-groups"]
        daemon = chairtest.Process(as_daemon_user + argv, os.path.join(workdir, "daemon.log"), env=env)
        daemons.append(daemon)

        def busctl(*args, user=None):
            return subprocess.run((user or []) + ["busctl", f"--address=unix:path={socket}", *args],
                                  capture_output=True, text=True, timeout=20)

        def up():
            assert daemon.poll() is None, daemon.output()
            return busctl("status", BUS_NAME).returncode == 0
        chairtest.wait_for(up, 15, "the daemon on the bus")
        # Anyone may use the main interface and read properties.
        r = busctl("call", BUS_NAME, OBJECT_PATH, INTERFACE, "ListPrograms")
        assert r.returncode == 0, r.stderr
        r = busctl("get-property", BUS_NAME, OBJECT_PATH, INTERFACE, "State", user=NOBODY)
        assert r.returncode == 0 and "idle" in r.stdout
        # The technician interface: the bus itself refuses a foreign uid ...
        r = busctl("call", BUS_NAME, OBJECT_PATH, SERVICE_INTERFACE, "GetDiagnostics",
                   user=NOBODY)
        assert r.returncode != 0 and "Access denied" in r.stderr, r.stderr
        # ... and lets root through, whom the daemon accepts.
        r = busctl("call", BUS_NAME, OBJECT_PATH, SERVICE_INTERFACE, "GetDiagnostics")
        assert r.returncode == 0, r.stderr
        # A technician (an unprivileged uid in group chairtech) passes the bus and the daemon.
        technician = ["setpriv", "--reuid=65534", "--regid=65534", f"--groups={chairtech_gid}"]
        r = busctl("call", BUS_NAME, OBJECT_PATH, SERVICE_INTERFACE, "GetDiagnostics", user=technician)
        assert r.returncode == 0, r.stderr
        # A foreign uid cannot take the name either.
        r = subprocess.run(NOBODY + ["/usr/bin/python3", "-c",
                            "import dbus,sys; b=dbus.bus.BusConnection(sys.argv[1]); "
                            "print(b.request_name('org.massagechair.Chair1', dbus.bus.NAME_FLAG_DO_NOT_QUEUE))",
                            f"unix:path={socket}"], capture_output=True, text=True, timeout=20)
        assert r.returncode != 0 and "AccessDenied" in r.stderr, r.stdout + r.stderr
    finally:
        for d in daemons:
            d.stop()
        bus_proc.stop()


def test_sysusers_and_tmpfiles_in_a_scratch_root(workdir):
    """The shipped sysusers.d and tmpfiles.d files applied to an empty root: the daemon's user
    in the GPIO and serial groups, the technicians' group, and the directories the unit and
    UploadProfile need, with their owners and modes."""
    root = os.path.join(workdir, "root")
    os.makedirs(os.path.join(root, "etc"))
    for tool, name in (("systemd-sysusers", "massagechair.sysusers"), ("systemd-tmpfiles", "massagechair.tmpfiles")):
        with open(os.path.join(chairtest.SOURCE_DIR, "systemd", name)) as f:
            argv = [tool, f"--root={root}"] + (["--create"] if tool == "systemd-tmpfiles" else []) + ["-"]
            r = subprocess.run(argv, stdin=f, capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, f"{tool}: {r.stderr}"
        assert "ignoring" not in r.stderr.lower(), f"{tool}: {r.stderr}"

    def table(name):
        with open(os.path.join(root, "etc", name)) as f:
            return {fields[0]: fields for fields in (line.rstrip("\n").split(":") for line in f)}
    users, groups = table("passwd"), table("group")
    user = users["massagechair"]
    assert user[5] == "/var/lib/massagechair" and user[6].endswith("nologin"), user
    for g in ("gpio", "dialout"):
        assert "massagechair" in groups[g][3].split(","), (g, groups[g])
    assert "chairtech" in groups and "massagechair" not in groups["chairtech"][3].split(",")

    def owner(path):
        st = os.stat(os.path.join(root, path.lstrip("/")))
        uid = {int(u[2]): n for n, u in users.items()}[st.st_uid]
        gid = {int(g[2]): n for n, g in groups.items()}[st.st_gid]
        return uid, gid, oct(st.st_mode & 0o7777)
    assert owner("/var/lib/massagechair") == ("massagechair", "massagechair", "0o750")
    assert owner("/etc/massagechair/profiles.d") == ("massagechair", "chairtech", "0o2775")


def unit_settings(path):
    settings = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith(("#", "[")) and "=" in line:
                key, value = line.split("=", 1)
                settings.setdefault(key, []).append(value)
    return settings


def test_unit_settings(staged):
    """What the brief fixes beyond verify and the score: notify with the bus name, the
    watchdog, its user and directories, real-time limits, and a writable profiles.d."""
    u = unit_settings(os.path.join(staged, "lib/systemd/system/massagechaird.service"))
    for key, value in (("Type", "notify"), ("BusName", BUS_NAME), ("Restart", "on-failure"),
                       ("User", "massagechair"), ("StateDirectory", "massagechair"),
                       ("ConfigurationDirectory", "massagechair"), ("DevicePolicy", "closed"),
                       ("ProtectSystem", "strict"), ("NoNewPrivileges", "yes")):
        assert u.get(key) == [value], (key, u.get(key))
    assert u["WatchdogSec"] and u["ExecReload"][0].endswith("kill -HUP $MAINPID")
    assert "RestrictRealtime" not in u and int(u["LimitRTPRIO"][0]) > 0 and u["LimitMEMLOCK"]
    assert set(u["SupplementaryGroups"][0].split()) == {"gpio", "dialout"}
    # UploadProfile writes here: /etc is read-only under ProtectSystem=strict otherwise.
    assert any(p.lstrip("-") == "/etc/massagechair/profiles.d" for v in u["ReadWritePaths"] for p in v.split())
    devices = {d.split()[0] for d in u["DeviceAllow"]}
    assert "char-gpiochip" in devices and "char-ttyUSB" in devices and all(d.startswith("char-") for d in devices)
    # No ordering on the deprecated systemd-udev-settle.service (docs/bring-up.md: a drop-in
    # orders the unit after a late device instead).
    assert not any("udev-settle" in v for key in ("After", "Wants", "Requires") for v in u.get(key, []))


def test_activation_file(staged):
    act = configparser.ConfigParser(interpolation=None)
    act.optionxform = str
    act.read(os.path.join(staged, "share/dbus-1/system-services/org.massagechair.Chair1.service"))
    section = act["D-BUS Service"]
    assert section["Name"] == BUS_NAME and section["User"] == "massagechair"
    # The unit itself, not an alias that exists only once it is enabled.
    assert section["SystemdService"] == "massagechaird.service"
    assert os.path.exists(os.path.join(staged, "lib/systemd/system", section["SystemdService"]))


def test_udev_rule():
    with open(os.path.join(chairtest.SOURCE_DIR, "systemd", "60-massagechair.rules")) as f:
        rules = [line for line in f.read().splitlines() if line and not line.startswith("#")]
    assert any('KERNEL=="gpiochip*"' in r and 'GROUP="gpio"' in r and 'MODE="0660"' in r for r in rules)
    assert any('SUBSYSTEM=="tty"' in r and 'GROUP="dialout"' in r for r in rules)
    # The RS-485 adapter by stable names (its USB serial number, its USB port), never by the
    # kernel's number (%n), which changes with the order the adapters appear in.
    symlinks = [r for r in rules if 'SUBSYSTEM=="tty"' in r and "SYMLINK" in r]
    assert any('SYMLINK+="massagechair-rs485-$env{ID_SERIAL_SHORT}"' in r for r in symlinks), symlinks
    assert any('SYMLINK+="massagechair-rs485-path-$env{ID_PATH}"' in r for r in symlinks), symlinks
    assert not any("%n" in r or "$number" in r for r in symlinks), symlinks
    # This file sorts before 60-serial.rules: it imports the properties it matches on itself.
    assert any('IMPORT{builtin}="usb_id"' in r for r in rules) and any('IMPORT{builtin}="path_id"' in r for r in rules)
