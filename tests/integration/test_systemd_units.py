"""The installed systemd and D-Bus files: systemd-analyze verify, the hardening threshold, and the
shipped D-Bus policy loaded into a private dbus-daemon (who may own the name, who may call
the technician interface)."""
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
        assert f"ExecStart={staged}/sbin/massagechaird" in f.read()
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


def test_shipped_policy_in_a_private_bus(workdir):
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

        as_daemon_user = ["setpriv", "--reuid=daemon", "--regid=daemon", "--clear-groups"]
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
