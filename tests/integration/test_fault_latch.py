"""The fault latch holds: across a daemon restart, against a ClearFault while the cause persists,
and a scheduler that does not take its commands is a fault rather than a session whose state no
longer says what the chair does (issue: interlocks that cannot see)."""
import signal

import dbus

import chairtest
from test_session import SAFE, outputs, start, wait_state

ERR = "org.massagechair.Chair1.Error."
SERVICE = chairtest.SERVICE_INTERFACE


def inject(daemon, name, on=True):
    daemon.call("InjectFault", "sb", name, "true" if on else "false", interface=SERVICE)


def test_latched_fault_survives_a_restart(bus, workdir, start_daemon):
    d = start_daemon()
    start(d)
    wait_state(d, "running")
    inject(d, "thermistor-open")
    chairtest.wait_for(lambda: d.get_property("Fault") == "thermistor-open", 15, "thermistor-open")
    d.stop()

    again = start_daemon(name="massagechaird-2")
    assert again.get_property("State") == "fault"
    assert again.get_property("Fault") == "thermistor-open"
    assert "latched before the daemon started" in again.output()
    assert all(outputs(again)[k] == v for k, v in SAFE.items())
    name, _ = again.error_of("Start", "demo", "@a{sv} {}")
    assert name == ERR + "FaultLatched"

    # The new process's thermistor reads well: the technician's clear works, once.
    again.call("ClearFault", interface=SERVICE)
    wait_state(again, "idle")
    assert again.call("GetFaults", "u", 5)[0][0][3] == "technician"
    again.stop()
    third = start_daemon(name="massagechaird-3")
    assert third.get_property("State") == "idle"


def test_kill_9_keeps_the_latch(bus, workdir, start_daemon):
    d = start_daemon()
    start(d)
    wait_state(d, "running")
    inject(d, "supply-low")
    chairtest.wait_for(lambda: d.get_property("Fault") == "supply-voltage", 15, "supply-voltage")
    d.process.signal(signal.SIGKILL)
    d.process.wait(timeout=10)
    again = start_daemon(name="massagechaird-2")
    assert again.get_property("State") == "fault"
    assert again.get_property("Fault") == "supply-voltage"


def test_clear_refused_while_the_scheduler_hangs(daemon):
    start(daemon)
    wait_state(daemon, "running")
    inject(daemon, "scheduler-hang")
    chairtest.wait_for(lambda: daemon.get_property("State") == "fault", 15, "a fault")
    name, msg = daemon.error_of("ClearFault", interface=SERVICE)
    assert name == ERR + "NotPermitted"
    assert "scheduler" in msg and "does not respond" in msg
    assert daemon.get_property("State") == "fault"
    assert all(outputs(daemon)[k] == v for k, v in SAFE.items())


def test_clear_refused_while_the_supply_is_out_of_range(daemon):
    start(daemon)
    wait_state(daemon, "running")
    inject(daemon, "supply-high")
    chairtest.wait_for(lambda: daemon.get_property("Fault") == "supply-voltage", 15, "supply-voltage")
    name, msg = daemon.error_of("ClearFault", interface=SERVICE)
    assert name == ERR + "NotPermitted" and "supply" in msg
    inject(daemon, "supply-high", on=False)
    daemon.call("ClearFault", interface=SERVICE)
    wait_state(daemon, "idle")


def test_a_command_the_scheduler_does_not_take_is_a_fault(bus, daemon):
    """The scheduler's thread stops taking commands; live changes fill its queue. The one that
    cannot be queued trips at once, well before the stall check's second."""
    start(daemon)
    wait_state(daemon, "running")
    conn = dbus.bus.BusConnection(bus.address)
    try:
        chair = dbus.Interface(conn.get_object(chairtest.BUS_NAME, chairtest.OBJECT_PATH), chairtest.INTERFACE)
        service = dbus.Interface(conn.get_object(chairtest.BUS_NAME, chairtest.OBJECT_PATH), SERVICE)
        service.InjectFault("scheduler-hang", True)
        for i in range(80):
            try:
                chair.SetIntensity(dbus.UInt32(2 + i % 2))
            except dbus.DBusException:
                break  # refused once the fault latched
        chairtest.wait_for(lambda: daemon.get_property("State") == "fault", 10, "a fault")
        assert daemon.get_property("Fault") == "queue-full"
        assert "did not take a command" in daemon.get_property("FaultMessage")
    finally:
        conn.close()
    assert all(outputs(daemon)[k] == v for k, v in SAFE.items())
