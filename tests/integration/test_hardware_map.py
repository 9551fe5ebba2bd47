"""A bad hardware map is refused at start with FILE:LINE: message and exit status 1, before
anything is driven or the bus name is taken."""
import os
import subprocess

import pytest

import chairtest

GOOD_HEAD = "[chair]\nmodel = Test chair\n"

CASES = [
    ("unknown-section", GOOD_HEAD + "[turbo]\nboost = 1\n", 3, "unknown section [turbo]"),
    ("unknown-key", GOOD_HEAD + "wheels = 4\n", 3, "unknown key 'wheels'"),
    ("duplicate-key", GOOD_HEAD + "model = again\n", 3, "duplicate key 'model'"),
    ("duplicate-section", GOOD_HEAD + "[limits]\n[limits]\n", 4, "duplicate section [limits]"),
    ("missing-required", "[chair]\ntrack_length_mm = 800\n", 1, "missing required key 'model'"),
    ("missing-backend", GOOD_HEAD + "[output.air_pump]\nchip = x\n", 3, "missing required key 'backend'"),
    ("bad-number", GOOD_HEAD + "pulses_per_mm = two\n", 3, "not a whole number"),
    ("out-of-range", GOOD_HEAD + "[limits]\nair_max_pressure_kpa = 500\n", 4, "out of range (10..80)"),
    ("bad-choice", GOOD_HEAD + "[bus.b]\ntype = can\n", 4, "not one of: tcp, rtu"),
    ("dangling-chip", GOOD_HEAD + "[input.estop]\nbackend = gpio\nchip = nope\nline = 3\n", 5,
     "chip 'nope' has no [gpio.nope] section"),
]


@pytest.mark.parametrize("name,text,line,message", CASES, ids=[c[0] for c in CASES])
def test_bad_map_refused(bus, workdir, name, text, line, message):
    path = os.path.join(workdir, f"{name}.conf")
    with open(path, "w") as f:
        f.write(text)
    r = subprocess.run([chairtest.binary("massagechaird"), "--config", path,
                        "--state-dir", workdir], env=bus.env(), capture_output=True, text=True,
                       timeout=10 * chairtest.SLOWDOWN)
    assert r.returncode == 1, r.stderr
    assert f"{path}:{line}: " in r.stderr, r.stderr
    assert message in r.stderr, r.stderr
    assert not bus.name_has_owner()


# A missing map is a chair not configured yet, not a refusal: test_not_configured.py.


def test_simulate_and_config_exclusive(workdir):
    r = subprocess.run([chairtest.binary("massagechaird"), "--simulate", "--config", "/x"],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 1 and "exclude" in r.stderr


def run_map(bus, workdir, text):
    path = os.path.join(workdir, "gpio.conf")
    with open(path, "w") as f:
        f.write(text)
    r = subprocess.run([chairtest.binary("massagechaird"), "--config", path, "--state-dir", workdir],
                       env=bus.env(), capture_output=True, text=True, timeout=10 * chairtest.SLOWDOWN)
    return path, r


def test_missing_gpio_chip_refused(bus, workdir):
    """The GPIO backend opens its chips before anything else: a missing chip stops the start with
    the map's line, and nothing is driven or owned."""
    path, r = run_map(bus, workdir, GOOD_HEAD + "[gpio.main]\npath = /dev/gpiochip99\n"
                      "[input.estop]\nbackend = gpio\nchip = main\nline = 3\n")
    assert r.returncode == 1
    assert f"{path}:3: [gpio.main]: cannot open the chip /dev/gpiochip99" in r.stderr, r.stderr
    assert not bus.name_has_owner()


def test_scheduler_cpu_not_ours_refused(bus, workdir):
    """A [scheduler] cpu this machine lacks stops the start with the map's line; outputs were
    made safe first and the name is never taken."""
    path, r = run_map(bus, workdir, GOOD_HEAD + "simulated = yes\n\n[scheduler]\ncpu = 1000\n"
                      "[input.estop]\nbackend = sim\n")
    assert r.returncode == 1
    assert f"{path}:5: [scheduler] cpu = 1000 is not a CPU this daemon may run on" in r.stderr, r.stderr
    assert not bus.name_has_owner()
