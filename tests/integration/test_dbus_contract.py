"""The D-Bus API against its contract, docs/dbus-api.md (parsed from its tables), with clients we did not write
(busctl, gdbus, python-dbus): every member the document names exists with its signature, every
method answers, every property reads with its type, every signal arrives; wrong types and
out-of-range values get InvalidArgs; callers of another uid are refused the Service interface."""
import json
import os
import re
import subprocess
import threading
import xml.etree.ElementTree as ET

import dbus
import dbus.mainloop.glib
import pytest
from gi.repository import GLib

import chairtest
from chairtest import BUS_NAME, INTERFACE, OBJECT_PATH, SERVICE_INTERFACE

PEOPLE_INTERFACE = "org.massagechair.Chair1.People"
PERSON_INTERFACE = "org.massagechair.Chair1.Person"
POSTURE_INTERFACE = "org.massagechair.Chair1.Posture"
PEOPLE_PATH = OBJECT_PATH + "/people"
# The object each interface is on (a person's: the guest's, always there).
PATHS = {INTERFACE: OBJECT_PATH, SERVICE_INTERFACE: OBJECT_PATH, PEOPLE_INTERFACE: PEOPLE_PATH,
         PERSON_INTERFACE: PEOPLE_PATH + "/0", POSTURE_INTERFACE: OBJECT_PATH + "/posture"}
# Properties GetAll leaves out (SD_BUS_VTABLE_PROPERTY_EXPLICIT): health data, Get only.
EXPLICIT = {"Precautions"}

ERR = "org.massagechair.Chair1.Error."
INVALID = "org.freedesktop.DBus.Error.InvalidArgs"
DENIED = "org.freedesktop.DBus.Error.AccessDenied"
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def contract():
    """{interface: {"methods": {name: (in, out)}, "properties": {name: type}, "signals": {...}}}
    parsed from the tables of docs/dbus-api.md."""
    text = open(os.path.join(chairtest.SOURCE_DIR, "docs", "dbus-api.md")).read()
    result = {}
    iface = None
    section = None
    for line in text.splitlines():
        m = re.match(r"^## (org\.massagechair\.Chair1(\.Service|\.People|\.Person|\.Posture)?)\b", line)
        if m:
            iface = m.group(1)
            result[iface] = {"methods": {}, "properties": {}, "signals": {}}
            continue
        m = re.match(r"^### (Methods|Properties|Signals|Errors)", line)
        if m:
            section = m.group(1).lower()
            continue
        if not iface or not line.startswith("| `"):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        names = re.findall(r"`([A-Za-z]+)`", cells[0])
        sig = cells[1].strip("`")
        if iface == SERVICE_INTERFACE:
            section = "properties" if "(property)" in cells[0] else "methods"
        if section == "methods":
            m = re.match(r"\((.*)\) -> (.*)$", sig)
            ins = "".join(a.split()[0] for a in m.group(1).split(", ") if a)
            out = m.group(2).strip()
            outs = "" if out == "()" else out.split()[0]
            result[iface]["methods"][names[0]] = (ins, outs)
        elif section == "properties":
            for n in names:
                result[iface]["properties"][n] = sig
        elif section == "signals":
            m = re.match(r"\((.*)\)", sig)
            result[iface]["signals"][names[0]] = "".join(a.split()[0] for a in m.group(1).split(", "))
    return result


def introspect(bus, path=None):
    """Every interface of our objects (PATHS), or of the one at PATH."""
    if path is None:
        found = {}
        for p in sorted(set(PATHS.values())):
            found.update({k: v for k, v in introspect(bus, p).items() if PATHS.get(k) == p})
        return found
    xml = bus.busctl("introspect", "--xml-interface", BUS_NAME, path).stdout
    root = ET.fromstring(xml)
    found = {}
    for iface in root.findall("interface"):
        entry = {"methods": {}, "properties": {}, "signals": {}}
        for m in iface.findall("method"):
            ins = "".join(a.get("type") for a in m.findall("arg") if a.get("direction", "in") == "in")
            outs = "".join(a.get("type") for a in m.findall("arg") if a.get("direction") == "out")
            entry["methods"][m.get("name")] = (ins, outs)
        for p in iface.findall("property"):
            entry["properties"][p.get("name")] = p.get("type")
        for s in iface.findall("signal"):
            entry["signals"][s.get("name")] = "".join(a.get("type") for a in s.findall("arg"))
        found[iface.get("name")] = entry
    return found


