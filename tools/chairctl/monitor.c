/* SPDX-License-Identifier: MIT */
/*
 * chairctl monitor: a live view of the chair. On a terminal: the alternate screen, redrawn at
 * most 4 times a second when the daemon announces a change (PropertiesChanged) and once a
 * second for what the chair's outputs are doing. Piped: one timestamped line per change (JSON
 * with --json), ending when the session does. Every frame fits 80 columns.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-event.h>
#include <time.h>
#include <unistd.h>

#include "chair-client.h"
#include "chair-io.h"
#include "macro.h"
#include "monitor.h"
#include "output.h"
#include "posture-command.h"
#include "vocab.h"

#define TRACK_COLS 40
#define BAR_COLS 40
#define TRACK_MM 800
#define FRAME_USEC (250 * USEC_PER_MSEC) /* at most 4 frames a second */
#define MONITOR_COLUMNS 80               /* every frame and line fits */
#define OUTPUTS_EVERY 4                  /* the outputs are re-read every 4th tick: once a second */

/* What the chair's outputs are doing, from the technician diagnostics (-1: not readable). */
struct outputs {
        int64_t travel, knead, tap, depth, width, pump, release, valve[_CHAIR_AIR_ZONE_MAX], heat[_CHAIR_HEAT_ZONE_MAX];
        bool known;
};

/* One output of the diagnostics ("output.NAME", chair-io's names) into its slot. */
static void output_entry(void *userdata, const char *key, int64_t x) {
        struct outputs *o = userdata;
        int out = strncmp(key, "output.", 7) == 0 ? chair_output_from_name(key + 7) : -EINVAL;
        int64_t *slot = NULL;

        switch (out) {
        case CHAIR_OUT_TRAVEL_MOTOR:
                slot = &o->travel;
                break;
        case CHAIR_OUT_KNEAD_MOTOR:
                slot = &o->knead;
                break;
        case CHAIR_OUT_TAP_MOTOR:
                slot = &o->tap;
                break;
        case CHAIR_OUT_DEPTH:
                slot = &o->depth;
                break;
        case CHAIR_OUT_WIDTH:
                slot = &o->width;
                break;
        case CHAIR_OUT_AIR_PUMP:
                slot = &o->pump;
                break;
        case CHAIR_OUT_AIR_RELEASE:
                slot = &o->release;
                break;
        default:
                for (unsigned z = 0; z < _CHAIR_AIR_ZONE_MAX; z++)
                        if (out >= 0 && (enum chair_output) out == chair_air_zone_valve(z))
                                slot = &o->valve[z];
                for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++)
                        if (out >= 0 && (enum chair_output) out == chair_heat_zone_output(z))
                                slot = &o->heat[z];
        }
        if (slot) {
                *slot = x;
                o->known = true;
        }
}

static void read_outputs(sd_bus *bus, struct outputs *o) {
        memset(o, 0xff, sizeof *o);
        o->known = false;
        client_read_diagnostics(bus, output_entry, o);
}

static bool in_list(const char (*list)[16], unsigned n, const char *z) {
        for (unsigned i = 0; i < n; i++)
                if (strcmp(list[i], z) == 0)
                        return true;
        return false;
}

static const char *width_name(int64_t w) {
        return w < 0 || w >= _CHAIR_WIDTH_MAX ? "-" : chair_width_to_string((enum chair_width) w);
}

/* The air pattern's phase as the valves show it: which zones fill, hold or release now. */
static const char *air_phase(const struct outputs *o) {
        bool open = false;
        if (!o->known)
                return "";
        for (unsigned z = 0; z < _CHAIR_AIR_ZONE_MAX; z++)
                open |= o->valve[z] > 0;
        /* The vent is open whenever the air is safe: it only means "releasing" with a bag connected. */
        if (!open)
                return "off";
        if (o->pump > 0)
                return "filling";
        return o->release > 0 ? "releasing" : "holding";
}

/* One line of the frame: LABEL and TEXT, within 80 columns. */
static void draw_line(const char *label, const char *text) {
        printf("  %-10s", label);
        print_ellipsized(stdout, text, MONITOR_COLUMNS - 12);
        printf("\n");
}

