/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chair-hw.h"
#include "changes.h"
#include "core.h"
#include "event-loop-virtual.h"
#include "event-loop.h"
#include "log.h"
#include "panel.h"
#include "scheduler.h"
#include "session.h"
#include "settings.h"
#include "strv.h"
#include "supervisor.h"
#include "vt-harness.h"

/* Virtual CLOCK_MONOTONIC at the harness's start: not 0, which some callers read as "never". */
#define VT_START_USEC (100 * USEC_PER_SEC)
#define KEY_PRESS_DEFAULT_MS 100

struct vt_harness {
        struct event_loop *loop;
        struct chair_core *core;
        struct event_source *scheduler_wake;  /* the scheduler's next deadline */
        char state_dir[PATH_MAX];
        bool own_state_dir;
        bool record_outputs;
        bool scheduler_stalled;               /* a hung scheduler thread: not serviced */
        char profiles_dir[PATH_MAX];

        enum session_state last_state;
        int32_t last_output[_CHAIR_OUT_MAX];

        struct vt_state_change *states;
        size_t n_states, allocated_states;
        struct vt_fault_event *faults;
        size_t n_faults, allocated_faults;
        struct vt_output_change *outputs;
        size_t n_outputs, allocated_outputs;
        struct vt_finished *finished;
        size_t n_finished, allocated_finished;
        struct vt_record record;
        void (*observer)(struct vt_harness *h, void *userdata);
        void *observer_userdata;
};

/* Grows *array (of size elements) by one; NULL when out of memory (the record then ends). */
static void *push(void **array, size_t *n, size_t *allocated, size_t size) {
        if (*n == *allocated) {
                size_t m = MAX(*allocated * 2, (size_t) 64);
                void *a = realloc(*array, m * size);
                if (!a)
                        return NULL;
                *array = a;
                *allocated = m;
        }
        return (char *) *array + (*n)++ * size;
}

#define PUSH(h, what) push((void **) &(h)->what, &(h)->n_##what, &(h)->allocated_##what, sizeof *(h)->what)

uint64_t vt_harness_now_us(struct vt_harness *h) {
        return event_loop_now(h->loop) - VT_START_USEC;
}

uint64_t vt_harness_now_ms(struct vt_harness *h) {
        return vt_harness_now_us(h) / USEC_PER_MSEC;
}

static void sample_state(struct vt_harness *h) {
        enum session_state st = session_get_state(h->core->session);
        uint64_t us = vt_harness_now_us(h);

        if (st != h->last_state) {
                struct vt_state_change *c = PUSH(h, states);
                if (c)
                        *c = (struct vt_state_change) { us / USEC_PER_MSEC, us, h->last_state, st };
                h->last_state = st;
        }
}

/* The session reports every change of state on its status line: each one is recorded as it
 * happens, a test's direct call too. */
static void on_status(void *userdata, const char *status) {
        sample_state(userdata);
}

/* What changed since the last look: the session's state and the outputs. */
static void sample(struct vt_harness *h) {
        uint64_t us = vt_harness_now_us(h);

        sample_state(h);
        if (!h->record_outputs)
                return;
        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++) {
                int32_t v = chair_hw_get_output(h->core->hw, o);
                struct vt_output_change *c;

                if (v == h->last_output[o])
                        continue;
                h->last_output[o] = v;
                c = PUSH(h, outputs);
                if (c)
                        *c = (struct vt_output_change) { us / USEC_PER_MSEC, us, o, v };
        }
}

/* One wake-up of the scheduler, as its thread would have at this instant. */
static void service_scheduler(struct vt_harness *h) {
        uint64_t next;

        if (h->scheduler_stalled) {
                event_source_disarm(h->scheduler_wake);
                return;
        }
        next = scheduler_service(h->core->scheduler, event_loop_now_ns(h->loop));

        if (next == UINT64_MAX)
                event_source_disarm(h->scheduler_wake);
        else
                event_source_arm(h->scheduler_wake, (next + NSEC_PER_USEC - 1) / NSEC_PER_USEC);
}

static void after_callback(void *userdata) {
        struct vt_harness *h = userdata;

        if (!h->scheduler_stalled)
                service_scheduler(h);
        sample(h);
        if (h->observer)
                h->observer(h, h->observer_userdata);
}

void vt_harness_set_observer(struct vt_harness *h, void (*fn)(struct vt_harness *h, void *userdata), void *userdata) {
        h->observer = fn;
        h->observer_userdata = userdata;
}

void vt_harness_stall_scheduler(struct vt_harness *h, bool stalled) {
        h->scheduler_stalled = stalled;
        if (stalled)
                event_source_disarm(h->scheduler_wake);
        else
                after_callback(h);
}

