"""The chair's panel (docs/panel.md): keys through the simulated panel (the sim backend, which
reports every press and release as it happens, as GPIO keys do) and through chairsim's panel
board over Modbus TCP (key register, latch, LED and display registers); the LEDs and display
read back; one set of rules with D-Bus: the latest command wins, stop always wins, the child
lock ignores every key but stop, every change shows on both."""
import os
import re
import time

import pytest

import chairtest
from chairtest import SERVICE_INTERFACE

KEYS = ["power", "program", "start_pause", "intensity_up", "intensity_down", "speed", "width", "heat",
        "air_zone", "air_intensity", "timer", "shoulder_up", "shoulder_down", "memory_a", "memory_b",
        "child_lock"]
CODE = {k: i + 1 for i, k in enumerate(KEYS)}
SHOWN = ["led_power", "led_heat", "led_air", "led_lock", "display_minutes", "display_program",
         "display_intensity", "display_speed", "display_width", "display_air", "display_heat", "display_fault"]
# chairsim's panel board (docs/chairsim.md)
BOARD_COILS = {"led_power": 11, "led_heat": 12, "led_air": 13, "led_lock": 14}
BOARD_HOLDING = {"display_minutes": 21, "display_program": 22, "display_intensity": 23, "display_speed": 24,
                 "display_width": 25, "display_air": 26, "display_heat": 27, "display_fault": 28}
HR_PANEL_KEY = 20
IR_BEEPS = 10


def diagnostics(daemon):
    out = daemon.call("GetDiagnostics", interface=SERVICE_INTERFACE)
    return {k: v["data"] for k, v in out[0].items()}


class SimPanel:
    """A person at the simulated panel (Service.PressKey); what the daemon drives, read back."""

    name = "sim"

    def __init__(self, daemon):
        self.daemon = daemon

    def press(self, key, hold_ms=100):
        self.daemon.call("PressKey", "su", key, hold_ms, interface=SERVICE_INTERFACE)
        time.sleep(hold_ms / 1000 + 0.15)

    def shown(self):
        d = diagnostics(self.daemon)
        return {k: d[f"output.{k}"] for k in SHOWN}


class BoardPanel:
    """A person at chairsim's panel board: the key register is held, then released; the LEDs
    and the display are read from the board's own registers, as the panel shows them."""

    name = "modbus"

    def __init__(self, daemon, port):
        from pymodbus.client import ModbusTcpClient
        self.daemon = daemon
        self.client = ModbusTcpClient("127.0.0.1", port=port)
        assert self.client.connect()

    def press(self, key, hold_ms=100):
        code = CODE[key] if key in CODE else int(key)
        assert not self.client.write_register(HR_PANEL_KEY, code, slave=1).isError()
        time.sleep(hold_ms / 1000)
        assert not self.client.write_register(HR_PANEL_KEY, 0, slave=1).isError()
        time.sleep(0.3)  # two idle polls

    def shown(self):
        coils = self.client.read_coils(0, 15, slave=1).bits
        regs = self.client.read_holding_registers(21, 8, slave=1).registers
        out = {k: int(coils[a]) for k, a in BOARD_COILS.items()}
        out.update({k: regs[a - 21] for k, a in BOARD_HOLDING.items()})
        return out

    def beeps(self):
        return self.client.read_input_registers(IR_BEEPS, 1, slave=1).registers[0]

    def close(self):
        self.client.close()


def beeps(daemon):
    d = diagnostics(daemon)
    return {k: d[f"panel.beeps_{k}"] for k in ("short", "double", "long")}


def wait_shown(panel, key, value, timeout=5):
    chairtest.wait_for(lambda: panel.shown()[key] == value, timeout, f"{key} to show {value}")


def wait_state(daemon, states, timeout=10):
    states = (states,) if isinstance(states, str) else states
    chairtest.wait_for(lambda: daemon.get_property("State") in states, timeout, f"State in {states}")


def start_dbus(daemon, program="demo"):
    daemon.call("Start", "sa{sv}", program, 1, "scan", "b", "false")
    wait_state(daemon, "running")


