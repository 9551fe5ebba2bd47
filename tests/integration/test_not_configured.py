"""The chair not configured: no hardware map and no --simulate. The daemon opens no hardware,
still owns its name (so chairctl and D-Bus activation get an answer at once), reads "unconfigured",
refuses every call with Error.NotConfigured naming the map, and `chairctl status` says what to do
with exit status 4."""
import json
import os
import subprocess

import chairtest
from chairtest import SERVICE_INTERFACE

NOT_CONFIGURED = "org.massagechair.Chair1.Error.NotConfigured"


def unconfigured(start_daemon, workdir):
    path = os.path.join(workdir, "etc", "chair.conf")
    return start_daemon(args=("--config", path)), path


def chairctl(bus, *args):
    return subprocess.run([chairtest.binary("chairctl"), f"--address={bus.address}", *args],
                          capture_output=True, text=True, env=bus.env(), timeout=10 * chairtest.SLOWDOWN)


def test_status_says_what_to_do(start_daemon, bus, workdir):
    daemon, path = unconfigured(start_daemon, workdir)
    r = chairctl(bus, "status")
    assert r.returncode == 4, r.stdout + r.stderr
    assert r.stderr.startswith(f"not configured: no hardware map at {path}; see "), r.stderr
    assert "chair.conf(5)" in r.stderr and "--simulate" in r.stderr, r.stderr
    r = chairctl(bus, "--json", "status")
    assert r.returncode == 4
    assert json.loads(r.stdout)["state"] == "unconfigured"
    assert daemon.get_property("State") == "unconfigured"
    assert path in daemon.get_property("FaultMessage")
    assert "not configured" in daemon.output() and path in daemon.output()


def test_calls_refused_by_name(start_daemon, bus, workdir):
    daemon, path = unconfigured(start_daemon, workdir)
    name, text = daemon.error_of("Start", "swedish", "{}")
    assert name == NOT_CONFIGURED and path in text, text
    assert daemon.error_of("ListPrograms")[0] == NOT_CONFIGURED
    assert daemon.error_of("GetDiagnostics", interface=SERVICE_INTERFACE)[0] == NOT_CONFIGURED
    r = chairctl(bus, "start", "swedish")
    assert r.returncode == 4 and path in r.stderr, r.stderr
    # It keeps running (no restart loop for systemd), and stops cleanly.
    assert daemon.process.poll() is None
    daemon.stop()
    assert daemon.process.poll() == 0


def test_a_bad_map_still_fails(start_daemon, bus, workdir):
    path = os.path.join(workdir, "bad.conf")
    with open(path, "w") as f:
        f.write("[chair]\nnot_a_key = 1\n")
    d = start_daemon(args=("--config", path), wait=False)
    assert d.process.wait(10) != 0
    assert not bus.name_has_owner()