def test_contract_is_parsed():
    c = contract()
    assert len(c[INTERFACE]["methods"]) >= 25
    assert c[INTERFACE]["methods"]["GetHistory"] == ("u", "a(tssuuqqs)")
    assert c[INTERFACE]["properties"]["Depth"] == "u"
    assert c[INTERFACE]["signals"]["BodyScanFinished"] == "ib"
    assert c[SERVICE_INTERFACE]["methods"]["UploadProfile"] == ("ss", "")
    assert c[SERVICE_INTERFACE]["properties"]["SchedulerStats"] == "a{st}"
    assert c[PEOPLE_INTERFACE]["methods"]["Create"] == ("s", "o")
    assert c[PERSON_INTERFACE]["methods"]["RateSession"] == ("tuua{su}", "")
    assert c[PERSON_INTERFACE]["properties"]["HeatPreference"] == "a{su}"
    assert c[INTERFACE]["properties"]["ActivePerson"] == "o"
    assert c[INTERFACE]["methods"]["GetCapabilities"] == ("", "a{sv}")
    assert c[POSTURE_INTERFACE]["methods"]["Move"] == ("siu", "")
    assert c[POSTURE_INTERFACE]["properties"]["Positions"] == "a{si}"


def test_every_documented_member_exists(daemon, bus):
    want, have = contract(), introspect(bus)
    problems = []
    for iface, members in want.items():
        assert iface in have, f"interface {iface} missing"
        for kind in ("methods", "properties", "signals"):
            for name, sig in members[kind].items():
                got = have[iface][kind].get(name)
                if got != sig:
                    problems.append(f"{iface}.{name} ({kind}): documented {sig}, daemon has {got}")
            for name in have[iface][kind]:
                if name not in members[kind]:
                    problems.append(f"{iface}.{name} ({kind}) is not documented")
    assert not problems, "\n".join(problems)


def test_introspection_xml_is_installed_and_matches(daemon, bus):
    """The shipped XML says what the daemon says, member by member and signature by signature."""
    roots = [ET.parse(os.path.join(chairtest.SOURCE_DIR, "docs", f"{name}.xml")).getroot()
             for name in (INTERFACE, PEOPLE_INTERFACE, PERSON_INTERFACE, POSTURE_INTERFACE)]
    shipped = {}
    for iface in [i for root in roots for i in root.findall("interface")]:
        entry = {"methods": {}, "properties": {}, "signals": {}}
        for m in iface.findall("method"):
            entry["methods"][m.get("name")] = (
                "".join(a.get("type") for a in m.findall("arg") if a.get("direction", "in") == "in"),
                "".join(a.get("type") for a in m.findall("arg") if a.get("direction") == "out"))
        for p in iface.findall("property"):
            entry["properties"][p.get("name")] = p.get("type")
        for sig in iface.findall("signal"):
            entry["signals"][sig.get("name")] = "".join(a.get("type") for a in sig.findall("arg"))
        shipped[iface.get("name")] = entry
    live = introspect(bus)
    for name in (INTERFACE, SERVICE_INTERFACE, PEOPLE_INTERFACE, PERSON_INTERFACE, POSTURE_INTERFACE):
        assert shipped[name] == live[name], name


def test_every_property_reads_with_its_type(daemon, bus):
    types = {"s": str, "u": int, "i": int, "t": int, "b": bool, "as": list, "a{su}": dict,
             "a{sd}": dict, "a{st}": dict, "a{s(uuuib)}": dict, "o": str, "ao": list, "a{si}": dict,
             "a{ss}": dict}
    for iface, members in contract().items():
        for name, sig in members["properties"].items():
            r = bus.busctl("get-property", "--json=short", BUS_NAME, PATHS[iface], iface, name)
            value = json.loads(r.stdout)["data"]
            assert isinstance(value, types[sig]), f"{name}: {value!r} is not {sig}"
    # The same through python-dbus, GetAll, and gdbus.
    conn = dbus.bus.BusConnection(bus.address)
    try:
        props = dbus.Interface(conn.get_object(BUS_NAME, OBJECT_PATH), "org.freedesktop.DBus.Properties")
        everything = props.GetAll(INTERFACE)
        assert set(contract()[INTERFACE]["properties"]) - EXPLICIT <= set(everything)
        assert not EXPLICIT & set(everything)
        assert everything["State"] == "idle"
        assert everything["ShoulderPosition"] == -1
        assert set(everything["HeatLevels"]) == {"lumbar", "calves"}
        assert set(everything["Temperatures"]) == {"lumbar", "calves"}
        assert everything["Timer"] in (10, 20, 30)
        assert everything["Width"] in ("narrow", "medium", "wide")
        assert props.Get(SERVICE_INTERFACE, "SchedulerStats")["count"] >= 0
    finally:
        conn.close()
    r = bus.gdbus("call", "--dest", BUS_NAME, "--object-path", OBJECT_PATH, "--method",
                  "org.freedesktop.DBus.Properties.Get", INTERFACE, "Model")
    assert "simulated" in r.stdout
    # Properties are read-only.
    r = bus.busctl("set-property", BUS_NAME, OBJECT_PATH, INTERFACE, "Intensity", "u", "5", check=False)
    assert r.returncode != 0


