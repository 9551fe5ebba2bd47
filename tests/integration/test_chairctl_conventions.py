"""chairctl's systemd-style conventions: no command is status, --json=pretty|short|off, show -p
--value, --no-legend, --full and the terminal width, extra arguments and bad numbers refused as
usage (2), refusals in one line naming the fix (1), rate last; and massagechaird --simulate
choosing its own state directory."""
import json
import os
import re
import subprocess

import pytest

import chairtest


@pytest.fixture
def ctl(bus):
    def run(*args, env_extra=None):
        env = bus.env()
        env.pop("COLUMNS", None)
        env.update(env_extra or {})
        return subprocess.run([chairtest.binary("chairctl"), *args], capture_output=True, text=True, env=env,
                              timeout=30 * chairtest.SLOWDOWN)
    return run


def test_no_command_is_status_and_json_modes(daemon, ctl):
    assert ctl().stdout == ctl("status").stdout and "State: idle" in ctl().stdout
    short = ctl("--json=short", "status").stdout
    assert short.count("\n") == 1 and json.loads(short)["state"] == "idle"
    pretty = ctl("status", "--json=pretty").stdout
    assert pretty.count("\n") > 10 and json.loads(pretty) == json.loads(short)
    assert "State:" in ctl("--json=off", "status").stdout
    assert json.loads(ctl("--json", "list").stdout)[0]["id"]
    r = ctl("--json=yaml", "status")
    assert r.returncode == 2 and "pretty, short or off" in r.stderr
    # Commands that print nothing refuse --json rather than ignore it.
    assert ctl("--json", "pause").returncode == 2


def test_show(daemon, ctl):
    out = ctl("show").stdout
    assert "State=idle\n" in out and "Intensity=" in out and "HeatLevels=lumbar:0 calves:0" in out
    assert ctl("show", "-p", "State", "--value").stdout == "idle\n"
    assert ctl("show", "--property=State,Intensity").stdout.splitlines()[0].startswith(("State=", "Intensity="))
    assert json.loads(ctl("--json", "show", "-p", "State").stdout) == {"State": "idle"}
    r = ctl("show", "-p", "NoSuchThing")
    assert r.returncode == 2
    assert ctl("status", "--value").returncode == 2


def test_legend_and_width(daemon, ctl):
    full = ctl("list").stdout
    assert full.startswith("  ID ")
    assert not ctl("list", "--no-legend").stdout.startswith("  ID ")
    narrow = ctl("list", env_extra={"COLUMNS": "70"}).stdout
    assert "…" in narrow and all(len(line) <= 70 for line in narrow.splitlines()), narrow
    assert "…" not in ctl("list", "--full", env_extra={"COLUMNS": "70"}).stdout
    # Piped without COLUMNS: everything, as systemd's tools print it.
    assert "…" not in full


def test_usage_errors(daemon, ctl):
    for args in (["status", "extra"], ["stop", "now"], ["list", "x"], ["history", "--max", "x"],
                 ["history", "--max", "0"], ["faults", "--max"], ["latency", "sideways"], ["speed", "3x"],
                 ["heat", "lumbar", "-1"], ["press", "power", "lots"], ["rate", "last", "11", "2"],
                 ["air", "back", "--intensity"], ["monitor", "--twice"], ["intensity", "+3"]):
        r = ctl(*args)
        assert r.returncode == 2, (args, r.returncode, r.stderr)
        assert r.stderr.count("\n") == 1 and "Try 'chairctl --help'" in r.stderr, (args, r.stderr)