@pytest.fixture(params=["sim", "modbus"])
def panel(request, bus, workdir, start_daemon):
    if request.param == "sim":
        daemon = start_daemon()
        yield SimPanel(daemon)
        return
    from conftest import _started  # its log is printed with a failure
    sim = chairtest.Chairsim(workdir, "--verbose")
    _started.append(sim)
    try:
        daemon = start_daemon(args=("--config", sim.write_map()))
        board = BoardPanel(daemon, sim.port)
        chairtest.wait_for(lambda: board.shown()["display_minutes"] == 20, 10, "the board's display to show 20")
        # The daemon has read the board's key latch: presses from now on count.
        chairtest.wait_for(lambda: "input.panel_event" in diagnostics(daemon), 10, "the first reading of the latch")
        yield board
        board.close()
    finally:
        sim.stop()
        _started.remove(sim)


def test_idle_panel_shows_the_selection(panel):
    wait_shown(panel, "display_minutes", 20)
    shown = panel.shown()
    assert shown["display_program"] == 1
    assert shown["display_intensity"] == 3 and shown["display_speed"] == 3
    assert shown["display_width"] == 2  # medium
    assert shown["led_power"] == 0 and shown["led_lock"] == 0 and shown["display_fault"] == 0


def test_keys_change_settings_and_dbus_sees_them(panel):
    daemon = panel.daemon
    before = beeps(daemon)
    programs = [p[0] for p in daemon.call("ListPrograms")[0]]
    assert daemon.get_property("SelectedProgram") == programs[0]
    panel.press("program")
    wait_shown(panel, "display_program", 2)
    assert daemon.get_property("SelectedProgram") == programs[1]
    panel.press("timer")
    chairtest.wait_for(lambda: daemon.get_property("Timer") == 30, 5, "Timer 30 from the panel")
    wait_shown(panel, "display_minutes", 30)
    panel.press("speed")
    chairtest.wait_for(lambda: daemon.get_property("Speed") == 4, 5, "Speed 4 from the panel")
    panel.press("width")
    chairtest.wait_for(lambda: daemon.get_property("Width") == "wide", 5, "Width wide from the panel")
    panel.press("heat")
    chairtest.wait_for(lambda: daemon.get_property("HeatLevels") == {"lumbar": 1, "calves": 1}, 5, "heat 1")
    wait_shown(panel, "led_heat", 1)
    panel.press("air_zone")  # the air key of a chair with air off: every zone ...
    panel.press("air_zone")  # ... then shoulders and arms
    chairtest.wait_for(lambda: sorted(daemon.get_property("AirZones")) == ["arms", "shoulders"], 5, "air zones")
    wait_shown(panel, "led_air", 1)
    after = beeps(daemon)
    assert after["short"] - before["short"] == 7 and after["long"] == before["long"]

    # The latest command wins, whoever gives it; the panel shows what D-Bus set.
    daemon.call("SetSpeed", "u", 1)
    wait_shown(panel, "display_speed", 1)
    panel.press("speed")
    chairtest.wait_for(lambda: daemon.get_property("Speed") == 2, 5, "Speed 2")
    daemon.call("SetIntensity", "u", 5)
    wait_shown(panel, "display_intensity", 5)


def test_level_keys_repeat_and_beep_at_the_limit(panel):
    daemon = panel.daemon
    before = beeps(daemon)
    board_before = panel.beeps() if panel.name == "modbus" else 0
    # Held: 3 -> 4 at once, then repeats after the delay up to 5, where a double beep ends it.
    panel.press("intensity_up", hold_ms=1500)
    chairtest.wait_for(lambda: daemon.get_property("Intensity") == 5, 5, "Intensity 5 by auto-repeat")
    wait_shown(panel, "display_intensity", 5)
    after = beeps(daemon)
    assert after["short"] - before["short"] == 2, (before, after)
    assert after["double"] - before["double"] == 1, (before, after)
    if panel.name == "modbus":
        # The beeps reached the board's beeper: two short ones and the two of the double.
        chairtest.wait_for(lambda: panel.beeps() - board_before == 4, 5, "4 beeps on the board")
    panel.press("intensity_up")  # already at 5
    chairtest.wait_for(lambda: beeps(daemon)["double"] - before["double"] == 2, 5, "a second double beep")
    assert daemon.get_property("Intensity") == 5