/* The posture's lines of the frame (a chair with axes or leg rollers): where the axes are, what
 * moves them (when anything does), the occupant and the leg rollers. */
static void draw_posture(const struct posture_view *pv) {
        char line[256];
        FILE *f;

        if (!pv || (!pv->n_axes && !pv->foot_rollers && !pv->calf_knead))
                return;
        for (int k = 0; k < 3; k++) {
                bool shown = true;
                f = fmemopen(line, sizeof line, "w");
                if (!f)
                        return;
                if (k == 0)
                        posture_view_positions(f, pv, "  ", false);
                else if (k == 1)
                        shown = posture_view_motions(f, pv);
                else
                        posture_view_legs(f, pv);
                fclose(f);
                /* Every axis at 100 % is one column too wide with two spaces between. */
                if (k == 0 && strlen(line) > MONITOR_COLUMNS - 12 && (f = fmemopen(line, sizeof line, "w"))) {
                        posture_view_positions(f, pv, " ", false);
                        fclose(f);
                }
                if (shown)
                        draw_line(k == 0 ? "posture" : k == 1 ? "motion" : "legs", line);
        }
}

static void draw_frame(const struct chair_status *st, const struct posture_view *pv, const struct outputs *o, bool live,
                       const char *address) {
        char track[TRACK_COLS + 1], bar[BAR_COLS + 1];
        int roller = st->roller < 0 ? 0 : st->roller;
        int at = roller * (TRACK_COLS - 1) / TRACK_MM, sh = st->shoulder * (TRACK_COLS - 1) / TRACK_MM;
        unsigned done = st->duration && st->remaining <= st->duration
                                ? (st->duration - st->remaining) * BAR_COLS / st->duration
                                : 0;

        memset(track, '-', TRACK_COLS);
        track[TRACK_COLS] = 0;
        if (st->shoulder >= 0 && sh >= 0 && sh < TRACK_COLS)
                track[sh] = 'S';
        if (at >= 0 && at < TRACK_COLS)
                track[at] = 'O';
        for (unsigned i = 0; i < BAR_COLS; i++)
                bar[i] = i < done ? '#' : '.';
        bar[BAR_COLS] = 0;

        /* Every line below stays within 80 columns. */
        printf("massagechaird: %.60s\n\n", st->model);
        printf("  state     %s%s%.40s\n", st->state, st->fault[0] ? "  FAULT " : "", st->fault);
        if (st->program[0])
                printf("  program   %-24.24s %2u:%02u left of %u:%02u\n", st->program, st->remaining / 60,
                       st->remaining % 60, st->duration / 60, st->duration % 60);
        else
                printf("  program   (none)%s%.40s\n", st->selected[0] ? "   selected: " : "", st->selected);
        printf("            [%s] %3u%%\n", bar, st->duration ? done * 100 / BAR_COLS : 0);
        if (st->step[0])
                printf("  step      %.40s (%.24s)\n", st->step, st->technique);
        printf("  roller    bottom |%s| top %4d mm\n", track, st->roller);
        if (o->known)
                printf("  doing     travel %3lld%%  knead %3lld%%  tap %3lld%%  depth %lld  width %s\n",
                       (long long) o->travel, (long long) o->knead, (long long) o->tap, (long long) o->depth,
                       width_name(o->width));
        printf("  settings  intensity %u  speed %u  depth %u  width %s\n", st->intensity, st->speed, st->depth, st->width);
        printf("  air      ");
        for (unsigned z = 0; z < _CHAIR_AIR_ZONE_MAX; z++) {
                bool on = o->known ? o->valve[z] > 0
                                   : in_list((const char (*)[16]) st->active_air, st->n_active_air, chair_air_zone_name(z));
                printf(on ? " [%s]" : "  %s ", chair_air_zone_name(z));
        }
        printf(" %s\n  heat     ", air_phase(o));
        for (unsigned i = 0; i < st->n_heat; i++) {
                printf("  %s level %u", st->heat[i].zone, st->heat[i].level);
                if (st->heat[i].has_temp)
                        printf(" %.1f °C", st->heat[i].temp);
        }
        printf("\n");
        /* A zone off for its heat dose (Chair1.HeatDose): why its heat does not come on. */
        for (unsigned i = 0; i < st->n_heat; i++)
                if (st->heat[i].has_dose && st->heat[i].limited && !st->heat[i].limit_s)
                        printf("  dose      %s off: no heat for the active person\n", st->heat[i].zone);
                else if (st->heat[i].has_dose && st->heat[i].limited)
                        printf("  dose      %s off: %u min at %.1f °C (limit %u min), back at %u min\n", st->heat[i].zone,
                               st->heat[i].dose_s / 60, st->heat[i].threshold_decic / 10.0, st->heat[i].limit_s / 60,
                               st->heat[i].resume_s / 60);
        draw_posture(pv);
        /* Health data: shown only to a caller read-health allows (re-read on its invalidation). */
        printf("  cautions ");
        for (unsigned i = 0; i < st->n_precautions; i++)
                printf(" %.30s", st->precautions[i]);
        printf("%s\n", st->n_precautions ? "" : st->precautions_hidden ? " not shown (health data)" : " none declared");
        if (st->fault[0])
                printf("\n  %.76s\n", st->fault_message);
        if (!live)
                return;
        printf("\n  S shoulder, O roller, [zone] inflated. Ctrl-C leaves (the chair goes on).\n");
        /* A private bus (the demo's): how a second terminal reaches the same daemon. */
        if (address && !strstr(address, "/run/dbus/system_bus_socket"))
                printf("  Another terminal reaches this daemon with (or . build/demo.env):\n    chairctl --address=%s\n",
                       address);
}

