"""chairctl's posture verbs (issue #19): posture [stop], capabilities, preset, upright, fit-legs,
move (hold-to-run), foot-rollers and calf, end to end against massagechaird --simulate on a
private bus: the positions change, a move renews its lease and releases it at its end, on
SIGINT and SIGTERM, and the axis stops when chairctl is killed (SIGKILL: the daemon tracks the
connection) or stopped (SIGSTOP: the lease lapses); refusals print the daemon's sentence and
exit 1; usage errors exit 2 before any bus; status and monitor show the posture; the help, the
man page and the completion come from the axes' and presets' tables."""
import json
import os
import re
import signal
import subprocess
import time

import pytest

import chairtest
from test_chairctl_conventions import ctl  # noqa: F401 (the fixture)

POSTURE_PATH = "/org/massagechair/Chair1/posture"
POSTURE_INTERFACE = "org.massagechair.Chair1.Posture"
NOT_OCCUPIED = "org.massagechair.Chair1.Error.NotOccupied"
LEASE_S = 0.5   # chairctl move's lease (tools/chairctl/posture-command.c)
ISO_UTC = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


def c_table(path, pattern):
    """The first string of each entry of one C table in the source tree."""
    with open(os.path.join(chairtest.SOURCE_DIR, path)) as f:
        text = f.read()
    body = re.search(re.escape(pattern) + r"[^{]*\{(.*?)\n\};", text, re.S).group(1)
    return re.findall(r'^\s*\[[A-Z_0-9]+\]\s*=\s*\{\s*"([^"]+)"', body, re.M) or re.findall(r'\{\s*"([^"]+)"', body)


AXES = c_table("common/chair-io.c", "chair_axis_info axes[_CHAIR_AXIS_MAX] =")
PRESETS = c_table("common/posture-presets.c", "presets[_POSTURE_PRESET_MAX] =")
VERBS = ["posture", "capabilities", "preset", "upright", "fit-legs", "move", "foot-rollers", "calf"]


def prop(bus, name):
    r = bus.busctl("get-property", "--json=short", chairtest.BUS_NAME, POSTURE_PATH, POSTURE_INTERFACE, name)
    return json.loads(r.stdout)["data"]


def sim_occupant(bus, seated, leg_mm=300, feet_on=True):
    """Service.SimSetOccupant: the simulated chair's foot rest reaches 380 mm and more as it
    extends, so a person of LEG_MM 300 has the feet on it and one of 420 after the fit."""
    bus.busctl("call", chairtest.BUS_NAME, chairtest.OBJECT_PATH, chairtest.SERVICE_INTERFACE, "SimSetOccupant",
               "bub", "true" if seated else "false", str(leg_mm), "true" if feet_on else "false")


def posture(ctl):
    r = ctl("--json", "posture")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def wait_still(bus, axis, timeout=5):
    chairtest.wait_for(lambda: prop(bus, "Motions")[axis] == "still", timeout, f"{axis} still")


def settle(bus):
    """Waits until no axis moves and the positions no longer change."""
    chairtest.wait_for(lambda: set(prop(bus, "Motions").values()) == {"still"}, 60, "every axis still")
    before = None
    for _ in range(int(20 * chairtest.SLOWDOWN)):
        now = prop(bus, "Positions")
        if now == before:
            return now
        before = now
        time.sleep(0.3)
    raise AssertionError(f"the positions still change: {now}")


# ---- no daemon needed ----

def test_help_man_and_completion_list_the_verbs(ctl):
    assert AXES == ["recline", "legrest_lift", "legrest_extend", "seat_slide"], AXES
    assert PRESETS[0] == "upright" and "zero-gravity-1" in PRESETS, PRESETS
    help_text = ctl("--help").stdout
    for verb in VERBS:
        assert re.search(rf"^  {re.escape(verb)}( |$)", help_text, re.M), (verb, help_text)
        r = ctl("help", verb)
        assert r.returncode == 0 and re.match(rf"Usage: chairctl (\[--json=MODE\] )?{verb}\b", r.stdout), (verb, r)
    assert "move " + "|".join(AXES) + " up|down [SECONDS]" in help_text
    assert "preset " + "|".join(PRESETS) in help_text
    with open(os.path.join(chairtest.SOURCE_DIR, "man", "chairctl.1")) as f:
        man = f.read().replace("\\-", "-")
    for verb in VERBS:
        assert f".B {verb}\n" in man, verb
    assert '.I "' + "|".join(AXES) + ' up|down [SECONDS]"' in man and ".SH \"POSTURE AND THE LEGS\"" in man

    def complete(*args):
        r = subprocess.run([chairtest.binary("chairctl"), "__complete", *args], capture_output=True, text=True,
                           timeout=10, env={"DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nonexistent"})
        return r.stdout.split()
    assert set(VERBS) <= set(complete())
    assert complete("move") == AXES and complete("move", "recline") == ["up", "down"]
    assert complete("preset") == PRESETS and complete("posture") == ["stop"]


