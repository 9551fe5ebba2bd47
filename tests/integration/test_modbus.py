"""Modbus against real peers: chairsim checked by independent clients (python3-pymodbus, mbpoll)
over TCP loopback and RTU on a socat pty pair; the daemon's Modbus backend against chairsim
(a program runs, interlocks trip through chairsim's fault coils, the board's heartbeat switches
its outputs off when the daemon stops or hangs); and the backend's error paths against a
Modbus peer that answers late, garbles or hangs up: counted errors, reconnects, never a crash."""
import os
import re
import signal
import subprocess
import time

import pytest
from pymodbus.client import ModbusSerialClient, ModbusTcpClient

import chairtest
from test_session import SAFE, outputs, start, wait_state

SERVICE = chairtest.SERVICE_INTERFACE
FAULT_COIL = {"estop": 111, "lost-encoder": 105, "over-pressure": 104, "slow-replies": 113,
              "garbled-replies": 114, "disconnect": 115}


def start_chairsim(workdir, *args, name="chairsim"):
    sim = chairtest.Process([chairtest.binary("chairsim"), "--listen", "127.0.0.1:0", *args],
                            os.path.join(workdir, f"{name}.log"))
    chairtest.wait_for(lambda: "listening on" in sim.output(), 10, "chairsim to listen")
    port = int(re.search(r"127\.0\.0\.1:(\d+)", sim.output()).group(1))
    return sim, port


@pytest.fixture
def chairsim(workdir):
    sim, port = start_chairsim(workdir)
    yield port
    sim.stop()


@pytest.fixture
def client(chairsim):
    c = ModbusTcpClient("127.0.0.1", port=chairsim, timeout=2)
    assert c.connect()
    yield c
    c.close()


def test_chairsim_register_map(client):
    ir = client.read_input_registers(0, 9, slave=1)
    assert not ir.isError()
    encoder = ir.registers[0] << 16 | ir.registers[1]
    assert encoder == 0                       # the roller starts at the bottom
    assert ir.registers[7] == 24000           # supply voltage, mV
    assert 200 <= ir.registers[5] <= 240      # lumbar temperature, 0.1 degC, at ambient
    di = client.read_discrete_inputs(0, 4, slave=1)
    assert di.bits[1] and not di.bits[0]      # bottom limit switch, not the top one
    coils = client.read_coils(0, 14, slave=1)
    assert coils.bits[7] and not any(coils.bits[:7])  # the vent open, everything else off


def test_chairsim_physics_and_heartbeat(client):
    # Keep the heartbeat going while the roller climbs.
    client.write_register(10, 1, slave=1)
    assert not client.write_register(0, 100, slave=1).isError()     # travel up at full duty
    for i in range(8):
        time.sleep(0.1)
        client.write_register(10, 2 + i, slave=1)
    ir = client.read_input_registers(0, 2, slave=1)
    assert (ir.registers[0] << 16 | ir.registers[1]) > 20          # encoder pulses arrived
    # Stop writing the heartbeat: after the timeout the board switches its outputs off itself.
    time.sleep(1.5)
    assert client.read_holding_registers(0, 1, slave=1).registers[0] == 0
    assert client.read_discrete_inputs(3, 1, slave=1).bits[0]      # heartbeat tripped


def test_chairsim_refuses_out_of_range(client):
    r = client.write_register(3, 7, slave=1)                       # width is 0..2
    assert r.isError() and r.exception_code == 3                    # ILLEGAL_DATA_VALUE
    r = client.write_register(0, 0xff00, slave=1)                 # -256 %: refused too
    assert r.isError()
    assert client.read_holding_registers(3, 1, slave=1).registers[0] == 1


def test_chairsim_fault_coils(client):
    client.write_coil(FAULT_COIL["estop"], True, slave=1)
    time.sleep(0.1)
    assert client.read_discrete_inputs(2, 1, slave=1).bits[0]
    client.write_coil(FAULT_COIL["estop"], False, slave=1)
    time.sleep(0.1)
    assert not client.read_discrete_inputs(2, 1, slave=1).bits[0]


