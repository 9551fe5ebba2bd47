"""chairctl's output: every line of status (text and --json), monitor piped (one timestamped line
per change, what the chair is doing, 80 columns), as JSON lines and on a terminal (the alternate
screen, a few redraws a second), and the one time convention of history, faults and monitor."""
import json
import os
import re
import signal
import subprocess
import time

import pytest

import chairtest
from test_chairctl_conventions import ctl, run_on_pty  # noqa: F401 (the fixture)

# ISO 8601 in UTC, as man/chairctl.1 says ("Times are ISO 8601 in UTC").
ISO_UTC = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


def wait_state(daemon, state, timeout=20):
    chairtest.wait_for(lambda: daemon.get_property("State") == state, timeout * chairtest.SLOWDOWN, f"State {state}")


def status_lines(ctl):
    r = ctl("status")
    assert r.returncode == 0, r.stderr
    return {line.split(":", 1)[0].strip(): line.split(":", 1)[1].strip() for line in r.stdout.splitlines()
            if ":" in line}


def test_status_selected_panel_conditions(daemon, ctl):
    # The panel's program key selects a program while idle: status names it.
    assert ctl("press", "program").returncode == 0
    chairtest.wait_for(lambda: daemon.get_property("SelectedProgram") != "", 10, "a selected program")
    selected = daemon.get_property("SelectedProgram")
    assert ctl("precautions", "set", "pregnancy").returncode == 0
    lines = status_lines(ctl)
    assert lines["State"] == "idle"
    assert lines["Selected"].startswith(selected + " "), lines
    assert lines["Precautions"] == "pregnancy", lines
    # The panel's display: the selected program's number, minutes and intensity, no fault.
    assert re.fullmatch(r"program \d+, \d+ min, intensity \d+", lines["Panel"]), lines
    assert "Fault" not in lines
    j = json.loads(ctl("--json", "status").stdout)
    assert j["selected_program"] == selected and j["precautions"] == ["pregnancy"]
    assert j["panel_display"]["program"] >= 1 and j["panel_display"]["fault"] == 0, j
    assert j["fault"] == "" and j["fault_panel"] == ""
    assert ctl("precautions", "clear").returncode == 0
    assert status_lines(ctl)["Precautions"] == "none declared"


def test_status_latched_fault_with_its_panel_number(daemon, bus, workdir, ctl):
    daemon.call("InjectFault", "sb", "estop", "true", interface=chairtest.SERVICE_INTERFACE)
    wait_state(daemon, "fault")
    # emergency-stop is the panel's E01 (common/fault-codes.c, docs/panel.md).
    chairtest.wait_for(lambda: "E01" in status_lines(ctl).get("Fault", ""), 10, "the fault's panel number")
    lines = status_lines(ctl)
    assert lines["State"] == "fault"
    assert lines["Fault"].startswith("emergency-stop: ") and lines["Fault"].endswith("(the panel shows E01)"), lines
    assert lines["Panel"].endswith(", fault E01"), lines
    j = json.loads(ctl("--json=pretty", "status").stdout)
    assert j["fault"] == "emergency-stop" and j["fault_message"] and j["fault_panel"] == "E01", j
    assert j["panel_display"]["fault"] == 1
    # A person (no technician diagnostics, so no panel display read back) gets the number too:
    # chairctl reads the one fault table (common/fault-codes.c).
    os.chmod(workdir, 0o755)
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", chairtest.binary("chairctl"),
                        "status"], capture_output=True, text=True, env=bus.env(), timeout=20 * chairtest.SLOWDOWN)
    assert r.returncode == 0 and "(the panel shows E01)" in r.stdout, r.stdout + r.stderr
    daemon.call("InjectFault", "sb", "estop", "false", interface=chairtest.SERVICE_INTERFACE)
    assert ctl("clear-fault").returncode == 0
    wait_state(daemon, "idle")
    assert "Fault" not in status_lines(ctl)


def run_monitor(bus, seconds, *args):
    """chairctl monitor piped for SECONDS, then Ctrl-C: its lines."""
    p = subprocess.Popen([chairtest.binary("chairctl"), "monitor", *args], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=bus.env())
    try:
        time.sleep(seconds)
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=10 * chairtest.SLOWDOWN)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, err
    return out.splitlines()


def start_demo(daemon, ctl):
    r = ctl("start", "demo", "--no-scan")
    assert r.returncode == 0, r.stderr
    wait_state(daemon, "running")


