"""The D-Bus API with clients we did not write (busctl, gdbus, python-dbus) and chairctl:
members, PropertiesChanged, named errors, the technician interface's credential check,
persistence across a restart and a kill -9, and chairctl's output and exit codes."""
import json
import os
import signal
import subprocess
import time

import dbus
import pytest

import chairtest
from chairtest import BUS_NAME, INTERFACE, OBJECT_PATH, SERVICE_INTERFACE
from test_session import Signals, start, wait_state

ERR = "org.massagechair.Chair1.Error."
INVALID = "org.freedesktop.DBus.Error.InvalidArgs"
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def chairctl(bus, *args, check=True):
    r = subprocess.run([chairtest.binary("chairctl"), *args], capture_output=True, text=True, timeout=30,
                       env=bus.env())
    if check:
        assert r.returncode == 0, f"chairctl {' '.join(args)}: {r.returncode} {r.stderr}"
    return r


@pytest.fixture
def signals(bus, daemon):
    s = Signals(bus.address)
    yield s
    s.close()


def test_introspection_lists_every_member(daemon, bus):
    xml = bus.busctl("introspect", "--xml-interface", BUS_NAME, OBJECT_PATH).stdout
    for member in ("ListPrograms", "GetProgram", "Start", "StartManual", "MovePoint", "Stop", "Pause", "Resume",
                   "SetIntensity", "SetSpeed", "SetWidth", "SetDepth", "SetAir", "SetHeat", "SetTimer",
                   "StartBodyScan", "AdjustShoulder", "SaveMemory", "RecallMemory", "GetMemory", "SetPrecautions",
                   "ListPrecautions", "RateSession", "GetHistory", "GetFaults", "ProgramFinished", "FaultRaised",
                   "BodyScanFinished", "ReloadProfiles", "UploadProfile", "ClearFault", "GetDiagnostics",
                   "InjectFault", "Calibrate", "SetDefaultTimer", "SchedulerStats"):
        assert f'name="{member}"' in xml, member
    # Named arguments show in introspection.
    assert '<arg type="s" name="program" direction="in"/>' in xml


def test_introspection_file_matches_the_daemon(daemon, bus):
    """The installed interface XML is generated from the daemon and must stay in step with it."""
    shipped = os.path.join(chairtest.SOURCE_DIR, "docs", "org.massagechair.Chair1.xml")
    with open(shipped) as f:
        text = f.read()
    xml = bus.busctl("introspect", "--xml-interface", BUS_NAME, OBJECT_PATH).stdout
    for line in text.splitlines():
        line = line.strip()
        if line.startswith(("<method", "<property", "<signal", "<arg")):
            assert line in xml, f"{line} is in the shipped XML but not in the daemon's introspection"


def test_get_program_and_list(daemon):
    details = daemon.call("GetProgram", "s", "deep-tissue")[0]
    assert details["id"]["data"] == "deep-tissue"
    assert details["duration"]["data"] == 1500
    assert "osteoporosis" in details["precautions"]["data"]
    assert daemon.error_of("GetProgram", "nope")[0] == ERR + "UnknownProgram"


def test_properties_changed_are_emitted(daemon, signals):
    start(daemon)
    wait_state(daemon, "running")
    daemon.call("SetIntensity", "u", 4)

    def changed(name):
        return signals.find("PropertiesChanged", lambda a: name in a[1] or name in a[2])
    chairtest.wait_for(lambda: changed("State"), 5, "PropertiesChanged(State)")
    chairtest.wait_for(lambda: changed("Intensity"), 5, "PropertiesChanged(Intensity)")
    chairtest.wait_for(lambda: changed("Remaining"), 5, "PropertiesChanged(Remaining)")
    chairtest.wait_for(lambda: changed("RollerPosition"), 5, "PropertiesChanged(RollerPosition)")
    # RollerPosition is coalesced: at most 10 a second.
    time.sleep(2)
    stamps = len(changed("RollerPosition"))
    time.sleep(2)
    assert len(changed("RollerPosition")) - stamps <= 22
    daemon.call("Stop")


def test_heat_air_timer_members(daemon):
    daemon.call("SetHeat", "su", "lumbar", 2)
    levels = daemon.get_property("HeatLevels")
    assert levels["lumbar"] == 2
    assert "lumbar" in daemon.get_property("Temperatures")
    daemon.call("SetAir", "asu", 2, "calves", "feet", 4)
    assert daemon.get_property("AirZones") == ["calves", "feet"]
    assert daemon.get_property("AirIntensity") == 4
    assert daemon.error_of("SetAir", "['belly']", "uint32 3")[0] == INVALID
    assert daemon.error_of("SetHeat", "neck", "uint32 2")[0] == INVALID
    assert daemon.error_of("SetHeat", "lumbar", "uint32 7")[0] == INVALID
    daemon.call("SetTimer", "u", 30)
    assert daemon.get_property("Timer") == 30


