/* SPDX-License-Identifier: MIT */
/*
 * A program at a glance, as SVG: the roller's position over time on the track (shoulder and
 * waist marked, the technique of each step as a coloured band), depth, kneading and tapping,
 * one lane per air zone (inflate dark, hold light) and per heat zone, and the step boundaries.
 * The steps' names sit in a band of their own above the roller lane, so no label crosses the
 * trace; lanes print their values (depth, speed, heat level); a legend names the band colours.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "profile-plot.h"
#include "svg.h"

#define W 1400
#define LEFT 140
#define RIGHT 30
#define TOP 60
#define NAMES_H 120 /* the steps' names, rotated, above the roller lane */
#define ROLLER_H 230
#define LANE_H 22
#define GAP 12

static const char *const technique_colour[_TECH_MAX] = {
        [TECH_NONE] = "#eeeeee",    [TECH_KNEAD] = "#cfe8cf",   [TECH_KNEAD_REVERSE] = "#b9dcb9",
        [TECH_TAP] = "#f6e0b5",     [TECH_KNOCK] = "#f3cf8f",   [TECH_SHIATSU] = "#e9c4dc",
        [TECH_CLAP] = "#f8ecc9",    [TECH_ROLL] = "#cfe0f3",    [TECH_KNEAD_TAP] = "#d9e6b5",
};

static double x_of(uint32_t ms, uint32_t total) {
        return LEFT + (double) ms * (W - LEFT - RIGHT) / (total ? total : 1);
}

/* A lane of rectangles from a step function of one channel: value at each command time. */
static void lane_steps(FILE *f, const struct timeline *t, double y, double h, const char *label,
                       enum timeline_channel ch, int arg, int vmax, const char *colour, bool numbers) {
        int32_t value = 0;
        uint32_t since = 0;
        char buf[64];

        svg_text(f, LEFT - 8, y + h * 0.7, "end", 12, "#333", label);
        fprintf(f, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"#fafafa\" stroke=\"#ddd\"/>\n", LEFT, y,
                W - LEFT - RIGHT, h);
        for (size_t i = 0; i <= t->n_cmds; i++) {
                bool end = i == t->n_cmds;
                const struct timeline_cmd *c = end ? NULL : &t->cmds[i];
                if (!end && (c->channel != ch || (arg >= 0 && c->arg != arg)))
                        continue;
                uint32_t at = end ? t->duration_ms : c->at_ms;
                if (value && at > since) {
                        double frac = fmin(1.0, fabs((double) value) / vmax);
                        double x0 = x_of(since, t->duration_ms), x1 = x_of(at, t->duration_ms);
                        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n",
                                x0, y + h * (1 - frac), x1 - x0, h * frac, colour);
                        /* The value itself where there is room for it. */
                        if (numbers && x1 - x0 > 16) {
                                snprintf(buf, sizeof buf, "%d", value);
                                svg_text(f, (x0 + x1) / 2, y + h * 0.72, "middle", 10, "#000", buf);
                        }
                }
                if (!end) {
                        value = c->value;
                        since = at;
                }
        }
}

static void lane_air(FILE *f, const struct timeline *t, double y, unsigned zone) {
        int action = 0;
        uint32_t since = 0;
        char label[40];

        snprintf(label, sizeof label, "air %s", chair_air_zone_name(zone));
        svg_text(f, LEFT - 8, y + LANE_H * 0.7, "end", 12, "#333", label);
        fprintf(f, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%d\" fill=\"#fafafa\" stroke=\"#ddd\"/>\n", LEFT, y,
                W - LEFT - RIGHT, LANE_H);
        for (size_t i = 0; i <= t->n_cmds; i++) {
                bool end = i == t->n_cmds;
                const struct timeline_cmd *c = end ? NULL : &t->cmds[i];
                if (!end && (c->channel != TL_AIR_ZONE || c->arg != (int) zone))
                        continue;
                uint32_t at = end ? t->duration_ms : c->at_ms;
                if (action != TL_AIR_RELEASE && at > since)
                        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>\n",
                                x_of(since, t->duration_ms), y + 2, x_of(at, t->duration_ms) - x_of(since, t->duration_ms),
                                LANE_H - 4, action == TL_AIR_INFLATE ? "#2f6db5" : "#9cc0ea");
                if (!end) {
                        action = c->value & 0xff;
                        since = at;
                }
        }
}

