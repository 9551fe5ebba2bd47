/* SPDX-License-Identifier: MIT */
/*
 * chairctl's posture verbs (issue #19): the axes and leg rollers of docs/posture.md over
 * org.massagechair.Chair1.Posture (CHAIR_POSTURE_PATH), and Chair1.GetCapabilities.
 *
 * Every argument is checked here first (axes and presets from their one table each), so a bad
 * one is a usage error (2) naming it before the daemon is asked anything. The daemon applies
 * the rules (an occupant, the precautions, a latched fault); chairctl says what a refusal means.
 *
 * move is hold-to-run, as the panel's keys are: it renews Posture.Move every MOVE_RENEW_USEC
 * with a MOVE_LEASE_MS lease until its time is up, SIGINT or SIGTERM, a refusal, or a stop the
 * daemon made (which a renewal would undo), and always ends with direction 0. If chairctl dies without that, the lease lapses, and the daemon stops
 * the axis at once when the connection goes (it tracks the caller).
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chair-client.h"
#include "chair-io.h"
#include "macro.h"
#include "output.h"
#include "parse-number.h"
#include "posture-command.h"
#include "posture-presets.h"

#define MOVE_RENEW_USEC (200 * USEC_PER_MSEC)
#define MOVE_LEASE_MS 500u
/* A renewal the daemon does not answer within two leases has stopped the axis already. */
#define MOVE_CALL_TIMEOUT_USEC (2 * MOVE_LEASE_MS * USEC_PER_MSEC)
#define MOVE_SECONDS_DEFAULT 2.0
#define MOVE_SECONDS_MAX 30.0

#define _cleanup_message_ _cleanup_(sd_bus_message_unrefp)
#define _cleanup_bus_error_ _cleanup_(sd_bus_error_free)

#define usage(...) chairctl_usage("chairctl --help", __VA_ARGS__)

/* What "up" is for each axis in Move's terms (+1: toward the axis's end_max), and what the
 * person sees: the backrest comes up toward upright, everything else goes up toward its end. */
static const struct {
        int8_t up;
        const char *up_means, *down_means;
} axis_words[_CHAIR_AXIS_MAX] = {
        [CHAIR_AXIS_RECLINE] = { -1, "toward upright", "reclines" },
        [CHAIR_AXIS_LEGREST_LIFT] = { +1, "raises", "lowers" },
        [CHAIR_AXIS_LEGREST_EXTEND] = { +1, "lengthens", "shortens" },
        [CHAIR_AXIS_SEAT_SLIDE] = { +1, "forward", "back" },
};

/* NAME(0..N-1) with SEP between them into BUF (truncated to SIZE). */
static const char *join(const char *sep, char *buf, size_t size, unsigned n, const char *(*name)(unsigned i)) {
        size_t o = 0;

        if (!size)
                return buf;
        buf[0] = 0;
        for (unsigned i = 0; i < n && o < size; i++) {
                int k = snprintf(buf + o, size - o, "%s%s", i ? sep : "", name(i));
                o = k < 0 ? size : o + (size_t) k;
        }
        return buf;
}

static const char *axis_name(unsigned a) {
        return chair_axis_info(a)->name;
}

static const char *preset_name(unsigned p) {
        return posture_preset_to_string(p);
}

/* "recline: up toward upright, down reclines" for the help (a static buffer: one at a time). */
static const char *axis_directions(unsigned a) {
        static char text[96];
        snprintf(text, sizeof text, "%s: up %s, down %s", chair_axis_info(a)->name,
                 axis_words[a].up_means ? axis_words[a].up_means : "toward its end",
                 axis_words[a].down_means ? axis_words[a].down_means : "back");
        return text;
}

const char *posture_axes_join(const char *sep, char *buf, size_t size) {
        return join(sep, buf, size, _CHAIR_AXIS_MAX, axis_name);
}

