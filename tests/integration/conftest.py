"""pytest fixtures: `workdir`, `bus` (a private system bus), `daemon` (massagechaird --simulate
on it). Logs of every process a failed test started are printed with the failure."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import chairtest  # noqa: E402

_started = []


def pytest_configure(config):
    # Every test is bounded even if it forgets to be (python3-pytest-timeout).
    if hasattr(config.option, "timeout") and not config.option.timeout:
        config.option.timeout = 120 * chairtest.SLOWDOWN


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        for proc in list(_started):
            try:
                report.sections.append((f"log of {os.path.basename(proc.argv[0])}", proc.output()))
            except OSError:
                pass


def pytest_sessionfinish(session, exitstatus):
    # A file whose every test was skipped is reported to ctest as skipped (77), never passed.
    tr = session.config.pluginmanager.get_plugin("terminalreporter")
    if tr is None or exitstatus != 0:
        return
    skipped = len(tr.stats.get("skipped", []))
    passed = len(tr.stats.get("passed", []))
    if skipped and not passed:
        session.exitstatus = 77


@pytest.fixture
def workdir():
    w = chairtest.Workdir()
    yield w.path
    w.cleanup()


@pytest.fixture
def bus(workdir):
    b = chairtest.PrivateBus(workdir)
    _started.append(b.process)
    yield b
    b.stop()
    _started.remove(b.process)


@pytest.fixture
def start_daemon(bus, workdir):
    """Starts massagechaird instances; all are stopped at the end of the test."""
    daemons = []

    def start(*args, **kwargs):
        d = chairtest.Daemon(bus, workdir, *args, **kwargs)
        daemons.append(d)
        _started.append(d.process)
        return d

    yield start
    for d in daemons:
        d.stop()
        if d.process in _started:
            _started.remove(d.process)
    for d in daemons:
        code = d.process.proc.returncode
        out = d.output()
        # Sanitizer reports fail the test even when the daemon otherwise behaved.
        assert "ERROR: AddressSanitizer" not in out and "runtime error:" not in out, out
        assert code != 86, out


@pytest.fixture
def daemon(start_daemon):
    return start_daemon()