class Signals:
    """Collects signals and PropertiesChanged with python-dbus on a GLib loop in a thread."""

    def __init__(self, address):
        dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
        self.conn = dbus.bus.BusConnection(address)
        self.received = []
        self.lock = threading.Lock()
        self.conn.add_signal_receiver(self._on, dbus_interface=INTERFACE, path=OBJECT_PATH,
                                      member_keyword="member")
        self.conn.add_signal_receiver(self._on, signal_name="PropertiesChanged", path=OBJECT_PATH,
                                      dbus_interface="org.freedesktop.DBus.Properties",
                                      member_keyword="member")
        self.loop = GLib.MainLoop()
        self.thread = threading.Thread(target=self.loop.run, daemon=True)
        self.thread.start()

    def _on(self, *args, member=None):
        with self.lock:
            self.received.append((member, list(args)))

    def find(self, member, predicate=lambda args: True):
        with self.lock:
            return [a for m, a in self.received if m == member and predicate(a)]

    def changed(self, prop):
        return [a[1][prop] for a in self.find("PropertiesChanged", lambda a: prop in a[1])]

    def close(self):
        self.loop.quit()
        self.thread.join(timeout=5)
        self.conn.close()


@pytest.fixture
def signals(bus, daemon):
    s = Signals(bus.address)
    yield s
    s.close()


def wait_state(daemon, state, timeout=40):
    chairtest.wait_for(lambda: daemon.get_property("State") == state, timeout, f"State {state}")


def start_demo(daemon, program="demo"):
    daemon.call("Start", "sa{sv}", program, 1, "scan", "b", "false")
    wait_state(daemon, "running", 10)