const char *posture_presets_join(const char *sep, char *buf, size_t size) {
        return join(sep, buf, size, _POSTURE_PRESET_MAX, preset_name);
}

/* "; " whatever SEP is: each entry has a comma of its own. */
const char *posture_directions_join(_unused_ const char *sep, char *buf, size_t size) {
        return join("; ", buf, size, _CHAIR_AXIS_MAX, axis_directions);
}

/* ---- the view ---- */

static int find_axis(struct posture_view *v, const char *name) {
        for (unsigned i = 0; i < v->n_axes; i++)
                if (strcmp(v->axis[i].name, name) == 0)
                        return (int) i;
        return -1;
}

static int read_axes(sd_bus_message *m, struct posture_view *v) {
        const char *s;
        int r = sd_bus_message_enter_container(m, 'v', "as");
        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', "s");
        while (r >= 0 && (r = sd_bus_message_read(m, "s", &s)) > 0)
                if (v->n_axes < POSTURE_VIEW_AXES_MAX && find_axis(v, s) < 0) {
                        unsigned i = v->n_axes++;
                        snprintf(v->axis[i].name, sizeof v->axis[i].name, "%s", s);
                        snprintf(v->axis[i].motion, sizeof v->axis[i].motion, "still");
                        v->axis[i].permille = -1;
                }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        return r < 0 ? r : sd_bus_message_exit_container(m);
}

/* Positions a{si} or Motions a{ss}, for the axes Axes named (it comes first in GetAll, but a
 * dict may name an axis Axes did not: it is added). */