def test_refused_keys_beep_long(panel):
    daemon = panel.daemon
    before = beeps(daemon)
    panel.press("shoulder_up")          # no body scan yet
    panel.press("memory_b")             # an empty memory slot
    chairtest.wait_for(lambda: beeps(daemon)["long"] - before["long"] == 2, 5, "two refusals")
    assert daemon.get_property("State") == "idle"
    start_dbus(daemon)
    panel.press("program")              # no other program while one runs
    chairtest.wait_for(lambda: beeps(daemon)["long"] - before["long"] == 3, 5, "a third refusal")
    assert daemon.get_property("Program") == "demo"


def test_start_pause_resume_and_stop_from_the_panel(panel):
    daemon = panel.daemon
    # Select the demo program with the program key, as a person would.
    programs = [p[0] for p in daemon.call("ListPrograms")[0]]
    for _ in range(programs.index("demo")):
        panel.press("program")
    wait_shown(panel, "display_program", programs.index("demo") + 1)
    panel.press("start_pause")
    # No body scan is stored: the chair scans first, then runs; the power key ends either.
    wait_state(daemon, ("scanning", "running"))
    assert daemon.get_property("Program") == "demo"
    wait_shown(panel, "led_power", 1)
    wait_state(daemon, "running", timeout=90)
    chairtest.wait_for(lambda: panel.shown()["display_minutes"] > 0, 5, "the remaining minutes")

    panel.press("start_pause")
    wait_state(daemon, "paused")
    # Paused: the power LED blinks.
    seen = set()
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and len(seen) < 2:
        seen.add(panel.shown()["led_power"])
        time.sleep(0.05)
    assert seen == {0, 1}, "the power LED should blink while paused"

    panel.press("start_pause")
    wait_state(daemon, "running")
    panel.press("power")
    wait_state(daemon, ("settling", "idle"))
    wait_state(daemon, "idle", timeout=60)
    wait_shown(panel, "led_power", 0)


def test_child_lock_ignores_all_but_stop(panel):
    daemon = panel.daemon
    daemon.call("SetChildLock", "b", "true")
    wait_shown(panel, "led_lock", 1)
    before = beeps(daemon)
    ignored = diagnostics(daemon)["panel.ignored"]
    panel.press("speed")
    panel.press("start_pause")
    chairtest.wait_for(lambda: diagnostics(daemon)["panel.ignored"] - ignored == 2, 5, "two keys ignored")
    assert daemon.get_property("Speed") == 3 and daemon.get_property("State") == "idle"
    assert beeps(daemon)["long"] - before["long"] == 2

    # D-Bus still works under the child lock; the panel's stop still stops.
    start_dbus(daemon)
    panel.press("power")
    wait_state(daemon, ("settling", "idle"))

    # Holding the child-lock key unlocks (a short press is refused).
    panel.press("child_lock")
    assert daemon.get_property("ChildLock") is True
    panel.press("child_lock", hold_ms=3500)
    chairtest.wait_for(lambda: daemon.get_property("ChildLock") is False, 5, "the child lock off")
    wait_shown(panel, "led_lock", 0)
    panel.press("speed")
    chairtest.wait_for(lambda: daemon.get_property("Speed") == 4, 5, "keys work again")


def test_memory_long_press_saves_short_press_recalls(panel):
    daemon = panel.daemon
    start_dbus(daemon)
    daemon.call("SetIntensity", "u", 4)
    panel.press("memory_a", hold_ms=2000)
    chairtest.wait_for(lambda: daemon.call("GetMemory", "u", 1)[0].get("program", {}).get("data") == "demo", 5,
                       "memory A saved from the panel")
    assert daemon.call("GetMemory", "u", 1)[0]["intensity"]["data"] == 4
    panel.press("power")
    wait_state(daemon, "idle", timeout=60)
    panel.press("memory_a")
    wait_state(daemon, ("scanning", "running"))
    assert daemon.get_property("Program") == "demo"
    panel.press("power")
    wait_state(daemon, ("settling", "idle"))