@pytest.mark.parametrize("args,names", [
    (["preset", "zero-gravity-9"], ["'zero-gravity-9'", ", ".join(PRESETS)]),
    (["move", "backrest", "up"], ["'backrest'", ", ".join(AXES)]),
    (["move", "recline", "sideways"], ["'sideways'", "up or down"]),
    (["move", "recline", "up", "31"], ["'31'", "0.1-30"]),
    (["move", "recline", "up", "0"], ["'0'"]),
    (["move", "recline"], ["move AXIS up|down [SECONDS]", ", ".join(AXES)]),
    (["foot-rollers", "101"], ["'101'", "-100-100"]),
    (["calf", "-1"], ["'-1'", "0-100"]),
    (["calf", "lots"], ["'lots'"]),
    (["posture", "go"], ["'go'", "stop"]),
    (["--json", "posture", "stop"], ["--json"]),
    (["--json", "preset", "flat"], ["--json"]),
    (["upright", "now"], ["'now'"]),
    (["preset"], ["preset " + "|".join(PRESETS)]),
])
def test_usage_errors_exit_2_before_any_bus(ctl, args, names):
    r = ctl(*args)
    assert r.returncode == 2, (args, r.returncode, r.stderr)
    assert r.stderr.count("\n") == 1 and "Try 'chairctl --help'" in r.stderr, (args, r.stderr)
    for name in names:
        assert name in r.stderr, (args, name, r.stderr)


# ---- against the daemon ----

def seated(bus, feet_on=True):
    sim_occupant(bus, True, 300, feet_on)
    chairtest.wait_for(lambda: prop(bus, "Occupied") and prop(bus, "FeetOn") == feet_on, 5, "the occupant felt")


def test_posture_shows_the_axes(daemon, bus, ctl):
    seated(bus)
    p = posture(ctl)
    assert list(p["axes"]) == AXES == prop(bus, "Axes"), p
    for axis in AXES:
        assert p["axes"][axis]["motion"] == "still" and 0 <= p["axes"][axis]["position_permille"] <= 1000, p
        assert p["axes"][axis]["position_permille"] == prop(bus, "Positions")[axis]
    assert p["occupied"] and p["feet_on"] and p["pinched_axis"] == "", p
    assert p["foot_rollers"] == 0 and p["calf_knead"] == 0
    pretty = ctl("--json=pretty", "posture").stdout
    assert pretty.count("\n") > 10 and json.loads(pretty) == p
    text = ctl("posture").stdout
    assert text.startswith("AXIS ") and "POSITION" in text
    for axis in AXES:
        assert re.search(rf"^{axis} +\d+\.\d % +still$", text, re.M), text
    assert "Occupant: seated, feet on the foot rest" in text and "Foot rollers: 0 %" in text
    seated(bus, feet_on=False)
    assert "Occupant: seated, feet off the foot rest" in ctl("posture").stdout
    assert "Occupant" not in ctl("status").stdout
    assert not ctl("posture", "--no-legend").stdout.startswith("AXIS ")


def test_capabilities(daemon, bus, ctl):
    caps = json.loads(ctl("--json", "capabilities").stdout)
    assert caps["axes"] == AXES and caps["presets"] == PRESETS, caps
    assert set(caps["leg-channels"]) == {"foot_rollers", "calf_knead"}, caps
    assert caps["intensity"] == {"min": 1, "max": 5}, caps
    assert caps["timer-minutes"] == [10, 20, 30] and caps["air-zones"] and caps["heat-zones"], caps
    assert json.loads(ctl("--json=pretty", "capabilities").stdout) == caps
    text = ctl("capabilities").stdout
    assert re.search(r"^ +axes: " + " ".join(AXES) + "$", text, re.M), text
    assert re.search(r"^ +intensity: 1-5$", text, re.M), text


