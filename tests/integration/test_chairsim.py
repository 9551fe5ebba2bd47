"""chairsim checked by independent clients: python3-pymodbus and mbpoll read and write the
registers documented in docs/chairsim.md over TCP loopback and over RTU on a socat pty pair;
the heartbeat timeout switches the outputs safe; fault coils inject physical and transport
faults; out-of-range writes are refused with a Modbus exception; SIGTERM ends it cleanly."""
import os
import re
import shutil
import signal
import subprocess
import time

import pytest

import chairtest
from chairtest import wait_for

pymodbus_client = pytest.importorskip("pymodbus.client")
ModbusTcpClient = pymodbus_client.ModbusTcpClient
ModbusSerialClient = pymodbus_client.ModbusSerialClient

# The documented register map (docs/chairsim.md).
COIL = {"air_pump": 0, "valve_shoulders": 1, "valve_arms": 2, "valve_back": 3, "valve_seat": 4,
        "valve_calves": 5, "valve_feet": 6, "air_release": 7, "heat_lumbar": 8, "heat_calves": 9,
        "beeper": 10, "led_power": 11, "led_heat": 12, "led_air": 13, "led_lock": 14}
DI = {"limit_top": 0, "limit_bottom": 1, "estop": 2, "heartbeat_tripped": 3}
HR = {"travel_motor": 0, "knead_motor": 1, "tap_motor": 2, "width": 3, "depth": 4,
      "heartbeat": 10, "heartbeat_timeout_ms": 11, "slow_reply_ms": 12, "panel_key": 20,
      "display_minutes": 21, "display_program": 22, "display_intensity": 23, "display_speed": 24,
      "display_width": 25, "display_air": 26, "display_heat": 27, "display_fault": 28}
# The display fields' ranges (common/chair-io.c).
DISPLAY_MAX = {"display_minutes": 99, "display_program": 99, "display_intensity": 5, "display_speed": 5,
               "display_width": 3, "display_air": 5, "display_heat": 3, "display_fault": 99}
IR = {"encoder_hi": 0, "encoder_lo": 1, "roller_load": 2, "motor_current": 3, "air_pressure": 4,
      "temp_lumbar": 5, "temp_calves": 6, "supply_voltage": 7, "panel_key": 8, "panel_event": 9,
      "beeps": 10, "last_beep_ms": 11}
FAULT_BASE = 100
FAULTS = ["stuck-sensor", "thermistor-open", "thermistor-short", "over-temperature",
          "over-pressure", "lost-encoder", "spurious-pulses", "stalled-motor", "both-limits",
          "supply-low", "supply-high", "estop", "heat-not-rising", "slow-replies",
          "garbled-replies", "disconnect", "legrest-obstruction", "recline-both-ends"]
SLAVE = 1


def fault_coil(name):
    return FAULT_BASE + FAULTS.index(name)


def s16(v):
    return v - 0x10000 if v & 0x8000 else v


class Chairsim:
    def __init__(self, workdir, *args, ready=r"chairsim: (listening on \S+|serving Modbus RTU on \S+)"):
        self.process = chairtest.Process([chairtest.binary("chairsim"), *args],
                                         os.path.join(workdir, "chairsim.log"))
        line = wait_for(lambda: self._ready(ready), 10, "the chairsim ready line")
        self.port = None
        m = re.search(r"listening on [\d.]+:(\d+)", line)
        if m:
            self.port = int(m.group(1))

    def _ready(self, pattern):
        if self.process.poll() is not None:
            raise RuntimeError("chairsim exited: " + self.process.output())
        m = re.search(pattern + ".*", self.process.output())
        return m.group(0) if m else None

    def stop(self):
        return self.process.stop()


@pytest.fixture
def sim_factory(workdir):
    started = []

    def start(*args, **kwargs):
        s = Chairsim(workdir, *args, **kwargs)
        started.append(s)
        return s
    yield start
    # A clean exit on SIGTERM; under the sanitizers, also no error and no leak reported.
    codes = [s.stop() for s in started]
    assert codes == [0] * len(started), [s.process.output() for s in started]


@pytest.fixture
def tcp(sim_factory):
    """chairsim on a free loopback port with the heartbeat watch off, and a pymodbus client."""
    sim = sim_factory("--listen", "127.0.0.1:0", "--heartbeat-timeout", "0")
    client = ModbusTcpClient("127.0.0.1", port=sim.port, timeout=2, retries=0)
    assert client.connect()
    yield sim, client
    client.close()


