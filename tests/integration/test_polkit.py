"""Authorization through polkit (daemon/bus/bus-polkit.c) against a fake polkit authority on the
private bus: a python-dbus service owning org.freedesktop.PolicyKit1 that records what it is
asked and answers yes, no, challenge or not yet, per action. The subject is the caller's bus
name; each guarded member asks its own action of systemd/org.massagechair.Chair1.policy; a slow
polkit stalls nobody else; a crashed or absent one leaves the group check (an absent one kept until
its name has an owner, each caller's credentials until its name goes); floods are bounded.
Where polkitd is installed, the real one too, on the private bus (test_real_polkitd); under
systemd with the system bus, tests/vm/systemd."""
import json
import os
import shutil
import signal
import subprocess
import xml.etree.ElementTree as ET

import dbus
import dbus.mainloop.glib
import pytest
from gi.repository import GLib

import chairtest
from chairtest import BUS_NAME, INTERFACE, OBJECT_PATH, SERVICE_INTERFACE

DENIED = "org.freedesktop.DBus.Error.AccessDenied"
LIMITS = "org.freedesktop.DBus.Error.LimitsExceeded"
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
POLKIT_NAME = "org.freedesktop.PolicyKit1"
POLICY = os.path.join(chairtest.SOURCE_DIR, "systemd", "org.massagechair.Chair1.policy")
# Must match bus-polkit.h.
MAX_PENDING, MAX_PER_CALLER = 64, 8

FAKE = r'''
import json, sys
import dbus, dbus.service, dbus.mainloop.glib
from gi.repository import GLib

dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
address, log_path, mode_path = sys.argv[1:4]
conn = dbus.bus.BusConnection(address)
pending = []

def mode(action):
    try:
        with open(mode_path) as f:
            modes = json.load(f)
    except (OSError, ValueError):
        modes = {}
    return modes.get(action, modes.get("default", "yes"))

def answer():
    keep = []
    for action, ok, err in pending:
        m = mode(action)
        if m == "hang":
            keep.append((action, ok, err))
        elif m.startswith("error:"):
            err(dbus.exceptions.DBusException("fake polkit failed", name=m[6:]))
        else:
            ok((m == "yes", m == "challenge", dbus.Dictionary({}, signature="ss")))
    pending[:] = keep
    return True

class Authority(dbus.service.Object):
    @dbus.service.method("org.freedesktop.PolicyKit1.Authority", in_signature="(sa{sv})sa{ss}us",
                         out_signature="(bba{ss})", async_callbacks=("ok", "err"))
    def CheckAuthorization(self, subject, action, details, flags, cancel, ok, err):
        with open(log_path, "a") as f:
            f.write(json.dumps({"kind": str(subject[0]),
                                "subject": {str(k): str(v) for k, v in subject[1].items()},
                                "action": str(action), "flags": int(flags)}) + "\n")
        pending.append((str(action), ok, err))
        answer()

Authority(conn, "/org/freedesktop/PolicyKit1/Authority")
name = dbus.service.BusName("org.freedesktop.PolicyKit1", conn)
GLib.timeout_add(20, answer)
GLib.MainLoop().run()
'''


class FakePolkit:
    def __init__(self, bus, workdir, modes=None):
        self.bus = bus
        self.log = os.path.join(workdir, "polkit-requests.jsonl")
        self.mode_path = os.path.join(workdir, "polkit-mode.json")
        script = os.path.join(workdir, "fake-polkit.py")
        with open(script, "w") as f:
            f.write(FAKE)
        open(self.log, "w").close()
        self.set(modes or {"default": "yes"})
        self.process = chairtest.Process(["/usr/bin/python3", script, bus.address, self.log, self.mode_path],
                                         os.path.join(workdir, "fake-polkit.log"))
        chairtest.wait_for(lambda: bus.name_has_owner(POLKIT_NAME), 10, "the fake polkit to own its name")

    def set(self, modes):
        tmp = self.mode_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(modes, f)
        os.rename(tmp, self.mode_path)

    def requests(self):
        with open(self.log) as f:
            return [json.loads(line) for line in f if line.strip()]

    def stop(self):
        self.process.stop()


