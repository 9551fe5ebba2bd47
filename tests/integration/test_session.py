"""The session on the simulated chair, in real time: states, Remaining counting down, pause
holding every output, stop ending safe, manual mode, body scan, live changes."""
import ast
import json
import re
import subprocess
import threading
import time

import pytest

import chairtest
from chairtest import BUS_NAME, INTERFACE, OBJECT_PATH, SERVICE_INTERFACE

SAFE = {"travel_motor": 0, "knead_motor": 0, "tap_motor": 0, "air_pump": 0, "valve_shoulders": 0,
        "valve_arms": 0, "valve_back": 0, "valve_seat": 0, "valve_calves": 0, "valve_feet": 0,
        "air_release": 1, "heat_lumbar": 0, "heat_calves": 0}


class Signals:
    """Collects the daemon's signals through `gdbus monitor` (a client we did not write), read
    by a thread: ProgramFinished, FaultRaised, BodyScanFinished and PropertiesChanged."""

    LINE = re.compile(r"^/org/massagechair/Chair1: (\S+)\.(\w+) (.*)$")

    def __init__(self, address):
        self.received = []
        self.lock = threading.Lock()
        self.proc = subprocess.Popen(["gdbus", "monitor", "--address", address, "--dest", BUS_NAME,
                                      "--object-path", OBJECT_PATH], stdout=subprocess.PIPE, text=True,
                                     start_new_session=True)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        # gdbus prints a first line once it watches the name.
        chairtest.wait_for(lambda: self.ready, 10, "gdbus monitor to start")

    ready = False

    def _read(self):
        for line in self.proc.stdout:
            self.ready = True
            m = self.LINE.match(line.strip())
            if not m:
                continue
            name, body = m.group(2), m.group(3)
            if name == "PropertiesChanged":
                args = [None, {k: None for k in re.findall(r"'(\w+)': <", body)}, []]
            else:
                text = re.sub(r"\btrue\b", "True", re.sub(r"\bfalse\b", "False", body))
                text = re.sub(r"\b(?:int32|uint32|int64|uint64) ", "", text)
                try:
                    args = list(ast.literal_eval(text))
                except (ValueError, SyntaxError):
                    args = [body]
            with self.lock:
                self.received.append((name, args))

    def find(self, name, predicate=lambda args: True):
        with self.lock:
            return [args for n, args in self.received if n == name and predicate(args)]

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.thread.join(timeout=5)


@pytest.fixture
def signals(bus, daemon):
    s = Signals(bus.address)
    yield s
    s.close()


def diagnostics(daemon):
    out = daemon.call("GetDiagnostics", interface=SERVICE_INTERFACE)
    return {k: v["data"] for k, v in out[0].items()}


def outputs(daemon):
    """The actuators; the panel's indicators (LEDs, display, beeper) are not among them."""
    return {k.split(".", 1)[1]: v for k, v in diagnostics(daemon).items()
            if k.startswith("output.") and not k.startswith(("output.led_", "output.display_", "output.beeper"))}


def start(daemon, program="demo", intensity=3, duration=None, scan=False):
    args = ["Start", "sa{sv}", program]
    opts = [("intensity", "u", intensity), ("scan", "b", "false" if not scan else "true")]
    if duration:
        opts.append(("duration", "u", duration))
    args.append(len(opts))
    for k, t, v in opts:
        args += [k, t, v]
    return daemon.call(*args)


def wait_state(daemon, state, timeout=10):
    chairtest.wait_for(lambda: daemon.get_property("State") == state, timeout, f"State {state}")


def test_programs_are_listed(daemon):
    programs = daemon.call("ListPrograms")[0]
    ids = [p[0] for p in programs]
    for required in ("swedish", "deep-tissue", "sports", "demo"):
        assert required in ids
    for p in programs:
        assert p[1] and p[2] and p[3] > 0


def test_run_pause_resume_stop(daemon, signals):
    start(daemon)
    wait_state(daemon, "running")
    assert daemon.get_property("Program") == "demo"
    first = daemon.get_property("Remaining")
    chairtest.wait_for(lambda: daemon.get_property("Remaining") < first, 5, "Remaining to count down")

    # Something moves while running.
    chairtest.wait_for(lambda: any(outputs(daemon)[k] != SAFE[k] for k in SAFE), 5, "an active output")

    daemon.call("Pause")
    wait_state(daemon, "paused")
    time.sleep(0.3)
    held = outputs(daemon)
    remaining = daemon.get_property("Remaining")
    assert held["travel_motor"] == 0 and held["knead_motor"] == 0 and held["tap_motor"] == 0
    assert held["air_pump"] == 0
    time.sleep(1.5)
    assert outputs(daemon) == held, "outputs changed while paused"
    assert daemon.get_property("Remaining") == remaining

    daemon.call("Resume")
    wait_state(daemon, "running")

    daemon.call("Stop")
    chairtest.wait_for(lambda: signals.find("ProgramFinished", lambda a: a[1] == "stopped"), 5,
                       "ProgramFinished(demo, stopped)")
    assert signals.find("ProgramFinished")[0][0] == "demo"
    wait_state(daemon, "idle", timeout=40)
    final = outputs(daemon)
    for k, v in SAFE.items():
        assert final[k] == v, f"{k} is {final[k]} after stop, safe is {v}"
    assert daemon.get_property("Program") == ""