static int read_axis_dict(sd_bus_message *m, struct posture_view *v, bool motions) {
        const char *sig = motions ? "{ss}" : "{si}", *name, *motion;
        int32_t permille;
        int r = sd_bus_message_enter_container(m, 'v', motions ? "a{ss}" : "a{si}");

        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', sig);
        while (r >= 0 && (r = motions ? sd_bus_message_read(m, sig, &name, &motion)
                                      : sd_bus_message_read(m, sig, &name, &permille)) > 0) {
                int i = find_axis(v, name);
                if (i < 0 && v->n_axes < POSTURE_VIEW_AXES_MAX) {
                        i = (int) v->n_axes++;
                        snprintf(v->axis[i].name, sizeof v->axis[i].name, "%s", name);
                        snprintf(v->axis[i].motion, sizeof v->axis[i].motion, "still");
                        v->axis[i].permille = -1;
                }
                if (i < 0)
                        continue;
                if (motions)
                        snprintf(v->axis[i].motion, sizeof v->axis[i].motion, "%s", motion);
                else
                        v->axis[i].permille = permille;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        return r < 0 ? r : sd_bus_message_exit_container(m);
}

int posture_view_read(sd_bus *bus, struct posture_view *v, sd_bus_error *error) {
        _cleanup_message_ sd_bus_message *reply = NULL;
        int r;

        *v = (struct posture_view) {};
        r = sd_bus_call_method(bus, CHAIR_BUS_NAME, CHAIR_POSTURE_PATH, "org.freedesktop.DBus.Properties", "GetAll", error,
                               &reply, "s", CHAIR_POSTURE_INTERFACE);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *key, *s;
                int b;

                r = sd_bus_message_read(reply, "s", &key);
                if (r < 0)
                        break;
                if (strcmp(key, "Axes") == 0)
                        r = read_axes(reply, v);
                else if (strcmp(key, "Positions") == 0 || strcmp(key, "Motions") == 0)
                        r = read_axis_dict(reply, v, key[0] == 'M');
                else if (strcmp(key, "Occupied") == 0 || strcmp(key, "FeetOn") == 0) {
                        r = sd_bus_message_read(reply, "v", "b", &b);
                        *(key[0] == 'O' ? &v->occupied : &v->feet_on) = b;
                } else if (strcmp(key, "FootRollers") == 0)
                        r = sd_bus_message_read(reply, "v", "i", &v->foot_rollers);
                else if (strcmp(key, "CalfKnead") == 0)
                        r = sd_bus_message_read(reply, "v", "i", &v->calf_knead);
                else if (strcmp(key, "PinchedAxis") == 0) {
                        r = sd_bus_message_read(reply, "v", "s", &s);
                        if (r >= 0)
                                snprintf(v->pinched, sizeof v->pinched, "%s", s);
                } else
                        r = sd_bus_message_skip(reply, "v"); /* Presets, or a newer daemon's */
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        return r < 0 ? r : 0;
}

static bool axis_still(const struct posture_view *v, unsigned i) {
        return strcmp(v->axis[i].motion, "still") == 0;
}

bool posture_view_moving(const struct posture_view *v) {
        for (unsigned i = 0; i < v->n_axes; i++)
                if (!axis_still(v, i))
                        return true;
        return false;
}

void posture_view_json(struct json *j, const char *key, const struct posture_view *v) {
        json_begin_object(j, key);
        json_begin_object(j, "axes");
        for (unsigned i = 0; i < v->n_axes; i++) {
                json_begin_object(j, v->axis[i].name);
                if (v->axis[i].permille >= 0)
                        json_int(j, "position_permille", v->axis[i].permille);
                json_str(j, "motion", v->axis[i].motion);
                json_end_object(j);
        }
        json_end_object(j);
        json_bool(j, "occupied", v->occupied);
        json_bool(j, "feet_on", v->feet_on);
        json_int(j, "foot_rollers", v->foot_rollers);
        json_int(j, "calf_knead", v->calf_knead);
        json_str(j, "pinched_axis", v->pinched);
        json_end_object(j);
}

static void print_position(FILE *f, const struct posture_view *v, unsigned i) {
        if (v->axis[i].permille < 0)
                fprintf(f, "%s -", v->axis[i].name);
        else
                fprintf(f, "%s %d%%", v->axis[i].name, (int) (((int64_t) v->axis[i].permille + 5) / 10));
}

void posture_view_positions(FILE *f, const struct posture_view *v, const char *sep, bool motions) {
        for (unsigned i = 0; i < v->n_axes; i++) {
                bool pinched = strcmp(v->pinched, v->axis[i].name) == 0;
                fputs(i ? sep : "", f);
                print_position(f, v, i);
                if (motions && (!axis_still(v, i) || pinched))
                        fprintf(f, " (%s%s%s)", axis_still(v, i) ? "" : v->axis[i].motion,
                                !axis_still(v, i) && pinched ? ", " : "", pinched ? "pinched" : "");
        }
}

bool posture_view_motions(FILE *f, const struct posture_view *v) {
        bool any = false;
        for (unsigned i = 0; i < v->n_axes; i++) {
                bool pinched = strcmp(v->pinched, v->axis[i].name) == 0;
                if (axis_still(v, i) && !pinched)
                        continue;
                fprintf(f, "%s%s %s%s", any ? ", " : "", v->axis[i].name, axis_still(v, i) ? "" : v->axis[i].motion,
                        pinched ? (axis_still(v, i) ? "pinched" : " (pinched)") : "");
                any = true;
        }
        return any;
}

void posture_view_legs(FILE *f, const struct posture_view *v) {
        fprintf(f, "%s, feet %s, foot rollers %d%%, calf %d%%", v->occupied ? "seated" : "nobody seated",
                v->feet_on ? "on" : "off", v->foot_rollers, v->calf_knead);
}

void posture_view_status(FILE *f, const struct posture_view *v) {
        if (v->n_axes) {
                fputs("     Posture: ", f);
                posture_view_positions(f, v, ", ", true);
                fputc('\n', f);
                /* What keeps presets, the fit and the rollers from starting ('chairctl posture'
                 * tells the feet too: off the foot rest until the fit is the usual). */
                if (!v->occupied)
                        fputs("    Occupant: nobody seated\n", f);
        }
        if (v->foot_rollers || v->calf_knead)
                fprintf(f, " Leg rollers: foot %d%%, calf %d%%\n", v->foot_rollers, v->calf_knead);
}

void posture_view_line(FILE *f, const struct posture_view *v) {
        if (v->pinched[0])
                fprintf(f, " PINCHED %s", v->pinched);
        if (v->n_axes && !v->occupied)
                fputs(" seat-empty", f);
        else if (v->n_axes && !v->feet_on)
                fputs(" feet-off", f);
        if (v->foot_rollers)
                fprintf(f, " foot-rollers %d%%", v->foot_rollers);
        if (v->calf_knead)
                fprintf(f, " calf %d%%", v->calf_knead);
        /* An axis at rest at 0 (upright, home) is the usual: not a word. */
        for (unsigned i = 0; i < v->n_axes; i++) {
                if (axis_still(v, i) && v->axis[i].permille <= 0)
                        continue;
                fputc(' ', f);
                print_position(f, v, i);
                if (!axis_still(v, i))
                        fprintf(f, " %s", v->axis[i].motion);
        }
}

/* ---- calls ---- */

/* No Posture object: a daemon without a chair (no hardware map) says what to do (exit 4, as
 * status does); another is older than the posture API. */
static int report_no_posture(sd_bus *bus) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        struct chair_status st;

        if (client_get_status(bus, &st, &error) >= 0 && strcmp(st.state, "unconfigured") == 0) {
                fprintf(stderr, "chairctl: not configured: %s\n", st.fault_message);
                return EXIT_NOT_CONFIGURED;
        }
        fprintf(stderr, "chairctl: this massagechaird has no %s: it is older than chairctl.\n", CHAIR_POSTURE_INTERFACE);
        return EXIT_CALL_FAILED;
}

