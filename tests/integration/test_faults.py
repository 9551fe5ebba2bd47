"""The safety supervisor end to end on the simulated chair: one case per interlock. The fault is
injected into the sim backend while a program runs; the interlock trips, every output goes to
its safe value, the fault is reported (signal, property, history, journal line) and latched,
a Start is refused until a technician clears it, and the daemon keeps answering."""
import signal
import time

import dbus
import pytest

import chairtest
from test_session import SAFE, Signals, outputs, start, wait_state

ERR = "org.massagechair.Chair1.Error."
SERVICE = chairtest.SERVICE_INTERFACE

# (simulated fault, the interlock that must trip, what to run so the fault shows)
MATRIX = [
    ("estop", "emergency-stop", "demo"),
    ("thermistor-open", "thermistor-open", "demo"),
    ("thermistor-short", "thermistor-short", "demo"),
    ("over-pressure", "air-over-pressure", "demo"),
    ("lost-encoder", "encoder-lost", "demo"),
    ("spurious-pulses", "encoder-spurious", "pause"),
    ("stalled-motor", "motor-overcurrent", "demo"),
    ("both-limits", "limits-both", "demo"),
    ("supply-low", "supply-voltage", "demo"),
    ("supply-high", "supply-voltage", "demo"),
]


@pytest.fixture
def signals(bus, daemon):
    s = Signals(bus.address)
    yield s
    s.close()


def clear_holds(daemon):
    try:
        daemon.call("ClearFault", interface=SERVICE)
    except dbus.exceptions.DBusException:
        return False
    time.sleep(2.2)   # past the supervisor's next check at rest (every 2 s)
    return daemon.get_property("State") == "idle" and daemon.get_property("Fault") == ""


def inject(daemon, name, on=True):
    daemon.call("InjectFault", "sb", name, "true" if on else "false", interface=SERVICE)


@pytest.mark.parametrize("fault,code,mode", MATRIX, ids=[m[0] for m in MATRIX])
def test_interlock(daemon, signals, fault, code, mode):
    start(daemon)
    wait_state(daemon, "running")
    chairtest.wait_for(lambda: outputs(daemon)["travel_motor"] != 0 or outputs(daemon)["knead_motor"] != 0, 10,
                       "the roller working")
    if mode == "pause":
        daemon.call("Pause")
        wait_state(daemon, "paused")
        time.sleep(0.5)
    inject(daemon, fault)

    chairtest.wait_for(lambda: daemon.get_property("Fault") == code, 15, f"fault {code}")
    assert daemon.get_property("State") == "fault"
    safe_now = outputs(daemon)
    for k, v in SAFE.items():
        assert safe_now[k] == v, f"{k} = {safe_now[k]} after {code}"
    chairtest.wait_for(lambda: signals.find("FaultRaised", lambda a: a[0] == code), 5, "FaultRaised")
    assert signals.find("ProgramFinished", lambda a: a[1] == "fault")
    assert daemon.get_property("FaultMessage")
    assert "Fault " + code in daemon.output()

    # Latched: a start is refused while the fault stands, and the chair stays safe.
    name, _ = daemon.error_of("Start", "demo", "@a{sv} {}")
    assert name == ERR + "FaultLatched"
    time.sleep(0.3)
    assert all(outputs(daemon)[k] == v for k, v in SAFE.items())

    faults = daemon.call("GetFaults", "u", 5)[0]
    assert faults[0][1] == code and faults[0][3] == "latched"

    inject(daemon, fault, on=False)
    # The simulated cause decays as a real one does (the bags' pressure drains, the encoder's
    # spurious pulses stop): the clear is refused, or trips again at the next check, until it
    # has; a loaded machine takes longer to get there.
    chairtest.wait_for(lambda: clear_holds(daemon), 15, f"a clear of {code} that holds once its cause has gone")
    assert daemon.get_property("Fault") == ""
    assert daemon.call("GetFaults", "u", 5)[0][0][3] == "technician"
    # And the chair works again.
    start(daemon)
    wait_state(daemon, "running")
    daemon.call("Stop")


def test_estop_still_pressed_cannot_be_cleared(daemon, signals):
    inject(daemon, "estop")
    chairtest.wait_for(lambda: daemon.get_property("Fault") == "emergency-stop", 10, "emergency-stop")
    name, msg = daemon.error_of("ClearFault", interface=SERVICE)
    assert name == ERR + "NotPermitted" and "emergency stop" in msg
    inject(daemon, "estop", on=False)
    daemon.call("ClearFault", interface=SERVICE)
    wait_state(daemon, "idle")


