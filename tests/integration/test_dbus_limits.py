"""The D-Bus API's limits (docs/dbus-api.md, "Limits"): every bounded argument refused just over
its limit with the argument named and accepted at it, duplicates refused; the technician
interface, properties included, refused to other callers; the shipped introspection XML equal to
the live one; stored fields with invalid UTF-8 still answered."""
import os
import subprocess
import xml.etree.ElementTree as ET

import dbus
import pytest

import chairtest
from chairtest import BUS_NAME, INTERFACE, OBJECT_PATH, SERVICE_INTERFACE

INVALID = "org.freedesktop.DBus.Error.InvalidArgs"
DENIED = "org.freedesktop.DBus.Error.AccessDenied"
PROPS = "org.freedesktop.DBus.Properties"
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
NAME_MAX = 64
ZONES = ["shoulders", "arms", "back", "seat", "calves", "feet"]

PROFILE = """[program]
id = limits
name = Limits
description = A profile padded to the upload limit
duration_s = 600
[step.only]
technique = roll
range = 0..1
speed = 2
repetitions = 4
"""


@pytest.fixture
def chair(daemon, bus):
    conn = dbus.bus.BusConnection(bus.address)
    obj = conn.get_object(BUS_NAME, OBJECT_PATH, introspect=False)
    yield obj
    conn.close()


def call(obj, method, signature, *args, interface=INTERFACE):
    """Calls with an explicit signature; returns None or the DBusException."""
    try:
        obj.get_dbus_method(method, interface)(*args, signature=signature)
    except dbus.exceptions.DBusException as e:
        return e
    return None


def refused(obj, method, signature, *args, names, interface=INTERFACE):
    e = call(obj, method, signature, *args, interface=interface)
    assert e is not None, f"{method}{args!r:.80} was accepted"
    assert e.get_dbus_name() == INVALID, f"{method}: {e.get_dbus_name()}: {e.get_dbus_message()}"
    assert names in e.get_dbus_message(), f"{method}: '{names}' not in '{e.get_dbus_message()}'"


def not_refused_for_args(obj, method, signature, *args, interface=INTERFACE):
    """The arguments pass their checks: the call succeeds or fails for another reason."""
    e = call(obj, method, signature, *args, interface=interface)
    assert e is None or e.get_dbus_name() != INVALID, f"{method}: {e.get_dbus_message()}"


def test_strings_at_and_over_the_limit(chair):
    at, over = "x" * NAME_MAX, "x" * (NAME_MAX + 1)
    # At the limit the argument passes the size check and fails as an unknown name.
    e = call(chair, "GetProgram", "s", at)
    assert e.get_dbus_name() == "org.massagechair.Chair1.Error.UnknownProgram", e.get_dbus_message()
    refused(chair, "GetProgram", "s", over, names="'id'")
    refused(chair, "Start", "sa{sv}", over, {}, names="'program'")
    refused(chair, "StartManual", "ssa{sv}", over, "full", {}, names="'technique'")
    refused(chair, "StartManual", "ssa{sv}", "knead", over, {}, names="'area'")
    refused(chair, "SetWidth", "s", over, names="'width'")
    refused(chair, "SetHeat", "su", over, 1, names="'zone'")
    refused(chair, "SetHeat", "su", at, 1, names="zone: unknown")
    refused(chair, "GetLatencyHistogram", "s", over, names="'which'", interface=SERVICE_INTERFACE)
    refused(chair, "InjectFault", "sb", over, True, names="'name'", interface=SERVICE_INTERFACE)
    refused(chair, "PressKey", "su", over, 0, names="'key'", interface=SERVICE_INTERFACE)
    # A string of a megabyte is refused as quickly as one byte over.
    refused(chair, "GetProgram", "s", "y" * (1 << 20), names="'id'")


def test_air_zones(chair):
    not_refused_for_args(chair, "SetAir", "asu", ZONES, 0)
    refused(chair, "SetAir", "asu", ZONES + ["feet"], 0, names="at most 6 zones")
    refused(chair, "SetAir", "asu", ["back", "seat", "back"], 0, names="'back' given twice")
    refused(chair, "SetAir", "asu", ["nose"], 0, names="unknown air zone 'nose'")
    refused(chair, "SetAir", "asu", ["x" * (NAME_MAX + 1)], 0, names="zones:")
    # The list of the original report: a very long one is refused at its seventh element.
    refused(chair, "SetAir", "asu", ["back"] * 200000, 0, names="zones:")
    refused(chair, "SetAir", "asu", [z + "x" for z in ZONES] * 30000, 0, names="zones:")
    refused(chair, "SetAir", "asu", ["back"], 6, names="intensity")