/* A posture refusal in one line: the daemon's sentence and what it means here. */
static int report_error(sd_bus *bus, const sd_bus_error *error, int r) {
        const char *fix = NULL;

        if (sd_bus_error_has_names(error, SD_BUS_ERROR_UNKNOWN_OBJECT, SD_BUS_ERROR_UNKNOWN_INTERFACE,
                                   SD_BUS_ERROR_UNKNOWN_PROPERTY))
                return report_no_posture(bus);

        if (sd_bus_error_has_name(error, CHAIR_ERROR_BUSY))
                fix = "another move is under way (a panel key held, another client, or the chair releasing an "
                      "obstruction): 'chairctl posture' shows it, 'chairctl posture stop' stops it";
        else if (sd_bus_error_has_name(error, CHAIR_ERROR_PRECAUTION))
                fix = "the declared conditions rule it out ('chairctl precautions' lists them)";
        else if (sd_bus_error_has_name(error, CHAIR_ERROR_FAULT_LATCHED)) {
                struct posture_view v;
                _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
                if (posture_view_read(bus, &v, &e) >= 0 && v.pinched[0]) {
                        fprintf(stderr,
                                "chairctl: %s: a technician checks the chair and runs 'chairctl clear-fault'; meanwhile "
                                "'chairctl move %s' away from the obstruction frees a trapped limb.\n",
                                error->message ? error->message : error->name, v.pinched);
                        return EXIT_CALL_FAILED;
                }
        }
        if (!fix)
                return client_report_error(error, r);
        fprintf(stderr, "chairctl: %s: %s.\n", error->message ? error->message : error->name, fix);
        return EXIT_CALL_FAILED;
}

/* Calls METHOD of the Posture object (on Chair1 for CHAIR_INTERFACE); on failure reports it
 * and returns the exit code (> 0). */
