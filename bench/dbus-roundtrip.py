#!/usr/bin/python3
"""D-Bus round trips to massagechaird beside org.freedesktop.DBus.Peer.Ping to the daemon, in the
same run and the same client: a property read (State), a method with a reply (GetProgram) and
ListPrograms. Target: within 1.2x of Ping. Usage: bench/dbus-roundtrip.py [N]"""
import sys
import time

import benchlib
from benchlib import chairtest

N = int(sys.argv[1]) if len(sys.argv) > 1 else 3000


def measure(fn):
    for _ in range(200):
        fn()
    out = []
    for _ in range(N):
        t0 = time.perf_counter_ns()
        fn()
        out.append((time.perf_counter_ns() - t0) / 1000)
    return out


def main():
    import dbus
    work = chairtest.Workdir()
    bus = chairtest.PrivateBus(work.path)
    d = chairtest.Daemon(bus, work.path)
    try:
        conn = dbus.bus.BusConnection(bus.address)
        obj = conn.get_object(chairtest.BUS_NAME, chairtest.OBJECT_PATH, introspect=False)
        peer = dbus.Interface(obj, "org.freedesktop.DBus.Peer")
        props = dbus.Interface(obj, "org.freedesktop.DBus.Properties")
        chair = dbus.Interface(obj, chairtest.INTERFACE)
        results = {
            "Peer.Ping (baseline)": measure(lambda: peer.Ping()),
            "Properties.Get State": measure(lambda: props.Get(chairtest.INTERFACE, "State")),
            "GetProgram swedish": measure(lambda: chair.GetProgram("swedish", signature="s")),
            "ListPrograms": measure(lambda: chair.ListPrograms()),
        }
        conn.close()
    finally:
        d.stop()
        bus.stop()
        work.cleanup()
    base50 = benchlib.percentile(results["Peer.Ping (baseline)"], 50)
    base99 = benchlib.percentile(results["Peer.Ping (baseline)"], 99)
    for name, values in results.items():
        print(benchlib.summary(name, values) + f"  ratio p50 {benchlib.percentile(values, 50) / base50:.2f}x"
              f" p99 {benchlib.percentile(values, 99) / base99:.2f}x")
    print("target: within 1.2x of Ping")


if __name__ == "__main__":
    main()