@pytest.fixture
def polkit(bus, workdir):
    fakes = []

    def start(modes=None):
        fakes.append(FakePolkit(bus, workdir, modes))
        return fakes[-1]
    yield start
    for f in fakes:
        f.stop()


def policy_actions():
    return {a.get("id") for a in ET.parse(POLICY).getroot().iter("action")}


def connect(bus):
    return dbus.bus.BusConnection(bus.address, mainloop=dbus.mainloop.glib.DBusGMainLoop())


def dbus_error(call):
    try:
        call()
    except dbus.exceptions.DBusException as e:
        return e.get_dbus_name(), e.get_dbus_message()
    return None, None


def pump_until(predicate, timeout, what):
    ctx = GLib.MainContext.default()

    def step():
        while ctx.pending():
            ctx.iteration(False)
        return predicate()
    chairtest.wait_for(step, timeout, what)


# Every member of the Service interface with arguments it accepts (or refuses after the check);
# test_each_member_asks_its_action fails when the interface has a member this table lacks.
SERVICE_CALLS = {
    "ReloadProfiles": (), "UploadProfile": ("x.ini", "not a profile"), "ClearFault": (),
    "GetDiagnostics": (), "GetLatencyHistogram": ("wakeups",), "InjectFault": ("no-such-fault", True),
    "PressKey": ("no-such-key", dbus.UInt32(0)), "Calibrate": (), "SetDefaultTimer": (dbus.UInt32(20),),
    "TestOutput": ("no-such-output", dbus.Int32(1), dbus.UInt32(100)),
    "SimSetOccupant": (True, dbus.UInt32(450), True),
}


def test_each_member_asks_its_action(daemon, bus, polkit):
    fake = polkit()
    conn = connect(bus)
    obj = conn.get_object(BUS_NAME, OBJECT_PATH, introspect=False)
    root = ET.fromstring(obj.Introspect(dbus_interface="org.freedesktop.DBus.Introspectable"))
    service = next(i for i in root.iter("interface") if i.get("name") == SERVICE_INTERFACE)
    assert {m.get("name") for m in service.iter("method")} == set(SERVICE_CALLS)
    props = {p.get("name") for p in service.iter("property")}
    me = conn.get_unique_name()

    asked = {}

    def check(member, call):
        before = len(fake.requests())
        dbus_error(call)
        new = fake.requests()[before:]
        assert len(new) == 1, f"{member}: {new}"
        assert new[0]["kind"] == "system-bus-name" and new[0]["subject"] == {"name": me}, new[0]
        assert new[0]["flags"] == 0, new[0]
        asked[member] = new[0]["action"]

    for member, args in SERVICE_CALLS.items():
        check(member, lambda: obj.get_dbus_method(member, SERVICE_INTERFACE)(*args))
    for prop in props:
        check(prop, lambda: obj.Get(SERVICE_INTERFACE, prop, dbus_interface=dbus.PROPERTIES_IFACE))
    check("GetAll(Service)", lambda: obj.GetAll(SERVICE_INTERFACE, dbus_interface=dbus.PROPERTIES_IFACE))
    check("GetHistory", lambda: obj.GetHistory(dbus.UInt32(5), dbus_interface=INTERFACE))
    # A person's programs (the guest's object; test_people_dbus checks every Person member).
    guest = conn.get_object(BUS_NAME, OBJECT_PATH + "/people/0", introspect=False)
    check("InstallProgram", lambda: guest.InstallProgram("x.ini", "[program]",
                                                         dbus_interface="org.massagechair.Chair1.Person"))
    # Loosening a person's limits, renaming, deleting (the guest: refused after the check).
    check("Delete", lambda: guest.Delete("guest", dbus_interface="org.massagechair.Chair1.Person"))
    assert asked["GetAll(Service)"] == asked["SchedulerStats"]
    assert asked["Delete"] == "org.massagechair.Chair1.manage-people"
    assert asked["GetHistory"] == "org.massagechair.Chair1.read-health"
    assert asked["InstallProgram"] == "org.massagechair.Chair1.install-person-program"
    del asked["GetAll(Service)"]
    # One action per member, each declared in the policy file, every declared one used.
    assert len(set(asked.values())) == len(asked), asked
    assert set(asked.values()) == policy_actions(), asked

    # The public interface asks nobody.
    before = len(fake.requests())
    obj.ListPrograms(dbus_interface=INTERFACE)
    obj.GetAll(INTERFACE, dbus_interface=dbus.PROPERTIES_IFACE)
    obj.Stop(dbus_interface=INTERFACE)
    assert len(fake.requests()) == before


