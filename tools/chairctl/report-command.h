/* SPDX-License-Identifier: MIT */
/* chairctl report: a person's outcomes (daemon/outcomes.h) as tables, JSON or an SVG plot of
 * pain over time. */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

/* ARGV: "report" and its options (--person NAME, --last N, --svg FILE, --history FILE). BUS
 * may be NULL (the daemon did not answer): then only --history works. JSON: 0 off, 1 short,
 * 2 pretty. Returns chairctl's exit code. */
int chairctl_report(sd_bus *bus, int argc, char **argv, int json, bool no_legend);