static int call(sd_bus *bus, const char *interface, const char *method, sd_bus_message **ret_reply, const char *types,
                ...) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        bool chair = strcmp(interface, CHAIR_INTERFACE) == 0;
        va_list ap;
        int r;

        va_start(ap, types);
        r = sd_bus_call_methodv(bus, CHAIR_BUS_NAME, chair ? CHAIR_OBJECT_PATH : CHAIR_POSTURE_PATH, interface, method,
                                &error, ret_reply, types, ap);
        va_end(ap);
        return r < 0 ? report_error(bus, &error, r) : 0;
}

/* ---- posture, capabilities ---- */

/* Which leg channels the chair has (GetCapabilities' "leg-channels"); both when it cannot say. */
static void leg_channels(sd_bus *bus, bool *ret_foot, bool *ret_calf) {
        _cleanup_message_ sd_bus_message *reply = NULL;
        int r = sd_bus_call_method(bus, CHAIR_BUS_NAME, CHAIR_OBJECT_PATH, CHAIR_INTERFACE, "GetCapabilities", NULL,
                                   &reply, NULL);

        *ret_foot = *ret_calf = true;
        if (r < 0)
                return;
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *key, *s;
                r = sd_bus_message_read(reply, "s", &key);
                if (r >= 0 && strcmp(key, "leg-channels") == 0) {
                        *ret_foot = *ret_calf = false;
                        r = sd_bus_message_enter_container(reply, 'v', "as");
                        if (r >= 0)
                                r = sd_bus_message_enter_container(reply, 'a', "s");
                        while (r >= 0 && (r = sd_bus_message_read(reply, "s", &s)) > 0) {
                                *ret_foot |= chair_output_from_name(s) == CHAIR_OUT_FOOT_ROLLERS;
                                *ret_calf |= chair_output_from_name(s) == CHAIR_OUT_CALF_KNEAD;
                        }
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                } else if (r >= 0)
                        r = sd_bus_message_skip(reply, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
}

static int show_posture(sd_bus *bus, int json, bool no_legend) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        struct posture_view v;
        int r = posture_view_read(bus, &v, &error);
        bool foot, calf;

        if (r < 0)
                return report_error(bus, &error, r);
        if (json) {
                struct json j = { .f = stdout, .pretty = json == 2 };
                posture_view_json(&j, NULL, &v);
                return 0;
        }
        leg_channels(bus, &foot, &calf);
        if (!v.n_axes && !foot && !calf) {
                printf("This chair has no posture axes and no leg rollers.\n");
                return 0;
        }
        if (!v.n_axes)
                printf("This chair has no posture axes.\n");
        else if (!no_legend)
                printf("%-16s %8s  %s\n", "AXIS", "POSITION", "MOTION");
        for (unsigned i = 0; i < v.n_axes; i++) {
                char pos[16] = "-";
                if (v.axis[i].permille >= 0)
                        snprintf(pos, sizeof pos, "%d.%d %%", v.axis[i].permille / 10, v.axis[i].permille % 10);
                printf("%-16s %8s  %s%s\n", v.axis[i].name, pos, v.axis[i].motion,
                       strcmp(v.pinched, v.axis[i].name) == 0 ? " (pinched: only moves away from the obstruction)" : "");
        }
        printf("\n%12s: %s\n", "Occupant",
               v.occupied ? (v.feet_on ? "seated, feet on the foot rest" : "seated, feet off the foot rest")
                          : "nobody seated (presets, the fit and the leg rollers wait for a person)");
        if (foot)
                printf("%12s: %d %%%s\n", "Foot rollers", v.foot_rollers, v.foot_rollers < 0 ? " (reverse)" : "");
        if (calf)
                printf("%12s: %d %%\n", "Calf", v.calf_knead);
        if (v.pinched[0])
                printf("%12s: %s (a technician clears it: 'chairctl clear-fault')\n", "Pinch", v.pinched);
        return 0;
}

