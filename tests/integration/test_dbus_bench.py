"""The D-Bus bench's client (bench/dbus-bench.c) against the daemon: every call it times is
answered without an error, it times a Get of every property the daemon has, and timing a
setter given the value it already has changes nothing; --baseline-payload times a bare server's
twin of every call with the daemon's own reply. Times are never asserted."""
import json
import os
import subprocess

import chairtest

BENCH = os.path.join(chairtest.BUILD_DIR, "bench", "dbus-bench")


def run_bench_json(bus, *args):
    out = subprocess.run([BENCH, "--iterations", "10", "--json", *args], env=bus.env(),
                         capture_output=True, text=True, timeout=60 * chairtest.SLOWDOWN)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["calls"]


def run_bench(bus, *args):
    return [c["call"] for c in run_bench_json(bus, *args)]


def test_every_read_and_property(bus, daemon):
    before = {name: daemon.get_property(name) for name in ("Intensity", "Speed", "Depth", "Width", "Timer",
                                                            "ChildLock", "HeatLevels", "AirZones", "AirIntensity")}
    calls = run_bench(bus)
    assert calls[0] == "Peer.Ping"
    xml = open(os.path.join(chairtest.SOURCE_DIR, "docs", "org.massagechair.Chair1.xml")).read()
    chair = xml[xml.index('<interface name="org.massagechair.Chair1">'):]
    chair = chair[:chair.index("</interface>")]
    for prop in chair.split('<property name="')[1:]:
        if "org.freedesktop.systemd1.Explicit" in prop.split("</property>")[0]:
            continue  # not in GetAll (Precautions, health data): the bench times what GetAll lists
        assert f"Get {prop.split(chr(34))[0]}" in calls
    for method in ("ListPrograms", "GetProgram", "ListPrecautions", "GetMemory", "GetHistory", "GetFaults"):
        assert any(c.split()[0] == method for c in calls), method
    assert "GetAll" in calls
    assert not any(c.split()[0] in ("Start", "Stop", "StartManual", "SetPrecautions") for c in calls)
    # The setters were given what the properties held: nothing changed.
    assert {name: daemon.get_property(name) for name in before} == before


def test_only_one_call(bus, daemon):
    assert run_bench(bus, "--only", "ListPrograms") == ["Peer.Ping", "ListPrograms"]
    out = subprocess.run([BENCH, "--iterations", "10", "--only", "NoSuchCall"], env=bus.env(),
                         capture_output=True, text=True, timeout=60 * chairtest.SLOWDOWN)
    assert out.returncode != 0 and "NoSuchCall" in out.stderr


def test_baseline_payload(bus, daemon):
    calls = run_bench_json(bus, "--baseline-payload")
    mine = [c for c in calls if not c["bare"]]
    bare = {c["call"]: c for c in calls if c["bare"]}
    # Every call has its bare twin, answered with a reply of the same size.
    assert sorted(bare) == sorted("bare " + c["call"] for c in mine)
    sizes = {c["call"]: c["body_bytes"] for c in mine}
    assert all(bare["bare " + name]["body_bytes"] == size for name, size in sizes.items())
    assert sizes["Peer.Ping"] == 0 and sizes["SetIntensity same"] == 0
    # ListPrograms's body: its array's length, and per program a struct of three strings and a u.
    programs = daemon.call("ListPrograms")[0]
    assert programs
    expect = 4
    for p in programs:
        expect = (expect + 7) // 8 * 8
        for text in p[:3]:
            expect = (expect + 3) // 4 * 4 + 4 + len(text.encode()) + 1
        expect = (expect + 3) // 4 * 4 + 4
    assert sizes["ListPrograms"] == expect
    assert sizes["GetAll"] > sizes["Get State"] > 0
    # A new daemon's history is empty: an array's length, padded to its structs' 8 bytes.
    assert sizes["GetHistory 20"] == 8
    # --only keeps its meaning: that call and Ping, each with its twin.
    only = run_bench(bus, "--only", "GetAll", "--baseline-payload")
    assert only == ["Peer.Ping", "GetAll", "bare Peer.Ping", "bare GetAll"]
