/* SPDX-License-Identifier: MIT */
/*
 * One operations table for every backend (gpio, modbus, sim), in the manner of libmodbus's
 * modbus_backend_t. The daemon holds one driver instance per backend in use; the I/O router
 * (chair-hw.h) sends each output to the instance its hardware-map binding names.
 *
 * Threading contract, so the scheduler thread never blocks:
 *  - set_output, read_input and go_safe are called from any thread, never block, never
 *    allocate and never log; a backend whose I/O blocks (Modbus) only updates an output image
 *    that its own bus thread writes out.
 *  - open, subscribe and close run on the event-loop thread.
 *  - input-change callbacks are delivered on the event-loop thread.
 *  - the stop callback (set_stop_handler) is called on the thread that read the input (a bus
 *    thread, the GPIO stop thread, the sim's step on the event loop), before the event loop
 *    hears of the change; it never blocks.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "chair-io.h"
#include "hardware-map.h"

struct chair_driver;
struct event_loop;

typedef void (*chair_input_changed_fn)(void *userdata, enum chair_input in, int32_t value,
                                       uint64_t timestamp_ns);

/* error is 0 for a good reading, -ERANGE for a reading outside the input's plausible range
 * (value is then the bound it crossed). */
typedef void (*chair_input_stop_fn)(void *userdata, enum chair_input in, int32_t value, int error,
                                    uint64_t timestamp_ns);

struct chair_driver_stats {
        uint64_t transactions;
        uint64_t errors_timeout;
        uint64_t errors_crc;
        uint64_t errors_exception;
        uint64_t errors_invalid;   /* malformed or out-of-range replies */
        uint64_t reconnects;
        bool link_up;
        uint64_t safe_written_ns;  /* CLOCK_MONOTONIC: the last go_safe reached the hardware */
};

struct chair_driver_ops {
        const char *name;
        /* Claims every output and input the map binds to this backend and drives the outputs to
         * their safe values before anything else. Returns -ENODEV/-EBUSY/... with a message in
         * ret_error naming the map line at fault. A backend that needs real fds and threads
         * (gpio, modbus) takes the sd_event under the loop and refuses a virtual loop. */
        int (*open)(struct chair_driver *drv, const struct hardware_map *map, struct event_loop *loop,
                    char *ret_error, size_t error_size);
        /* A driver with flush may only stage the value here; it reaches the hardware at the next
         * flush. Either way it never blocks. */
        int (*set_output)(struct chair_driver *drv, enum chair_output out, int32_t value);
        /* Optional: sends what set_output staged, so the outputs of one program step go out in
         * one wake-up of a bus thread (and as few transactions as their addresses allow). */
        void (*flush)(struct chair_driver *drv);
        /* -ENODATA before a first good reading and while its board's link is down; -ERANGE
         * (*ret_value the bound it crossed) while it reads outside its plausible range. */
        int (*read_input)(struct chair_driver *drv, enum chair_input in, int32_t *ret_value);
        int (*subscribe)(struct chair_driver *drv, chair_input_changed_fn fn, void *userdata);
        int (*go_safe)(struct chair_driver *drv);
        int (*get_stats)(struct chair_driver *drv, struct chair_driver_stats *ret);
        /* Optional, event-loop thread: the chair is idle (no session, every actuator safe), so a
         * polling backend may poll slower. Inputs are still read; nothing is missed for long. */
        void (*set_idle)(struct chair_driver *drv, bool idle);
        /* Optional: fn hears every change of an event input and every input that goes out of
         * range, on the thread that read it (see the threading contract). */
        int (*set_stop_handler)(struct chair_driver *drv, chair_input_stop_fn fn, void *userdata);
        /* Optional, any thread: a board heartbeat is written only until until_ns
         * (CLOCK_MONOTONIC). Never renewed: no lease, the heartbeat follows its period. */
        void (*renew_lease)(struct chair_driver *drv, uint64_t until_ns);
        void (*close)(struct chair_driver *drv);
};

/* Every driver embeds this first. */
struct chair_driver {
        const struct chair_driver_ops *ops;
        enum hw_backend backend;
};

/* Constructors: allocate an instance of each backend (not yet opened). */
int chair_driver_new_sim(struct chair_driver **ret);
int chair_driver_new_gpio(struct chair_driver **ret);
int chair_driver_new_modbus(struct chair_driver **ret);