def test_public_methods_and_signals(daemon, bus, signals):
    """Every method of org.massagechair.Chair1 once, in an order a person might use them."""
    programs = daemon.call("ListPrograms")[0]
    assert "demo" in [p[0] for p in programs]
    details = {k: v["data"] for k, v in daemon.call("GetProgram", "s", "demo")[0].items()}
    for key in ("id", "name", "description", "duration", "intensity", "areas", "precautions"):
        assert key in details, key
    assert details["id"] == "demo"
    conditions = daemon.call("ListPrecautions")[0]
    assert "pregnancy" in [c[0] for c in conditions] and all(c[1] for c in conditions)
    assert daemon.call("GetMemory", "u", 1)[0] == {}

    start_demo(daemon)
    chairtest.wait_for(lambda: signals.changed("State"), 5, "PropertiesChanged(State)")
    session = daemon.get_property("SessionId")
    assert session > 0
    daemon.call("SetIntensity", "u", 4)
    daemon.call("SetSpeed", "u", 2)
    daemon.call("SetWidth", "s", "narrow")
    daemon.call("SetDepth", "u", 2)
    daemon.call("SetAir", "asu", 2, "calves", "feet", 2)
    daemon.call("SetHeat", "su", "lumbar", 2)
    daemon.call("SetTimer", "u", 30)
    props = {p: daemon.get_property(p) for p in ("Intensity", "Speed", "Width", "Depth", "AirZones",
                                                  "AirIntensity", "HeatLevels", "Timer")}
    assert props == {"Intensity": 4, "Speed": 2, "Width": "narrow", "Depth": 2,
                     "AirZones": ["calves", "feet"], "AirIntensity": 2,
                     "HeatLevels": {"lumbar": 2, "calves": 0}, "Timer": 30}
    chairtest.wait_for(lambda: signals.changed("Intensity") and signals.changed("AirZones"), 5,
                       "PropertiesChanged for Intensity and AirZones")
    chairtest.wait_for(lambda: signals.changed("Remaining"), 5, "Remaining to be emitted")
    chairtest.wait_for(lambda: signals.changed("RollerPosition"), 10, "RollerPosition to be emitted")
    daemon.call("SaveMemory", "u", 2)
    slot = {k: v["data"] for k, v in daemon.call("GetMemory", "u", 2)[0].items()}
    assert slot.get("program") == "demo", slot
    daemon.call("Pause")
    wait_state(daemon, "paused", 5)
    daemon.call("Resume")
    wait_state(daemon, "running", 5)
    daemon.call("Stop")
    chairtest.wait_for(lambda: signals.find("ProgramFinished", lambda a: a == ["demo", "stopped"]), 5,
                       "ProgramFinished(demo, stopped)")
    wait_state(daemon, "idle")
    daemon.call("RateSession", "tuu", session, 6, 2)
    history = daemon.call("GetHistory", "u", 10)[0]
    assert history[0][0] == session and history[0][1] == "demo"
    assert history[0][5:] == [6, 2, "stopped"]
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", history[0][2])

    daemon.call("RecallMemory", "u", 2)
    # No body scan is stored, so the recalled session scans first.
    chairtest.wait_for(lambda: daemon.get_property("State") in ("scanning", "running"), 10,
                       "the recalled session to start")
    assert daemon.get_property("Intensity") == 4
    daemon.call("Stop")
    wait_state(daemon, "idle")

    daemon.call("StartManual", "ssa{sv}", "shiatsu", "point", 0)
    wait_state(daemon, "running", 10)
    assert daemon.get_property("Program") == "manual:shiatsu"
    assert daemon.gcall("MovePoint", "int32 -1").returncode == 0
    daemon.call("Stop")
    wait_state(daemon, "idle")

    daemon.call("SetPrecautions", "as", 1, "osteoporosis")
    assert daemon.get_property("Precautions") == ["osteoporosis"]
    # Health data: announced as invalidated, without its value.
    chairtest.wait_for(lambda: signals.find("PropertiesChanged", lambda a: "Precautions" in a[2]), 5,
                       "PropertiesChanged(Precautions) invalidated")
    assert not signals.changed("Precautions")
    daemon.call("SetPrecautions", "as", 0)
    assert daemon.get_property("Precautions") == []
    assert isinstance(daemon.call("GetFaults", "u", 5)[0], list)


def test_body_scan_signal_and_shoulder(daemon, signals):
    daemon.call("StartBodyScan")
    chairtest.wait_for(lambda: signals.find("BodyScanFinished"), 60, "BodyScanFinished")
    shoulder, ok = signals.find("BodyScanFinished")[0]
    assert ok and shoulder > 0
    wait_state(daemon, "idle")
    assert daemon.gcall("AdjustShoulder", "int32 -1").returncode == 0
    assert daemon.get_property("ShoulderPosition") == shoulder - 10
    assert shoulder - 10 in signals.changed("ShoulderPosition")