def test_preset_moves_the_axes_and_posture_stop_stops_them(daemon, bus, ctl):
    start = prop(bus, "Positions")
    r = ctl("preset", "zero-gravity-1")
    assert r.returncode == 0 and not r.stdout and not r.stderr, r
    chairtest.wait_for(lambda: posture(ctl)["axes"]["recline"]["motion"] == "preset", 5, "the preset under way")
    chairtest.wait_for(lambda: prop(bus, "Positions")["recline"] > start["recline"], 10, "the recline moving")
    # status and monitor say so while it runs.
    assert re.search(r"^     Posture: recline \d+% \(preset\), ", ctl("status").stdout, re.M)
    assert re.search(r"^  motion    recline preset, legrest_lift preset", ctl("monitor", "--once").stdout, re.M)
    assert ctl("posture", "stop").returncode == 0
    chairtest.wait_for(lambda: set(prop(bus, "Motions").values()) == {"still"}, 5, "every axis still")
    stopped = settle(bus)
    assert stopped["recline"] > start["recline"], (start, stopped)


def test_upright_returns_and_fit_legs_extends(daemon, bus, ctl):
    assert ctl("move", "recline", "down", "1").returncode == 0
    reclined = settle(bus)["recline"]
    assert reclined > 0
    r = ctl("upright")
    assert r.returncode == 0, r.stderr
    chairtest.wait_for(lambda: prop(bus, "Positions")["recline"] < reclined, 10, "the recline coming up")
    assert ctl("posture", "stop").returncode == 0
    # The fit extends the leg rest while the feet are not felt on the foot rest, and stops at them.
    sim_occupant(bus, True, 420, True)
    chairtest.wait_for(lambda: not prop(bus, "FeetOn"), 5, "the feet off the foot rest")
    before = prop(bus, "Positions")["legrest_extend"]
    r = ctl("fit-legs")
    assert r.returncode == 0, r.stderr
    chairtest.wait_for(lambda: posture(ctl)["axes"]["legrest_extend"]["motion"] == "fit", 5, "the fit under way")
    chairtest.wait_for(lambda: prop(bus, "FeetOn"), 20, "the foot rest at the feet")
    fitted = settle(bus)["legrest_extend"]
    assert fitted > before and posture(ctl)["feet_on"], (before, fitted)


def test_move_for_one_second_moves_and_stops(daemon, bus, ctl):
    before = prop(bus, "Positions")
    r = ctl("move", "legrest_lift", "up", "1")
    assert r.returncode == 0 and not r.stdout and not r.stderr, r
    # Released on its way out: still at once (direction 0 was answered before chairctl ended).
    assert prop(bus, "Motions")["legrest_lift"] == "still"
    after = settle(bus)
    assert after["legrest_lift"] > before["legrest_lift"], (before, after)
    assert {a: v for a, v in after.items() if a != "legrest_lift"} == \
        {a: v for a, v in before.items() if a != "legrest_lift"}
    # down is the other way; the recline's up is toward upright (down reclines it).
    assert ctl("move", "legrest_lift", "down", "0.5").returncode == 0
    assert settle(bus)["legrest_lift"] < after["legrest_lift"]
    assert ctl("move", "recline", "down", "2").returncode == 0
    reclined = settle(bus)["recline"]
    assert reclined > before["recline"]
    assert ctl("move", "recline", "up", "0.5").returncode == 0
    assert settle(bus)["recline"] < reclined
    # Held into its limit: the daemon stops the axis there, and chairctl says so (exit 1).
    r = ctl("move", "legrest_lift", "down", "10")
    assert r.returncode == 1 and "limit" in r.stderr and r.stderr.count("\n") == 1, r
    assert prop(bus, "Motions")["legrest_lift"] == "still"


