"""Files and uploads are untrusted: a FIFO, a link to a device, a directory or an oversized file
in profiles.d or the state directory never blocks start-up, a reload or an upload (it is moved
aside and the rest kept); uploads never write through a planted link; the hardware map's
interlock and syntax refusals name FILE:LINE; SIGTERM ends a start-up promptly."""
import glob
import os
import signal
import subprocess

import pytest

import chairtest
from test_session import start, wait_state

SERVICE = chairtest.SERVICE_INTERFACE

PROFILE = """[program]
id = {id}
name = {id}
description = A test program
duration_s = 600
[step.only]
technique = roll
range = 0..1
speed = 2
repetitions = 4
"""


def gv(text):
    """A GVariant text string for gdbus."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"


def ids(daemon):
    return [p[0] for p in daemon.call("ListPrograms")[0]]


def reload(daemon):
    return daemon.call("ReloadProfiles", interface=SERVICE, timeout=10)[0]


def test_fifo_and_device_link_in_profiles_d_during_a_session(bus, workdir, daemon):
    overrides = os.path.join(workdir, "profiles.d")
    os.makedirs(overrides, exist_ok=True)
    start(daemon)
    wait_state(daemon, "running")
    os.mkfifo(os.path.join(overrides, "fifo.ini"))
    os.symlink("/dev/zero", os.path.join(overrides, "zero.ini"))
    os.mkdir(os.path.join(overrides, "dir.ini"))
    with open(os.path.join(overrides, "big.ini"), "w") as f:
        f.write("#" * (64 * 1024) + "\n")
    with open(os.path.join(overrides, "clinic.ini"), "w") as f:
        f.write(PROFILE.format(id="clinic"))
    errors = reload(daemon)
    text = "\n".join(errors)
    assert "fifo.ini: refused: a FIFO" in text, text
    assert "zero.ini: refused: a symbolic link" in text, text
    assert "dir.ini: refused: a directory" in text, text
    assert "big.ini: refused: 65537 bytes" in text, text
    # The rest is kept, the session goes on, and each refused file is moved aside.
    assert "clinic" in ids(daemon)
    assert daemon.get_property("State") == "running"
    for name in ("fifo.ini", "zero.ini", "dir.ini", "big.ini"):
        assert not os.path.lexists(os.path.join(overrides, name)), name
        assert glob.glob(os.path.join(overrides, name + ".rejected-*")), name
    assert os.path.islink(glob.glob(os.path.join(overrides, "zero.ini.rejected-*"))[0])
    assert "moved aside" in daemon.output()
    # Nothing trips the next reload.
    assert reload(daemon) == []
    daemon.call("Stop")


def test_fifo_and_device_link_in_the_state_dir(bus, workdir, start_daemon):
    state = os.path.join(workdir, "state")
    os.makedirs(state, exist_ok=True)
    os.mkfifo(os.path.join(state, "history"))
    os.symlink("/dev/zero", os.path.join(state, "faults"))
    os.mkdir(os.path.join(state, "settings"))
    d = start_daemon()
    assert d.call("GetHistory", "u", 5)[0] == []
    assert d.call("GetFaults", "u", 5)[0] == []
    for name in ("history", "faults", "settings"):
        assert glob.glob(os.path.join(state, name + ".rejected-*")), name
    # A settings file that could not be read leaves the declared conditions unknown: fail closed
    # until they are declared again.
    name, msg = d.error_of("Start", "demo", "@a{sv} {}")
    assert name == "org.massagechair.Chair1.Error.PrecautionConflict" and "re-declare" in msg
    d.call("SetPrecautions", "as", 0)
    # During a session: a FIFO planted as the file the history goes to (the person's, the
    # guest's here: people/0) is replaced, never opened.
    start(d, duration=60)
    wait_state(d, "running")
    guest = os.path.join(state, "people", "0")
    os.unlink(guest)
    os.mkfifo(guest)
    d.call("Stop")
    chairtest.wait_for(lambda: len(d.call("GetHistory", "u", 5)[0]) == 1, 20, "the session in the history")
    assert os.path.isfile(guest) and not os.path.islink(guest)


def test_invalid_utf8_in_state_files(bus, workdir, start_daemon):
    state = os.path.join(workdir, "state")
    os.makedirs(state, exist_ok=True)
    with open(os.path.join(state, "history"), "wb") as f:
        f.write(b"1\tswe\xffdish\t1700000000000000\t600\t3\t65535\t65535\tcompleted\n")
    with open(os.path.join(state, "faults"), "wb") as f:
        f.write(b"1700000000000000\testop\tpressed \xc0\xaf\tlatched\n")
    d = start_daemon()
    history = d.call("GetHistory", "u", 5)[0]
    assert [h[0] for h in history] == [1]
    assert "swe?dish" in str(history)
    faults = d.call("GetFaults", "u", 5)[0]
    assert len(faults) == 1 and "pressed ??" in str(faults)
    d.call("GetAll", "s", chairtest.INTERFACE, interface="org.freedesktop.DBus.Properties")


def test_upload_never_writes_through_a_planted_link(bus, workdir, daemon):
    overrides = os.path.join(workdir, "profiles.d")
    os.makedirs(overrides, exist_ok=True)
    victim = os.path.join(workdir, "victim")
    with open(victim, "w") as f:
        f.write("precious\n")
    os.symlink(victim, os.path.join(overrides, "clinic.ini.tmp"))
    r = daemon.gcall("UploadProfile", "'clinic.ini'", gv(PROFILE.format(id="clinic")), interface=SERVICE)
    assert r.returncode == 0, r.stderr
    with open(victim) as f:
        assert f.read() == "precious\n"
    # A link as the file itself is replaced, its target untouched.
    os.symlink(victim, os.path.join(overrides, "other.ini"))
    r = daemon.gcall("UploadProfile", "'other.ini'", gv(PROFILE.format(id="other")), interface=SERVICE)
    assert r.returncode == 0, r.stderr
    with open(victim) as f:
        assert f.read() == "precious\n"
    assert not os.path.islink(os.path.join(overrides, "other.ini"))
    assert {"clinic", "other"} <= set(ids(daemon))


@pytest.mark.parametrize("name", ["a\u2215b.ini", "caf\u00e9.ini", ".hidden.ini", "x.INI", "a b.ini", "x.ini\u200b",
                                  "-" * 70 + ".ini"])
def test_upload_refuses_non_portable_names(bus, workdir, daemon, name):
    err, msg = daemon.error_of("UploadProfile", gv(name), gv(PROFILE.format(id="x")), interface=SERVICE)
    assert err == "org.freedesktop.DBus.Error.InvalidArgs", msg
    overrides = os.path.join(workdir, "profiles.d")
    assert not os.path.isdir(overrides) or os.listdir(overrides) == []


def sized_profile(size):
    text = PROFILE.format(id="big")
    while len(text) < size:
        n = min(size - len(text), 100)
        text += "#" * (n - 1) + "\n"
    assert len(text.encode()) == size
    return text


def test_upload_64_kib_is_exact(bus, workdir, daemon):
    r = daemon.gcall("UploadProfile", "'big.ini'", gv(sized_profile(64 * 1024)), interface=SERVICE)
    assert r.returncode == 0, r.stderr
    assert "big" in ids(daemon)
    err, msg = daemon.error_of("UploadProfile", "'bigger.ini'", gv(sized_profile(64 * 1024 + 1)), interface=SERVICE)
    assert err == "org.freedesktop.DBus.Error.InvalidArgs" and "65536" in msg, msg
    # A reload applies the same rule to the same bytes.
    assert reload(daemon) == []


def test_upload_refuses_what_a_reload_refuses(bus, workdir, daemon):
    for text, needle in [
            (PROFILE.format(id="r").replace("[step.only]", "[step.only] [step.two]"), "x.ini:6: text after the section"),
            (PROFILE.format(id="r").replace("speed = 2", "speed = 0x2"), "x.ini:9: speed = '0x2' is not a whole number"),
            (PROFILE.format(id="r").replace("range = 0..1", "range = 0..nan"), "x.ini:8: range end = 'nan'")]:
        err, msg = daemon.error_of("UploadProfile", "'x.ini'", gv(text), interface=SERVICE)
        assert err == "org.massagechair.Chair1.Error.InvalidProfile", msg
        assert needle in msg, msg


def test_duplicate_ids_and_a_full_library(bus, workdir, start_daemon):
    overrides = os.path.join(workdir, "profiles.d")
    os.makedirs(overrides)
    for name, pid in (("a-one.ini", "twin"), ("b-two.ini", "twin")):
        with open(os.path.join(overrides, name), "w") as f:
            f.write(PROFILE.format(id=pid))
    d = start_daemon()
    errors = reload(d)
    assert any("b-two.ini:1: program id 'twin' is already the id of" in e and "a-one.ini" in e for e in errors), errors
    # An upload of that id under a third name is refused naming both files.
    err, msg = d.error_of("UploadProfile", "'c-three.ini'", gv(PROFILE.format(id="twin")), interface=SERVICE)
    assert err == "org.massagechair.Chair1.Error.InvalidProfile" and "a-one.ini" in msg, msg
    d.stop()

    # Fill the library: 9 shipped, 1 twin, 54 more = 64; one more is not listed, and said so.
    for i in range(55):
        with open(os.path.join(overrides, f"p{i:02d}.ini"), "w") as f:
            f.write(PROFILE.format(id=f"p{i:02d}"))
    d = start_daemon(name="massagechaird-2")
    assert len(ids(d)) == 64
    errors = reload(d)
    assert any("not listed: the library is full (64 programs)" in e for e in errors), errors
    err, msg = d.error_of("UploadProfile", "'new.ini'", gv(PROFILE.format(id="brand-new")), interface=SERVICE)
    assert err == "org.massagechair.Chair1.Error.LibraryFull", msg
    assert not os.path.exists(os.path.join(overrides, "new.ini"))


HEAD = "[chair]\nmodel = Test chair\n"
BOARD = HEAD + "[bus.b]\ntype = tcp\nhost = 127.0.0.1\nport = 1\n"


def mb(kind, name, table, addr):
    return f"[{kind}.{name}]\nbackend = modbus\nbus = b\ntable = {table}\naddress = {addr}\n"


ESTOP = mb("input", "estop", "discrete", 0)

MAP_CASES = [
    ("no-estop", HEAD, 1, "no [input.estop]"),
    ("no-encoder", BOARD + ESTOP + mb("output", "travel_motor", "holding", 0), 12,
     "[output.travel_motor] has no [input.encoder]"),
    ("no-vent", BOARD + ESTOP + mb("output", "valve_back", "coil", 0), 12, "have no [output.air_release]"),
    ("no-temp", BOARD + ESTOP + mb("output", "heat_lumbar", "coil", 0), 12, "has no [input.temp_lumbar]"),
    ("no-pressure", BOARD + ESTOP + mb("output", "air_release", "coil", 1) + mb("output", "air_pump", "coil", 0), 17,
     "air_inflation = timed"),
    ("heartbeat", BOARD + "heartbeat_register = 3\n" + ESTOP + mb("output", "depth", "holding", 3), 7,
     "heartbeat_register = 3 is the holding register of output depth"),
    ("sim-in-real-map", HEAD + "[input.estop]\nbackend = sim\n", 4, "backend = sim in a map of a real chair"),
    ("hex", BOARD + mb("input", "estop", "discrete", "0x2"), 11, "is not a whole number (base 10)"),
    ("wraps", BOARD + mb("input", "estop", "discrete", "4294967297"), 11, "out of range (0..65535)"),
    ("two-sections", "[chair] [limits]\nmodel = x\n", 1, "text after the section header"),
    ("invalid-utf8", HEAD + "# \xff\n", 3, "the file contains invalid UTF-8"),
    ("nul", HEAD + "#\x00\n", 3, "the file contains a NUL byte"),
]


@pytest.mark.parametrize("name,text,line,message", MAP_CASES, ids=[c[0] for c in MAP_CASES])
def test_map_refusals(bus, workdir, name, text, line, message):
    path = os.path.join(workdir, f"{name}.conf")
    with open(path, "wb") as f:
        f.write(text.encode("latin-1"))
    r = subprocess.run([chairtest.binary("massagechaird"), "--config", path, "--state-dir", workdir],
                       env=bus.env(), capture_output=True, text=True, errors="replace",
                       timeout=10 * chairtest.SLOWDOWN)
    assert r.returncode == 1, r.stderr
    assert f"{path}:{line}: " in r.stderr and message in r.stderr, r.stderr
    assert not bus.name_has_owner()


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_map_that_is_not_a_file_is_refused_at_once(bus, workdir, kind):
    path = os.path.join(workdir, "chair.conf")
    if kind == "fifo":
        os.mkfifo(path)
    else:
        os.symlink("/dev/zero", path)
    p = subprocess.Popen([chairtest.binary("massagechaird"), "--config", path, "--state-dir", workdir],
                         env=bus.env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=10 * chairtest.SLOWDOWN)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    # Either the SIGTERM or the refusal ended it; it never waited for a writer or read for ever.
    assert p.returncode in (0, 1, -signal.SIGTERM), err
    p = subprocess.run([chairtest.binary("massagechaird"), "--config", path, "--state-dir", workdir],
                       env=bus.env(), capture_output=True, text=True, timeout=10 * chairtest.SLOWDOWN)
    assert p.returncode == 1
    assert f"{path}: refused: {'a FIFO' if kind == 'fifo' else 'a character device'}" in p.stderr, p.stderr
    assert not bus.name_has_owner()


def test_simulated_map_file_and_timed_air(bus, workdir, start_daemon):
    """A map that says simulated = yes runs on the sim backend; chairsim.conf stays valid."""
    path = os.path.join(workdir, "sim.conf")
    with open(path, "w") as f:
        f.write("[chair]\nmodel = sim file\nsimulated = yes\n[input.estop]\nbackend = sim\n")
    d = start_daemon(args=("--config", path))
    assert d.get_property("State") in ("idle", "off")


def test_sigterm_pending_at_start_up_ends_it_promptly(bus, workdir):
    """A SIGTERM that arrives while start-up runs (signals are blocked then, for the event loop's
    signalfd) ends the daemon between its steps, with status 0, before it takes its name. The
    signal is made pending before exec: the mask is inherited."""
    def block_sigterm():
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
        os.kill(os.getpid(), signal.SIGTERM)

    r = subprocess.run([chairtest.binary("massagechaird"), "--simulate", "--state-dir", workdir],
                       env=bus.env(), capture_output=True, text=True, preexec_fn=block_sigterm,
                       timeout=10 * chairtest.SLOWDOWN)
    assert r.returncode == 0, r.stderr
    assert "Terminated during start-up." in r.stderr, r.stderr
    assert not bus.name_has_owner()


def test_upload_and_reload_same_line_rule(bus, workdir, daemon):
    text = PROFILE.format(id="longline") + "# " + "x" * 197 + "\n"
    err, msg = daemon.error_of("UploadProfile", "'long.ini'", gv(text), interface=SERVICE)
    assert err == "org.massagechair.Chair1.Error.InvalidProfile" and "long.ini:11: line longer than 198" in msg, msg
    overrides = os.path.join(workdir, "profiles.d")
    os.makedirs(overrides, exist_ok=True)
    with open(os.path.join(overrides, "long.ini"), "w") as f:
        f.write(text)
    errors = reload(daemon)
    assert any("long.ini:11: line longer than 198 characters" in e for e in errors), errors
    # One character less is fine both ways.
    r = daemon.gcall("UploadProfile", "'long.ini'", gv(text.replace("x" * 197, "x" * 196)), interface=SERVICE)
    assert r.returncode == 0, r.stderr
    assert reload(daemon) == []
