"""org.massagechair.Chair1.Posture (docs/posture.md) on massagechaird --simulate, through clients
we did not write (busctl, gdbus, python-dbus): the properties, the presets, hold-to-run bound to
the caller's connection, the occupant, the pinch fault, the precautions, Stop."""
import json
import os
import signal
import subprocess
import sys
import time

import dbus
import pytest

import chairtest
from chairtest import BUS_NAME, INTERFACE, SERVICE_INTERFACE, wait_for

POSTURE_PATH = "/org/massagechair/Chair1/posture"
POSTURE = "org.massagechair.Chair1.Posture"
ERR = "org.massagechair.Chair1.Error."
AXES = ["recline", "legrest_lift", "legrest_extend", "seat_slide"]
PRESETS = ["upright", "zero-gravity-1", "zero-gravity-2", "zero-gravity-3", "flat"]
S = chairtest.SLOWDOWN


def prop(bus, name):
    r = bus.busctl("get-property", "--json=short", BUS_NAME, POSTURE_PATH, POSTURE, name)
    return json.loads(r.stdout)["data"]


def call(bus, method, signature="", *args, check=True):
    argv = ["call", "--json=short", BUS_NAME, POSTURE_PATH, POSTURE, method]
    if signature:
        argv += [signature, *[str(a) for a in args]]
    r = bus.busctl(*argv, check=check)
    return r if not check else (json.loads(r.stdout)["data"] if r.stdout.strip() else None)


def error_of(bus, method, *args, interface=POSTURE, path=POSTURE_PATH):
    """The D-Bus error name a gdbus call fails with (the call must fail)."""
    r = bus.gdbus("call", "--dest", BUS_NAME, "--object-path", path, "--method", f"{interface}.{method}", *args,
                  check=False)
    assert r.returncode != 0, f"{method} {args} unexpectedly succeeded: {r.stdout}"
    import re
    m = re.search(r"GDBus\.Error:([A-Za-z0-9_.]+)", r.stderr)
    assert m, r.stderr
    return m.group(1)


def posture_iface(bus):
    """A python-dbus connection of our own: a hold-to-run move lives as long as its caller's
    connection (busctl's ends with its call, and so does its move)."""
    conn = dbus.bus.BusConnection(bus.address)
    return conn, dbus.Interface(conn.get_object(BUS_NAME, POSTURE_PATH), POSTURE)


def positions(bus):
    return prop(bus, "Positions")


def all_still(bus):
    return all(m == "still" for m in prop(bus, "Motions").values())


def test_smoke_properties_preset_move_stop(daemon, bus):
    assert prop(bus, "Axes") == AXES
    assert prop(bus, "Presets") == PRESETS
    assert prop(bus, "Occupied") is True and prop(bus, "FeetOn") in (True, False)
    assert prop(bus, "PinchedAxis") == ""
    assert set(positions(bus)) == set(AXES)
    assert all_still(bus)
    call(bus, "GoToPreset", "s", "zero-gravity-1")
    wait_for(lambda: positions(bus)["recline"] > 20, 10 * S, "the recline to move")
    assert prop(bus, "Motions")["recline"] == "preset"
    call(bus, "Stop")
    wait_for(lambda: all_still(bus), 5 * S, "every axis still after Stop")
    # Hold-to-run: direction 0 releases it.
    conn, posture = posture_iface(bus)
    posture.Move("legrest_lift", 1, dbus.UInt32(1000))
    assert prop(bus, "Motions")["legrest_lift"] == "manual"
    posture.Move("legrest_lift", 0, dbus.UInt32(0))
    assert prop(bus, "Motions")["legrest_lift"] == "still"
    conn.close()
    # No one seated: no automatic move.
    daemon.call("SimSetOccupant", "bub", "false", 450, "false", interface=SERVICE_INTERFACE)
    wait_for(lambda: prop(bus, "Occupied") is False, 5 * S, "the seat to report no one")
    assert error_of(bus, "GoToPreset", "flat") == ERR + "NotOccupied"