ERR = "org.massagechair.Chair1.Error."
INVALID = "org.freedesktop.DBus.Error.InvalidArgs"


def test_invalid_start_arguments(daemon, bus):
    name, _ = daemon.error_of("Start", "nonexistent", "@a{sv} {}")
    assert name == ERR + "UnknownProgram"
    name, msg = daemon.error_of("Start", "demo", "{'intensity': <uint32 9>}")
    assert name == INVALID and "intensity" in msg
    name, _ = daemon.error_of("Start", "demo", "{'intensity': <'high'>}")
    assert name == INVALID
    name, msg = daemon.error_of("Start", "demo", "{'colour': <'red'>}")
    assert name == INVALID and "colour" in msg
    name, _ = daemon.error_of("Start", "demo", "{'duration': <uint32 5>}")
    assert name == INVALID
    # A wrong signature altogether is refused by sd-bus itself.
    name, _ = daemon.error_of("Start", "42")
    assert name == INVALID
    name, _ = daemon.error_of("Pause")
    assert name == ERR + "NotRunning"
    assert daemon.get_property("State") == "idle"


def test_busy_refused(daemon):
    start(daemon)
    wait_state(daemon, "running")
    name, _ = daemon.error_of("Start", "swedish", "@a{sv} {}")
    assert name == ERR + "Busy"
    daemon.call("Stop")


def test_live_changes_and_timer(daemon, signals):
    start(daemon)
    wait_state(daemon, "running")
    daemon.call("SetIntensity", "u", 5)
    daemon.call("SetSpeed", "u", 1)
    daemon.call("SetWidth", "s", "wide")
    assert daemon.get_property("Intensity") == 5
    assert daemon.get_property("Width") == "wide"
    assert daemon.error_of("SetWidth", "huge")[0] == INVALID
    assert daemon.error_of("SetTimer", "uint32 15")[0] == INVALID
    assert daemon.error_of("SetIntensity", "uint32 0")[0] == INVALID
    daemon.call("SetTimer", "u", 10)
    assert daemon.get_property("Timer") == 10
    daemon.call("Stop")
    wait_state(daemon, "idle", timeout=40)


def test_manual_mode_point(daemon):
    daemon.call("StartManual", "ssa{sv}", "knead", "point", 0)
    wait_state(daemon, "running")
    assert daemon.get_property("Program") == "manual:knead"
    chairtest.wait_for(lambda: outputs(daemon)["knead_motor"] != 0, 5, "kneading")
    daemon.call("MovePoint", "i", 3)
    assert daemon.error_of("StartManual", "knead", "everywhere", "@a{sv} {}")[0] == INVALID
    daemon.call("Stop")
    wait_state(daemon, "idle", timeout=40)


def test_body_scan_finds_the_shoulder(daemon, signals):
    assert daemon.get_property("ShoulderPosition") == -1
    daemon.call("StartBodyScan")
    wait_state(daemon, "scanning")
    chairtest.wait_for(lambda: signals.find("BodyScanFinished"), 60, "BodyScanFinished")
    shoulder, ok = signals.find("BodyScanFinished")[0]
    assert ok
    # The simulated person's shoulder is at 620 mm.
    assert 560 <= shoulder <= 680, shoulder
    assert daemon.get_property("ShoulderPosition") == shoulder
    wait_state(daemon, "idle", timeout=40)
    daemon.call("AdjustShoulder", "i", 2)
    assert daemon.get_property("ShoulderPosition") == shoulder + 20
    assert daemon.error_of("AdjustShoulder", "9")[0] == INVALID


def test_idle_daemon_makes_no_wakeups(daemon):
    """An idle daemon has no periodic timers (the watchdog is off here)."""
    pid = daemon.process.pid

    def switches():
        total = 0
        import glob
        for status in glob.glob(f"/proc/{pid}/task/*/status"):
            with open(status) as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        total += int(line.split()[1])
        return total

    time.sleep(0.5)
    before = switches()
    time.sleep(2)
    after = switches()
    assert after - before <= 2, f"{after - before} context switches in 2 s while idle"
