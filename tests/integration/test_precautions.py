"""The declared conditions hold on every path to an actuator (issue 15 section 2): programs,
manual mode, the body scan, live changes over D-Bus and from the panel, memory recall; a
must-not-use condition declared mid-session ends it; a refused SetPrecautions keeps the stored
list; a settings file with a bad line keeps the conditions, and an unreadable precautions line
refuses sessions until they are declared again."""
import glob
import json
import os
import subprocess
import time

import chairtest
from chairtest import SERVICE_INTERFACE

ERR = "org.massagechair.Chair1.Error."
CONFLICT = ERR + "PrecautionConflict"


def declare(daemon, *conditions):
    daemon.call("SetPrecautions", "as", len(conditions), *conditions)


def start(daemon, program="demo", intensity=None):
    opts = [("scan", "b", "false")]
    if intensity:
        opts.append(("intensity", "u", intensity))
    args = ["Start", "sa{sv}", program, len(opts)]
    for k, t, v in opts:
        args += [k, t, v]
    daemon.call(*args)


def wait_state(daemon, state, timeout=10):
    chairtest.wait_for(lambda: daemon.get_property("State") == state, timeout, f"State {state}")


def outputs(daemon):
    out = daemon.call("GetDiagnostics", interface=SERVICE_INTERFACE)[0]
    return {k.split(".", 1)[1]: v["data"] for k, v in out.items() if k.startswith("output.")}


def chairctl(bus, *args):
    return subprocess.run([chairtest.binary("chairctl"), *args], capture_output=True, text=True,
                          env=bus.env(), timeout=20 * chairtest.SLOWDOWN)


def press(daemon, key):
    daemon.call("PressKey", "su", key, 100, interface=SERVICE_INTERFACE)
    time.sleep(0.3)


def test_must_not_use_refuses_manual_and_scan(daemon):
    declare(daemon, "varicose-veins", "thrombosis")
    name, msg = daemon.error_of("StartManual", "tap", "full", "@a{sv} {}")
    assert name == CONFLICT and "thrombosis" in msg, msg
    name, msg = daemon.error_of("StartManual", "knead", "point", "@a{sv} {}")
    assert name == CONFLICT and "thrombosis" in msg, msg
    name, msg = daemon.error_of("StartBodyScan")
    assert name == CONFLICT and "thrombosis" in msg, msg
    assert daemon.get_property("State") == "idle"
    assert outputs(daemon)["tap_motor"] == 0


def test_pregnancy_in_manual_mode(daemon):
    declare(daemon, "pregnancy")
    daemon.call("StartManual", "ssa{sv}", "shiatsu", "full", 1, "intensity", "u", 5)
    wait_state(daemon, "running")
    # Clamped to the cap, and the property says so.
    assert daemon.get_property("Intensity") == 2
    name, msg = daemon.error_of("SetAir", "['back', 'arms']", "uint32 3")
    assert name == CONFLICT and "pregnancy" in msg and "back" in msg, msg
    name, msg = daemon.error_of("SetAir", "['seat']", "uint32 2")
    assert name == CONFLICT and "pregnancy" in msg, msg
    name, msg = daemon.error_of("SetHeat", "lumbar", "uint32 1")
    assert name == CONFLICT and "pregnancy" in msg, msg
    name, msg = daemon.error_of("SetIntensity", "uint32 3")
    assert name == CONFLICT and "pregnancy" in msg, msg
    name, msg = daemon.error_of("SetDepth", "uint32 4")
    assert name == CONFLICT and "pregnancy" in msg, msg
    daemon.call("SetAir", "asu", 1, "arms", 3)
    assert daemon.get_property("AirZones") == ["arms"]
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        o = outputs(daemon)
        assert o["valve_back"] == 0 and o["valve_seat"] == 0 and o["heat_lumbar"] == 0, o
        assert o["depth"] <= 2, o
        time.sleep(0.1)
    daemon.call("Stop")


def test_intensity_cap_during_a_program(bus, daemon):
    declare(daemon, "osteoporosis")
    start(daemon, "gentle", intensity=5)
    wait_state(daemon, "running")
    assert daemon.get_property("Intensity") == 2
    name, msg = daemon.error_of("SetIntensity", "uint32 4")
    assert name == CONFLICT and "osteoporosis" in msg and "at most 2" in msg, msg
    assert daemon.get_property("Intensity") == 2
    # The panel's key, through the simulated panel and through chairctl.
    press(daemon, "intensity_up")
    assert daemon.get_property("Intensity") == 2
    r = chairctl(bus, "press", "intensity_up")
    assert r.returncode == 0, r.stderr
    time.sleep(0.3)
    assert daemon.get_property("Intensity") == 2
    assert "osteoporosis" in daemon.output()
    # Lower is always allowed.
    daemon.call("SetIntensity", "u", 1)
    assert daemon.get_property("Intensity") == 1
    daemon.call("Stop")