def test_service_methods_and_fault_signal(daemon, bus, signals, workdir):
    # ReloadProfiles is covered by test_reload_profiles (it crashed the daemon at first).
    diag = daemon.call("GetDiagnostics", interface=SERVICE_INTERFACE)[0]
    keys = set(diag)
    assert any(k.startswith("input.") for k in keys) and any(k.startswith("output.") for k in keys)
    assert any(k.startswith("scheduler.") for k in keys)
    daemon.call("SetDefaultTimer", "u", 10, interface=SERVICE_INTERFACE)
    assert daemon.error_of("SetDefaultTimer", "uint32 11", interface=SERVICE_INTERFACE)[0] == INVALID
    daemon.call("Calibrate", interface=SERVICE_INTERFACE)
    wait_state(daemon, "idle", 60)

    # A valid profile: the shipped demo under another id.
    demo = open(os.path.join(chairtest.SOURCE_DIR, "profiles", "programs", "demo.ini")).read()
    uploaded = re.sub(r"(?m)^id\s*=.*$", "id = uploaded-demo", demo)
    if uploaded == demo:
        uploaded = demo
    os.makedirs(os.path.join(workdir, "profiles.d"), exist_ok=True)
    daemon.call("UploadProfile", "ss", "uploaded-demo.ini", uploaded, interface=SERVICE_INTERFACE)
    assert os.path.exists(os.path.join(workdir, "profiles.d", "uploaded-demo.ini"))
    name, msg = daemon.error_of("UploadProfile", "bad.ini", "'[program]\\nfrobnicate = 1\\n'",
                                interface=SERVICE_INTERFACE)
    assert name == ERR + "InvalidProfile" and "bad.ini:" in msg
    name, _ = daemon.error_of("UploadProfile", "huge.ini", "'" + "#" * (65 * 1024) + "'",
                              interface=SERVICE_INTERFACE)
    assert name in (ERR + "InvalidProfile", INVALID)
    name, _ = daemon.error_of("UploadProfile", "../escape.ini", "'x'", interface=SERVICE_INTERFACE)
    assert name in (ERR + "InvalidProfile", INVALID)
    assert not os.path.exists(os.path.join(workdir, "escape.ini"))

    start_demo(daemon)
    # The histograms behind SchedulerStats: non-empty bins, lowest first, adding up to its counts.
    chairtest.wait_for(lambda: daemon.get_property("SchedulerStats", interface=SERVICE_INTERFACE)["count"] > 0, 10,
                       "a command executed")
    stats = daemon.get_property("SchedulerStats", interface=SERVICE_INTERFACE)
    for which, count in (("commands", "count"), ("wakeups", "wake_count")):
        bins = daemon.call("GetLatencyHistogram", "s", which, interface=SERVICE_INTERFACE)[0]
        assert bins and all(lo < hi and n > 0 for lo, hi, n in bins), bins
        assert [b[0] for b in bins] == sorted(b[0] for b in bins)
        assert sum(n for _, _, n in bins) >= stats[count]
    assert daemon.error_of("GetLatencyHistogram", "ticks", interface=SERVICE_INTERFACE)[0] == INVALID
    daemon.call("InjectFault", "sb", "estop", "true", interface=SERVICE_INTERFACE)
    chairtest.wait_for(lambda: signals.find("FaultRaised"), 5, "FaultRaised")
    wait_state(daemon, "fault", 5)
    assert daemon.get_property("Fault") != "" and daemon.get_property("FaultMessage") != ""
    assert daemon.error_of("Start", "demo", "@a{sv} {}")[0] == ERR + "FaultLatched"
    daemon.call("InjectFault", "sb", "estop", "false", interface=SERVICE_INTERFACE)
    daemon.call("ClearFault", interface=SERVICE_INTERFACE)
    wait_state(daemon, "idle", 10)
    assert daemon.get_property("Fault") == ""
    faults = daemon.call("GetFaults", "u", 5)[0]
    assert faults and faults[0][3] != "latched"