def test_precautions_exclude_and_cap(daemon):
    names = [p[0] for p in daemon.call("ListPrecautions")[0]]
    assert "osteoporosis" in names and "pregnancy" in names
    daemon.call("SetPrecautions", "as", 2, "osteoporosis", "reduced-temperature-sensation")
    assert daemon.get_property("Precautions") == ["osteoporosis", "reduced-temperature-sensation"]
    name, msg = daemon.error_of("Start", "deep-tissue", "@a{sv} {}")
    assert name == ERR + "PrecautionConflict" and "osteoporosis" in msg
    name, msg = daemon.error_of("SetHeat", "lumbar", "uint32 1")
    assert name == ERR + "PrecautionConflict" and "reduced-temperature-sensation" in msg
    assert daemon.error_of("SetPrecautions", "['clumsiness']")[0] == INVALID
    # A suitable program runs, capped.
    start(daemon, "gentle")
    wait_state(daemon, "running")
    daemon.call("Stop")
    daemon.call("SetPrecautions", "as", 1, "fever")
    name, msg = daemon.error_of("Start", "gentle", "@a{sv} {}")
    assert name == ERR + "PrecautionConflict" and "must not use" in msg


def test_memory_history_and_rating(daemon):
    start(daemon)
    wait_state(daemon, "running")
    daemon.call("SetIntensity", "u", 4)
    daemon.call("SaveMemory", "u", 1)
    slot = daemon.call("GetMemory", "u", 1)[0]
    assert slot["program"]["data"] == "demo" and slot["intensity"]["data"] == 4
    assert daemon.call("GetMemory", "u", 2)[0] == {}
    assert daemon.error_of("SaveMemory", "uint32 3")[0] == INVALID
    session = daemon.get_property("SessionId")
    daemon.call("Stop")
    wait_state(daemon, "idle", timeout=40)
    history = daemon.call("GetHistory", "u", 10)[0]
    assert history[0][0] == session and history[0][1] == "demo" and history[0][7] == "stopped"
    assert history[0][5] == 0xffff
    daemon.call("RateSession", "tuu", session, 6, 2)
    history = daemon.call("GetHistory", "u", 10)[0]
    assert history[0][5] == 6 and history[0][6] == 2
    assert daemon.error_of("RateSession", "uint64 12345", "uint32 3", "uint32 2")[0] == INVALID
    assert daemon.error_of("RateSession", f"uint64 {session}", "uint32 11", "uint32 2")[0] == INVALID
    daemon.call("RecallMemory", "u", 1)
    # No body scan is stored yet, so the recalled session scans first.
    wait_state(daemon, "running", timeout=60)
    assert daemon.get_property("Intensity") == 4
    daemon.call("Stop")


def test_state_survives_restart_and_kill_9(bus, workdir, start_daemon):
    d = start_daemon()
    d.call("SetPrecautions", "as", 1, "varicose-veins")
    start(d)
    wait_state(d, "running")
    d.call("SaveMemory", "u", 2)
    d.call("Stop")
    wait_state(d, "idle", timeout=40)
    d.process.signal(signal.SIGKILL)
    d.process.wait(timeout=10)
    d2 = start_daemon(name="after-kill")
    assert d2.get_property("Precautions") == ["varicose-veins"]
    assert d2.call("GetMemory", "u", 2)[0]["program"]["data"] == "demo"
    assert d2.call("GetHistory", "u", 5)[0][0][1] == "demo"
    d2.stop()
    d3 = start_daemon(name="after-restart")
    assert d3.get_property("Precautions") == ["varicose-veins"]


def test_corrupt_state_file_moved_aside(bus, workdir, start_daemon):
    state = os.path.join(workdir, "state")
    os.makedirs(state, exist_ok=True)
    with open(os.path.join(state, "history"), "w") as f:
        f.write("this is not a history line\n")
    d = start_daemon()
    assert d.call("GetHistory", "u", 5)[0] == []
    assert any(n.startswith("history.corrupt-") for n in os.listdir(state))
    assert "moved aside" in d.output()


