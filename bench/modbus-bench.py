#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Modbus backend benchmark against chairsim (build first; run from anywhere).

1. Transactions per second while outputs change like a running program (a step every 100 ms:
   motors, valves, heat, LEDs), over TCP loopback and over RTU on a socat pty pair, beside the
   budget: at most half of what one 115200-baud RTU line carries.
2. Sensor-change latency: an independent client flips chairsim's estop fault coil; the time
   until the driver has read the change (its CLOCK_MONOTONIC read stamp) and until the
   event-loop callback ran, p50/p99/max, beside the bus's poll interval.

  bench/modbus-bench.py [--seconds 10] [--trials 200] [--poll-ms 50] [--no-rtu]
"""
import argparse
import os
import random
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
os.environ.setdefault("MCD_SOURCE_DIR", SOURCE)
os.environ.setdefault("MCD_BUILD_DIR", os.path.join(SOURCE, "build"))
sys.path.insert(0, os.path.join(SOURCE, "tests", "modbus"))
import modbuslib as m  # noqa: E402


def percentile(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(p / 100.0 * (len(s) - 1)))))] if s else float("nan")


def summary(name, values, unit="ms"):
    return (f"{name:<46} n={len(values):<5} p50={percentile(values, 50):8.2f} {unit}  "
            f"p99={percentile(values, 99):8.2f} {unit}  max={max(values):8.2f} {unit}")


def rtu_line_capacity(baud=115200, bits_per_char=10):
    """Transactions/s one RTU line carries for this driver's mix: the two block reads (discrete
    3 bits, input registers 9 words), a coil write and a register write, each request + reply
    + 3.5 character times of silence after each frame."""
    frames = [(8, 6), (8, 5 + 18), (8 + 1 + 2, 8), (9 + 10, 8)]  # (request, reply) bytes
    chars = sum(q + r + 7 for q, r in frames) / len(frames)
    return baud / bits_per_char / chars


def program_step(i):
    """A plausible program step: roller travel and kneading change, air zones cycle."""
    valves = ["valve_shoulders", "valve_arms", "valve_back", "valve_seat", "valve_calves", "valve_feet"]
    zone = valves[(i // 5) % len(valves)]
    sets = {"travel_motor": random.choice([-60, -30, 0, 30, 60]), "knead_motor": random.choice([-40, 40]),
            "air_pump": 1 if i % 10 < 6 else 0, "led_air": 1, "heat_lumbar": (i // 20) % 2}
    for v in valves:
        sets[v] = 1 if v == zone and i % 10 < 8 else 0
    return " ".join(f"{k}={v}" for k, v in sets.items())


def throughput(probe, seconds, label, poll_ms):
    assert m.wait_until(lambda: probe.stats()["link_up"] == 1, timeout=10), f"{label}: link never came up"
    s0, t0 = probe.stats(), time.monotonic()
    steps = 0
    while time.monotonic() - t0 < seconds:
        probe.cmd("setmany " + program_step(steps))
        steps += 1
        time.sleep(0.1)
    s1, t1 = probe.stats(), time.monotonic()
    rate = (s1["transactions"] - s0["transactions"]) / (t1 - t0)
    errors = sum(s1[k] - s0[k] for k in ("timeouts", "crc", "exceptions", "invalid"))
    capacity = rtu_line_capacity()
    print(f"{label:<10} {rate:7.1f} transactions/s over {t1 - t0:.1f} s, {steps} program steps, poll {poll_ms} ms, "
          f"errors {errors}")
    print(f"{'':<10} budget: half of a 115200-baud RTU line = {capacity / 2:.0f}/s (line {capacity:.0f}/s); "
          f"used {rate / capacity * 100:.0f}% of the line, {rate / (capacity / 2):.2f} of the budget "
          f"({'within' if rate <= capacity / 2 else 'OVER'}); brief's target 75/s: {rate / 75:.2f}")
    return rate


def latency(probe, client, trials, poll_ms):
    assert m.wait_until(lambda: probe.get("estop") == 0, timeout=10)
    read_ms, seen_ms = [], []
    state = 0
    for _ in range(trials):
        state ^= 1
        time.sleep(random.uniform(0, poll_ms / 1000.0))  # de-phase from the poll cycle
        t0 = time.monotonic_ns()
        client.fault("estop", bool(state))
        ev = probe.wait_event("estop", state, timeout=5)
        if ev is None:
            print("  lost an estop change", file=sys.stderr)
            continue
        _, _, read_ns, seen_ns = ev
        read_ms.append((read_ns - t0) / 1e6)
        seen_ms.append((seen_ns - t0) / 1e6)
    print(summary("estop flip -> driver read it", read_ms))
    print(summary("estop flip -> callback seen by the probe", seen_ms))
    print(f"{'':<46} p50/poll {percentile(read_ms, 50) / poll_ms:.2f}, max/poll {max(read_ms) / poll_ms:.2f} "
          f"(one poll interval bounds it, plus one transaction)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--poll-ms", type=int, default=50)
    ap.add_argument("--no-rtu", action="store_true")
    args = ap.parse_args()
    for exe in (m.PROBE, m.CHAIRSIM):
        if not os.path.exists(exe):
            sys.exit(f"missing {exe}: build first (MCD_BUILD_DIR={m.BUILD_DIR})")
    random.seed(5)
    with tempfile.TemporaryDirectory() as tmp:
        port = m.free_port()
        sim = m.start_chairsim(port)
        probe = client = None
        try:
            client = m.SimClient(port)
            probe = m.Probe(m.chairsim_map(os.path.join(tmp, "tcp.conf"), tcp_port=port, poll_ms=args.poll_ms))
            print(f"== Modbus TCP to chairsim (127.0.0.1:{port})")
            throughput(probe, args.seconds, "TCP", args.poll_ms)
            probe.cmd("safe")
            latency(probe, client, args.trials, args.poll_ms)
        finally:
            if probe:
                probe.close()
            if client:
                client.close()
            m.stop(sim)
        if args.no_rtu:
            return
        pty = m.PtyPair(tmp)
        sim = m.start_chairsim(device=pty.b)
        probe = None
        try:
            probe = m.Probe(m.chairsim_map(os.path.join(tmp, "rtu.conf"), device=pty.a, poll_ms=args.poll_ms,
                                           timeout_ms=100))
            print("== Modbus RTU to chairsim on a socat pty pair (no baud-rate pacing on a pty)")
            throughput(probe, args.seconds, "RTU", args.poll_ms)
        finally:
            if probe:
                probe.close()
            m.stop(sim)
            pty.close()


if __name__ == "__main__":
    main()
