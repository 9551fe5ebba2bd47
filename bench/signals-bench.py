#!/usr/bin/python3
"""Runs the PropertiesChanged benchmark: massagechaird --simulate on a private bus runs a program
twice for the same seconds, first with no client, then with 100 clients (separate connections)
subscribed to PropertiesChanged. Reports the signals per second each client received, the
daemon's CPU (share of one core, from /proc/PID/stat), and the scheduler's lateness with the
clients as a ratio to the run without them (targets: <= 15 signals/s, < 2 % of a core, the
lateness ratio about 1). Never asserts wall-clock times.

The lateness is the scheduler's own histograms (GetLatencyHistogram, as `chairctl latency`
shows them) read at the start and the end of the measured seconds, so only the samples of those
seconds count: per timed wake-up (as cyclictest counts) and per timeline command. With --rounds
N the two runs alternate N times and each side's samples are pooled.

    bench/signals-bench.py [--seconds N] [--clients N] [--rounds N] [--build-dir DIR]
"""
import argparse
import collections
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


def scheduler_histograms(daemon):
    """Both lateness histograms as {"wakeups": Counter, "commands": Counter}, each bin at the
    largest whole microsecond it holds (for 1 us bins the value itself)."""
    import dbus
    conn = dbus.bus.BusConnection(daemon.bus.address)
    obj = conn.get_object("org.massagechair.Chair1", "/org/massagechair/Chair1", introspect=False)
    ret = {}
    for which in ("wakeups", "commands"):
        bins = collections.Counter()
        for lo, hi, count in obj.GetLatencyHistogram(which, dbus_interface="org.massagechair.Chair1.Service"):
            bins[int(hi) - 1 if int(hi) < 2 ** 63 else int(lo)] += int(count)
        ret[which] = bins
    conn.close()
    return ret


def percentile(values, p):
    """Of a sorted list; nan when empty."""
    if not values:
        return float("nan")
    k = min(len(values) - 1, max(0, int(round(p / 100.0 * (len(values) - 1)))))
    return values[k]


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
        hist0 = scheduler_histograms(daemon)
        cpu0, t0 = cpu_seconds(daemon.process.pid), time.monotonic()
        time.sleep(seconds)
        cpu1, t1 = cpu_seconds(daemon.process.pid), time.monotonic()
        received = list(counts)
        hist1 = scheduler_histograms(daemon)
        elapsed = t1 - t0
        return {
            "clients": clients,
            "signals_per_s": (sum(received) / len(received) / elapsed) if received else 0.0,
            "cpu_pct": 100.0 * (cpu1 - cpu0) / elapsed,
            "wakeups": hist1["wakeups"] - hist0["wakeups"],
            "commands": hist1["commands"] - hist0["commands"],
        }
    finally:
        stop.set()
        daemon.stop()
        bus.stop()


def pooled(results):
    """One side's rounds together: the mean signals/s and CPU, every lateness sample."""
    ret = {"signals_per_s": sum(r["signals_per_s"] for r in results) / len(results),
           "cpu_pct": sum(r["cpu_pct"] for r in results) / len(results)}
    for which in ("wakeups", "commands"):
        samples = sorted(sum((r[which] for r in results), collections.Counter()).elements())
        ret[which] = {"n": len(samples), "p50": percentile(samples, 50), "p99": percentile(samples, 99),
                      "max": samples[-1] if samples else float("nan"),
                      "over_1ms": sum(1 for v in samples if v > 1000)}
    return ret


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--build-dir", default=os.environ.get("MCD_BUILD_DIR", os.path.join(HERE, "..", "build")))
    args = ap.parse_args()
    os.environ["MCD_BUILD_DIR"] = os.path.abspath(args.build_dir)

    import chairtest
    work = chairtest.Workdir()
    bases, loads = [], []
    try:
        for _ in range(max(1, args.rounds)):
            bases.append(run(chairtest, work, args.seconds, 0))
            loads.append(run(chairtest, work, args.seconds, args.clients))
    finally:
        work.cleanup()
    base, load = pooled(bases), pooled(loads)

    def us(v):
        return "-" if v != v else str(v)  # nan: no sample

    def ratio(a, b):
        return "-" if a != a or b != b else f"{a / max(1, b):.2f}x"
    print(f"A program for {args.seconds:.0f} s, without clients and with {args.clients} subscribed to PropertiesChanged"
          f"{f', {len(bases)} rounds pooled' if len(bases) > 1 else ''}")
    print(f"  {'':<14} {'signals/s':>10} {'daemon CPU %':>13}   scheduler lateness, us (n, p50, p99, max, over 1 ms)")
    for name, r in (("no clients", base), (f"{args.clients} clients", load)):
        lat = "   ".join(f"{which} n={r[which]['n']} p50={us(r[which]['p50'])} p99={us(r[which]['p99'])} "
                         f"max={us(r[which]['max'])} >1ms={r[which]['over_1ms']}" for which in ("wakeups", "commands"))
        print(f"  {name:<14} {r['signals_per_s']:10.2f} {r['cpu_pct']:13.2f}   {lat}")
    for which in ("wakeups", "commands"):
        print(f"  scheduler {which[:-1]} lateness with the clients / without: "
              f"p50 {ratio(load[which]['p50'], base[which]['p50'])}, p99 {ratio(load[which]['p99'], base[which]['p99'])}")
    print(f"  targets: <= 15 signals/s ({'met' if load['signals_per_s'] <= 15 else 'OVER'}), "
          f"< 2 % of a core ({'met' if load['cpu_pct'] < 2 else 'OVER'}), lateness ratio about 1")


if __name__ == "__main__":
    main()
