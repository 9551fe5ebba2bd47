# SPDX-License-Identifier: MIT
"""What must not wait for the event loop, on chairsim over Modbus TCP: the emergency stop reaches
the board from the bus thread while the loop is stuck; the board's heartbeat is a lease, so a
daemon that stands still lets the board switch itself off and then reports the trip; an
out-of-range thermistor trips within a poll; and the checks that make sense at rest run while
idle."""
import os
import signal
import subprocess

import pytest
from pymodbus.client import ModbusTcpClient

import chairtest
from test_session import start, wait_state

FAULT_COIL = {"thermistor-open": 101, "spurious-pulses": 106, "supply-low": 109, "estop": 111}
HR_HEARTBEAT_TIMEOUT = 11
# The board's actuators: travel, knead, tap (holding 0..2); pump, valves (coils 0..6), heaters (8, 9).
ACTUATOR_COILS = (0, 1, 2, 3, 4, 5, 6, 8, 9)


@pytest.fixture
def board(workdir):
    """chairsim, a pymodbus client on it, and a function writing its map with extra sections."""
    sims = []

    def make(*args):
        sim = chairtest.Chairsim(workdir, *args)
        sims.append(sim)
        client = ModbusTcpClient("127.0.0.1", port=sim.port, timeout=2)
        assert client.connect()
        sims.append(client)
        return sim, client

    yield make
    for s in sims:
        if isinstance(s, ModbusTcpClient):
            s.close()
        else:
            s.stop()


def ok(reply):
    assert not reply.isError(), reply
    return reply


def actuators_safe(c):
    regs = ok(c.read_holding_registers(0, 3, slave=1)).registers
    coils = ok(c.read_coils(0, 10, slave=1)).bits
    return regs == [0, 0, 0] and not any(coils[i] for i in ACTUATOR_COILS) and coils[7]


def actuators_on(c):
    return not actuators_safe(c)


def map_with(sim, text="", poll_ms=None):
    path = sim.write_map(text)
    if poll_ms:
        with open(path) as f:
            conf = f.read().replace("poll_ms = 50", f"poll_ms = {poll_ms}\nidle_poll_ms = {poll_ms}")
        with open(path, "w") as f:
            f.write(conf)
    return path


# A program paused for a moment by SIGSTOP is late by that much: not the fault looked for here.
PATIENT = "\n[limits]\ndeadline_miss_ms = 1000\n"


def test_stalled_daemon_board_trips_and_state_is_fault(board, start_daemon):
    """SIGSTOP: every thread stands still, the heartbeat stops, the board switches itself off.
    After SIGCONT the daemon reads the board's trip before its heartbeat ends it: fault, never
    running on a board that switched off."""
    sim, c = board("--heartbeat-timeout", "300")
    d = start_daemon(args=("--config", map_with(sim, PATIENT)))
    start(d)
    wait_state(d, "running")
    chairtest.wait_for(lambda: actuators_on(c), 10, "the program's outputs on the board")
    d.process.signal(signal.SIGSTOP)
    try:
        chairtest.wait_for(lambda: ok(c.read_discrete_inputs(3, 1, slave=1)).bits[0], 5, "the board's heartbeat trip")
        assert actuators_safe(c)
    finally:
        d.process.signal(signal.SIGCONT)
    chairtest.wait_for(lambda: d.get_property("State") == "fault", 10, "State fault")
    assert d.get_property("Fault") == "heartbeat-tripped"
    assert actuators_safe(c)


