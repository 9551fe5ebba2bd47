"""Shared by the benchmarks: percentiles, a private bus and a simulated daemon."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(SOURCE, "tests", "integration"))
os.environ.setdefault("MCD_SOURCE_DIR", SOURCE)
os.environ.setdefault("MCD_BUILD_DIR", os.path.join(SOURCE, "build"))

import chairtest  # noqa: E402


def percentile(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    k = min(len(s) - 1, max(0, int(round(p / 100.0 * (len(s) - 1)))))
    return s[k]


def summary(name, values, unit="us"):
    return (f"{name:<44} n={len(values):<7} p50={percentile(values, 50):9.1f} {unit}  "
            f"p99={percentile(values, 99):9.1f} {unit}  max={max(values) if values else float('nan'):9.1f} {unit}")
