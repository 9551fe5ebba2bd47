#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""CPU time of the whole chair in virtual time: `chairctl profile check` of every shipped
program (each runs intensities 1-5 on the simulated chair, posture axes and all), as user+system
CPU seconds of the child. With --baseline CHAIRCTL (e.g. a copy of build/tools/chairctl/chairctl
from before a change), both run interleaved in the same rounds, their outputs must be equal, and
the ratio is printed: this is how issue #19's sim-perf follow-up was measured (bench/README.md)."""
import argparse
import glob
import os
import resource
import subprocess
import sys


def run(chairctl, ini):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([chairctl, "--json", "profile", "check", ini], capture_output=True, text=True, timeout=600)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, out.returncode, out.stdout


def main():
    src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--chairctl", default=os.path.join(src, "build/tools/chairctl/chairctl"))
    ap.add_argument("--baseline", help="another chairctl to compare with, in the same rounds")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("programs", nargs="*", help="profile files (default: every shipped program)")
    a = ap.parse_args()
    inis = a.programs or sorted(glob.glob(os.path.join(src, "profiles/programs/*.ini")))
    tools = [("new", a.chairctl)] + ([("baseline", a.baseline)] if a.baseline else [])
    total = {name: 0.0 for name, _ in tools}
    ok = True
    print("%-22s" % "program" + "".join("%12s" % name for name, _ in tools) + ("%8s" % "ratio" if a.baseline else ""))
    for ini in inis:
        cpu = {name: 0.0 for name, _ in tools}
        outs = {}
        for _ in range(a.rounds):
            for name, exe in tools:
                t, rc, out = run(exe, ini)
                cpu[name] += t
                outs.setdefault(name, set()).add((rc, out))
        for name in cpu:
            total[name] += cpu[name]
        line = "%-22s" % os.path.basename(ini)[:-4] + "".join("%11.2fs" % cpu[name] for name, _ in tools)
        if a.baseline:
            line += "%8.2f" % (cpu["new"] / cpu["baseline"])
            if outs["new"] != outs["baseline"]:
                line += "  OUTPUT DIFFERS"
                ok = False
        print(line)
    line = "%-22s" % "total" + "".join("%11.2fs" % total[name] for name, _ in tools)
    if a.baseline:
        line += "%8.2f" % (total["new"] / total["baseline"])
    print(line)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