def ok(response):
    assert not response.isError(), f"Modbus error: {response}"
    return response


def fails(call, *args, **kwargs):
    """True when a request gets no valid answer (pymodbus reports some as exceptions)."""
    try:
        return call(*args, **kwargs).isError()
    except Exception:  # ConnectionException, ModbusIOException, ...
        return True


def read_ir(client, name, count=1):
    return ok(client.read_input_registers(IR[name], count, slave=SLAVE)).registers


def read_di(client, name):
    return ok(client.read_discrete_inputs(DI[name], 1, slave=SLAVE)).bits[0]


def encoder(client):
    hi, lo = read_ir(client, "encoder_hi", 2)
    v = hi << 16 | lo
    return v - (1 << 32) if v & 0x80000000 else v


def test_documented_registers_over_tcp(tcp):
    sim, c = tcp
    # Safe at start: every output coil off but the vent, the roller at the bottom limit.
    coils = ok(c.read_coils(0, len(COIL), slave=SLAVE)).bits[:len(COIL)]
    assert coils == [name == "air_release" for name in COIL]
    assert ok(c.read_holding_registers(0, 5, slave=SLAVE)).registers == [0, 0, 0, 1, 0]
    assert read_di(c, "limit_bottom") and not read_di(c, "limit_top")
    assert not read_di(c, "estop") and not read_di(c, "heartbeat_tripped")
    assert encoder(c) == 0
    assert read_ir(c, "supply_voltage") == [24000]
    assert [s16(v) for v in read_ir(c, "temp_lumbar", 2)] == [220, 220]
    assert read_ir(c, "air_pressure") == [0]

    # The roller travels up at finite speed: encoder pulses, the bottom limit released.
    ok(c.write_register(HR["travel_motor"], 100, slave=SLAVE))
    wait_for(lambda: encoder(c) > 20, 5, "encoder pulses")
    assert not read_di(c, "limit_bottom")
    assert read_ir(c, "motor_current")[0] > 150
    # Back down (a negative duty as int16), then stop.
    ok(c.write_register(HR["travel_motor"], (-100) & 0xffff, slave=SLAVE))
    assert s16(ok(c.read_holding_registers(0, 1, slave=SLAVE)).registers[0]) == -100
    wait_for(lambda: read_di(c, "limit_bottom"), 10, "the bottom limit")
    ok(c.write_register(HR["travel_motor"], 0, slave=SLAVE))

    # Air: pump with the vent shut and one valve open raises the pressure; the vent drops it.
    ok(c.write_coils(COIL["air_release"], [False], slave=SLAVE))
    ok(c.write_coil(COIL["valve_calves"], True, slave=SLAVE))
    ok(c.write_coil(COIL["air_pump"], True, slave=SLAVE))
    wait_for(lambda: read_ir(c, "air_pressure")[0] > 50, 5, "pressure rising")
    ok(c.write_coil(COIL["air_pump"], False, slave=SLAVE))
    ok(c.write_coil(COIL["air_release"], True, slave=SLAVE))
    wait_for(lambda: read_ir(c, "air_pressure")[0] == 0, 10, "pressure vented")

    # Heat: the element warms the lumbar sensor.
    ok(c.write_coil(COIL["heat_lumbar"], True, slave=SLAVE))
    wait_for(lambda: s16(read_ir(c, "temp_lumbar")[0]) > 222, 10, "lumbar warming")
    ok(c.write_coil(COIL["heat_lumbar"], False, slave=SLAVE))

    # Width, depth, a panel key (chairsim's own register), several registers in one write.
    ok(c.write_registers(HR["width"], [2, 5], slave=SLAVE))
    assert ok(c.read_holding_registers(HR["width"], 2, slave=SLAVE)).registers == [2, 5]
    ok(c.write_register(HR["panel_key"], 7, slave=SLAVE))
    assert read_ir(c, "panel_key") == [7]


