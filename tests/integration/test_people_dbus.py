"""People over D-Bus (issue #20, docs/dbus-api.md "People", "Person", "The active person",
"Access"): the ObjectManager at /org/massagechair/Chair1/people seen by clients we did not write
(busctl, gdbus, python-dbus), the life cycle of a person (create, rename, select, delete with
its confirmation), the limits (8 profiles, names), switching refused during a session, the
people kept across a restart, the health data refused to a caller of another uid without polkit
and given to root, Chair1.Precautions out of GetAll, and Chair1 acting on the active person: their
caps on Start, SetIntensity and SetHeat, their own memory slots, history and body scan, their own
programs, the recommendation, and with a polkit authority on the bus each guarded member asking
its action."""
import json
import os
import subprocess
import threading

import dbus
import dbus.mainloop.glib
import pytest
from gi.repository import GLib

import chairtest
from chairtest import BUS_NAME, INTERFACE, OBJECT_PATH

PEOPLE_PATH = OBJECT_PATH + "/people"
GUEST = PEOPLE_PATH + "/0"
PEOPLE = "org.massagechair.Chair1.People"
PERSON = "org.massagechair.Chair1.Person"
MANAGER = "org.freedesktop.DBus.ObjectManager"
PROPS = "org.freedesktop.DBus.Properties"
ERR = "org.massagechair.Chair1.Error."
INVALID = "org.freedesktop.DBus.Error.InvalidArgs"
DENIED = "org.freedesktop.DBus.Error.AccessDenied"
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
HEALTH = [("GetConditions", "", []), ("GetAssessment", "", []), ("GetHistory", "u", [5]),
          ("GetSummary", "u", [0]), ("RecommendPrograms", "", [])]


class Client:
    """python-dbus on a GLib loop in a thread: calls, and every signal under the people's path."""

    def __init__(self, address):
        dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
        self.conn = dbus.bus.BusConnection(address)
        self.received = []
        self.lock = threading.Lock()
        for iface in (MANAGER, PROPS):
            self.conn.add_signal_receiver(self._on, dbus_interface=iface, path_keyword="path",
                                          member_keyword="member")
        self.loop = GLib.MainLoop()
        self.thread = threading.Thread(target=self.loop.run, daemon=True)
        self.thread.start()

    def _on(self, *args, path=None, member=None):
        with self.lock:
            self.received.append((str(path), str(member), args))

    def signals(self, member, path=None):
        with self.lock:
            return [a for p, m, a in self.received if m == member and (path is None or p == path)]

    def changed(self, path, prop):
        """The values PropertiesChanged announced for PROP at PATH, in order."""
        return [a[1][prop] for a in self.signals("PropertiesChanged", path) if prop in a[1]]

    def call(self, path, iface, method, signature="", *args):
        return self.conn.call_blocking(BUS_NAME, path, iface, method, signature, list(args), timeout=10)

    def error(self, path, iface, method, signature="", *args):
        """(name, message) of the call's error; the call must fail."""
        try:
            self.call(path, iface, method, signature, *args)
        except dbus.exceptions.DBusException as e:
            return e.get_dbus_name(), e.get_dbus_message()
        raise AssertionError(f"{method}{args} succeeded")

    def prop(self, path, iface, name):
        return self.call(path, PROPS, "Get", "ss", iface, name)

    def create(self, name):
        return str(self.call(PEOPLE_PATH, PEOPLE, "Create", "s", name))

    def close(self):
        self.loop.quit()
        self.thread.join(timeout=5)
        self.conn.close()


@pytest.fixture
def client(bus, daemon):
    c = Client(bus.address)
    yield c
    c.close()


def managed(bus):
    """GetManagedObjects through busctl: {path: {interface: {property: value}}}."""
    r = bus.busctl("call", "--json=short", BUS_NAME, PEOPLE_PATH, MANAGER, "GetManagedObjects")
    return {path: {i: {k: v["data"] for k, v in props.items()} for i, props in ifaces.items()}
            for path, ifaces in json.loads(r.stdout)["data"][0].items()}


def wait_state(daemon, state, timeout=20):
    chairtest.wait_for(lambda: daemon.get_property("State") == state, timeout, f"State {state}", interval=0.05)


def stop_session(daemon):
    daemon.call("Stop")
    wait_state(daemon, "idle", 30)


