# SPDX-License-Identifier: MIT
"""The Modbus backend (drivers/driver-modbus.c) against real peers: a python3-pymodbus slave over
TCP loopback and over RTU on a socat pty pair, and misbehaving peers (exceptions, late replies,
closed connections, garbage frames, out-of-range values). Driven through
tests/modbus/modbus-driver-probe. No wall-clock assertions: every wait is a bounded poll."""
import errno
import os
import socket
import struct
import sys
import threading

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "modbus"))
import modbuslib as m  # noqa: E402

if not os.path.exists(m.PROBE):
    pytest.skip("modbus-driver-probe not built", allow_module_level=True)


@pytest.fixture
def tcp_peer():
    port = m.free_port()
    peer = m.PymodbusPeer(port=port)
    yield peer, port
    peer.close()


@pytest.fixture
def probes():
    started = []
    yield started
    for p in started:
        assert p.close() == 0, "".join(p.stderr)


def open_probe(probes, path):
    p = m.Probe(path)
    probes.append(p)
    assert p.open_line == "open 0", p.open_line
    return p


def test_tcp_safe_values_first_then_reads_and_heartbeat(tcp_peer, probes, tmp_path):
    peer, port = tcp_peer
    peer.cmd("co 7 0")
    peer.cmd("hr 3 0")
    p = open_probe(probes, m.chairsim_map(tmp_path / "map.conf", tcp_port=port))
    assert m.wait_until(lambda: p.stats()["link_up"] == 1)
    # The first requests are the writes of every output's safe value (air_release 1, width 1).
    first = m.wait_until(lambda: len(peer.requests) >= 2 and peer.requests[:2])
    assert first[0] == ("write", 15, 0, ",".join("1" if n == "air_release" else "0" for n in m.COILS))
    assert first[1] == ("write", 16, 0, "0,0,0,1,0")
    assert peer.get("co", 7) == 1 and peer.get("hr", 3) == 1
    # Inputs decoded: the peer's plausible supply and temperatures, estop read as 0.
    assert m.wait_until(lambda: p.get("supply_voltage") == 24000)
    assert p.get("temp_lumbar") == 220 and p.get("estop") == 0
    # Block reads: one read per table per poll, covering min..max of the bound addresses.
    reads = {(r[1], r[2], r[3]) for r in peer.requests if r[0] == "read"}
    last_input = max(a for a, _ in m.INPUT_REGS.values())
    assert reads == {(2, 0, str(1 + max(m.DISCRETE.values()))), (4, 0, str(1 + last_input))}
    # The heartbeat register advances.
    hb = peer.get("hr", 10)
    assert m.wait_until(lambda: peer.get("hr", 10) >= hb + 2)


def test_tcp_inputs_decoded_and_delivered(tcp_peer, probes, tmp_path):
    peer, port = tcp_peer
    p = open_probe(probes, m.chairsim_map(tmp_path / "map.conf", tcp_port=port))
    assert m.wait_until(lambda: p.get("supply_voltage") == 24000)
    # int32 high word first, negative; int16 negative temperature.
    enc = -1234 & 0xFFFFFFFF
    peer.cmd(f"ir 0 {enc >> 16}")
    peer.cmd(f"ir 1 {enc & 0xFFFF}")
    peer.cmd(f"ir 6 {(-55) & 0xFFFF}")
    peer.cmd("di 2 1")
    # The encoder and the measurements are sampled (they change on nearly every poll while a
    # program runs): read, never events that wake the event loop.
    assert m.wait_until(lambda: p.get("encoder") == -1234 and p.get("temp_calves") == -55)
    ev = p.wait_event("estop", 1) if p.get("estop") != 1 else ("estop", 1, 1, 1)
    assert ev and ev[2] > 0
    assert p.get("estop") == 1
    assert p.wait_event("encoder", timeout=0.5) is None and p.wait_event("temp_calves", timeout=0.1) is None


