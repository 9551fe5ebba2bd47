"""Integration-test harness: a private dbus-daemon, massagechaird against it, and clean-up.

Every process started here is killed at the end of the test that started it; every wait is
bounded; the daemon's log is printed when a test fails (see conftest.py).
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

SOURCE_DIR = os.environ.get("MCD_SOURCE_DIR",
                            os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BUILD_DIR = os.environ.get("MCD_BUILD_DIR", os.path.join(SOURCE_DIR, "build"))
SANITIZE = os.environ.get("MCD_SANITIZE", "0") == "1"
# Sanitized binaries are slower to start: give every wait more room rather than assert times.
SLOWDOWN = 3 if SANITIZE else 1

BUS_NAME = "org.massagechair.Chair1"
OBJECT_PATH = "/org/massagechair/Chair1"
INTERFACE = "org.massagechair.Chair1"
SERVICE_INTERFACE = "org.massagechair.Chair1.Service"


def binary(name):
    for sub in ("daemon", "tools/chairctl", "tools/chairsim", ""):
        path = os.path.join(BUILD_DIR, sub, name)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(f"{name} not built under {BUILD_DIR}")


def wait_for(predicate, timeout, what, interval=0.02):
    """Polls predicate until it returns a true value; fails naming what it waited for."""
    deadline = time.monotonic() + timeout * SLOWDOWN
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout * SLOWDOWN:.1f} s waiting for {what}")
        time.sleep(interval)


def free_tcp_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    """A child process with its output captured to a file, killed (whole group) on stop()."""

    def __init__(self, argv, log_path, env=None, **kwargs):
        self.argv = argv
        self.log_path = log_path
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, env=env,
                                     start_new_session=True, **kwargs)

    @property
    def pid(self):
        return self.proc.pid

    def poll(self):
        return self.proc.poll()

    def signal(self, sig):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)

    def wait(self, timeout):
        return self.proc.wait(timeout=timeout * SLOWDOWN)

    def stop(self, timeout=5):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=timeout * SLOWDOWN)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)
        self.log.close()
        return self.proc.returncode

    def output(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")


class Chairsim(Process):
    """chairsim on a free loopback port, and the shipped hardware-maps/chairsim.conf aimed at it."""

    def __init__(self, workdir, *args):
        super().__init__([binary("chairsim"), "--listen", "127.0.0.1:0", *args],
                         os.path.join(workdir, "chairsim.log"))
        self.workdir = workdir
        try:
            wait_for(lambda: "listening on" in self.output() or self.poll() is not None, 10, "chairsim to listen")
            self.port = int(re.search(r"127\.0\.0\.1:(\d+)", self.output()).group(1))
        except (TimeoutError, AttributeError):
            self.stop()
            raise AssertionError(f"chairsim did not start:\n{self.output()}")

    def write_map(self, extra=""):
        """Writes chairsim.conf with this port (and any extra sections) into the workdir."""
        with open(os.path.join(SOURCE_DIR, "hardware-maps", "chairsim.conf")) as f:
            conf = f.read().replace("port = 1502", f"port = {self.port}")
        path = os.path.join(self.workdir, "chair.conf")
        with open(path, "w") as f:
            f.write(conf + extra)
        return path


BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow receive_sender="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
  </policy>
  {extra}
</busconfig>
"""


