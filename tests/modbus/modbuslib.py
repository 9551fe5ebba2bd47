# SPDX-License-Identifier: MIT
"""Helpers shared by tests/integration/test_modbus*.py and bench/modbus-bench.py: free ports,
socat pty pairs, chairsim, hardware maps for the chairsim register map, and a driver for
tests/modbus/modbus-driver-probe."""
import json
import os
import queue
import re
import socket
import subprocess
import threading
import time

SOURCE_DIR = os.environ.get("MCD_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BUILD_DIR = os.environ.get("MCD_BUILD_DIR", os.path.join(SOURCE_DIR, "build"))
PROBE = os.path.join(BUILD_DIR, "tests", "modbus", "modbus-driver-probe")
CHAIRSIM = os.path.join(BUILD_DIR, "tools", "chairsim", "chairsim")



def chairsim_register_map():
    """chairsim's register map as chairsim prints it: tools/chairsim is its one source."""
    r = subprocess.run([CHAIRSIM, "--print-map=json"], capture_output=True, text=True, timeout=10)
    if r.returncode != 0:
        raise RuntimeError(f"chairsim --print-map=json failed: {r.stderr}")
    return json.loads(r.stdout)


MAP = chairsim_register_map()
# The bindings a hardware map makes (chairsim's own registers are the bus's, not the map's).
BINDINGS = [b for b in MAP["registers"] if b["kind"] != "own"]


def _of(kind, table):
    return sorted((b for b in BINDINGS if b["kind"] == kind and b["table"] == table), key=lambda b: b["address"])


COILS = [b["name"] for b in _of("output", "coil")]  # index = address
HOLDING = {b["name"]: (b["address"], b["signed"]) for b in _of("output", "holding")}
DISCRETE = {b["name"]: b["address"] for b in _of("input", "discrete")}
INPUT_REGS = {b["name"]: (b["address"], b["signed"]) for b in _of("input", "input") if b["words"] == 1}
HR_HEARTBEAT = MAP["heartbeat_register"]
FAULT_COIL = {f["name"]: f["coil"] for f in MAP["faults"]}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.02)
    return False