def test_refusals_name_the_fix(daemon, ctl):
    # stop on an idle chair is done already, as systemctl stop of a stopped unit.
    r = ctl("stop")
    assert r.returncode == 0 and not r.stderr, r.stderr
    r = ctl("point", "+1")
    assert r.returncode == 1 and "'chairctl manual TECHNIQUE point'" in r.stderr and r.stderr.count("\n") == 1
    r = ctl("pause")
    assert r.returncode == 1 and "chairctl start PROGRAM" in r.stderr and r.stderr.count("\n") == 1
    # A scan in progress ends by itself: not "stop it first".
    assert ctl("scan").returncode == 0
    r = ctl("pause")
    assert r.returncode == 1 and "ends by itself" in r.stderr, r.stderr
    r = ctl("start", "swedish")
    assert r.returncode == 1 and "ends by itself" in r.stderr, r.stderr
    assert ctl("stop").returncode == 0
    # stop waits until the chair has settled: the next command finds it idle.
    assert ctl("show", "-p", "State", "--value").stdout == "idle\n"


def test_rate_last_and_missing_session(daemon, ctl):
    r = ctl("rate", "last", "5", "2")
    assert r.returncode == 1 and "no session" in r.stderr
    r = ctl("rate", "123456", "5", "2")
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert ctl("start", "demo", "--no-scan").returncode == 0
    assert ctl("stop").returncode == 0
    assert ctl("rate", "last", "5", "2").returncode == 0
    history = json.loads(ctl("--json", "history").stdout)
    assert history[0]["pain_before"] == 5 and history[0]["pain_after"] == 2
    assert "STARTED (UTC)" in ctl("history").stdout


def test_list_marks_running_program(daemon, ctl):
    assert ctl("start", "demo", "--no-scan").returncode == 0
    rows = [line for line in ctl("list").stdout.splitlines() if line[2:].startswith("demo ")]
    assert rows and rows[0].startswith("* "), rows
    listed = {p["id"]: p for p in json.loads(ctl("--json", "list").stdout)}
    assert listed["demo"]["running"] and not listed["swedish"]["running"]
    ctl("stop")


def test_simulate_creates_its_state_dir_or_uses_a_temporary_one(bus, workdir):
    env = bus.env()
    state = os.path.join(workdir, "new", "state")
    for directory, expect in ((state, f"Created the state directory {state}"),
                              ("/proc/no-such/state", "using the temporary")):
        env["STATE_DIRECTORY"] = directory
        d = chairtest.Process([chairtest.binary("massagechaird"), "--simulate"], os.path.join(workdir, "d.log"),
                              env=env)
        try:
            chairtest.wait_for(lambda: bus.name_has_owner() or d.poll() is not None, 20, "the daemon")
            assert d.poll() is None, d.output()
            assert expect in d.output(), d.output()
        finally:
            assert d.stop() == 0
        chairtest.wait_for(lambda: not bus.name_has_owner(), 10, "the name to go")
    assert oct(os.stat(state).st_mode & 0o777) == "0o750"
    # The temporary directory is removed again when the daemon ends.
    tmp = [w for w in d.output().split() if "massagechaird-state." in w]
    assert tmp and not os.path.exists(tmp[0].rstrip(".,")), tmp


def test_check_config(workdir):
    daemon = chairtest.binary("massagechaird")
    good = os.path.join(chairtest.SOURCE_DIR, "hardware-maps", "reference-chair.conf")
    r = subprocess.run([daemon, "--check-config", good], capture_output=True, text=True, timeout=20)
    assert r.returncode == 0 and f"{good}: ok" in r.stdout, r.stdout + r.stderr
    bad = os.path.join(workdir, "bad.conf")
    with open(good) as f, open(bad, "w") as g:
        g.write(f.read() + "\n[chair]\nbogus = 1\n")
    r = subprocess.run([daemon, "--check-config", bad], capture_output=True, text=True, timeout=20)
    assert r.returncode == 1 and re.search(rf"^{re.escape(bad)}:\d+: ", r.stderr, re.M), r.stderr