def test_set_outputs_coalesced_and_range_checked(tcp_peer, probes, tmp_path):
    peer, port = tcp_peer
    p = open_probe(probes, m.chairsim_map(tmp_path / "map.conf", tcp_port=port))
    assert m.wait_until(lambda: p.stats()["link_up"] == 1)
    assert m.wait_until(lambda: any(r[0] == "read" for r in peer.requests))
    peer.take_requests()
    sets = " ".join(f"{n}=1" for n in m.COILS[:7]) + " travel_motor=-40 knead_motor=25 tap_motor=60"
    assert p.cmd("setmany " + sets) == "ok"
    assert m.wait_until(lambda: peer.get("hr", 2) == 60)
    assert [peer.get("co", a) for a in range(7)] == [1] * 7
    assert peer.get("hr", 0) == (-40) & 0xFFFF and peer.get("hr", 1) == 25
    writes = [r for r in peer.take_requests() if r[0] == "write" and r[2] != m.HR_HEARTBEAT]
    # Ten outputs staged back to back and flushed once: one write per contiguous run (coils 0-6,
    # registers 0-2); a cycle of the bus thread that was already under way can split them once.
    assert 2 <= len(writes) <= 4, writes
    # Out-of-range and unknown values are refused, nothing written.
    assert p.set("travel_motor", 101) == "error 34"
    assert p.set("air_pump", 2) == "error 34"
    assert p.cmd("set no_such_output 1").startswith("error")


def test_go_safe_written_before_reads(tcp_peer, probes, tmp_path):
    peer, port = tcp_peer
    p = open_probe(probes, m.chairsim_map(tmp_path / "map.conf", tcp_port=port, poll_ms=20))
    assert m.wait_until(lambda: p.stats()["link_up"] == 1)
    assert p.cmd("setmany air_pump=1 heat_lumbar=1 air_release=0 travel_motor=80 width=2") == "ok"
    assert m.wait_until(lambda: peer.get("hr", 0) == 80 and peer.get("co", 0) == 1)
    peer.take_requests()
    assert p.cmd("safe") == "ok"
    assert m.wait_until(lambda: peer.get("hr", 0) == 0 and peer.get("co", 7) == 1)
    assert peer.get("co", 0) == 0 and peer.get("co", 8) == 0 and peer.get("hr", 3) == 1
    reqs = peer.take_requests()
    writes = [i for i, r in enumerate(reqs) if r[0] == "write" and r[2] != m.HR_HEARTBEAT]
    # The safe values go out as the next transactions: at most one read already under way.
    assert writes and writes[0] <= 1, reqs


def test_out_of_range_values_counted_and_invalid(tcp_peer, probes, tmp_path):
    """An implausible reading is counted and makes the input invalid (-ERANGE), never leaves it at
    its last good value (an open thermistor must not look warm); a good reading restores it."""
    peer, port = tcp_peer
    p = open_probe(probes, m.chairsim_map(tmp_path / "map.conf", tcp_port=port))
    assert m.wait_until(lambda: p.get("supply_voltage") == 24000)
    before = p.stats()["invalid"]
    peer.cmd("ir 7 65535")          # 65.5 V: outside supply_voltage's plausible range
    peer.cmd("ir 5 2000")           # 200 degC
    peer.cmd("ir 8 300")            # no such panel key
    assert m.wait_until(lambda: p.stats()["invalid"] >= before + 3)
    erange = f"error {errno.ERANGE}"
    assert p.get("supply_voltage") == erange and p.get("temp_lumbar") == erange and p.get("panel_key") == erange
    assert p.stats()["link_up"] == 1
    peer.cmd("ir 7 24000")
    assert m.wait_until(lambda: p.get("supply_voltage") == 24000)