def start_move(bus, *args):
    p = subprocess.Popen([chairtest.binary("chairctl"), "move", *args], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=bus.env())
    try:
        chairtest.wait_for(lambda: prop(bus, "Motions")[args[0]] == "manual" or p.poll() is not None, 10,
                           "the move under way")
    except BaseException:
        p.kill()
        p.communicate()
        raise
    assert p.poll() is None, p.communicate()
    return p


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_move_ends_on_sigint_and_sigterm_with_a_release(daemon, bus, sig):
    p = start_move(bus, "legrest_lift", "up", "30")
    try:
        # Renewed past several leases: it goes on.
        time.sleep(3 * LEASE_S)
        assert prop(bus, "Motions")["legrest_lift"] == "manual"
        p.send_signal(sig)
        out, err = p.communicate(timeout=10 * chairtest.SLOWDOWN)
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    assert p.returncode == 0 and not err, (p.returncode, err)
    assert prop(bus, "Motions")["legrest_lift"] == "still"


def test_killed_chairctl_stops_the_axis(daemon, bus):
    """kill -9: no release is sent; the daemon stops the axis when the connection goes (it
    tracks the caller), at the latest when the 500 ms lease lapses."""
    import dbus
    conn = dbus.bus.BusConnection(bus.address)
    posture_object = conn.get_object(chairtest.BUS_NAME, POSTURE_PATH)

    def motion():
        return str(posture_object.Get(POSTURE_INTERFACE, "Motions", dbus_interface=dbus.PROPERTIES_IFACE)["legrest_lift"])
    p = start_move(bus, "legrest_lift", "up", "30")
    try:
        p.kill()
        killed = time.monotonic()
        chairtest.wait_for(lambda: motion() == "still", LEASE_S, "the axis stopped within a lease", interval=0.005)
        print(f"kill -9 -> legrest_lift still: {(time.monotonic() - killed) * 1000:.0f} ms")
        p.communicate(timeout=10)
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    # Nothing moves afterwards.
    settle(bus)
    assert motion() == "still"
    conn.close()


def test_stopped_chairctl_lets_the_lease_lapse(daemon, bus):
    """SIGSTOP: the connection stays, the renewals stop: the lease lapses and the axis stops."""
    p = start_move(bus, "legrest_lift", "up", "30")
    try:
        p.send_signal(signal.SIGSTOP)
        chairtest.wait_for(lambda: prop(bus, "Motions")["legrest_lift"] == "still", 2 * LEASE_S + 1,
                           "the lease lapsing")
    finally:
        p.kill()
        p.communicate()


def test_refusals_print_the_daemons_sentence_and_exit_1(daemon, bus, ctl):
    sim_occupant(bus, False, 300, False)
    chairtest.wait_for(lambda: not prop(bus, "Occupied"), 5, "the seat empty")
    r = subprocess.run(["gdbus", "call", "--address", bus.address, "--dest", chairtest.BUS_NAME, "--object-path",
                        POSTURE_PATH, "--method", POSTURE_INTERFACE + ".GoToPreset", "flat"],
                       capture_output=True, text=True, timeout=10)
    m = re.search(r"GDBus\.Error:" + re.escape(NOT_OCCUPIED) + r": (.*)", r.stderr)
    assert m, r.stderr
    message = m.group(1).strip()
    for args in (["preset", "flat"], ["fit-legs"], ["upright"], ["foot-rollers", "40"], ["calf", "40"]):
        r = ctl(*args)
        assert r.returncode == 1 and r.stderr.count("\n") == 1 and r.stderr.startswith("chairctl: "), (args, r)
        assert NOT_OCCUPIED in r.stderr or "seated" in r.stderr, (args, r.stderr)
    assert message in ctl("preset", "flat").stderr
    assert set(prop(bus, "Motions").values()) == {"still"}
    # Stop is never refused; off is always taken.
    assert ctl("posture", "stop").returncode == 0
    assert ctl("foot-rollers", "0").returncode == 0
    assert re.search(r"^    Occupant: nobody seated$", ctl("status").stdout, re.M)


def test_refused_move_exits_1_with_the_daemons_sentence(daemon, bus, ctl):
    """A leg condition refuses a leg-rest move: at its start, and at the renewal after it is declared."""
    seated(bus)
    assert ctl("precautions", "set", "varicose-veins").returncode == 0
    r = ctl("move", "legrest_lift", "up", "1")
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "chairctl precautions" in r.stderr, r
    assert prop(bus, "Motions")["legrest_lift"] == "still"
    assert ctl("precautions", "clear").returncode == 0
    p = start_move(bus, "legrest_lift", "up", "20")
    try:
        assert ctl("precautions", "set", "varicose-veins").returncode == 0
        out, err = p.communicate(timeout=10 * chairtest.SLOWDOWN)
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    assert p.returncode == 1 and err.startswith("chairctl: ") and err.count("\n") == 1, (p.returncode, err)
    assert prop(bus, "Motions")["legrest_lift"] == "still"
    assert ctl("precautions", "clear").returncode == 0


