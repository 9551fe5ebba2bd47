"""What the chair remembers survives a restart and a kill -9: memory slots, precautions, the
default timer, the session history with its ratings; a corrupt state file is moved aside with a
log line and the daemon starts anyway (docs/state-files.md)."""
import glob
import os
import signal

import pytest

import chairtest
from chairtest import SERVICE_INTERFACE


def wait_state(daemon, state, timeout=40):
    chairtest.wait_for(lambda: daemon.get_property("State") == state, timeout, f"State {state}")


def remember_things(daemon):
    """Stores a memory slot, precautions, a default timer and a rated session."""
    daemon.call("Start", "sa{sv}", "demo", 2, "scan", "b", "false", "intensity", "u", 2)
    wait_state(daemon, "running", 10)
    session = daemon.get_property("SessionId")
    daemon.call("SetSpeed", "u", 5)
    daemon.call("SaveMemory", "u", 1)
    daemon.call("Stop")
    wait_state(daemon, "idle")
    daemon.call("RateSession", "tuu", session, 8, 3)
    daemon.call("SetPrecautions", "as", 2, "varicose-veins", "osteoporosis")
    daemon.call("SetDefaultTimer", "u", 30, interface=SERVICE_INTERFACE)
    return session


def check_remembered(daemon, session):
    assert sorted(daemon.get_property("Precautions")) == ["osteoporosis", "varicose-veins"]
    slot = {k: v["data"] for k, v in daemon.call("GetMemory", "u", 1)[0].items()}
    assert slot.get("program") == "demo", slot
    assert slot.get("speed") == 5, slot
    assert daemon.call("GetMemory", "u", 2)[0] == {}
    history = daemon.call("GetHistory", "u", 5)[0]
    assert history and history[0][0] == session
    assert history[0][1] == "demo" and history[0][5] == 8 and history[0][6] == 3
    assert history[0][7] == "stopped"
    assert daemon.get_property("Timer") == 30


@pytest.mark.parametrize("how", ["sigterm", "kill-9"])
def test_state_survives_restart(start_daemon, how):
    daemon = start_daemon()
    session = remember_things(daemon)
    if how == "kill-9":
        daemon.process.signal(signal.SIGKILL)
        daemon.process.wait(10)
    daemon.stop()
    again = start_daemon(name="massagechaird-2")
    check_remembered(again, session)
    assert not glob.glob(os.path.join(again.state_dir, "*.corrupt-*"))
    assert not glob.glob(os.path.join(again.state_dir, "*.tmp"))


def test_kill_9_mid_session_keeps_older_state(start_daemon):
    daemon = start_daemon()
    session = remember_things(daemon)
    daemon.call("Start", "sa{sv}", "demo", 1, "scan", "b", "false")
    wait_state(daemon, "running", 10)
    daemon.process.signal(signal.SIGKILL)
    daemon.process.wait(10)
    daemon.stop()
    again = start_daemon(name="massagechaird-2")
    assert again.get_property("State") == "idle"
    check_remembered(again, session)


def test_corrupt_state_files_are_moved_aside(workdir, start_daemon):
    state = os.path.join(workdir, "state")
    os.makedirs(state, exist_ok=True)
    with open(os.path.join(state, "settings"), "w") as f:
        f.write("precautions=pregnancy\nmemory1=swedish,99\n")
    with open(os.path.join(state, "history"), "w") as f:
        f.write("1\tswedish\t1700000000000000\t600\t3\t65535\t65535\tcompleted\n\x00\x01garbage\n")
    with open(os.path.join(state, "faults"), "wb") as f:
        f.write(os.urandom(300).replace(b"\n", b" "))
    with open(os.path.join(state, "history.tmp"), "w") as f:
        f.write("2\tgentle\t17")
    daemon = start_daemon()
    assert daemon.get_property("State") == "idle"
    # The readable lines are kept: a bad memory line never costs the declared conditions.
    assert daemon.get_property("Precautions") == ["pregnancy"]
    history = daemon.call("GetHistory", "u", 5)[0]
    assert [h[0] for h in history] == [1]
    assert daemon.call("GetFaults", "u", 5)[0] == []
    for name in ("settings", "history", "faults"):
        assert glob.glob(os.path.join(state, f"{name}.corrupt-*")), name
    assert not os.path.exists(os.path.join(state, "history.tmp"))
    out = daemon.output()
    assert "settings:2" in out and "moved aside" in out
    # It writes again after the move.
    daemon.call("SetPrecautions", "as", 1, "pregnancy")
    daemon.stop()
    again = start_daemon(name="massagechaird-2")
    assert again.get_property("Precautions") == ["pregnancy"]
