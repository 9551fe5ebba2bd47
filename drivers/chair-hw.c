/* SPDX-License-Identifier: MIT */
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chair-hw.h"
#include "driver-sim.h"
#include "event-loop.h"
#include "macro.h"

#define MAX_SUBSCRIBERS 8
#define STOP_NONE (-1)
#define STOP_CLAIMED (-2)

struct subscriber {
        chair_input_changed_fn fn;
        void *userdata;
};

struct chair_hw {
        const struct hardware_map *map;
        struct event_loop *loop;                  /* its clock stamps the outputs */
        struct chair_driver *drivers[4];          /* indexed by enum hw_backend */
        struct chair_driver *output_driver[_CHAIR_OUT_MAX];
        struct chair_driver *input_driver[_CHAIR_IN_MAX];
        _Atomic int32_t image[_CHAIR_OUT_MAX];
        _Atomic uint64_t active_since[_CHAIR_OUT_MAX];
        _Atomic uint64_t changed_at[_CHAIR_OUT_MAX];   /* last time the value changed */
        atomic_bool enabled;
        _Atomic uint64_t blocked;                 /* bit per output shut on its own */
        atomic_int in_flight;
        struct subscriber subscribers[MAX_SUBSCRIBERS];
        unsigned n_subscribers;
        /* The stop path's record: the first input that stopped since chair_hw_clear_stop(), -1
         * none, STOP_CLAIMED while its details are being written. */
        atomic_int stop_input;
        _Atomic int32_t stop_value;
        atomic_int stop_error;
        _Atomic uint64_t stop_ns;
        /* While the gate is closed, the one axis motor that may still move, and only this way
         * (+1/-1): the release after a pinch (chair_hw_permit_release). -1: none. */
        atomic_int release_out;
        atomic_int release_sign;
        unsigned awake;                           /* enum chair_hw_waker bits; event-loop thread */
};

static int new_driver(enum hw_backend backend, struct chair_driver **ret) {
        switch (backend) {
        case HW_BACKEND_SIM:
                return chair_driver_new_sim(ret);
        case HW_BACKEND_GPIO:
                return chair_driver_new_gpio(ret);
        case HW_BACKEND_MODBUS:
                return chair_driver_new_modbus(ret);
        case HW_BACKEND_NONE:
                break;
        }
        return -EINVAL;
}

static void on_input_changed(void *userdata, enum chair_input in, int32_t value, uint64_t ts) {
        struct chair_hw *hw = userdata;
        for (unsigned i = 0; i < hw->n_subscribers; i++)
                hw->subscribers[i].fn(hw->subscribers[i].userdata, in, value, ts);
}

static bool is_stop(struct chair_hw *hw, enum chair_input in, int32_t value, int error) {
        const struct chair_input_info *info = chair_input_info(in);
        int32_t other = 0;

        if (!info)
                return false;
        if (error < 0)
                return info->interlock;
        if (!value)
                return false;
        if (info->stop || hw->map->inputs[in].stop)
                return true;
        /* One limit is the end of the track; both at once is a broken mechanism or wiring. */
        if (in == CHAIR_IN_LIMIT_TOP || in == CHAIR_IN_LIMIT_BOTTOM)
                return chair_hw_read_input(hw, in == CHAIR_IN_LIMIT_TOP ? CHAIR_IN_LIMIT_BOTTOM : CHAIR_IN_LIMIT_TOP,
                                           &other) >= 0 && other;
        return false;
}

void chair_hw_stop_input(struct chair_hw *hw, enum chair_input in, int32_t value, int error, uint64_t timestamp_ns) {
        int none = STOP_NONE;

        if (!is_stop(hw, in, value, error))
                return;
        /* Claimed before the gate closes, so a chair_hw_enable() racing with us either sees the
         * claim or is followed by our go_safe. Several threads may stop at once: one records. */
        if (atomic_compare_exchange_strong(&hw->stop_input, &none, STOP_CLAIMED)) {
                atomic_store(&hw->stop_value, value);
                atomic_store(&hw->stop_error, error);
                atomic_store(&hw->stop_ns, timestamp_ns);
                atomic_store(&hw->stop_input, (int) in);
        }
        chair_hw_go_safe(hw);
}