@pytest.mark.parametrize("address,value,code", [
    (HR["travel_motor"], 101, 3),
    (HR["travel_motor"], (-101) & 0xffff, 3),
    (HR["tap_motor"], (-1) & 0xffff, 3),
    (HR["width"], 3, 3),
    (HR["depth"], 6, 3),
    (HR["heartbeat_timeout_ms"], 60001, 3),
    (HR["display_minutes"], 100, 3),
    (HR["display_width"], 4, 3),
    (HR["display_fault"], (-1) & 0xffff, 3),
    (5, 0, 2),     # no register there
    (29, 0, 2),    # between the display and the posture motors
    (36, 0, 2),    # past the map
    (30, 101, 3),  # recline_motor
    (35, (-1) & 0xffff, 3),  # calf_knead
])
def test_out_of_range_writes_refused(tcp, address, value, code):
    sim, c = tcp
    r = c.write_register(address, value, slave=SLAVE)
    assert r.isError() and r.exception_code == code
    # The refused value did not land.
    if address < 5:
        assert ok(c.read_holding_registers(address, 1, slave=SLAVE)).registers[0] == (1 if address == 3 else 0)


def test_unused_coils_refused(tcp):
    sim, c = tcp
    r = c.write_coil(15, True, slave=SLAVE)
    assert r.isError() and r.exception_code == 2
    r = c.write_coil(22, True, slave=SLAVE)  # 20, 21: the occupant's
    assert r.isError() and r.exception_code == 2
    r = c.write_registers(HR["travel_motor"], [50, 200], slave=SLAVE)
    assert r.isError() and r.exception_code == 3
    assert ok(c.read_holding_registers(0, 2, slave=SLAVE)).registers == [0, 0]


def test_panel_board(tcp):
    sim, c = tcp
    # Display and lock LED: blank and off at start; every field takes its whole range.
    display = [HR[name] for name in DISPLAY_MAX]
    assert display == list(range(21, 29))
    assert ok(c.read_holding_registers(21, 8, slave=SLAVE)).registers == [0] * 8
    assert ok(c.read_coils(COIL["led_lock"], 1, slave=SLAVE)).bits[0] is False
    maxima = list(DISPLAY_MAX.values())
    ok(c.write_registers(21, maxima, slave=SLAVE))
    assert ok(c.read_holding_registers(21, 8, slave=SLAVE)).registers == maxima
    for name, top in DISPLAY_MAX.items():
        r = c.write_register(HR[name], top + 1, slave=SLAVE)
        assert r.isError() and r.exception_code == 3, name
    # One value out of range refuses the whole write: nothing of it lands.
    r = c.write_registers(21, [1, 2, 3, 4, 5, 6, 7, 100], slave=SLAVE)
    assert r.isError() and r.exception_code == 3
    assert ok(c.read_holding_registers(21, 8, slave=SLAVE)).registers == maxima
    ok(c.write_coil(COIL["led_lock"], True, slave=SLAVE))
    assert ok(c.read_coils(COIL["led_lock"], 1, slave=SLAVE)).bits[0] is True

    # Keys: the latch counts presses and keeps the latest code after the key is released.
    assert read_ir(c, "panel_event") == [0]
    ok(c.write_register(HR["panel_key"], 3, slave=SLAVE))
    assert read_ir(c, "panel_key") == [3]
    assert read_ir(c, "panel_event") == [1 << 8 | 3]
    ok(c.write_register(HR["panel_key"], 0, slave=SLAVE))
    assert read_ir(c, "panel_key") == [0]
    assert read_ir(c, "panel_event") == [1 << 8 | 3]
    # Holding a key is one press; a tap of another between two reads is not lost.
    ok(c.write_register(HR["panel_key"], 5, slave=SLAVE))
    ok(c.write_register(HR["panel_key"], 5, slave=SLAVE))
    ok(c.write_register(HR["panel_key"], 0, slave=SLAVE))
    ok(c.write_register(HR["panel_key"], 16, slave=SLAVE))
    ok(c.write_register(HR["panel_key"], 0, slave=SLAVE))
    assert read_ir(c, "panel_key", 2) == [0, 3 << 8 | 16]

    # The beeper: each 0 -> 1 of coil 10 is a beep; its length is timed from the writes.
    assert read_ir(c, "beeps", 2) == [0, 0]
    ok(c.write_coil(COIL["beeper"], True, slave=SLAVE))
    assert read_ir(c, "beeps") == [1]
    ok(c.write_coil(COIL["beeper"], True, slave=SLAVE))     # still on: the same beep
    time.sleep(0.15)
    ok(c.write_coil(COIL["beeper"], False, slave=SLAVE))
    beeps, length = read_ir(c, "beeps", 2)
    assert beeps == 1
    assert 100 <= length < 5000, length   # plausible, not exact: the test sleeps 150 ms
    ok(c.write_coil(COIL["beeper"], True, slave=SLAVE))
    ok(c.write_coil(COIL["beeper"], False, slave=SLAVE))
    assert read_ir(c, "beeps") == [2]
    # Several coils in one write: the lock LED stays, a third beep starts.
    ok(c.write_coils(COIL["beeper"], [True, True, False, False, True], slave=SLAVE))
    assert read_ir(c, "beeps") == [3]
    ok(c.write_coil(COIL["beeper"], False, slave=SLAVE))

    # Mask-write cannot be range-checked before it applies: refused on the display.
    r = c.mask_write_register(HR["display_minutes"], 0xffff, 0x00ff, slave=SLAVE)
    assert r.isError() and r.exception_code == 1