def test_options(chair):
    full = {"intensity": dbus.UInt32(2), "duration": dbus.UInt32(60), "scan": False, "heat": False}
    not_refused_for_args(chair, "Start", "sa{sv}", "demo", full)
    call(chair, "Stop", "")
    refused(chair, "Start", "sa{sv}", "demo", {"colour": "red"}, names="unknown option 'colour'")
    refused(chair, "Start", "sa{sv}", "demo", {"x" * (NAME_MAX + 1): "red"}, names="options key")
    refused(chair, "Start", "sa{sv}", "demo", {"intensity": "high"}, names="'intensity' must be of type u")
    refused(chair, "Start", "sa{sv}", "demo", {"scan": dbus.UInt32(1)}, names="'scan' must be of type b")
    refused(chair, "Start", "sa{sv}", "demo", {"intensity": dbus.UInt32(6)}, names="'intensity' must be 1-5")
    refused(chair, "StartManual", "ssa{sv}", "knead", "full", {"heat": "yes"}, names="'heat' must be of type b")


def test_duplicate_option_keys_refused(daemon, bus):
    # gdbus builds a{sv} from text, duplicates included.
    r = daemon.gcall("Start", "demo", "{'heat': <true>, 'heat': <false>}")
    assert r.returncode != 0 and INVALID in r.stderr and "'heat' given twice" in r.stderr, r.stdout + r.stderr
    r = daemon.gcall("Start", "demo", "{'heat': <true>, 'scan': <false>, 'intensity': <uint32 1>, "
                     "'duration': <uint32 60>, 'focus': <false>, 'colour': <1>}")
    assert r.returncode != 0 and INVALID in r.stderr and "at most 5 entries" in r.stderr, r.stderr


def test_conditions(chair, daemon):
    known = [c[0] for c in daemon.call("ListPrecautions")[0]]
    assert known
    not_refused_for_args(chair, "SetPrecautions", "as", known)
    refused(chair, "SetPrecautions", "as", known + [known[0]], names=f"at most {len(known)} conditions")
    if len(known) > 1:
        refused(chair, "SetPrecautions", "as", [known[0], known[0]], names=f"'{known[0]}' given twice")
    refused(chair, "SetPrecautions", "as", ["x" * (NAME_MAX + 1)], names="conditions:")
    refused(chair, "SetPrecautions", "as", ["x"] * 100000, names="conditions:")
    assert call(chair, "SetPrecautions", "as", []) is None


def test_list_max(chair):
    for method in ("GetHistory", "GetFaults"):
        assert call(chair, method, "u", 500) is None
        assert call(chair, method, "u", 0) is None
        refused(chair, method, "u", 501, names="max")
        refused(chair, method, "u", 0xffffffff, names="max")


def test_numbers(chair):
    refused(chair, "SetIntensity", "u", 6, names="level")
    refused(chair, "PressKey", "su", "stop", 30001, names="hold_ms", interface=SERVICE_INTERFACE)
    refused(chair, "RateSession", "tuu", 1, 11, 0, names="pain_before")
    refused(chair, "RateSession", "tuu", 1, 0, 11, names="pain_after")
    refused(chair, "MovePoint", "i", 21, names="steps")
    refused(chair, "AdjustShoulder", "i", -6, names="steps")
    refused(chair, "SaveMemory", "u", 3, names="slot")


def test_upload_size_is_exact(chair, workdir):
    pad = 65536 - len(PROFILE)
    lines = []
    while pad > 0:
        n = min(pad, 60)
        lines.append("#" * (n - 1) + "\n")
        pad -= n
    text = PROFILE + "".join(lines)
    assert len(text.encode()) == 65536
    e = call(chair, "UploadProfile", "ss", "limits.ini", text, interface=SERVICE_INTERFACE)
    assert e is None, e.get_dbus_message()
    assert os.path.getsize(os.path.join(workdir, "profiles.d", "limits.ini")) == 65536
    refused(chair, "UploadProfile", "ss", "limits.ini", text + "#", names="contents",
            interface=SERVICE_INTERFACE)
    refused(chair, "UploadProfile", "ss", "x" * 61 + ".ini", "", names="filename", interface=SERVICE_INTERFACE)
    e = call(chair, "UploadProfile", "ss", "x" * 60 + ".ini", "", interface=SERVICE_INTERFACE)
    assert e.get_dbus_name() == "org.massagechair.Chair1.Error.InvalidProfile", e.get_dbus_message()


# ---- access ----

def as_nobody(bus, *gdbus_args):
    return subprocess.run([*NOBODY, "gdbus", "call", "--address", bus.address, "--dest", BUS_NAME,
                           "--object-path", OBJECT_PATH, *gdbus_args],
                          capture_output=True, text=True, timeout=10 * chairtest.SLOWDOWN)


def test_technician_properties_refused_to_others(daemon, bus, workdir):
    r = as_nobody(bus, "--method", f"{PROPS}.Get", SERVICE_INTERFACE, "SchedulerStats")
    assert r.returncode != 0 and DENIED in r.stderr, r.stdout + r.stderr
    r = as_nobody(bus, "--method", f"{PROPS}.GetAll", SERVICE_INTERFACE)
    assert r.returncode != 0 and DENIED in r.stderr, r.stdout + r.stderr
    # busctl as nobody, a client we did not write.
    r = subprocess.run([*NOBODY, "busctl", f"--address={bus.address}", "get-property", BUS_NAME, OBJECT_PATH,
                        SERVICE_INTERFACE, "SchedulerStats"], capture_output=True, text=True, timeout=10)
    assert r.returncode != 0, r.stdout
    # The public interface stays open, GetAll included; root may read the technician's.
    r = as_nobody(bus, "--method", f"{PROPS}.GetAll", INTERFACE)
    assert r.returncode == 0 and "'State'" in r.stdout, r.stderr
    assert "count" in daemon.get_property("SchedulerStats", interface=SERVICE_INTERFACE)


