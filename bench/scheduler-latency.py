#!/usr/bin/python3
"""Scheduler lateness against the machine's own wake-up latency, in one run.

1. cyclictest (rt-tests) measures the machine alone: a SCHED_FIFO thread waking every 1 ms.
2. massagechaird runs a dense program on chairsim over Modbus TCP while a client reads a
   property 250 times a second over D-Bus; the daemon's own lateness histogram (planned vs
   actual time of every command) is read back over D-Bus, with its CPU use while running and
   while idle. During the same seconds, under the same load, a second cyclictest wakes at the
   scheduler's own period (its controller tick: 25 ms with an encoder polled every 50 ms) and
   priority: that is the baseline the ratios use. A virtual machine's wake-up latency grows with the time slept (here about 70 us
   at 1 ms, 120 us at 10 ms, 200 us at 100 ms), so only a baseline that sleeps as long as the
   scheduler compares like with like; the 1 ms ratio is printed too.
Prints the distributions and the ratios. Usage: bench/scheduler-latency.py [SECONDS]
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


SCHEDULER_TICK_US = 25000  # daemon.c: the controllers' period with chairsim's encoder polled every 50 ms
SCHEDULER_PRIORITY = 50    # scheduler.c: SCHED_FIFO priority of the scheduler thread


def cyclictest(seconds, interval_us=1000, priority=80):
    out = subprocess.run(["cyclictest", "-m", "-q", "-p", str(priority), "-i", str(interval_us),
                          "-D", str(seconds), "-h", "20000"],
                         capture_output=True, text=True, timeout=seconds + 30).stdout
    hist = []
    for line in out.splitlines():
        m = re.match(r"^(\d+)\s+(\d+)", line)
        if m:
            us, count = int(m.group(1)), int(m.group(2))
            hist += [us] * count
    over = re.search(r"# Histogram Overflows: (\d+)", out)
    return hist, int(over.group(1)) if over else 0


def cpu_seconds(pid):
    """Time on a CPU of every thread, from schedstat (ns, exact) rather than the tick-sampled
    utime/stime, which cannot resolve a fraction of a percent."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/schedstat") as f:
            total += int(f.read().split()[0])
    return total / 1e9


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
    # The daemon drives chairsim over Modbus TCP, so Modbus polling is part of the load and the
    # chair's physics runs outside the daemon.
    sim = chairtest.Process([chairtest.binary("chairsim"), "--listen", "127.0.0.1:0"],
                            os.path.join(work.path, "chairsim.log"))
    chairtest.wait_for(lambda: "listening on" in sim.output(), 10, "chairsim")
    port = int(re.search(r"127\.0\.0\.1:(\d+)", sim.output()).group(1))
    with open(os.path.join(benchlib.SOURCE, "hardware-maps", "chairsim.conf")) as f:
        conf = f.read().replace("port = 1502", f"port = {port}")
    chair_conf = os.path.join(work.path, "chair.conf")
    with open(chair_conf, "w") as f:
        f.write(conf)
    daemon = chairtest.Daemon(bus, work.path, args=("--config", chair_conf, "--profiles-dir",
                                                    os.path.join(benchlib.SOURCE, "profiles", "programs"),
                                                    "--overrides-dir", os.path.join(benchlib.HERE, "profiles")))
    try:
        pid = daemon.process.pid
        time.sleep(1)
        t0, s0 = cpu_seconds(pid), switches(pid)
        time.sleep(5)
        idle_cpu = (cpu_seconds(pid) - t0) / 5 * 100
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

        same = {}

        def baseline():
            same["hist"], same["over"] = cyclictest(SECONDS, SCHEDULER_TICK_US, SCHEDULER_PRIORITY)

        loader = threading.Thread(target=load)
        loader.start()
        side = threading.Thread(target=baseline)
        side.start()
        t1, w1 = cpu_seconds(pid), time.monotonic()
        mb0 = daemon.call("GetDiagnostics", interface=chairtest.SERVICE_INTERFACE)[0]["modbus.transactions"]["data"]
        time.sleep(SECONDS)
        run_cpu = (cpu_seconds(pid) - t1) / (time.monotonic() - w1) * 100
        mb_rate = (daemon.call("GetDiagnostics", interface=chairtest.SERVICE_INTERFACE)[0]["modbus.transactions"]["data"]
                   - mb0) / (time.monotonic() - w1)
        stop.set()
        loader.join()
        side.join()
        # The same program without the D-Bus load: the daemon's own cost.
        time.sleep(1)
        t2, w2 = cpu_seconds(pid), time.monotonic()
        time.sleep(10)
        quiet_cpu = (cpu_seconds(pid) - t2) / (time.monotonic() - w2) * 100
        stats = daemon.get_property("SchedulerStats", interface=chairtest.SERVICE_INTERFACE)
        daemon.call("Stop")
        realtime = "SCHED_FIFO" in daemon.output()
    finally:
        daemon.stop()
        sim.stop()
        bus.stop()
        work.cleanup()

    p50, p99 = stats["p50_us"], stats["p99_us"]
    c50, c99 = benchlib.percentile(ct, 50), benchlib.percentile(ct, 99)
    st = same["hist"]
    s50, s99 = benchlib.percentile(st, 50), benchlib.percentile(st, 99)
    print(f"\n== massagechaird scheduler ({'SCHED_FIFO' if realtime else 'ordinary thread'}) on chairsim over "
          f"Modbus TCP, {SECONDS} s of bench-dense with {reads[0] / SECONDS:.0f} D-Bus property reads/s")
    print(f"{'scheduler lateness (histogram, 1 us bins)':<44} n={stats['count']:<7} p50<={p50:7d} us  "
          f"p99<={p99:7d} us  max={stats['max_us']:7d} us  over 1 ms: {stats['over_1ms']}")
    print(benchlib.summary(f"cyclictest -p {SCHEDULER_PRIORITY} -i {SCHEDULER_TICK_US}, same load", st)
          + f"  over 1 ms: {sum(1 for v in st if v > 1000) + same['over']}")
    print(f"\nratios scheduler/cyclictest at the scheduler's period, same run and load: p50 {p50 / s50:.2f}x, "
          f"p99 {p99 / s99:.2f}x (target <= 1.25x)")
    print(f"ratios scheduler/cyclictest -i 1000 alone: p50 {p50 / c50:.2f}x, p99 {p99 / c99:.2f}x")
    print(f"Modbus: {mb_rate:.0f} transactions/s to chairsim during the run")
    print(f"CPU: idle {idle_cpu:.2f} % of a core with {idle_switches} context switches in 5 s (watchdog off); "
          f"running {quiet_cpu:.2f} % without D-Bus load (target < 1 %), {run_cpu:.2f} % while also serving "
          f"{reads[0] / SECONDS:.0f} property reads/s")


if __name__ == "__main__":
    main()