def test_panel_safe_on_heartbeat_trip(sim_factory):
    sim = sim_factory("--listen", "127.0.0.1:0", "--heartbeat-timeout", "400", "--verbose")
    c = ModbusTcpClient("127.0.0.1", port=sim.port, timeout=2, retries=0)
    assert c.connect()
    try:
        ok(c.write_register(HR["heartbeat"], 1, slave=SLAVE))
        ok(c.write_registers(21, [20, 3, 2, 4, 2, 1, 1, 7], slave=SLAVE))
        ok(c.write_coils(COIL["beeper"], [True, True, False, False, True], slave=SLAVE))
        assert read_ir(c, "beeps") == [1]
        wait_for(lambda: read_di(c, "heartbeat_tripped"), 5, "heartbeat_tripped")
        assert ok(c.read_holding_registers(21, 8, slave=SLAVE)).registers == [0] * 8
        assert ok(c.read_coils(COIL["beeper"], 5, slave=SLAVE)).bits[:5] == [False] * 5
        # The trip ended the beep; display writes while tripped do not stick.
        assert read_ir(c, "beeps") == [1] and read_ir(c, "last_beep_ms")[0] > 0
        ok(c.write_register(HR["display_minutes"], 15, slave=SLAVE))
        assert ok(c.read_holding_registers(HR["display_minutes"], 1, slave=SLAVE)).registers == [0]
        ok(c.write_register(HR["heartbeat"], 2, slave=SLAVE))
        ok(c.write_register(HR["display_minutes"], 15, slave=SLAVE))
        assert ok(c.read_holding_registers(HR["display_minutes"], 1, slave=SLAVE)).registers == [15]
    finally:
        c.close()
    # --verbose tells each panel change in one line.
    log = sim.process.output()
    assert re.search(r"chairsim: panel: leds power=1 heat=0 air=0 lock=1; display minutes=20 program=3 "
                     r"intensity=2 speed=4 width=2 air=1 heat=1 fault=7; beeper on \(beep 1\)", log), log
    assert re.search(r"chairsim: panel: leds power=0 heat=0 air=0 lock=0; display minutes=0 .*"
                     r"beeper off after \d+ ms", log), log
    assert re.search(r"chairsim: panel: .*display minutes=15 ", log), log


def test_heartbeat_timeout_makes_outputs_safe(sim_factory):
    sim = sim_factory("--listen", "127.0.0.1:0", "--heartbeat-timeout", "400")
    c = ModbusTcpClient("127.0.0.1", port=sim.port, timeout=2, retries=0)
    assert c.connect()
    try:
        beat = 1
        ok(c.write_register(HR["heartbeat"], beat, slave=SLAVE))
        assert ok(c.read_holding_registers(HR["heartbeat_timeout_ms"], 1, slave=SLAVE)).registers == [400]
        ok(c.write_coils(0, [True, True], slave=SLAVE))           # pump, shoulders valve
        ok(c.write_coil(COIL["air_release"], False, slave=SLAVE))
        ok(c.write_register(HR["knead_motor"], 60, slave=SLAVE))
        assert not read_di(c, "heartbeat_tripped")
        # The host stops beating: the board switches everything safe by itself.
        wait_for(lambda: read_di(c, "heartbeat_tripped"), 5, "heartbeat_tripped")
        assert ok(c.read_coils(0, 8, slave=SLAVE)).bits[:8] == [False] * 7 + [True]
        assert ok(c.read_holding_registers(HR["knead_motor"], 1, slave=SLAVE)).registers == [0]
        # Outputs written while tripped do not stick.
        ok(c.write_coil(COIL["air_pump"], True, slave=SLAVE))
        assert ok(c.read_coils(0, 1, slave=SLAVE)).bits[0] is False
        # The next heartbeat ends the trip; outputs work again.
        beat += 1
        ok(c.write_register(HR["heartbeat"], beat, slave=SLAVE))
        assert not read_di(c, "heartbeat_tripped")
        ok(c.write_coil(COIL["led_power"], True, slave=SLAVE))
        assert ok(c.read_coils(COIL["led_power"], 1, slave=SLAVE)).bits[0] is True
        # The timeout is a register: 0 turns the watch off.
        ok(c.write_register(HR["heartbeat_timeout_ms"], 0, slave=SLAVE))
        time.sleep(0.6)
        assert not read_di(c, "heartbeat_tripped")
    finally:
        c.close()


