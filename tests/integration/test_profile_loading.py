"""The daemon's program catalog: shipped programs, technicians' overrides by id, broken files,
reloads on SIGHUP and over D-Bus without disturbing a running session, uploads; and
chairctl's profile tools on files."""
import json
import os
import re
import signal
import subprocess

import chairtest
from test_session import start, wait_state

SERVICE = chairtest.SERVICE_INTERFACE
SHIPPED = os.path.join(chairtest.SOURCE_DIR, "profiles", "programs")

OVERRIDE = """[program]
id = swedish
name = Swedish (clinic)
description = The clinic's own Swedish
duration_s = 600
[step.only]
technique = roll
range = 0..1
speed = 2
repetitions = 4
"""

BROKEN = """[program]
id = deep-tissue
name = Broken
description = x
duration_s = 600
[step.a]
technique = knead
depth = 11
"""


def chairctl(*args, env=None):
    # profile check runs each program on the whole chair in virtual time: 45 sessions for the
    # shipped programs, about a minute under ASan on a loaded machine.
    return subprocess.run([chairtest.binary("chairctl"), *args], capture_output=True, text=True, timeout=180,
                          env=env)


def names(daemon):
    return {p[0]: p[1] for p in daemon.call("ListPrograms")[0]}


def test_override_and_broken_override(bus, workdir, start_daemon):
    overrides = os.path.join(workdir, "profiles.d")
    os.makedirs(overrides)
    with open(os.path.join(overrides, "swedish.ini"), "w") as f:
        f.write(OVERRIDE)
    with open(os.path.join(overrides, "deep.ini"), "w") as f:
        f.write(BROKEN)
    d = start_daemon()
    programs = names(d)
    assert programs["swedish"] == "Swedish (clinic)"
    # The broken override keeps the shipped program, and the log says why.
    assert programs["deep-tissue"] == "Deep tissue"
    assert "deep.ini:8: depth = 11 is out of range (1..5)" in d.output()
    assert "stays in use" in d.output()


def test_reload_does_not_disturb_a_running_session(bus, workdir, daemon):
    start(daemon)
    wait_state(daemon, "running")
    overrides = os.path.join(workdir, "profiles.d")
    os.makedirs(overrides, exist_ok=True)
    with open(os.path.join(overrides, "swedish.ini"), "w") as f:
        f.write(OVERRIDE)
    errors = daemon.call("ReloadProfiles", interface=SERVICE)[0]
    assert errors == []
    assert names(daemon)["swedish"] == "Swedish (clinic)"
    assert daemon.get_property("State") == "running"
    assert daemon.get_property("Program") == "demo"
    # SIGHUP too.
    with open(os.path.join(overrides, "swedish.ini"), "w") as f:
        f.write(OVERRIDE.replace("Swedish (clinic)", "Swedish (v2)"))
    daemon.process.signal(signal.SIGHUP)
    chairtest.wait_for(lambda: names(daemon)["swedish"] == "Swedish (v2)", 5, "the SIGHUP reload")
    assert daemon.get_property("State") == "running"
    daemon.call("Stop")


def test_upload_validates_and_stores(bus, workdir, daemon):
    overrides = os.path.join(workdir, "profiles.d")
    os.makedirs(overrides, exist_ok=True)
    name, msg = daemon.error_of("UploadProfile", "bad.ini", BROKEN.replace("\n", "\\n").join(["'", "'"]),
                                interface=SERVICE)
    assert name == "org.massagechair.Chair1.Error.InvalidProfile"
    assert "bad.ini:8: depth = 11" in msg
    assert not os.path.exists(os.path.join(overrides, "bad.ini"))
    name, _ = daemon.error_of("UploadProfile", "../escape.ini", "'x'", interface=SERVICE)
    assert name == "org.freedesktop.DBus.Error.InvalidArgs"

    path = os.path.join(workdir, "clinic.ini")
    with open(path, "w") as f:
        f.write(OVERRIDE.replace("id = swedish", "id = clinic"))
    r = chairctl("profile", "upload", path, env=bus.env())
    assert r.returncode == 0, r.stderr
    assert os.path.exists(os.path.join(overrides, "clinic.ini"))
    assert "clinic" in names(daemon)