static void on_stop_input(void *userdata, enum chair_input in, int32_t value, int error, uint64_t ts) {
        chair_hw_stop_input(userdata, in, value, error, ts);
}

bool chair_hw_stop_reason(struct chair_hw *hw, enum chair_input *ret_in, int32_t *ret_value, int *ret_error,
                          uint64_t *ret_timestamp_ns) {
        int in = atomic_load(&hw->stop_input);

        /* Still being claimed: the outputs are going safe; the next look finds the details. */
        if (in < 0)
                return false;
        *ret_in = (enum chair_input) in;
        *ret_value = atomic_load(&hw->stop_value);
        *ret_error = atomic_load(&hw->stop_error);
        *ret_timestamp_ns = atomic_load(&hw->stop_ns);
        return true;
}

void chair_hw_renew_lease(struct chair_hw *hw, uint64_t until_ns) {
        for (unsigned b = 0; b < ARRAY_SIZE(hw->drivers); b++)
                if (hw->drivers[b] && hw->drivers[b]->ops->renew_lease)
                        hw->drivers[b]->ops->renew_lease(hw->drivers[b], until_ns);
}

int chair_hw_open(const struct hardware_map *map, struct event_loop *loop, struct chair_hw **ret,
                  char *ret_error, size_t error_size) {
        struct chair_hw *hw;
        bool used[4] = {};
        int r;

        hw = calloc(1, sizeof *hw);
        if (!hw)
                return -ENOMEM;
        hw->map = map;
        hw->loop = loop;
        atomic_store(&hw->stop_input, STOP_NONE);
        atomic_store(&hw->release_out, -1);
        /* Open before the backends: a stop reported while they start must keep it closed. */
        atomic_store(&hw->enabled, true);
        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++) {
                used[map->outputs[o].backend] = true;
                atomic_store(&hw->image[o], chair_output_info(o)->safe_value);
        }
        for (unsigned i = 0; i < _CHAIR_IN_MAX; i++)
                used[map->inputs[i].backend] = true;

        /* Each backend drives its outputs safe inside open(), before anything else happens. */
        for (unsigned b = HW_BACKEND_SIM; b <= HW_BACKEND_MODBUS; b++) {
                if (!used[b])
                        continue;
                r = new_driver((enum hw_backend) b, &hw->drivers[b]);
                if (r < 0) {
                        snprintf(ret_error, error_size, "cannot create the %s backend: %s",
                                 hw_backend_name((enum hw_backend) b), strerror(-r));
                        goto fail;
                }
                r = hw->drivers[b]->ops->open(hw->drivers[b], map, loop, ret_error, error_size);
                if (r < 0) {
                        hw->drivers[b]->ops->close(hw->drivers[b]);
                        hw->drivers[b] = NULL;
                        goto fail;
                }
                if (hw->drivers[b]->ops->subscribe) {
                        r = hw->drivers[b]->ops->subscribe(hw->drivers[b], on_input_changed, hw);
                        if (r < 0) {
                                snprintf(ret_error, error_size, "cannot subscribe to the %s backend: %s",
                                         hw_backend_name((enum hw_backend) b), strerror(-r));
                                goto fail;
                        }
                }
                if (hw->drivers[b]->ops->set_stop_handler) {
                        r = hw->drivers[b]->ops->set_stop_handler(hw->drivers[b], on_stop_input, hw);
                        if (r < 0) {
                                snprintf(ret_error, error_size, "cannot attach the stop path to the %s backend: %s",
                                         hw_backend_name((enum hw_backend) b), strerror(-r));
                                goto fail;
                        }
                }
        }
        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++)
                hw->output_driver[o] = hw->drivers[map->outputs[o].backend];
        for (unsigned i = 0; i < _CHAIR_IN_MAX; i++)
                hw->input_driver[i] = hw->drivers[map->inputs[i].backend];
        *ret = hw;
        return 0;