/* One line per change for a log or a pipe: the text without its timestamp is compared. */
static void format_line(const struct chair_status *st, const struct posture_view *pv, const struct outputs *o, bool json,
                        char *buf, size_t size) {
        FILE *f = fmemopen(buf, size, "w");
        if (!f) {
                buf[0] = 0;
                return;
        }
        if (json) {
                struct json j = { .f = f };
                json_begin_object(&j, NULL);
                json_str(&j, "state", st->state);
                json_str(&j, "program", st->program);
                json_uint(&j, "remaining", st->remaining);
                json_uint(&j, "intensity", st->intensity);
                json_str(&j, "step", st->step);
                json_str(&j, "technique", st->technique);
                if (o->known) {
                        json_int(&j, "speed_pct", o->travel < 0 ? -o->travel : o->travel);
                        json_int(&j, "knead_pct", o->knead);
                        json_int(&j, "tap_pct", o->tap);
                        json_int(&j, "depth", o->depth);
                        json_str(&j, "width", width_name(o->width));
                        json_str(&j, "air_phase", air_phase(o));
                }
                json_begin_array(&j, "air");
                for (unsigned z = 0; z < _CHAIR_AIR_ZONE_MAX; z++)
                        if (o->known ? o->valve[z] > 0
                                     : in_list((const char (*)[16]) st->active_air, st->n_active_air, chair_air_zone_name(z)))
                                json_str(&j, NULL, chair_air_zone_name(z));
                json_end_array(&j);
                json_begin_object(&j, "heat");
                for (unsigned i = 0; i < st->n_heat; i++)
                        json_uint(&j, st->heat[i].zone, st->heat[i].level);
                json_end_object(&j);
                json_begin_object(&j, "heat_dose");
                for (unsigned i = 0; i < st->n_heat; i++)
                        if (st->heat[i].has_dose) {
                                json_begin_object(&j, st->heat[i].zone);
                                json_uint(&j, "dose_s", st->heat[i].dose_s);
                                json_uint(&j, "limit_s", st->heat[i].limit_s);
                                json_bool(&j, "limited", st->heat[i].limited);
                                json_end_object(&j);
                        }
                json_end_object(&j);
                /* Health data: hidden from a caller read-health does not allow, never "none". */
                json_bool(&j, "precautions_hidden", st->precautions_hidden);
                json_begin_array(&j, "precautions");
                for (unsigned i = 0; i < st->n_precautions; i++)
                        json_str(&j, NULL, st->precautions[i]);
                json_end_array(&j);
                json_str(&j, "fault", st->fault);
                if (pv)
                        posture_view_json(&j, "posture", pv);
                json_end_object(&j);
        } else {
                /* Not the roller's position: it changes every few milliseconds while it moves. The
                 * shortest first: a fault, then what the roller does, the air, the heat (the
                 * caller cuts the line at 80 columns; --json has it all). */
                bool posture_first = pv && (posture_view_moving(pv) || strcmp(st->state, "idle") == 0 ||
                                            strcmp(st->state, "fault") == 0);

                fprintf(f, "%s %.16s %u:%02u", st->state, st->program[0] ? st->program : "-", st->remaining / 60,
                        st->remaining % 60);
                if (st->fault[0])
                        fprintf(f, " FAULT %s", st->fault);
                /* The posture, while idle or when it moves, as worth seeing as a fault; during a
                 * session a still posture goes last, after what the roller does. */
                if (posture_first)
                        posture_view_line(f, pv);
                /* The technique as the motors run it: only those that run are named. */
                if (o->known) {
                        fprintf(f, " spd %lld", (long long) (o->travel < 0 ? -o->travel : o->travel));
                        if (o->knead)
                                fprintf(f, " knead %lld", (long long) o->knead);
                        if (o->tap)
                                fprintf(f, " tap %lld", (long long) o->tap);
                        fprintf(f, " depth %lld %s", (long long) o->depth, width_name(o->width));
                }
                fprintf(f, " air %s", o->known ? air_phase(o) : "");
                for (unsigned z = 0; z < _CHAIR_AIR_ZONE_MAX; z++)
                        if (o->known ? o->valve[z] > 0
                                     : in_list((const char (*)[16]) st->active_air, st->n_active_air, chair_air_zone_name(z)))
                                fprintf(f, " %s", chair_air_zone_name(z));
                for (unsigned i = 0; i < st->n_heat; i++)
                        fprintf(f, " %s:%u%s", st->heat[i].zone, st->heat[i].level,
                                st->heat[i].has_dose && st->heat[i].limited ? "(dose-off)" : "");
                /* Last, where the 80 columns leave room: the program's step and its technique. */
                if (st->step[0])
                        fprintf(f, " step %.20s (%s)", st->step, st->technique);
                if (st->precautions_hidden)
                        fprintf(f, " cautions not shown (health data)");
                for (unsigned i = 0; i < st->n_precautions; i++)
                        fprintf(f, "%s%s", i ? "," : " cautions ", st->precautions[i]);
                if (pv && !posture_first)
                        posture_view_line(f, pv);
        }
        fclose(f);
}