def test_object_manager_and_life_cycle(daemon, bus, client):
    objects = managed(bus)
    assert list(objects) == [GUEST]
    guest = objects[GUEST][PERSON]
    assert guest["Name"] == "guest" and guest["Guest"] and guest["Active"] and guest["Id"] == 0
    assert client.prop(PEOPLE_PATH, PEOPLE, "Max") == 8
    assert daemon.get_property("ActivePerson") == GUEST

    ann = client.create("Ann")
    assert ann == PEOPLE_PATH + "/1"
    chairtest.wait_for(lambda: client.signals("InterfacesAdded", PEOPLE_PATH), 5, "InterfacesAdded")
    path, ifaces = client.signals("InterfacesAdded", PEOPLE_PATH)[0]
    assert str(path) == ann and ifaces[PERSON]["Name"] == "Ann" and not ifaces[PERSON]["Active"]
    assert set(managed(bus)) == {GUEST, ann}
    assert [str(p) for p in client.prop(PEOPLE_PATH, PEOPLE, "People")] == [GUEST, ann]
    chairtest.wait_for(lambda: client.changed(PEOPLE_PATH, "People"), 5, "PropertiesChanged(People)")
    # gdbus, another client, sees the same object.
    r = bus.gdbus("introspect", "--dest", BUS_NAME, "--object-path", ann)
    assert PERSON in r.stdout
    assert str(client.call(PEOPLE_PATH, PEOPLE, "FindByName", "s", "ann")) == ann
    assert str(client.call(PEOPLE_PATH, PEOPLE, "FindByName", "s", "guest")) == GUEST

    # Names are unique (ignoring ASCII case); the guest's is reserved.
    assert client.error(PEOPLE_PATH, PEOPLE, "Create", "s", "ANN")[0] == ERR + "NameTaken"
    assert client.error(PEOPLE_PATH, PEOPLE, "Create", "s", "Guest")[0] == ERR + "NameTaken"
    assert client.error(PEOPLE_PATH, PEOPLE, "FindByName", "s", "Bob")[0] == ERR + "UnknownPerson"

    client.call(ann, PERSON, "Rename", "s", "Anna")
    assert client.prop(ann, PERSON, "Name") == "Anna"
    chairtest.wait_for(lambda: "Anna" in client.changed(ann, "Name"), 5, "PropertiesChanged(Name)")
    assert client.error(GUEST, PERSON, "Rename", "s", "Bob")[0] == ERR + "NotPermitted"

    client.call(PEOPLE_PATH, PEOPLE, "Select", "o", ann)
    assert daemon.get_property("ActivePerson") == ann
    assert client.prop(ann, PERSON, "Active") and not client.prop(GUEST, PERSON, "Active")
    chairtest.wait_for(lambda: client.changed(OBJECT_PATH, "ActivePerson") == [ann], 5,
                       "PropertiesChanged(ActivePerson)")
    chairtest.wait_for(lambda: client.changed(PEOPLE_PATH, "Active") == [ann], 5, "PropertiesChanged(Active)")
    chairtest.wait_for(lambda: client.changed(ann, "Active") == [True] and client.changed(GUEST, "Active") == [False],
                       5, "PropertiesChanged(Active) of both people")
    # Selecting the active person again announces nothing.
    client.call(ann, PERSON, "Select")
    client.call(PEOPLE_PATH, PEOPLE, "Select", "o", ann)

    # Delete: the confirmation must be the name; the guest cannot go.
    name, msg = client.error(ann, PERSON, "Delete", "s", "Ann")
    assert name == INVALID and "confirm_name" in msg, msg
    assert ann in managed(bus)
    assert client.error(GUEST, PERSON, "Delete", "s", "guest")[0] == ERR + "NotPermitted"
    client.call(ann, PERSON, "Delete", "s", "Anna")
    chairtest.wait_for(lambda: client.signals("InterfacesRemoved", PEOPLE_PATH), 5, "InterfacesRemoved")
    path, ifaces = client.signals("InterfacesRemoved", PEOPLE_PATH)[0]
    assert str(path) == ann and PERSON in [str(i) for i in ifaces]
    assert list(managed(bus)) == [GUEST]
    assert daemon.get_property("ActivePerson") == GUEST
    # The deleted person's path names nobody, and is never given to another.
    name, _ = client.error(ann, PERSON, "Select")
    assert name in ("org.freedesktop.DBus.Error.UnknownObject", ERR + "UnknownPerson"), name
    assert client.error(PEOPLE_PATH, PEOPLE, "Select", "o", ann)[0] == ERR + "UnknownPerson"
    assert client.error(PEOPLE_PATH, PEOPLE, "Select", "o", OBJECT_PATH)[0] == ERR + "UnknownPerson"
    assert client.create("Bob") == PEOPLE_PATH + "/2"
    assert len(client.changed(OBJECT_PATH, "ActivePerson")) == 2  # Ann, then the guest again


