"""org.massagechair.Chair1.Posture (docs/posture.md, docs/dbus-api.md) on massagechaird --simulate,
through clients we did not write (busctl, gdbus, python-dbus): the introspection against the
shipped XML, Chair1.GetCapabilities, the presets and the positions announced while they run (and
nothing while still), the occupant, hold-to-run bound to the caller's connection (the lease, a
release, the caller killed), the pinch fault latched by the simulated obstruction and cleared by
a technician only, the person's conditions, and Stop."""
import os
import re
import signal
import subprocess
import threading
import time
import xml.etree.ElementTree as ET

import dbus
import dbus.mainloop.glib
import pytest
from gi.repository import GLib

import chairtest
from chairtest import BUS_NAME, INTERFACE, OBJECT_PATH, SERVICE_INTERFACE, wait_for

POSTURE_PATH = OBJECT_PATH + "/posture"
POSTURE = "org.massagechair.Chair1.Posture"
ERR = "org.massagechair.Chair1.Error."
DENIED = "org.freedesktop.DBus.Error.AccessDenied"
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
AXES = ["recline", "legrest_lift", "legrest_extend", "seat_slide"]
PRESETS = ["upright", "zero-gravity-1", "zero-gravity-2", "zero-gravity-3", "flat"]
LEASE_MS = 500


class Client:
    """A python-dbus connection of our own: a hold-to-run move lives as long as its caller's
    connection (busctl's ends with its call, and so does its move)."""

    def __init__(self, bus):
        self.conn = dbus.bus.BusConnection(bus.address)
        obj = self.conn.get_object(BUS_NAME, POSTURE_PATH, introspect=False)
        self.posture = dbus.Interface(obj, POSTURE)
        self.props = dbus.Interface(obj, dbus.PROPERTIES_IFACE)

    def move(self, axis, direction, lease_ms=LEASE_MS):
        self.posture.Move(axis, dbus.Int32(direction), dbus.UInt32(lease_ms))

    def error_of(self, method, *args):
        try:
            getattr(self.posture, method)(*args)
        except dbus.exceptions.DBusException as e:
            return e.get_dbus_name()
        return None

    def get(self, name):
        return self.props.Get(POSTURE, name)

    def close(self):
        self.conn.close()


@pytest.fixture
def client(bus, daemon):
    c = Client(bus)
    yield c
    c.close()


class Signals:
    """Collects the posture's PropertiesChanged and Chair1's signals with python-dbus on a GLib
    loop in a thread."""

    def __init__(self, address):
        dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
        self.conn = dbus.bus.BusConnection(address)
        self.received = []
        self.lock = threading.Lock()
        self.conn.add_signal_receiver(self._on, signal_name="PropertiesChanged", path=POSTURE_PATH,
                                      dbus_interface=dbus.PROPERTIES_IFACE, member_keyword="member")
        self.conn.add_signal_receiver(self._on, dbus_interface=INTERFACE, path=OBJECT_PATH,
                                      member_keyword="member")
        self.loop = GLib.MainLoop()
        self.thread = threading.Thread(target=self.loop.run, daemon=True)
        self.thread.start()

    def _on(self, *args, member=None):
        with self.lock:
            self.received.append((time.monotonic(), member, list(args)))

    def find(self, member, predicate=lambda args: True):
        with self.lock:
            return [a for _, m, a in self.received if m == member and predicate(a)]

    def changed(self, prop):
        """Every value announced for a posture property, in order."""
        return [a[1][prop] for a in self.find("PropertiesChanged", lambda a: a[0] == POSTURE and prop in a[1])]

    def close(self):
        self.loop.quit()
        self.thread.join(timeout=5)
        self.conn.close()


@pytest.fixture
def signals(bus, daemon):
    s = Signals(bus.address)
    yield s
    s.close()


def prop(bus, name):
    import json
    r = bus.busctl("get-property", "--json=short", BUS_NAME, POSTURE_PATH, POSTURE, name)
    return json.loads(r.stdout)["data"]


def call(bus, method, signature="", *args):
    argv = ["call", BUS_NAME, POSTURE_PATH, POSTURE, method]
    if signature:
        argv += [signature, *[str(a) for a in args]]
    bus.busctl(*argv)


