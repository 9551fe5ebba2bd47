"""chairctl's verbs for the people (issue #20): person list|show|create|rename|delete|select|caps|
timer|heat|install|programs|remove-program, assess, recommend, rate with areas and start --focus,
end to end against massagechaird --simulate on a private bus: their output, --json and exit
codes; delete confirmed by the name typed on a terminal, refused without one unless --yes;
areas, pain and goals refused before any bus, naming the argument; health data shown only to
callers that may read it; the help, man page and completion from the tables."""
import json
import os
import pty
import re
import select
import subprocess

import pytest

import chairtest

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.fixture
def ctl(bus):
    def run(*args, env_extra=None, as_nobody=False, check=None):
        env = bus.env()
        env.pop("COLUMNS", None)
        env.update(env_extra or {})
        argv = [chairtest.binary("chairctl"), *args]
        r = subprocess.run([*NOBODY, *argv] if as_nobody else argv, capture_output=True, text=True, env=env,
                           stdin=subprocess.DEVNULL, timeout=30 * chairtest.SLOWDOWN)
        if check is not None:
            assert r.returncode == check, f"chairctl {' '.join(args)} exited {r.returncode}:\n{r.stdout}{r.stderr}"
        return r
    return run


def c_table(path, pattern):
    """The strings of one C table in the source tree: the first brace list after PATTERN."""
    with open(os.path.join(chairtest.SOURCE_DIR, path)) as f:
        text = f.read()
    body = re.search(re.escape(pattern) + r"[^{]*\{(.*?)\};", text, re.S).group(1)
    return re.findall(r'"([^"]*)"', body)


AREAS = c_table("common/vocab.c", "pain_area_table[_PAIN_AREA_MAX] =")
GOALS = c_table("common/vocab.c", "massage_goal_table[_GOAL_MAX] =")


def people(ctl):
    return {p["name"]: p for p in json.loads(ctl("--json", "person", "list", check=0).stdout)}


def wait_state(daemon, state, timeout=40):
    chairtest.wait_for(lambda: daemon.get_property("State") == state, timeout, f"State {state}")


# ---- no daemon needed ----

@pytest.mark.parametrize("args,names", [
    (["assess", "nek=3"], ["'nek'", "neck, shoulders"]),
    (["assess", "neck=11"], ["'neck=11'", "0-10"]),
    (["assess", "neck=-1"], ["'neck=-1'", "0-10"]),
    (["assess", "neck"], ["'neck'", "AREA=PAIN"]),
    (["assess", "neck=3", "neck=4"], ["'neck'", "twice"]),
    (["assess", "neck=3", "--pain", "12"], ["--pain", "'12'"]),
    (["assess", "neck=3", "--goal", "fun"], ["--goal", "'fun'", "relief, recovery"]),
    (["assess"], ["AREA=PAIN", "--pain"]),
    (["assess", "neck=3", "--frobnicate"], ["'--frobnicate'"]),
    (["rate", "last", "5", "2", "hips=x"], ["'hips=x'", "0-10"]),
    (["rate", "last", "5", "2", "elbow=3"], ["'elbow'"]),
    (["rate", "last", "11", "2"], ["0-10"]),
    (["rate", "0", "1", "2"], ["SESSION"]),
    (["recommend", "extra"], ["'extra'"]),
    (["person", "frobnicate"], ["'frobnicate'", "list, show"]),
    (["person", "create"], ["person create NAME"]),
    (["person", "rename", "anna"], ["person rename NAME NEW"]),
    (["person", "timer", "anna", "15"], ["MINUTES", "'15'", "10, 20, 30"]),
    (["person", "heat", "anna", "back", "2"], ["ZONE", "'back'", "lumbar"]),
    (["person", "heat", "anna", "lumbar", "4"], ["LEVEL", "'4'"]),
    (["person", "caps", "anna", "--intensity", "6"], ["--intensity", "'6'"]),
    (["person", "caps", "anna", "--heat", "-1"], ["--heat", "'-1'"]),
    (["person", "list", "--yes"], ["'--yes'"]),
    (["--json", "person", "create", "anna"], ["--json"]),
    (["--json", "assess", "neck=3"], ["--json"]),
])
def test_bad_arguments_refused_before_the_bus(ctl, args, names):
    """Usage errors (2) in one line naming the argument, with no bus at all to ask."""
    r = ctl(*args, env_extra={"DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nonexistent/socket"})
    assert r.returncode == 2, (args, r.returncode, r.stderr)
    assert r.stderr.count("\n") == 1 and "Try 'chairctl --help'" in r.stderr, (args, r.stderr)
    for name in names:
        assert name in r.stderr, (args, name, r.stderr)