def test_exceptions_counted_link_down_then_back(tcp_peer, probes, tmp_path):
    peer, port = tcp_peer
    p = open_probe(probes, m.chairsim_map(tmp_path / "map.conf", tcp_port=port))
    assert m.wait_until(lambda: p.stats()["link_up"] == 1)
    peer.cmd("mode exception")
    s = p.wait_stats(lambda s: s["exceptions"] >= 3 and s["link_up"] == 0)
    assert s["exceptions"] >= 3 and s["link_up"] == 0
    # Backed off: a refusing board is not hammered (bounded count, not a time).
    n = len(peer.take_requests())
    peer.cmd("mode normal")
    assert m.wait_until(lambda: p.stats()["link_up"] == 1)
    assert n < 200


def test_late_replies_time_out_and_reconnect(tcp_peer, probes, tmp_path):
    peer, port = tcp_peer
    p = open_probe(probes, m.chairsim_map(tmp_path / "map.conf", tcp_port=port, timeout_ms=50))
    assert m.wait_until(lambda: p.stats()["link_up"] == 1)
    peer.cmd("mode late")
    s = p.wait_stats(lambda s: s["timeouts"] >= 3 and s["reconnects"] >= 1, timeout=10)
    assert s["timeouts"] >= 3 and s["reconnects"] >= 1
    peer.cmd("mode normal")
    assert m.wait_until(lambda: p.stats()["link_up"] == 1, timeout=10)
    p.cmd("set beeper 1")
    assert m.wait_until(lambda: peer.get("co", 10) == 1, timeout=10)


def test_unreachable_at_start_then_peer_appears(probes, tmp_path):
    port = m.free_port()
    p = open_probe(probes, m.chairsim_map(tmp_path / "map.conf", tcp_port=port))
    s = p.wait_stats(lambda s: s["reconnects"] >= 2)
    assert s["link_up"] == 0 and s["reconnects"] >= 2
    assert p.get("estop") == "error 61"   # ENODATA: never a made-up value
    assert p.set("air_pump", 1) == "ok"   # stored, written once the board answers
    peer = m.PymodbusPeer(port=port)
    try:
        assert m.wait_until(lambda: p.stats()["link_up"] == 1, timeout=10)
        assert m.wait_until(lambda: peer.get("co", 0) == 1)
        assert peer.get("co", 7) == 1     # safe values of the others came along
    finally:
        peer.close()


class RawServer:
    """A Modbus TCP peer that answers every request with what `reply(request)` returns, or
    closes the connection when it returns None."""

    def __init__(self, reply):
        self.reply = reply
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.done = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.done:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            conn.settimeout(0.2)
            with conn:
                while not self.done:
                    try:
                        req = conn.recv(260)
                    except socket.timeout:
                        continue
                    except OSError:
                        break
                    if not req:
                        break
                    out = self.reply(req)
                    if out is None:
                        break
                    try:
                        conn.sendall(out)
                    except OSError:
                        break

    def close(self):
        self.done = True
        self.thread.join(timeout=2)
        self.sock.close()