def test_full_at_eight(daemon, bus, client):
    paths = [client.create(f"P{i}") for i in range(8)]
    assert len(set(paths)) == 8
    name, msg = client.error(PEOPLE_PATH, PEOPLE, "Create", "s", "Ninth")
    assert name == ERR + "PeopleFull", msg
    assert len(client.prop(PEOPLE_PATH, PEOPLE, "People")) == 9
    chairtest.wait_for(lambda: len(client.signals("InterfacesAdded", PEOPLE_PATH)) == 8, 5, "8 InterfacesAdded")
    client.call(paths[3], PERSON, "Delete", "s", "P3")
    client.create("Ninth")
    assert len(managed(bus)) == 9


def test_arguments_are_checked_and_named(daemon, client):
    ann = client.create("Ann")
    V = dbus.Dictionary
    for path, iface, method, sig, args, word in (
            (PEOPLE_PATH, PEOPLE, "Create", "s", ["x" * 33], "name"),
            (PEOPLE_PATH, PEOPLE, "Create", "s", [""], "name"),
            (PEOPLE_PATH, PEOPLE, "Create", "s", ["a\tb"], "name"),
            (PEOPLE_PATH, PEOPLE, "FindByName", "s", ["x" * 33], "name"),
            (ann, PERSON, "Rename", "s", ["x\x01"], "name"),
            (ann, PERSON, "Delete", "s", ["y" * 40], "confirm_name"),
            (ann, PERSON, "SetCaps", "uu", [0, 1], "intensity_cap"),
            (ann, PERSON, "SetCaps", "uu", [6, 1], "intensity_cap"),
            (ann, PERSON, "SetCaps", "uu", [3, 4], "heat_cap"),
            (ann, PERSON, "SetTimer", "u", [15], "minutes"),
            (ann, PERSON, "SetHeatPreference", "su", ["neck", 1], "zone"),
            (ann, PERSON, "SetHeatPreference", "su", ["lumbar", 4], "level"),
            (ann, PERSON, "SetConditions", "as", [["not-a-condition"]], "conditions"),
            (ann, PERSON, "SetConditions", "as", [["pregnancy", "pregnancy"]], "conditions"),
            (ann, PERSON, "Assess", "a{su}us", [V({"elbow": 3}, signature="su"), 3, "relief"], "pain_by_area"),
            (ann, PERSON, "Assess", "a{su}us", [V({"neck": 11}, signature="su"), 3, "relief"], "pain_by_area"),
            (ann, PERSON, "Assess", "a{su}us", [V({"neck": 2}, signature="su"), 11, "relief"], "pain_now"),
            (ann, PERSON, "Assess", "a{su}us", [V({"neck": 2}, signature="su"), 3, "fun"], "goal"),
            (ann, PERSON, "RateSession", "tuua{su}", [1, 11, 2, V({}, signature="su")], "pain_before"),
            (ann, PERSON, "RateSession", "tuua{su}", [1, 2, 2, V({"feet": 12}, signature="su")], "area_after"),
            (ann, PERSON, "RateSession", "tuua{su}", [12345, 2, 2, V({}, signature="su")], "session_id"),
            (ann, PERSON, "GetHistory", "u", [501], "max"),
            (ann, PERSON, "GetSummary", "u", [51], "trend_n")):
        name, msg = client.error(path, iface, method, sig, *args)
        assert name == INVALID and word in msg, (method, args, name, msg)
    # The names a client may give are kept as given: 32 bytes of UTF-8.
    ok = "Ä" * 16
    assert client.prop(client.create(ok), PERSON, "Name") == ok


def test_repeated_area_refused(daemon, bus):
    """a{su} on the wire may repeat a key (busctl sends what it is given)."""
    bus.busctl("call", BUS_NAME, PEOPLE_PATH, PEOPLE, "Create", "s", "Ann")
    r = bus.busctl("call", BUS_NAME, PEOPLE_PATH + "/1", PERSON, "Assess", "a{su}us", "2", "neck", "1", "neck", "2",
                   "3", "relief", check=False)
    assert r.returncode != 0 and "twice" in r.stderr, r.stderr


def test_switching_refused_during_a_session(daemon, client):
    ann = client.create("Ann")
    daemon.call("Start", "sa{sv}", "demo", 1, "scan", "b", "false")
    wait_state(daemon, "running", 10)
    assert client.error(ann, PERSON, "Select")[0] == ERR + "Busy"
    assert client.error(PEOPLE_PATH, PEOPLE, "Select", "o", ann)[0] == ERR + "Busy"
    assert daemon.get_property("ActivePerson") == GUEST
    stop_session(daemon)
    client.call(ann, PERSON, "Select")
    assert daemon.get_property("ActivePerson") == ann


