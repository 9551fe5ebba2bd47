#!/usr/bin/python3
"""Scheduler lateness against the machine's own wake-up latency, in one run.

1. cyclictest (rt-tests) measures the machine: a SCHED_FIFO thread waking every 1 ms.
2. massagechaird --simulate runs a dense program while a client reads a property 200+ times a
   second over D-Bus; the daemon's own lateness histogram (planned vs actual time of every
   command) is read back over D-Bus, with its CPU use while running and while idle.
Prints both distributions and the ratios. Usage: bench/scheduler-latency.py [SECONDS]
"""
import os
import re
import subprocess
import sys
import threading
import time

import benchlib
from benchlib import chairtest

SECONDS = int(sys.argv[1]) if len(sys.argv) > 1 else 20
CLK = os.sysconf("SC_CLK_TCK")


def cyclictest(seconds):
    out = subprocess.run(["cyclictest", "-m", "-q", "-p", "80", "-i", "1000", "-D", str(seconds), "-h", "20000"],
                         capture_output=True, text=True, timeout=seconds + 30).stdout
    hist = []
    for line in out.splitlines():
        m = re.match(r"^(\d+)\s+(\d+)", line)
        if m:
            us, count = int(m.group(1)), int(m.group(2))
            hist += [us] * count
    over = re.search(r"# Histogram Overflows: (\d+)", out)
    return hist, int(over.group(1)) if over else 0


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def switches(pid):
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/status") as f:
            for line in f:
                if "ctxt_switches" in line:
                    total += int(line.split()[1])
    return total


def main():
    print(f"== cyclictest -p 80 -i 1000 for {SECONDS} s (the machine's wake-up latency)")
    ct, ct_over = cyclictest(SECONDS)
    print(benchlib.summary("cyclictest", ct) + f"  over 1 ms: {sum(1 for v in ct if v > 1000) + ct_over}")

    work = chairtest.Workdir()
    bus = chairtest.PrivateBus(work.path)
    daemon = chairtest.Daemon(bus, work.path, args=("--simulate", "--profiles-dir",
                                                    os.path.join(benchlib.SOURCE, "profiles", "programs"),
                                                    "--overrides-dir", os.path.join(benchlib.HERE, "profiles")))
    try:
        pid = daemon.process.pid
        time.sleep(1)
        t0, s0 = cpu_ticks(pid), switches(pid)
        time.sleep(5)
        idle_cpu = (cpu_ticks(pid) - t0) / CLK / 5 * 100
        idle_switches = switches(pid) - s0

        daemon.call("Start", "sa{sv}", "bench-dense", 1, "scan", "b", "false")
        stop = threading.Event()
        reads = [0]

        def load():
            import dbus
            conn = dbus.bus.BusConnection(bus.address)
            props = dbus.Interface(conn.get_object(chairtest.BUS_NAME, chairtest.OBJECT_PATH),
                                   "org.freedesktop.DBus.Properties")
            next_at = time.monotonic()
            while not stop.is_set():
                props.Get(chairtest.INTERFACE, "Remaining")
                reads[0] += 1
                next_at += 1 / 250
                time.sleep(max(0, next_at - time.monotonic()))
            conn.close()

        loader = threading.Thread(target=load)
        loader.start()
        t1, w1 = cpu_ticks(pid), time.monotonic()
        time.sleep(SECONDS)
        run_cpu = (cpu_ticks(pid) - t1) / CLK / (time.monotonic() - w1) * 100
        stop.set()
        loader.join()
        stats = daemon.get_property("SchedulerStats", interface=chairtest.SERVICE_INTERFACE)
        daemon.call("Stop")
        realtime = "SCHED_FIFO" in daemon.output()
    finally:
        daemon.stop()
        bus.stop()
        work.cleanup()

    p50, p99 = stats["p50_us"], stats["p99_us"]
    c50, c99 = benchlib.percentile(ct, 50), benchlib.percentile(ct, 99)
    print(f"\n== massagechaird scheduler ({'SCHED_FIFO' if realtime else 'ordinary thread'}), "
          f"{SECONDS} s of bench-dense with {reads[0] / SECONDS:.0f} D-Bus property reads/s")
    print(f"{'scheduler lateness (histogram, 10 us bins)':<44} n={stats['count']:<7} p50<={p50:7d} us  "
          f"p99<={p99:7d} us  max={stats['max_us']:7d} us  over 1 ms: {stats['over_1ms']}")
    print(f"\nratios scheduler/cyclictest: p50 {p50 / c50:.2f}x, p99 {p99 / c99:.2f}x (target <= 1.25x; "
          f"bins round the scheduler up by up to 10 us)")
    print(f"CPU: idle {idle_cpu:.2f} % of a core with {idle_switches} context switches in 5 s; "
          f"running {run_cpu:.2f} % (target < 1 %) while serving the D-Bus load")
    print("Modbus polling of chairsim: not part of this run (no Modbus backend in --simulate).")


if __name__ == "__main__":
    main()