def test_delete_without_a_terminal_needs_yes(ctl):
    r = ctl("person", "delete", "anna", env_extra={"DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nonexistent/socket"})
    assert r.returncode == 2 and "--yes" in r.stderr and "terminal" in r.stderr, r.stderr


def test_help_man_page_and_completion_from_the_tables(ctl):
    def complete(*args):
        return ctl("__complete", *args, env_extra={"DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nonexistent"}).stdout.split()
    assert len(AREAS) == 7 and len(GOALS) == 4, (AREAS, GOALS)
    commands = complete("person")
    assert {"list", "show", "create", "rename", "delete", "select", "caps", "timer", "heat", "install", "programs",
            "remove-program"} == set(commands), commands
    assert complete("assess") == [a + "=" for a in AREAS] + ["--person", "--pain", "--goal"]
    assert complete("assess", "neck=3", "--goal") == GOALS
    # bash splits "neck=" at '=': the pain comes next.
    assert complete("assess", "neck", "=") == [str(n) for n in range(11)]
    assert complete("rate", "last", "5", "2") == [a + "=" for a in AREAS] + ["--person"]
    assert complete("person", "heat", "anna") == ["lumbar", "calves"]
    assert complete("person", "timer", "anna") == ["0", "10", "20", "30"]
    assert complete("person", "delete", "anna") == ["--yes"]
    assert "--focus" in complete("start")
    # Names come from the daemon: none offline.
    assert complete("person", "show") == [] and complete("assess", "--person") == []
    help_text = ctl("help", "person").stdout
    for c in commands:
        assert c in help_text, c
    assess_help = ctl("help", "assess").stdout
    assert ", ".join(AREAS) in assess_help and ", ".join(GOALS) in assess_help, assess_help
    with open(os.path.join(chairtest.SOURCE_DIR, "man", "chairctl.1")) as f:
        man = f.read().replace("\\-", "-")
    assert ".B person" in man and ".B assess" in man and ".B recommend" in man
    assert ", ".join(AREAS) in man and "remove-program NAME ID" in man and "--focus" in man


# ---- against the daemon ----

def test_life_cycle(daemon, ctl):
    r = ctl("person", "list", check=0)
    lines = r.stdout.splitlines()
    assert re.match(r"\s+ID\s+NAME", lines[0]), lines
    assert re.match(r"\*\s+0\s+guest\s", lines[1]), lines
    assert people(ctl)["guest"]["active"] and people(ctl)["guest"]["guest"]
    # 'person' alone lists them.
    assert ctl("person", check=0).stdout == r.stdout

    ctl("person", "create", "anna", check=0)
    r = ctl("person", "create", "anna")
    assert r.returncode == 1 and "choose another name" in r.stderr and r.stderr.count("\n") == 1, r.stderr
    listed = people(ctl)
    assert set(listed) == {"guest", "anna"} and listed["anna"]["id"] > 0 and not listed["anna"]["active"]

    ctl("person", "rename", "anna", "anne", check=0)
    assert set(people(ctl)) == {"guest", "anne"}
    r = ctl("person", "rename", "guest", "boss")
    assert r.returncode == 1, r.stderr

    ctl("person", "select", "anne", check=0)
    shown = json.loads(ctl("--json", "person", "show", check=0).stdout)
    assert shown["name"] == "anne" and shown["active"] and not shown["guest"]
    assert re.search(r"^\s+Active: yes", ctl("person", "show", "anne", check=0).stdout, re.M)
    assert re.match(r"\*\s+\d+\s+anne\s", [line for line in ctl("person", "list").stdout.splitlines()
                                          if "anne" in line][0])
    ctl("person", "select", "guest", check=0)

    r = ctl("person", "delete", "anne")
    assert r.returncode == 2 and "--yes" in r.stderr, r.stderr
    assert "anne" in people(ctl)
    ctl("person", "delete", "anne", "--yes", check=0)
    assert set(people(ctl)) == {"guest"}
    r = ctl("person", "show", "anne")
    assert r.returncode == 1 and "'chairctl person list' shows the people" in r.stderr, r.stderr
    r = ctl("person", "delete", "guest", "--yes")
    assert r.returncode == 1, r.stderr


