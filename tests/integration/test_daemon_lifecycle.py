"""massagechaird as a service: owns its name, answers standard interfaces, refuses a second
instance, ends cleanly on SIGTERM and SIGINT."""
import signal
import subprocess

import dbus
import pytest

import chairtest
from chairtest import BUS_NAME, INTERFACE, OBJECT_PATH


def test_help_and_version():
    out = subprocess.run([chairtest.binary("massagechaird"), "--help"], capture_output=True,
                         text=True, timeout=10)
    assert out.returncode == 0
    assert "--simulate" in out.stdout and "--config" in out.stdout
    out = subprocess.run([chairtest.binary("massagechaird"), "--version"], capture_output=True,
                         text=True, timeout=10)
    assert out.returncode == 0 and out.stdout.startswith("massagechaird ")


def test_bad_option_exits_1():
    out = subprocess.run([chairtest.binary("massagechaird"), "--frobnicate"], capture_output=True,
                         text=True, timeout=10)
    assert out.returncode == 1
    assert "--help" in out.stderr


def test_state_property_over_busctl_and_python_dbus(daemon, bus):
    assert daemon.get_property("State") == "idle"
    conn = dbus.bus.BusConnection(bus.address)
    try:
        obj = conn.get_object(BUS_NAME, OBJECT_PATH)
        props = dbus.Interface(obj, "org.freedesktop.DBus.Properties")
        assert props.Get(INTERFACE, "State") == "idle"
        everything = props.GetAll(INTERFACE)
        assert everything["State"] == "idle"
    finally:
        conn.close()


def test_introspection_and_peer(daemon, bus):
    xml = bus.busctl("introspect", "--xml-interface", BUS_NAME, OBJECT_PATH).stdout
    assert f'<interface name="{INTERFACE}">' in xml
    assert '<property name="State" type="s" access="read">' in xml
    bus.busctl("call", BUS_NAME, OBJECT_PATH, "org.freedesktop.DBus.Peer", "Ping")
    r = bus.gdbus("call", "--dest", BUS_NAME, "--object-path", OBJECT_PATH,
                  "--method", "org.freedesktop.DBus.Peer.GetMachineId")
    assert len(r.stdout.strip()) > 10


def test_second_instance_refused(daemon, bus, start_daemon):
    second = start_daemon(wait=False, name="second")
    code = second.process.wait(timeout=10)
    assert code == 1
    assert "already owned" in second.output()
    # The first one is unharmed.
    assert daemon.get_property("State") == "idle"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_ends_cleanly(daemon, bus, sig):
    daemon.process.signal(sig)
    assert daemon.process.wait(timeout=10) == 0
    assert "shutting down" in daemon.output()
    chairtest.wait_for(lambda: not bus.name_has_owner(), 5, "the name to be released")


def test_sighup_keeps_running(daemon):
    daemon.process.signal(signal.SIGHUP)
    chairtest.wait_for(lambda: "reloading" in daemon.output(), 5, "the reload log line")
    assert daemon.process.poll() is None
    assert daemon.get_property("State") == "idle"