def test_fault_coils(tcp):
    sim, c = tcp
    ok(c.write_coil(fault_coil("estop"), True, slave=SLAVE))
    assert read_di(c, "estop")
    ok(c.write_coil(fault_coil("estop"), False, slave=SLAVE))
    assert not read_di(c, "estop")
    ok(c.write_coil(fault_coil("thermistor-open"), True, slave=SLAVE))
    assert s16(read_ir(c, "temp_lumbar")[0]) < -200
    ok(c.write_coil(fault_coil("thermistor-open"), False, slave=SLAVE))
    ok(c.write_coil(fault_coil("supply-low"), True, slave=SLAVE))
    assert read_ir(c, "supply_voltage")[0] < 10000
    ok(c.write_coil(fault_coil("supply-low"), False, slave=SLAVE))
    ok(c.write_coil(fault_coil("both-limits"), True, slave=SLAVE))
    assert read_di(c, "limit_top") and read_di(c, "limit_bottom")
    ok(c.write_coil(fault_coil("both-limits"), False, slave=SLAVE))
    # Stalled: the roller does not move and the current soars.
    ok(c.write_coil(fault_coil("stalled-motor"), True, slave=SLAVE))
    ok(c.write_register(HR["travel_motor"], 80, slave=SLAVE))
    time.sleep(0.2)
    assert encoder(c) == 0 and read_ir(c, "motor_current")[0] > 8000
    ok(c.write_register(HR["travel_motor"], 0, slave=SLAVE))
    ok(c.write_coil(fault_coil("stalled-motor"), False, slave=SLAVE))
    # Lost encoder: the roller leaves the limit, the count stays.
    ok(c.write_coil(fault_coil("lost-encoder"), True, slave=SLAVE))
    ok(c.write_register(HR["travel_motor"], 100, slave=SLAVE))
    wait_for(lambda: not read_di(c, "limit_bottom"), 5, "the roller leaving the limit")
    assert encoder(c) == 0
    ok(c.write_register(HR["travel_motor"], 0, slave=SLAVE))
    # Spurious pulses while stopped.
    ok(c.write_coil(fault_coil("spurious-pulses"), True, slave=SLAVE))
    wait_for(lambda: encoder(c) > 2, 5, "spurious pulses")
    # Over-pressure with the vent open.
    ok(c.write_coil(fault_coil("over-pressure"), True, slave=SLAVE))
    wait_for(lambda: read_ir(c, "air_pressure")[0] > 100, 5, "over-pressure")
    assert ok(c.read_coils(FAULT_BASE, len(FAULTS), slave=SLAVE)).bits[:len(FAULTS)] == \
        [f in ("lost-encoder", "spurious-pulses", "over-pressure") for f in FAULTS]


def test_fault_from_command_line(sim_factory):
    sim = sim_factory("--listen", "127.0.0.1:0", "--heartbeat-timeout", "0",
                      "--fault", "estop", "--fault", "supply-high")
    c = ModbusTcpClient("127.0.0.1", port=sim.port, timeout=2, retries=0)
    assert c.connect()
    try:
        assert read_di(c, "estop")
        assert read_ir(c, "supply_voltage")[0] > 36000
        assert ok(c.read_coils(fault_coil("estop"), 1, slave=SLAVE)).bits[0]
    finally:
        c.close()