def gdbus_error(bus, method, *args, interface=POSTURE, path=POSTURE_PATH, prefix=()):
    """The D-Bus error name a gdbus call fails with, None when it succeeded."""
    r = subprocess.run([*prefix, "gdbus", "call", "--address", bus.address, "--dest", BUS_NAME, "--object-path", path,
                        "--method", f"{interface}.{method}", *args],
                       capture_output=True, text=True, timeout=10 * chairtest.SLOWDOWN)
    if r.returncode == 0:
        return None
    m = re.search(r"GDBus\.Error:([A-Za-z0-9_.]+)", r.stderr)
    assert m, r.stderr
    return m.group(1)


def hold(client, axis, direction, until, timeout, what):
    """Holds a hold-to-run move as chairctl does (renewed every 200 ms, lease 500 ms) until
    until() holds; a refused renewal (the move stopped by the daemon) ends the holding."""
    deadline = time.monotonic() + timeout * chairtest.SLOWDOWN
    while not until():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out holding {axis} waiting for {what}")
        try:
            client.move(axis, direction)
        except dbus.exceptions.DBusException:
            pass
        time.sleep(0.2)


def motions(bus):
    return prop(bus, "Motions")


def all_still(bus):
    return all(m == "still" for m in motions(bus).values())


def sim_occupant(daemon, seated, leg_mm=450, feet_on=True):
    daemon.call("SimSetOccupant", "bub", "true" if seated else "false", leg_mm, "true" if feet_on else "false",
                interface=SERVICE_INTERFACE)


def inject(daemon, name, on=True):
    daemon.call("InjectFault", "sb", name, "true" if on else "false", interface=SERVICE_INTERFACE)


def canonical(element):
    return (element.tag, tuple(sorted(element.attrib.items())), tuple(canonical(c) for c in element))


def test_introspection_matches_the_shipped_xml(daemon, bus):
    shipped = ET.parse(os.path.join(chairtest.SOURCE_DIR, "docs", f"{POSTURE}.xml")).getroot()
    live = ET.fromstring(bus.busctl("introspect", "--xml-interface", BUS_NAME, POSTURE_PATH).stdout)
    want = [canonical(i) for i in shipped.findall("interface")]
    have = [canonical(i) for i in live.findall("interface") if i.get("name") == POSTURE]
    assert [i.get("name") for i in shipped.findall("interface")] == [POSTURE]
    assert want == have
    # The object is a child of the chair's, so `busctl tree` shows it.
    assert "posture" in [n.get("name") for n in
                         ET.fromstring(bus.busctl("introspect", "--xml-interface", BUS_NAME, OBJECT_PATH).stdout)
                         .findall("node")]


def test_properties_and_capabilities(daemon, bus, client):
    assert prop(bus, "Axes") == AXES
    assert prop(bus, "Presets") == PRESETS
    assert prop(bus, "Occupied") is True
    assert prop(bus, "FeetOn") is False  # the leg rest's extension does not reach 450 mm legs yet
    assert prop(bus, "PinchedAxis") == ""
    assert prop(bus, "FootRollers") == 0 and prop(bus, "CalfKnead") == 0
    assert set(prop(bus, "Positions")) == set(AXES)
    assert motions(bus) == {a: "still" for a in AXES}
    everything = client.props.GetAll(POSTURE)
    assert set(everything) == {"Axes", "Presets", "Positions", "Motions", "Occupied", "FeetOn", "FootRollers",
                               "CalfKnead", "PinchedAxis"}

    caps = {k: v["data"] for k, v in daemon.call("GetCapabilities")[0].items()}
    assert caps["axes"] == AXES and caps["presets"] == PRESETS
    assert caps["leg-channels"] == ["foot_rollers", "calf_knead"]
    assert caps["air-zones"] == ["shoulders", "arms", "back", "seat", "calves", "feet"]
    assert caps["heat-zones"] == ["lumbar", "calves"]
    assert caps["widths"] == ["narrow", "medium", "wide"]
    assert "knead" in caps["techniques"] and "none" not in caps["techniques"]
    assert caps["intensity"] == [1, 5] and caps["speed"] == [1, 5] and caps["depth"] == [1, 5]
    assert caps["air-intensity"] == [0, 5] and caps["heat-levels"] == [0, 3]
    assert caps["timer-minutes"] == [10, 20, 30]
    # The ranges are the methods' own: one past each is refused.
    assert daemon.error_of("SetIntensity", "uint32 6")[0] == "org.freedesktop.DBus.Error.InvalidArgs"
    assert daemon.error_of("SetHeat", "lumbar", "uint32 4")[0] == "org.freedesktop.DBus.Error.InvalidArgs"
    # The same through gdbus.
    r = bus.gdbus("call", "--dest", BUS_NAME, "--object-path", OBJECT_PATH, "--method", f"{INTERFACE}.GetCapabilities")
    assert "'leg-channels': <['foot_rollers', 'calf_knead']>" in r.stdout