def test_technician_interface_refuses_other_users(daemon, bus):
    r = subprocess.run(NOBODY + ["busctl", f"--address={bus.address}", "call", BUS_NAME, OBJECT_PATH,
                                 SERVICE_INTERFACE, "ClearFault"], capture_output=True, text=True, timeout=20)
    assert r.returncode != 0 and "Access denied" in r.stderr, r.stderr
    r = subprocess.run(NOBODY + ["gdbus", "call", "--address", bus.address, "--dest", BUS_NAME, "--object-path",
                                 OBJECT_PATH, "--method", f"{SERVICE_INTERFACE}.GetDiagnostics"],
                       capture_output=True, text=True, timeout=20)
    assert "org.freedesktop.DBus.Error.AccessDenied" in r.stderr
    # The main interface stays open to everyone.
    r = subprocess.run(NOBODY + ["busctl", f"--address={bus.address}", "get-property", BUS_NAME, OBJECT_PATH,
                                 INTERFACE, "State"], capture_output=True, text=True, timeout=20)
    assert r.returncode == 0 and "idle" in r.stdout
    # Root is a technician.
    diag = daemon.call("GetDiagnostics", interface=SERVICE_INTERFACE)[0]
    assert "input.encoder" in diag and "output.air_release" in diag and "scheduler.count" in diag


def test_python_dbus_client(daemon, bus):
    conn = dbus.bus.BusConnection(bus.address)
    try:
        chair = dbus.Interface(conn.get_object(BUS_NAME, OBJECT_PATH), INTERFACE)
        programs = chair.ListPrograms()
        assert any(p[0] == "swedish" for p in programs)
        chair.Start("demo", {"intensity": dbus.UInt32(2), "scan": False})
        props = dbus.Interface(conn.get_object(BUS_NAME, OBJECT_PATH), "org.freedesktop.DBus.Properties")
        chairtest.wait_for(lambda: props.Get(INTERFACE, "State") == "running", 5, "running")
        with pytest.raises(dbus.DBusException) as e:
            chair.Start("demo", {})
        assert e.value.get_dbus_name() == ERR + "Busy"
        # python-dbus checks types against the introspection; force the wrong one through.
        with pytest.raises(dbus.DBusException) as e:
            chair.SetIntensity("three", signature="s")
        assert e.value.get_dbus_name() == INVALID
        with pytest.raises(dbus.DBusException) as e:
            chair.SetIntensity(dbus.UInt32(9))
        assert e.value.get_dbus_name() == INVALID
        chair.Stop()
    finally:
        conn.close()


def test_chairctl_commands(daemon, bus):
    r = chairctl(bus, "list")
    assert "swedish" in r.stdout and "deep-tissue" in r.stdout
    listed = json.loads(chairctl(bus, "--json", "list").stdout)
    assert any(p["id"] == "sports" for p in listed)
    chairctl(bus, "start", "demo", "--intensity", "2", "--no-scan")
    status = json.loads(chairctl(bus, "--json", "status").stdout)
    assert status["state"] == "running" and status["program"] == "demo" and status["intensity"] == 2
    r = chairctl(bus, "status", "--verbose")
    assert "State: running" in r.stdout and "scheduler.p99_us" in r.stdout
    chairctl(bus, "pause")
    chairctl(bus, "resume")
    chairctl(bus, "intensity", "4")
    chairctl(bus, "width", "wide")
    chairctl(bus, "air", "calves", "feet", "--intensity", "2")
    chairctl(bus, "heat", "lumbar", "1")
    r = chairctl(bus, "start", "swedish", check=False)
    assert r.returncode == 1 and "stop the running session first" in r.stderr
    frame = chairctl(bus, "monitor", "--once").stdout
    assert "roller" in frame and "demo" in frame
    chairctl(bus, "stop")
    wait_state(daemon, "idle", timeout=40)
    history = json.loads(chairctl(bus, "--json", "history").stdout)
    assert history[0]["program"] == "demo"
    chairctl(bus, "rate", str(history[0]["id"]), "5", "1")
    chairctl(bus, "precautions", "set", "osteoporosis")
    assert "[x] osteoporosis" in chairctl(bus, "precautions").stdout
    chairctl(bus, "precautions", "clear")
    assert json.loads(chairctl(bus, "--json", "faults").stdout) == []
    r = chairctl(bus, "intensity", "9", check=False)
    assert r.returncode == 2
    r = chairctl(bus, "frobnicate", check=False)
    assert r.returncode == 2


def test_chairctl_daemon_not_running(bus):
    r = chairctl(bus, "status", check=False)
    assert r.returncode == 3 and "massagechaird is not running" in r.stderr


def test_chairctl_monitor_follows_a_session(daemon, bus):
    """Without a terminal the monitor draws on every change and ends with the session."""
    chairctl(bus, "start", "demo", "--no-scan")
    proc = subprocess.Popen([chairtest.binary("chairctl"), "monitor"], stdout=subprocess.PIPE, text=True,
                            env=bus.env())
    try:
        time.sleep(1.5)
        chairctl(bus, "stop")
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    lines = out.splitlines()
    # A line per change: running, then (settling, when it lasts long enough to be seen) idle.
    assert len(lines) >= 2 and lines[0].split()[1] == "running" and lines[-1].split()[1] == "idle", out