def test_people_kept_across_a_restart(bus, workdir, start_daemon):
    first = start_daemon()
    c = Client(bus.address)
    try:
        ann = c.create("Ann")
        bob = c.create("Bob")
        c.call(ann, PERSON, "SetCaps", "uu", 3, 1)
        c.call(ann, PERSON, "SetTimer", "u", 20)
        c.call(ann, PERSON, "SetHeatPreference", "su", "calves", 1)
        c.call(ann, PERSON, "SetConditions", "as", ["osteoporosis"])
        c.call(ann, PERSON, "Assess", "a{su}us", dbus.Dictionary({"lower-back": 6}, signature="su"), 5, "relief")
        c.call(bob, PERSON, "Delete", "s", "Bob")
    finally:
        c.close()
    first.stop()
    second = start_daemon(name="massagechaird-2")
    c = Client(bus.address)
    try:
        assert set(managed(bus)) == {GUEST, ann}
        assert c.prop(ann, PERSON, "IntensityCap") == 3 and c.prop(ann, PERSON, "HeatCap") == 1
        assert c.prop(ann, PERSON, "Timer") == 20
        assert dict(c.prop(ann, PERSON, "HeatPreference")) == {"lumbar": 0, "calves": 1}
        assert list(c.call(ann, PERSON, "GetConditions")) == ["osteoporosis"]
        assessment = c.call(ann, PERSON, "GetAssessment")
        assert dict(assessment["pain"]) == {"lower-back": 6} and assessment["goal"] == "relief"
        assert assessment["pain_now"] == 5 and assessment["time"] > 0
        # The guest is active at start; Bob's id is not given again.
        assert second.get_property("ActivePerson") == GUEST
        assert c.create("Cid") == PEOPLE_PATH + "/3"
    finally:
        c.close()


def nobody(bus, workdir, path, iface, method, *args):
    os.chmod(workdir, 0o755)
    return subprocess.run([*NOBODY, "busctl", f"--address={bus.address}", "call", BUS_NAME, path, iface, method, *args],
                          capture_output=True, text=True, timeout=20 * chairtest.SLOWDOWN)


def test_health_data_refused_without_polkit_to_another_uid(daemon, bus, workdir, client):
    """No polkit on this bus: root may (the group check), nobody may not; what is no health data
    stays open to nobody."""
    ann = client.create("Ann")
    client.call(ann, PERSON, "SetConditions", "as", ["pregnancy"])
    daemon.call("SetPrecautions", "as", 1, "osteoporosis")
    for method, sig, args in HEALTH:
        r = nobody(bus, workdir, ann, PERSON, method, *([sig, *map(str, args)] if sig else []))
        assert r.returncode != 0 and "ccess denied" in r.stderr, (method, r.stderr)
    r = nobody(bus, workdir, ann, PERSON, "InstallProgram", "ss", "x.ini", "[program]")
    assert r.returncode != 0 and "ccess denied" in r.stderr, r.stderr
    r = nobody(bus, workdir, ann, PERSON, "RemoveProgram", "s", "x")
    assert r.returncode != 0 and "ccess denied" in r.stderr, r.stderr
    r = nobody(bus, workdir, OBJECT_PATH, PROPS, "Get", "ss", INTERFACE, "Precautions")
    assert r.returncode != 0 and "ccess denied" in r.stderr, r.stderr
    # GetAll as nobody: everything but the conditions.
    r = nobody(bus, workdir, OBJECT_PATH, PROPS, "GetAll", "s", INTERFACE)
    assert r.returncode == 0 and "State" in r.stdout and "Precautions" not in r.stdout, r.stdout + r.stderr
    for path, iface, method, args in ((PEOPLE_PATH, MANAGER, "GetManagedObjects", []),
                                      (ann, PROPS, "GetAll", ["s", PERSON]),
                                      (PEOPLE_PATH, PEOPLE, "FindByName", ["s", "Ann"])):
        r = nobody(bus, workdir, path, iface, method, *args)
        assert r.returncode == 0, (method, r.stderr)
        assert "pregnancy" not in r.stdout
    # Root reads them.
    assert list(client.call(ann, PERSON, "GetConditions")) == ["pregnancy"]
    assert client.call(ann, PERSON, "GetAssessment") == {}
    assert list(client.call(ann, PERSON, "GetHistory", "u", 5)) == []
    assert client.call(ann, PERSON, "GetSummary", "u", 0)["all"]["sessions"] == 0
    assert list(client.prop(OBJECT_PATH, INTERFACE, "Precautions")) == ["osteoporosis"]