def test_getall_of_every_interface_is_guarded(daemon, bus, polkit):
    # GetAll("") returns the properties of every interface, SchedulerStats among them.
    fake = polkit()
    obj = connect(bus).get_object(BUS_NAME, OBJECT_PATH, introspect=False)
    props = obj.GetAll("", dbus_interface=dbus.PROPERTIES_IFACE)
    assert "SchedulerStats" in props and "State" in props
    assert [r["action"] for r in fake.requests()] == ["org.massagechair.Chair1.read-scheduler-stats"]
    fake.set({"default": "no"})
    assert dbus_error(lambda: obj.GetAll("", dbus_interface=dbus.PROPERTIES_IFACE))[0] == DENIED


def test_interactive_flag_passed_on(daemon, bus, polkit):
    fake = polkit()
    # busctl allows interactive authorization by default; --allow-interactive-authorization=no not.
    bus.busctl("call", BUS_NAME, OBJECT_PATH, SERVICE_INTERFACE, "ClearFault")
    bus.busctl("--allow-interactive-authorization=no", "call", BUS_NAME, OBJECT_PATH, SERVICE_INTERFACE, "ClearFault")
    assert [r["flags"] for r in fake.requests()] == [1, 0]


def test_polkit_no_refuses_even_root(daemon, bus, polkit):
    fake = polkit({"default": "no"})
    conn = connect(bus)
    obj = conn.get_object(BUS_NAME, OBJECT_PATH, introspect=False)
    svc = dbus.Interface(obj, SERVICE_INTERFACE)
    assert dbus_error(svc.ClearFault)[0] == DENIED
    assert dbus_error(lambda: svc.SetDefaultTimer(dbus.UInt32(30)))[0] == DENIED
    assert dbus_error(lambda: obj.GetHistory(dbus.UInt32(5), dbus_interface=INTERFACE))[0] == DENIED
    assert dbus_error(lambda: obj.Get(SERVICE_INTERFACE, "SchedulerStats",
                                      dbus_interface=dbus.PROPERTIES_IFACE))[0] == DENIED
    assert dbus_error(lambda: obj.GetAll(SERVICE_INTERFACE, dbus_interface=dbus.PROPERTIES_IFACE))[0] == DENIED
    fake.set({"default": "challenge"})
    name, message = dbus_error(svc.ClearFault)
    assert name == DENIED and "interactive" in message, message
    # Nothing is kept across calls: yes now, no again, each asked anew.
    fake.set({"default": "yes"})
    assert dbus_error(svc.ClearFault)[0] is None
    fake.set({"default": "no"})
    assert dbus_error(svc.ClearFault)[0] == DENIED
    assert len(fake.requests()) == 8


def test_polkit_errors(daemon, bus, workdir, polkit):
    # polkitd fails: refused, even root.
    fake = polkit({"default": "error:org.freedesktop.PolicyKit1.Error.Failed"})
    r = bus.busctl("call", BUS_NAME, OBJECT_PATH, SERVICE_INTERFACE, "ClearFault", check=False)
    assert r.returncode != 0 and "ccess denied" in r.stderr, r.stderr
    # polkitd cannot be activated (its unit masked): the group decides.
    fake.set({"default": "error:org.freedesktop.systemd1.UnitMasked"})
    bus.busctl("call", BUS_NAME, OBJECT_PATH, SERVICE_INTERFACE, "ClearFault")
    r = nobody_busctl(bus, workdir, INTERFACE, "GetHistory", "u", "5")
    assert r.returncode != 0 and "ccess denied" in r.stderr, r.stderr
    assert len(fake.requests()) == 3


