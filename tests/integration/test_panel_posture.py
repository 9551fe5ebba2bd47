# SPDX-License-Identifier: MIT
"""The panel's posture keys (docs/panel.md "Posture keys") on chairsim's panel board over Modbus
TCP: a held recline key moves the recline on the board while it is held and the release stops it
where it is; the zero-gravity key starts a preset and a second press stops it; the foot-roller
key is refused (the long beep) while the feet do not reach the foot rest."""
import subprocess
import time

import pytest
from pymodbus.client import ModbusTcpClient

import chairtest
from chairtest import SERVICE_INTERFACE

SLAVE = 1
HR_PANEL_KEY = 20
HR_POSTURE = 30          # recline, lift, extend, slide motors, foot rollers, calf knead: 30..35
IR_POSITION = 12         # recline, lift, extend, slide positions, per mille
# The key codes: the key table's place + 1 (common/chair-io.c, docs/panel.md).
CODE = {"power": 1, "recline_back": 18, "recline_up": 19, "legrest_up": 20, "legrest_down": 21,
        "zero_gravity": 22, "foot_rollers": 23}


def ok(reply):
    assert not reply.isError(), reply
    return reply


def s16(v):
    return v - 0x10000 if v >= 0x8000 else v


def diagnostics(daemon):
    return {k: v["data"] for k, v in daemon.call("GetDiagnostics", interface=SERVICE_INTERFACE)[0].items()}


@pytest.fixture
def chair(workdir, start_daemon):
    from conftest import _started  # its log is printed with a failure
    sim = chairtest.Chairsim(workdir, "--verbose")
    _started.append(sim)
    client = None
    try:
        daemon = start_daemon(args=("--config", sim.write_map()))
        client = ModbusTcpClient("127.0.0.1", port=sim.port, timeout=2)
        assert client.connect()
        # The daemon has read the board's key latch and the seat: presses from now on count.
        chairtest.wait_for(lambda: "input.panel_event" in diagnostics(daemon), 10, "the first reading of the latch")
        chairtest.wait_for(lambda: diagnostics(daemon).get("input.seat_occupancy") == 1, 10, "seat_occupancy read")
        yield daemon, client
    finally:
        if client:
            client.close()
        sim.stop()
        _started.remove(sim)


def motor(c, index=0):
    return s16(ok(c.read_holding_registers(HR_POSTURE + index, 1, slave=SLAVE)).registers[0])


def position(c, index=0):
    return s16(ok(c.read_input_registers(IR_POSITION + index, 1, slave=SLAVE)).registers[0])


def key(c, name):
    ok(c.write_register(HR_PANEL_KEY, CODE[name] if name else 0, slave=SLAVE))


def tap(c, name):
    key(c, name)
    time.sleep(0.15)
    key(c, None)
    time.sleep(0.3)  # two idle polls


def test_held_recline_key_moves_and_release_stops(chair):
    daemon, c = chair
    assert position(c) == 0 and motor(c) == 0
    key(c, "recline_back")
    chairtest.wait_for(lambda: motor(c) > 0, 5, "the recline driven while the key is held")
    chairtest.wait_for(lambda: position(c) > 40, 20, "the recline to move")
    # Still held: the panel renews its lease, the recline goes on.
    time.sleep(1.0)
    assert motor(c) > 0
    key(c, None)
    chairtest.wait_for(lambda: motor(c) == 0, 5, "the recline stopped on the release")
    time.sleep(0.5 * chairtest.SLOWDOWN)
    at = position(c)
    time.sleep(1.0 * chairtest.SLOWDOWN)
    assert position(c) == at and motor(c) == 0
    # The up key brings it back while held; upright, it has no room and is refused.
    key(c, "recline_up")
    chairtest.wait_for(lambda: motor(c) < 0, 5, "the recline driven upright")
    key(c, None)
    chairtest.wait_for(lambda: motor(c) == 0, 5, "stopped again")
    assert daemon.get_property("State") == "idle" and daemon.get_property("Fault") == ""


def test_zero_gravity_key_starts_and_stops_a_preset(chair):
    daemon, c = chair
    tap(c, "zero_gravity")
    chairtest.wait_for(lambda: motor(c) > 0 and motor(c, 1) > 0, 5, "zero-gravity-1: recline and leg rest driven")
    chairtest.wait_for(lambda: position(c) > 20, 20, "the recline to move")
    tap(c, "zero_gravity")
    chairtest.wait_for(lambda: all(motor(c, i) == 0 for i in range(4)), 5, "every axis stopped by the second press")
    at = position(c)
    time.sleep(1.0 * chairtest.SLOWDOWN)
    assert at <= position(c) <= at + 10


def test_foot_rollers_key_needs_the_feet(chair):
    daemon, c = chair
    # Legs of 450 mm: the retracted foot rest (380 mm) does not reach the soles.
    before = diagnostics(daemon)["panel.beeps_long"]
    tap(c, "foot_rollers")
    chairtest.wait_for(lambda: diagnostics(daemon)["panel.beeps_long"] == before + 1, 5, "the refusal's long beep")
    assert motor(c, 4) == 0


def test_both_recline_end_switches_from_the_start_latch_limits_both(workdir, start_daemon):
    """A wiring fault already there when the daemon starts has no edge to hear: the supervisor's
    checks find it, latch limits-both, and refuse the clear until the switches read right."""
    from conftest import _started
    sim = chairtest.Chairsim(workdir, "--fault", "recline-both-ends")
    _started.append(sim)
    client = ModbusTcpClient("127.0.0.1", port=sim.port, timeout=2)
    try:
        daemon = start_daemon(args=("--config", sim.write_map()))
        assert client.connect()
        chairtest.wait_for(lambda: daemon.get_property("Fault") == "limits-both", 15, "limits-both latched")
        assert all(motor(client, i) == 0 for i in range(4))
        name, text = daemon.error_of("ClearFault", interface=SERVICE_INTERFACE)
        assert name.endswith(".NotPermitted") and "recline end switches" in text, text
        r = subprocess.run([chairtest.binary("chairsim"), "--list-faults"], capture_output=True, text=True, timeout=10)
        coil = {n: int(c) for c, n in (line.split() for line in r.stdout.splitlines())}["recline-both-ends"]
        ok(client.write_coil(coil, False, slave=SLAVE))
        chairtest.wait_for(lambda: daemon.gcall("ClearFault", interface=SERVICE_INTERFACE).returncode == 0, 10,
                           "the clear once the switches read right")
        assert daemon.get_property("Fault") == ""
    finally:
        client.close()
        sim.stop()
        _started.remove(sim)