class PrivateBus:
    """A dbus-daemon of our own, acting as the system bus for the processes we start."""

    def __init__(self, workdir, extra_config=""):
        self.socket = os.path.join(workdir, "system_bus_socket")
        self.address = f"unix:path={self.socket}"
        config = os.path.join(workdir, "bus.conf")
        with open(config, "w") as f:
            f.write(BUS_CONFIG.format(socket=self.socket, extra=extra_config))
        self.process = Process(["dbus-daemon", "--nofork", "--nopidfile", f"--config-file={config}"],
                               os.path.join(workdir, "dbus-daemon.log"))
        wait_for(lambda: os.path.exists(self.socket), 10, "the private dbus-daemon's socket")

    def env(self, base=None):
        env = dict(base if base is not None else os.environ)
        env["DBUS_SYSTEM_BUS_ADDRESS"] = self.address
        env.pop("JOURNAL_STREAM", None)
        return env

    def busctl(self, *args, check=True, timeout=10):
        """Runs busctl (a client we did not write) against this bus."""
        result = subprocess.run(["busctl", f"--address={self.address}", *args],
                                capture_output=True, text=True, timeout=timeout * SLOWDOWN)
        if check and result.returncode != 0:
            raise AssertionError(f"busctl {' '.join(args)} failed ({result.returncode}): "
                                 f"{result.stderr.strip()}")
        return result

    def gdbus(self, *args, check=True, timeout=10):
        result = subprocess.run(["gdbus", *args[:1], "--address", self.address, *args[1:]],
                                capture_output=True, text=True, timeout=timeout * SLOWDOWN)
        if check and result.returncode != 0:
            raise AssertionError(f"gdbus {' '.join(args)} failed: {result.stderr.strip()}")
        return result

    def name_has_owner(self, name=BUS_NAME):
        r = self.busctl("status", name, check=False, timeout=5)
        return r.returncode == 0

    def stop(self):
        self.process.stop()


class Daemon:
    """massagechaird started against a PrivateBus; waits until it owns its name."""

    def __init__(self, bus, workdir, args=("--simulate",), env_extra=None, wait=True,
                 name="massagechaird"):
        self.bus = bus
        self.state_dir = os.path.join(workdir, "state")
        os.makedirs(self.state_dir, exist_ok=True)
        env = bus.env()
        env.update(env_extra or {})
        self.argv = [binary("massagechaird"), "--state-dir", self.state_dir, *args]
        if "--profiles-dir" not in args:
            self.argv += ["--profiles-dir", os.path.join(SOURCE_DIR, "profiles", "programs"),
                          "--overrides-dir", os.path.join(workdir, "profiles.d")]
        self.log_path = os.path.join(workdir, f"{name}.log")
        self.process = Process(self.argv, self.log_path, env=env)
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout=15):
        def ready():
            if self.process.poll() is not None:
                raise AssertionError(f"massagechaird exited with {self.process.poll()} before "
                                     f"owning its name:\n{self.process.output()}")
            return self.bus.name_has_owner()
        wait_for(ready, timeout, "massagechaird to own " + BUS_NAME, interval=0.05)

    def get_property(self, name, interface=INTERFACE):
        r = self.bus.busctl("get-property", "--json=short", BUS_NAME, OBJECT_PATH, interface, name)
        import json
        return json.loads(r.stdout)["data"]

    def call(self, method, signature="", *args, interface=INTERFACE, check=True, timeout=10):
        import json
        argv = ["call", "--json=short", BUS_NAME, OBJECT_PATH, interface, method]
        if signature:
            argv += [signature, *[str(a) for a in args]]
        r = self.bus.busctl(*argv, check=check, timeout=timeout)
        if not check:
            return r
        return json.loads(r.stdout)["data"] if r.stdout.strip() else None

    def gcall(self, method, *args, interface=INTERFACE, timeout=10):
        """Calls through gdbus (arguments in GVariant text) and returns the CompletedProcess;
        on failure its stderr names the D-Bus error, which busctl does not print."""
        return self.bus.gdbus("call", "--dest", BUS_NAME, "--object-path", OBJECT_PATH,
                              "--method", f"{interface}.{method}", *args, check=False, timeout=timeout)

    def error_of(self, method, *args, interface=INTERFACE):
        """The D-Bus error name a call fails with (the call must fail)."""
        r = self.gcall(method, *args, interface=interface)
        assert r.returncode != 0, f"{method} {args} unexpectedly succeeded: {r.stdout}"
        import re
        m = re.search(r"GDBus\.Error:([A-Za-z0-9_.]+)", r.stderr)
        assert m, r.stderr
        return m.group(1), r.stderr

    def stop(self, timeout=10):
        return self.process.stop(timeout)

    def output(self):
        return self.process.output()


class Workdir:
    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="mcd-test-")
        # Other users (setpriv in the tests) must reach the bus socket inside.
        os.chmod(self.path, 0o755)

    def cleanup(self):
        shutil.rmtree(self.path, ignore_errors=True)