def test_preset_announces_positions_and_nothing_while_still(daemon, bus, signals):
    call(bus, "GoToPreset", "s", "zero-gravity-1")
    assert motions(bus)["recline"] == "preset" and motions(bus)["legrest_lift"] == "preset"
    assert motions(bus)["legrest_extend"] == "still"  # the presets leave the extension to the fit
    wait_for(lambda: len({p["recline"] for p in signals.changed("Positions")}) >= 4, 10,
             "PropertiesChanged(Positions) with the recline moving")
    assert any(m["recline"] == "preset" for m in signals.changed("Motions"))
    seen = signals.changed("Positions")
    assert all(set(p) == set(AXES) for p in seen)
    lifts = [p["legrest_lift"] for p in seen]
    assert lifts == sorted(lifts) and lifts[-1] > lifts[0]
    call(bus, "Stop")
    assert all_still(bus)
    wait_for(lambda: signals.changed("Motions") and signals.changed("Motions")[-1]["recline"] == "still", 5,
             "PropertiesChanged(Motions) with every axis still")
    # The trailing looks after the stop (the coast) end; from then on nothing is announced.
    time.sleep(0.5)
    n, last = len(signals.find("PropertiesChanged")), prop(bus, "Positions")
    time.sleep(1.0)
    assert len(signals.find("PropertiesChanged")) == n
    assert prop(bus, "Positions") == last
    assert signals.changed("Positions")[-1] == last


def test_no_occupant_no_automatic_move(daemon, bus, client, signals):
    sim_occupant(daemon, False, feet_on=False)
    wait_for(lambda: prop(bus, "Occupied") is False, 5, "the seat to report no one")
    wait_for(lambda: False in signals.changed("Occupied"), 5, "PropertiesChanged(Occupied)")
    for method, args in (("GoToPreset", ["zero-gravity-1"]), ("FitLegs", []), ("ReturnUpright", []),
                         ("SetCalfKnead", ["int32 30"])):
        assert gdbus_error(bus, method, *args) == ERR + "NotOccupied", method
    assert client.error_of("GoToPreset", "flat") == ERR + "NotOccupied"
    assert all_still(bus)
    # No hold-to-run move either: a leg rest moved with nobody seated is how children were pinched.
    for axis in AXES:
        assert client.error_of("Move", axis, dbus.Int32(1), dbus.UInt32(500)) == ERR + "NotOccupied", axis
    assert all_still(bus)
    client.move("recline", 0)  # a release is never refused
    sim_occupant(daemon, True)
    wait_for(lambda: prop(bus, "Occupied") is True, 5, "the seat to report a person")
    call(bus, "GoToPreset", "s", "zero-gravity-1")
    call(bus, "Stop")
    # Arguments: named in the refusal.
    assert gdbus_error(bus, "GoToPreset", "sideways") == "org.freedesktop.DBus.Error.InvalidArgs"
    assert gdbus_error(bus, "Move", "tail", "int32 1", "uint32 500") == "org.freedesktop.DBus.Error.InvalidArgs"
    assert gdbus_error(bus, "Move", "recline", "int32 2", "uint32 500") == "org.freedesktop.DBus.Error.InvalidArgs"
    assert gdbus_error(bus, "Move", "recline", "int32 1", "uint32 5000") == "org.freedesktop.DBus.Error.InvalidArgs"
    assert gdbus_error(bus, "SetFootRollers", "int32 101") == "org.freedesktop.DBus.Error.InvalidArgs"
    assert gdbus_error(bus, "SetCalfKnead", "int32 -1") == "org.freedesktop.DBus.Error.InvalidArgs"
    assert gdbus_error(bus, "SimSetOccupant", "true", "uint32 0", "true", interface=SERVICE_INTERFACE,
                       path=OBJECT_PATH) == "org.freedesktop.DBus.Error.InvalidArgs"