def run_on_terminal(argv, env, typed):
    """Runs argv with stdin on a pseudo-terminal, types TYPED there; returns (rc, stderr)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    os.close(slave)
    try:
        os.write(master, typed.encode())
        out, err = proc.communicate(timeout=20 * chairtest.SLOWDOWN)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        # Drain what the terminal echoed, then let it go.
        while select.select([master], [], [], 0)[0]:
            try:
                if not os.read(master, 4096):
                    break
            except OSError:
                break
        os.close(master)
    return proc.returncode, err.decode()


def test_delete_asks_for_the_name_on_a_terminal(daemon, bus, ctl):
    ctl("person", "create", "bea", check=0)
    argv = [chairtest.binary("chairctl"), "person", "delete", "bea"]
    rc, err = run_on_terminal(argv, bus.env(), "bee\n")
    assert rc == 1 and "Type the name" in err and "nothing deleted" in err, err
    assert "bea" in people(ctl)
    rc, err = run_on_terminal(argv, bus.env(), "bea\n")
    assert rc == 0, err
    assert "bea" not in people(ctl)


def test_at_most_eight_profiles(daemon, ctl):
    for i in range(8):
        ctl("person", "create", f"p{i}", check=0)
    r = ctl("person", "create", "p8")
    assert r.returncode == 1 and "delete a profile first" in r.stderr, r.stderr
    assert "8 of at most 8 profiles" in ctl("person", "list").stdout


def test_caps_timer_and_heat(daemon, ctl):
    ctl("person", "create", "carl", check=0)
    ctl("person", "caps", "carl", "--intensity", "3", "--heat", "1", check=0)
    assert ctl("person", "caps", "carl", check=0).stdout == "carl: intensity cap 3 of 5, heat cap 1 of 3\n"
    # One cap alone keeps the other.
    ctl("person", "caps", "carl", "--heat=2", check=0)
    assert json.loads(ctl("--json", "person", "caps", "carl", check=0).stdout) == {"intensity_cap": 3, "heat_cap": 2}
    ctl("person", "timer", "carl", "20", check=0)
    ctl("person", "heat", "carl", "lumbar", "2", check=0)
    shown = json.loads(ctl("--json", "person", "show", "carl", check=0).stdout)
    assert shown["intensity_cap"] == 3 and shown["heat_cap"] == 2 and shown["timer"] == 20, shown
    assert shown["heat_preference"]["lumbar"] == 2, shown
    text = ctl("person", "show", "carl", check=0).stdout
    assert re.search(r"^Intensity cap: 3 of 5$", text, re.M) and re.search(r"^\s+Timer: 20 min$", text, re.M), text
    ctl("person", "timer", "carl", "0", check=0)
    assert "Timer: the chair's default" in ctl("person", "show", "carl").stdout
    # The cap is what a session of theirs gets.
    ctl("person", "select", "carl", check=0)
    r = ctl("start", "demo", "--no-scan", "--intensity", "5", check=0)
    assert "planned at intensity 3" in r.stdout, r.stdout
    ctl("stop", check=0)
    ctl("person", "select", "guest", check=0)


def test_assess_recommend_rate_and_focus(daemon, ctl):
    ctl("person", "create", "dora", check=0)
    ctl("assess", "--person", "dora", "neck=6", "lower-back=4", "--pain", "5", "--goal", "relaxation", check=0)
    text = ctl("person", "show", "dora", check=0).stdout
    assert re.search(r"Assessment: \S+Z, pain now 5, neck 6, lower-back 4; goal relaxation$", text, re.M), text
    shown = json.loads(ctl("--json", "person", "show", "dora", check=0).stdout)
    assert shown["assessment"]["pain"] == {"neck": 6, "lower-back": 4}, shown
    assert shown["assessment"]["pain_now"] == 5 and shown["assessment"]["goal"] == "relaxation", shown
    # Without --pain the pain now is the worst area's.
    ctl("person", "select", "dora", check=0)
    ctl("assess", "neck=7", "shoulders=2", check=0)
    shown = json.loads(ctl("--json", "person", "show", check=0).stdout)
    assert shown["assessment"]["pain_now"] == 7 and shown["assessment"]["goal"] == GOALS[0], shown

    r = ctl("recommend", check=0)
    assert r.stdout.startswith("PROGRAM") and len(r.stdout.splitlines()) > 1, r.stdout
    ranked = json.loads(ctl("--json", "recommend", "--person", "dora", check=0).stdout)
    assert ranked and [p["rank"] for p in ranked] == list(range(1, len(ranked) + 1)), ranked
    assert all(p["program"] and p["reason"] for p in ranked), ranked

    r = ctl("start", "demo", "--no-scan", check=0)
    assert "demo:" in r.stdout, r.stdout
    ctl("stop", check=0)
    ctl("rate", "last", "7", "3", "neck=2", check=0)
    session = json.loads(ctl("--json", "person", "show", check=0).stdout)["history"][0]
    assert session["program"] == "demo" and not session["focused"], session
    assert session["pain_before"] == 7 and session["pain_after"] == 3, session
    assert session["area_after"] == {"neck": 2} and session["area_before"]["neck"] == 7, session
    text = ctl("person", "show", check=0).stdout
    assert re.search(r"^\s+\d+\s+\S+Z\s+demo\s.* neck 7→2", text, re.M), text
    # A session of another person is not theirs.
    ctl("person", "select", "guest", check=0)
    r = ctl("rate", str(session["id"]), "7", "3", "neck=2")
    assert r.returncode == 1 and r.stderr.count("\n") == 1, r.stderr
    ctl("rate", str(session["id"]), "6", "2", "neck=1", "--person", "dora", check=0)
    session = json.loads(ctl("--json", "person", "show", "dora", check=0).stdout)["history"][0]
    assert session["pain_before"] == 6 and session["area_after"] == {"neck": 1}, session


def test_health_data_only_for_those_who_may_read_it(daemon, ctl):
    ctl("person", "create", "emil", check=0)
    ctl("precautions", "set", "pregnancy", check=0)
    text = ctl("person", "show", "guest", check=0).stdout
    assert re.search(r"^\s+Conditions: pregnancy$", text, re.M), text
    # nobody (no polkit on this bus, not in chairtech): the public part only.
    r = ctl("person", "show", "guest", as_nobody=True, check=0)
    assert "Person: guest" in r.stdout and "Health data: not shown" in r.stdout, r.stdout
    assert "pregnancy" not in r.stdout and "Conditions" not in r.stdout, r.stdout
    shown = json.loads(ctl("--json", "person", "show", "guest", as_nobody=True, check=0).stdout)
    assert shown["name"] == "guest" and "conditions" not in shown and "history" not in shown, shown
    assert {p["name"] for p in json.loads(ctl("--json", "person", "list", as_nobody=True, check=0).stdout)} == \
        {"guest", "emil"}
    r = ctl("recommend", as_nobody=True)
    assert r.returncode == 1 and r.stderr.count("\n") == 1, r.stderr
    ctl("precautions", "clear", check=0)


def test_programs_of_their_own(daemon, ctl, workdir):
    ctl("person", "create", "finn", check=0)
    with open(os.path.join(chairtest.SOURCE_DIR, "profiles", "programs", "demo.ini")) as f:
        text = f.read()
    mine = os.path.join(workdir, "finn-demo.ini")
    with open(mine, "w") as f:
        f.write(text.replace("id = demo", "id = finn-demo").replace("name = Demo", "name = Finn's demo"))
    r = ctl("person", "programs", "finn", check=0)
    assert "No programs of their own" in r.stdout, r.stdout
    ctl("person", "install", "finn", mine, check=0)
    r = ctl("person", "programs", "finn", check=0)
    assert re.search(r"^finn-demo\s+Finn's demo\s+1\s", r.stdout, re.M), r.stdout
    assert [p["id"] for p in json.loads(ctl("--json", "person", "programs", "finn", check=0).stdout)] == ["finn-demo"]
    assert people(ctl)["finn"]["program_count"] == 1
    bad = os.path.join(workdir, "bad.ini")
    with open(bad, "w") as f:
        f.write("[program]\nid = x\nbogus = 1\n")
    r = ctl("person", "install", "finn", bad)
    assert r.returncode == 1 and "bad.ini" in r.stderr, r.stderr
    r = ctl("person", "install", "finn", os.path.join(workdir, "missing.ini"))
    assert r.returncode == 1 and "missing.ini" in r.stderr, r.stderr
    r = ctl("person", "remove-program", "finn", "swedish")
    assert r.returncode == 1 and "'chairctl person programs finn' shows theirs" in r.stderr, r.stderr
    ctl("person", "remove-program", "finn", "finn-demo", check=0)
    assert json.loads(ctl("--json", "person", "programs", "finn", check=0).stdout) == []


def test_names_completed_from_the_daemon(daemon, ctl):
    ctl("person", "create", "gus", check=0)
    assert ctl("__complete", "person", "show").stdout.split() == ["guest", "gus"]
    assert ctl("__complete", "recommend", "--person").stdout.split() == ["guest", "gus"]
    for verb in (["precautions", "set"], ["history", "--max", "3"], ["report"]):
        assert ctl("__complete", *verb, "--person").stdout.split() == ["guest", "gus"], verb
    assert "pregnancy" in ctl("__complete", "precautions", "set").stdout.split()


def test_start_focused(daemon, ctl):
    """start --focus: the session is planned on the assessed areas and its history says so."""
    ctl("assess", "lower-back=6", "--pain", "6", check=0)
    r = ctl("start", "demo", "--no-scan", "--focus", check=0)
    assert r.stdout.startswith("demo: ") and "planned" in r.stdout, r.stdout
    ctl("stop", check=0)
    session = json.loads(ctl("--json", "person", "show", check=0).stdout)["history"][0]
    assert session["focused"] and session["goal"] == GOALS[0], session
    assert session["area_before"] == {"lower-back": 6}, session
    assert re.search(r"^\s+\d+\s+\S+Z\s+demo\s.* focused lower-back 6→-", ctl("person", "show").stdout, re.M)


def test_precautions_and_history_of_another_person(daemon, ctl):
    """precautions ... --person NAME and history --person NAME: Person.SetConditions,
    GetConditions and GetHistory of a person who is not the active one."""
    ctl("person", "create", "fritz", check=0)
    ctl("precautions", "set", "pregnancy", "--person", "fritz", check=0)
    listed = json.loads(ctl("--json", "precautions", "--person", "fritz", check=0).stdout)
    assert [p["name"] for p in listed if p["declared"]] == ["pregnancy"], listed
    text = ctl("precautions", "list", "--person=fritz", check=0).stdout
    assert re.search(r"^\[x\] pregnancy\s", text, re.M), text
    # The active person (the guest) is untouched.
    guest = json.loads(ctl("--json", "precautions", check=0).stdout)
    assert not [p for p in guest if p["declared"]], guest
    assert json.loads(ctl("--json", "person", "show", "fritz", check=0).stdout)["conditions"] == ["pregnancy"]
    ctl("precautions", "clear", "--person", "fritz", check=0)
    assert json.loads(ctl("--json", "person", "show", "fritz", check=0).stdout)["conditions"] == []
    r = ctl("precautions", "set", "sunburn", "--person", "fritz")
    assert r.returncode == 1 and "sunburn" in r.stderr, r.stderr
    r = ctl("precautions", "frob", "--person", "fritz")
    assert r.returncode == 2 and "'frob'" in r.stderr, r.stderr
    r = ctl("precautions", "show", "--person", "nobody-here")
    assert r.returncode == 2, r.stderr
    r = ctl("precautions", "list", "--person", "nobody-here")
    assert r.returncode == 1 and r.stderr.count("\n") == 1, r.stderr

    # fritz's session, then the guest's: each history --person shows only its own.
    ctl("person", "select", "fritz", check=0)
    ctl("start", "demo", "--no-scan", check=0)
    ctl("stop", check=0)
    ctl("rate", "last", "6", "2", "neck=1", check=0)
    ctl("person", "select", "guest", check=0)
    rows = json.loads(ctl("--json", "history", "--person", "fritz", check=0).stdout)
    assert len(rows) == 1 and rows[0]["program"] == "demo", rows
    assert rows[0]["pain_before"] == 6 and rows[0]["pain_after"] == 2 and rows[0]["area_after"] == {"neck": 1}, rows
    text = ctl("history", "--person", "fritz", "--max", "5", check=0).stdout
    assert text.startswith("SESSION") and re.search(r"^%d\s+\S+Z\s+demo\s.*\s6\s+2\s.* neck -→1$" % rows[0]["id"],
                                                    text, re.M), text
    assert json.loads(ctl("--json", "history", "--person", "guest", check=0).stdout) == []
    r = ctl("history", "--person", "fritz", "--max", "0")
    assert r.returncode == 2 and "--max" in r.stderr, r.stderr
    # Health data: nobody may not read fritz's.
    r = ctl("history", "--person", "fritz", as_nobody=True)
    assert r.returncode == 1 and "health data" in r.stderr, r.stderr


def test_recommend_ranks_their_own_programs_and_caps(daemon, ctl, workdir):
    """RecommendPrograms of a person who is not active ranks their own programs too (and no other
    person's), and their intensity cap is named where it caps a program."""
    ctl("person", "create", "gina", check=0)
    ctl("person", "create", "hal", check=0)
    with open(os.path.join(chairtest.SOURCE_DIR, "profiles", "programs", "demo.ini")) as f:
        text = f.read()
    for who in ("gina", "hal"):
        mine = os.path.join(workdir, f"{who}-demo.ini")
        with open(mine, "w") as f:
            f.write(text.replace("id = demo", f"id = {who}-demo"))
        ctl("person", "install", who, mine, check=0)
    ctl("assess", "--person", "gina", "lower-back=7", check=0)
    ctl("person", "caps", "gina", "--intensity", "1", check=0)

    def ranked(name):
        return {p["program"]: p for p in json.loads(ctl("--json", "recommend", "--person", name, check=0).stdout)}
    # The guest is active: gina's own program is ranked for her, hal's is not.
    theirs = ranked("gina")
    assert "gina-demo" in theirs and "hal-demo" not in theirs and "demo" in theirs, theirs
    assert theirs["gina-demo"]["score"] == theirs["demo"]["score"], theirs
    assert "your intensity cap (1)" in theirs["lower-back"]["reason"], theirs
    # Active, the same: their programs from the catalog.
    ctl("person", "select", "gina", check=0)
    assert ranked("gina") == theirs
    assert "gina-demo" not in ranked("hal") and "hal-demo" in ranked("hal")
    ctl("person", "select", "guest", check=0)
