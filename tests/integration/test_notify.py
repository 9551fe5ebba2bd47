"""The sd_notify protocol: this test plays the service manager with its own NOTIFY_SOCKET."""
import os
import signal
import socket
import time

import chairtest


class NotifySocket:
    def __init__(self, workdir):
        self.path = os.path.join(workdir, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.setblocking(False)
        self.messages = []  # (monotonic time, {key: value})

    def drain(self):
        while True:
            try:
                data = self.sock.recv(4096)
            except BlockingIOError:
                return
            fields = dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line)
            self.messages.append((time.monotonic(), fields))

    def wait_for(self, key, value=None, timeout=10):
        def seen():
            self.drain()
            return any(key in m and (value is None or m[key] == value) for _, m in self.messages)
        chairtest.wait_for(seen, timeout, f"{key}={value or '*'} on NOTIFY_SOCKET")

    def count(self, key):
        return sum(1 for _, m in self.messages if key in m)

    def close(self):
        self.sock.close()


def test_ready_status_watchdog_stopping(bus, workdir, start_daemon):
    notify = NotifySocket(workdir)
    try:
        d = start_daemon(wait=False, env_extra={"NOTIFY_SOCKET": notify.path,
                                                "WATCHDOG_USEC": "400000"})
        notify.wait_for("READY", "1")
        # READY=1 comes only once the name is ours.
        assert bus.name_has_owner()
        assert any("STATUS" in m for _, m in notify.messages)
        # Pings at a quarter of the interval: several within a couple of intervals.
        chairtest.wait_for(lambda: (notify.drain(), notify.count("WATCHDOG") >= 4)[1], 10,
                           "4 watchdog pings")
        d.process.signal(signal.SIGTERM)
        notify.wait_for("STOPPING", "1")
        assert d.process.wait(timeout=10) == 0
    finally:
        notify.close()


def test_no_watchdog_pings_without_watchdog_usec(bus, workdir, start_daemon):
    notify = NotifySocket(workdir)
    try:
        start_daemon(wait=False, env_extra={"NOTIFY_SOCKET": notify.path})
        notify.wait_for("READY", "1")
        time.sleep(0.5)
        notify.drain()
        assert notify.count("WATCHDOG") == 0
    finally:
        notify.close()


def test_hung_scheduler_stops_the_watchdog(bus, workdir, start_daemon):
    """The watchdog is fed from progress: once the scheduler's thread hangs mid-program, the
    pings stop (systemd would restart the daemon), and the supervisor has already made every
    output safe and latched the fault."""
    notify = NotifySocket(workdir)
    try:
        d = start_daemon(wait=False, env_extra={"NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000"})
        notify.wait_for("READY", "1")
        d.call("Start", "sa{sv}", "demo", 1, "scan", "b", "false")
        chairtest.wait_for(lambda: d.get_property("State") == "running", 10, "running")
        d.call("InjectFault", "sb", "scheduler-hang", "true", interface=chairtest.SERVICE_INTERFACE)
        chairtest.wait_for(lambda: d.get_property("Fault") == "scheduler-stalled", 10, "the stall fault")
        time.sleep(0.5)
        notify.drain()
        pings = notify.count("WATCHDOG")
        time.sleep(1.5)
        notify.drain()
        assert notify.count("WATCHDOG") == pings, "the watchdog was fed by a hung scheduler"
        assert "Watchdog not fed: the scheduler made no progress" in d.output()
        diag = d.call("GetDiagnostics", interface=chairtest.SERVICE_INTERFACE)[0]
        assert diag["output.travel_motor"]["data"] == 0 and diag["output.air_release"]["data"] == 1
        # The daemon still answers and stops cleanly.
        d.process.signal(signal.SIGTERM)
        assert d.process.wait(timeout=10) == 0
    finally:
        notify.close()
