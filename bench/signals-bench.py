#!/usr/bin/python3
"""Runs the PropertiesChanged benchmark: massagechaird --simulate on a private bus runs a program
twice for the same seconds, first with no client, then with 100 clients (separate connections)
subscribed to PropertiesChanged. Reports the signals per second each client received, the
daemon's CPU (share of one core, from /proc/PID/stat), and the scheduler's wake-up lateness with
the clients as a ratio to the run without them (targets: <= 15 signals/s, < 2 % of a core, the
lateness ratio about 1). Never asserts wall-clock times.

    bench/signals-bench.py [--seconds N] [--clients N] [--build-dir DIR]
"""
import argparse
import os
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime, every thread


def scheduler_stats(daemon):
    import dbus
    conn = dbus.bus.BusConnection(daemon.bus.address)
    obj = conn.get_object("org.massagechair.Chair1", "/org/massagechair/Chair1", introspect=False)
    st = obj.Get("org.massagechair.Chair1.Service", "SchedulerStats", dbus_interface="org.freedesktop.DBus.Properties")
    conn.close()
    return {str(k): int(v) for k, v in st.items()}


def run(chairtest, work, seconds, clients):
    bus = chairtest.PrivateBus(work.path)
    daemon = chairtest.Daemon(bus, work.path)
    daemon.bus = bus
    stop = threading.Event()
    counts = []
    threads = []
    try:
        if clients:
            import dbus
            from dbus.mainloop.glib import DBusGMainLoop
            from gi.repository import GLib
            DBusGMainLoop(set_as_default=True)
            ctx = GLib.MainContext.default()
            conns = []
            for i in range(clients):
                c = dbus.bus.BusConnection(bus.address)
                counts.append(0)

                def on_signal(*a, i=i):
                    counts[i] += 1
                c.add_signal_receiver(on_signal, signal_name="PropertiesChanged",
                                      dbus_interface="org.freedesktop.DBus.Properties",
                                      path="/org/massagechair/Chair1")
                conns.append(c)

            def pump():
                while not stop.is_set():
                    ctx.iteration(True)
            t = threading.Thread(target=pump, daemon=True)
            t.start()
            threads.append(t)
            time.sleep(0.5)
        daemon.call("Start", "sa{sv}", "demo", "1", "scan", "b", False)
        for i in range(len(counts)):
            counts[i] = 0
        cpu0, t0 = cpu_seconds(daemon.process.pid), time.monotonic()
        time.sleep(seconds)
        cpu1, t1 = cpu_seconds(daemon.process.pid), time.monotonic()
        received = list(counts)
        stats = scheduler_stats(daemon)
        elapsed = t1 - t0
        return {
            "clients": clients,
            "signals_per_s": (sum(received) / len(received) / elapsed) if received else 0.0,
            "cpu_pct": 100.0 * (cpu1 - cpu0) / elapsed,
            "wake_p50_us": stats["wake_p50_us"], "wake_p99_us": stats["wake_p99_us"],
            "p99_us": stats["p99_us"],
        }
    finally:
        stop.set()
        daemon.stop()
        bus.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--build-dir", default=os.environ.get("MCD_BUILD_DIR", os.path.join(HERE, "..", "build")))
    args = ap.parse_args()
    os.environ["MCD_BUILD_DIR"] = os.path.abspath(args.build_dir)

    import chairtest
    work = chairtest.Workdir()
    try:
        base = run(chairtest, work, args.seconds, 0)
        load = run(chairtest, work, args.seconds, args.clients)
    finally:
        work.cleanup()
    print(f"A program for {args.seconds:.0f} s, without clients and with {args.clients} subscribed to PropertiesChanged")
    print(f"  {'':<22} {'signals/s':>10} {'daemon CPU %':>13} {'wake p50 us':>12} {'wake p99 us':>12}")
    for name, r in (("no clients", base), (f"{args.clients} clients", load)):
        print(f"  {name:<22} {r['signals_per_s']:10.2f} {r['cpu_pct']:13.2f} {r['wake_p50_us']:12d} {r['wake_p99_us']:12d}")
    ratio50 = load["wake_p50_us"] / max(1, base["wake_p50_us"])
    ratio99 = load["wake_p99_us"] / max(1, base["wake_p99_us"])
    print(f"  scheduler wake-up lateness with the clients / without: p50 {ratio50:.2f}x, p99 {ratio99:.2f}x")
    print(f"  targets: <= 15 signals/s ({'met' if load['signals_per_s'] <= 15 else 'OVER'}), "
          f"< 2 % of a core ({'met' if load['cpu_pct'] < 2 else 'OVER'})")


if __name__ == "__main__":
    main()