def test_hold_to_run_lease_release_and_another_caller(daemon, bus, client):
    # The lease lapses: the axis stops, and its position stays.
    client.move("legrest_lift", 1, 300)
    assert motions(bus)["legrest_lift"] == "manual"
    wait_for(lambda: motions(bus)["legrest_lift"] == "still", 5, "the lease to lapse")
    time.sleep(0.2)  # the coast
    before = prop(bus, "Positions")
    assert before["legrest_lift"] > 0
    time.sleep(0.5)
    assert prop(bus, "Positions") == before
    assert "the hold-to-run lease lapsed" in daemon.output()
    assert "left the bus" not in daemon.output()  # the caller is still connected
    # Renewed, it goes on; released (direction 0), it stops at once.
    client.move("recline", 1)
    for _ in range(5):
        time.sleep(0.2)
        client.move("recline", 1)
    assert motions(bus)["recline"] == "manual"
    # Another caller meanwhile: Busy, and the first one's move goes on.
    other = Client(bus)
    try:
        assert other.error_of("Move", "seat_slide", dbus.Int32(1), dbus.UInt32(500)) == ERR + "Busy"
        other.move("recline", 0)  # not its move: nothing stops
        assert motions(bus)["recline"] == "manual"
    finally:
        other.close()
    client.move("recline", 0)
    assert motions(bus)["recline"] == "still"
    time.sleep(0.2)
    before = prop(bus, "Positions")
    assert before["recline"] > 0
    time.sleep(0.5)
    assert prop(bus, "Positions") == before


CHILD = """
import dbus, sys, time
conn = dbus.bus.BusConnection(sys.argv[1])
posture = dbus.Interface(conn.get_object("{bus}", "{path}", introspect=False), "{iface}")
posture.Move("recline", dbus.Int32(1), dbus.UInt32(1000))
print("moving", flush=True)
while True:  # renewed as a client does, the longest lease each time
    time.sleep(0.2)
    posture.Move("recline", dbus.Int32(1), dbus.UInt32(1000))
""".format(bus=BUS_NAME, path=POSTURE_PATH, iface=POSTURE)


def test_killed_caller_stops_its_move(daemon, bus):
    child = subprocess.Popen(["/usr/bin/python3", "-c", CHILD, bus.address], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "moving"
        wait_for(lambda: prop(bus, "Positions")["recline"] > 5, 5, "the recline to move")
        assert motions(bus)["recline"] == "manual"
        killed = time.monotonic()
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=5)
        wait_for(lambda: motions(bus)["recline"] == "still", 5, "the killed caller's move to stop")
        # A figure for the report, not a bound: the log says which path stopped it.
        print(f"caller killed -> recline still (as a client sees it): {1000 * (time.monotonic() - killed):.0f} ms")
        out = daemon.output()
        assert re.search(r"posture: :\d+\.\d+ left the bus: its hold-to-run move stops", out), out
        gone = out.index("left the bus")
        assert "the hold-to-run lease lapsed" in out[gone:]  # posture_owner_gone stops it as a lapse would
        time.sleep(0.2)
        before = prop(bus, "Positions")
        time.sleep(0.5)
        assert prop(bus, "Positions") == before
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=5)