def test_precautions_is_explicit_and_announced_without_its_value(daemon, client):
    everything = client.call(OBJECT_PATH, PROPS, "GetAll", "s", INTERFACE)
    assert "Precautions" not in everything and "ActivePerson" in everything
    assert "Precautions" not in client.call(OBJECT_PATH, PROPS, "GetAll", "s", "")
    daemon.call("SetPrecautions", "as", 1, "pregnancy")
    chairtest.wait_for(lambda: [a for a in client.signals("PropertiesChanged", OBJECT_PATH) if "Precautions" in a[2]],
                       5, "Precautions invalidated")
    assert not client.changed(OBJECT_PATH, "Precautions")
    # Another person selected: their conditions, announced the same way.
    ann = client.create("Ann")
    n = len([a for a in client.signals("PropertiesChanged", OBJECT_PATH) if "Precautions" in a[2]])
    client.call(ann, PERSON, "Select")
    assert list(client.prop(OBJECT_PATH, INTERFACE, "Precautions")) == []
    chairtest.wait_for(lambda: len([a for a in client.signals("PropertiesChanged", OBJECT_PATH)
                                    if "Precautions" in a[2]]) == n + 1, 5, "Precautions invalidated on select")


def test_caps_apply_over_dbus(daemon, client):
    ann = client.create("Ann")
    client.call(ann, PERSON, "SetCaps", "uu", 2, 1)
    assert client.prop(ann, PERSON, "IntensityCap") == 2
    chairtest.wait_for(lambda: client.changed(ann, "IntensityCap") == [2] and client.changed(ann, "HeatCap") == [1],
                       5, "PropertiesChanged(IntensityCap, HeatCap)")
    client.call(ann, PERSON, "Select")
    planned = daemon.call("Start", "sa{sv}", "demo", 2, "scan", "b", "false", "intensity", "u", "5")[0]
    assert planned["intensity"]["data"] == 2, planned
    wait_state(daemon, "running", 10)
    assert daemon.get_property("Intensity") == 2
    name, msg = daemon.error_of("SetIntensity", "uint32 4")
    assert name == ERR + "PrecautionConflict" and "cap" in msg, msg
    daemon.call("SetIntensity", "u", 1)
    name, msg = daemon.error_of("SetHeat", "'lumbar'", "uint32 2")
    assert name == ERR + "PrecautionConflict" and "cap" in msg, msg
    daemon.call("SetHeat", "su", "lumbar", 1)
    stop_session(daemon)
    # The guest has no caps of their own.
    client.call(GUEST, PERSON, "Select")
    planned = daemon.call("Start", "sa{sv}", "demo", 2, "scan", "b", "false", "intensity", "u", "5")[0]
    assert planned["intensity"]["data"] == 5, planned
    stop_session(daemon)


def test_each_person_has_their_own_slots_history_and_ratings(daemon, client):
    ann = client.create("Ann")
    daemon.call("Start", "sa{sv}", "demo", 1, "scan", "b", "false")
    wait_state(daemon, "running", 10)
    guest_session = daemon.get_property("SessionId")
    daemon.call("SaveMemory", "u", 1)
    stop_session(daemon)
    assert daemon.call("GetMemory", "u", 1)[0]["program"]["data"] == "demo"

    client.call(ann, PERSON, "Select")
    assert daemon.call("GetMemory", "u", 1)[0] == {}
    assert daemon.call("GetHistory", "u", 10)[0] == []
    assert daemon.error_of("RecallMemory", "uint32 1")[0] == ERR + "NotPermitted"
    client.call(ann, PERSON, "Assess", "a{su}us", dbus.Dictionary({"neck": 7, "feet": 2}, signature="su"), 6,
                "relaxation")
    daemon.call("Start", "sa{sv}", "swedish", 2, "scan", "b", "false", "focus", "b", "true")
    wait_state(daemon, "running", 10)
    ann_session = daemon.get_property("SessionId")
    stop_session(daemon)
    # Chair1's history is the active person's; a rating finds the session's person.
    assert [h[0] for h in daemon.call("GetHistory", "u", 10)[0]] == [ann_session]
    daemon.call("RateSession", "tuu", guest_session, 6, 3)
    client.call(ann, PERSON, "RateSession", "tuua{su}", ann_session, 6, 2, dbus.Dictionary({"neck": 3}, signature="su"))
    assert client.error(ann, PERSON, "RateSession", "tuua{su}", guest_session, 1, 1,
                        dbus.Dictionary({}, signature="su"))[0] == INVALID

    guest_history = client.call(GUEST, PERSON, "GetHistory", "u", 10)
    assert [h["id"] for h in guest_history] == [guest_session]
    assert (guest_history[0]["pain_before"], guest_history[0]["pain_after"]) == (6, 3)
    assert guest_history[0]["goal"] == "" and not guest_history[0]["focused"]
    (entry,) = client.call(ann, PERSON, "GetHistory", "u", 10)
    assert entry["id"] == ann_session and entry["program"] == "swedish"
    assert entry["goal"] == "relaxation"
    assert dict(entry["area_before"]) == {"neck": 7, "feet": 2} and dict(entry["area_after"]) == {"neck": 3}
    assert (entry["pain_before"], entry["pain_after"]) == (6, 2)
    for key in ("start", "duration", "intensity", "reason"):
        assert key in entry, key
    summary = client.call(ann, PERSON, "GetSummary", "u", 0)
    assert summary["all"]["sessions"] == 1 and summary["all"]["rated"] == 1
    assert summary["all"]["mean_change"] == -4
    assert summary["areas"]["neck"]["mean_change"] == -4
    assert summary["programs"]["swedish"]["sessions"] == 1


