"""chairsim's register map has one source, chairsim itself (tools/chairsim/chairsim.c): what
`chairsim --print-map` prints is what it serves, and every other copy is checked against it. The
shipped map hardware-maps/chairsim.conf binds exactly those registers (MCD_UPDATE_DOCS=1 prints
the sections to paste when it is stale), docs/chairsim.md's tables name each address as chairsim
does, and tests/modbus/modbuslib.py reads the JSON instead of keeping a copy."""
import json
import os
import re
import subprocess
import sys

import chairtest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "modbus"))
import modbuslib  # noqa: E402

SRC = chairtest.SOURCE_DIR
SHIPPED = os.path.join(SRC, "hardware-maps", "chairsim.conf")
DOC = os.path.join(SRC, "docs", "chairsim.md")
HINT = "tools/chairsim/chairsim.c is the register map's source"


def print_map(fmt):
    r = subprocess.run([chairtest.binary("chairsim"), f"--print-map={fmt}"], capture_output=True, text=True,
                       timeout=10)
    assert r.returncode == 0, r.stderr
    return r.stdout


def ini_sections(text, path):
    """Sections of an INI text: name -> {key: value}, comments dropped."""
    sections, cur = {}, None
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        m = re.fullmatch(r"\[([^\]]+)\]", line)
        if m:
            assert m.group(1) not in sections, f"{path}:{n}: [{m.group(1)}] twice"
            cur = sections[m.group(1)] = {}
            continue
        key, sep, value = line.partition("=")
        assert sep and cur is not None, f"{path}:{n}: not a key = value in a section"
        cur[key.strip()] = value.strip()
    return sections


def modbus_bindings(sections):
    return {name: keys for name, keys in sections.items()
            if name.startswith(("output.", "input.")) and keys.get("backend") == "modbus"}


def registers():
    return json.loads(print_map("json"))


def test_print_map_conf_and_json_agree():
    conf = modbus_bindings(ini_sections(print_map("conf"), "--print-map=conf"))
    bindings = {f"{b['kind']}.{b['name']}": b for b in registers()["registers"] if b["kind"] != "own"}
    assert set(conf) == set(bindings)
    for name, b in bindings.items():
        assert conf[name]["table"] == b["table"] and int(conf[name]["address"]) == b["address"], name
        assert (conf[name].get("signed") == "yes") == b["signed"], name
        assert int(conf[name].get("words", "1")) == b["words"], name
    # No two registers of a table overlap, the encoder's second word included.
    seen = {}
    for b in registers()["registers"]:
        for a in range(b["address"], b["address"] + b["words"]):
            assert (b["table"], a) not in seen, f"{b['name']} and {seen[(b['table'], a)]} share {b['table']} {a}"
            seen[(b["table"], a)] = b["name"]
    r = subprocess.run([chairtest.binary("chairsim"), "--print-map=yaml"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and "conf, json" in r.stderr


def test_shipped_map_binds_the_registers_chairsim_serves():
    with open(SHIPPED) as f:
        sections = ini_sections(f.read(), SHIPPED)
    shipped = modbus_bindings(sections)
    want = modbus_bindings(ini_sections(print_map("conf"), "--print-map=conf"))
    keys = ("table", "address", "words", "signed", "word_order")
    stale = sorted(n for n in set(shipped) | set(want)
                   if {k: shipped.get(n, {}).get(k) for k in keys} != {k: want.get(n, {}).get(k) for k in keys})
    if os.environ.get("MCD_UPDATE_DOCS") == "1" and stale:
        print(print_map("conf"))  # the sections to paste: the shipped map keeps its comments by hand
    assert not stale, f"hardware-maps/chairsim.conf differs from chairsim --print-map=conf in {stale} ({HINT})"
    assert sections["bus.board"]["heartbeat_register"] == str(registers()["heartbeat_register"])


def doc_tables():
    """(table, address) -> name from docs/chairsim.md's register tables, and coil -> fault."""
    with open(DOC) as f:
        text = f.read()
    heads = {"Coils": "coil", "Discrete inputs": "discrete", "Holding registers": "holding",
             "Input registers": "input", "Faults": "faults"}
    found, table = {}, None
    for line in text.splitlines():
        m = re.match(r"#+ (.*?)( \(|$)", line)
        if m:
            table = heads.get(m.group(1))
            continue
        m = re.match(r"\| (\d+)(?:-(\d+))? \| `([a-z_-]+)`", line)
        if table and m:
            key = (table, int(m.group(1)))
            assert key not in found, f"docs/chairsim.md: {table} {m.group(1)} twice"
            found[key] = (m.group(3), int(m.group(2)) - int(m.group(1)) + 1 if m.group(2) else 1)
    return found


def test_docs_name_each_register_as_chairsim_does():
    doc = doc_tables()
    reg = registers()
    want = {(b["table"], b["address"]): (b["name"], b["words"]) for b in reg["registers"]}
    want.update({("faults", f["coil"]): (f["name"], 1) for f in reg["faults"]})
    missing = sorted(set(want) - set(doc))
    extra = sorted(set(doc) - set(want))
    wrong = sorted(k for k in set(want) & set(doc) if want[k] != doc[k])
    assert not (missing or extra or wrong), \
        f"docs/chairsim.md's register tables: missing {missing}, not served {extra}, other names {wrong} ({HINT})"


def test_modbuslib_reads_the_map():
    reg = registers()
    assert modbuslib.MAP == reg
    assert modbuslib.HR_HEARTBEAT == reg["heartbeat_register"]
    coils = {b["address"]: b["name"] for b in reg["registers"] if b["kind"] == "output" and b["table"] == "coil"}
    assert modbuslib.COILS == [coils[a] for a in range(len(coils))]
    assert modbuslib.FAULT_COIL["estop"] == 100 + [f["name"] for f in reg["faults"]].index("estop")