def test_heat_with_no_heat_conditions(daemon):
    declare(daemon, "reduced-temperature-sensation")
    name, msg = daemon.error_of("SetHeat", "calves", "uint32 2")
    assert name == CONFLICT and "reduced-temperature-sensation" in msg, msg
    start(daemon)
    wait_state(daemon, "running")
    press(daemon, "heat")
    assert all(v == 0 for v in daemon.get_property("HeatLevels").values())
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        o = outputs(daemon)
        assert o["heat_lumbar"] == 0 and o["heat_calves"] == 0, o
        time.sleep(0.1)
    daemon.call("SetHeat", "su", "lumbar", 0)  # off is always allowed
    daemon.call("Stop")


def test_memory_recall_obeys_the_conditions(daemon):
    start(daemon, intensity=5)
    wait_state(daemon, "running")
    daemon.call("SetAir", "asu", 2, "back", "arms", 4)
    daemon.call("SetHeat", "su", "lumbar", 2)
    daemon.call("SaveMemory", "u", 1)
    daemon.call("Stop")
    wait_state(daemon, "idle", timeout=40)
    declare(daemon, "pregnancy")
    daemon.call("RecallMemory", "u", 1)
    chairtest.wait_for(lambda: daemon.get_property("State") in ("scanning", "running"), 10, "the recalled session")
    assert daemon.get_property("Intensity") == 2
    assert daemon.get_property("AirZones") == ["arms"]
    assert all(v == 0 for v in daemon.get_property("HeatLevels").values())
    assert "Precautions:" in daemon.output()  # each clamp is logged with its condition
    daemon.call("Stop")
    wait_state(daemon, "idle", timeout=40)
    declare(daemon, "open-wounds")
    name, msg = daemon.error_of("RecallMemory", "uint32 1")
    assert name == CONFLICT and "open-wounds" in msg, msg


def test_must_not_use_declared_mid_session_stops_it(daemon):
    start(daemon)
    wait_state(daemon, "running")
    session = daemon.get_property("SessionId")
    declare(daemon, "fever")
    chairtest.wait_for(lambda: daemon.get_property("State") in ("settling", "idle"), 5, "the session to end")
    wait_state(daemon, "idle", timeout=40)
    history = daemon.call("GetHistory", "u", 1)[0]
    assert history[0][0] == session and history[0][7] == "precaution", history
    # A stricter (not must-not-use) declaration ends a session planned without it, too.
    declare(daemon)
    daemon.call("StartManual", "ssa{sv}", "knead", "full", 0)
    wait_state(daemon, "running")
    declare(daemon, "osteoporosis")
    wait_state(daemon, "idle", timeout=40)
    assert daemon.call("GetHistory", "u", 1)[0][0][7] == "precaution"


def test_refused_set_precautions_keeps_the_stored_list(start_daemon):
    d = start_daemon()
    declare(d, "pregnancy")
    many = ["kidney-or-liver-problems"] * 40
    r = d.gcall("SetPrecautions", str(many))
    # Refused before the store sees it (a condition at most once: docs/dbus-api.md, "Limits").
    assert r.returncode != 0 and "InvalidArgs" in r.stderr and "given twice" in r.stderr, r.stderr
    assert d.get_property("Precautions") == ["pregnancy"]
    # The next unrelated settings write must not save the refused list.
    d.call("SetChildLock", "b", "true")
    d.stop()
    d2 = start_daemon(name="after-restart")
    assert d2.get_property("Precautions") == ["pregnancy"]
    assert d2.get_property("ChildLock") is True