fail:
        chair_hw_close(hw);
        return r;
}

void chair_hw_close(struct chair_hw *hw) {
        if (!hw)
                return;
        chair_hw_go_safe(hw);
        for (unsigned b = 0; b < ARRAY_SIZE(hw->drivers); b++)
                if (hw->drivers[b])
                        hw->drivers[b]->ops->close(hw->drivers[b]);
        free(hw);
}

static bool release_permitted(struct chair_hw *hw, enum chair_output out, int32_t value) {
        int sign = value > 0 ? 1 : value < 0 ? -1 : 0;
        return atomic_load(&hw->release_out) == (int) out && (sign == 0 || sign == atomic_load(&hw->release_sign));
}

int chair_hw_permit_release(struct chair_hw *hw, enum chair_output out, int sign) {
        if ((unsigned) out >= _CHAIR_OUT_MAX || chair_output_axis(out) < 0 || (sign != 1 && sign != -1))
                return -EINVAL;
        if (atomic_load(&hw->stop_input) != STOP_NONE)
                return -EPERM;
        atomic_store(&hw->release_sign, sign);
        atomic_store(&hw->release_out, (int) out);
        /* A stop came in between: it wins. */
        if (atomic_load(&hw->stop_input) != STOP_NONE) {
                atomic_store(&hw->release_out, -1);
                chair_hw_go_safe(hw);
                return -EPERM;
        }
        return 0;
}

int chair_hw_stage_output(struct chair_hw *hw, enum chair_output out, int32_t value) {
        const struct chair_output_info *info = chair_output_info(out);
        struct chair_driver *drv;
        int r;

        if (!info)
                return -EINVAL;
        if (value < info->min || value > info->max)
                return -ERANGE;
        drv = hw->output_driver[out];
        if (!drv)
                return -ENODEV;
        /* The gate: count ourselves in before looking, so go_safe can wait for us. Panel
         * indicators pass it: a faulted chair shows its fault and beeps a refusal. */
        atomic_fetch_add(&hw->in_flight, 1);
        if ((!atomic_load(&hw->enabled) && !info->indicator && !release_permitted(hw, out, value)) ||
            ((atomic_load(&hw->blocked) >> out & 1) && value != info->safe_value)) {
                atomic_fetch_sub(&hw->in_flight, 1);
                return -EPERM;
        }
        r = drv->ops->set_output(drv, out, value);
        if (r >= 0) {
                int32_t old = atomic_exchange(&hw->image[out], value);
                if (old != value)
                        atomic_store(&hw->changed_at[out], event_loop_now_ns(hw->loop));
                /* A motor that reverses starts a new run: the travel motor's maximum on-time
                 * bounds one travel (42 s, Fujiiryoki), not a roller sweeping up and down. */
                if (value == info->safe_value)
                        atomic_store(&hw->active_since[out], 0);
                else if (chair_output_starts_run(out, old, value))
                        atomic_store(&hw->active_since[out], event_loop_now_ns(hw->loop));
        }
        atomic_fetch_sub(&hw->in_flight, 1);
        return r;
}

void chair_hw_flush(struct chair_hw *hw) {
        for (unsigned b = 0; b < ARRAY_SIZE(hw->drivers); b++)
                if (hw->drivers[b] && hw->drivers[b]->ops->flush)
                        hw->drivers[b]->ops->flush(hw->drivers[b]);
}

int chair_hw_set_output(struct chair_hw *hw, enum chair_output out, int32_t value) {
        int r = chair_hw_stage_output(hw, out, value);
        struct chair_driver *drv = r >= 0 ? hw->output_driver[out] : NULL;

        if (drv && drv->ops->flush)
                drv->ops->flush(drv);
        return r;
}