# (method, signature, arguments) that must get InvalidArgs: wrong types and out-of-range values.
# Sent with python-dbus with an explicit signature, so no client-side conversion hides them.
V = dbus.Dictionary
INVALID_CALLS = [
    ("GetProgram", "u", [3]),
    ("Start", "sa{sv}", ["demo", V({"intensity": dbus.UInt32(0)}, signature="sv")]),
    ("Start", "sa{sv}", ["demo", V({"intensity": dbus.UInt32(6)}, signature="sv")]),
    ("Start", "sa{sv}", ["demo", V({"intensity": dbus.String("high")}, signature="sv")]),
    ("Start", "sa{sv}", ["demo", V({"duration": dbus.UInt32(59)}, signature="sv")]),
    ("Start", "sa{sv}", ["demo", V({"duration": dbus.UInt32(3601)}, signature="sv")]),
    ("Start", "sa{sv}", ["demo", V({"scan": dbus.String("yes")}, signature="sv")]),
    ("Start", "sa{sv}", ["demo", V({"heat": dbus.UInt32(1)}, signature="sv")]),
    ("Start", "sa{sv}", ["demo", V({"colour": dbus.String("red")}, signature="sv")]),
    ("Start", "s", ["demo"]),
    ("StartManual", "ssa{sv}", ["pummel", "full", V({}, signature="sv")]),
    ("StartManual", "ssa{sv}", ["knead", "elbow", V({}, signature="sv")]),
    ("StartManual", "ssa{sv}", ["knead", "full", V({"intensity": dbus.UInt32(9)}, signature="sv")]),
    ("MovePoint", "s", ["up"]),
    ("SetIntensity", "u", [0]),
    ("SetIntensity", "u", [6]),
    ("SetIntensity", "i", [3]),
    ("SetIntensity", "s", ["3"]),
    ("SetIntensity", "", []),
    ("SetSpeed", "u", [9]),
    ("SetSpeed", "u", [0]),
    ("SetWidth", "s", ["huge"]),
    ("SetWidth", "u", [1]),
    ("SetDepth", "u", [6]),
    ("SetAir", "asu", [["elbows"], 3]),
    ("SetAir", "asu", [["feet"], 6]),
    ("SetAir", "su", ["feet", 3]),
    ("SetHeat", "su", ["neck", 1]),
    ("SetHeat", "su", ["lumbar", 4]),
    ("SetHeat", "ss", ["lumbar", "hot"]),
    ("SetTimer", "u", [15]),
    ("SetTimer", "u", [0]),
    ("AdjustShoulder", "i", [6]),
    ("AdjustShoulder", "u", [1]),
    ("SaveMemory", "u", [0]),
    ("SaveMemory", "u", [3]),
    ("RecallMemory", "u", [3]),
    ("GetMemory", "u", [9]),
    ("GetMemory", "s", ["A"]),
    ("SetPrecautions", "as", [["not-a-condition"]]),
    ("SetPrecautions", "s", ["pregnancy"]),
    ("RateSession", "tuu", [1, 11, 0]),
    ("RateSession", "tuu", [1, 0, 11]),
    ("RateSession", "uuu", [1, 0, 0]),
    ("GetHistory", "s", ["ten"]),
    ("GetFaults", "i", [-1]),
]


def test_invalid_args(daemon, bus):
    """Every row of INVALID_CALLS against one daemon; all failures are reported together."""
    conn = dbus.bus.BusConnection(bus.address)
    problems = []
    try:
        for method, signature, args in INVALID_CALLS:
            try:
                conn.call_blocking(BUS_NAME, OBJECT_PATH, INTERFACE, method, signature, args, timeout=10)
                problems.append(f"{method}({signature}) {args}: accepted")
            except dbus.exceptions.DBusException as e:
                if e.get_dbus_name() != INVALID:
                    problems.append(f"{method}({signature}) {args}: {e.get_dbus_name()}: {e}")
    finally:
        conn.close()
    assert not problems, "\n".join(problems)
    assert daemon.get_property("State") == "idle"


def test_invalid_args_name_the_argument(daemon):
    """Through gdbus (which converts to the right signature): the message names the argument."""
    for method, args, word in (("SetIntensity", ["uint32 9"], "level"),
                               ("SetWidth", ["'huge'"], "width"),
                               ("SetAir", ["['elbows']", "uint32 3"], "zone"),
                               ("SetHeat", ["'lumbar'", "uint32 4"], "level"),
                               ("Start", ["demo", "{'duration': <uint32 5>}"], "duration")):
        name, msg = daemon.error_of(method, *args)
        assert name == INVALID and word in msg, msg


def test_named_errors(daemon):
    assert daemon.error_of("GetProgram", "'no-such-program'")[0] == ERR + "UnknownProgram"
    assert daemon.error_of("Start", "no-such-program", "@a{sv} {}")[0] == ERR + "UnknownProgram"
    for method in ("Pause", "Resume", "MovePoint"):
        args = ["int32 1"] if method == "MovePoint" else []
        assert daemon.error_of(method, *args)[0] == ERR + "NotRunning", method
    assert daemon.error_of("RecallMemory", "uint32 1")[0] == ERR + "NotPermitted"  # empty slot
    assert daemon.error_of("RateSession", "uint64 12345", "uint32 1", "uint32 1")[0] in (
        INVALID, "org.freedesktop.DBus.Error.UnknownObject", ERR + "NotRunning")
    daemon.call("SetPrecautions", "as", 1, "pregnancy")
    name, msg = daemon.error_of("Start", "deep-tissue", "@a{sv} {}")
    assert name == ERR + "PrecautionConflict" and "pregnancy" in msg
    daemon.call("SetPrecautions", "as", 0)
    start_demo(daemon)
    assert daemon.error_of("Start", "demo", "@a{sv} {}")[0] == ERR + "Busy"
    assert daemon.error_of("StartBodyScan")[0] == ERR + "Busy"
    daemon.call("Stop")