def test_person_leaving_mid_move_ends_it_with_exit_1(daemon, bus):
    """The daemon stops every axis when the seat empties; chairctl does not renew the move
    (a renewal would start the axis again, as a fresh press) and says why."""
    seated(bus)
    p = start_move(bus, "legrest_lift", "up", "20")
    try:
        sim_occupant(bus, False, 300, False)
        out, err = p.communicate(timeout=10 * chairtest.SLOWDOWN)
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    assert p.returncode == 1 and err == "chairctl: move: the legrest_lift stopped: nobody is seated any more.\n", err
    stopped = settle(bus)
    assert prop(bus, "Motions")["legrest_lift"] == "still" and settle(bus) == stopped


def test_pinch_only_the_release_moves_until_a_technician_clears_it(daemon, bus, ctl):
    seated(bus)
    assert ctl("move", "legrest_lift", "up", "3").returncode == 0   # room to release downwards
    settle(bus)
    daemon.call("InjectFault", "sb", "legrest-obstruction", "true", interface=chairtest.SERVICE_INTERFACE)
    r = ctl("move", "legrest_lift", "up", "20")
    assert r.returncode == 1 and r.stderr == ("chairctl: move: an obstruction stopped the legrest_lift: it backs off, "
                                              "and its pinch fault latches until a technician clears it.\n"), r
    chairtest.wait_for(lambda: prop(bus, "PinchedAxis") == "legrest_lift", 10, "the pinch latched")
    assert daemon.get_property("Fault") == "legrest-pinch"
    assert re.search(r"^legrest_lift .* \(pinched: only moves away from the obstruction\)$", ctl("posture").stdout, re.M)
    assert posture(ctl)["pinched_axis"] == "legrest_lift"
    assert re.search(r"^     Posture: .*legrest_lift \d+% \(pinched\)", ctl("status").stdout, re.M)
    assert re.search(r"^  motion    legrest_lift pinched$", ctl("monitor", "--once").stdout, re.M)
    # Another axis, toward the obstruction, a preset: refused, naming the fix and the release.
    for args in (["move", "recline", "down", "1"], ["move", "legrest_lift", "up", "1"], ["preset", "flat"]):
        r = ctl(*args)
        assert r.returncode == 1 and r.stderr.count("\n") == 1, (args, r)
        assert "'chairctl clear-fault'" in r.stderr and "'chairctl move legrest_lift'" in r.stderr, (args, r.stderr)
    # Away from it: taken (slowly, hold-to-run).
    before = prop(bus, "Positions")["legrest_lift"]
    r = ctl("move", "legrest_lift", "down", "1")
    assert r.returncode == 0, r
    assert settle(bus)["legrest_lift"] < before
    daemon.call("InjectFault", "sb", "legrest-obstruction", "false", interface=chairtest.SERVICE_INTERFACE)
    assert ctl("clear-fault").returncode == 0
    chairtest.wait_for(lambda: prop(bus, "PinchedAxis") == "", 10, "the pinch cleared")


def test_foot_rollers_and_calf_set_the_values(daemon, bus, ctl):
    seated(bus)
    assert ctl("foot-rollers", "-50").returncode == 0
    assert ctl("calf", "30").returncode == 0
    assert prop(bus, "FootRollers") == -50 and prop(bus, "CalfKnead") == 30
    p = posture(ctl)
    assert p["foot_rollers"] == -50 and p["calf_knead"] == 30
    assert "Foot rollers: -50 % (reverse)" in ctl("posture").stdout
    assert re.search(r"^ Leg rollers: foot -50%, calf 30%$", ctl("status").stdout, re.M)
    assert json.loads(ctl("--json", "status").stdout)["posture"]["calf_knead"] == 30
    assert ctl("foot-rollers", "100").returncode == 0 and prop(bus, "FootRollers") == 100
    # posture stop stops the leg rollers too.
    assert ctl("posture", "stop").returncode == 0
    chairtest.wait_for(lambda: prop(bus, "FootRollers") == 0 and prop(bus, "CalfKnead") == 0, 5, "the rollers off")
    assert "Leg rollers" not in ctl("status").stdout