int32_t chair_hw_get_output(struct chair_hw *hw, enum chair_output out) {
        return (unsigned) out < _CHAIR_OUT_MAX ? atomic_load(&hw->image[out]) : 0;
}

uint64_t chair_hw_output_active_since(struct chair_hw *hw, enum chair_output out) {
        return (unsigned) out < _CHAIR_OUT_MAX ? atomic_load(&hw->active_since[out]) : 0;
}

int chair_hw_read_input(struct chair_hw *hw, enum chair_input in, int32_t *ret_value) {
        struct chair_driver *drv;
        if ((unsigned) in >= _CHAIR_IN_MAX)
                return -EINVAL;
        drv = hw->input_driver[in];
        if (!drv)
                return -ENODEV;
        return drv->ops->read_input(drv, in, ret_value);
}

bool chair_hw_has_output(struct chair_hw *hw, enum chair_output out) {
        return (unsigned) out < _CHAIR_OUT_MAX && hw->output_driver[out];
}

bool chair_hw_has_input(struct chair_hw *hw, enum chair_input in) {
        return (unsigned) in < _CHAIR_IN_MAX && hw->input_driver[in];
}

int chair_hw_subscribe(struct chair_hw *hw, chair_input_changed_fn fn, void *userdata) {
        if (hw->n_subscribers >= MAX_SUBSCRIBERS)
                return -ENOSPC;
        hw->subscribers[hw->n_subscribers++] = (struct subscriber) { fn, userdata };
        return 0;
}

/* A set_output that passed the gate finishes within microseconds (drivers never block).
 * Called from a real-time thread (a bus thread's stop path), yielding alone would never let a
 * preempted caller of lower priority on this CPU finish: sleep after a few. */
static void wait_in_flight(struct chair_hw *hw) {
        for (unsigned spins = 0; atomic_load(&hw->in_flight) > 0 && spins < 20000; spins++) {
                struct timespec us5 = { 0, 5000 };
                if (spins < 100)
                        sched_yield();
                else
                        nanosleep(&us5, NULL);
        }
}

void chair_hw_block_output(struct chair_hw *hw, enum chair_output out, bool blocked) {
        const struct chair_output_info *info = chair_output_info(out);
        struct chair_driver *drv;

        if (!info)
                return;
        if (!blocked) {
                atomic_fetch_and(&hw->blocked, ~(UINT64_C(1) << out));
                return;
        }
        atomic_fetch_or(&hw->blocked, UINT64_C(1) << out);
        wait_in_flight(hw);
        drv = hw->output_driver[out];
        if (!drv || drv->ops->set_output(drv, out, info->safe_value) < 0)
                return;   /* a closed gate's go_safe drove it safe already, or no such output */
        if (drv->ops->flush)
                drv->ops->flush(drv);
        if (atomic_exchange(&hw->image[out], info->safe_value) != info->safe_value)
                atomic_store(&hw->changed_at[out], event_loop_now_ns(hw->loop));
        atomic_store(&hw->active_since[out], 0);
}

bool chair_hw_output_blocked(struct chair_hw *hw, enum chair_output out) {
        return (unsigned) out < _CHAIR_OUT_MAX && (atomic_load(&hw->blocked) >> out & 1);
}

void chair_hw_go_safe(struct chair_hw *hw) {
        atomic_store(&hw->release_out, -1);
        atomic_store(&hw->enabled, false);
        wait_in_flight(hw);
        for (unsigned b = 0; b < ARRAY_SIZE(hw->drivers); b++)
                if (hw->drivers[b])
                        hw->drivers[b]->ops->go_safe(hw->drivers[b]);
        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++) {
                if (atomic_exchange(&hw->image[o], chair_output_info(o)->safe_value) != chair_output_info(o)->safe_value)
                        atomic_store(&hw->changed_at[o], event_loop_now_ns(hw->loop));
                atomic_store(&hw->active_since[o], 0);
        }
}