def test_fault_shows_its_number_and_refuses_start(panel):
    daemon = panel.daemon
    if panel.name == "sim":
        daemon.call("InjectFault", "sb", "estop", "true", interface=SERVICE_INTERFACE)
    else:
        assert not panel.client.write_coil(111, True, slave=1).isError()  # chairsim fault coil: estop
    wait_state(daemon, "fault")
    wait_shown(panel, "display_fault", 1)  # E01: emergency stop
    before = beeps(daemon)
    panel.press("start_pause")
    chairtest.wait_for(lambda: beeps(daemon)["long"] - before["long"] == 1, 5, "start refused")
    panel.press("power")                   # stop is never refused
    chairtest.wait_for(lambda: beeps(daemon)["short"] - before["short"] == 1, 5, "stop accepted")
    assert daemon.get_property("State") == "fault"


def test_unknown_key_code_is_ignored(panel):
    daemon = panel.daemon
    before = diagnostics(daemon)
    panel.press("200")
    time.sleep(0.3)
    after = diagnostics(daemon)
    assert after["panel.keys"] == before["panel.keys"]
    assert [after[f"panel.beeps_{k}"] for k in ("short", "double", "long")] == \
        [before[f"panel.beeps_{k}"] for k in ("short", "double", "long")]


def test_chairctl_child_lock_and_press(bus, daemon):
    """chairctl drives the same rules: the child lock, and a key held on the simulated panel."""
    env = bus.env()
    chairctl = chairtest.binary("chairctl")

    def run(*args):
        import subprocess
        return subprocess.run([chairctl, *args], env=env, capture_output=True, text=True, timeout=10)

    assert run("child-lock", "on").returncode == 0
    assert daemon.get_property("ChildLock") is True
    import json
    assert json.loads(run("--json", "status").stdout)["child_lock"] is True
    assert "Child lock: on" in run("status").stdout
    assert run("press", "speed").returncode == 0
    time.sleep(0.3)
    assert daemon.get_property("Speed") == 3          # ignored under the child lock
    assert run("child-lock", "off").returncode == 0
    assert run("press", "speed", "50").returncode == 0
    chairtest.wait_for(lambda: daemon.get_property("Speed") == 4, 5, "Speed 4 from chairctl press")
    bad = run("press", "no-such-key")
    assert bad.returncode != 0 and "no-such-key" in bad.stderr
    assert run("child-lock", "maybe").returncode != 0


def test_board_display_comes_back_after_a_heartbeat_trip(panel):
    """A stalled daemon trips the board's heartbeat: its outputs, display included, go safe.
    When the daemon resumes, it reads the board's trip (a fault, not a session carrying on) and
    the display is written again, showing the fault's number."""
    if panel.name != "modbus":
        pytest.skip("the heartbeat is the Modbus board's")
    import signal
    wait_shown(panel, "display_minutes", 20)
    panel.daemon.process.signal(signal.SIGSTOP)
    try:
        wait_shown(panel, "display_minutes", 0, timeout=5)   # chairsim's 1 s heartbeat timeout
    finally:
        panel.daemon.process.signal(signal.SIGCONT)
    wait_shown(panel, "display_fault", 22, timeout=5)       # E22 heartbeat-tripped
    assert panel.daemon.get_property("Fault") == "heartbeat-tripped"


def test_every_fault_code_has_a_display_number():
    """The display shows a number for every fault the daemon can raise, and docs/panel.md lists
    the same numbers as the one fault table (common/fault-codes.c)."""
    src = os.path.join(chairtest.SOURCE_DIR, "daemon")
    raised = set()
    for name in os.listdir(src):
        if name.endswith(".c") and name != "fault-codes.c":
            with open(os.path.join(src, name)) as f:
                raised |= set(re.findall(r'\bCHAIR_FAULT_([A-Z_]+)\b', f.read()))
    raised = {r.lower().replace("_", "-") for r in raised} - {"number-unknown"}
    with open(os.path.join(chairtest.SOURCE_DIR, "common", "fault-codes.c")) as f:
        numbered = re.findall(r'^\s*\[CHAIR_FAULT_[A-Z_]+\] = "([a-z-]+)",', f.read(), re.M)
    assert raised and raised <= set(numbered), f"no display number: {sorted(raised - set(numbered))}"
    with open(os.path.join(chairtest.SOURCE_DIR, "docs", "panel.md")) as f:
        documented = dict((code, int(no)) for no, code in re.findall(r"E(\d\d) \| `([a-z-]+)`", f.read()))
    assert documented == {code: i + 1 for i, code in enumerate(numbered)}