/* One capability's value: text or JSON. Returns < 0 for a type it does not know (skipped). */
static int print_capability(sd_bus_message *m, const char *key, const char *contents, struct json *j) {
        int r;

        if (strcmp(contents, "as") == 0 || strcmp(contents, "au") == 0) {
                bool strings = contents[1] == 's', first = true;
                r = sd_bus_message_enter_container(m, 'v', contents);
                if (r >= 0)
                        r = sd_bus_message_enter_container(m, 'a', contents + 1);
                if (j)
                        json_begin_array(j, key);
                else
                        printf("%16s:", key);
                for (;;) {
                        const char *s;
                        uint32_t u;
                        r = strings ? sd_bus_message_read(m, "s", &s) : sd_bus_message_read(m, "u", &u);
                        if (r <= 0)
                                break;
                        if (j && strings)
                                json_str(j, NULL, s);
                        else if (j)
                                json_uint(j, NULL, u);
                        else if (strings)
                                printf(" %s", s);
                        else
                                printf(" %u", u);
                        first = false;
                }
                if (j)
                        json_end_array(j);
                else
                        printf("%s\n", first ? " none" : "");
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
                return r < 0 ? r : sd_bus_message_exit_container(m);
        }
        if (strcmp(contents, "(uu)") == 0) {
                uint32_t lo, hi;
                r = sd_bus_message_read(m, "v", "(uu)", &lo, &hi);
                if (r < 0)
                        return r;
                if (j) {
                        json_begin_object(j, key);
                        json_uint(j, "min", lo);
                        json_uint(j, "max", hi);
                        json_end_object(j);
                } else
                        printf("%16s: %u-%u\n", key, lo, hi);
                return 0;
        }
        r = sd_bus_message_skip(m, "v");
        return r < 0 ? r : -EOPNOTSUPP;
}

static int show_capabilities(sd_bus *bus, int json) {
        _cleanup_message_ sd_bus_message *reply = NULL;
        struct json j = { .f = stdout, .pretty = json == 2 };
        int r = call(bus, CHAIR_INTERFACE, "GetCapabilities", &reply, NULL);

        if (r)
                return r;
        if (json)
                json_begin_object(&j, NULL);
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *key, *contents;
                char type;
                r = sd_bus_message_read(reply, "s", &key);
                if (r >= 0)
                        r = sd_bus_message_peek_type(reply, &type, &contents);
                if (r >= 0)
                        r = print_capability(reply, key, contents, json ? &j : NULL);
                if (r == -EOPNOTSUPP)
                        r = 0; /* a newer daemon's kind of value */
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        if (json)
                json_end_object(&j);
        if (r < 0) {
                fprintf(stderr, "chairctl: capabilities: cannot read the daemon's reply: %s.\n", strerror(-r));
                return EXIT_CALL_FAILED;
        }
        return 0;
}

/* ---- move ---- */

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

/* One Move call, bounded: the daemon's refusal in ERROR. */
static int move_call(sd_bus *bus, const char *axis, int direction, sd_bus_error *error) {
        _cleanup_message_ sd_bus_message *m = NULL, *reply = NULL;
        int r = sd_bus_message_new_method_call(bus, &m, CHAIR_BUS_NAME, CHAIR_POSTURE_PATH, CHAIR_POSTURE_INTERFACE, "Move");
        if (r >= 0)
                r = sd_bus_message_append(m, "siu", axis, (int32_t) direction, MOVE_LEASE_MS);
        if (r >= 0)
                r = sd_bus_call(bus, m, MOVE_CALL_TIMEOUT_USEC, error, &reply);
        return r;
}

/* Waits until DEADLINE (monotonic µs) for SIGINT or SIGTERM in MASK (blocked): true when one came. */
static bool wait_signal(const sigset_t *mask, uint64_t deadline) {
        for (;;) {
                uint64_t now = now_usec();
                struct timespec ts;
                if (now >= deadline)
                        return false;
                ts = (struct timespec) { .tv_sec = (time_t) ((deadline - now) / USEC_PER_SEC),
                                         .tv_nsec = (long) ((deadline - now) % USEC_PER_SEC * 1000) };
                if (sigtimedwait(mask, NULL, &ts) >= 0)
                        return true;
                if (errno != EINTR && errno != EAGAIN)
                        return false;
        }
}

