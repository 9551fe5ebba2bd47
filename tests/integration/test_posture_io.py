# SPDX-License-Identifier: MIT
"""The posture hardware (issue #19's foundation) on chairsim over Modbus TCP: chairsim's new
registers read and written as any Modbus peer would (pymodbus, and mbpoll once); the daemon on
chairsim's map reads the new inputs (GetDiagnostics); the technician's output test is the only
way to drive an axis and refuses it while someone sits; an e-stop and a kill -9 of the daemon
with an axis moving leave every axis output at 0 and the axis where it stopped (never home)."""
import os
import shutil
import signal
import subprocess
import time

import pytest
from pymodbus.client import ModbusTcpClient

import chairtest

SLAVE = 1
ERR = "org.massagechair.Chair1.Error."
# chairsim's registers (docs/chairsim.md; `chairsim --print-map=json` is their source).
AXES = ("recline", "legrest_lift", "legrest_extend", "seat_slide")
HR_POSTURE = 30          # recline, lift, extend, slide motors, foot rollers, calf knead: 30..35
N_POSTURE = 6
HR_LEG_LENGTH = 13
DI_SEAT, DI_FEET, DI_OBSTRUCTION, DI_ENDS = 4, 5, 6, 7   # ends: 7 + 2A end_min, 8 + 2A end_max
IR_POSITION, IR_CURRENT = 12, 16
COIL_SEATED, COIL_FEET = 20, 21
DI_HEARTBEAT_TRIPPED = 3


def fault_coil(name):
    r = subprocess.run([chairtest.binary("chairsim"), "--list-faults"], capture_output=True, text=True, timeout=10)
    return {n: int(c) for c, n in (line.split() for line in r.stdout.splitlines())}[name]


def ok(reply):
    assert not reply.isError(), reply
    return reply


def s16(v):
    return v - 0x10000 if v >= 0x8000 else v


@pytest.fixture
def board(workdir):
    """chairsim with ARGS, and a pymodbus client on it; both stopped at the end."""
    made = []

    def make(*args):
        sim = chairtest.Chairsim(workdir, *args)
        made.append(sim)
        client = ModbusTcpClient("127.0.0.1", port=sim.port, timeout=2)
        assert client.connect()
        made.append(client)
        return sim, client

    yield make
    for m in made:
        if isinstance(m, ModbusTcpClient):
            m.close()
        else:
            m.stop()


def motors(c):
    return [s16(v) for v in ok(c.read_holding_registers(HR_POSTURE, N_POSTURE, slave=SLAVE)).registers]


def position(c, axis):
    return s16(ok(c.read_input_registers(IR_POSITION + AXES.index(axis), 1, slave=SLAVE)).registers[0])


def current(c, axis):
    return ok(c.read_input_registers(IR_CURRENT + AXES.index(axis), 1, slave=SLAVE)).registers[0]


def discrete(c, address):
    return ok(c.read_discrete_inputs(address, 1, slave=SLAVE)).bits[0]