def test_monitor_piped_one_line_per_change(daemon, bus, ctl):
    start_demo(daemon, ctl)
    lines = run_monitor(bus, 5)
    assert len(lines) >= 3, lines
    seen = []
    for line in lines:
        # Cut at 80 columns (--json has every field).
        assert len(line) <= 80, line
        m = re.match(ISO_UTC + r" (\S+) (\S+) (\d+:\d\d)( |$)", line)
        assert m, line
        seen.append(line.split(" ", 1)[1])
        assert m.group(1) in ("running", "settling", "idle"), line
    # One line per change: never the same twice in a row.
    assert all(a != b for a, b in zip(seen, seen[1:])), seen
    running = [line for line in lines if " running demo " in line]
    assert running, lines
    # What the chair does: its speed, the motors' technique, depth and width, the air's phase.
    words = running[-1].split()
    for word in ("spd", "depth", "air"):
        assert word in words, (word, running[-1])
    assert any("knead" in line.split() or "tap" in line.split() for line in running), running
    assert any(w in ("narrow", "medium", "wide") for w in words), running[-1]


def test_monitor_names_the_step_and_technique(daemon, bus, ctl):
    start_demo(daemon, ctl)
    o = [json.loads(line) for line in run_monitor(bus, 3, "--json")][-1]
    assert "step" in o and "technique" in o, o
    assert o["step"] and o["technique"], o   # the demo is running one of its steps


def test_monitor_json_lines(daemon, bus, ctl):
    start_demo(daemon, ctl)
    lines = run_monitor(bus, 4, "--json")
    assert len(lines) >= 2, lines
    objs = [json.loads(line) for line in lines]
    for o in objs:
        assert re.fullmatch(ISO_UTC, o["time"]), o
        assert o["state"] in ("running", "settling", "idle")
    o = [o for o in objs if o["state"] == "running"][-1]
    assert o["program"] == "demo"
    for key in ("speed_pct", "knead_pct", "tap_pct", "depth", "width", "air_phase", "heat"):
        assert key in o, (key, o)
    assert o["width"] in ("narrow", "medium", "wide") and o["air_phase"] in ("off", "filling", "holding", "releasing")
    assert set(o["heat"]) == {"lumbar", "calves"}


def test_monitor_on_a_terminal(daemon, bus, ctl):
    start_demo(daemon, ctl)
    env = bus.env()
    argv = ["timeout", "-s", "INT", "4", chairtest.binary("chairctl"), "monitor"]
    out = run_on_pty(argv, env)
    assert "\x1b[?1049h" in out and "\x1b[?1049l" in out, out[:200]
    frames = out.count("\x1b[H\x1b[J")
    # At most 4 frames a second (the first drawn at once): 4 s give at most 17 and at least one.
    assert 1 <= frames <= 4 * 4 + 1, frames
    for frame in out.split("\x1b[H\x1b[J")[1:]:
        for line in frame.replace("\x1b[?25h\x1b[?1049l", "").splitlines():
            assert len(line) <= 80, line


def test_times_in_one_convention(daemon, ctl):
    start_demo(daemon, ctl)
    assert ctl("stop").returncode == 0
    daemon.call("InjectFault", "sb", "estop", "true", interface=chairtest.SERVICE_INTERFACE)
    wait_state(daemon, "fault")
    history = ctl("history").stdout.splitlines()
    assert "STARTED (UTC)" in history[0], history
    assert re.match(r"\d+\s+" + ISO_UTC + r"\s+demo\s", history[1]), history
    assert re.fullmatch(ISO_UTC, json.loads(ctl("--json", "history").stdout)[0]["started"])
    faults = ctl("faults").stdout.splitlines()
    assert faults[0].startswith("TIME (UTC)"), faults
    assert re.match(ISO_UTC + r"\s+emergency-stop\s", faults[1]), faults
    assert re.fullmatch(ISO_UTC, json.loads(ctl("--json", "faults").stdout)[0]["time"])
    # The help and the man page say so.
    assert "Times are ISO 8601 in UTC" in ctl("--help").stdout
    with open(os.path.join(chairtest.SOURCE_DIR, "man", "chairctl.1")) as f:
        assert "Times are ISO 8601 in UTC" in f.read()
    daemon.call("InjectFault", "sb", "estop", "false", interface=chairtest.SERVICE_INTERFACE)


def c_table(path, pattern):
    """The strings of one C table in the source tree: the first brace list after PATTERN."""
    with open(os.path.join(chairtest.SOURCE_DIR, path)) as f:
        text = f.read()
    body = re.search(re.escape(pattern) + r"[^{]*\{(.*?)\};", text, re.S).group(1)
    return re.findall(r'"([^"]*)"', body) or re.findall(r"\d+", body)