struct monitor {
        sd_bus *bus;
        sd_event *event;
        bool tty, json, dirty, seen_session;
        unsigned ticks;
        const char *address;
        struct outputs outputs;
        char last[2048];
};

/* The posture object, or NULL (an older daemon has none). */
static const struct posture_view *read_posture(sd_bus *bus, struct posture_view *v) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = posture_view_read(bus, v, &error);
        sd_bus_error_free(&error);
        return r < 0 ? NULL : v;
}

static int refresh(struct monitor *m) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        struct chair_status st;
        struct posture_view posture;
        const struct posture_view *pv;
        int r = client_get_status(m->bus, &st, &error);

        if (r < 0) {
                r = client_report_error(&error, r);
                sd_bus_error_free(&error);
                sd_event_exit(m->event, r);
                return 0;
        }
        pv = read_posture(m->bus, &posture);
        if (m->tty) {
                fputs("\033[H\033[J", stdout);
                draw_frame(&st, pv, &m->outputs, true, m->address);
        } else {
                char line[2048], when[32];
                format_line(&st, pv, &m->outputs, m->json, line, sizeof line);
                if (strcmp(line, m->last) != 0) {
                        char full[2100];
                        snprintf(m->last, sizeof m->last, "%s", line);
                        format_time_usec((uint64_t) time(NULL) * USEC_PER_SEC, when, sizeof when);
                        if (m->json)
                                printf("{\"time\":\"%s\",%s", when, line + 1);
                        else {
                                snprintf(full, sizeof full, "%s %s", when, line);
                                print_ellipsized(stdout, full, MONITOR_COLUMNS);
                                fputc('\n', stdout);
                        }
                }
        }
        fflush(stdout);
        if (strcmp(st.state, "idle") != 0)
                m->seen_session = true;
        /* Without a terminal (a log, a pipe), end once the session is over. */
        if (!m->tty && m->seen_session && (strcmp(st.state, "idle") == 0 || strcmp(st.state, "fault") == 0))
                sd_event_exit(m->event, 0);
        return 0;
}