def test_transport_faults_tcp(tcp):
    sim, c = tcp
    # Slow replies: a client with a short timeout gives up.
    ok(c.write_register(HR["slow_reply_ms"], 2500, slave=SLAVE))
    ok(c.write_coil(fault_coil("slow-replies"), True, slave=SLAVE))
    quick = ModbusTcpClient("127.0.0.1", port=sim.port, timeout=1, retries=0)  # whole seconds only
    assert quick.connect()
    assert fails(quick.read_input_registers, 0, 2, slave=SLAVE)
    quick.close()
    ok(c.write_coil(fault_coil("slow-replies"), False, slave=SLAVE))
    c.close()
    assert c.connect()
    # Garbled replies: libmodbus's own client (mbpoll) rejects the damaged MBAP header.
    ok(c.write_coil(fault_coil("garbled-replies"), True, slave=SLAVE))
    if shutil.which("mbpoll"):
        r = mbpoll("-m", "tcp", "-p", str(sim.port), "-t", "3", "-r", "7", "-c", "1", "-1", "127.0.0.1")
        assert r.returncode != 0 or "24000" not in r.stdout
    ok(c.write_coil(fault_coil("garbled-replies"), False, slave=SLAVE))
    assert read_ir(c, "supply_voltage") == [24000]
    # Disconnect: the connection closes on the next request; a new client gets in once it is off.
    ok(c.write_coil(fault_coil("disconnect"), True, slave=SLAVE))
    other = ModbusTcpClient("127.0.0.1", port=sim.port, timeout=1, retries=0)
    assert other.connect()
    assert fails(other.read_input_registers, 0, 2, slave=SLAVE)
    other.close()
    ok(c.write_coil(fault_coil("disconnect"), False, slave=SLAVE))
    assert read_ir(c, "supply_voltage") == [24000]


def test_sequential_and_concurrent_clients(tcp):
    sim, first = tcp
    for i in range(5):
        c = ModbusTcpClient("127.0.0.1", port=sim.port, timeout=2, retries=0)
        assert c.connect()
        ok(c.write_register(HR["heartbeat"], i, slave=SLAVE))
        assert read_ir(c, "supply_voltage") == [24000]
        c.close()
    assert ok(first.read_holding_registers(HR["heartbeat"], 1, slave=SLAVE)).registers == [4]


def mbpoll(*args):
    return subprocess.run(["mbpoll", "-0", "-a", str(SLAVE), "-o", "1", *args],
                          capture_output=True, text=True, timeout=15)


@pytest.mark.skipif(not shutil.which("mbpoll"), reason="mbpoll not installed")
def test_mbpoll_tcp(tcp):
    sim, c = tcp
    r = mbpoll("-m", "tcp", "-p", str(sim.port), "-t", "3", "-r", "0", "-c", "9", "-1", "127.0.0.1")
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"\[7\]:\s+24000", r.stdout)
    assert re.search(r"\[5\]:\s+220", r.stdout)
    r = mbpoll("-m", "tcp", "-p", str(sim.port), "-t", "4", "-r", "4", "127.0.0.1", "3")
    assert r.returncode == 0, r.stdout + r.stderr
    assert ok(c.read_holding_registers(HR["depth"], 1, slave=SLAVE)).registers == [3]
    r = mbpoll("-m", "tcp", "-p", str(sim.port), "-t", "0", "-r", "11", "127.0.0.1", "1")
    assert r.returncode == 0
    assert ok(c.read_coils(COIL["led_power"], 1, slave=SLAVE)).bits[0]
    r = mbpoll("-m", "tcp", "-p", str(sim.port), "-t", "4", "-r", "0", "127.0.0.1", "150")
    assert r.returncode != 0 and "Illegal data value" in (r.stdout + r.stderr)
    r = mbpoll("-m", "tcp", "-p", str(sim.port), "-t", "1", "-r", "0", "-c", "4", "-1", "127.0.0.1")
    assert r.returncode == 0 and re.search(r"\[1\]:\s+1", r.stdout)


@pytest.fixture
def pty_pair(workdir):
    if not shutil.which("socat"):
        pytest.skip("socat not installed")
    board, host = os.path.join(workdir, "board"), os.path.join(workdir, "host")
    proc = chairtest.Process(["socat", "-d", "-d", f"pty,raw,echo=0,link={board}",
                              f"pty,raw,echo=0,link={host}"], os.path.join(workdir, "socat.log"))
    wait_for(lambda: os.path.exists(board) and os.path.exists(host), 10, "socat's ptys")
    yield board, host
    proc.stop()


