"""Every shipped program on the real daemon: one `massagechaird --simulate` per program, each
on its own private bus, half of them at once (BATCHES), each running its program for MCD_E2E_SECONDS (90 s by
default) in real time, and none may fault. The programs start without a body scan, the roller
at the bottom of the track: the scan has its own tests, and its 20 s would come out of the
bounded time (the travel fault of issue 17 tripped 42 s into a program from there). The
virtual-time test (tests/unit/test-programs-vt.c) covers whole programs at every setting; this
one checks the same on the daemon as a user runs it, so it is long: one ctest entry, labelled
`long` (ctest -LE long leaves it out of a quick round)."""
import glob
import os
import time

import pytest

import chairtest

# The programs run in BATCHES groups, one group at a time: ten sanitized daemons with the
# posture chair at once, beside another test, starved the simulated chairs of the CPU they
# need to keep up with real time (a pump ran past its 30 s limit under ASan on 2 cores).
BATCHES = 2
RUN_S = int(os.environ.get("MCD_E2E_SECONDS", "90"))
POLL_S = 2


def programs():
    return sorted(os.path.splitext(os.path.basename(p))[0]
                  for p in glob.glob(os.path.join(chairtest.SOURCE_DIR, "profiles", "programs", "*.ini")))


@pytest.mark.parametrize("batch", range(BATCHES))
def test_every_program_runs_without_fault(batch):
    assert len(programs()) >= 9
    names = programs()[batch::BATCHES]
    started = []   # (name, workdir, bus, daemon)
    try:
        for name in names:
            w = chairtest.Workdir()
            bus = chairtest.PrivateBus(w.path)
            started.append([name, w, bus, None])
            started[-1][3] = chairtest.Daemon(bus, w.path)
        for name, _, _, d in started:
            d.call("Start", "sa{sv}", name, 2, "intensity", "u", 3, "scan", "b", "false")
        faults = {}
        states = {}
        end = time.monotonic() + RUN_S
        while time.monotonic() < end and len(faults) < len(started):
            for name, _, _, d in started:
                if name in faults:
                    continue
                assert d.process.poll() is None, f"{name}: massagechaird exited:\n{d.output()}"
                state = d.get_property("State")
                states.setdefault(name, set()).add(state)
                if state == "fault" or d.get_property("Fault"):
                    faults[name] = f"{d.get_property('Fault')}: {d.get_property('FaultMessage')}"
            time.sleep(POLL_S)
        assert not faults, "programs that faulted: " + "; ".join(f"{n}: {m}" for n, m in sorted(faults.items()))
        # Every program got past its body scan and ran.
        for name in names:
            assert "running" in states.get(name, set()), f"{name} never ran: {sorted(states.get(name, []))}"
    finally:
        for name, w, bus, d in started:
            if d is not None:
                d.stop()
                out = d.output()
                assert "ERROR: AddressSanitizer" not in out and "runtime error:" not in out, out
            bus.stop()
            w.cleanup()