def test_slow_polkit_stalls_nobody(daemon, bus, polkit):
    fake = polkit({"default": "yes", "org.massagechair.Chair1.clear-fault": "hang"})
    pending = subprocess.Popen(["busctl", f"--address={bus.address}", "--timeout=60", "call", BUS_NAME,
                                OBJECT_PATH, SERVICE_INTERFACE, "ClearFault"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        chairtest.wait_for(lambda: any(r["action"].endswith("clear-fault") for r in fake.requests()),
                           10 * chairtest.SLOWDOWN, "ClearFault's check to reach polkit")
        # While that check hangs: the public interface, properties, and the simulated e-stop.
        daemon.call("Start", "sa{sv}", "demo", 1, "scan", "b", "false")
        daemon.call("Stop")
        assert daemon.get_property("State") in ("settling", "idle")
        assert daemon.call("ListPrograms")
        daemon.call("InjectFault", "sb", "estop", "true", interface=SERVICE_INTERFACE)
        chairtest.wait_for(lambda: daemon.get_property("Fault") == "emergency-stop", 10, "the e-stop fault")
        assert daemon.get_property("State") == "fault"
        daemon.call("InjectFault", "sb", "estop", "false", interface=SERVICE_INTERFACE)
        assert pending.poll() is None, "ClearFault was answered while its check was pending"
        # polkit answers: the call waiting all along now clears the fault.
        fake.set({"default": "yes"})
        out, err = pending.communicate(timeout=30 * chairtest.SLOWDOWN)
        assert pending.returncode == 0, err
        chairtest.wait_for(lambda: daemon.get_property("State") == "idle", 10, "idle after ClearFault")
    finally:
        if pending.poll() is None:
            pending.kill()
            pending.wait(timeout=10)


def nobody_busctl(bus, workdir, *args):
    os.chmod(workdir, 0o755)
    return subprocess.run([*NOBODY, "busctl", f"--address={bus.address}", "call", BUS_NAME, OBJECT_PATH, *args],
                          capture_output=True, text=True, timeout=20 * chairtest.SLOWDOWN)


def test_absent_polkit_leaves_the_group_check(daemon, bus, workdir):
    assert not bus.name_has_owner(POLKIT_NAME)
    bus.busctl("call", BUS_NAME, OBJECT_PATH, SERVICE_INTERFACE, "ClearFault")
    bus.busctl("call", BUS_NAME, OBJECT_PATH, INTERFACE, "GetHistory", "u", "5")
    for args in ((SERVICE_INTERFACE, "ClearFault"), (INTERFACE, "GetHistory", "u", "5")):
        r = nobody_busctl(bus, workdir, *args)
        assert r.returncode != 0 and "ccess denied" in r.stderr, (args, r.stderr)
    r = nobody_busctl(bus, workdir, INTERFACE, "ListPrograms")
    assert r.returncode == 0, r.stderr



def test_polkit_appearing_is_asked(daemon, bus, workdir, polkit):
    # Absent: the bus says so and the daemon keeps that, until polkit's name has an owner.
    assert not bus.name_has_owner(POLKIT_NAME)
    for _ in range(2):
        r = nobody_busctl(bus, workdir, INTERFACE, "GetHistory", "u", "5")
        assert r.returncode != 0 and "ccess denied" in r.stderr, r.stderr
    # polkit starts after the daemon: asked at once, and its yes lets nobody in.
    fake = polkit({"default": "yes"})
    r = nobody_busctl(bus, workdir, INTERFACE, "GetHistory", "u", "5")
    assert r.returncode == 0, r.stderr
    assert [q["action"] for q in fake.requests()] == ["org.massagechair.Chair1.read-health"]
    # Its answers are still asked per call.
    fake.set({"default": "no"})
    bus.busctl("call", BUS_NAME, OBJECT_PATH, SERVICE_INTERFACE, "ClearFault", check=False)
    assert len(fake.requests()) == 2
    # Gone again: the group decides again.
    fake.stop()
    chairtest.wait_for(lambda: not bus.name_has_owner(POLKIT_NAME), 10, "the fake polkit's name to go")
    r = nobody_busctl(bus, workdir, INTERFACE, "GetHistory", "u", "5")
    assert r.returncode != 0 and "ccess denied" in r.stderr, r.stderr
    bus.busctl("call", BUS_NAME, OBJECT_PATH, INTERFACE, "GetHistory", "u", "5")


def test_credentials_kept_per_caller_until_it_goes(start_daemon, bus, workdir):
    """Without polkit, a caller's credentials are asked of the bus once and dropped when its
    unique name goes; the daemon's debug log (--verbose) says each."""
    daemon = start_daemon(args=("--simulate", "--verbose"))
    asked = "polkit absent: asking the bus for the credentials of "
    dropped = "polkit absent: {} disconnected, its credentials dropped."

    def log_count(line):
        return daemon.output().count(line)

    root = connect(bus)
    me = root.get_unique_name()
    obj = root.get_object(BUS_NAME, OBJECT_PATH, introspect=False)
    for _ in range(3):
        obj.GetHistory(dbus.UInt32(5), dbus_interface=INTERFACE)
        obj.Get(SERVICE_INTERFACE, "SchedulerStats", dbus_interface=dbus.PROPERTIES_IFACE)
    assert log_count(asked + me + ".") == 1, daemon.output()
    assert log_count(dropped.format(me)) == 0
    root.close()
    chairtest.wait_for(lambda: log_count(dropped.format(me)) == 1, 10 * chairtest.SLOWDOWN,
                       "the closed caller's credentials dropped")
    # Another caller, other credentials, never the kept ones: nobody is refused, asked anew.
    before = daemon.output().count(asked)
    r = nobody_busctl(bus, workdir, INTERFACE, "GetHistory", "u", "5")
    assert r.returncode != 0 and "ccess denied" in r.stderr, r.stderr
    assert daemon.output().count(asked) == before + 1
    # busctl has gone too: its entry with it, so the daemon keeps none.
    chairtest.wait_for(lambda: daemon.output().count("disconnected, its credentials dropped.") == 2,
                       10 * chairtest.SLOWDOWN, "busctl's credentials dropped")

def test_crashed_polkit_leaves_the_group_check(daemon, bus, workdir, polkit):
    fake = polkit({"default": "hang"})
    pending = subprocess.Popen(["busctl", f"--address={bus.address}", "--timeout=60", "call", BUS_NAME,
                                OBJECT_PATH, SERVICE_INTERFACE, "ClearFault"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        chairtest.wait_for(lambda: fake.requests(), 10 * chairtest.SLOWDOWN, "ClearFault's check to reach polkit")
        fake.process.signal(signal.SIGKILL)
        # The bus answers NoReply for the dead authority: root passes the group check.
        out, err = pending.communicate(timeout=30 * chairtest.SLOWDOWN)
        assert pending.returncode == 0, err
    finally:
        if pending.poll() is None:
            pending.kill()
            pending.wait(timeout=10)
    chairtest.wait_for(lambda: not bus.name_has_owner(POLKIT_NAME), 10, "the fake polkit's name to go")
    bus.busctl("call", BUS_NAME, OBJECT_PATH, SERVICE_INTERFACE, "ClearFault")
    r = nobody_busctl(bus, workdir, SERVICE_INTERFACE, "ClearFault")
    assert r.returncode != 0 and "ccess denied" in r.stderr, r.stderr


def test_pending_checks_are_bounded(daemon, bus, polkit):
    fake = polkit({"default": "hang"})
    results = {}

    def fire(conn, key, n):
        svc = dbus.Interface(conn.get_object(BUS_NAME, OBJECT_PATH, introspect=False), SERVICE_INTERFACE)
        for i in range(n):
            k = (key, i)
            svc.ClearFault(reply_handler=lambda k=k: results.__setitem__(k, "ok"),
                           error_handler=lambda e, k=k: results.__setitem__(k, e.get_dbus_name()), timeout=120)

    # One caller: past its share, refused at once; the others wait for polkit.
    first = connect(bus)
    fire(first, "first", MAX_PER_CALLER + 4)
    pump_until(lambda: len(results) == 4 and len(fake.requests()) == MAX_PER_CALLER, 20 * chairtest.SLOWDOWN,
               "the calls past the caller's share refused")
    assert set(results.values()) == {LIMITS}
    # Many callers: past the overall bound, refused too.
    others = [connect(bus) for _ in range(MAX_PENDING // MAX_PER_CALLER)]
    for n, conn in enumerate(others):
        fire(conn, n, MAX_PER_CALLER)
    pump_until(lambda: len(results) == 4 + MAX_PER_CALLER and len(fake.requests()) == MAX_PENDING,
               20 * chairtest.SLOWDOWN, "the calls past the overall bound refused")
    assert set(results.values()) == {LIMITS}
    # The daemon still serves everyone else.
    assert daemon.get_property("State") == "idle"
    # polkit answers: every pending call completes.
    fake.set({"default": "yes"})
    pump_until(lambda: len(results) == 4 + MAX_PER_CALLER * (1 + len(others)), 30 * chairtest.SLOWDOWN,
               "every pending call answered")
    assert list(results.values()).count("ok") == MAX_PENDING
    for conn in [first, *others]:
        conn.close()


POLKITD = "/usr/lib/polkit-1/polkitd"


def test_real_polkitd(daemon, bus, workdir):
    """The real polkitd on the private bus, in a mount namespace of its own that holds only our
    policy and rules (and one test rule): the daemon's questions reach it and it decides on the
    caller, not on the daemon."""
    if not os.access(POLKITD, os.X_OK) or os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("needs polkitd installed, root and unshare (a private mount namespace)")
    actions, rules, empty = (os.path.join(workdir, n) for n in ("pk-actions", "pk-rules", "pk-empty"))
    for d in (actions, rules, empty):
        os.makedirs(d)
        os.chmod(d, 0o755)
    os.chmod(workdir, 0o755)
    shutil.copy(POLICY, actions)
    shutil.copy(os.path.join(chairtest.SOURCE_DIR, "systemd", "massagechair.polkit.rules"),
                          os.path.join(rules, "50-massagechair.rules"))
    # nobody may read health data: only polkitd, deciding on the caller, can say so (the group
    # fallback refuses nobody).
    with open(os.path.join(rules, "00-test.rules"), "w") as f:
        f.write('polkit.addRule(function(action, subject) {\n'
                '    if (action.id == "org.massagechair.Chair1.read-health" && subject.user == "nobody")\n'
                '        return polkit.Result.YES;\n'
                '});\n')
    for d in (actions, rules):
        for n in os.listdir(d):
            os.chmod(os.path.join(d, n), 0o644)
    script = (f"mount --bind {actions} /usr/share/polkit-1/actions && "
              f"mount --bind {rules} /usr/share/polkit-1/rules.d && "
              f"mount --bind {empty} /etc/polkit-1/rules.d && exec {POLKITD} --no-debug")
    pk = chairtest.Process(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                           os.path.join(workdir, "polkitd.log"), env=bus.env())
    try:
        try:
            chairtest.wait_for(lambda: pk.poll() is None and bus.name_has_owner(POLKIT_NAME), 15, "polkitd")
        except AssertionError:
            pytest.skip(f"polkitd did not start here: {pk.output()[-300:]}")
        bus.busctl("call", BUS_NAME, OBJECT_PATH, SERVICE_INTERFACE, "ClearFault")
        r = nobody_busctl(bus, workdir, INTERFACE, "GetHistory", "u", "5")
        assert r.returncode == 0, r.stderr
        r = nobody_busctl(bus, workdir, SERVICE_INTERFACE, "ClearFault")
        assert r.returncode != 0 and "ccess denied" in r.stderr, r.stderr
    finally:
        pk.stop()
    # polkitd gone: the group again.
    chairtest.wait_for(lambda: not bus.name_has_owner(POLKIT_NAME), 10, "polkitd's name to go")
    r = nobody_busctl(bus, workdir, INTERFACE, "GetHistory", "u", "5")
    assert r.returncode != 0 and "ccess denied" in r.stderr, r.stderr
    bus.busctl("call", BUS_NAME, OBJECT_PATH, SERVICE_INTERFACE, "ClearFault")
