#!/usr/bin/python3
"""Issue #19's stop and reverse times, as figures (median of N trials, with the spread): the
leg rest's lift moving at the map's duty under a hold-to-run Move, then

  e-stop            the e-stop (chairsim's fault coil; on the sim InjectFault) -> the lift motor 0
  kill -9           kill -9 of the daemon -> the lift motor 0 (chairsim's heartbeat watch, 300 ms)
  lease lapse       the reply of the last renewal (lease 500 ms) -> the lift motor 0
  obstruction       the bumper on the board -> the lift motor 0, -> the reverse starts (motor < 0),
                    -> the reverse done (motor 0 again)
  person leaves     the seat emptied (chairsim's coil; SimSetOccupant) -> the lift motor 0

each seen on the board: chairsim's registers read by our own Modbus client every few hundred
microseconds (an upper bound: a read takes that long), or, with --simulate, the daemon's own
diagnostics (the simulated chair lives in it; kill -9 is chairsim only). Every trial starts
from the lift low, moving; a fault is cleared (Service.ClearFault, as root) and the lift brought
back down between trials.

Not part of the test suite (about two minutes with the defaults); the end-to-end tests
(tests/integration/test_posture_e2e.py) measure one trial of each and print it.

Usage: bench/posture-stop.py [--trials N] [--backend modbus|sim|both]"""
import argparse
import os
import signal
import statistics
import sys
import tempfile
import time

import benchlib  # noqa: F401  (sets up the paths)
from benchlib import chairtest

import dbus
from pymodbus.client import ModbusTcpClient

import test_posture_e2e as e2e

_args = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
_args.add_argument("--trials", type=int, default=10)
_args.add_argument("--backend", choices=("modbus", "sim", "both"), default="both")
ARGS = _args.parse_args()
AXIS = "legrest_lift"


def motor(b):
    return b.motors()[AXIS]


def until(fn, pred, what, timeout=10):
    """Samples fn() as fast as it answers; the monotonic time pred(value) first held."""
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        now = time.monotonic()
        if pred(v):
            return now, v
        if now > deadline:
            raise TimeoutError(f"{what}: {v}")


class Setup:
    """A private bus, the daemon on one backend, our D-Bus connection and the board."""

    def __init__(self, kind, work, bus, heartbeat_ms=None):
        self.kind, self.sim, self.client = kind, None, None
        path = tempfile.mkdtemp(dir=work.path)   # each its own logs, map and state
        if kind == "sim":
            self.d = chairtest.Daemon(bus, path, name="sim")
        else:
            args = ("--heartbeat-timeout", str(heartbeat_ms)) if heartbeat_ms is not None else ()
            self.sim = chairtest.Chairsim(path, *args)
            self.client = ModbusTcpClient("127.0.0.1", port=self.sim.port, timeout=2)
            self.client.connect()
            self.d = chairtest.Daemon(bus, path, args=("--config", self.sim.write_map()), name="modbus")
        self.conn = dbus.bus.BusConnection(bus.address)
        board = e2e.SimBoard(self.d, self.conn) if kind == "sim" else e2e.ModbusBoard(self.sim, self.client)
        self.chair = e2e.Chair(self.d, self.conn, board)
        self.b = board
        chairtest.wait_for(lambda: bool(self.chair.prop("Occupied")), 10, "Occupied")

    def service(self, method, signature="", *args):
        return self.conn.call_blocking(chairtest.BUS_NAME, chairtest.OBJECT_PATH, chairtest.SERVICE_INTERFACE, method,
                                       signature, args, timeout=5)

    def lift_moving(self):
        """Holds the lift up until it has run 20 per mille (past its start); returns the Hold."""
        hold = e2e.Hold(self.chair, AXIS, 1)
        start = self.b.positions()[AXIS]
        hold.hold_until(lambda: self.b.positions()[AXIS] > start + 20, 10, "the lift to rise")
        return hold

    def recover(self):
        """Clears a latched fault and brings the lift back below 60 per mille."""
        def cleared():
            if not self.chair.fault():
                return True
            try:   # refused until the daemon has read the e-stop released
                self.service("ClearFault")
            except dbus.exceptions.DBusException:
                time.sleep(0.05)
            return False
        chairtest.wait_for(cleared, 5, "the fault cleared")
        if self.b.positions()[AXIS] > 60:
            down = e2e.Hold(self.chair, AXIS, -1)
            down.hold_until(lambda: self.b.positions()[AXIS] <= 60, 30, "the lift to come down")
            down.release()
        until(lambda: motor(self.b), lambda m: m == 0, "the lift stopped")
        time.sleep(0.1)

    def close(self):
        self.conn.close()
        self.d.stop()
        if self.client:
            self.client.close()
        if self.sim:
            self.sim.stop()


