/* SPDX-License-Identifier: MIT */
/* chairctl profile check|show|plot (files, no daemon) and upload (to the daemon). */
#pragma once

#include <systemd/sd-bus.h>

/* argv[0] is "profile"; json: 0 off, 1 short, 2 pretty (check and show). Returns the exit code. */
int chairctl_profile_command(int argc, char **argv, int json);
int chairctl_profile_upload(sd_bus *bus, int argc, char **argv);