def test_obstruction_latches_the_pinch_and_only_a_technician_clears_it(daemon, bus, client, signals, workdir):
    # Up a little first, so that the release after the pinch has room below.
    hold(client, "legrest_lift", 1, lambda: prop(bus, "Positions")["legrest_lift"] > 120, 15, "the leg rest up")
    client.move("legrest_lift", 0)
    inject(daemon, "legrest-obstruction")
    hold(client, "legrest_lift", 1, lambda: daemon.get_property("Fault") == "legrest-pinch", 15,
         "legrest-pinch latched")
    assert prop(bus, "PinchedAxis") == "legrest_lift"
    wait_for(lambda: signals.find("FaultRaised", lambda a: a[0] == "legrest-pinch"), 5, "FaultRaised(legrest-pinch)")
    wait_for(lambda: "legrest_lift" in signals.changed("PinchedAxis"), 5, "PropertiesChanged(PinchedAxis)")
    assert any(m["legrest_lift"] == "releasing" for m in signals.changed("Motions"))
    assert all_still(bus)
    assert daemon.call("GetFaults", "u", 1)[0][0][1] == "legrest-pinch"
    # Another axis, a preset, toward the obstruction: FaultLatched.
    assert client.error_of("Move", "recline", dbus.Int32(1), dbus.UInt32(500)) == ERR + "FaultLatched"
    assert client.error_of("Move", "legrest_lift", dbus.Int32(1), dbus.UInt32(500)) == ERR + "FaultLatched"
    assert client.error_of("GoToPreset", "upright") == ERR + "FaultLatched"
    # Away from it, slowly, hold-to-run: the release.
    client.move("legrest_lift", -1, 300)
    assert motions(bus)["legrest_lift"] == "manual"
    client.move("legrest_lift", 0)
    inject(daemon, "legrest-obstruction", False)
    # Stop is never refused, a fault latched or not.
    call(bus, "Stop")
    # ClearFault: not for everyone.
    os.chmod(workdir, 0o755)
    assert gdbus_error(bus, "ClearFault", interface=SERVICE_INTERFACE, path=OBJECT_PATH, prefix=NOBODY) == DENIED
    assert prop(bus, "PinchedAxis") == "legrest_lift"
    daemon.call("ClearFault", interface=SERVICE_INTERFACE)
    assert daemon.get_property("Fault") == ""
    assert prop(bus, "PinchedAxis") == ""
    wait_for(lambda: signals.changed("PinchedAxis")[-1:] == [""], 5, "PropertiesChanged(PinchedAxis) empty")
    client.move("recline", 1)
    assert motions(bus)["recline"] == "manual"
    client.move("recline", 0)


def test_precautions_refuse_the_leg_rest(daemon, bus, client):
    daemon.call("SetPrecautions", "as", 1, "varicose-veins")
    assert client.error_of("Move", "legrest_lift", dbus.Int32(1), dbus.UInt32(500)) == ERR + "PrecautionConflict"
    assert client.error_of("Move", "legrest_extend", dbus.Int32(1), dbus.UInt32(500)) == ERR + "PrecautionConflict"
    assert client.error_of("SetCalfKnead", dbus.Int32(40)) == ERR + "PrecautionConflict"
    assert all_still(bus) and prop(bus, "CalfKnead") == 0
    # A preset leaves the leg rest out and moves the others.
    call(bus, "GoToPreset", "s", "zero-gravity-2")
    m = motions(bus)
    assert m["recline"] == "preset" and m["seat_slide"] == "preset" and m["legrest_lift"] == "still", m
    call(bus, "Stop")
    assert all_still(bus)
    # The recline presses no leg.
    client.move("recline", 1)
    assert motions(bus)["recline"] == "manual"
    client.move("recline", 0)
    daemon.call("SetPrecautions", "as", 0)
    client.move("legrest_lift", 1)
    assert motions(bus)["legrest_lift"] == "manual"
    client.move("legrest_lift", 0)


def test_leg_rollers_and_stop_always_works(daemon, bus, client, signals, workdir):
    call(bus, "SetCalfKnead", "i", 40)
    assert prop(bus, "CalfKnead") == 40
    wait_for(lambda: 40 in signals.changed("CalfKnead"), 5, "PropertiesChanged(CalfKnead)")
    # The feet are not felt yet: no foot rollers.
    assert gdbus_error(bus, "SetFootRollers", "int32 50") == ERR + "NotPermitted"
    call(bus, "FitLegs")
    wait_for(lambda: prop(bus, "FeetOn") is True, 30, "the fit to reach the feet")
    assert motions(bus)["legrest_extend"] == "still"
    client.posture.SetFootRollers(dbus.Int32(-60))
    assert prop(bus, "FootRollers") == -60
    call(bus, "GoToPreset", "s", "zero-gravity-1")
    assert not all_still(bus)
    # Stop, by anyone: every axis and both rollers.
    os.chmod(workdir, 0o755)
    assert gdbus_error(bus, "Stop", prefix=NOBODY) is None
    assert all_still(bus)
    assert prop(bus, "FootRollers") == 0 and prop(bus, "CalfKnead") == 0
    call(bus, "Stop")  # nothing moves: still no error
    # The person leaving stops the rollers too.
    call(bus, "SetCalfKnead", "i", 20)
    sim_occupant(daemon, False, feet_on=False)
    wait_for(lambda: prop(bus, "CalfKnead") == 0, 5, "the calf kneading to stop with the person gone")