def ms(values):
    return f"median {statistics.median(values) * 1000:7.1f} ms   min {min(values) * 1000:7.1f}   " \
           f"max {max(values) * 1000:7.1f}   n={len(values)}"


def run(kind, work, bus, results):
    s = Setup(kind, work, bus)
    r = {k: [] for k in ("e-stop -> motor 0", "lease lapse -> motor 0", "person leaves -> motor 0",
                         "obstruction: bumper -> motor 0", "obstruction: bumper -> reverse starts",
                         "obstruction: bumper -> reverse done")}
    try:
        for i in range(ARGS.trials):
            print(f"{kind}: trial {i + 1}/{ARGS.trials}", file=sys.stderr, flush=True)
            s.lift_moving()
            s.b.estop()
            t0 = time.monotonic()
            t1, _ = until(lambda: motor(s.b), lambda m: m == 0, "e-stop: motor 0")
            r["e-stop -> motor 0"].append(t1 - t0)
            s.b.estop_release()
            s.recover()

            hold = s.lift_moving()
            t0 = hold.last_renewal
            t1, _ = until(lambda: motor(s.b), lambda m: m == 0, "lease: motor 0")
            r["lease lapse -> motor 0"].append(t1 - t0)
            s.recover()

            hold = s.lift_moving()
            s.b.set_seated(False)
            t0 = time.monotonic()
            t1, _ = until(lambda: motor(s.b), lambda m: m == 0, "seat: motor 0")
            r["person leaves -> motor 0"].append(t1 - t0)
            s.b.set_seated(True)
            chairtest.wait_for(lambda: bool(s.chair.prop("Occupied")), 10, "Occupied")
            s.recover()

            hold = s.lift_moving()
            s.b.obstruct(True)
            # Held on until the bumper shows (a renewal after the daemon saw it is refused).
            deadline = time.monotonic() + 10
            while not s.b.bumper():
                if time.monotonic() > deadline:
                    raise TimeoutError("the bumper never showed")
                if time.monotonic() - hold.last_renewal >= e2e.RENEW_S:
                    hold.renew()
            tb = time.monotonic()
            ts, _ = until(lambda: motor(s.b), lambda m: m <= 0, "obstruction: motor 0")
            tr, _ = until(lambda: motor(s.b), lambda m: m < 0, "obstruction: reverse")
            td, _ = until(lambda: motor(s.b), lambda m: m == 0, "obstruction: reverse done")
            r["obstruction: bumper -> motor 0"].append(ts - tb)
            r["obstruction: bumper -> reverse starts"].append(tr - tb)
            r["obstruction: bumper -> reverse done"].append(td - tb)
            chairtest.wait_for(lambda: s.chair.fault() == "legrest-pinch", 5, "legrest-pinch")
            s.b.obstruct(False)
            s.recover()
    finally:
        s.close()
    if kind == "modbus":
        r["kill -9 of the daemon -> motor 0"] = []
        for _ in range(ARGS.trials):
            s = Setup(kind, work, bus, heartbeat_ms=300)
            try:
                s.lift_moving()
                s.d.process.signal(signal.SIGKILL)
                t0 = time.monotonic()
                t1, _ = until(lambda: motor(s.b), lambda m: m == 0, "kill -9: motor 0")
                r["kill -9 of the daemon -> motor 0"].append(t1 - t0)
            finally:
                s.close()
    results[kind] = r


def main():
    work = chairtest.Workdir()
    bus = chairtest.PrivateBus(work.path)
    results = {}
    try:
        for kind in (("sim", "modbus") if ARGS.backend == "both" else (ARGS.backend,)):
            run(kind, work, bus, results)
    finally:
        bus.stop()
        work.cleanup()
    for kind, r in results.items():
        print(f"\n{'chairsim over Modbus TCP (board read by our own client)' if kind == 'modbus' else '--simulate'}:")
        for what, values in r.items():
            print(f"  {what:<40} {ms(values)}")


if __name__ == "__main__":
    main()