def test_each_person_has_their_own_body_scan(daemon, client):
    ann = client.create("Ann")
    daemon.call("StartBodyScan")
    wait_state(daemon, "scanning", 5)
    chairtest.wait_for(lambda: daemon.get_property("State") != "scanning", 100, "the scan to end", interval=0.1)
    wait_state(daemon, "idle", 60)
    shoulder = daemon.get_property("ShoulderPosition")
    assert shoulder > 0 and client.prop(GUEST, PERSON, "ShoulderPosition") == shoulder
    assert client.prop(ann, PERSON, "ShoulderPosition") == -1
    client.call(ann, PERSON, "Select")
    assert daemon.get_property("ShoulderPosition") == -1
    client.call(GUEST, PERSON, "Select")
    assert daemon.get_property("ShoulderPosition") == shoulder
    assert daemon.gcall("AdjustShoulder", "int32 -1").returncode == 0
    assert client.prop(GUEST, PERSON, "ShoulderPosition") == shoulder - 10
    chairtest.wait_for(lambda: shoulder - 10 in client.changed(GUEST, "ShoulderPosition"), 5,
                       "PropertiesChanged(ShoulderPosition) of the guest")


def test_a_focused_session_is_recorded_as_focused(daemon, client):
    """Start's option focus reaches the session and its history entry says so."""
    ann = client.create("Ann")
    client.call(ann, PERSON, "Select")
    client.call(ann, PERSON, "Assess", "a{su}us", dbus.Dictionary({"lower-back": 5}, signature="su"), 5, "relief")
    daemon.call("Start", "sa{sv}", "swedish", 2, "scan", "b", "false", "focus", "b", "true")
    wait_state(daemon, "running", 10)
    stop_session(daemon)
    daemon.call("Start", "sa{sv}", "swedish", 1, "scan", "b", "false")
    wait_state(daemon, "running", 10)
    stop_session(daemon)
    unfocused, focused = client.call(ann, PERSON, "GetHistory", "u", 10)
    assert focused["focused"] and focused["goal"] == "relief"
    assert not unfocused["focused"]


def program_text(program_id, intensity=3):
    demo = open(os.path.join(chairtest.SOURCE_DIR, "profiles", "programs", "demo.ini")).read()
    text = demo.replace("id = demo", f"id = {program_id}", 1)
    return text.replace("\nintensity = 3\n", f"\nintensity = {intensity}\n", 1)


def test_a_persons_own_programs(daemon, client):
    ann = client.create("Ann")
    client.call(ann, PERSON, "InstallProgram", "ss", "ann-demo.ini", program_text("ann-demo"))
    assert client.prop(ann, PERSON, "ProgramCount") == 1
    chairtest.wait_for(lambda: client.changed(ann, "ProgramCount") == [1], 5, "PropertiesChanged(ProgramCount)")
    assert [p[0] for p in client.call(ann, PERSON, "ListPrograms")] == ["ann-demo"]
    assert list(client.call(GUEST, PERSON, "ListPrograms")) == []
    # The catalog has the active person's programs only.
    assert "ann-demo" not in [p[0] for p in daemon.call("ListPrograms")[0]]
    client.call(ann, PERSON, "Select")
    assert "ann-demo" in [p[0] for p in daemon.call("ListPrograms")[0]]

    # Validated as Service.UploadProfile, and within the person's cap.
    name, msg = client.error(ann, PERSON, "InstallProgram", "ss", "bad.ini", "[program]\nfrobnicate = 1\n")
    assert name == ERR + "InvalidProfile" and "bad.ini:" in msg, msg
    assert client.error(ann, PERSON, "InstallProgram", "ss", "../x.ini", program_text("x"))[0] == INVALID
    assert client.error(ann, PERSON, "InstallProgram", "ss", "demo2.ini", program_text("demo"))[0] == ERR + "InvalidProfile"
    name, _ = client.error(ann, PERSON, "InstallProgram", "ss", "huge.ini", "#" * (64 * 1024 + 1))
    assert name == INVALID
    client.call(ann, PERSON, "SetCaps", "uu", 2, 3)
    name, msg = client.error(ann, PERSON, "InstallProgram", "ss", "strong.ini", program_text("strong", 4))
    assert name == ERR + "PrecautionConflict", (name, msg)

    client.call(ann, PERSON, "RemoveProgram", "s", "ann-demo")
    assert client.prop(ann, PERSON, "ProgramCount") == 0
    assert client.error(ann, PERSON, "RemoveProgram", "s", "ann-demo")[0] == ERR + "UnknownProgram"
    assert "ann-demo" not in [p[0] for p in daemon.call("ListPrograms")[0]]


