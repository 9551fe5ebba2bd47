"""Issue 17: manual point mode uses the Depth and Width set before the start, and live width,
speed, depth and intensity changes reach the motors. Read where the chair is: chairsim's
registers over Modbus TCP (chairsim_registers.py), and on --simulate the sim driver's outputs
(GetDiagnostics' output.*). The point is the stored shoulder, so the roller travels there for
the first ~40 s: the travel motor's duty shows the speed."""
import pytest

import chairtest
from chairsim_registers import ChairsimRegisters

SAFE_POINT_S = 2   # manual mode's safe point for live changes (daemon/session.c)


class SimOutputs:
    """The sim backend's outputs, through the technicians' diagnostics."""

    def __init__(self, daemon):
        self.daemon = daemon

    def get(self, name):
        diag = self.daemon.call("GetDiagnostics", interface=chairtest.SERVICE_INTERFACE)[0]
        return diag["output." + name]["data"]

    def close(self):
        pass


@pytest.fixture(params=["chairsim", "simulate"])
def chair(request, workdir, start_daemon):
    """(daemon, outputs) on chairsim or on --simulate."""
    if request.param == "simulate":
        daemon = start_daemon()
        yield daemon, SimOutputs(daemon)
        return
    sim = chairtest.Chairsim(workdir)
    regs = None
    try:
        daemon = start_daemon(args=("--config", sim.write_map()))
        regs = ChairsimRegisters(sim.port)
        yield daemon, regs
    finally:
        if regs:
            regs.close()
        sim.stop()


def settles_to(outputs, name, predicate, what):
    """Waits up to two safe points (and a Modbus poll) for an output to satisfy predicate."""
    seen = []

    def check():
        seen.append(outputs.get(name))
        return predicate(seen[-1])
    try:
        chairtest.wait_for(check, 2 * SAFE_POINT_S + 1, f"{name} {what}", interval=0.1)
    except TimeoutError as e:
        raise AssertionError(f"{e}; last read {seen[-1:]}") from None
    return seen[-1]


@pytest.mark.timeout(90 * chairtest.SLOWDOWN)
def test_point_mode_settings_at_start_and_live(chair):
    daemon, out = chair
    daemon.call("SetDepth", "u", 4)
    daemon.call("SetWidth", "s", "wide")
    daemon.call("SetSpeed", "u", 3)
    # Intensity 5 is 100 % of the technique's setpoints: the depth output is the Depth level.
    daemon.call("StartManual", "ssa{sv}", "knead", "point", 2, "scan", "b", "false", "intensity", "u", 5)
    chairtest.wait_for(lambda: daemon.get_property("State") == "running", 10, "running")
    settles_to(out, "depth", lambda v: v == 4, "== 4 (the Depth set before the start)")
    settles_to(out, "width", lambda v: v == 2, "== 2 (wide, set before the start)")
    knead = settles_to(out, "knead_motor", lambda v: v > 0, "> 0")
    travel = settles_to(out, "travel_motor", lambda v: v != 0, "!= 0 (travelling to the point)")

    daemon.call("SetWidth", "s", "narrow")
    settles_to(out, "width", lambda v: v == 0, "== 0 (narrow, live)")
    daemon.call("SetDepth", "u", 2)
    settles_to(out, "depth", lambda v: v == 2, "== 2 (Depth 2, live)")
    daemon.call("SetSpeed", "u", 1)
    settles_to(out, "travel_motor", lambda v: 0 < abs(v) < abs(travel), f"slower than {travel} (speed 1, live)")
    daemon.call("SetIntensity", "u", 2)
    settles_to(out, "knead_motor", lambda v: 0 < v < knead, f"below {knead} (intensity 2, live)")

    assert daemon.get_property("State") == "running" and daemon.get_property("Fault") == ""
    assert daemon.get_property("Program") == "manual:knead"
    daemon.call("Stop")
    chairtest.wait_for(lambda: daemon.get_property("State") == "idle", 60, "idle", interval=0.2)
    settles_to(out, "knead_motor", lambda v: v == 0, "== 0 (safe when idle)")
