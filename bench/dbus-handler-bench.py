#!/usr/bin/python3
"""Every public D-Bus call at its maximum legal size (docs/dbus-api.md, "Limits"), and the
refusal of far larger ones, against massagechaird --simulate on a private bus with full
history and fault files. Per call, p50/p99/max of its service time: the CPU time the daemon's
event-loop thread spent between sending the call and its reply arriving (schedstat: reading
the message, the handler, the reply), beside the whole round trip through the bus, client
marshalling included, and org.freedesktop.DBus.Peer.Ping to the daemon in the same run (what
any call costs). Target: every call served in under 5 ms. Never asserts wall-clock times.

    bench/dbus-handler-bench.py [--iterations N] [--build-dir DIR]
"""
import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))

TARGET_MS = 5.0
NAME_MAX = 64
ZONES = ["shoulders", "arms", "back", "seat", "calves", "feet"]
PROFILE = """[program]
id = bench-upload
name = Bench upload
description = A profile at the upload limit
duration_s = 600
[step.only]
technique = roll
range = 0..1
speed = 2
repetitions = 4
"""


def full_state(state_dir):
    """History and fault files at their 500 lines, fields at their longest."""
    os.makedirs(state_dir, exist_ok=True)
    with open(os.path.join(state_dir, "history"), "w") as f:
        for i in range(500):
            f.write(f"{1000 + i}\t{'p' * 79}\t{1700000000000000 + i}\t3600\t5\t65535\t65535\tcompleted\n")
    with open(os.path.join(state_dir, "faults"), "w") as f:
        for i in range(500):
            f.write(f"{1700000000000000 + i}\t{'c' * 47}\t{'m' * 255}\ttechnician\n")


