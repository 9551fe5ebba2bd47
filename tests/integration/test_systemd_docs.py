"""The man pages and the bash completion against the programs they describe: every page renders
without groff warnings, every option a program's --help lists is in its page, every chairctl
command is in chairctl(1) and in the completion, and the example in chair.conf(5) is a hardware
map the daemon accepts. Catches docs that drift from the code."""
import os
import re
import subprocess

import pytest

import chairtest

MAN = os.path.join(chairtest.SOURCE_DIR, "man")
PAGES = ["massagechaird.8", "chairctl.1", "chairsim.1", "chair.conf.5", "massagechair-profile.5"]
COMPLETION = os.path.join(chairtest.SOURCE_DIR, "shell-completion", "bash", "chairctl")


def render(page):
    """The page as plain text on very long lines (no hyphenation, no line breaks inside words)."""
    r = subprocess.run(["groff", "-man", "-Tascii", "-ww", "-rLL=1000n", "-rHY=0", "-P-cbou",
                        os.path.join(MAN, page)], capture_output=True, text=True, timeout=30,
                       env=dict(os.environ, LC_ALL="C.UTF-8"))
    assert r.returncode == 0, r.stderr
    return r.stdout, r.stderr


def help_text(program):
    r = subprocess.run([chairtest.binary(program), "--help"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0, r.stderr
    return r.stdout + r.stderr


def long_options(text):
    return set(re.findall(r"(?<![\w-])--[a-z][a-z-]*[a-z]", text))


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_cleanly(page):
    text, warnings = render(page)
    assert not warnings.strip(), f"{page}: {warnings}"
    name = page.rsplit(".", 1)[0]
    assert re.search(r"^NAME\s*\n\s*" + re.escape(name) + r" - ", text, re.M), text[:300]
    for section in ("DESCRIPTION", "SEE ALSO"):
        assert re.search(rf"^{section}$", text, re.M), f"{page}: no {section}"


@pytest.mark.parametrize("program,page", [("massagechaird", "massagechaird.8"), ("chairctl", "chairctl.1"),
                                          ("chairsim", "chairsim.1")])
def test_every_option_in_the_page(program, page):
    text, _ = render(page)
    missing = long_options(help_text(program)) - long_options(text) - {"--help"}
    assert not missing, f"{page} does not describe {sorted(missing)}"


def completion_commands():
    """The completion asks chairctl (its verb table) for the commands: no list of its own."""
    with open(COMPLETION) as f:
        assert "local commands=" not in f.read(), "the completion keeps a command list of its own"
    r = subprocess.run([chairtest.binary("chairctl"), "__complete"], capture_output=True, text=True, timeout=10)
    return {w for w in r.stdout.split() if not w.startswith("-")}


def test_man_page_is_generated_from_the_verb_table():
    """man/chairctl.1 is man/chairctl.1.in with chairctl's own OPTIONS and COMMANDS sections
    (cmake --build build --target chairctl-man regenerates it)."""
    with open(os.path.join(MAN, "chairctl.1.in")) as f:
        template = f.read()
    r = subprocess.run([chairtest.binary("chairctl"), "__man"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0, r.stderr
    with open(os.path.join(MAN, "chairctl.1")) as f:
        assert f.read() == template.replace(".\\\" @SECTIONS@\n", r.stdout), \
            "man/chairctl.1 is stale: run cmake --build build --target chairctl-man"


def test_chairctl_commands_in_page_and_completion():
    usage = help_text("chairctl")
    # Commands start a usage line, or follow " | " in one whose first word takes no subcommand
    # ("stop | pause | resume", but not "profile check FILE | show FILE").
    commands = set()
    for line in usage.splitlines():
        if not re.match(r"  [a-z][a-z-]*( |$)", line):
            continue
        spec = re.sub(r"\[[^]]*\]", "", re.split(r"\s{2,}", line.strip())[0])
        words = spec.split()
        if len(words) > 1 and re.fullmatch(r"[a-z][a-z-]*", words[1]):
            commands.add(words[0])
        else:
            commands.update(w.split()[0] for w in spec.split(" | ") if w.strip())
    assert {"status", "start", "stop", "monitor", "profile", "precautions"} <= commands, commands
    completion = completion_commands()
    assert commands - completion == set(), f"not completed: {sorted(commands - completion)}"
    assert completion - commands == set(), f"completed but not in --help: {sorted(completion - commands)}"
    page, _ = render("chairctl.1")
    missing = {c for c in commands if not re.search(rf"(?<![\w-]){re.escape(c)}(?![\w-])", page)}
    assert not missing, f"chairctl(1) does not describe {sorted(missing)}"


def test_completion_completes():
    """Sourced in bash with stand-ins for bash-completion's helpers: commands, then arguments."""
    script = f"""
_init_completion() {{ cur=${{COMP_WORDS[COMP_CWORD]}}; prev=${{COMP_WORDS[COMP_CWORD-1]}};
                     words=("${{COMP_WORDS[@]}}"); cword=$COMP_CWORD; }}
_filedir() {{ COMPREPLY=(FILE); }}
source {COMPLETION}
complete -p chairctl
try() {{ COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _chairctl; echo "$*: ${{COMPREPLY[*]}}"; }}
try chairctl st
try chairctl profile ""
try chairctl --json heat ""
try chairctl heat lumbar ""
try chairctl profile check ""
try chairctl precautions set ""
try chairctl --json=""
"""
    r = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True, text=True, timeout=10,
                       env=dict(os.environ, PATH=os.path.dirname(chairtest.binary("chairctl")) + ":/usr/bin:/bin"))
    assert r.returncode == 0, r.stderr
    out = dict(line.split(": ", 1) for line in r.stdout.splitlines() if ": " in line)
    assert set(out["chairctl st"].split()) == {"status", "start", "stop"}, out
    assert set(out["chairctl profile "].split()) == {"check", "show", "plot", "upload"}, out
    assert set(out["chairctl --json heat "].split()) == {"lumbar", "calves"}, out
    assert set(out["chairctl heat lumbar "].split()) == {"0", "1", "2", "3"}, out
    assert out["chairctl profile check "] == "FILE", out
    # No daemon here: the conditions come from it, so nothing (and no error) is offered.
    assert "chairctl precautions set " in out and "[" not in out["chairctl precautions set "], out
    assert set(out["chairctl --json="].split()) == {"pretty", "short", "off"}, out


def test_chair_conf_example_is_accepted(workdir):
    """The EXAMPLE of chair.conf(5) loads: the daemon gets past the hardware map (it then stops
    at the missing bus, which is the point where a map error would already have ended it)."""
    with open(os.path.join(MAN, "chair.conf.5")) as f:
        m = re.search(r"^\.SH EXAMPLE\n\.nf\n(.*?)^\.fi$", f.read(), re.M | re.S)
    assert m, "chair.conf(5) has no EXAMPLE"
    conf = os.path.join(workdir, "chair.conf")
    with open(conf, "w") as f:
        f.write(m.group(1).replace("\\-", "-").replace("\\e", "\\"))
    env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=f"unix:path={workdir}/no-bus")
    env.pop("JOURNAL_STREAM", None)
    r = subprocess.run([chairtest.binary("massagechaird"), "--config", conf, "--state-dir", workdir,
                        "--overrides-dir", workdir, "--profiles-dir",
                        os.path.join(chairtest.SOURCE_DIR, "profiles", "programs")],
                       capture_output=True, text=True, timeout=30 * chairtest.SLOWDOWN, env=env)
    assert f"Hardware map {conf}:" in r.stderr and f"{conf}:" not in r.stderr.replace(f"Hardware map {conf}:", ""), \
        r.stderr