def chair_without_axes(workdir):
    """A map of today's chair on the simulator: the roller, air, heat, no posture channel."""
    outputs_ = ["travel_motor", "knead_motor", "tap_motor", "width", "depth", "air_pump", "valve_shoulders",
                "valve_arms", "valve_back", "valve_seat", "valve_calves", "valve_feet", "air_release", "heat_lumbar",
                "heat_calves", "beeper", "led_power", "led_heat", "led_air"]
    inputs_ = ["encoder", "limit_top", "limit_bottom", "roller_load", "motor_current", "air_pressure", "temp_lumbar",
               "temp_calves", "supply_voltage", "estop", "panel_key"]
    text = "[chair]\nmodel = simulated chair without axes\nsimulated = yes\ntrack_length_mm = 300\n"
    text += "".join(f"[output.{o}]\nbackend = sim\n" for o in outputs_)
    text += "".join(f"[input.{i}]\nbackend = sim\n" for i in inputs_)
    path = os.path.join(workdir, "no-axes.conf")
    with open(path, "w") as f:
        f.write(text)
    return path


def test_chair_without_axes(bus, workdir, start_daemon):
    daemon = start_daemon(("--config", chair_without_axes(workdir)))
    assert prop(bus, "Axes") == [] and prop(bus, "Positions") == {} and prop(bus, "Motions") == {}
    assert prop(bus, "Presets") == PRESETS and prop(bus, "Occupied") is False and prop(bus, "PinchedAxis") == ""
    caps = {k: v["data"] for k, v in daemon.call("GetCapabilities")[0].items()}
    assert caps["axes"] == [] and caps["presets"] == [] and caps["leg-channels"] == []
    assert caps["heat-zones"] == ["lumbar", "calves"]
    for method, args in (("GoToPreset", ["upright"]), ("FitLegs", []), ("ReturnUpright", []),
                         ("Move", ["recline", "int32 1", "uint32 500"]), ("SetFootRollers", ["int32 10"]),
                         ("SetCalfKnead", ["int32 10"])):
        assert gdbus_error(bus, method, *args) == ERR + "NotPermitted", method
    assert gdbus_error(bus, "Stop") is None
    # No person to seat: the seat is not the simulator's here.
    assert gdbus_error(bus, "SimSetOccupant", "false", "uint32 450", "false", interface=SERVICE_INTERFACE,
                       path=OBJECT_PATH) == "org.freedesktop.DBus.Error.NotSupported"


# ---- a move the daemon stopped stays stopped (docs/posture.md, "Manual moves") ----

def refused_renewals(bus, client, axis, direction, error, seconds=1.0):
    """Renews as a client does (every 200 ms, lease 500 ms) for SECONDS: each renewal refused
    with ERROR, and the axis does not move. The refusals' messages, for the caller to read."""
    time.sleep(0.3)  # the coast after the stop
    before = prop(bus, "Positions")[axis]
    messages = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            client.move(axis, direction)
        except dbus.exceptions.DBusException as e:
            assert e.get_dbus_name() == error, e
            messages.append(e.get_dbus_message())
        else:
            raise AssertionError(f"a renewal of the stopped {axis} move was taken")
        assert motions(bus)[axis] == "still"
        time.sleep(0.2)
    assert prop(bus, "Positions")[axis] == before
    return messages


def test_move_with_the_seat_empty_is_refused(daemon, bus, client):
    sim_occupant(daemon, False, feet_on=False)
    wait_for(lambda: prop(bus, "Occupied") is False, 5, "the seat to report no one")
    before = prop(bus, "Positions")
    for axis in AXES:
        for direction in (1, -1):
            try:
                client.move(axis, direction)
            except dbus.exceptions.DBusException as e:
                assert e.get_dbus_name() == ERR + "NotOccupied", (axis, direction, e)
                assert "seated" in e.get_dbus_message()
            else:
                raise AssertionError(f"{axis} {direction} moved with the seat empty")
    time.sleep(0.5)
    assert all_still(bus) and prop(bus, "Positions") == before


