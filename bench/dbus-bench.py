#!/usr/bin/python3
"""Runs the D-Bus benchmark: a private bus, massagechaird --simulate on it, then
dbus-bench (C, sd-bus: every read of org.massagechair.Chair1, GetAll, a Get of each property
and the setters given the value they already have; see bench/dbus-bench.c) and two other
clients' loops over a few of them (GDBus through python-gi's Gio, and python-dbus on libdbus),
each beside org.freedesktop.DBus.Peer.Ping to the daemon in the same run. Reports p50/p99, the
ratio to Ping (target: within 1.2x) and each reply's body size; --baseline-payload adds the
floor, the same replies from a bare sd-bus server (bench/dbus-bench.c). Never asserts
wall-clock times.

    bench/dbus-bench.py [--iterations N] [--baseline-payload] [--build-dir DIR]
"""
import argparse
import json
import os
import random
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))


def timed_loop(calls, iterations):
    """calls: name -> function, the first Ping. Interleaved in a new random order each time."""
    names = list(calls)
    samples = {n: [] for n in names}
    for _ in range(200):
        for n in names:
            calls[n]()
    order = list(names)
    shuffle = random.Random(16).shuffle
    for i in range(iterations):
        shuffle(order)  # a new order each time: a call's time depends on the one before it
        for n in order:
            t0 = time.perf_counter_ns()
            calls[n]()
            samples[n].append(time.perf_counter_ns() - t0)
    result = []
    for n in names:
        s = sorted(samples[n])
        result.append({"call": n, "p50_us": s[len(s) // 2] / 1e3, "p99_us": s[int(len(s) * 0.99)] / 1e3})
    for r in result:
        r["p50_ratio"] = r["p50_us"] / result[0]["p50_us"]
        r["p99_ratio"] = r["p99_us"] / result[0]["p99_us"]
    return {"iterations": iterations, "calls": result}


def python_dbus_loop(address, iterations):
    import dbus
    conn = dbus.bus.BusConnection(address)
    obj = conn.get_object("org.massagechair.Chair1", "/org/massagechair/Chair1", introspect=False)
    calls = {
        "Peer.Ping": lambda: obj.Ping(dbus_interface="org.freedesktop.DBus.Peer"),
        "Get State": lambda: obj.Get("org.massagechair.Chair1", "State",
                                     dbus_interface="org.freedesktop.DBus.Properties"),
        "GetAll": lambda: obj.GetAll("org.massagechair.Chair1",
                                     dbus_interface="org.freedesktop.DBus.Properties"),
        "ListPrograms": lambda: obj.ListPrograms(dbus_interface="org.massagechair.Chair1"),
        "GetProgram demo": lambda: obj.GetProgram("demo", dbus_interface="org.massagechair.Chair1"),
    }
    try:
        return timed_loop(calls, iterations)
    finally:
        conn.close()


def gdbus_loop(address, iterations):
    """GDBus (GLib's own implementation, as gdbus and GNOME apps use it) through python-gi: the
    reply is unmarshalled into a GVariant, not into python objects."""
    import gi
    gi.require_version("Gio", "2.0")
    from gi.repository import Gio, GLib
    flags = Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION
    conn = Gio.DBusConnection.new_for_address_sync(address, flags, None, None)

    def call(interface, member, args=None):
        return lambda: conn.call_sync("org.massagechair.Chair1", "/org/massagechair/Chair1", interface, member,
                                      args, None, Gio.DBusCallFlags.NONE, -1, None)
    props = "org.freedesktop.DBus.Properties"
    calls = {
        "Peer.Ping": call("org.freedesktop.DBus.Peer", "Ping"),
        "Get State": call(props, "Get", GLib.Variant("(ss)", ("org.massagechair.Chair1", "State"))),
        "GetAll": call(props, "GetAll", GLib.Variant("(s)", ("org.massagechair.Chair1",))),
        "ListPrograms": call("org.massagechair.Chair1", "ListPrograms"),
        "GetProgram demo": call("org.massagechair.Chair1", "GetProgram", GLib.Variant("(s)", ("demo",))),
    }
    try:
        return timed_loop(calls, iterations)
    finally:
        conn.close_sync(None)


def show(title, data):
    calls = [c for c in data["calls"] if not c.get("bare")]
    bare = {c["call"][len("bare "):]: c for c in data["calls"] if c.get("bare")}
    sized = "body_bytes" in calls[0]
    print(f"{title}: {data['iterations']} interleaved iterations of each call (µs; ratio to Peer.Ping)")
    if bare:
        print("  bare: the same reply from a bare sd-bus server, ratio to its own Ping; copy: its CPU µs copying the "
              "reply, read: reading it through;\n  floor: bare less the copy (the bus alone); built: bare less the "
              "reading (as if the server appended the reply)")
    head = f"  {'call':<24} " + (f"{'body':>6} " if sized else "") + f"{'p50':>9} {'p99':>9} {'p50 x':>7} {'p99 x':>7}"
    print(head + (f" {'bare x':>7} {'copy':>6} {'read':>6} {'floor x':>7} {'built x':>7}" if bare else ""))
    for c in calls:
        line = f"  {c['call']:<24} " + (f"{c['body_bytes']:6d} " if sized else "")
        line += f"{c['p50_us']:9.1f} {c['p99_us']:9.1f} {c['p50_ratio']:7.2f} {c['p99_ratio']:7.2f}"
        if c["call"] in bare:
            b, ping = bare[c["call"]], bare["Peer.Ping"]
            floor = (b["p50_us"] - b["copy_us"]) / ping["p50_us"]
            built = (b["p50_us"] - b["read_us"]) / ping["p50_us"]
            line += f" {b['p50_ratio']:7.2f} {b['copy_us']:6.1f} {b['read_us']:6.1f} {floor:7.2f} {built:7.2f}"
        print(line)
    worst = max(c["p50_ratio"] for c in calls)
    print(f"  worst p50 ratio {worst:.2f} (target 1.20): {'within' if worst <= 1.2 else 'OVER'} target\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iterations", type=int, default=5000)
    ap.add_argument("--python-iterations", type=int, default=3000)
    ap.add_argument("--baseline-payload", action="store_true",
                    help="the same replies from a bare sd-bus server too: the bus's floor for each payload")
    ap.add_argument("--build-dir", default=os.environ.get("MCD_BUILD_DIR",
                                                          os.path.join(HERE, "..", "build")))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    os.environ["MCD_BUILD_DIR"] = os.path.abspath(args.build_dir)

    import chairtest
    work = chairtest.Workdir()
    bus = daemon = None
    try:
        bus = chairtest.PrivateBus(work.path)
        daemon = chairtest.Daemon(bus, work.path)
        results = {}
        bench = os.path.join(chairtest.BUILD_DIR, "tools", "chairctl", "dbus-bench")
        if not os.path.exists(bench):
            bench = os.path.join(chairtest.BUILD_DIR, "bench", "dbus-bench")
        extra = ["--baseline-payload"] if args.baseline_payload else []
        out = subprocess.run([bench, "--iterations", str(args.iterations), "--json", *extra], env=bus.env(),
                             capture_output=True, text=True, timeout=1200)
        if out.returncode != 0:
            sys.exit(f"dbus-bench failed: {out.stderr}")
        results["sd-bus (C)"] = json.loads(out.stdout)
        results["GDBus (python-gi Gio)"] = gdbus_loop(bus.address, args.python_iterations)
        results["python-dbus"] = python_dbus_loop(bus.address, args.python_iterations)
        if args.json:
            print(json.dumps(results))
        else:
            for title, data in results.items():
                show(title, data)
    finally:
        if daemon:
            daemon.stop()
        if bus:
            bus.stop()
        work.cleanup()


if __name__ == "__main__":
    main()