def test_mbpoll_reads_chairsim(chairsim):
    r = subprocess.run(["mbpoll", "-m", "tcp", "-p", str(chairsim), "-a", "1", "-t", "3", "-r", "7", "-c", "1",
                        "-1", "-0", "127.0.0.1"], capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"\[7\]:\s+24000", r.stdout), r.stdout


@pytest.fixture
def pty_pair(workdir):
    a, b = os.path.join(workdir, "ttyA"), os.path.join(workdir, "ttyB")
    socat = chairtest.Process(["socat", "-d", "-d", f"pty,raw,echo=0,link={a}", f"pty,raw,echo=0,link={b}"],
                              os.path.join(workdir, "socat.log"))
    chairtest.wait_for(lambda: os.path.exists(a) and os.path.exists(b), 10, "the socat pty pair")
    yield a, b
    socat.stop()


def test_chairsim_over_rtu(workdir, pty_pair):
    a, b = pty_pair
    sim = chairtest.Process([chairtest.binary("chairsim"), "--rtu", a, "--baud", "115200"],
                            os.path.join(workdir, "sim-rtu.log"))
    try:
        chairtest.wait_for(lambda: "serving Modbus RTU" in sim.output(), 10, "chairsim on RTU")
        c = ModbusSerialClient(port=b, baudrate=115200, timeout=1)
        assert c.connect()
        ir = c.read_input_registers(7, 1, slave=1)
        assert not ir.isError() and ir.registers[0] == 24000
        c.close()
        r = subprocess.run(["mbpoll", "-m", "rtu", "-b", "115200", "-P", "none", "-a", "1", "-t", "0", "-r", "7",
                            "-c", "1", "-1", "-0", b], capture_output=True, text=True, timeout=20)
        assert r.returncode == 0 and re.search(r"\[7\]:\s+1", r.stdout), r.stdout + r.stderr
    finally:
        sim.stop()


def chair_map(workdir, port=None, device=None, extra=""):
    with open(os.path.join(chairtest.SOURCE_DIR, "hardware-maps", "chairsim.conf")) as f:
        text = f.read()
    if device:
        text = text.replace("type = tcp\nhost = 127.0.0.1\nport = 1502", f"type = rtu\ndevice = {device}")
    else:
        text = text.replace("port = 1502", f"port = {port}")
    text = text.replace("[bus.board]", extra + "[bus.board]")
    path = os.path.join(workdir, "chair.conf")
    with open(path, "w") as f:
        f.write(text)
    return path


def board_coils(port):
    c = ModbusTcpClient("127.0.0.1", port=port, timeout=5)
    assert c.connect()
    try:
        return c.read_coils(0, 14, slave=1).bits[:14], c.read_holding_registers(0, 5, slave=1).registers
    finally:
        c.close()


def set_fault(port, name, on=True):
    c = ModbusTcpClient("127.0.0.1", port=port, timeout=5)
    assert c.connect()
    c.write_coil(FAULT_COIL[name], on, slave=1)
    c.close()


def test_daemon_runs_a_program_over_modbus(bus, workdir, start_daemon, chairsim):
    d = start_daemon(args=("--config", chair_map(workdir, chairsim)))
    start(d)
    wait_state(d, "running")
    chairtest.wait_for(lambda: any(board_coils(chairsim)[1][:3]), 10, "the board's motors to run")
    chairtest.wait_for(lambda: d.get_property("RollerPosition") > 20, 10, "the roller to climb on chairsim")
    diag = d.call("GetDiagnostics", interface=SERVICE)[0]
    assert diag["modbus.link_up"]["data"] == 1 and diag["modbus.transactions"]["data"] > 10
    # An emergency stop on the board: the interlock trips and the board's outputs go safe.
    set_fault(chairsim, "estop")
    chairtest.wait_for(lambda: d.get_property("Fault") == "emergency-stop", 10, "emergency-stop")
    coils, regs = board_coils(chairsim)
    assert not any(coils[:7]) and coils[7] and not any(coils[8:10]) and regs[:3] == [0, 0, 0]
    set_fault(chairsim, "estop", False)
    chairtest.wait_for(lambda: d.call("GetDiagnostics", interface=SERVICE)[0]["input.estop"]["data"] == 0, 5,
                       "the released emergency stop to be read")
    d.call("ClearFault", interface=SERVICE)
    wait_state(d, "idle")