def test_recommend_programs(daemon, client):
    ann = client.create("Ann")
    assert client.error(ann, PERSON, "Assess", "a{su}us", dbus.Dictionary({}, signature="su"), 11, "relief")[0] == INVALID
    client.call(ann, PERSON, "Assess", "a{su}us", dbus.Dictionary({"lower-back": 7}, signature="su"), 6, "relief")
    ranked = client.call(ann, PERSON, "RecommendPrograms")
    assert ranked and all(reason for _, _, reason in ranked)
    scores = [score for _, score, _ in ranked]
    assert scores == sorted(scores, reverse=True)
    assert "lower-back" in [p for p, _, _ in ranked[:3]], ranked
    # A program a condition excludes is never recommended.
    client.call(ann, PERSON, "SetConditions", "as", ["pregnancy"])
    assert "deep-tissue" in [p for p, _, _ in ranked]
    assert "deep-tissue" not in [p for p, _, _ in client.call(ann, PERSON, "RecommendPrograms")]


def test_each_guarded_member_asks_its_polkit_action(daemon, bus, workdir, client):
    """With a polkit authority on the bus (test_polkit's fake): each health member asks
    read-health, the programs install-person-program, everything else asks nobody; polkit's
    no refuses even root."""
    from test_polkit import FakePolkit
    ann = client.create("Ann")
    fake = FakePolkit(bus, workdir)
    try:
        asked = {}
        for method, sig, args in HEALTH + [("InstallProgram", "ss", ["x.ini", "[program]"]),
                                           ("RemoveProgram", "s", ["x"])]:
            before = len(fake.requests())
            try:
                client.call(ann, PERSON, method, sig, *args)
            except dbus.exceptions.DBusException:
                pass  # refused after the check (a bad profile, no such program)
            new = fake.requests()[before:]
            assert len(new) == 1, (method, new)
            assert new[0]["subject"] == {"name": client.conn.get_unique_name()}, new[0]
            asked[method] = new[0]["action"]
        before = len(fake.requests())
        client.prop(OBJECT_PATH, INTERFACE, "Precautions")
        assert [r["action"] for r in fake.requests()[before:]] == ["org.massagechair.Chair1.read-health"]
        assert asked == {**{m: "org.massagechair.Chair1.read-health" for m, _, _ in HEALTH},
                         "InstallProgram": "org.massagechair.Chair1.install-person-program",
                         "RemoveProgram": "org.massagechair.Chair1.install-person-program"}
        # What is no health data asks nobody.
        before = len(fake.requests())
        client.call(OBJECT_PATH, PROPS, "GetAll", "s", INTERFACE)
        client.call(ann, PROPS, "GetAll", "s", PERSON)
        client.call(PEOPLE_PATH, MANAGER, "GetManagedObjects")
        client.call(ann, PERSON, "SetCaps", "uu", 4, 2)
        client.call(ann, PERSON, "ListPrograms")
        client.call(PEOPLE_PATH, PEOPLE, "FindByName", "s", "Ann")
        assert fake.requests()[before:] == []
        fake.set({"default": "no"})
        assert client.error(ann, PERSON, "GetConditions")[0] == DENIED
        assert client.error(OBJECT_PATH, PROPS, "Get", "ss", INTERFACE, "Precautions")[0] == DENIED
    finally:
        fake.stop()


MANAGE = "org.massagechair.Chair1.manage-people"


