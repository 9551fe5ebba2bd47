/* SPDX-License-Identifier: MIT */
/*
 * chairctl monitor: a live view redrawn whenever the daemon announces a change
 * (PropertiesChanged), never by polling: the roller on its track with the shoulder mark,
 * the air zones, the heat, and the program with a progress bar.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include "chair-client.h"
#include "monitor.h"

#define TRACK_COLS 40
#define BAR_COLS 40
#define TRACK_MM 800

static const char *const all_zones[] = { "shoulders", "arms", "back", "seat", "calves", "feet" };

static bool in_list(char (*list)[16], unsigned n, const char *z) {
        for (unsigned i = 0; i < n; i++)
                if (strcmp(list[i], z) == 0)
                        return true;
        return false;
}

static void draw(const struct chair_status *st, bool live) {
        char track[TRACK_COLS + 1], bar[BAR_COLS + 1];
        int roller = st->roller < 0 ? 0 : st->roller;
        int at = roller * (TRACK_COLS - 1) / TRACK_MM, sh = st->shoulder * (TRACK_COLS - 1) / TRACK_MM;
        unsigned done = st->duration ? (st->duration - st->remaining) * BAR_COLS / st->duration : 0;

        memset(track, '-', TRACK_COLS);
        track[TRACK_COLS] = 0;
        if (st->shoulder >= 0 && sh >= 0 && sh < TRACK_COLS)
                track[sh] = 'S';
        if (at >= 0 && at < TRACK_COLS)
                track[at] = 'O';
        for (unsigned i = 0; i < BAR_COLS; i++)
                bar[i] = i < done ? '#' : '.';
        bar[BAR_COLS] = 0;

        if (live)
                fputs("\033[H\033[J", stdout);
        printf("massagechaird: %s\n\n", st->model);
        printf("  state     %s%s%s\n", st->state, st->fault[0] ? "  FAULT " : "", st->fault);
        if (st->program[0])
                printf("  program   %-24s %2u:%02u left of %u:%02u\n", st->program, st->remaining / 60, st->remaining % 60,
                       st->duration / 60, st->duration % 60);
        else
                printf("  program   (none)\n");
        printf("            [%s] %3u%%\n", bar, st->duration ? done * 100 / BAR_COLS : 0);
        printf("  roller    bottom |%s| top   %4d mm%s\n", track, st->roller,
               st->shoulder >= 0 ? "   (S = shoulder)" : "");
        printf("  levels    intensity %u  speed %u  depth %u  width %s\n", st->intensity, st->speed, st->depth, st->width);
        printf("  air      ");
        for (size_t z = 0; z < sizeof all_zones / sizeof all_zones[0]; z++)
                printf(in_list((char (*)[16]) st->active_air, st->n_active_air, all_zones[z]) ? " [%s]" : "  %s ",
                       all_zones[z]);
        printf("\n  heat     ");
        for (unsigned i = 0; i < st->n_heat; i++) {
                printf("  %s %u", st->heat[i].zone, st->heat[i].level);
                if (st->heat[i].has_temp)
                        printf(" (%.1f °C)", st->heat[i].temp);
        }
        printf("\n");
        if (st->fault[0])
                printf("\n  %s\n", st->fault_message);
        if (live)
                printf("\n  Ctrl-C to leave the monitor (the chair goes on).\n");
        fflush(stdout);
}

struct monitor {
        sd_bus *bus;
        sd_event *event;
        bool tty;
        bool seen_session;
};

static int redraw(struct monitor *m) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        struct chair_status st;
        int r = client_get_status(m->bus, &st, &error);

        if (r < 0) {
                r = client_report_error(&error, r);
                sd_bus_error_free(&error);
                sd_event_exit(m->event, r);
                return 0;
        }
        draw(&st, m->tty);
        if (strcmp(st.state, "idle") != 0)
                m->seen_session = true;
        /* Without a terminal (a log, a pipe), end once the session is over. */
        if (!m->tty && m->seen_session && (strcmp(st.state, "idle") == 0 || strcmp(st.state, "fault") == 0))
                sd_event_exit(m->event, 0);
        return 0;
}

static int on_changed(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return redraw(userdata);
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
        struct monitor m = { .bus = bus, .tty = isatty(STDOUT_FILENO) };
        sigset_t mask;
        int r, code = 0;

        if (once) {
                sd_bus_error error = SD_BUS_ERROR_NULL;
                struct chair_status st;
                r = client_get_status(bus, &st, &error);
                if (r < 0) {
                        r = client_report_error(&error, r);
                        sd_bus_error_free(&error);
                        return r;
                }
                draw(&st, false);
                return 0;
        }
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
                r = sd_bus_match_signal(bus, NULL, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                        "org.freedesktop.DBus", "NameOwnerChanged", on_owner_changed, &m);
        if (r < 0) {
                fprintf(stderr, "chairctl: cannot watch the daemon: %s\n", strerror(-r));
                sd_event_unref(m.event);
                return EXIT_CALL_FAILED;
        }
        redraw(&m);
        r = sd_event_loop(m.event);
        sd_event_get_exit_code(m.event, &code);
        sd_bus_detach_event(bus);
        sd_event_unref(m.event);
        return r < 0 ? EXIT_CALL_FAILED : code;
}
