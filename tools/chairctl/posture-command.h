/* SPDX-License-Identifier: MIT */
/* chairctl's posture verbs (issue #19, docs/posture.md) over org.massagechair.Chair1.Posture at
 * CHAIR_POSTURE_PATH: posture [stop], capabilities, preset, upright, fit-legs, move (hold-to-run),
 * foot-rollers and calf; and the posture's view that status and monitor print. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <systemd/sd-bus.h>

#include "chair-io.h"
#include "output.h"

/* The Posture object's properties, axes in the daemon's order (its Axes). */
#define POSTURE_VIEW_AXES_MAX (_CHAIR_AXIS_MAX + 4) /* room for a newer daemon's */
struct posture_view {
        struct {
                char name[24], motion[16]; /* "still" | "preset" | "fit" | "manual" | "releasing" */
                int32_t permille;          /* -1: no position reported */
        } axis[POSTURE_VIEW_AXES_MAX];
        unsigned n_axes;
        bool occupied, feet_on;
        int32_t foot_rollers, calf_knead; /* % */
        char pinched[24];                 /* the axis whose pinch fault is latched, "" none */
};

/* Reads the Posture object (one GetAll); < 0 (ERROR set by the daemon) when it cannot. */
int posture_view_read(sd_bus *bus, struct posture_view *ret, sd_bus_error *error);
/* An axis moves (its motion is not "still"). */
bool posture_view_moving(const struct posture_view *v);
/* The view as one JSON object named KEY (NULL: at the top): the same for posture, status and monitor. */
void posture_view_json(struct json *j, const char *key, const struct posture_view *v);
/* Positions as "recline 35%, legrest_lift 45% (preset), ..." with SEP between the axes; the
 * motions (and a pinch) in brackets with MOTIONS. */
void posture_view_positions(FILE *f, const struct posture_view *v, const char *sep, bool motions);
/* The axes that move or are pinched: "recline preset, legrest_lift releasing (pinched)"; false: none. */
bool posture_view_motions(FILE *f, const struct posture_view *v);
/* The occupant and the leg rollers: "seated, feet on, foot rollers 50%, calf 0%". */
void posture_view_legs(FILE *f, const struct posture_view *v);
/* status's lines: the positions, the leg rollers when they run, the seat when it is empty. */
void posture_view_status(FILE *f, const struct posture_view *v);
/* The monitor's line: a pinch, an empty seat or foot rest, the leg rollers running, and each
 * axis that moves (with its motion) or stands away from 0; nothing for a chair upright at rest. */
void posture_view_line(FILE *f, const struct posture_view *v);

/* argv[0] is the verb (posture, capabilities, preset, upright, fit-legs, move, foot-rollers,
 * calf). JSON: 0 off, 1 short, 2 pretty; NO_LEGEND drops the headings. Returns the exit code.
 * With BUS NULL it only checks the arguments (0: fine), so usage errors come before a bus. */
int chairctl_posture_command(sd_bus *bus, int json, bool no_legend, int argc, char **argv);

/* The words of the help, the man page and the completion, from their one table each: the axes
 * (common/chair-io.c) and the presets (common/posture-presets.c). */
const char *posture_axes_join(const char *sep, char *buf, size_t size);
const char *posture_presets_join(const char *sep, char *buf, size_t size);
/* What up and down mean for each axis: "recline: up toward upright, down reclines; ..." (SEP unused). */
const char *posture_directions_join(const char *sep, char *buf, size_t size);