def test_sigstop_daemon_board_switches_off(bus, workdir, start_daemon, chairsim):
    """A hung daemon stops the heartbeat; chairsim switches its outputs off by itself."""
    d = start_daemon(args=("--config", chair_map(workdir, chairsim)))
    start(d)
    wait_state(d, "running")
    chairtest.wait_for(lambda: any(board_coils(chairsim)[1][:3]), 10, "the board's motors to run")
    d.process.signal(signal.SIGSTOP)
    try:
        chairtest.wait_for(lambda: not any(board_coils(chairsim)[1][:3]) and not board_coils(chairsim)[0][0], 5,
                           "the board to switch off by itself")
    finally:
        d.process.signal(signal.SIGCONT)


def test_kill_9_daemon_board_switches_off_and_restart_is_safe(bus, workdir, start_daemon, chairsim):
    d = start_daemon(args=("--config", chair_map(workdir, chairsim)))
    start(d)
    wait_state(d, "running")
    chairtest.wait_for(lambda: any(board_coils(chairsim)[1][:3]), 10, "the board's motors to run")
    d.process.signal(signal.SIGKILL)
    d.process.wait(timeout=10)
    chairtest.wait_for(lambda: not any(board_coils(chairsim)[1][:3]), 5, "the board to switch off")
    again = start_daemon(args=("--config", chair_map(workdir, chairsim)), name="restarted")
    assert again.get_property("State") == "idle"
    coils, regs = board_coils(chairsim)
    assert regs[:3] == [0, 0, 0] and coils[7]


def test_link_lost_is_a_fault(bus, workdir, start_daemon):
    sim, port = start_chairsim(workdir)
    d = start_daemon(args=("--config", chair_map(workdir, port)))
    try:
        start(d)
        wait_state(d, "running")
        sim.stop()
        chairtest.wait_for(lambda: d.get_property("Fault") == "modbus-link-lost", 15, "modbus-link-lost")
        assert d.get_property("State") == "fault"
        diag = d.call("GetDiagnostics", interface=SERVICE)[0]
        assert diag["modbus.link_up"]["data"] == 0
    finally:
        sim.stop()


@pytest.mark.parametrize("fault,counter", [("garbled-replies", "invalid"), ("slow-replies", "errors_timeout")])
def test_error_paths_counted(bus, workdir, start_daemon, chairsim, fault, counter):
    d = start_daemon(args=("--config", chair_map(workdir, chairsim)))
    set_fault(chairsim, fault)
    time.sleep(2)
    diag = {k: v["data"] for k, v in d.call("GetDiagnostics", interface=SERVICE)[0].items()}
    errors = diag["modbus.errors_timeout"] + diag["modbus.errors_crc"] + diag["modbus.errors_invalid"] + \
        diag["modbus.errors_exception"]
    assert errors > 0, diag
    assert d.process.poll() is None
    set_fault(chairsim, fault, False)
    chairtest.wait_for(lambda: d.call("GetDiagnostics", interface=SERVICE)[0]["modbus.link_up"]["data"] == 1, 15,
                       "the link to come back")


def test_daemon_over_rtu(bus, workdir, start_daemon, pty_pair):
    a, b = pty_pair
    sim = chairtest.Process([chairtest.binary("chairsim"), "--rtu", a], os.path.join(workdir, "sim-rtu.log"))
    try:
        chairtest.wait_for(lambda: "serving Modbus RTU" in sim.output(), 10, "chairsim on RTU")
        d = start_daemon(args=("--config", chair_map(workdir, device=b)))
        chairtest.wait_for(lambda: d.call("GetDiagnostics", interface=SERVICE)[0]["modbus.transactions"]["data"] > 5,
                           10, "RTU transactions")
        assert d.get_property("Temperatures")["lumbar"] > 15
        start(d)
        wait_state(d, "running")
        chairtest.wait_for(lambda: d.get_property("RollerPosition") > 10, 10, "the roller to move over RTU")
        d.call("Stop")
    finally:
        sim.stop()