uint64_t chair_hw_output_changed_at(struct chair_hw *hw, enum chair_output out) {
        return (unsigned) out < _CHAIR_OUT_MAX ? atomic_load(&hw->changed_at[out]) : 0;
}

void chair_hw_enable(struct chair_hw *hw) {
        /* A stop the supervisor has not yet latched and a technician cleared keeps the gate
         * closed (a session starting in that moment must not reopen it). */
        if (atomic_load(&hw->stop_input) != STOP_NONE)
                return;
        atomic_store(&hw->release_out, -1);
        atomic_store(&hw->enabled, true);
        if (atomic_load(&hw->stop_input) != STOP_NONE)
                chair_hw_go_safe(hw);   /* a stop came in between */
}

void chair_hw_clear_stop(struct chair_hw *hw) {
        atomic_store(&hw->stop_input, STOP_NONE);
}

_Static_assert(_CHAIR_OUT_MAX <= 64, "chair_hw's blocked outputs are one 64-bit word");

bool chair_hw_enabled(struct chair_hw *hw) {
        return atomic_load(&hw->enabled);
}

/* The driver table stays in the router: callers name a backend, never a driver. */
static struct chair_driver *backend_driver(struct chair_hw *hw, enum hw_backend backend) {
        return (unsigned) backend < ARRAY_SIZE(hw->drivers) ? hw->drivers[backend] : NULL;
}

bool chair_hw_uses_backend(struct chair_hw *hw, enum hw_backend backend) {
        return backend_driver(hw, backend) != NULL;
}

int chair_hw_sim_inject(struct chair_hw *hw, const char *name, bool on) {
        struct chair_driver *sim = backend_driver(hw, HW_BACKEND_SIM);
        return sim ? chair_driver_sim_inject(sim, name, on) : -ENODEV;
}

int chair_hw_sim_press_key(struct chair_hw *hw, int32_t code) {
        struct chair_driver *sim = backend_driver(hw, HW_BACKEND_SIM);
        return sim ? chair_driver_sim_press_key(sim, code) : -ENODEV;
}

int chair_hw_sim_set_person(struct chair_hw *hw, int32_t shoulder_mm, int32_t waist_mm) {
        struct chair_driver *sim = backend_driver(hw, HW_BACKEND_SIM);
        return sim ? chair_driver_sim_set_person(sim, shoulder_mm, waist_mm) : -ENODEV;
}

int chair_hw_sim_set_occupant(struct chair_hw *hw, bool seated, int32_t leg_mm, bool feet_on) {
        struct chair_driver *sim = backend_driver(hw, HW_BACKEND_SIM);
        return sim ? chair_driver_sim_set_occupant(sim, seated, leg_mm, feet_on) : -ENODEV;
}

uint64_t chair_hw_sim_lease_until_ns(struct chair_hw *hw) {
        struct chair_driver *sim = backend_driver(hw, HW_BACKEND_SIM);
        return sim ? chair_driver_sim_lease_until_ns(sim) : 0;
}

int chair_hw_get_stats(struct chair_hw *hw, enum hw_backend backend, struct chair_driver_stats *ret) {
        struct chair_driver *drv = backend_driver(hw, backend);

        if (!drv)
                return -ENODEV;
        if (!drv->ops->get_stats)
                return -EOPNOTSUPP;
        return drv->ops->get_stats(drv, ret);
}

void chair_hw_set_awake(struct chair_hw *hw, enum chair_hw_waker waker, bool awake) {
        hw->awake = awake ? hw->awake | waker : hw->awake & ~(unsigned) waker;
        for (unsigned b = 0; b < ARRAY_SIZE(hw->drivers); b++)
                if (hw->drivers[b] && hw->drivers[b]->ops->set_idle)
                        hw->drivers[b]->ops->set_idle(hw->drivers[b], hw->awake == 0);
}
