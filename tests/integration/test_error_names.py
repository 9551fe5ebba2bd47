"""The named errors (issue 17: none documented but never returned): every error name of
common/chair-bus-names.h is documented in docs/dbus-api.md's Errors section, every documented
name is defined, every one is returned somewhere in the bus layer (the reasons' table in
daemon/bus/bus-errors.c or a method of its own), every reason of daemon/chair-error.h has its
name in that table, and chairctl has advice for each."""
import glob
import os
import re

import chairtest

PREFIX = "org.massagechair.Chair1.Error."


def read(*parts):
    with open(os.path.join(chairtest.SOURCE_DIR, *parts)) as f:
        return f.read()


def defined():
    """{macro: short name} from the one header of names."""
    return {m: n for m, n in re.findall(r'^#define (CHAIR_ERROR_\w+)\s+"' + re.escape(PREFIX) + r'(\w+)"',
                                        read("common", "chair-bus-names.h"), re.M)}


def documented():
    section = read("docs", "dbus-api.md").split("### Errors", 1)[1].split("\n#", 1)[0]
    return set(re.findall(r"`(?:" + re.escape(PREFIX) + r"|\.)(\w+)`", section))


def test_every_error_is_documented_and_every_documented_error_exists():
    names = set(defined().values())
    assert names, "no error names found in common/chair-bus-names.h"
    assert documented() - names == set(), "documented in docs/dbus-api.md but never defined"
    assert names - documented() == set(), "defined but not documented in docs/dbus-api.md's Errors"


def test_every_error_is_returned_and_every_reason_has_a_name():
    bus_layer = "".join(read(os.path.relpath(p, chairtest.SOURCE_DIR))
                        for p in glob.glob(os.path.join(chairtest.SOURCE_DIR, "daemon", "bus", "*.c")))
    unused = [m for m in defined() if not re.search(r"\b" + m + r"\b", bus_layer)]
    assert unused == [], "defined but never returned by the bus layer"
    reasons = re.findall(r"^\s+(CHAIR_REASON_\w+),", read("daemon", "chair-error.h"), re.M)
    table = read("daemon", "bus", "bus-errors.c")
    unnamed = [r for r in reasons if r != "CHAIR_REASON_ERRNO" and f"[{r}]" not in table]
    assert unnamed == [], "reasons without a named error in daemon/bus/bus-errors.c"
    # Every reason the core has is one some core module returns (no name kept for nothing).
    core = "".join(read(os.path.relpath(p, chairtest.SOURCE_DIR))
                   for p in glob.glob(os.path.join(chairtest.SOURCE_DIR, "daemon", "*.c"))
                   if not p.endswith("chair-error.c"))
    never = [r for r in reasons if r != "CHAIR_REASON_ERRNO" and not re.search(r"\b" + r + r"\b", core)]
    assert never == [], "reasons no core module returns"


def test_chairctl_has_advice_for_every_error():
    client = read("tools", "chairctl", "chair-client.c")
    missing = [m for m in defined() if not re.search(r"\{ " + m + r",", client)]
    assert missing == [], "errors chairctl gives no advice for (tools/chairctl/chair-client.c)"
