/* SPDX-License-Identifier: MIT */
/*
 * modbus-driver-probe: opens the Modbus backend on a hardware map and lets a test drive it,
 * one command per line on stdin, one answer per line on stdout:
 *
 *   set NAME VALUE    -> "ok" | "error ERRNO"
 *   setmany NAME=VALUE...  -> stages them back to back and flushes once, as the scheduler does
 *                             after a program step; "ok" | "error ERRNO"
 *   get NAME          -> "value NAME VALUE" | "error ERRNO"
 *   safe              -> "ok" (go_safe)
 *   stats             -> "stats transactions=N timeouts=N crc=N exceptions=N invalid=N reconnects=N link_up=0|1"
 *   quit              -> closes the driver and exits 0
 *
 * Input changes arrive unprompted as "event NAME VALUE TIMESTAMP_NS" (CLOCK_MONOTONIC).
 * Start-up prints "open 0" or "open -ERRNO MESSAGE" (then exits 1).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-event.h>

#include "driver.h"
#include "event-loop-sd-event.h"
#include "hardware-map.h"
#include "log.h"

struct probe {
        struct chair_driver *drv;
        sd_event *event;
        struct event_loop *loop;
        char line[512];
        size_t len;
};

static void on_input(void *userdata, enum chair_input in, int32_t value, uint64_t timestamp_ns) {
        printf("event %s %d %llu\n", chair_input_info(in)->name, value, (unsigned long long) timestamp_ns);
}

static void run_command(struct probe *p, char *cmd) {
        const struct chair_driver_ops *ops = p->drv->ops;
        char *verb = strtok(cmd, " \t"), *name = strtok(NULL, " \t"), *arg = strtok(NULL, " \t");
        int r;

        if (!verb)
                return;
        if (strcmp(verb, "set") == 0 && name && arg) {
                int out = chair_output_from_name(name);
                r = out < 0 ? out : ops->set_output(p->drv, out, (int32_t) strtol(arg, NULL, 0));
                if (r >= 0 && ops->flush)
                        ops->flush(p->drv);
                if (r < 0)
                        printf("error %d\n", -r);
                else
                        printf("ok\n");
        } else if (strcmp(verb, "setmany") == 0) {
                int32_t values[_CHAIR_OUT_MAX];
                int outs[_CHAIR_OUT_MAX];
                unsigned n = 0;
                /* Parse first, then set in a tight loop. */
                for (char *t = name; t && n < _CHAIR_OUT_MAX; t = n == 1 ? arg : strtok(NULL, " \t")) {
                        char *eq = strchr(t, '=');
                        if (!eq) {
                                printf("error %d\n", EINVAL);
                                return;
                        }
                        *eq = 0;
                        outs[n] = chair_output_from_name(t);
                        values[n++] = (int32_t) strtol(eq + 1, NULL, 0);
                }
                r = 0;
                for (unsigned i = 0; i < n && r >= 0; i++)
                        r = outs[i] < 0 ? outs[i] : ops->set_output(p->drv, outs[i], values[i]);
                /* One flush for the lot, as the scheduler does after a program step. */
                if (ops->flush)
                        ops->flush(p->drv);
                if (r < 0)
                        printf("error %d\n", -r);
                else
                        printf("ok\n");
        } else if (strcmp(verb, "get") == 0 && name) {
                int in = chair_input_from_name(name);
                int32_t v = 0;
                r = in < 0 ? in : ops->read_input(p->drv, in, &v);
                if (r < 0)
                        printf("error %d\n", -r);
                else
                        printf("value %s %d\n", name, v);
        } else if (strcmp(verb, "safe") == 0) {
                r = ops->go_safe(p->drv);
                printf(r < 0 ? "error %d\n" : "ok\n", -r);
        } else if (strcmp(verb, "stats") == 0) {
                struct chair_driver_stats s;
                ops->get_stats(p->drv, &s);
                printf("stats transactions=%llu timeouts=%llu crc=%llu exceptions=%llu invalid=%llu reconnects=%llu link_up=%d\n",
                       (unsigned long long) s.transactions, (unsigned long long) s.errors_timeout,
                       (unsigned long long) s.errors_crc, (unsigned long long) s.errors_exception,
                       (unsigned long long) s.errors_invalid, (unsigned long long) s.reconnects, s.link_up);
        } else if (strcmp(verb, "quit") == 0) {
                sd_event_exit(p->event, 0);
        } else {
                printf("error %d\n", EINVAL);
        }
}

static int on_stdin(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct probe *p = userdata;
        ssize_t n = read(fd, p->line + p->len, sizeof p->line - 1 - p->len);
        char *nl;

        if (n <= 0)
                return sd_event_exit(p->event, 0);
        p->len += (size_t) n;
        p->line[p->len] = 0;
        while ((nl = strchr(p->line, '\n'))) {
                *nl = 0;
                run_command(p, p->line);
                p->len -= (size_t) (nl + 1 - p->line);
                memmove(p->line, nl + 1, p->len + 1);
        }
        if (p->len == sizeof p->line - 1)
                p->len = 0; /* an overlong line: drop it */
        return 0;
}

int main(int argc, char **argv) {
        static struct hardware_map map;
        struct probe p = {};
        char err[512] = "";
        int r;

        setvbuf(stdout, NULL, _IOLBF, 0);
        log_setup(getenv("PROBE_DEBUG") ? LOG_DEBUG : LOG_INFO);
        if (argc != 2) {
                fprintf(stderr, "Usage: modbus-driver-probe HARDWARE-MAP\n");
                return 2;
        }
        r = hardware_map_load(argv[1], &map, err, sizeof err);
        if (r < 0) {
                printf("open %d %s\n", r, err);
                return 1;
        }
        r = sd_event_default(&p.event);
        if (r >= 0)
                r = event_loop_sd_event_new(p.event, &p.loop);
        if (r < 0)
                return 1;
        r = chair_driver_new_modbus(&p.drv);
        if (r < 0)
                return 1;
        r = p.drv->ops->open(p.drv, &map, p.loop, err, sizeof err);
        if (r < 0) {
                printf("open %d %s\n", r, err);
                p.drv->ops->close(p.drv);
                event_loop_free(p.loop);
                sd_event_unref(p.event);
                return 1;
        }
        p.drv->ops->subscribe(p.drv, on_input, &p);
        printf("open 0\n");
        sd_event_add_io(p.event, NULL, STDIN_FILENO, EPOLLIN, on_stdin, &p);
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        sd_event_add_signal(p.event, NULL, SIGTERM, NULL, NULL);
        sd_event_add_signal(p.event, NULL, SIGINT, NULL, NULL);
        r = sd_event_loop(p.event);
        p.drv->ops->close(p.drv);
        event_loop_free(p.loop);
        sd_event_unref(p.event);
        printf("closed\n");
        return r < 0 ? 1 : 0;
}