/* A lane of the steps' own speed (1-5), which the timeline carries only as mm/s. */
static void lane_speed(FILE *f, const struct program *p, const struct timeline *t, double y) {
        char buf[16];
        svg_text(f, LEFT - 8, y + LANE_H * 0.7, "end", 12, "#333", "speed");
        fprintf(f, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%d\" fill=\"#fafafa\" stroke=\"#ddd\"/>\n", LEFT, y,
                W - LEFT - RIGHT, LANE_H);
        for (size_t i = 0; i < t->n_cmds; i++) {
                const struct timeline_cmd *c = &t->cmds[i];
                uint32_t next = t->duration_ms;
                if (c->channel != TL_STEP || (size_t) c->arg >= p->n_steps)
                        continue;
                const struct profile_step *st = &p->steps[c->arg];
                if (st->technique == TECH_NONE)
                        continue;
                for (size_t k = i + 1; k < t->n_cmds; k++)
                        if (t->cmds[k].channel == TL_STEP) {
                                next = t->cmds[k].at_ms;
                                break;
                        }
                double x0 = x_of(c->at_ms, t->duration_ms), x1 = x_of(next, t->duration_ms), frac = st->speed / 5.0;
                fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#4c9bb0\"/>\n", x0,
                        y + LANE_H * (1 - frac), x1 - x0, LANE_H * frac);
                if (x1 - x0 > 16) {
                        snprintf(buf, sizeof buf, "%u", st->speed);
                        svg_text(f, (x0 + x1) / 2, y + LANE_H * 0.72, "middle", 10, "#000", buf);
                }
        }
}