def stop(proc):
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class PtyPair:
    """Two linked ptys made by socat, e.g. driver on .a, slave on .b."""

    def __init__(self, tmpdir):
        self.a = os.path.join(str(tmpdir), "ptyA")
        self.b = os.path.join(str(tmpdir), "ptyB")
        self.proc = subprocess.Popen(["socat", "-d", "-d", f"pty,raw,echo=0,link={self.a}",
                                      f"pty,raw,echo=0,link={self.b}"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        end = time.monotonic() + 5
        while not (os.path.exists(self.a) and os.path.exists(self.b)):
            if time.monotonic() > end or self.proc.poll() is not None:
                raise RuntimeError("socat did not make its pty pair")
            time.sleep(0.02)

    def close(self):
        stop(self.proc)


def bus_section(tcp_port=None, device=None, timeout_ms=50, poll_ms=50, heartbeat_ms=200, heartbeat=True,
                rs485=False, baud=115200):
    lines = ["[bus.board]"]
    if tcp_port is not None:
        lines += ["type = tcp", "host = 127.0.0.1", f"port = {tcp_port}"]
    else:
        lines += ["type = rtu", f"device = {device}", f"baud = {baud}", "parity = none"]
        if rs485:
            lines.append("rs485 = yes")
    lines += ["slave = 1", f"timeout_ms = {timeout_ms}", f"poll_ms = {poll_ms}"]
    if heartbeat:
        lines += [f"heartbeat_register = {HR_HEARTBEAT}", f"heartbeat_ms = {heartbeat_ms}"]
    return "\n".join(lines) + "\n"


def chairsim_map(path, **bus):
    """Writes a hardware map binding every output and input to chairsim's registers."""
    text = ["[chair]", "model = modbus test", "track_length_mm = 800", "pulses_per_mm = 2", "",
            bus_section(**bus)]
    for b in BINDINGS:
        text.append(f"[{b['kind']}.{b['name']}]\nbackend = modbus\nbus = board\ntable = {b['table']}\n"
                    f"address = {b['address']}\n" + (f"words = {b['words']}\n" if b["words"] > 1 else "")
                    + ("signed = yes\n" if b["signed"] else "")
                    + ("word_order = high-first\n" if b["words"] > 1 else ""))
    # The posture axes' [axis.NAME] sections (travel, limits, obstruction source), as the shipped map has them.
    with open(os.path.join(SOURCE_DIR, "hardware-maps", "chairsim.conf")) as f:
        text += re.findall(r"^\[axis\.\w+\]\n(?:(?!\[).*\n?)*", f.read(), re.M)
    with open(path, "w") as f:
        f.write("\n".join(text))
    return str(path)


def start_chairsim(port=None, device=None, extra=()):
    args = [CHAIRSIM]
    args += ["--listen", f"127.0.0.1:{port}"] if port else ["--rtu", device]
    proc = subprocess.Popen(args + list(extra), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if port and not wait_port(port):
        stop(proc)
        raise RuntimeError("chairsim did not listen")
    return proc


class Probe:
    """tests/modbus/modbus-driver-probe on a map; answers and events read by a thread."""

    def __init__(self, map_path):
        self.proc = subprocess.Popen([PROBE, str(map_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, bufsize=1)
        self.answers = queue.Queue()
        self.events = queue.Queue()
        self.stderr = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()
        self.open_line = self.answers.get(timeout=10)

    def _read(self):
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            if line.startswith("event "):
                _, name, value, ts = line.split()
                self.events.put((name, int(value), int(ts), time.monotonic_ns()))
            else:
                self.answers.put(line)
        self.answers.put(None)

    def _read_err(self):
        for line in self.proc.stderr:
            self.stderr.append(line)

    def cmd(self, text, timeout=5):
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()
        return self.answers.get(timeout=timeout)

    def set(self, name, value):
        return self.cmd(f"set {name} {value}")

    def get(self, name):
        a = self.cmd(f"get {name}")
        if a.startswith("value "):
            return int(a.split()[2])
        return a

    def stats(self):
        a = self.cmd("stats")
        return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", a)}

    def wait_stats(self, pred, timeout=5.0):
        end = time.monotonic() + timeout
        while True:
            s = self.stats()
            if pred(s) or time.monotonic() > end:
                return s
            time.sleep(0.05)

    def wait_event(self, name, value=None, timeout=5.0):
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            try:
                ev = self.events.get(timeout=left)
            except queue.Empty:
                return None
            if ev[0] == name and (value is None or ev[1] == value):
                return ev

    def close(self):
        """Quits; returns the exit code (86 = a sanitizer report)."""
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=10)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


PEER = os.path.join(SOURCE_DIR, "tests", "modbus", "pymodbus-peer.py")


class PymodbusPeer:
    """tests/modbus/pymodbus-peer.py: a pymodbus slave logging every request."""

    def __init__(self, port=None, device=None):
        args = ["/usr/bin/python3", PEER] + (["--tcp", str(port)] if port else ["--rtu", device])
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, bufsize=1)
        self.requests = []          # (kind, fc, addr, payload)
        self.lock = threading.Lock()
        self.answers = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        assert self.answers.get(timeout=10) == "started"
        if port and not wait_port(port):
            raise RuntimeError("pymodbus peer did not listen")

    def _read(self):
        for line in self.proc.stdout:
            w = line.split()
            if w and w[0] in ("read", "write"):
                with self.lock:
                    self.requests.append((w[0], int(w[1]), int(w[2]), w[3]))
            else:
                self.answers.put(line.strip())

    def cmd(self, text):
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()
        return self.answers.get(timeout=5)

    def get(self, kind, addr):
        return int(self.cmd(f"get {kind} {addr}").split()[3])

    def take_requests(self):
        with self.lock:
            r, self.requests = self.requests, []
        return r

    def close(self):
        stop(self.proc)


def peer_map(path, **bus):
    """The chairsim register map (the pymodbus peer stores any address)."""
    return chairsim_map(path, **bus)


def wait_until(pred, timeout=5.0, step=0.02):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


class SimClient:
    """An independent python3-pymodbus client beside the driver (chairsim takes several TCP
    masters): fault injection and checks of what the board holds."""

    def __init__(self, port):
        from pymodbus.client import ModbusTcpClient
        self.c = ModbusTcpClient("127.0.0.1", port=port, timeout=1)
        assert self.c.connect()

    def coil(self, addr):
        return int(self.c.read_coils(addr, 1, slave=1).bits[0])

    def discrete(self, addr):
        return int(self.c.read_discrete_inputs(addr, 1, slave=1).bits[0])

    def holding(self, addr):
        return self.c.read_holding_registers(addr, 1, slave=1).registers[0]

    def fault(self, name, on=True, check=True):
        reply = self.c.write_coil(FAULT_COIL[name], on, slave=1)
        assert not check or not reply.isError()

    def close(self):
        self.c.close()