/* Whether the daemon still runs our move of AXIS. A stop it made (the person left, an
 * obstruction, a limit, a declared condition, a fault, someone's stop) is said and ends the
 * move: a renewal would start the axis again, as a fresh press would. Unknown (the read
 * failed): the renewal's answer tells. */
static bool move_goes_on(sd_bus *bus, const char *axis) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        struct posture_view v;
        int i;

        if (posture_view_read(bus, &v, &error) < 0 || (i = find_axis(&v, axis)) < 0 ||
            strcmp(v.axis[i].motion, "manual") == 0)
                return true;
        if (v.pinched[0] || strcmp(v.axis[i].motion, "releasing") == 0)
                fprintf(stderr, "chairctl: move: an obstruction stopped the %s: it backs off, and its pinch fault "
                                "latches until a technician clears it.\n", axis);
        else if (!v.occupied)
                fprintf(stderr, "chairctl: move: the %s stopped: nobody is seated any more.\n", axis);
        else if (strcmp(v.axis[i].motion, "still") != 0)
                fprintf(stderr, "chairctl: move: the %s moves on its own now (%s): 'chairctl posture stop' stops it.\n",
                        axis, v.axis[i].motion);
        else
                fprintf(stderr, "chairctl: move: the daemon stopped the %s at %d%% (its limit, a declared condition, a "
                                "fault or a stop): 'chairctl status' tells more.\n",
                        axis, (int) (((int64_t) MAX(v.axis[i].permille, 0) + 5) / 10));
        return false;
}

static int move(sd_bus *bus, const char *axis, int direction, double seconds) {
        _cleanup_bus_error_ sd_bus_error release = SD_BUS_ERROR_NULL;
        sigset_t mask, old;
        uint64_t end, next;
        int r, code = 0;

        /* The signals are taken in turn between renewals, so the release below always runs. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigprocmask(SIG_BLOCK, &mask, &old);
        next = now_usec();
        end = next + (uint64_t) (seconds * USEC_PER_SEC);
        for (;;) {
                _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;

                r = move_call(bus, axis, direction, &error);
                if (r == -ETIMEDOUT) {
                        fprintf(stderr, "chairctl: move: the daemon did not answer within %llu ms; the axis stops by "
                                        "its lease.\n", (unsigned long long) (MOVE_CALL_TIMEOUT_USEC / USEC_PER_MSEC));
                        code = EXIT_CALL_FAILED;
                        break;
                }
                if (r < 0) {
                        code = report_error(bus, &error, r);
                        break;
                }
                /* A slow answer does not bunch the next renewals up: the next is a period from now at most. */
                next = MIN(next + MOVE_RENEW_USEC, now_usec() + MOVE_RENEW_USEC);
                if (wait_signal(&mask, MIN(next, end)) || now_usec() >= end)
                        break;
                if (!move_goes_on(bus, axis)) {
                        code = EXIT_CALL_FAILED;
                        break;
                }
        }
        /* Released, as a key let go: after a refusal too (the daemon may have stopped it already). */
        r = move_call(bus, axis, 0, &release);
        if (r < 0 && !code) {
                fprintf(stderr, "chairctl: move: the release was not taken (%s); the axis stops by its lease within %u ms.\n",
                        release.message ? release.message : strerror(-r), MOVE_LEASE_MS);
                code = EXIT_CALL_FAILED;
        }
        sigprocmask(SIG_SETMASK, &old, NULL);
        return code;
}

/* ---- dispatch ---- */

static int parse_percent(const char *verb, const char *s, long long min, int32_t *ret) {
        long long v;
        if (parse_integer(s, min, 100, &v) < 0)
                return usage("%s takes %lld-100 %%, not '%s'", verb, min, s);
        *ret = (int32_t) v;
        return 0;
}

