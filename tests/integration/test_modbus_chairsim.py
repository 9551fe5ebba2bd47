# SPDX-License-Identifier: MIT
"""The Modbus backend against chairsim (tools/chairsim) over TCP loopback and over RTU on a
socat pty pair: safe values first, inputs decoded, outputs reach the board, fault injection
seen as input changes, heartbeat keeps the board on and its loss switches it off."""
import os
import signal
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "modbus"))
import modbuslib as m  # noqa: E402

if not (os.path.exists(m.PROBE) and os.path.exists(m.CHAIRSIM)):
    pytest.skip("modbus-driver-probe or chairsim not built", allow_module_level=True)


@pytest.fixture
def sim_tcp(tmp_path):
    port = m.free_port()
    sim = m.start_chairsim(port)
    client = m.SimClient(port)
    probe = m.Probe(m.chairsim_map(tmp_path / "map.conf", tcp_port=port))
    assert probe.open_line == "open 0", probe.open_line
    yield sim, client, probe
    rc = probe.close()
    client.close()
    m.stop(sim)
    assert rc == 0, "".join(probe.stderr)


def test_tcp_reads_plausible_chair(sim_tcp):
    sim, client, p = sim_tcp
    assert m.wait_until(lambda: p.stats()["link_up"] == 1)
    assert m.wait_until(lambda: isinstance(p.get("supply_voltage"), int))
    assert 20000 <= p.get("supply_voltage") <= 28000
    assert -200 < p.get("temp_lumbar") < 600
    assert p.get("estop") == 0
    assert client.coil(7) == 1          # air_release safe value written at open
    s = p.stats()
    assert s["timeouts"] == s["crc"] == s["exceptions"] == s["invalid"] == 0


def test_tcp_travel_moves_encoder(sim_tcp):
    sim, client, p = sim_tcp
    assert m.wait_until(lambda: p.stats()["link_up"] == 1)
    # link_up comes with the first transaction, the readings with the first poll after it; the
    # encoder starts at 0, the bottom.
    assert m.wait_until(lambda: isinstance(p.get("encoder"), int))
    start = p.get("encoder")
    assert p.set("travel_motor", 100) == "ok"
    assert m.wait_until(lambda: client.holding(0) == 100)
    assert m.wait_until(lambda: isinstance(p.get("encoder"), int) and p.get("encoder") > start + 10, timeout=10)
    assert p.cmd("safe") == "ok"
    assert m.wait_until(lambda: client.holding(0) == 0)


def test_tcp_estop_fault_delivered(sim_tcp):
    sim, client, p = sim_tcp
    assert m.wait_until(lambda: p.get("estop") == 0)
    client.fault("estop")
    ev = p.wait_event("estop", 1)
    assert ev is not None and ev[2] > 0
    client.fault("estop", False)
    assert p.wait_event("estop", 0) is not None


def test_tcp_heartbeat_keeps_board_and_its_loss_trips(sim_tcp):
    sim, client, p = sim_tcp
    assert m.wait_until(lambda: p.stats()["link_up"] == 1)
    assert p.set("air_pump", 1) == "ok"
    assert m.wait_until(lambda: client.coil(0) == 1)
    hb = client.holding(m.HR_HEARTBEAT)
    assert m.wait_until(lambda: client.holding(m.HR_HEARTBEAT) >= hb + 3, timeout=5)
    assert client.discrete(3) == 0
    # The host hangs: chairsim's heartbeat timeout switches the outputs off by itself.
    os.kill(p.proc.pid, signal.SIGSTOP)
    try:
        assert m.wait_until(lambda: client.discrete(3) == 1, timeout=10)
        assert client.coil(0) == 0
    finally:
        os.kill(p.proc.pid, signal.SIGCONT)


def test_tcp_chairsim_slow_replies_then_recovery(sim_tcp):
    sim, client, p = sim_tcp
    assert m.wait_until(lambda: p.stats()["link_up"] == 1)
    client.fault("slow-replies")
    s = p.wait_stats(lambda s: s["timeouts"] >= 3 and s["link_up"] == 0, timeout=10)
    assert s["timeouts"] >= 3 and s["link_up"] == 0
    client.fault("slow-replies", False)
    assert m.wait_until(lambda: p.stats()["link_up"] == 1, timeout=10)
    assert p.set("beeper", 1) == "ok"
    assert m.wait_until(lambda: client.coil(10) == 1, timeout=10)


def test_tcp_chairsim_garbled_replies_counted(sim_tcp):
    """chairsim's garbled replies: counted errors, link down, reconnects, no crash; cleared over
    the same link, the driver comes back."""
    sim, client, p = sim_tcp
    assert m.wait_until(lambda: p.stats()["link_up"] == 1)
    client.fault("garbled-replies", check=False)
    def errors(s):
        return s["invalid"] + s["crc"] + s["timeouts"] + s["exceptions"]
    s = p.wait_stats(lambda s: errors(s) >= 3 and s["reconnects"] >= 1 and s["link_up"] == 0, timeout=10)
    assert errors(s) >= 3 and s["reconnects"] >= 1 and s["link_up"] == 0, s
    client.fault("garbled-replies", False, check=False)  # its own reply is garbled too
    client.close()                                       # and its stream out of step
    assert client.c.connect()
    assert m.wait_until(lambda: p.stats()["link_up"] == 1, timeout=10)


def test_rtu_chairsim_on_pty_pair(tmp_path):
    pty = m.PtyPair(tmp_path)
    sim = m.start_chairsim(device=pty.b, extra=["--fault", "estop"])
    p = m.Probe(m.chairsim_map(tmp_path / "map.conf", device=pty.a, timeout_ms=100, poll_ms=50))
    try:
        assert p.open_line == "open 0", p.open_line
        assert m.wait_until(lambda: p.get("estop") == 1, timeout=10)
        # The e-stop and the measurements come from different block reads: a poll cycle
        # can be between them.
        assert m.wait_until(lambda: isinstance(p.get("supply_voltage"), int)
                            and isinstance(p.get("encoder"), int), timeout=10)
        assert 20000 <= p.get("supply_voltage") <= 28000
        assert p.set("travel_motor", 50) == "ok"
        start = p.get("encoder")
        assert m.wait_until(lambda: p.get("encoder") > start + 5, timeout=10)
        s = p.stats()
        assert s["link_up"] == 1 and s["crc"] == 0
    finally:
        rc = p.close()
        m.stop(sim)
        pty.close()
    assert rc == 0, "".join(p.stderr)