def test_vocabularies_come_from_their_one_table():
    """chairctl's completion, help and man page name what the daemon's tables hold."""
    def complete(*args):
        r = subprocess.run([chairtest.binary("chairctl"), "__complete", *args], capture_output=True, text=True,
                           timeout=10, env={"DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nonexistent"})
        return r.stdout.split()
    timers = c_table("common/vocab.c", "chair_timer_minutes[CHAIR_TIMER_CHOICES] =")
    zones = c_table("common/chair-io.c", "air_zones[_CHAIR_AIR_ZONE_MAX] =")
    keys = c_table("common/chair-io.c", "keys[_CHAIR_KEY_MAX] =")
    heat = c_table("common/chair-io.c", "heat_zones[_CHAIR_HEAT_ZONE_MAX] =")
    assert timers == ["10", "20", "30"] and len(zones) == 6 and len(keys) >= 16, (timers, zones, keys)
    assert complete("timer") == timers
    assert complete("air") == zones + ["off", "--intensity"]
    assert complete("press") == keys
    assert complete("heat") == heat
    r = subprocess.run([chairtest.binary("chairctl"), "help", "timer"], capture_output=True, text=True, timeout=10)
    assert r.stdout.startswith("Usage: chairctl timer " + "|".join(timers) + "\n"), r.stdout
    with open(os.path.join(chairtest.SOURCE_DIR, "man", "chairctl.1")) as f:
        man = f.read()
    assert '.I "' + "|".join(timers) + '"' in man and ", ".join(keys) in man.replace("\\-", "-")


def test_monitor_rereads_the_precautions_when_invalidated(daemon, bus, workdir, ctl):
    """Chair1.Precautions announces its change without the value (health data, read-health): the
    monitor reads it again with Get, and a caller not allowed it is told it is not shown."""
    p = subprocess.Popen([chairtest.binary("chairctl"), "monitor", "--json"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=bus.env())
    try:
        time.sleep(1 * chairtest.SLOWDOWN)
        assert ctl("precautions", "set", "pregnancy").returncode == 0
        time.sleep(2 * chairtest.SLOWDOWN)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=10 * chairtest.SLOWDOWN)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, err
    objs = [json.loads(line) for line in out.splitlines()]
    assert objs[0]["precautions"] == [] and not objs[0]["precautions_hidden"], objs[0]
    assert objs[-1]["precautions"] == ["pregnancy"] and not objs[-1]["precautions_hidden"], objs
    # Another user (no read-health): neither the list nor "none declared".
    os.chmod(workdir, 0o755)
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", chairtest.binary("chairctl"),
                        "monitor", "--once"], capture_output=True, text=True, env=bus.env(),
                       timeout=20 * chairtest.SLOWDOWN)
    assert r.returncode == 0, r.stderr
    assert "cautions  not shown (health data)" in r.stdout and "pregnancy" not in r.stdout, r.stdout
    assert ctl("precautions", "clear").returncode == 0


def test_heat_dose_property_status_and_monitor(daemon, bus, ctl):
    """Chair1.HeatDose per zone (dose, the active person's limit, resume, threshold, off); status
    and monitor say so for a zone that is off: a person with no heat (heat cap 0) has it off."""
    dose = daemon.get_property("HeatDose")
    assert set(dose) == {"lumbar", "calves"}, dose
    lumbar = dose["lumbar"]
    assert lumbar[1] == 1200 and lumbar[2] == 600 and lumbar[3] == 430 and not lumbar[4], lumbar
    assert "Heat dose" not in status_lines(ctl)
    for args in (("create", "anna"), ("caps", "anna", "--heat", "0"), ("select", "anna")):
        r = ctl("person", *args)
        assert r.returncode == 0, (args, r.stderr)
    try:
        chairtest.wait_for(lambda: daemon.get_property("HeatDose")["lumbar"][4], 10, "lumbar off for anna")
        assert daemon.get_property("HeatDose")["lumbar"][1] == 0
        assert status_lines(ctl)["Heat dose"] == ("lumbar off, no heat for the active person; "
                                                  "calves off, no heat for the active person"), status_lines(ctl)
        j = json.loads(ctl("--json", "status").stdout)
        assert j["heat"]["lumbar"]["dose_limited"] and j["heat"]["lumbar"]["dose_limit_s"] == 0, j["heat"]
        r = ctl("monitor", "--once")
        assert r.returncode == 0 and "  dose      lumbar off: no heat for the active person" in r.stdout, r.stdout
        m = json.loads(ctl("monitor", "--once", "--json").stdout)
        assert m["heat_dose"]["lumbar"] == {"dose_s": 0, "limit_s": 0, "limited": True}, m
    finally:
        assert ctl("person", "select", "guest").returncode == 0
    chairtest.wait_for(lambda: not daemon.get_property("HeatDose")["lumbar"][4], 10, "lumbar back for the guest")
    assert "Heat dose" not in status_lines(ctl)
