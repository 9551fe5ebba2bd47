"""chairctl, the reference client, against massagechaird on a private bus: output for people
and --json for scripts, every command reaches the daemon, errors say what to do and exit codes
are 1 (refused), 2 (usage), 3 (daemon not running)."""
import json
import os
import re
import subprocess

import pytest

import chairtest

ERR = "org.massagechair.Chair1.Error."


@pytest.fixture
def chairctl(bus):
    def run(*args, check=None, env_extra=None):
        env = bus.env()
        env.update(env_extra or {})
        r = subprocess.run([chairtest.binary("chairctl"), *args], capture_output=True, text=True,
                           env=env, timeout=20 * chairtest.SLOWDOWN)
        if check is not None:
            assert r.returncode == check, f"chairctl {' '.join(args)} exited {r.returncode}:\n{r.stdout}{r.stderr}"
        return r
    return run


def wait_state(daemon, state, timeout=40):
    chairtest.wait_for(lambda: daemon.get_property("State") == state, timeout, f"State {state}")


def test_help():
    r = subprocess.run([chairtest.binary("chairctl"), "--help"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0
    for word in ("status", "start", "monitor", "precautions", "history", "faults", "profile", "--json"):
        assert word in r.stdout, word


VERBS = ["status", "list", "start", "stop", "pause", "resume", "manual", "point", "shoulder", "intensity",
         "speed", "depth", "width", "heat", "air", "timer", "scan", "memory", "precautions", "history",
         "rate", "faults", "clear-fault", "reload", "latency", "monitor", "profile"]


def test_per_command_help_without_daemon(chairctl):
    for verb in VERBS:
        r = chairctl("help", verb)
        assert r.returncode == 0 and re.match(rf"Usage: chairctl (\[--json=MODE\] )?{verb}\b", r.stdout), (verb, r.stderr)
        assert verb in subprocess.run([chairtest.binary("chairctl"), "--help"], capture_output=True,
                                      text=True, timeout=10).stdout
    r = chairctl("start", "--help")
    assert r.returncode == 0 and "--no-scan" in r.stdout
    assert chairctl("help", "frobnicate").returncode == 2


def test_usage_errors_exit_2_even_without_daemon(chairctl):
    for args in (["bogus"], ["--frobnicate", "status"], ["start"], ["intensity", "9"],
                 ["timer", "15"], ["memory", "save", "3"], ["rate", "x", "1", "2"]):
        r = chairctl(*args)
        assert r.returncode == 2, f"{args}: {r.returncode} {r.stderr}"
        assert r.stderr.strip(), args


def test_daemon_not_running_exits_3(chairctl, bus):
    r = chairctl("status")
    assert r.returncode == 3
    assert "massagechaird is not running" in r.stderr
    # It names the bus it tried and how to choose another.
    assert bus.address in r.stderr and "--address=ADDRESS" in r.stderr, r.stderr
    r = chairctl("status", env_extra={"DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nonexistent/socket"})
    assert r.returncode == 3
    assert "cannot connect to the system bus at unix:path=/nonexistent/socket" in r.stderr, r.stderr
    assert "--address=ADDRESS" in r.stderr
    r = chairctl("--address=unix:path=/nonexistent/socket", "status")
    assert r.returncode == 3 and "the bus at unix:path=/nonexistent/socket (--address)" in r.stderr, r.stderr


def test_status_and_list(daemon, chairctl):
    r = chairctl("status", check=0)
    assert "idle" in r.stdout and "simulated" in r.stdout
    status = json.loads(chairctl("--json", "status", check=0).stdout)
    assert status["state"] == "idle" and status["intensity"] in range(1, 6)
    assert "heat" in status and "fault" in status
    programs = json.loads(chairctl("--json", "list", check=0).stdout)
    assert "demo" in [p["id"] for p in programs]
    assert "demo" in chairctl("list", check=0).stdout
    r = chairctl("status", "--verbose", check=0)
    # Both lateness distributions: per command, and per timed wake-up (as cyclictest counts).
    for key in ("scheduler.p50_us", "scheduler.p99_us", "scheduler.max_us", "scheduler.over_1ms",
                "scheduler.wake_p50_us", "scheduler.wake_p99_us", "scheduler.wake_max_us", "scheduler.wake_over_1ms"):
        assert key in r.stdout, r.stdout


def test_latency_histogram(daemon, chairctl):
    chairctl("start", "demo", "--no-scan", check=0)
    wait_state(daemon, "running", 10)
    chairtest.wait_for(lambda: daemon.get_property("SchedulerStats",
                                                   interface=chairtest.SERVICE_INTERFACE)["wake_count"] >= 3, 10,
                       "scheduler wake-ups")
    chairctl("stop", check=0)
    wait_state(daemon, "idle")
    text = chairctl("latency", check=0).stdout
    rows = [line.split() for line in text.splitlines() if not line.startswith("#")]
    assert text.startswith("# lateness of the scheduler's timed wake-ups") and rows, text
    assert float(rows[-1][3]) == 100.0
    assert all(int(r[0]) < int(r[1]) for r in rows if r[1] != "inf")
    bins = json.loads(chairctl("--json", "latency", "commands", check=0).stdout)
    assert bins and all(b["count"] > 0 for b in bins), bins
    r = chairctl("latency", "ticks")
    assert r.returncode == 2 and "wakeups or commands" in r.stderr, r.stderr


def test_session_commands(daemon, chairctl):
    chairctl("start", "demo", "--intensity", "2", "--minutes", "5", "--no-scan", check=0)
    wait_state(daemon, "running", 10)
    # The planner fits whole cycles into the 5 minutes asked for (demo alone is 90 s).
    assert 90 < daemon.get_property("Duration") <= 300
    chairctl("intensity", "4", check=0)
    chairctl("speed", "2", check=0)
    chairctl("width", "wide", check=0)
    chairctl("heat", "calves", "1", check=0)
    chairctl("air", "calves", "feet", "--intensity", "3", check=0)
    chairctl("timer", "10", check=0)
    assert (daemon.get_property("Intensity"), daemon.get_property("Speed"), daemon.get_property("Width"),
            daemon.get_property("Timer")) == (4, 2, "wide", 10)
    assert daemon.get_property("HeatLevels")["calves"] == 1
    assert daemon.get_property("AirZones") == ["calves", "feet"]
    assert daemon.get_property("AirIntensity") == 3
    chairctl("air", "off", check=0)
    assert daemon.get_property("AirIntensity") == 0
    chairctl("memory", "save", "1", check=0)
    shown = json.loads(chairctl("--json", "memory", "show", "1", check=0).stdout)
    assert shown.get("program") == "demo", shown
    frame = chairctl("monitor", "--once", check=0).stdout
    assert "demo" in frame and ("%" in frame or "[" in frame), frame
    r = chairctl("start", "swedish")
    assert r.returncode == 1 and "chairctl stop" in r.stderr, r.stderr
    chairctl("pause", check=0)
    wait_state(daemon, "paused", 5)
    chairctl("resume", check=0)
    chairctl("stop", check=0)
    wait_state(daemon, "idle")
    session = daemon.get_property("SessionId")
    chairctl("rate", str(session), "7", "3", check=0)
    history = json.loads(chairctl("--json", "history", "--max", "3", check=0).stdout)
    assert history[0]["id"] == session and history[0]["program"] == "demo"
    assert "demo" in chairctl("history", check=0).stdout
    chairctl("manual", "knead", "point", check=0)
    wait_state(daemon, "running", 10)
    assert daemon.get_property("Program") == "manual:knead"
    chairctl("stop", check=0)
    r = chairctl("pause")
    assert r.returncode == 1


def test_precautions(daemon, chairctl):
    listed = json.loads(chairctl("--json", "precautions", "list", check=0).stdout)
    assert "pregnancy" in [c["name"] for c in listed]
    chairctl("precautions", "set", "pregnancy", check=0)
    assert daemon.get_property("Precautions") == ["pregnancy"]
    assert "pregnancy" in chairctl("precautions", check=0).stdout
    r = chairctl("start", "deep-tissue")
    assert r.returncode == 1
    assert "pregnancy" in r.stderr and "precautions" in r.stderr, r.stderr
    chairctl("precautions", "clear", check=0)
    assert daemon.get_property("Precautions") == []
    r = chairctl("precautions", "set", "not-a-condition")
    assert r.returncode in (1, 2) and "not-a-condition" in r.stderr


def test_faults_and_clear(daemon, chairctl):
    daemon.call("InjectFault", "sb", "estop", "true", interface=chairtest.SERVICE_INTERFACE)
    wait_state(daemon, "fault", 10)
    r = chairctl("start", "demo", "--no-scan")
    assert r.returncode == 1
    assert "clear-fault" in r.stderr and "technician" in r.stderr, r.stderr
    assert "fault" in chairctl("status", check=0).stdout.lower()
    daemon.call("InjectFault", "sb", "estop", "false", interface=chairtest.SERVICE_INTERFACE)
    chairctl("clear-fault", check=0)
    wait_state(daemon, "idle", 10)
    faults = json.loads(chairctl("--json", "faults", check=0).stdout)
    assert faults and faults[0]["code"]


def test_technician_commands_refused_for_other_users(daemon, bus, workdir):
    os.chmod(workdir, 0o755)
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        chairtest.binary("chairctl"), "clear-fault"], capture_output=True, text=True,
                       env=bus.env(), timeout=20)
    assert r.returncode == 1
    assert "chairtech" in r.stderr, r.stderr


def test_profile_upload(daemon, chairctl, workdir, tmp_path):
    os.makedirs(os.path.join(workdir, "profiles.d"), exist_ok=True)
    bad = tmp_path / "bad.ini"
    bad.write_text("[program]\nfrobnicate = 1\n")
    r = chairctl("profile", "upload", str(bad))
    assert r.returncode == 1 and "bad.ini" in r.stderr, r.stderr
    r = chairctl("profile", "upload", os.path.join(chairtest.SOURCE_DIR, "profiles", "programs", "gentle.ini"))
    assert r.returncode == 0, r.stderr
    assert os.path.exists(os.path.join(workdir, "profiles.d", "gentle.ini"))
