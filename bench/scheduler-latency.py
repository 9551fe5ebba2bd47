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
        mb0 = daemon.call("GetDiagnostics", interface=chairtest.SERVICE_INTERFACE)[0]["modbus.transactions"]["data"]
        time.sleep(SECONDS)
        run_cpu = (cpu_ticks(pid) - t1) / CLK / (time.monotonic() - w1) * 100
        mb_rate = (daemon.call("GetDiagnostics", interface=chairtest.SERVICE_INTERFACE)[0]["modbus.transactions"]["data"]
                   - mb0) / (time.monotonic() - w1)
        stop.set()
        loader.join()
        # The same program without the D-Bus load: the daemon's own cost.
        time.sleep(1)
        t2, w2 = cpu_ticks(pid), time.monotonic()
        time.sleep(10)
        quiet_cpu = (cpu_ticks(pid) - t2) / CLK / (time.monotonic() - w2) * 100
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
    print(f"\n== massagechaird scheduler ({'SCHED_FIFO' if realtime else 'ordinary thread'}) on chairsim over "
          f"Modbus TCP, {SECONDS} s of bench-dense with {reads[0] / SECONDS:.0f} D-Bus property reads/s")
    print(f"{'scheduler lateness (histogram, 1 us bins)':<44} n={stats['count']:<7} p50<={p50:7d} us  "
          f"p99<={p99:7d} us  max={stats['max_us']:7d} us  over 1 ms: {stats['over_1ms']}")
    print(f"\nratios scheduler/cyclictest: p50 {p50 / c50:.2f}x, p99 {p99 / c99:.2f}x (target <= 1.25x)")
    print(f"Modbus: {mb_rate:.0f} transactions/s to chairsim during the run")
    print(f"CPU: idle {idle_cpu:.2f} % of a core with {idle_switches} context switches in 5 s (watchdog off); "
          f"running {quiet_cpu:.2f} % without D-Bus load (target < 1 %), {run_cpu:.2f} % while also serving "
          f"{reads[0] / SECONDS:.0f} property reads/s")


if __name__ == "__main__":
    main()