def test_chairsim_posture_registers(board):
    sim, c = board("--heartbeat-timeout", "0")
    # At start: someone sits (the safe assumption), every axis at its end_min, nothing drawn.
    assert discrete(c, DI_SEAT) and not discrete(c, DI_OBSTRUCTION)
    bits = ok(c.read_discrete_inputs(DI_ENDS, 8, slave=SLAVE)).bits[:8]
    assert bits == [True, False] * 4
    assert ok(c.read_input_registers(IR_POSITION, 8, slave=SLAVE)).registers == [0] * 8
    assert motors(c) == [0] * N_POSTURE
    # Legs of 450 mm: the retracted foot rest (380 mm) does not reach the soles.
    assert not discrete(c, DI_FEET)

    # The recline moves on its holding register, reports position and current, stops on 0.
    ok(c.write_register(HR_POSTURE, 100, slave=SLAVE))
    chairtest.wait_for(lambda: position(c, "recline") > 20, 10, "the recline to move")
    assert current(c, "recline") > 0 and not discrete(c, DI_ENDS)
    ok(c.write_register(HR_POSTURE, 0, slave=SLAVE))
    chairtest.wait_for(lambda: current(c, "recline") == 0, 5, "the recline's current to drop")
    # Reversible: -100 is two's complement; out of range is refused whole.
    ok(c.write_register(HR_POSTURE + 4, 0x10000 - 100, slave=SLAVE))
    assert motors(c)[4] == -100
    assert c.write_register(HR_POSTURE + 1, 101, slave=SLAVE).isError()
    assert c.write_register(HR_POSTURE + 5, 0x10000 - 1, slave=SLAVE).isError()  # calf_knead is 0..100
    assert motors(c)[1] == 0 and motors(c)[5] == 0
    ok(c.write_register(HR_POSTURE + 4, 0, slave=SLAVE))

    # The occupant's coils and leg length: shorter legs are felt at once, nobody seated is none.
    ok(c.write_register(HR_LEG_LENGTH, 300, slave=SLAVE))
    chairtest.wait_for(lambda: discrete(c, DI_FEET), 5, "the feet felt")
    ok(c.write_coil(COIL_FEET, False, slave=SLAVE))
    chairtest.wait_for(lambda: not discrete(c, DI_FEET), 5, "the feet off")
    ok(c.write_coil(COIL_FEET, True, slave=SLAVE))
    ok(c.write_coil(COIL_SEATED, False, slave=SLAVE))
    chairtest.wait_for(lambda: not discrete(c, DI_SEAT) and not discrete(c, DI_FEET), 5, "the seat empty")
    assert c.write_coil(22, True, slave=SLAVE).isError()  # still no coil there

    # An object in the leg rest's path: the lift meets it, the bumper trips, the current rises.
    ok(c.write_coil(fault_coil("legrest-obstruction"), True, slave=SLAVE))
    ok(c.write_register(HR_POSTURE + 1, 100, slave=SLAVE))
    chairtest.wait_for(lambda: discrete(c, DI_OBSTRUCTION), 10, "the bumper")
    assert current(c, "legrest_lift") > 3000
    assert position(c, "legrest_lift") < 100 and not discrete(c, DI_ENDS + 3)
    ok(c.write_register(HR_POSTURE + 1, 0, slave=SLAVE))
    ok(c.write_coil(fault_coil("legrest-obstruction"), False, slave=SLAVE))
    chairtest.wait_for(lambda: not discrete(c, DI_OBSTRUCTION), 5, "the object taken away")

    # A real peer's view: mbpoll reads the positions and currents (input registers 12..19).
    if shutil.which("mbpoll"):
        r = subprocess.run(["mbpoll", "-m", "tcp", "-a", "1", "-0", "-t", "3", "-r", str(IR_POSITION), "-c", "8",
                            "-1", "-p", str(sim.port), "127.0.0.1"], capture_output=True, text=True, timeout=20)
        assert r.returncode == 0, r.stdout + r.stderr
        assert f"[{IR_POSITION}]:" in r.stdout, r.stdout


def test_chairsim_posture_options(board, workdir):
    sim, c = board("--heartbeat-timeout", "0", "--occupant", "no", "--leg-length", "300", "--feet", "no",
                   "--fault", "legrest-obstruction")
    assert not discrete(c, DI_SEAT) and not discrete(c, DI_FEET)
    assert ok(c.read_holding_registers(HR_LEG_LENGTH, 1, slave=SLAVE)).registers == [300]
    assert ok(c.read_coils(fault_coil("legrest-obstruction"), 1, slave=SLAVE)).bits[0]
    for bad in (("--occupant", "maybe"), ("--leg-length", "10"), ("--feet", "1")):
        r = subprocess.run([chairtest.binary("chairsim"), "--listen", "127.0.0.1:0", *bad], capture_output=True,
                           text=True, timeout=10)
        assert r.returncode == 2 and bad[0] in r.stderr, r.stderr