def test_loosening_needs_manage_people(daemon, bus, workdir, client):
    """Tightening (adding a condition, lowering a cap) is open to every caller; removing a
    condition, raising a cap, renaming and deleting need manage-people: without polkit root
    (the group check) and not nobody; with polkit, its answer, asked only when loosening."""
    ann = client.create("Ann")
    client.call(ann, PERSON, "SetConditions", "as", ["pregnancy"])
    client.call(ann, PERSON, "SetCaps", "uu", 3, 2)
    daemon.call("SetPrecautions", "as", 1, "pregnancy")

    def ok(path, iface, method, *args):
        r = nobody(bus, workdir, path, iface, method, *args)
        assert r.returncode == 0, (method, args, r.stderr)

    def refused(path, iface, method, *args):
        r = nobody(bus, workdir, path, iface, method, *args)
        assert r.returncode != 0 and "ccess denied" in r.stderr, (method, args, r.stderr)

    # No polkit on this bus. Tightening: nobody may.
    ok(ann, PERSON, "SetConditions", "as", "2", "pregnancy", "osteoporosis")
    ok(ann, PERSON, "SetConditions", "as", "2", "osteoporosis", "pregnancy")  # the same list
    ok(ann, PERSON, "SetCaps", "uu", "2", "1")
    ok(ann, PERSON, "SetCaps", "uu", "2", "1")
    ok(OBJECT_PATH, INTERFACE, "SetPrecautions", "as", "2", "pregnancy", "osteoporosis")
    # Loosening, renaming, deleting: nobody may not, and nothing changed.
    refused(ann, PERSON, "SetConditions", "as", "1", "pregnancy")
    refused(ann, PERSON, "SetConditions", "as", "0")
    refused(ann, PERSON, "SetCaps", "uu", "3", "1")
    refused(ann, PERSON, "SetCaps", "uu", "1", "2")
    refused(ann, PERSON, "Rename", "s", "Bea")
    refused(ann, PERSON, "Delete", "s", "Ann")
    refused(OBJECT_PATH, INTERFACE, "SetPrecautions", "as", "1", "osteoporosis")
    assert sorted(client.call(ann, PERSON, "GetConditions")) == ["osteoporosis", "pregnancy"]
    assert (client.prop(ann, PERSON, "IntensityCap"), client.prop(ann, PERSON, "HeatCap")) == (2, 1)
    assert client.prop(ann, PERSON, "Name") == "Ann"
    assert sorted(client.prop(OBJECT_PATH, INTERFACE, "Precautions")) == ["osteoporosis", "pregnancy"]
    # Root always (the group check).
    client.call(ann, PERSON, "SetConditions", "as", ["pregnancy", "osteoporosis"])
    daemon.call("SetPrecautions", "as", 2, "pregnancy", "osteoporosis")

    from test_polkit import FakePolkit
    fake = FakePolkit(bus, workdir, {"default": "yes", MANAGE: "no"})
    try:
        before = len(fake.requests())
        ok(ann, PERSON, "SetConditions", "as", "3", "pregnancy", "osteoporosis", "pacemaker")
        ok(ann, PERSON, "SetCaps", "uu", "1", "0")
        assert fake.requests()[before:] == [], "tightening asked polkit"
        refused(ann, PERSON, "SetConditions", "as", "1", "pregnancy")
        refused(ann, PERSON, "SetCaps", "uu", "5", "0")
        refused(ann, PERSON, "Rename", "s", "Bea")
        refused(ann, PERSON, "Delete", "s", "Ann")
        refused(OBJECT_PATH, INTERFACE, "SetPrecautions", "as", "0")
        # polkit's no refuses root as well.
        assert client.error(ann, PERSON, "SetCaps", "uu", 5, 3)[0] == DENIED
        assert [r["action"] for r in fake.requests()[before:]] == [MANAGE] * 6
        # With the action: nobody loosens, renames and deletes.
        fake.set({"default": "yes"})
        ok(ann, PERSON, "SetConditions", "as", "1", "pacemaker")
        assert list(client.call(ann, PERSON, "GetConditions")) == ["pacemaker"]
        ok(ann, PERSON, "SetCaps", "uu", "5", "3")
        assert (client.prop(ann, PERSON, "IntensityCap"), client.prop(ann, PERSON, "HeatCap")) == (5, 3)
        ok(OBJECT_PATH, INTERFACE, "SetPrecautions", "as", "0")
        assert list(client.prop(OBJECT_PATH, INTERFACE, "Precautions")) == []
        ok(ann, PERSON, "Rename", "s", "Bea")
        assert client.prop(ann, PERSON, "Name") == "Bea"
        ok(ann, PERSON, "Delete", "s", "Bea")
        assert ann not in [str(p) for p in client.prop(PEOPLE_PATH, PEOPLE, "People")]
    finally:
        fake.stop()
