"""The technician's output test (Service.TestOutput, `chairctl test-output`) on the simulated
chair: one output driven for a bounded time while idle and back to its safe value; refused to an
ordinary user, outside idle, out of range; a Start ends it at once; the leg rollers and the axes
only with the seat empty, an axis stopped by its bumper without a pinch latched."""
import subprocess

import pytest

import chairtest
from chairtest import SERVICE_INTERFACE

ERR = "org.massagechair.Chair1.Error."
DENIED = "org.freedesktop.DBus.Error.AccessDenied"
INVALID = "org.freedesktop.DBus.Error.InvalidArgs"
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def output(daemon, name):
    values = daemon.call("GetDiagnostics", interface=SERVICE_INTERFACE)[0]
    return values[f"output.{name}"]["data"]


def chairctl(bus, *args, prefix=()):
    return subprocess.run([*prefix, chairtest.binary("chairctl"), f"--address={bus.address}", *args],
                          capture_output=True, text=True, env=bus.env(), timeout=20 * chairtest.SLOWDOWN)


def test_output_moves_and_returns_to_safe(daemon, bus):
    assert output(daemon, "heat_lumbar") == 0
    r = chairctl(bus, "test-output", "heat_lumbar", "1", "--for=1500")
    assert r.returncode == 0, r.stderr
    chairtest.wait_for(lambda: output(daemon, "heat_lumbar") == 1, 1, "heat_lumbar on")
    chairtest.wait_for(lambda: output(daemon, "heat_lumbar") == 0, 5, "heat_lumbar back to its safe value")
    assert daemon.get_property("State") == "idle"
    # The roller rests on its bottom end switch: down is refused, up travels, then stops.
    r = chairctl(bus, "test-output", "travel_motor", "-30", "--for=600")
    assert r.returncode != 0 and "bottom end switch" in r.stderr, r.stderr
    r = chairctl(bus, "test-output", "travel_motor", "30", "--for=600")
    assert r.returncode == 0, r.stderr
    assert output(daemon, "travel_motor") == 30
    chairtest.wait_for(lambda: output(daemon, "travel_motor") == 0, 5, "travel_motor back to 0")


def test_refusals(daemon, bus):
    def error(*args):
        return daemon.error_of("TestOutput", *args, interface=SERVICE_INTERFACE)

    assert error("no_such_output", "1", "uint32 100")[0] == INVALID
    name, text = error("air_pump", "7", "uint32 100")
    assert name == INVALID and "air_pump" in text, text
    assert error("air_pump", "1", "uint32 0")[0] == INVALID
    assert error("air_pump", "1", "uint32 10001")[0] == INVALID
    # Indicators belong to the panel.
    assert error("led_power", "1", "uint32 100")[0] == INVALID
    # One at a time.
    daemon.call("TestOutput", "siu", "air_pump", 1, 3000, interface=SERVICE_INTERFACE)
    assert error("heat_calves", "1", "uint32 100")[0] == ERR + "Busy"
    r = chairctl(bus, "test-output", "heat_calves", "1")
    assert r.returncode != 0 and "another output test runs" in r.stderr, r.stderr


def test_start_ends_it_and_running_refuses(daemon):
    daemon.call("TestOutput", "siu", "air_pump", 1, 5000, interface=SERVICE_INTERFACE)
    assert output(daemon, "air_pump") == 1
    daemon.call("Start", "sa{sv}", "swedish", 1, "scan", "b", "false")
    chairtest.wait_for(lambda: daemon.get_property("State") == "running", 10, "running")
    assert daemon.error_of("TestOutput", "heat_lumbar", "1", "uint32 100",
                           interface=SERVICE_INTERFACE)[0] == ERR + "Busy"


def test_estop_wins(daemon):
    daemon.call("TestOutput", "siu", "heat_lumbar", 1, 5000, interface=SERVICE_INTERFACE)
    daemon.call("InjectFault", "sb", "estop", "true", interface=SERVICE_INTERFACE)
    chairtest.wait_for(lambda: daemon.get_property("State") == "fault", 5, "the fault")
    assert output(daemon, "heat_lumbar") == 0
    assert daemon.error_of("TestOutput", "heat_lumbar", "1", "uint32 100",
                           interface=SERVICE_INTERFACE)[0] == ERR + "FaultLatched"


def test_ordinary_user_refused(daemon, bus):
    r = chairctl(bus, "test-output", "heat_lumbar", "1", prefix=NOBODY)
    assert r.returncode != 0, r.stdout
    assert output(daemon, "heat_lumbar") == 0
    r = subprocess.run([*NOBODY, "busctl", f"--address={bus.address}", "call", chairtest.BUS_NAME,
                        chairtest.OBJECT_PATH, SERVICE_INTERFACE, "TestOutput", "siu", "heat_lumbar", "1", "100"],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode != 0 and "Access denied" in r.stderr or DENIED in r.stderr, r.stderr


def sim_occupant(daemon, seated):
    daemon.call("SimSetOccupant", "bub", "true" if seated else "false", 450, "true" if seated else "false",
                interface=SERVICE_INTERFACE)


def test_leg_rollers_only_with_the_seat_empty(daemon):
    sim_occupant(daemon, True)
    daemon.call("SetPrecautions", "as", 1, "varicose-veins")
    for roller in ("foot_rollers", "calf_knead"):
        name, text = daemon.error_of("TestOutput", roller, "100", "uint32 3000", interface=SERVICE_INTERFACE)
        assert name == ERR + "NotPermitted" and "seated" in text, text
        assert output(daemon, roller) == 0
    daemon.call("SetPrecautions", "as", 0)
    sim_occupant(daemon, False)
    daemon.call("TestOutput", "siu", "foot_rollers", 100, 3000, interface=SERVICE_INTERFACE)
    assert output(daemon, "foot_rollers") == 100
    # Someone sits down: the test ends at once.
    sim_occupant(daemon, True)
    chairtest.wait_for(lambda: output(daemon, "foot_rollers") == 0, 5, "foot_rollers stopped")


def test_axis_stopped_by_its_bumper(daemon):
    sim_occupant(daemon, False)
    daemon.call("TestOutput", "siu", "legrest_lift_motor", 60, 10000, interface=SERVICE_INTERFACE)
    assert output(daemon, "legrest_lift_motor") == 60
    daemon.call("InjectFault", "sb", "legrest-obstruction", "true", interface=SERVICE_INTERFACE)
    chairtest.wait_for(lambda: output(daemon, "legrest_lift_motor") == 0, 5, "the lift stopped by its bumper")
    # No one was seated: no pinch latched, the chair stays idle; the bumper refuses a new test.
    assert daemon.get_property("State") == "idle"
    name, text = daemon.error_of("TestOutput", "legrest_lift_motor", "60", "uint32 1000", interface=SERVICE_INTERFACE)
    assert name == ERR + "NotPermitted" and "bumper" in text, text