static int parse_move(int argc, char **argv, int *ret_axis, int *ret_direction, double *ret_seconds) {
        char axes[VOCAB_NAMES_MAX];
        int a;

        if (argc < 3 || argc > 4)
                return usage("usage: chairctl move AXIS up|down [SECONDS] (AXIS: %s)",
                             posture_axes_join(", ", axes, sizeof axes));
        a = chair_axis_from_name(argv[1]);
        if (a < 0 || a >= _CHAIR_AXIS_MAX)
                return usage("move: '%s' is not an axis (%s)", argv[1], posture_axes_join(", ", axes, sizeof axes));
        if (strcmp(argv[2], "up") != 0 && strcmp(argv[2], "down") != 0)
                return usage("move %s takes up or down, not '%s'", argv[1], argv[2]);
        *ret_seconds = MOVE_SECONDS_DEFAULT;
        if (argc == 4 && parse_decimal(argv[3], 0.1, MOVE_SECONDS_MAX, ret_seconds) < 0)
                return usage("move: SECONDS is 0.1-%.0f, not '%s'", MOVE_SECONDS_MAX, argv[3]);
        *ret_axis = a;
        /* An axis this table does not know yet goes up toward its end_max. */
        *ret_direction = (argv[2][0] == 'u' ? 1 : -1) * (axis_words[a].up ? axis_words[a].up : 1);
        return 0;
}

int chairctl_posture_command(sd_bus *bus, int json, bool no_legend, int argc, char **argv) {
        const char *verb = argv[0];
        char names[VOCAB_NAMES_MAX];
        double seconds = MOVE_SECONDS_DEFAULT;
        int32_t percent = 0;
        int r, axis = 0, direction = 0;

        if (strcmp(verb, "posture") == 0) {
                bool stop = argc == 2 && strcmp(argv[1], "stop") == 0;
                if (argc > 2 || (argc == 2 && !stop))
                        return usage("posture takes nothing or stop, not '%s'", argv[argc - 1]);
                if (stop && json)
                        return usage("%s", "posture stop prints nothing to format: --json applies to posture");
                if (!bus)
                        return 0;
                return stop ? call(bus, CHAIR_POSTURE_INTERFACE, "Stop", NULL, NULL) : show_posture(bus, json, no_legend);
        }
        if (strcmp(verb, "capabilities") == 0)
                return bus ? show_capabilities(bus, json) : 0;
        if (strcmp(verb, "preset") == 0) {
                if (posture_preset_from_string(argv[1]) < 0)
                        return usage("preset takes %s, not '%s'", posture_presets_join(", ", names, sizeof names), argv[1]);
                return bus ? call(bus, CHAIR_POSTURE_INTERFACE, "GoToPreset", NULL, "s", argv[1]) : 0;
        }
        if (strcmp(verb, "upright") == 0)
                return bus ? call(bus, CHAIR_POSTURE_INTERFACE, "ReturnUpright", NULL, NULL) : 0;
        if (strcmp(verb, "fit-legs") == 0)
                return bus ? call(bus, CHAIR_POSTURE_INTERFACE, "FitLegs", NULL, NULL) : 0;
        if (strcmp(verb, "move") == 0) {
                r = parse_move(argc, argv, &axis, &direction, &seconds);
                if (r || !bus)
                        return r;
                return move(bus, chair_axis_info(axis)->name, direction, seconds);
        }
        if (strcmp(verb, "foot-rollers") == 0 || strcmp(verb, "calf") == 0) {
                bool foot = verb[0] == 'f';
                r = parse_percent(verb, argv[1], foot ? -100 : 0, &percent);
                if (r || !bus)
                        return r;
                return call(bus, CHAIR_POSTURE_INTERFACE, foot ? "SetFootRollers" : "SetCalfKnead", NULL, "i", percent);
        }
        return usage("no posture command '%s'", verb);
}