def test_estop_reaches_the_board_while_the_event_loop_is_stuck(board, start_daemon, workdir):
    """The event loop stuck (the daemon's test hook; a flood of heavy D-Bus calls does the same):
    the bus thread reads the e-stop and writes the safe values itself. The board's own heartbeat
    watch is off, so only that path can make it safe."""
    sim, c = board("--heartbeat-timeout", "0")
    stall = os.path.join(workdir, "stall")
    d = start_daemon(args=("--config", map_with(sim, PATIENT)),
                     env_extra={"MASSAGECHAIRD_TEST_STALL_FILE": stall})
    start(d)
    wait_state(d, "running")
    chairtest.wait_for(lambda: actuators_on(c), 10, "the program's outputs on the board")
    open(stall, "w").close()
    try:
        d.process.signal(signal.SIGUSR2)
        chairtest.wait_for(lambda: os.path.exists(stall + ".stalled"), 10, "the event loop to stall")
        ok(c.write_coil(FAULT_COIL["estop"], True, slave=1))
        chairtest.wait_for(lambda: actuators_safe(c), 5, "the board's outputs safe")
        # Still stuck: the safe values did not come through the event loop.
        assert os.path.exists(stall + ".stalled")
    finally:
        os.unlink(stall)
    chairtest.wait_for(lambda: d.get_property("State") == "fault", 10, "State fault")
    assert d.get_property("Fault") == "emergency-stop"
    diag = {k: v["data"] for k, v in d.call("GetDiagnostics", interface=chairtest.SERVICE_INTERFACE)[0].items()}
    assert diag["modbus.safe_written_ns"] >= diag["supervisor.trip_input_ns"] > 0


def test_thermistor_out_of_range_trips_within_a_poll(board, start_daemon):
    """A slow board (poll 1 s): an open thermistor reads below its range. The reading is invalid,
    not the last good one: the heater is off at the next poll, not at its maximum on-time."""
    sim, c = board()
    d = start_daemon(args=("--config", map_with(sim, poll_ms=1000)))
    start(d)
    wait_state(d, "running")
    chairtest.wait_for(lambda: ok(c.read_coils(8, 1, slave=1)).bits[0], 15, "the lumbar heater on")
    ok(c.write_coil(FAULT_COIL["thermistor-open"], True, slave=1))
    # Two polls and the back-off of a reply at most; the output's maximum on-time is minutes.
    chairtest.wait_for(lambda: not ok(c.read_coils(8, 1, slave=1)).bits[0], 3, "the lumbar heater off")
    chairtest.wait_for(lambda: d.get_property("Fault") == "thermistor-open", 5, "Fault thermistor-open")
    assert d.get_property("State") == "fault"
    assert actuators_safe(c)


@pytest.mark.parametrize("fault,code", [("supply-low", "supply-voltage"), ("spurious-pulses", "encoder-spurious")])
def test_idle_checks(board, start_daemon, fault, code):
    """Nothing runs: a supply out of range or encoder pulses with the motor off still trip."""
    sim, c = board()
    d = start_daemon(args=("--config", map_with(sim)))
    assert d.get_property("State") == "idle"
    ok(c.write_coil(FAULT_COIL[fault], True, slave=1))
    chairtest.wait_for(lambda: d.get_property("Fault") == code, 10, f"Fault {code} while idle")
    assert d.get_property("State") == "fault"


def test_map_marks_a_stop_input(board, start_daemon):
    """`stop = yes` makes any input a stop input (here the panel's key, standing in for a seat
    switch): pressed, every output is safe at once and the fault names it."""
    sim, c = board()
    path = map_with(sim)
    with open(path) as f:
        conf = f.read()
    with open(path, "w") as f:
        f.write(conf.replace("[input.panel_key]\n", "[input.panel_key]\nstop = yes\n"))
    d = start_daemon(args=("--config", path))
    start(d)
    wait_state(d, "running")
    chairtest.wait_for(lambda: actuators_on(c), 10, "the program's outputs on the board")
    ok(c.write_register(20, 5, slave=1))
    chairtest.wait_for(lambda: d.get_property("Fault") == "stop-input", 10, "Fault stop-input")
    assert actuators_safe(c)


def test_stop_key_on_an_output_refused(bus, workdir):
    path = os.path.join(workdir, "bad.conf")
    with open(path, "w") as f:
        f.write("[chair]\nmodel = Test chair\n[output.air_pump]\nbackend = sim\nstop = yes\n")
    r = subprocess.run([chairtest.binary("massagechaird"), "--config", path, "--state-dir", workdir],
                       env=bus.env(), capture_output=True, text=True, timeout=10 * chairtest.SLOWDOWN)
    assert r.returncode == 1, r.stderr
    assert f"{path}:5: " in r.stderr and "key 'stop' applies to inputs only" in r.stderr, r.stderr