void profile_plot_svg(const struct program *p, const struct timeline *t, const struct body_scan *scan,
                      int32_t track_mm, FILE *f) {
        double y_names = TOP, y_roller = TOP + NAMES_H, y = y_roller + ROLLER_H + GAP;
        uint32_t total = t->duration_ms, tick;
        bool used[_TECH_MAX] = {};
        double height, x;
        char buf[256];

        height = y_roller + ROLLER_H + GAP + 4 * (LANE_H + 4) + GAP + _CHAIR_AIR_ZONE_MAX * (LANE_H + 2) + GAP +
                 _CHAIR_HEAT_ZONE_MAX * (LANE_H + 2) + 100;
        svg_begin(f, W, height);
        snprintf(buf, sizeof buf, "%s (%s): %u:%02u at intensity %u, on a body with the shoulder at %d mm and the waist at %d mm",
                 p->name, p->id, total / 60000, total / 1000 % 60, p->intensity, scan->shoulder_mm, scan->waist_mm);
        svg_text(f, LEFT, 24, "start", 16, "#000", buf);
        svg_text(f, LEFT, 44, "start", 12, "#555", p->description);

        /* Technique bands, step boundaries, and each step's name in the band above the trace. */
        svg_text(f, LEFT - 8, y_names + NAMES_H - 6, "end", 12, "#333", "step");
        for (size_t i = 0; i < t->n_cmds; i++) {
                const struct timeline_cmd *c = &t->cmds[i];
                uint32_t next = total;
                if (c->channel != TL_STEP || (size_t) c->arg >= p->n_steps)
                        continue;
                for (size_t k = i + 1; k < t->n_cmds; k++)
                        if (t->cmds[k].channel == TL_STEP) {
                                next = t->cmds[k].at_ms;
                                break;
                        }
                used[p->steps[c->arg].technique] = true;
                fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>\n", x_of(c->at_ms, total),
                        y_roller, x_of(next, total) - x_of(c->at_ms, total), ROLLER_H,
                        technique_colour[p->steps[c->arg].technique]);
                fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#888\" stroke-width=\"0.6\"/>\n",
                        x_of(c->at_ms, total), y_names + NAMES_H - 2, x_of(c->at_ms, total), height - 90);
                /* Rotated names need about 12 px of width each; narrower steps go unnamed. */
                if (x_of(next, total) - x_of(c->at_ms, total) >= 12) {
                        x = (x_of(c->at_ms, total) + x_of(next, total)) / 2 + 4;
                        snprintf(buf, sizeof buf, "%.20s", p->steps[c->arg].name);
                        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#444\" "
                                   "transform=\"rotate(-90 %.1f %.1f)\">",
                                x, y_names + NAMES_H - 4, x, y_names + NAMES_H - 4);
                        svg_escape(f, buf);
                        fputs("</text>\n", f);
                }
        }

        /* The roller lane: track bottom at the lane's bottom. */
        /* Names in a column left of the mm ticks, so neither covers the other nor the trace. */
        svg_text(f, LEFT - 40, y_roller + ROLLER_H / 2 + 4, "end", 12, "#333", "roller (mm)");
        for (int mm = 0; mm <= track_mm; mm += 200) {
                double yy = y_roller + ROLLER_H - (double) mm * ROLLER_H / track_mm;
                snprintf(buf, sizeof buf, "%d", mm);
                svg_text(f, LEFT - 8, yy + 4, "end", 10, "#777", buf);
        }
        for (int k = 0; k < 2; k++) {
                int32_t mm = k ? scan->waist_mm : scan->shoulder_mm;
                double yy = y_roller + ROLLER_H - (double) mm * ROLLER_H / track_mm;
                fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#c33\" stroke-dasharray=\"6 4\"/>\n",
                        LEFT, yy, W - RIGHT, yy);
                svg_text(f, LEFT - 40, yy + 4, "end", 10, "#c33", k ? "waist" : "shoulder");
        }
        /* The roller's path: it moves toward each target at the commanded speed. */
        {
                double pos = 0, target = 0, speed = 25, ends[2] = { 0, 0 };
                bool sweeping = false;
                size_t next = 0;
                fputs("<polyline fill=\"none\" stroke=\"#1b4f8a\" stroke-width=\"1.6\" points=\"", f);
                for (uint32_t ms = 0; ms <= total; ms += 100) {
                        while (next < t->n_cmds && t->cmds[next].at_ms <= ms) {
                                if (t->cmds[next].channel == TL_ROLLER_POSITION) {
                                        target = t->cmds[next].value == TL_ROLLER_HERE ? pos : t->cmds[next].value;
                                        speed = t->cmds[next].arg;
                                        sweeping = false;
                                } else if (t->cmds[next].channel == TL_ROLLER_SWEEP) {
                                        ends[0] = target = timeline_sweep_first(t->cmds[next].value);
                                        ends[1] = timeline_sweep_second(t->cmds[next].value);
                                        speed = t->cmds[next].arg;
                                        sweeping = true;
                                }
                                next++;
                        }
                        double step = speed * 0.1;
                        /* A sweep turns at each end. */
                        if (sweeping && fabs(target - pos) <= step)
                                target = target == ends[0] ? ends[1] : ends[0];
                        pos += fabs(target - pos) <= step ? target - pos : (target > pos ? step : -step);
                        fprintf(f, "%.1f,%.1f ", x_of(ms, total), y_roller + ROLLER_H - pos * ROLLER_H / track_mm);
                }
                fputs("\"/>\n", f);
        }

        lane_speed(f, p, t, y);
        y += LANE_H + 4;
        lane_steps(f, t, y, LANE_H, "depth", TL_DEPTH, -1, 5, "#a88bc4", true);
        y += LANE_H + 4;
        lane_steps(f, t, y, LANE_H, "knead %", TL_KNEAD, -1, 100, "#3c8d40", false);
        y += LANE_H + 4;
        lane_steps(f, t, y, LANE_H, "tap %", TL_TAP, -1, 100, "#d9822b", false);
        y += LANE_H + 4 + GAP;
        for (unsigned z = 0; z < _CHAIR_AIR_ZONE_MAX; z++, y += LANE_H + 2)
                lane_air(f, t, y, z);
        y += GAP;
        for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++, y += LANE_H + 2) {
                snprintf(buf, sizeof buf, "heat %s", chair_heat_zone_name(z));
                lane_steps(f, t, y, LANE_H, buf, TL_HEAT_ZONE, (int) z, 3, "#f08a6c", true);
        }

        /* Time axis in m:ss, about ten ticks on whole half-minutes or minutes. */
        tick = total > 20 * 60000 ? 120000 : total > 10 * 60000 ? 60000 : total > 3 * 60000 ? 30000 : 10000;
        for (uint32_t ms = 0; ms <= total; ms += tick) {
                snprintf(buf, sizeof buf, "%u:%02u", ms / 60000, ms / 1000 % 60);
                fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", x_of(ms, total), y + 2,
                        x_of(ms, total), y + 8);
                svg_text(f, x_of(ms, total), y + 22, "middle", 11, "#333", buf);
        }

        /* The legend: the band colour of each technique the program uses, then the lanes' keys. */
        x = LEFT;
        y += 44;
        svg_text(f, LEFT - 8, y + 10, "end", 11, "#333", "techniques");
        for (unsigned k = 0; k < _TECH_MAX; k++) {
                const char *name = roller_technique_name(k);
                if (!used[k])
                        continue;
                fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"14\" fill=\"%s\" stroke=\"#999\"/>\n", x, y,
                        technique_colour[k]);
                svg_text(f, x + 18, y + 11, "start", 11, "#333", name);
                x += 30 + 7 * strlen(name);
        }
        svg_text(f, LEFT, y + 34, "start", 10, "#555",
             "speed and depth 1-5, heat level 0-3 (numbers in the lanes); knead and tap in % of full power; "
             "air: dark = inflating, light = holding; red dashes: the body scan's points");
        svg_end(f);
}