def test_hw_bindings(daemon, ctl):
    out = ctl("hw").stdout
    assert re.search(r"^output travel_motor +simulated +0 %$", out, re.M), out
    assert re.search(r"^input  temp_lumbar +simulated +[\d.]+ °C$", out, re.M), out
    rows = json.loads(ctl("--json", "hw").stdout)
    assert {r["name"] for r in rows} >= {"travel_motor", "estop", "supply_voltage"}
    assert [r for r in rows if r["name"] == "supply_voltage"][0]["unit"] == "V"
    ref = os.path.join(chairtest.SOURCE_DIR, "hardware-maps", "reference-chair.conf")
    out = ctl("hw", ref).stdout
    assert re.search(r"^output travel_motor +gpio \S+ line", out, re.M) and "modbus" in out, out


def test_profile_json_and_plot_to_stdout(ctl, workdir):
    demo = os.path.join(chairtest.SOURCE_DIR, "profiles", "programs", "demo.ini")
    bad = os.path.join(workdir, "bad.ini")
    with open(bad, "w") as f:
        f.write("[program]\nid = x\nbogus = 1\n")
    r = ctl("--json", "profile", "check", demo, bad)
    files = json.loads(r.stdout)
    assert r.returncode == 1 and files[0]["ok"] and files[0]["id"] == "demo"
    assert not files[1]["ok"] and any(e.startswith(f"{bad}:3: ") for e in files[1]["errors"]), files
    shown = json.loads(ctl("--json=pretty", "profile", "show", demo).stdout)
    assert shown["id"] == "demo" and shown["steps"][0]["step"] == "knead-up"
    r = ctl("profile", "plot", demo, "-o", "-")
    assert r.returncode == 0 and r.stdout.startswith("<?xml") and r.stdout.rstrip().endswith("</svg>")
    import xml.etree.ElementTree as ET
    root = ET.fromstring(r.stdout)
    texts = [e.text for e in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "techniques" in texts and "knead" in texts, texts
    assert "0:00" in texts and "1:00" in texts, texts
    # The steps' names stand above the roller lane (the polyline), never on it.
    trace_top = min(float(p.split(",")[1]) for p in
                    next(root.iter("{http://www.w3.org/2000/svg}polyline")).get("points").split())
    names = [e for e in root.iter("{http://www.w3.org/2000/svg}text") if e.text == "knead-up"]
    assert names and all(float(e.get("y")) < trace_top for e in names)


def test_zsh_completion():
    """shell-completion/zsh/_chairctl with stand-ins for zsh's completion builtins."""
    import shutil
    if not shutil.which("zsh"):
        pytest.skip("no zsh")
    script = f"""
compadd() {{ while [[ $1 != -- && $# -gt 0 ]]; do shift; done; shift; print -r -- "ADD: $*"; }}
compset() {{ return 0 }}
_files() {{ print -r -- "FILES $*"; }}
try() {{ words=("$@"); CURRENT=$#; print -r -- "== $*"; source {chairtest.SOURCE_DIR}/shell-completion/zsh/_chairctl; }}
try chairctl ""
try chairctl heat lumbar ""
try chairctl profile plot x.ini -o ""
"""
    env = dict(os.environ, PATH=os.path.dirname(chairtest.binary("chairctl")) + ":/usr/bin:/bin")
    r = subprocess.run(["zsh", "-f", "-c", script], capture_output=True, text=True, timeout=20, env=env)
    assert r.returncode == 0, r.stderr
    blocks = dict(b.split("\n", 1) for b in r.stdout.split("== ")[1:])
    assert "status" in blocks["chairctl "].split() and "--address=" in blocks["chairctl "].split()
    assert blocks["chairctl heat lumbar "].split() == ["ADD:", "ADD:", "0", "1", "2", "3"], blocks
    assert "*.svg" in blocks["chairctl profile plot x.ini -o "], blocks


def run_on_pty(argv, env):
    """Runs argv with its stdout on a pseudo-terminal; returns what it wrote there."""
    import pty
    import select
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE, env=env)
    os.close(slave)
    out = b""
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 10)
            if not ready:
                break
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    finally:
        proc.wait(timeout=20)
        os.close(master)
    return out.decode(errors="replace")