def test_person_leaves_and_the_renewals_are_refused(daemon, bus, client):
    client.move("legrest_lift", 1)
    for _ in range(3):
        time.sleep(0.2)
        client.move("legrest_lift", 1)
    assert motions(bus)["legrest_lift"] == "manual"
    sim_occupant(daemon, False, feet_on=False)
    wait_for(lambda: motions(bus)["legrest_lift"] == "still", 5, "the person leaving to stop the leg rest")
    messages = refused_renewals(bus, client, "legrest_lift", 1, ERR + "NotOccupied")
    assert "left the seat" in messages[0], messages[0]
    # Back in the chair: the renewals of the stopped move are still refused.
    sim_occupant(daemon, True)
    wait_for(lambda: prop(bus, "Occupied") is True, 5, "the seat to report a person")
    refused_renewals(bus, client, "legrest_lift", 1, ERR + "NotOccupied", 0.5)
    # Released, then pressed afresh: it moves.
    client.move("legrest_lift", 0)
    client.move("legrest_lift", 1)
    assert motions(bus)["legrest_lift"] == "manual"
    client.move("legrest_lift", 0)
    assert all_still(bus)


def test_a_lapsed_lease_is_no_fresh_press(daemon, bus, client):
    client.move("recline", 1, 100)
    wait_for(lambda: motions(bus)["recline"] == "still", 5, "the lease to lapse")
    time.sleep(0.2)  # the late renewal
    messages = refused_renewals(bus, client, "recline", 1, ERR + "Busy", 0.6)
    assert "lease" in messages[0], messages[0]
    client.move("recline", 0)
    client.move("recline", 1)
    assert motions(bus)["recline"] == "manual"
    client.move("recline", 0)
    assert all_still(bus)


def test_a_stop_by_another_caller_stays(daemon, bus, client):
    client.move("legrest_lift", 1)
    time.sleep(0.2)
    client.move("legrest_lift", 1)
    assert motions(bus)["legrest_lift"] == "manual"
    other = Client(bus)
    try:
        other.posture.Stop()
        assert all_still(bus)
        messages = refused_renewals(bus, client, "legrest_lift", 1, ERR + "Busy", 0.6)
        assert "stop" in messages[0], messages[0]
        other.move("legrest_lift", 0)  # another caller's release is not this one's
        refused_renewals(bus, client, "legrest_lift", 1, ERR + "Busy", 0.4)
    finally:
        other.close()
    client.move("legrest_lift", 0)
    client.move("legrest_lift", 1)
    assert motions(bus)["legrest_lift"] == "manual"
    client.move("legrest_lift", 0)


def test_the_pinch_release_with_the_seat_empty(daemon, bus, client):
    hold(client, "legrest_lift", 1, lambda: prop(bus, "Positions")["legrest_lift"] > 120, 15, "the leg rest up")
    client.move("legrest_lift", 0)
    inject(daemon, "legrest-obstruction")
    hold(client, "legrest_lift", 1, lambda: daemon.get_property("Fault") == "legrest-pinch", 15,
         "legrest-pinch latched")
    wait_for(lambda: all_still(bus), 5, "the reverse to end")
    refused_renewals(bus, client, "legrest_lift", 1, ERR + "FaultLatched", 0.4)
    sim_occupant(daemon, False, feet_on=False)
    wait_for(lambda: prop(bus, "Occupied") is False, 5, "the seat to report no one")
    before = prop(bus, "Positions")["legrest_lift"]
    # Freeing a trapped limb comes first: away from the object, slowly, with nobody seated.
    client.move("legrest_lift", -1)
    assert motions(bus)["legrest_lift"] == "manual"
    for _ in range(3):
        time.sleep(0.2)
        client.move("legrest_lift", -1)
    assert prop(bus, "Positions")["legrest_lift"] < before
    client.move("legrest_lift", 0)
    assert all_still(bus)
    # Nothing else, the seat empty.
    assert client.error_of("Move", "recline", dbus.Int32(1), dbus.UInt32(500)) == ERR + "FaultLatched"
    inject(daemon, "legrest-obstruction", False)


def test_another_callers_move_in_between_is_no_fresh_press(daemon, bus, client):
    client.move("recline", 1, 100)
    wait_for(lambda: motions(bus)["recline"] == "still", 5, "the lease to lapse")
    other = Client(bus)
    try:
        other.move("legrest_lift", 1)
        assert motions(bus)["legrest_lift"] == "manual"
        other.move("legrest_lift", 0)
        # The first caller's late renewals: still its stopped move, not a fresh press.
        refused_renewals(bus, client, "recline", 1, ERR + "Busy", 0.4)
    finally:
        other.close()
    client.move("recline", 0)
    client.move("recline", 1)
    assert motions(bus)["recline"] == "manual"
    client.move("recline", 0)
