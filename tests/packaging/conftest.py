"""The package test reports like every pytest file here: all skipped is 77 for ctest."""


def pytest_sessionfinish(session, exitstatus):
    tr = session.config.pluginmanager.get_plugin("terminalreporter")
    if tr is None or exitstatus != 0:
        return
    if tr.stats.get("skipped") and not tr.stats.get("passed"):
        session.exitstatus = 77