def test_pager_on_a_terminal_only(daemon, bus):
    env = bus.env()
    env["CHAIRCTL_PAGER"] = "sed s/^/PAGED:/"
    env["COLUMNS"] = "200"
    paged = run_on_pty([chairtest.binary("chairctl"), "list"], env)
    assert "PAGED:  ID" in paged and "PAGED:  swedish" in paged, paged
    plain = run_on_pty([chairtest.binary("chairctl"), "list", "--no-pager"], env)
    assert "PAGED:" not in plain and "swedish" in plain, plain
    # status is short: never paged.
    assert "PAGED:" not in run_on_pty([chairtest.binary("chairctl"), "status"], env)


def test_help_fits_80_columns():
    r = subprocess.run([chairtest.binary("chairctl"), "--help"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0
    assert all(len(line) <= 80 for line in r.stdout.splitlines()), [l for l in r.stdout.splitlines() if len(l) > 80]


def test_bash_completion_with_bash_completion_installed():
    """The completion with the real bash-completion (its _init_completion and _filedir)."""
    main = "/usr/share/bash-completion/bash_completion"
    if not os.path.exists(main):
        pytest.skip("bash-completion is not installed")
    script = f"""
source {main}
source {chairtest.SOURCE_DIR}/shell-completion/bash/chairctl
try() {{ COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${{#COMP_LINE}}; COMPREPLY=()
        _chairctl chairctl "${{COMP_WORDS[-1]}}" "${{COMP_WORDS[-2]}}"; echo "$*: ${{COMPREPLY[*]}}"; }}
try chairctl st
try chairctl --json=
try chairctl memory ""
try chairctl memory save ""
"""
    env = dict(os.environ, PATH=os.path.dirname(chairtest.binary("chairctl")) + ":/usr/bin:/bin")
    r = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True, text=True, timeout=20,
                       env=env)
    assert r.returncode == 0, r.stderr
    out = dict(line.split(": ", 1) for line in r.stdout.splitlines() if ": " in line)
    assert set(out["chairctl st"].split()) == {"status", "start", "stop"}, out
    assert set(out["chairctl --json="].split()) == {"pretty", "short", "off"}, out
    assert set(out["chairctl memory "].split()) == {"save", "recall", "show"}, out
    assert set(out["chairctl memory save "].split()) == {"1", "2"}, out


def test_host_through_ssh(daemon, bus, workdir):
    """-H HOST runs 'ssh ... HOST systemd-stdio-bridge' as systemd's tools do; a stand-in ssh
    on PATH bridges to this test's bus, so it runs on loopback with no sshd."""
    import shutil
    bridge = shutil.which("systemd-stdio-bridge")
    if not bridge:
        pytest.skip("no systemd-stdio-bridge")
    fake = os.path.join(workdir, "fake-ssh")
    os.makedirs(fake)
    with open(os.path.join(fake, "ssh"), "w") as f:
        f.write(f'#!/bin/sh\necho "$*" > {workdir}/ssh-args\nexec {bridge} --bus-path="$FAKE_BUS"\n')
    os.chmod(os.path.join(fake, "ssh"), 0o755)
    env = {"PATH": f"{fake}:/usr/bin:/bin", "FAKE_BUS": bus.address, "DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nonexistent"}
    r = subprocess.run([chairtest.binary("chairctl"), "-H", "chair.example", "show", "-p", "State", "--value"],
                       capture_output=True, text=True, env=env, timeout=30)
    assert r.returncode == 0 and r.stdout == "idle\n", r.stderr
    with open(os.path.join(workdir, "ssh-args")) as f:
        assert "chair.example systemd-stdio-bridge" in f.read()
    env["FAKE_BUS"] = "unix:path=/nonexistent"
    r = subprocess.run([chairtest.binary("chairctl"), "--host=chair.example", "status"], capture_output=True, text=True,
                       env=env, timeout=30)
    assert r.returncode == 3 and "the system bus of chair.example (over ssh)" in r.stderr, r.stderr