def well_formed(req):
    """A correct reply of zeros for reads, an echo for writes."""
    tid, _, _, unit, fc = struct.unpack(">HHHBB", req[:8])
    addr, count = struct.unpack(">HH", req[8:12])
    if fc in (1, 2):
        pdu = struct.pack(">BB", fc, (count + 7) // 8) + bytes((count + 7) // 8)
    elif fc in (3, 4):
        pdu = struct.pack(">BB", fc, 2 * count) + bytes(2 * count)
    else:
        pdu = req[7:12]
    return struct.pack(">HHHB", tid, 0, len(pdu) + 1, unit) + pdu


@pytest.mark.parametrize("kind", ["garbage", "short", "wrong_tid", "huge_count", "close"])
def test_malformed_replies_never_crash(kind, probes, tmp_path):
    def reply(req):
        good = well_formed(req)
        if kind == "garbage":
            return bytes(range(0x41, 0x41 + 12))
        if kind == "short":
            return good[:9]
        if kind == "wrong_tid":
            return struct.pack(">H", (struct.unpack(">H", good[:2])[0] + 7) & 0xFFFF) + good[2:]
        if kind == "huge_count":      # a byte count past the frame
            return good[:8] + b"\xff" + good[9:]
        return None                   # close the connection

    srv = RawServer(reply)
    try:
        p = open_probe(probes, m.chairsim_map(tmp_path / "map.conf", tcp_port=srv.port, timeout_ms=30))
        s = p.wait_stats(lambda s: s["reconnects"] >= 2
                         and s["timeouts"] + s["invalid"] + s["exceptions"] + s["crc"] >= 1, timeout=10)
        assert s["reconnects"] >= 2, s
        if kind != "huge_count":      # there write echoes still pass; only reads fail
            assert s["link_up"] == 0
        assert p.get("supply_voltage") == "error 61"
    finally:
        srv.close()


def test_rtu_on_pty_pair(probes, tmp_path):
    pty = m.PtyPair(tmp_path)
    peer = m.PymodbusPeer(device=pty.b)
    try:
        p = open_probe(probes, m.chairsim_map(tmp_path / "map.conf", device=pty.a, rs485=True,
                                              timeout_ms=200, poll_ms=100))
        assert m.wait_until(lambda: p.get("supply_voltage") == 24000, timeout=10)
        assert peer.get("co", 7) == 1
        assert p.set("valve_feet", 1) == "ok"
        assert m.wait_until(lambda: peer.get("co", 6) == 1, timeout=10)
        hb = peer.get("hr", 10)
        assert m.wait_until(lambda: peer.get("hr", 10) > hb, timeout=10)
        # RS-485 mode on a pty is refused (ENOTTY): logged once, the bus works on.
        p.close()
        assert sum("RS-485" in line for line in p.stderr) == 1
    finally:
        peer.close()
        pty.close()


def test_unusable_bus_names_its_line(tmp_path):
    """A map the loader accepts but whose device cannot be opened: the error names the bus
    section's line and the device."""
    missing = str(tmp_path / "no-such-tty")
    path = m.chairsim_map(tmp_path / "map.conf", device=missing)
    line_no = open(path).read().splitlines().index("[bus.board]") + 1
    p = m.Probe(path)
    assert p.open_line.startswith("open -2 "), p.open_line
    assert f"map.conf:{line_no}: [bus.board]" in p.open_line and missing in p.open_line, p.open_line
    assert p.proc.wait(timeout=10) == 1


def test_scale_and_low_word_first(tcp_peer, probes, tmp_path):
    """Scaled registers and a 32-bit value low word first, both ways."""
    peer, port = tcp_peer
    path = m.chairsim_map(tmp_path / "map.conf", tcp_port=port)
    text = open(path).read()
    text = text.replace("word_order = high-first", "word_order = low-first")
    # supply_voltage in 10 mV units; tap_motor in 0.5 % steps.
    text = text.replace("[input.supply_voltage]\nbackend = modbus\nbus = board\ntable = input\naddress = 7\n",
                        "[input.supply_voltage]\nbackend = modbus\nbus = board\ntable = input\naddress = 7\nscale = 10\n")
    text = text.replace("[output.tap_motor]\nbackend = modbus\nbus = board\ntable = holding\naddress = 2\n",
                        "[output.tap_motor]\nbackend = modbus\nbus = board\ntable = holding\naddress = 2\nscale = 0.5\n")
    open(path, "w").write(text)
    peer.cmd("ir 7 2400")
    enc = 70000
    peer.cmd(f"ir 0 {enc & 0xFFFF}")
    peer.cmd(f"ir 1 {enc >> 16}")
    p = open_probe(probes, path)
    assert m.wait_until(lambda: p.get("supply_voltage") == 24000)
    assert p.get("encoder") == 70000
    assert p.set("tap_motor", 40) == "ok"
    assert m.wait_until(lambda: peer.get("hr", 2) == 80)