def nobody_gdbus(bus, workdir, interface, method, *args):
    os.chmod(workdir, 0o755)
    return subprocess.run([*NOBODY, "gdbus", "call", "--address", bus.address, "--dest", BUS_NAME,
                           "--object-path", OBJECT_PATH, "--method", f"{interface}.{method}", *args],
                          capture_output=True, text=True, timeout=10 * chairtest.SLOWDOWN)


SERVICE_CALLS = [("ReloadProfiles", []), ("UploadProfile", ["x.ini", "'[program]'"]),
                 ("ClearFault", []), ("GetDiagnostics", []), ("InjectFault", ["estop", "true"]),
                 ("Calibrate", []), ("SetDefaultTimer", ["uint32 10"]),
                 ("GetLatencyHistogram", ["wakeups"]), ("SimSetOccupant", ["false", "uint32 450", "false"])]


def test_other_uid_refused_service(daemon, bus, workdir):
    for method, args in SERVICE_CALLS:
        r = nobody_gdbus(bus, workdir, SERVICE_INTERFACE, method, *args)
        assert r.returncode != 0, f"{method} as nobody succeeded: {r.stdout}"
        assert DENIED in r.stderr, f"{method}: {r.stderr}"
    assert daemon.get_property("State") == "idle"
    assert daemon.get_property("Fault") == ""
    # busctl and python-dbus as nobody too.
    r = subprocess.run([*NOBODY, "busctl", f"--address={bus.address}", "call", BUS_NAME, OBJECT_PATH,
                        SERVICE_INTERFACE, "ClearFault"], capture_output=True, text=True, timeout=10)
    assert r.returncode != 0 and "ccess denied" in r.stderr
    code = ("import dbus,sys\n"
            f"c=dbus.bus.BusConnection('{bus.address}')\n"
            f"s=dbus.Interface(c.get_object('{BUS_NAME}','{OBJECT_PATH}'),'{SERVICE_INTERFACE}')\n"
            "try:\n s.ReloadProfiles(); print('allowed')\n"
            "except dbus.exceptions.DBusException as e: print(e.get_dbus_name())\n")
    r = subprocess.run([*NOBODY, "/usr/bin/python3", "-c", code], capture_output=True, text=True, timeout=10)
    assert r.stdout.strip() == DENIED, r.stdout + r.stderr


def test_other_uid_may_use_the_public_interface(daemon, bus, workdir):
    r = nobody_gdbus(bus, workdir, INTERFACE, "ListPrograms")
    assert r.returncode == 0 and "demo" in r.stdout, r.stderr
    r = nobody_gdbus(bus, workdir, "org.freedesktop.DBus.Properties", "Get", INTERFACE, "State")
    assert r.returncode == 0 and "idle" in r.stdout, r.stderr


def test_chairtech_group_member_allowed(daemon, bus, workdir):
    try:
        import grp
        gid = grp.getgrnam("chairtech").gr_gid
    except KeyError:
        pytest.skip("no chairtech group on this machine")
    os.chmod(workdir, 0o755)
    r = subprocess.run(["setpriv", "--reuid=65534", f"--regid={gid}", f"--groups={gid}", "gdbus", "call",
                        "--address", bus.address, "--dest", BUS_NAME, "--object-path", OBJECT_PATH,
                        "--method", f"{SERVICE_INTERFACE}.GetDiagnostics"],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 0, r.stderr


def test_position_and_remaining_are_coalesced(daemon, signals):
    """RollerPosition is emitted at most 10 times a second and Remaining once a second: an upper
    bound on counts over the measured window (a slow machine only ever sends fewer)."""
    import time
    start_demo(daemon)
    t0 = time.monotonic()
    chairtest.wait_for(lambda: len(signals.changed("RollerPosition")) >= 3, 10, "the roller to move")
    time.sleep(2)
    window = time.monotonic() - t0
    positions = signals.changed("RollerPosition")
    remaining = signals.changed("Remaining")
    daemon.call("Stop")
    assert len(positions) <= 10 * window + 2, f"{len(positions)} RollerPosition in {window:.1f} s"
    assert len(remaining) <= window + 2, f"{len(remaining)} Remaining in {window:.1f} s"
    assert remaining == sorted(remaining, reverse=True)