def diagnostics(d):
    return {k: v["data"] for k, v in d.call("GetDiagnostics", interface=chairtest.SERVICE_INTERFACE)[0].items()}


def test_daemon_reads_the_posture_inputs(board, start_daemon):
    sim, c = board("--occupant", "no")
    d = start_daemon(args=("--config", sim.write_map()))
    chairtest.wait_for(lambda: "input.seat_occupancy" in diagnostics(d), 10, "the posture inputs read")
    diag = diagnostics(d)
    assert diag["input.seat_occupancy"] == 0 and diag["input.feet_on"] == 0
    assert diag["input.legrest_obstruction"] == 0
    for axis in AXES:
        assert diag[f"input.{axis}_position"] == 0
        assert diag[f"input.{axis}_end_min"] == 1 and diag[f"input.{axis}_end_max"] == 0
        assert diag[f"input.{axis}_current"] == 0
        assert diag[f"output.{axis}_motor"] == 0
    assert diag["output.foot_rollers"] == 0 and diag["output.calf_knead"] == 0
    # Someone sits down: the daemon hears it (an event input).
    ok(c.write_coil(COIL_SEATED, True, slave=SLAVE))
    chairtest.wait_for(lambda: diagnostics(d)["input.seat_occupancy"] == 1, 5, "seat_occupancy 1")
    assert d.get_property("State") == "idle"


def test_output_test_drives_an_axis_only_with_the_seat_empty(board, start_daemon):
    sim, c = board()
    d = start_daemon(args=("--config", sim.write_map()))
    chairtest.wait_for(lambda: diagnostics(d).get("input.seat_occupancy") == 1, 10, "seat_occupancy read")
    name, text = d.error_of("TestOutput", "recline_motor", "50", "uint32 2000", interface=chairtest.SERVICE_INTERFACE)
    assert name == ERR + "NotPermitted" and "seat" in text, text
    assert motors(c) == [0] * N_POSTURE
    # Into the end switch it rests on: refused too, seat empty or not.
    ok(c.write_coil(COIL_SEATED, False, slave=SLAVE))
    chairtest.wait_for(lambda: diagnostics(d)["input.seat_occupancy"] == 0, 5, "seat_occupancy 0")
    name, text = d.error_of("TestOutput", "legrest_lift_motor", "int32 -50", "uint32 2000",
                            interface=chairtest.SERVICE_INTERFACE)
    assert name == ERR + "NotPermitted" and "end_min" in text, text
    # The rotary channels are no axis: tested as any motor.
    r = d.gcall("TestOutput", "foot_rollers", "int32 -30", "uint32 300", interface=chairtest.SERVICE_INTERFACE)
    assert r.returncode == 0, r.stderr
    chairtest.wait_for(lambda: motors(c)[4] == 0, 5, "the foot rollers' test to end")

    d.call("TestOutput", "siu", "legrest_extend_motor", 60, 10000, interface=chairtest.SERVICE_INTERFACE)
    chairtest.wait_for(lambda: motors(c)[2] == 60, 5, "the extension motor on the board")
    chairtest.wait_for(lambda: position(c, "legrest_extend") > 20, 10, "the extension to move")
    # Someone sits down: the test ends at once, the axis stops where it is.
    ok(c.write_coil(COIL_SEATED, True, slave=SLAVE))
    chairtest.wait_for(lambda: motors(c)[2] == 0, 5, "the extension stopped")
    assert d.get_property("State") == "idle"


def wait_moving(c, axis, index):
    chairtest.wait_for(lambda: motors(c)[index] != 0, 5, f"{axis} driven on the board")
    chairtest.wait_for(lambda: position(c, axis) > 10, 10, f"{axis} to move")