def test_status_and_monitor_show_the_posture(daemon, bus, ctl):
    seated(bus)
    lines = ctl("status").stdout.splitlines()
    row = [line for line in lines if line.startswith("     Posture: ")]
    assert row and row[0] == "     Posture: " + ", ".join(f"{a} 0%" for a in AXES), lines
    j = json.loads(ctl("--json", "status").stdout)
    assert list(j["posture"]["axes"]) == AXES and j["posture"]["occupied"], j
    frame = ctl("monitor", "--once").stdout
    assert "  posture   " + "  ".join(f"{a} 0%" for a in AXES) + "\n" in frame, frame
    assert "  legs      seated, feet on, foot rollers 0%, calf 0%\n" in frame, frame
    assert all(len(line) <= 80 for line in frame.splitlines())
    assert json.loads(ctl("--json", "monitor", "--once").stdout)["posture"]["axes"]["recline"]["motion"] == "still"

    # Piped: a line when the move starts (what moves, right after the state) and when it ends
    # (where the axes stand, at the line's end); --json has every field.
    mon = subprocess.Popen([chairtest.binary("chairctl"), "monitor"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, env=bus.env())
    jmon = subprocess.Popen([chairtest.binary("chairctl"), "monitor", "--json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=bus.env())
    try:
        time.sleep(1)
        assert ctl("move", "legrest_lift", "up", "1").returncode == 0
        settle(bus)
        time.sleep(1)
    finally:
        for m in (mon, jmon):
            m.send_signal(signal.SIGINT)
        out, err = mon.communicate(timeout=10 * chairtest.SLOWDOWN)
        jout, jerr = jmon.communicate(timeout=10 * chairtest.SLOWDOWN)
    assert mon.returncode == 0 and jmon.returncode == 0, (err, jerr)
    lines = out.splitlines()
    # While idle the posture comes first: the axis that moves, then where the axes stand away from 0.
    assert any(re.match(ISO_UTC + r" idle - 0:00 legrest_lift \d+% manual ", line) for line in lines), lines
    assert re.match(ISO_UTC + r" idle - 0:00 legrest_lift [1-9]\d*% spd ", lines[-1]), lines
    assert all(len(line) <= 80 for line in lines), lines
    objs = [json.loads(line) for line in jout.splitlines()]
    assert any(o["posture"]["axes"]["legrest_lift"]["motion"] == "manual" for o in objs), objs
    assert objs[-1]["posture"]["axes"]["legrest_lift"]["motion"] == "still"
    assert objs[-1]["posture"]["axes"]["legrest_lift"]["position_permille"] > 0



def test_not_configured_exits_4_saying_what_to_do(start_daemon, bus, workdir, ctl):
    """No hardware map: no Posture object; the verbs say what status says, with its exit 4."""
    path = os.path.join(workdir, "etc", "chair.conf")
    start_daemon(args=("--config", path))
    for args in (["posture"], ["--json", "posture"], ["preset", "flat"], ["move", "recline", "down", "1"],
                 ["posture", "stop"], ["capabilities"]):
        r = ctl(*args)
        assert r.returncode == 4 and path in r.stderr and r.stderr.count("\n") == 1, (args, r.returncode, r.stderr)


def test_a_chair_without_axes(start_daemon, bus, workdir, ctl):
    from test_posture_dbus import chair_without_axes
    start_daemon(("--config", chair_without_axes(workdir)))
    r = ctl("posture")
    assert r.returncode == 0 and r.stdout == "This chair has no posture axes and no leg rollers.\n", r
    assert posture(ctl)["axes"] == {}
    caps = json.loads(ctl("--json", "capabilities").stdout)
    assert caps["axes"] == [] and caps["leg-channels"] == [], caps
    assert "Posture" not in ctl("status").stdout and "  posture " not in ctl("monitor", "--once").stdout
    r = ctl("move", "recline", "down", "1")
    assert r.returncode == 1 and "recline" in r.stderr and r.stderr.count("\n") == 1, r
    assert ctl("posture", "stop").returncode == 0