def test_overtemperature_during_heat(daemon, signals):
    """The heater runs away (a stuck relay): the over-temperature interlock trips."""
    daemon.call("StartManual", "ssa{sv}", "knead", "point", 0)
    wait_state(daemon, "running")
    daemon.call("SetHeat", "su", "lumbar", 3)
    inject(daemon, "over-temperature")
    # The simulated element heats at its own pace: allow it the time a real one needs.
    chairtest.wait_for(lambda: daemon.get_property("Fault") == "heater-over-temperature", 120,
                       "heater-over-temperature")
    assert outputs(daemon)["heat_lumbar"] == 0


def test_kill_9_then_restart_starts_safe(bus, workdir, start_daemon):
    """A crash mid-program leaves nothing on: the restarted daemon drives every output safe
    before anything else, and its state is intact."""
    d = start_daemon()
    start(d)
    wait_state(d, "running")
    d.process.signal(signal.SIGKILL)
    d.process.wait(timeout=10)
    again = start_daemon(name="massagechaird-2")
    assert "Every output is at its safe value." in again.output().split("Ready:")[0]
    assert again.get_property("State") == "idle"
    assert all(outputs(again)[k] == v for k, v in SAFE.items())


def test_deadline_missed(daemon, signals):
    """A command that runs later than the hardware map's bound is a fault, never a silent skip."""
    start(daemon)
    wait_state(daemon, "running")
    inject(daemon, "scheduler-late")
    chairtest.wait_for(lambda: daemon.get_property("Fault") == "deadline-missed", 10, "deadline-missed")
    assert all(outputs(daemon)[k] == v for k, v in SAFE.items())
    assert "ran" in daemon.get_property("FaultMessage") and "late" in daemon.get_property("FaultMessage")


def sim_map(workdir, limits):
    """Every binding on the sim backend, with tighter interlock bounds."""
    from chairtest import SOURCE_DIR  # noqa: F401
    outputs_ = ["travel_motor", "knead_motor", "tap_motor", "width", "depth", "air_pump", "valve_shoulders",
                "valve_arms", "valve_back", "valve_seat", "valve_calves", "valve_feet", "air_release", "heat_lumbar",
                "heat_calves", "beeper", "led_power", "led_heat", "led_air"]
    inputs_ = ["encoder", "limit_top", "limit_bottom", "roller_load", "motor_current", "air_pressure", "temp_lumbar",
               "temp_calves", "supply_voltage", "estop", "panel_key"]
    text = "[chair]\nmodel = simulated chair with tight limits\nsimulated = yes\ntrack_length_mm = 300\n[limits]\n" + limits
    text += "".join(f"[output.{o}]\nbackend = sim\n" for o in outputs_)
    text += "".join(f"[input.{i}]\nbackend = sim\n" for i in inputs_)
    import os
    path = os.path.join(workdir, "tight.conf")
    with open(path, "w") as f:
        f.write(text)
    return path


def test_heat_that_never_arrives(bus, workdir, start_daemon):
    d = start_daemon(args=("--config", sim_map(workdir, "heat_rise_timeout_s = 30\n")))
    d.call("StartManual", "ssa{sv}", "knead", "point", 0)
    wait_state(d, "running")
    inject(d, "heat-not-rising")
    d.call("SetHeat", "su", "lumbar", 3)
    chairtest.wait_for(lambda: d.get_property("Fault") == "heat-not-rising", 60, "heat-not-rising")
    assert outputs(d)["heat_lumbar"] == 0


def test_air_inflation_too_long(bus, workdir, start_daemon):
    """A burst bag never reaches its pressure, so the pump would run on: the inflation bound trips."""
    d = start_daemon(args=("--config", sim_map(workdir, "air_max_inflate_s = 5\n")))
    d.call("StartManual", "ssa{sv}", "roll", "point", 0)
    wait_state(d, "running")
    inject(d, "air-leak")
    d.call("SetAir", "asu", 1, "calves", 3)
    chairtest.wait_for(lambda: d.get_property("Fault") == "air-inflation-too-long", 20, "air-inflation-too-long")
    assert outputs(d)["air_pump"] == 0 and outputs(d)["air_release"] == 1


def test_session_too_long(bus, workdir, start_daemon):
    d = start_daemon(args=("--config", sim_map(workdir, "max_session_minutes = 1\n")))
    start(d, duration=120)
    wait_state(d, "running")
    chairtest.wait_for(lambda: d.get_property("Fault") == "session-too-long", 90, "session-too-long")
    assert all(outputs(d)[k] == v for k, v in SAFE.items())


def test_travel_that_never_arrives(bus, workdir, start_daemon):
    """A slipping drive: the roller creeps, pulses still come (so no encoder fault), but it does
    not reach its target within twice its travel time."""
    d = start_daemon(args=("--config", sim_map(workdir, "travel_timeout_s = 5\n")))
    inject(d, "slow-roller")
    d.call("StartManual", "ssa{sv}", "knead", "point", 0)
    wait_state(d, "running")
    chairtest.wait_for(lambda: d.get_property("Fault") == "travel-timeout", 120, "travel-timeout")
    assert outputs(d)["travel_motor"] == 0
