"""Issue 17: Start, StartManual and RecallMemory reply with what was planned (a{sv}: duration,
intensity after the conditions' cap, timer_capped, scan), and the reply's duration is the
Duration property; chairctl start prints it (docs/dbus-api.md, Start)."""
import json

import pytest

import chairtest


def wait_state(daemon, state, timeout=20):
    chairtest.wait_for(lambda: daemon.get_property("State") == state, timeout, state)


def planned(reply):
    """busctl's JSON of one a{sv} reply as a plain dict."""
    assert reply and len(reply) == 1, reply
    return {k: v["data"] for k, v in reply[0].items()}


def stop(daemon):
    daemon.call("Stop")
    wait_state(daemon, "idle", 60)


def test_start_reply_is_the_fitted_length_and_duration(daemon):
    daemon.call("SetTimer", "u", 30)
    p = planned(daemon.call("Start", "sa{sv}", "swedish", 3, "scan", "b", "false", "duration", "u", 1200,
                            "intensity", "u", 2))
    assert set(p) >= {"duration", "intensity", "timer_capped", "scan"}, p
    assert abs(p["duration"] - 1200) <= 30, p
    assert p["intensity"] == 2 and p["timer_capped"] is False and p["scan"] is False, p
    assert daemon.get_property("Duration") == p["duration"]
    stop(daemon)


def test_start_reply_says_the_timer_capped_it(daemon):
    daemon.call("SetTimer", "u", 10)
    p = planned(daemon.call("Start", "sa{sv}", "swedish", 2, "scan", "b", "false", "duration", "u", 1500))
    assert 600 - 30 <= p["duration"] <= 600 and p["timer_capped"] is True, p
    assert daemon.get_property("Duration") == p["duration"]
    stop(daemon)


def test_start_reply_with_the_programs_own_length(daemon):
    daemon.call("SetTimer", "u", 30)
    default = {row[0]: row[3] for row in daemon.call("ListPrograms")[0]}["gentle"]
    p = planned(daemon.call("Start", "sa{sv}", "gentle", 1, "scan", "b", "false"))
    assert abs(p["duration"] - default) <= 30 and p["timer_capped"] is False, (p, default)
    assert daemon.get_property("Duration") == p["duration"]
    stop(daemon)


def test_start_reply_intensity_is_the_conditions_cap(daemon):
    caps = dict(daemon.call("ListPrecautions")[0])
    # A condition that caps the intensity but does not exclude gentle.
    daemon.call("SetPrecautions", "as", 1, "osteoporosis")
    p = planned(daemon.call("Start", "sa{sv}", "gentle", 2, "scan", "b", "false", "intensity", "u", 5))
    assert p["intensity"] < 5, (p, caps.get("osteoporosis"))
    assert daemon.get_property("Intensity") == p["intensity"]
    stop(daemon)


def test_start_with_a_scan_first_says_so(daemon):
    daemon.call("SetTimer", "u", 20)
    p = planned(daemon.call("Start", "sa{sv}", "swedish", 2, "scan", "b", "true", "duration", "u", 900))
    assert p["scan"] is True and p["duration"] == 900 and p["timer_capped"] is False, p
    wait_state(daemon, "running", 90)
    # Planned when the scan ended: fitted to what the reply said.
    assert abs(daemon.get_property("Duration") - p["duration"]) <= 30
    stop(daemon)


def test_duration_during_the_scan_is_what_the_reply_said(daemon):
    daemon.call("SetTimer", "u", 30)
    daemon.call("Start", "sa{sv}", "demo", 1, "scan", "b", "false")
    wait_state(daemon, "running")
    stop(daemon)
    p = planned(daemon.call("Start", "sa{sv}", "swedish", 1, "scan", "b", "true"))
    assert p["scan"] is True
    assert daemon.get_property("Duration") == p["duration"]
    stop(daemon)


def test_start_manual_and_recall_reply(daemon):
    daemon.call("SetTimer", "u", 10)
    p = planned(daemon.call("StartManual", "ssa{sv}", "knead", "full", 1, "scan", "b", "false"))
    assert p["duration"] == 600 and p["scan"] is False and p["timer_capped"] is False, p
    assert daemon.get_property("Duration") == p["duration"]
    daemon.call("SaveMemory", "u", 1)
    stop(daemon)
    p = planned(daemon.call("RecallMemory", "u", 1))
    assert p["duration"] == 600 and daemon.get_property("Duration") == 600, p
    stop(daemon)


def test_timer_caps_an_explicit_manual_length(daemon):
    daemon.call("SetTimer", "u", 10)
    p = planned(daemon.call("StartManual", "ssa{sv}", "knead", "full", 2, "scan", "b", "false",
                            "duration", "u", 1800))
    try:
        assert p["duration"] == 600 and p["timer_capped"] is True, p
    finally:
        stop(daemon)


def test_chairctl_start_prints_the_plan(daemon, bus):
    import subprocess
    env = bus.env()
    daemon.call("SetTimer", "u", 10)
    r = subprocess.run([chairtest.binary("chairctl"), "start", "swedish", "--intensity", "2", "--minutes", "20",
                        "--no-scan"], env=env, capture_output=True, text=True, timeout=10 * chairtest.SLOWDOWN)
    assert r.returncode == 0, r.stderr
    duration = daemon.get_property("Duration")
    length = f"{duration // 60}:{duration % 60:02d}"
    assert r.stdout == f"swedish: {length} planned at intensity 2 (the auto-off timer caps it)\n", r.stdout
    stop(daemon)
    r = subprocess.run([chairtest.binary("chairctl"), "--json", "start", "demo", "--no-scan"], env=env,
                       capture_output=True, text=True, timeout=10 * chairtest.SLOWDOWN)
    assert r.returncode == 0, r.stderr
    shown = json.loads(r.stdout)
    assert shown["program"] == "demo" and shown["duration"] == daemon.get_property("Duration"), shown
    stop(daemon)
