"""Issue 17 on the daemon: the auto-off timer caps every session, an explicit length too, and
`Duration` says what the fitted program plans; a memory slot saved in manual mode recalls
manual mode."""
import chairtest


def wait_state(daemon, state, timeout=20):
    chairtest.wait_for(lambda: daemon.get_property("State") == state, timeout * chairtest.SLOWDOWN, state)


def test_timer_caps_an_explicit_length(daemon):
    daemon.call("SetTimer", "u", 10)
    daemon.call("Start", "sa{sv}", "swedish", 2, "scan", "b", "false", "duration", "u", 1500)
    wait_state(daemon, "running")
    duration = daemon.get_property("Duration")
    assert 600 - 30 <= duration <= 600, duration
    daemon.call("Stop")
    wait_state(daemon, "idle", 60)


def test_program_fitted_to_the_asked_length(daemon):
    daemon.call("SetTimer", "u", 30)
    daemon.call("Start", "sa{sv}", "myofascial-release", 2, "scan", "b", "false", "duration", "u", 1200)
    wait_state(daemon, "running")
    assert abs(daemon.get_property("Duration") - 1200) <= 30
    daemon.call("Stop")
    wait_state(daemon, "idle", 60)


def test_memory_slot_of_manual_mode_recalls_it(daemon):
    daemon.call("SetSpeed", "u", 4)
    daemon.call("StartManual", "ssa{sv}", "tap", "upper", 1, "scan", "b", "false")
    wait_state(daemon, "running")
    daemon.call("SaveMemory", "u", 2)
    daemon.call("Stop")
    wait_state(daemon, "idle", 60)
    daemon.call("SetSpeed", "u", 1)
    daemon.call("RecallMemory", "u", 2)
    wait_state(daemon, "running")
    assert daemon.get_property("Program") == "manual:tap"
    assert daemon.get_property("Speed") == 4
    daemon.call("Stop")
    wait_state(daemon, "idle", 60)