def test_chairctl_profile_tools(workdir):
    good = os.path.join(SHIPPED, "trigger-point.ini")
    r = chairctl("profile", "check", *[os.path.join(SHIPPED, f) for f in sorted(os.listdir(SHIPPED))])
    assert r.returncode == 0, r.stderr
    # The fitted length, from the virtual-time run of every intensity (issue 17).
    assert "swedish, 7 steps, 20:00 planned at the default length of 20:00" in r.stdout, r.stdout
    assert "intensity 1-5 run in virtual time with no fault" in r.stdout
    bad = os.path.join(workdir, "bad.ini")
    with open(bad, "w") as f:
        f.write(BROKEN + "colour = red\n")
    r = chairctl("profile", "check", bad)
    assert r.returncode == 1
    assert f"{bad}:8: depth = 11" in r.stderr and f"{bad}:9: unknown key 'colour'" in r.stderr

    r = chairctl("profile", "show", good)
    assert r.returncode == 0
    assert "upper-trapezius" in r.stdout and "In all:" in r.stdout

    svg = os.path.join(workdir, "tp.svg")
    r = chairctl("profile", "plot", good, "-o", svg)
    assert r.returncode == 0
    with open(svg) as f:
        text = f.read()
    assert text.startswith("<?xml") and "</svg>" in text and "upper-trapezius" in text
    assert "air calves" in text and "heat lumbar" in text and "shoulder" in text


POSTURE_STEPS = """[program]
id = legwork
name = Leg work
description = posture and the leg channels
duration_s = 120
[step.recline]
technique = none
posture = zero-gravity-2
foot_rollers = -40
calf_knead = 30
duration_s = 30
[step.lower]
technique = roll
range = 0..1
recline = 70%
legrest = 10%
duration_s = 30
[step.feet]
technique = knead
position = 0.5
foot_rollers = 60
duration_s = 30
[step.still]
technique = knead
position = 0.5
duration_s = 30
"""


def test_chairctl_profile_show_posture_and_legs(workdir):
    """profile show lists each step's posture and leg keys, in the text table and in --json; a
    program without them keeps the table it had."""
    path = os.path.join(workdir, "legwork.ini")
    with open(path, "w") as f:
        f.write(POSTURE_STEPS)
    r = chairctl("profile", "show", path)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    header = next(line for line in lines if line.lstrip().startswith("START"))
    assert header.split()[-3:] == ["HEAT", "POSTURE", "LEGS"], header
    rows = {line.split()[2]: line.split() for line in lines if re.match(r"^ +\d+:\d\d\.\d ", line)}
    assert rows["recline"][-2:] == ["zero-gravity-2", "feet:-40%,calf:30%"], rows
    assert rows["lower"][-2:] == ["recline:70%,legrest:10%", "-"], rows
    assert rows["feet"][-2:] == ["-", "feet:60%"], rows
    assert rows["still"][-2:] == ["-", "-"], rows

    r = chairctl("--json", "profile", "show", path)
    assert r.returncode == 0, r.stderr
    by_name = {s["step"]: s for s in json.loads(r.stdout)["steps"]}
    assert by_name["recline"]["posture"] == "zero-gravity-2"
    assert by_name["recline"]["foot_rollers"] == -40 and by_name["recline"]["calf_knead"] == 30
    assert by_name["lower"]["recline"] == 70 and by_name["lower"]["legrest"] == 10
    assert "posture" not in by_name["lower"] and "foot_rollers" not in by_name["lower"]
    assert by_name["feet"]["foot_rollers"] == 60
    assert not {"posture", "recline", "legrest", "foot_rollers", "calf_knead"} & set(by_name["still"]), by_name["still"]

    # The shipped stretch program shows its moves; one with no posture work has no such columns.
    r = chairctl("profile", "show", os.path.join(SHIPPED, "stretch.ini"))
    assert r.returncode == 0 and "zero-gravity-1" in r.stdout and "recline:70%,legrest:10%" in r.stdout, r.stdout
    r = chairctl("profile", "show", os.path.join(SHIPPED, "trigger-point.ini"))
    assert r.returncode == 0 and "POSTURE" not in r.stdout and "LEGS" not in r.stdout, r.stdout
