"""The daemon's threads: where they run, and which of them wake while the chair is idle.

With a [scheduler] cpu the scheduler's thread runs there and the others keep off it.

The event loop and the scheduler sleep: the board's measurements are sampled, not events, and
nothing is due. The bus thread wakes once per idle poll, with the board's heartbeat riding on
that wake-up: the only periodic wake-up, and one a Modbus master cannot avoid (with --simulate
there is none at all: test_session.py). Counts, never times."""
import os
import time

import pytest

import chairtest


def thread_counts(pid):
    """Voluntary context switches (sleeps) per named thread."""
    counts = {}
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/comm") as f:
            name = f.read().strip()
        with open(f"/proc/{pid}/task/{task}/status") as f:
            sleeps = next(int(line.split()[1]) for line in f if line.startswith("voluntary_ctxt_switches"))
        counts[name] = counts.get(name, 0) + sleeps
    return counts


@pytest.fixture
def chairsim_daemon(workdir, start_daemon):
    sim = chairtest.Chairsim(workdir)
    try:
        yield start_daemon(args=("--config", sim.write_map()))
    finally:
        sim.stop()


def transactions(daemon):
    return daemon.call("GetDiagnostics", interface=chairtest.SERVICE_INTERFACE)[0]["modbus.transactions"]["data"]


def run_a_session(daemon):
    """After a session the panel's display and LEDs stay lit (the selected program): they must
    not keep the supervisor's checks ticking."""
    daemon.call("Start", "sa{sv}", "demo", 1, "scan", "b", "false")
    chairtest.wait_for(lambda: daemon.get_property("State") == "running", 10 * chairtest.SLOWDOWN, "running")
    time.sleep(1)
    daemon.call("Stop")
    chairtest.wait_for(lambda: daemon.get_property("State") == "idle", 60 * chairtest.SLOWDOWN, "idle")
    time.sleep(1)


def test_idle_after_a_session_nothing_wakes(daemon):
    """--simulate: the simulated chair's physics runs on the event loop. After the demo's heat it
    cools for minutes, followed by a step a second (and what each step's new temperatures cause)
    instead of a hundred: a few wake-ups a second, where there were 100."""
    pid = daemon.process.pid
    run_a_session(daemon)
    before = thread_counts(pid)
    time.sleep(3)
    after = thread_counts(pid)
    woke = {name: after[name] - before.get(name, 0) for name in after}
    assert woke["scheduler"] <= 1, woke
    assert woke["massagechaird"] <= 30, woke


def test_idle_on_a_modbus_board_only_the_bus_thread_wakes(chairsim_daemon):
    daemon = chairsim_daemon
    pid = daemon.process.pid
    # A session first: running polls every 50 ms and writes the heartbeat every 200 ms, so the
    # two are out of step when the chair goes idle again.
    run_a_session(daemon)

    tx0, before = transactions(daemon), thread_counts(pid)
    time.sleep(3)
    after, tx = thread_counts(pid), transactions(daemon)
    # Our own GetDiagnostics calls wake the event loop twice; nothing else may.
    tx -= tx0
    woke = {name: after[name] - before.get(name, 0) for name in after}
    assert woke["scheduler"] <= 1, woke
    assert woke["massagechaird"] <= 4, woke
    # The bus thread sleeps once per transaction (the board's reply) and once between polls:
    # 3 s / 200 ms idle polls = 15 wake-ups, each a heartbeat and two block reads. A heartbeat
    # with wake-ups of its own would add 15 more.
    polls = woke["bus-board"] - tx
    assert 0 < tx <= 3 * 18, (tx, woke)
    assert polls <= 19, (polls, tx, woke)


def allowed_cpus(pid, tid):
    with open(f"/proc/{pid}/task/{tid}/status") as f:
        line = next(line for line in f if line.startswith("Cpus_allowed_list:"))
    cpus = set()
    for part in line.split()[1].split(","):
        lo, _, hi = part.partition("-")
        cpus |= set(range(int(lo), int(hi or lo) + 1))
    return cpus


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs")
def test_scheduler_cpu_of_its_own(workdir, start_daemon):
    cpu = max(os.sched_getaffinity(0))
    sim = chairtest.Chairsim(workdir)
    try:
        daemon = start_daemon(args=("--config", sim.write_map(f"\n[scheduler]\ncpu = {cpu}\n")))
        pid = daemon.process.pid
        names = {}
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                names[f.read().strip()] = tid
        assert set(names) == {"massagechaird", "scheduler", "bus-board"}, names
        assert allowed_cpus(pid, names["scheduler"]) == {cpu}
        for other in ("massagechaird", "bus-board"):
            allowed = allowed_cpus(pid, names[other])
            assert allowed and cpu not in allowed, (other, allowed)
        if "SCHED_FIFO" in daemon.output():
            assert f"on CPU {cpu}" in daemon.output()
    finally:
        sim.stop()