static void on_scheduler_wake(struct event_source *s, uint64_t usec, void *userdata) {
        /* after_callback() services it. */
}

static void on_event(const struct chair_event *ev, void *userdata) {
        struct vt_harness *h = userdata;
        uint64_t us = vt_harness_now_us(h);

        if (ev->kind == CHAIR_EVENT_FAULT_RAISED || ev->kind == CHAIR_EVENT_FAULT_CLEARED) {
                struct vt_fault_event *f = PUSH(h, faults);
                if (!f)
                        return;
                *f = (struct vt_fault_event) { .at_ms = us / USEC_PER_MSEC, .at_us = us,
                                               .cleared = ev->kind == CHAIR_EVENT_FAULT_CLEARED, .restored = ev->restored };
                snprintf(f->code, sizeof f->code, "%s", ev->code ? ev->code : "");
                snprintf(f->message, sizeof f->message, "%s", ev->message ? ev->message : "");
        } else if (ev->kind == CHAIR_EVENT_PROGRAM_FINISHED) {
                struct vt_finished *f = PUSH(h, finished);
                if (!f)
                        return;
                *f = (struct vt_finished) { .at_ms = us / USEC_PER_MSEC, .at_us = us };
                snprintf(f->program, sizeof f->program, "%s", ev->program ? ev->program : "");
                snprintf(f->reason, sizeof f->reason, "%s", ev->reason ? ev->reason : "");
        }
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        return remove(path) < 0 ? -errno : 0;
}

int vt_harness_new(const struct vt_harness_options *options, struct vt_harness **ret) {
        static const struct vt_harness_options defaults = {};
        const struct vt_harness_options *o = options ? options : &defaults;
        struct vt_harness *h;
        const char *src;
        int r;

        h = calloc(1, sizeof *h);
        if (!h)
                return -ENOMEM;
        log_setup(o->log_level ? o->log_level : LOG_WARNING);
        h->record_outputs = !o->no_output_record;
        if (o->state_dir)
                snprintf(h->state_dir, sizeof h->state_dir, "%s", o->state_dir);
        else {
                const char *tmp = getenv("TMPDIR");
                snprintf(h->state_dir, sizeof h->state_dir, "%s/vt-harness-XXXXXX", tmp && *tmp ? tmp : "/tmp");
                if (!mkdtemp(h->state_dir)) {
                        r = -errno;
                        free(h);
                        return r;
                }
                h->own_state_dir = true;
        }
        src = getenv("MCD_SOURCE_DIR");
        if (o->profiles_dir)
                snprintf(h->profiles_dir, sizeof h->profiles_dir, "%s", o->profiles_dir);
        else
                snprintf(h->profiles_dir, sizeof h->profiles_dir, "%s/profiles/programs", src && *src ? src : ".");

        h->last_state = SESSION_IDLE;  /* the session's first state */
        r = event_loop_virtual_new(VT_START_USEC, &h->loop);
        if (r < 0)
                goto fail;
        /* Before the core: a latch restored at start-up compares its time with the boot's. */
        if (o->realtime_start_usec) {
                if (o->realtime_start_usec < VT_START_USEC) {
                        r = -EINVAL;
                        goto fail;
                }
                event_loop_virtual_set_realtime(h->loop, o->realtime_start_usec - VT_START_USEC);
        }
        r = chair_core_new(&(struct chair_core_options) {
                        .simulate = true,
                        .map = o->map,
                        .profiles_dir = h->profiles_dir,
                        .profiles_override_dir = o->profiles_override_dir ? o->profiles_override_dir : "/nonexistent",
                        .state_dir = h->state_dir,
                        .no_thread = true,
                        /* From the first state change on: a fault restored at start-up too. */
                        .status = on_status,
                        .status_userdata = h,
                }, h->loop, NULL, &h->core);
        if (r < 0)
                goto fail;
        if (!chair_hw_uses_backend(h->core->hw, HW_BACKEND_SIM)) {
                r = -ENODEV;  /* a map with no sim backend */
                goto fail;
        }
        if (o->person_shoulder_mm || o->person_waist_mm) {
                r = chair_hw_sim_set_person(h->core->hw, o->person_shoulder_mm ? o->person_shoulder_mm : 620,
                                            o->person_waist_mm ? o->person_waist_mm : 220);
                if (r < 0)
                        goto fail;
        }
        r = event_loop_add_timer(h->loop, 0, on_scheduler_wake, h, &h->scheduler_wake);
        if (r >= 0)
                r = chair_changes_listen(h->core->changes, on_event, h);
        if (r < 0)
                goto fail;
        for (unsigned i = 0; i < _CHAIR_OUT_MAX; i++)
                h->last_output[i] = chair_hw_get_output(h->core->hw, i);
        event_loop_virtual_set_post(h->loop, after_callback, h);
        /* What start-up queued (the scheduler's first wake-up, the panel's first refresh). */
        after_callback(h);
        *ret = h;
        return 0;
fail:
        vt_harness_free(h);
        return r;
}