def assert_stopped_where_it_is(c, axis):
    chairtest.wait_for(lambda: motors(c) == [0] * N_POSTURE, 5, "every axis output at 0")
    at = position(c, axis)
    assert at > 0, "an axis that stops never goes home"
    # Unpowered, the lead screw coasts a millimetre or so on, never back.
    time.sleep(0.5 * chairtest.SLOWDOWN)
    settled = position(c, axis)
    assert at <= settled <= at + 10, (at, settled)
    assert current(c, axis) == 0
    # And there it stays.
    time.sleep(0.5 * chairtest.SLOWDOWN)
    assert position(c, axis) == settled and motors(c) == [0] * N_POSTURE


def test_estop_with_an_axis_moving_stops_it(board, start_daemon):
    sim, c = board("--occupant", "no", "--heartbeat-timeout", "0")
    d = start_daemon(args=("--config", sim.write_map()))
    chairtest.wait_for(lambda: diagnostics(d).get("input.seat_occupancy") == 0, 10, "seat_occupancy read")
    d.call("TestOutput", "siu", "recline_motor", 100, 8000, interface=chairtest.SERVICE_INTERFACE)
    wait_moving(c, "recline", 0)
    ok(c.write_coil(fault_coil("estop"), True, slave=SLAVE))
    assert_stopped_where_it_is(c, "recline")
    chairtest.wait_for(lambda: d.get_property("State") == "fault", 10, "State fault")
    assert d.get_property("Fault") == "emergency-stop"
    assert d.error_of("TestOutput", "recline_motor", "100", "uint32 1000",
                      interface=chairtest.SERVICE_INTERFACE)[0] == ERR + "FaultLatched"


def test_kill_9_with_an_axis_moving_leaves_it_stopped(board, start_daemon):
    """No process is left to stop anything: the board's heartbeat watch switches the axis off."""
    sim, c = board("--occupant", "no", "--heartbeat-timeout", "300")
    d = start_daemon(args=("--config", sim.write_map()))
    chairtest.wait_for(lambda: diagnostics(d).get("input.seat_occupancy") == 0, 10, "seat_occupancy read")
    d.call("TestOutput", "siu", "legrest_lift_motor", 100, 8000, interface=chairtest.SERVICE_INTERFACE)
    wait_moving(c, "legrest_lift", 1)
    d.process.signal(signal.SIGKILL)
    chairtest.wait_for(lambda: discrete(c, DI_HEARTBEAT_TRIPPED), 5, "the board's heartbeat trip")
    assert_stopped_where_it_is(c, "legrest_lift")


def test_seat_occupancy_from_a_load_register(board, start_daemon):
    """seat_occupancy read from a register with a threshold (a load cell): chairsim's holding
    register 13 (the occupant's leg length, a register of its own) stands in for the load."""
    sim, c = board("--heartbeat-timeout", "0")
    path = sim.write_map()
    with open(path) as f:
        conf = f.read()
    conf = conf.replace("[input.seat_occupancy]\nbackend = modbus\nbus = board\ntable = discrete\naddress = 4\n",
                        f"[input.seat_occupancy]\nbackend = modbus\nbus = board\ntable = holding\n"
                        f"address = {HR_LEG_LENGTH}\nthreshold = 400\n")
    assert "threshold = 400" in conf
    with open(path, "w") as f:
        f.write(conf)
    d = start_daemon(args=("--config", path))
    chairtest.wait_for(lambda: diagnostics(d).get("input.seat_occupancy") == 1, 10, "450 >= 400: occupied")
    ok(c.write_register(HR_LEG_LENGTH, 399, slave=SLAVE))
    chairtest.wait_for(lambda: diagnostics(d)["input.seat_occupancy"] == 0, 5, "399 < 400: empty")
    d.call("TestOutput", "siu", "seat_slide_motor", 50, 300, interface=chairtest.SERVICE_INTERFACE)
    ok(c.write_register(HR_LEG_LENGTH, 400, slave=SLAVE))
    chairtest.wait_for(lambda: diagnostics(d)["input.seat_occupancy"] == 1, 5, "400 >= 400: occupied")
    name, _ = d.error_of("TestOutput", "seat_slide_motor", "50", "uint32 300", interface=chairtest.SERVICE_INTERFACE)
    assert name == ERR + "NotPermitted"