def test_technician_methods_refused_to_others(daemon, bus, workdir):
    calls = [("ReloadProfiles", []), ("UploadProfile", ["x.ini", "''"]), ("ClearFault", []),
             ("GetDiagnostics", []), ("GetLatencyHistogram", ["wakeups"]), ("InjectFault", ["estop", "true"]),
             ("PressKey", ["stop", "0"]), ("Calibrate", []), ("SetDefaultTimer", ["uint32 10"]),
             ("TestOutput", ["heat_lumbar", "1", "uint32 100"])]
    for method, args in calls:
        r = as_nobody(bus, "--method", f"{SERVICE_INTERFACE}.{method}", *args)
        assert r.returncode != 0 and DENIED in r.stderr, f"{method}: {r.stdout} {r.stderr}"
    # Refused before the arguments are looked at: an oversized upload gets AccessDenied too.
    r = as_nobody(bus, "--method", f"{SERVICE_INTERFACE}.UploadProfile", "x.ini", "'" + "#" * 70000 + "'")
    assert r.returncode != 0 and DENIED in r.stderr, r.stderr


# ---- introspection ----

def canonical(element):
    """An element as (tag, attributes, children), children in document order."""
    return (element.tag, tuple(sorted(element.attrib.items())), tuple(canonical(c) for c in element))


def test_shipped_xml_equals_live_introspection(daemon, bus):
    """Members, signatures, argument names, directions and annotations, in order."""
    shipped = ET.parse(os.path.join(chairtest.SOURCE_DIR, "docs", "org.massagechair.Chair1.xml")).getroot()
    live = ET.fromstring(bus.busctl("introspect", "--xml-interface", BUS_NAME, OBJECT_PATH).stdout)
    for name in (INTERFACE, SERVICE_INTERFACE):
        want = [canonical(i) for i in shipped.findall("interface") if i.get("name") == name]
        have = [canonical(i) for i in live.findall("interface") if i.get("name") == name]
        assert len(want) == 1 and len(have) == 1, name
        if want != have:
            w, h = set(want[0][2]), set(have[0][2])
            raise AssertionError(f"{name}: only shipped: {sorted(w - h)}\nonly live: {sorted(h - w)}")
    assert sorted(i.get("name") for i in shipped.findall("interface")) == [INTERFACE, SERVICE_INTERFACE]


# ---- stored text that is not UTF-8 ----

def test_invalid_utf8_in_stored_fields(bus, workdir, start_daemon):
    state = os.path.join(workdir, "state")
    os.makedirs(state, exist_ok=True)
    with open(os.path.join(state, "history"), "wb") as f:
        f.write(b"17\tdemo\xff\xfe\t1700000000000000\t60\t2\t65535\t65535\tstop\xc3\n")
    with open(os.path.join(state, "faults"), "wb") as f:
        f.write(b"1700000000000000\tair-\xe2\x82\tpressure \xed\xa0\x80 high \xc0\xaf\ttech\xf8\n")
    d = start_daemon()
    history = d.call("GetHistory", "u", 10)[0]
    faults = d.call("GetFaults", "u", 10)[0]
    # Either the file reader or the bus layer replaced the bytes; the reply never fails.
    if history:
        assert history[0][1].startswith("demo") and history[0][1] != "demo\xff\xfe"
    if faults:
        assert faults[0][1].startswith("air-") and faults[0][2].startswith("pressure ")
    conn = dbus.bus.BusConnection(bus.address)
    try:
        props = dbus.Interface(conn.get_object(BUS_NAME, OBJECT_PATH), PROPS)
        assert "State" in props.GetAll(INTERFACE)
    finally:
        conn.close()


def test_technician_group_member_reads_properties(daemon, bus, workdir):
    try:
        import grp
        gid = grp.getgrnam("chairtech").gr_gid
    except KeyError:
        pytest.skip("no chairtech group on this machine")
    member = ["setpriv", "--reuid=65534", f"--regid={gid}", f"--groups={gid}"]
    for args in ([f"{PROPS}.Get", SERVICE_INTERFACE, "SchedulerStats"], [f"{PROPS}.GetAll", SERVICE_INTERFACE]):
        r = subprocess.run([*member, "gdbus", "call", "--address", bus.address, "--dest", BUS_NAME,
                            "--object-path", OBJECT_PATH, "--method", *args],
                           capture_output=True, text=True, timeout=10 * chairtest.SLOWDOWN)
        assert r.returncode == 0 and "count" in r.stdout, r.stderr