def test_rtu_on_pty_pair(sim_factory, pty_pair):
    board, host = pty_pair
    sim_factory("--rtu", board, "--slave", "7", "--heartbeat-timeout", "0")
    c = ModbusSerialClient(port=host, baudrate=115200, timeout=1, retries=0)
    assert c.connect()
    try:
        r = ok(c.read_input_registers(IR["supply_voltage"], 1, slave=7))
        assert r.registers == [24000]
        ok(c.write_register(HR["depth"], 2, slave=7))
        assert ok(c.read_holding_registers(HR["depth"], 1, slave=7)).registers == [2]
        r = c.write_register(HR["depth"], 9, slave=7)
        assert r.isError() and r.exception_code == 3
        ok(c.write_coil(fault_coil("estop"), True, slave=7))
        assert ok(c.read_discrete_inputs(DI["estop"], 1, slave=7)).bits[0]
        # Garbled replies: a wrong CRC is rejected by the client.
        ok(c.write_coil(fault_coil("garbled-replies"), True, slave=7))
        assert fails(c.read_input_registers, IR["supply_voltage"], 1, slave=7)
        ok(c.write_coil(fault_coil("garbled-replies"), False, slave=7))
        time.sleep(0.1)
        c.close()
        assert c.connect()
        assert ok(c.read_input_registers(IR["supply_voltage"], 1, slave=7)).registers == [24000]
        c.close()
        if shutil.which("mbpoll"):
            r = mbpoll("-m", "rtu", "-a", "7", "-b", "115200", "-P", "none", "-t", "3", "-r", "7", "-c", "1",
                       "-1", host)
            assert r.returncode == 0 and "24000" in r.stdout, r.stdout + r.stderr
        # Another slave id on the line gets no answer (last: like any libmodbus slave on a
        # multi-drop line, chairsim then takes the next frame for that slave's reply).
        assert c.connect()
        assert fails(c.read_input_registers, 0, 1, slave=8)
    finally:
        c.close()


def test_rtu_heartbeat_and_parity(sim_factory, pty_pair):
    board, host = pty_pair
    # A pty carries bytes, not bits: chairsim accepts even parity (libmodbus sets it on its end),
    # the client end stays at N because pyserial cannot set parity on a pty.
    sim_factory("--rtu", board, "--baud", "19200", "--parity", "E", "--heartbeat-timeout", "300")
    c = ModbusSerialClient(port=host, baudrate=19200, timeout=1, retries=0)
    assert c.connect()
    try:
        ok(c.write_register(HR["heartbeat"], 1, slave=SLAVE))
        ok(c.write_coil(COIL["heat_lumbar"], True, slave=SLAVE))
        wait_for(lambda: ok(c.read_discrete_inputs(DI["heartbeat_tripped"], 1, slave=SLAVE)).bits[0], 5,
                 "heartbeat_tripped")
        assert ok(c.read_coils(COIL["heat_lumbar"], 1, slave=SLAVE)).bits[0] is False
    finally:
        c.close()


def test_sigterm_ends_cleanly(sim_factory):
    sim = sim_factory("--listen", "127.0.0.1:0")
    sim.process.signal(signal.SIGTERM)
    assert sim.process.wait(10) == 0


@pytest.mark.parametrize("args,message", [
    ([], "exactly one of"),
    (["--listen", "127.0.0.1:0", "--rtu", "/dev/null"], "exactly one of"),
    (["--listen", "nocolon"], "not HOST:PORT"),
    (["--listen", "127.0.0.1:0", "--slave", "300"], "--slave"),
    (["--listen", "127.0.0.1:0", "--fault", "gremlins"], "unknown fault 'gremlins'"),
    (["--listen", "127.0.0.1:0", "--heartbeat-timeout", "x"], "--heartbeat-timeout"),
    (["--rtu", "/dev/null", "--parity", "X"], "--parity"),
    (["--rtu", "/nonexistent/tty"], "/nonexistent/tty"),
])
def test_bad_arguments(args, message):
    r = subprocess.run([chairtest.binary("chairsim"), *args], capture_output=True, text=True, timeout=10)
    assert r.returncode in (1, 2)
    assert message in r.stderr


def test_list_faults_matches_docs():
    r = subprocess.run([chairtest.binary("chairsim"), "--list-faults"], capture_output=True, text=True,
                       timeout=10)
    assert r.returncode == 0
    assert r.stdout.split() == [x for i, f in enumerate(FAULTS) for x in (str(FAULT_BASE + i), f)]
    doc = open(os.path.join(chairtest.SOURCE_DIR, "docs", "chairsim.md")).read()
    for i, f in enumerate(FAULTS):
        assert f"| {FAULT_BASE + i} | `{f}` |" in doc
