"""Issue 17: the body scan finds the shoulder the simulator models (it read ~20 mm high), on
chairsim over Modbus TCP for both body sizes it models (a short and a tall shoulder, as the
virtual-time matrix runs them) and on --simulate (the sim backend models the default body only:
shoulder 620 mm); and the shoulder fine-tune (AdjustShoulder) applies to a program under way:
its next roller position moves by the offset."""
import pytest

import chairtest

TOLERANCE_MM = 10
DEFAULT_SHOULDER_MM = 620      # drivers/chair-physics.c, the sim backend's body
WAIST_BELOW_SHOULDER_MM = 400  # the planner's waist, and chairsim's
STEP_MM = 10                   # one AdjustShoulder step (docs/dbus-api.md)
BODIES = {"short": 500, "tall": 760}   # tests/unit/test-programs-matrix.c's bodies


def wait_state(daemon, state, timeout=20):
    chairtest.wait_for(lambda: daemon.get_property("State") == state, timeout, state, interval=0.1)


def scan(daemon):
    """A body scan on the idle chair; returns the shoulder it found (mm)."""
    daemon.call("StartBodyScan")
    wait_state(daemon, "scanning", 5)
    chairtest.wait_for(lambda: daemon.get_property("State") != "scanning", 100, "the scan to end", interval=0.1)
    assert daemon.get_property("Fault") == "", daemon.get_property("FaultMessage")
    wait_state(daemon, "idle", 60)
    return daemon.get_property("ShoulderPosition")


@pytest.fixture
def chairsim_daemon(request, workdir, bus, start_daemon):
    sim = chairtest.Chairsim(workdir, "--shoulder", str(request.param))
    try:
        yield start_daemon(args=("--config", sim.write_map())), request.param
    finally:
        sim.stop()



@pytest.mark.timeout(150 * chairtest.SLOWDOWN)
@pytest.mark.parametrize("chairsim_daemon", [
    pytest.param(BODIES["short"], id="short"),
    pytest.param(720, id="tall-within-the-track"),   # the tallest shoulder the scan can clear today
    pytest.param(BODIES["tall"], id="tall"),
], indirect=True)
def test_scan_on_chairsim_finds_the_modelled_shoulder(chairsim_daemon):
    daemon, shoulder = chairsim_daemon
    found = scan(daemon)
    assert abs(found - shoulder) <= TOLERANCE_MM, f"scan found {found} mm, chairsim models {shoulder} mm"


@pytest.mark.timeout(150 * chairtest.SLOWDOWN)
def test_scan_on_simulate_finds_the_modelled_shoulder(daemon):
    found = scan(daemon)
    assert abs(found - DEFAULT_SHOULDER_MM) <= TOLERANCE_MM, f"scan found {found} mm, the sim models 620 mm"


def remaining_at_most(daemon, seconds, timeout):
    chairtest.wait_for(lambda: daemon.get_property("Remaining") <= seconds, timeout,
                       f"Remaining <= {seconds}", interval=0.2)


@pytest.mark.timeout(200 * chairtest.SLOWDOWN)
def test_shoulder_fine_tune_moves_a_running_program(daemon):
    """The demo (docs: profiles/programs/demo.ini) holds a shiatsu press at position 0.3 of the
    back (shoulder + 0.3 x (waist - shoulder)) from 40 s to 60 s; a fine-tune of +3 steps made
    during the step before moves that press 30 mm up."""
    shoulder = scan(daemon)
    daemon.call("Start", "sa{sv}", "demo", 1, "scan", "b", "false")
    wait_state(daemon, "running", 10)
    duration = daemon.get_property("Duration")
    assert abs(duration - 90) <= 1, duration
    remaining_at_most(daemon, duration - 25, 60)             # in the tap-down step (20-40 s)
    daemon.call("AdjustShoulder", "i", 3)
    assert daemon.get_property("ShoulderPosition") == shoulder + 3 * STEP_MM
    remaining_at_most(daemon, duration - 56, 60)             # the press step, 16 s in (40-60 s)
    samples = []
    for _ in range(5):
        samples.append(daemon.get_property("RollerPosition"))
        remaining_at_most(daemon, daemon.get_property("Remaining") - 0.5, 5)
    assert daemon.get_property("State") == "running" and daemon.get_property("Fault") == ""
    press = shoulder + 3 * STEP_MM - 0.3 * WAIST_BELOW_SHOULDER_MM
    position = sorted(samples)[len(samples) // 2]
    assert abs(position - press) <= TOLERANCE_MM, \
        f"pressing at {samples} mm, fine-tuned press at {press:.0f} mm (unadjusted {press - 30:.0f} mm)"
    daemon.call("Stop")
    wait_state(daemon, "idle", 60)
