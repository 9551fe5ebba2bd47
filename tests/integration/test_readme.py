"""The README's first ten minutes, verbatim: scripts/demo.sh runs (on the tree already built),
then every command line of the README's "A first session" section runs as written, from a second
"terminal" in a directory whose build/ is this build tree, and each one's exit status and output
are checked. Ctrl-C then ends the demo, which says what it stopped and leaves nothing behind."""
import os
import pty
import re
import select
import signal
import subprocess
import time

import chairtest

README = os.path.join(chairtest.SOURCE_DIR, "README.md")

# What each README line must print (a regular expression on stdout); every line must exit 0.
EXPECT = {
    "chairctl status": r"State: (scanning|running|idle)",
    "chairctl list": r"swedish .*Swedish",
    "chairctl start swedish": r"^swedish: (a body scan first, then )?\d+:\d\d planned at intensity 2\n$",
    "busctl get-property": r'^s "(idle|settling|scanning|running|paused)"',
}


def first_session_lines():
    with open(README) as f:
        text = f.read()
    section = text.split("## A first session", 1)[1].split("\n## ", 1)[0]
    # The commands are the indented blocks; fenced blocks are captures of output.
    section = re.sub(r"^```.*?^```$", "", section, flags=re.M | re.S)
    lines = [line[4:] for line in section.splitlines() if line.startswith("    ") and line.strip()]
    assert lines and lines[0].startswith(". build/demo.env"), lines[:1]
    return lines


def run_in_pty_until(argv, cwd, env, pattern, timeout):
    """Runs argv on a pseudo-terminal until its output matches pattern, then sends it Ctrl-C's
    SIGINT; returns (exit status, output)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=slave, stdout=slave, stderr=slave,
                            start_new_session=True)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + timeout * chairtest.SLOWDOWN
    try:
        while time.monotonic() < deadline and not re.search(pattern, out.decode(errors="replace")):
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    out += os.read(master, 65536)
                except OSError:
                    break
            if proc.poll() is not None:
                break
        matched = re.search(pattern, out.decode(errors="replace"))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
        rc = proc.wait(timeout=10 * chairtest.SLOWDOWN)
        while True:
            ready, _, _ = select.select([master], [], [], 0.2)
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
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        os.close(master)
    text = out.decode(errors="replace")
    assert matched, f"{' '.join(argv)}: no /{pattern}/ on the terminal within {timeout} s:\n{text[-3000:]}"
    return rc, text


def test_readme_first_session_verbatim(workdir):
    env = {k: v for k, v in os.environ.items() if k not in ("DBUS_SYSTEM_BUS_ADDRESS", "JOURNAL_STREAM")}
    env.update(MCD_BUILD_DIR=chairtest.BUILD_DIR, DEMO_NO_BUILD="1", DEMO_SECONDS="900", TERM="xterm")
    envfile = os.path.join(chairtest.BUILD_DIR, "demo.env")
    demo = chairtest.Process(["bash", os.path.join(chairtest.SOURCE_DIR, "scripts", "demo.sh")],
                             os.path.join(workdir, "demo.log"), env=env)
    try:
        chairtest.wait_for(lambda: "chairctl monitor" in demo.output() or demo.poll() is not None, 30,
                           "the demo to start its program")
        assert demo.poll() is None, demo.output()
        out = demo.output()
        shown = os.path.relpath(envfile, chairtest.SOURCE_DIR)
        shown = envfile if shown.startswith("..") else shown
        assert "In a second terminal" in out and f". {shown}\n" in out, out
        assert re.search(r"--address=unix:path=\S+ status", out), out
        assert os.path.exists(envfile)

        # The second terminal: a directory whose build/ is this build tree, as the source tree's is.
        term = os.path.join(workdir, "terminal")
        os.makedirs(term)
        os.symlink(chairtest.BUILD_DIR, os.path.join(term, "build"))
        lines = first_session_lines()
        source = lines[0]
        for line in lines:
            script = line if line == source else f"{source}\n{line}"
            if re.match(r"chairctl monitor\b", line):
                rc, text = run_in_pty_until(["bash", "-c", script], term, env, r"running", 90)
                assert rc == 0, f"{line}: exit {rc}\n{text[-2000:]}"
                # The alternate screen is left again on Ctrl-C.
                assert "\x1b[?1049h" in text and "\x1b[?1049l" in text, text[-500:]
                continue
            r = subprocess.run(["bash", "-c", script], cwd=term, env=env, capture_output=True, text=True,
                               timeout=90 * chairtest.SLOWDOWN)
            assert r.returncode == 0, f"README line {line!r} exited {r.returncode}:\n{r.stdout}{r.stderr}"
            for prefix, pattern in EXPECT.items():
                if line.startswith(prefix):
                    assert re.search(pattern, r.stdout, re.M), f"{line!r} printed:\n{r.stdout}{r.stderr}"
            if line.startswith("chairctl stop"):
                state = subprocess.run(["bash", "-c", f"{source}\nchairctl show -p State --value"], cwd=term,
                                       env=env, capture_output=True, text=True, timeout=20)
                assert state.stdout.strip() == "idle", (line, state.stdout, state.stderr)

        # Ctrl-C: the demo stops everything it started and says so.
        os.killpg(demo.pid, signal.SIGINT)
        try:
            rc = demo.wait(30)
        except subprocess.TimeoutExpired:
            raise AssertionError("the demo did not end on Ctrl-C:\n" + demo.output())
        assert rc == 0, demo.output()
        assert "killed" not in demo.output(), demo.output()
        out = demo.output()
        for what in (r"(stopped massagechaird|massagechaird \(pid \d+\) had ended)", "stopped dbus-daemon",
                     "removed"):
            assert re.search(what, out), out
        assert not os.path.exists(envfile)
    finally:
        demo.stop()
        if os.path.exists(envfile):
            os.unlink(envfile)