struct vt_harness *vt_harness_free(struct vt_harness *h) {
        if (!h)
                return NULL;
        event_source_free(h->scheduler_wake);
        chair_core_free(h->core);
        event_loop_free(h->loop);
        if (h->own_state_dir)
                (void) nftw(h->state_dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
        free(h->states);
        free(h->faults);
        free(h->outputs);
        free(h->finished);
        free(h);
        return NULL;
}

struct chair_core *vt_harness_core(struct vt_harness *h) {
        return h->core;
}

const char *vt_harness_state_dir(struct vt_harness *h) {
        return h->state_dir;
}

int64_t vt_harness_run_until(struct vt_harness *h, uint64_t at_ms) {
        /* What a direct call queued since the last callback (the thread would have woken). */
        after_callback(h);
        return event_loop_virtual_run_until(h->loop, VT_START_USEC + at_ms * USEC_PER_MSEC);
}

int64_t vt_harness_run_for(struct vt_harness *h, uint64_t ms) {
        return vt_harness_run_until(h, vt_harness_now_ms(h) + ms);
}

int vt_harness_run_until_state(struct vt_harness *h, enum session_state st, uint64_t max_ms) {
        uint64_t end = vt_harness_now_ms(h) + max_ms;

        after_callback(h);
        /* Step by step: a state passed through within one step is still in the record. */
        while (session_get_state(h->core->session) != st) {
                uint64_t now = vt_harness_now_ms(h);
                if (now >= end)
                        return -ETIMEDOUT;
                if (vt_harness_run_until(h, MIN(end, now + 10)) < 0)
                        return -ELOOP;
        }
        return 0;
}

int64_t vt_harness_lease_until_us(struct vt_harness *h) {
        uint64_t ns = chair_hw_sim_lease_until_ns(h->core->hw);
        return ns ? (int64_t) (ns / NSEC_PER_USEC) - (int64_t) VT_START_USEC : INT64_MIN;
}

int vt_harness_key_down(struct vt_harness *h, enum chair_key k) {
        int code = panel_key_code(h->core->panel, k);
        int r;

        if (code < 0)
                return code;
        r = chair_hw_sim_press_key(h->core->hw, code);
        after_callback(h);
        return r;
}

int vt_harness_key_up(struct vt_harness *h) {
        int r = chair_hw_sim_press_key(h->core->hw, 0);
        after_callback(h);
        return r;
}

int vt_harness_set_occupant(struct vt_harness *h, bool seated, int32_t leg_mm, bool feet_on) {
        int r = chair_hw_sim_set_occupant(h->core->hw, seated, leg_mm, feet_on);
        after_callback(h);
        return r;
}

static int set_precautions(struct vt_harness *h, const char *const *list) {
        size_t n = 0;
        char **copy;
        int r;

        while (list && list[n])
                n++;
        copy = calloc(n + 1, sizeof *copy);  /* NULL-terminated as it fills */
        if (!copy)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (!(copy[i] = strdup(list[i]))) {
                        strv_free(copy);
                        return -ENOMEM;
                }
        r = chair_settings_set_precautions(h->core->settings, copy);
        if (r < 0)
                strv_free(copy);  /* still ours on error */
        return r;
}

int vt_harness_act(struct vt_harness *h, const struct vt_action *a, struct chair_error *error) {
        struct session *s = h->core->session;
        char reason[256];
        int r;

        switch (a->kind) {
        case VT_ACT_START:
                r = session_start(s, a->name, &a->options, error);
                break;
        case VT_ACT_START_MANUAL:
                r = session_start_manual(s, a->name, a->area, &a->options, error);
                break;
        case VT_ACT_STOP:
                r = session_stop(s, error);
                break;
        case VT_ACT_PAUSE:
                r = session_pause(s, error);
                break;
        case VT_ACT_RESUME:
                r = session_resume(s, error);
                break;
        case VT_ACT_SCAN:
                r = session_start_scan(s, error);
                break;
        case VT_ACT_KEY_DOWN:
                r = vt_harness_key_down(h, (enum chair_key) a->value);
                break;
        case VT_ACT_KEY_UP:
                r = vt_harness_key_up(h);
                break;
        case VT_ACT_KEY_PRESS:
                r = vt_harness_key_down(h, (enum chair_key) a->value);
                if (r >= 0 && vt_harness_run_for(h, a->value2 ? a->value2 : KEY_PRESS_DEFAULT_MS) < 0)
                        r = -ELOOP;
                if (r >= 0)
                        r = vt_harness_key_up(h);
                break;
        case VT_ACT_INJECT:
                /* There is no thread to hang: the harness stops servicing the scheduler. */
                if (a->name && strcmp(a->name, "scheduler-hang") == 0) {
                        vt_harness_stall_scheduler(h, a->value != 0);
                        r = 0;
                } else
                        r = chair_core_sim_inject_fault(h->core, a->name, a->value != 0);
                break;
        case VT_ACT_CLEAR_FAULT:
                r = supervisor_clear(h->core->supervisor, "technician", reason, sizeof reason);
                if (r < 0)
                        chair_error_set(error, CHAIR_REASON_FAILED, "%s", reason);
                break;
        case VT_ACT_PRECAUTIONS:
                r = set_precautions(h, a->list);
                break;
        case VT_ACT_CHILD_LOCK:
                chair_settings_set_child_lock(h->core->settings, a->value != 0, "from the harness");
                r = 0;
                break;
        case VT_ACT_DEFAULT_TIMER:
                r = chair_settings_set_default_timer(h->core->settings, a->value, error);
                break;
        case VT_ACT_INTENSITY:
                r = session_set_intensity(s, a->value, error);
                break;
        case VT_ACT_SPEED:
                r = session_set_speed(s, a->value, error);
                break;
        case VT_ACT_DEPTH:
                r = session_set_depth(s, a->value, error);
                break;
        case VT_ACT_WIDTH:
                r = session_set_width(s, a->value, error);
                break;
        case VT_ACT_TIMER:
                r = session_set_timer(s, a->value, error);
                break;
        case VT_ACT_HEAT:
                r = session_set_heat(s, a->value2, a->value, error);
                break;
        case VT_ACT_AIR:
                r = session_set_air(s, a->value, a->value2, error);
                break;
        case VT_ACT_CALL:
                r = a->call ? a->call(h, a->userdata) : -EINVAL;
                break;
        default:
                r = -EINVAL;
        }
        after_callback(h);
        return r;
}

int vt_harness_play(struct vt_harness *h, const struct vt_action *script, size_t n, int *ret_results) {
        for (size_t i = 1; i < n; i++)
                if (script[i].at_ms < script[i - 1].at_ms)
                        return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                int r;

                if (vt_harness_run_until(h, script[i].at_ms) < 0)
                        return -ELOOP;
                r = vt_harness_act(h, &script[i], NULL);
                if (ret_results)
                        ret_results[i] = r;
        }
        return 0;
}

