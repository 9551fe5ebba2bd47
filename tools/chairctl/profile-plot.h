/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdio.h>

#include "profile.h"
#include "timeline.h"

/* Draws a planned program as SVG (see profile-plot.c). */
void profile_plot_svg(const struct program *p, const struct timeline *t, const struct body_scan *scan,
                      int32_t track_mm, FILE *f);
