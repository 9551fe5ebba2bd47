#!/usr/bin/python3
"""Emergency stop to every output safe, measured inside the daemon from the timestamp of the
input that reported the emergency stop to the moment the safe values reached the hardware:
with the sim backend, and with Modbus over TCP to chairsim (the safe values' write transaction
completed). At least 200 trials each, beside the machine's wake-up latency (cyclictest) and a
single Modbus transaction's time in the same run. Usage: bench/estop-latency.py [TRIALS]"""
import os
import re
import subprocess
import sys
import time

import benchlib
from benchlib import chairtest

TRIALS = int(sys.argv[1]) if len(sys.argv) > 1 else 200
SERVICE = chairtest.SERVICE_INTERFACE


class Client:
    """An in-process python-dbus client: a trial costs milliseconds, not busctl processes."""

    def __init__(self, bus):
        import dbus
        self.dbus = dbus
        self.conn = dbus.bus.BusConnection(bus.address)
        obj = self.conn.get_object(chairtest.BUS_NAME, chairtest.OBJECT_PATH, introspect=False)
        self.chair = dbus.Interface(obj, chairtest.INTERFACE)
        self.service = dbus.Interface(obj, SERVICE)
        self.props = dbus.Interface(obj, "org.freedesktop.DBus.Properties")

    def diag(self):
        return {str(k): int(v) for k, v in self.service.GetDiagnostics().items()}

    def fault(self):
        return str(self.props.Get(chairtest.INTERFACE, "Fault"))

    def wait(self, predicate, what, timeout=10):
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError(what)
            time.sleep(0.002)

    def close(self):
        self.conn.close()


def trials(c, inject, release, backend, seen=None):
    out = []
    for _ in range(TRIALS):
        c.chair.Start("demo", {"scan": False}, signature="sa{sv}")
        t0 = time.monotonic_ns()
        inject()
        t0 = (t0 + time.monotonic_ns()) // 2
        c.wait(lambda: c.fault() == "emergency-stop", "emergency-stop")
        g = c.diag()
        # The safe values reached the hardware after the input that tripped (sim: go_safe itself;
        # Modbus: the bus thread's write transaction completed).
        c.wait(lambda: c.diag().get(f"{backend}.safe_written_ns", 0) >= g["supervisor.trip_input_ns"] > 0,
               "safe values written")
        g = c.diag()
        out.append((g[f"{backend}.safe_written_ns"] - g["supervisor.trip_input_ns"]) / 1000)
        if seen is not None:
            seen.append((g["supervisor.trip_input_ns"] - t0) / 1000)
        release()
        c.wait(lambda: c.diag()["input.estop"] == 0, "estop released")
        c.service.ClearFault()
    return out


def main():
    import benchlib as b
    ct = subprocess.run(["cyclictest", "-m", "-q", "-p", "80", "-i", "1000", "-D", "10", "-h", "20000"],
                        capture_output=True, text=True, timeout=60).stdout
    hist = []
    for line in ct.splitlines():
        m = re.match(r"^(\d+)\s+(\d+)", line)
        if m:
            hist += [int(m.group(1))] * int(m.group(2))
    print(b.summary("cyclictest -p 80, 1 ms (wake-up latency)", hist))

    work = chairtest.Workdir()
    bus = chairtest.PrivateBus(work.path)
    try:
        d = chairtest.Daemon(bus, work.path, name="sim")
        c = Client(bus)
        sim = trials(c, lambda: c.service.InjectFault("estop", True), lambda: c.service.InjectFault("estop", False), "sim")
        c.close()
        d.stop()
        print(b.summary("estop -> safe, sim backend", sim))

        from pymodbus.client import ModbusTcpClient
        proc = chairtest.Process([chairtest.binary("chairsim"), "--listen", "127.0.0.1:0"],
                                 os.path.join(work.path, "chairsim.log"))
        chairtest.wait_for(lambda: "listening on" in proc.output(), 10, "chairsim")
        port = int(re.search(r"127\.0\.0\.1:(\d+)", proc.output()).group(1))
        with open(os.path.join(benchlib.SOURCE, "hardware-maps", "chairsim.conf")) as f:
            conf = f.read().replace("port = 1502", f"port = {port}")
        path = os.path.join(work.path, "chair.conf")
        with open(path, "w") as f:
            f.write(conf)
        client = ModbusTcpClient("127.0.0.1", port=port, timeout=5)
        client.connect()
        # One Modbus transaction on this machine, for the target.
        tx = []
        for _ in range(500):
            t0 = time.monotonic_ns()
            client.read_input_registers(0, 9, slave=1)
            tx.append((time.monotonic_ns() - t0) / 1000)
        print(b.summary("one Modbus TCP transaction (pymodbus client)", tx))
        d = chairtest.Daemon(bus, work.path, args=("--config", path), name="modbus")
        c = Client(bus)
        # Modbus load while a program runs.
        c.chair.Start("demo", {"scan": False}, signature="sa{sv}")
        time.sleep(1)
        n0, t0 = c.diag()["modbus.transactions"], time.monotonic()
        time.sleep(10)
        rate = (c.diag()["modbus.transactions"] - n0) / (time.monotonic() - t0)
        c.chair.Stop()
        c.wait(lambda: str(c.props.Get(chairtest.INTERFACE, "State")) == "idle", "idle", timeout=60)
        print(f"Modbus transactions while a program runs: {rate:.0f}/s (target <= 75/s, half of a 115200 baud "
              f"RTU line's ~150/s)")
        seen = []
        mb = trials(c, lambda: client.write_coil(111, True, slave=1), lambda: client.write_coil(111, False, slave=1),
                    "modbus", seen)
        c.close()
        print(b.summary("sensor change on chairsim -> daemon sees it", seen))
        d.stop()
        client.close()
        proc.stop()
        print(b.summary("estop -> safe, Modbus TCP to chairsim", mb))
        target = b.percentile(tx, 50) + 2000
        print(f"\ntarget: one Modbus transaction + 2 ms = {target:.0f} us; "
              f"Modbus p99 {b.percentile(mb, 99):.0f} us ({'met' if b.percentile(mb, 99) <= target else 'NOT met'}), "
              f"sim p99 {b.percentile(sim, 99):.0f} us")
    finally:
        bus.stop()
        work.cleanup()


if __name__ == "__main__":
    main()