const struct vt_record *vt_harness_record(struct vt_harness *h) {
        h->record = (struct vt_record) {
                h->states, h->n_states, h->faults, h->n_faults, h->outputs, h->n_outputs, h->finished, h->n_finished,
        };
        return &h->record;
}

void vt_harness_record_clear(struct vt_harness *h) {
        h->n_states = h->n_faults = h->n_outputs = h->n_finished = 0;
}

const char *vt_harness_states_string(struct vt_harness *h, char *buf, size_t size) {
        size_t len = 0;

        if (size == 0)
                return buf;
        buf[0] = 0;
        for (size_t i = 0; i < h->n_states && len < size; i++)
                len += (size_t) snprintf(buf + len, size - len, "%s%s", i ? " " : "", session_state_name(h->states[i].to));
        return buf;
}

const struct vt_state_change *vt_harness_find_state(struct vt_harness *h, enum session_state st, uint64_t from_ms) {
        for (size_t i = 0; i < h->n_states; i++)
                if (h->states[i].to == st && h->states[i].at_ms >= from_ms)
                        return &h->states[i];
        return NULL;
}

const struct vt_fault_event *vt_harness_first_fault(struct vt_harness *h) {
        for (size_t i = 0; i < h->n_faults; i++)
                if (!h->faults[i].cleared)
                        return &h->faults[i];
        return NULL;
}

int32_t vt_harness_output(struct vt_harness *h, enum chair_output out) {
        return chair_hw_get_output(h->core->hw, out);
}

int32_t vt_harness_output_at(struct vt_harness *h, enum chair_output out, uint64_t at_ms) {
        const struct chair_output_info *info = chair_output_info(out);
        int32_t v = info ? info->safe_value : 0;

        for (size_t i = 0; i < h->n_outputs && h->outputs[i].at_ms <= at_ms; i++)
                if (h->outputs[i].out == out)
                        v = h->outputs[i].value;
        return v;
}