def test_garbage_line_keeps_the_conditions(workdir, start_daemon):
    state = os.path.join(workdir, "state")
    os.makedirs(state, exist_ok=True)
    with open(os.path.join(state, "settings"), "wb") as f:
        f.write(b"precautions=pregnancy,osteoporosis\nchild_lock=1\n\x01\x02garbage\xff\ndefault_timer=30\n")
    d = start_daemon()
    assert d.get_property("Precautions") == ["pregnancy", "osteoporosis"]
    assert d.get_property("ChildLock") is True
    assert d.get_property("Timer") == 30
    assert glob.glob(os.path.join(state, "settings.corrupt-*"))
    assert "settings:3" in d.output() and "moved aside" in d.output()
    name, msg = d.error_of("Start", "deep-tissue", "@a{sv} {}")
    assert name == CONFLICT and ("pregnancy" in msg or "osteoporosis" in msg), msg
    d.stop()
    again = start_daemon(name="after-restart")
    assert again.get_property("Precautions") == ["pregnancy", "osteoporosis"]


def test_unreadable_precautions_line_refuses_sessions(bus, workdir, start_daemon):
    state = os.path.join(workdir, "state")
    os.makedirs(state, exist_ok=True)
    with open(os.path.join(state, "settings"), "wb") as f:
        f.write(b"precautions=preg\x00\x9fnancy\ndefault_timer=30\n")
    d = start_daemon()
    assert d.get_property("Timer") == 30
    for call in (("Start", "demo", "@a{sv} {}"), ("StartManual", "knead", "full", "@a{sv} {}"),
                 ("StartBodyScan",)):
        name, msg = d.error_of(*call)
        assert name == CONFLICT and "re-declare" in msg and "chairctl precautions set" in msg, msg
    r = chairctl(bus, "start", "demo")
    assert r.returncode != 0 and "re-declare" in r.stderr, r.stderr
    assert "settings" in d.output() and "unreadable" in d.output()
    # It stays refused through an unrelated write and a restart ...
    d.call("SetChildLock", "b", "true")
    d.stop()
    d = start_daemon(name="after-restart")
    assert d.error_of("Start", "demo", "@a{sv} {}")[0] == CONFLICT
    # ... until the conditions are declared again (here: none).
    declare(d)
    start(d)
    wait_state(d, "running")
    d.call("Stop")


def test_chairctl_status_shows_the_conditions(bus, daemon):
    r = chairctl(bus, "status")
    assert "Precautions: none declared" in r.stdout, r.stdout
    declare(daemon, "pregnancy", "dvt-history")
    r = chairctl(bus, "status")
    assert "Precautions: pregnancy dvt-history" in r.stdout, r.stdout
    status = json.loads(chairctl(bus, "--json", "status").stdout)
    assert status["precautions"] == ["pregnancy", "dvt-history"]


def test_panel_air_key_steps_over_forbidden_zones(daemon):
    declare(daemon, "pregnancy")
    start(daemon)
    wait_state(daemon, "running")
    seen = []
    for _ in range(4):
        press(daemon, "air_zone")
        seen.append(daemon.get_property("AirZones"))
    # all and back+seat are forbidden: the key goes shoulders+arms, calves+feet, off, ...
    assert seen == [["shoulders", "arms"], ["calves", "feet"], [], ["shoulders", "arms"]], seen
    daemon.call("Stop")


def test_conditions_declared_during_a_scan(daemon):
    # A stricter condition during the scan before a program: the program runs within it.
    daemon.call("Start", "sa{sv}", "demo", 2, "scan", "b", "true", "intensity", "u", 4)
    wait_state(daemon, "scanning")
    declare(daemon, "osteoporosis")
    assert daemon.get_property("State") == "scanning"
    wait_state(daemon, "running", timeout=90)
    assert daemon.get_property("Intensity") == 2
    daemon.call("Stop")
    wait_state(daemon, "idle", timeout=40)
    # A must-not-use condition ends a scan at once.
    declare(daemon)
    daemon.call("StartBodyScan")
    wait_state(daemon, "scanning")
    declare(daemon, "acute-sprain")
    chairtest.wait_for(lambda: daemon.get_property("State") in ("settling", "idle"), 5, "the scan to end")
    assert "acute-sprain" in daemon.output()


def test_unknown_condition_in_settings_refuses_sessions(workdir, start_daemon):
    state = os.path.join(workdir, "state")
    os.makedirs(state, exist_ok=True)
    with open(os.path.join(state, "settings"), "w") as f:
        f.write("precautions=pregnancy,clumsiness\n")
    d = start_daemon()
    name, msg = d.error_of("Start", "demo", "@a{sv} {}")
    assert name == CONFLICT and "re-declare" in msg, msg
    assert "unknown precaution 'clumsiness'" in d.output()
    declare(d, "pregnancy")
    start(d)
    wait_state(d, "running")
    d.call("Stop")
