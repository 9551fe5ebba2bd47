"""chairctl profile check on a technician's own file: the program runs on the whole chair in
virtual time (tests/vt/vt-program.h: the daemon's session, scheduler and supervisor), from a
copy staged in a temporary directory that is gone afterwards."""
import json
import os
import subprocess

import chairtest

PROGRAM = """[program]
id = clinic-short
name = Clinic short
description = A technician's two-minute program
duration_s = 120
intensity = 3

[step.warm]
technique = knead
range = 0.2..0.8
speed = 3
depth = 2
heat = lumbar:2
duration_s = 60

[step.air]
technique = shiatsu
position = 0.5
depth = 2
air = calves, feet
air_pattern = 30/10/5
air_level = 5
duration_s = 60
"""


def chairctl(*args, env=None):
    return subprocess.run([chairtest.binary("chairctl"), *args], capture_output=True, text=True, timeout=120,
                          env=env)


def test_a_technicians_program_runs_on_the_whole_chair(workdir):
    tmp = os.path.join(workdir, "tmp")
    os.mkdir(tmp)
    env = dict(os.environ, TMPDIR=tmp)
    # Not a name the library would take (a space): the copy is staged under its id.
    path = os.path.join(workdir, "clinic short.ini")
    with open(path, "w") as f:
        f.write(PROGRAM)

    r = chairctl("profile", "check", path, env=env)
    assert r.returncode == 0, r.stderr
    assert "clinic-short, 2 steps, 2:00 planned at the default length of 2:00" in r.stdout, r.stdout
    assert "intensity 1-5 run in virtual time with no fault" in r.stdout
    assert os.listdir(tmp) == []

    r = chairctl("--json", "profile", "check", path, env=env)
    assert r.returncode == 0, r.stderr
    [entry] = json.loads(r.stdout)
    assert entry["ok"] is True and entry["id"] == "clinic-short" and entry["planned_s"] == 120
    assert os.listdir(tmp) == []


def test_a_file_that_cannot_be_staged_is_an_error(workdir):
    # The staging directory cannot be made: the check says so and fails, naming the file.
    path = os.path.join(workdir, "p.ini")
    with open(path, "w") as f:
        f.write(PROGRAM)
    r = chairctl("profile", "check", path, env=dict(os.environ, TMPDIR=os.path.join(workdir, "missing")))
    assert r.returncode == 1
    assert f"{path}: cannot stage it for the virtual-time run" in r.stderr