static int on_changed(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        struct monitor *m = userdata;
        m->dirty = true;
        return 0;
}

/* The frame clock: a change is drawn at the next tick, so a burst of signals is one frame. */
static int on_tick(sd_event_source *s, uint64_t usec, void *userdata) {
        struct monitor *m = userdata;
        int r;
        if (++m->ticks % OUTPUTS_EVERY == 0) {
                struct outputs before = m->outputs;
                read_outputs(m->bus, &m->outputs);
                m->dirty |= memcmp(&before, &m->outputs, sizeof before) != 0;
        }
        if (m->dirty) {
                m->dirty = false;
                refresh(m);
        }
        r = sd_event_source_set_time(s, usec + FRAME_USEC);
        return r < 0 ? r : sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static int on_owner_changed(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        struct monitor *m = userdata;
        const char *name, *old, *new;
        if (sd_bus_message_read(msg, "sss", &name, &old, &new) >= 0 && strcmp(name, CHAIR_BUS_NAME) == 0 && !*new) {
                fprintf(stderr, "chairctl: massagechaird has gone away.\n");
                sd_event_exit(m->event, EXIT_NOT_RUNNING);
        }
        return 0;
}

int monitor_run(sd_bus *bus, bool once, bool json) {
        struct monitor m = { .bus = bus, .tty = isatty(STDOUT_FILENO) && !json, .json = json };
        const char *address = NULL;
        sigset_t mask;
        uint64_t now;
        int r, code = 0;

        read_outputs(bus, &m.outputs);
        if (once) {
                sd_bus_error error = SD_BUS_ERROR_NULL;
                struct chair_status st;
                struct posture_view posture;
                const struct posture_view *pv;
                r = client_get_status(bus, &st, &error);
                if (r < 0) {
                        r = client_report_error(&error, r);
                        sd_bus_error_free(&error);
                        return r;
                }
                pv = read_posture(bus, &posture);
                if (json) {
                        char line[2048];
                        format_line(&st, pv, &m.outputs, true, line, sizeof line);
                        fputs(line, stdout);
                } else
                        draw_frame(&st, pv, &m.outputs, false, NULL);
                return 0;
        }
        if (sd_bus_get_address(bus, &address) >= 0)
                m.address = address;
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        r = sd_event_default(&m.event);
        if (r >= 0)
                r = sd_event_add_signal(m.event, NULL, SIGINT, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(m.event, NULL, SIGTERM, NULL, NULL);
        if (r >= 0)
                r = sd_bus_attach_event(bus, m.event, 0);
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, CHAIR_BUS_NAME, CHAIR_OBJECT_PATH, "org.freedesktop.DBus.Properties",
                                        "PropertiesChanged", on_changed, &m);
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, CHAIR_BUS_NAME, CHAIR_POSTURE_PATH, "org.freedesktop.DBus.Properties",
                                        "PropertiesChanged", on_changed, &m);
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                        "org.freedesktop.DBus", "NameOwnerChanged", on_owner_changed, &m);
        if (r >= 0)
                r = sd_event_now(m.event, CLOCK_MONOTONIC, &now);
        if (r >= 0)
                r = sd_event_add_time(m.event, NULL, CLOCK_MONOTONIC, now + FRAME_USEC, 0, on_tick, &m);
        if (r < 0) {
                fprintf(stderr, "chairctl: cannot watch the daemon: %s\n", strerror(-r));
                sd_event_unref(m.event);
                return EXIT_CALL_FAILED;
        }
        /* The alternate screen, as less and top use it: the shell's screen comes back on exit. */
        if (m.tty)
                fputs("\033[?1049h\033[?25l", stdout);
        refresh(&m);
        r = sd_event_loop(m.event);
        sd_event_get_exit_code(m.event, &code);
        if (m.tty) {
                fputs("\033[?25h\033[?1049l", stdout);
                fflush(stdout);
        }
        sd_bus_detach_event(bus);
        sd_event_unref(m.event);
        return r < 0 ? EXIT_CALL_FAILED : code;
}