def upload_text():
    pad = 65536 - len(PROFILE)
    lines = []
    while pad > 0:
        n = min(pad, 60)
        lines.append("#" * (n - 1) + "\n")
        pad -= n
    return PROFILE + "".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iterations", type=int, default=200)
    ap.add_argument("--build-dir", default=os.environ.get("MCD_BUILD_DIR", os.path.join(HERE, "..", "build")))
    args = ap.parse_args()
    os.environ["MCD_BUILD_DIR"] = os.path.abspath(args.build_dir)

    import dbus
    import chairtest
    from chairtest import BUS_NAME, INTERFACE, OBJECT_PATH, SERVICE_INTERFACE

    work = chairtest.Workdir()
    bus = daemon = conn = None
    try:
        full_state(os.path.join(work.path, "state"))
        bus = chairtest.PrivateBus(work.path)
        daemon = chairtest.Daemon(bus, work.path)
        conn = dbus.bus.BusConnection(bus.address)
        obj = conn.get_object(BUS_NAME, OBJECT_PATH, introspect=False)
        conditions = [c[0] for c in obj.ListPrecautions(dbus_interface=INTERFACE)]
        session_id = int(obj.GetHistory(dbus.UInt32(1), dbus_interface=INTERFACE)[0][0])
        text = upload_text()

        def m(name, sig, *a, iface=INTERFACE):
            method = obj.get_dbus_method(name, iface)
            return lambda: method(*a, signature=sig)

        options = {"intensity": dbus.UInt32(5), "duration": dbus.UInt32(3600), "scan": False, "heat": True}
        # (label, call): each at the largest arguments it accepts; errors count as served.
        calls = [
            ("Peer.Ping", m("Ping", "", iface="org.freedesktop.DBus.Peer")),
            ("Get State", m("Get", "ss", INTERFACE, "State", iface="org.freedesktop.DBus.Properties")),
            ("GetAll Chair1", m("GetAll", "s", INTERFACE, iface="org.freedesktop.DBus.Properties")),
            ("ListPrograms", m("ListPrograms", "")),
            ("GetProgram 64 B", m("GetProgram", "s", "x" * NAME_MAX)),
            ("GetProgram demo", m("GetProgram", "s", "demo")),
            ("SetIntensity", m("SetIntensity", "u", 5)),
            ("SetSpeed", m("SetSpeed", "u", 5)),
            ("SetDepth", m("SetDepth", "u", 5)),
            ("SetWidth", m("SetWidth", "s", "medium")),
            ("SetAir 6 zones", m("SetAir", "asu", ZONES, 5)),
            ("SetHeat", m("SetHeat", "su", "calves", 3)),
            ("SetTimer", m("SetTimer", "u", 30)),
            ("AdjustShoulder", m("AdjustShoulder", "i", 5)),
            ("MovePoint", m("MovePoint", "i", 20)),
            ("Pause", m("Pause", "")),
            ("Resume", m("Resume", "")),
            ("SaveMemory", m("SaveMemory", "u", 2)),
            ("RecallMemory", m("RecallMemory", "u", 1)),
            ("GetMemory", m("GetMemory", "u", 2)),
            ("SetChildLock", m("SetChildLock", "b", False)),
            (f"SetPrecautions {len(conditions)}", m("SetPrecautions", "as", conditions)),
            ("SetPrecautions 0", m("SetPrecautions", "as", [])),
            ("ListPrecautions", m("ListPrecautions", "")),
            ("RateSession", m("RateSession", "tuu", session_id, 10, 10)),
            ("GetHistory 500", m("GetHistory", "u", 500)),
            ("GetFaults 500", m("GetFaults", "u", 500)),
            ("Start 4 options", m("Start", "sa{sv}", "x" * NAME_MAX, options)),
            ("StartManual", m("StartManual", "ssa{sv}", "x" * NAME_MAX, "point", options)),
            ("Stop", m("Stop", "")),
            ("StartBodyScan", m("StartBodyScan", "")),
            # Refusals of far larger arguments: refused at the first element or byte over.
            ("SetAir 200000 (refused)", m("SetAir", "asu", ["back"] * 200000, 5)),
            ("GetProgram 1 MiB (refused)", m("GetProgram", "s", "y" * (1 << 20))),
            ("SetPrecautions 100000 (refused)", m("SetPrecautions", "as", ["x"] * 100000)),
            # The technician's (the bench runs as root).
            ("SchedulerStats", m("Get", "ss", SERVICE_INTERFACE, "SchedulerStats",
                                 iface="org.freedesktop.DBus.Properties")),
            ("GetDiagnostics", m("GetDiagnostics", "", iface=SERVICE_INTERFACE)),
            ("GetLatencyHistogram", m("GetLatencyHistogram", "s", "commands", iface=SERVICE_INTERFACE)),
            ("PressKey", m("PressKey", "su", "x" * NAME_MAX, 30000, iface=SERVICE_INTERFACE)),
            ("SetDefaultTimer", m("SetDefaultTimer", "u", 30, iface=SERVICE_INTERFACE)),
            ("ReloadProfiles", m("ReloadProfiles", "", iface=SERVICE_INTERFACE)),
            ("UploadProfile 64 KiB", m("UploadProfile", "ss", "bench-upload.ini", text, iface=SERVICE_INTERFACE)),
        ]
        loop_thread = f"/proc/{daemon.process.pid}/task/{daemon.process.pid}/schedstat"

        def loop_cpu_ns():
            with open(loop_thread) as f:
                return int(f.read().split()[0])

        samples = {label: [] for label, _ in calls}
        service = {label: [] for label, _ in calls}
        errors = {label: set() for label, _ in calls}
        for i in range(args.iterations):
            for label, fn in calls:
                c0 = loop_cpu_ns()
                t0 = time.perf_counter_ns()
                try:
                    fn()
                except dbus.exceptions.DBusException as e:
                    errors[label].add(e.get_dbus_name().rsplit(".", 1)[-1])
                samples[label].append(time.perf_counter_ns() - t0)
                service[label].append(loop_cpu_ns() - c0)
            if i == 0:
                # The first round warms every path up; it is not counted.
                samples = {label: [] for label, _ in calls}
                service = {label: [] for label, _ in calls}

        def stats(values):
            v = sorted(values)
            return v[len(v) // 2] / 1e6, v[min(len(v) - 1, int(len(v) * 0.99))] / 1e6, v[-1] / 1e6

        print(f"{args.iterations - 1} rounds of every call (ms): service = the daemon's event-loop CPU time "
              f"for the call; round trip = through the bus, client included")
        print(f"  {'call':<34} {'service p50':>11} {'p99':>7} {'max':>7}   {'round trip p50':>14} {'p99':>7} "
              f"{'max':>7}  outcome")
        worst = worst_label = None
        for label, _ in calls:
            sp50, sp99, smax = stats(service[label])
            rp50, rp99, rmax = stats(samples[label])
            if worst is None or smax > worst:
                worst, worst_label = smax, label
            outcome = ",".join(sorted(errors[label])) or "ok"
            print(f"  {label:<34} {sp50:11.3f} {sp99:7.3f} {smax:7.3f}   {rp50:14.3f} {rp99:7.3f} {rmax:7.3f}  {outcome}")
        print(f"  worst service time {worst:.3f} ms ({worst_label}; target {TARGET_MS} ms): "
              f"{'within' if worst < TARGET_MS else 'OVER'} target")
    finally:
        if conn:
            conn.close()
        if daemon:
            daemon.stop()
        if bus:
            bus.stop()
        work.cleanup()


if __name__ == "__main__":
    main()
