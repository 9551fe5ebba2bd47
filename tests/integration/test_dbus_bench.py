"""The D-Bus bench's client (bench/dbus-bench.c) against the daemon: every call it times is
answered without an error, it times a Get of every property the daemon has, and timing a
setter given the value it already has changes nothing. Times are never asserted."""
import json
import os
import subprocess

import chairtest

BENCH = os.path.join(chairtest.BUILD_DIR, "bench", "dbus-bench")


def run_bench(bus, *args):
    out = subprocess.run([BENCH, "--iterations", "10", "--json", *args], env=bus.env(),
                         capture_output=True, text=True, timeout=60 * chairtest.SLOWDOWN)
    assert out.returncode == 0, out.stderr
    return [c["call"] for c in json.loads(out.stdout)["calls"]]


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
