/* SPDX-License-Identifier: MIT */
/*
 * The Modbus backend (libmodbus). One thread per bus owns its context, because calls block
 * for milliseconds and a context is not thread-safe. Outputs go into an atomic image marked
 * dirty; the bus thread writes dirty outputs first (coalesced: contiguous coils in one
 * write_bits, contiguous registers in one write_registers), then the heartbeat, then reads the
 * inputs in one block per table. Replies are untrusted: a value out of its plausible range is a
 * counted error, never delivered. Lost links reconnect with back-off.
 */
#include <errno.h>
#include <math.h>
#include <modbus.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-event.h>

#include "clock.h"
#include "driver.h"
#include "event-loop.h"
#include "log.h"
#include "macro.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000
#define FAILURES_LINK_DOWN 3

struct modbus_driver;

struct bus_worker {
        struct modbus_driver *drv;
        const struct hw_bus *cfg;
        int index;
        pthread_t thread;
        bool started;
        int wake_fd;
        atomic_bool quit;
        modbus_t *ctx;
        bool connected;
        unsigned backoff_ms;
        unsigned failures;              /* consecutive failed transactions */
        bool must_reconnect;            /* the transport broke or the stream lost step */
        unsigned connects;
        uint16_t heartbeat;
        uint64_t next_poll_ms, next_heartbeat_ms;
        uint64_t last_heartbeat_ms;     /* last heartbeat the board acknowledged */
        bool inputs_read_once;          /* every table read since the connection */
        int next_table;                 /* a poll that yielded to outputs resumes here */
        _Atomic uint64_t transactions, timeouts, crc, exceptions, invalid, reconnects;
        atomic_bool link_up;
        atomic_bool flush_pending;      /* outputs staged since the last flush */
        atomic_bool outputs_pending;    /* a flush or go_safe waits: reads yield to it */
        atomic_bool safe_pending;       /* a go_safe not yet written to this board */
        _Atomic uint64_t safe_written_ns;
        atomic_int rs485_errno;         /* RS-485 mode refused (ENOTTY on a pty) */
        atomic_bool idle;               /* poll every idle_poll_ms instead of poll_interval_ms */
        atomic_bool poll_now;           /* leaving idle: poll at once */
        /* Event-loop side only: what was logged last. */
        bool logged_link, logged_rs485;
};

struct modbus_driver {
        struct chair_driver base;
        const struct hardware_map *map;
        struct bus_worker buses[HW_MAX_BUSES];
        unsigned n_buses;
        _Atomic int32_t image[_CHAIR_OUT_MAX];
        atomic_bool dirty[_CHAIR_OUT_MAX];
        _Atomic int32_t inputs[_CHAIR_IN_MAX];
        _Atomic uint64_t changed;       /* bit per chair_input */
        _Atomic uint64_t valid;         /* bit per chair_input: read at least once */
        _Atomic uint64_t out_of_range;  /* bit per chair_input: its last reading was implausible */
        _Atomic uint64_t read_at_ns[_CHAIR_IN_MAX];
        int event_fd;                   /* bus threads -> event loop */
        sd_event_source *event_source;
        chair_input_changed_fn notify;
        void *notify_userdata;
        chair_input_stop_fn stop;       /* called on the bus thread */
        void *stop_userdata;
        _Atomic uint64_t lease_until_ns; /* heartbeat only until then; 0: never renewed, no lease */
};

static const struct hw_binding *out_binding(struct bus_worker *w, unsigned o) {
        const struct hw_binding *b = &w->drv->map->outputs[o];
        return b->backend == HW_BACKEND_MODBUS && b->bus == w->index ? b : NULL;
}

static const struct hw_binding *in_binding(struct bus_worker *w, unsigned i) {
        const struct hw_binding *b = &w->drv->map->inputs[i];
        return b->backend == HW_BACKEND_MODBUS && b->bus == w->index ? b : NULL;
}

/* Link changes are logged by the event loop (on_event), never from this thread. */
static void set_link(struct bus_worker *w, bool up) {
        uint64_t one = 1;
        if (atomic_exchange(&w->link_up, up) != up && write(w->drv->event_fd, &one, sizeof one) < 0) {
                /* a saturated eventfd still wakes the loop */
        }
}

/* Counts a failed transaction by its kind and decides whether the link must be re-made.
 * Returns false, so "return count_error(w)" reads as a failed step. */
static bool count_error(struct bus_worker *w) {
        int e = errno;

        w->failures++;
        if (e == ETIMEDOUT)
                atomic_fetch_add(&w->timeouts, 1);
        else if (e == EMBBADCRC)
                atomic_fetch_add(&w->crc, 1);
        else if (e >= EMBXILFUN && e <= EMBXGTAR)
                atomic_fetch_add(&w->exceptions, 1);
        else
                atomic_fetch_add(&w->invalid, 1);
        if (w->failures >= FAILURES_LINK_DOWN)
                set_link(w, false);
        /* Broken transport, a stream out of step after garbage or a late reply, or a peer that
         * stopped answering: start afresh. A peer answering with exceptions is alive: no reconnect. */
        if (e == ECONNRESET || e == EPIPE || e == EBADF || e == ECONNREFUSED || e == ENOTCONN || e == EMBBADDATA ||
            e == EMBBADEXC || e == EMBUNKEXC || e == EMBMDATA || e == EMBBADSLAVE ||
            (e == ETIMEDOUT && w->failures >= FAILURES_LINK_DOWN) || (e < EMBXILFUN && e != ETIMEDOUT && e != EMBBADCRC))
                w->must_reconnect = true;
        return false;
}

static void count_success(struct bus_worker *w) {
        atomic_fetch_add(&w->transactions, 1);
        w->failures = 0;
        set_link(w, true);
}

/* Engineering value to the register's raw value, clamped to what its words can hold. */
static int32_t raw_of(const struct hw_binding *b, int32_t value) {
        double raw = round(value / b->scale);
        double lo = b->words == 2 ? (b->is_signed ? INT32_MIN : 0) : (b->is_signed ? INT16_MIN : 0);
        double hi = b->words == 2 ? (b->is_signed ? INT32_MAX : (double) UINT32_MAX) : (b->is_signed ? INT16_MAX : UINT16_MAX);
        raw = CLAMP(raw, lo, hi);
        return raw > INT32_MAX ? (int32_t) (uint32_t) raw : (int32_t) raw;
}

/* A write of one table failed: its outputs are marked again so the next cycle retries.
 * Counted as count_error() (errno is still the write's). */
static bool write_failed(struct bus_worker *w, enum hw_modbus_table table) {
        for (unsigned k = 0; k < _CHAIR_OUT_MAX; k++)
                if (out_binding(w, k) && out_binding(w, k)->table == table)
                        atomic_store(&w->drv->dirty[k], true);
        return count_error(w);
}

/* Writes every dirty output of this bus, contiguous addresses together. */
static bool write_outputs(struct bus_worker *w) {
        struct modbus_driver *d = w->drv;
        struct { uint16_t addr; int32_t raw; uint8_t words; bool word_swap; } coils[_CHAIR_OUT_MAX], regs[_CHAIR_OUT_MAX];
        unsigned nc = 0, nr = 0;

        atomic_store(&w->outputs_pending, false);
        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++) {
                const struct hw_binding *b = out_binding(w, o);
                if (!b || !atomic_exchange(&d->dirty[o], false))
                        continue;
                if (b->table == HW_MODBUS_COIL)
                        coils[nc++] = (typeof(coils[0])) { b->address, atomic_load(&d->image[o]) ? 1 : 0, 1, false };
                else
                        regs[nr++] = (typeof(regs[0])) { b->address, raw_of(b, atomic_load(&d->image[o])), b->words,
                                                          b->word_swap };
        }
        /* Sort by address (tiny arrays) and write runs. */
        for (unsigned i = 1; i < nc; i++)
                for (unsigned j = i; j > 0 && coils[j - 1].addr > coils[j].addr; j--) {
                        typeof(coils[0]) t = coils[j];
                        coils[j] = coils[j - 1], coils[j - 1] = t;
                }
        for (unsigned i = 1; i < nr; i++)
                for (unsigned j = i; j > 0 && regs[j - 1].addr > regs[j].addr; j--) {
                        typeof(regs[0]) t = regs[j];
                        regs[j] = regs[j - 1], regs[j - 1] = t;
                }
        for (unsigned i = 0; i < nc;) {
                uint8_t bits[_CHAIR_OUT_MAX];
                unsigned n = 0;
                while (i + n < nc && coils[i + n].addr == coils[i].addr + n) {
                        bits[n] = (uint8_t) coils[i + n].raw;
                        n++;
                }
                if (modbus_write_bits(w->ctx, coils[i].addr, (int) n, bits) < 0)
                        return write_failed(w, HW_MODBUS_COIL);
                count_success(w);
                i += n;
        }
        for (unsigned i = 0; i < nr;) {
                uint16_t values[2 * _CHAIR_OUT_MAX];
                unsigned n = 0, words = 0;
                while (i + n < nr && regs[i + n].addr == regs[i].addr + words) {
                        if (regs[i + n].words == 2) {
                                uint32_t v = (uint32_t) regs[i + n].raw;
                                bool swap = regs[i + n].word_swap;
                                values[words++] = (uint16_t) (swap ? v : v >> 16);
                                values[words++] = (uint16_t) (swap ? v >> 16 : v);
                        } else {
                                values[words++] = (uint16_t) regs[i + n].raw;
                        }
                        n++;
                }
                if (modbus_write_registers(w->ctx, regs[i].addr, (int) words, values) < 0)
                        return write_failed(w, HW_MODBUS_HOLDING);
                count_success(w);
                i += n;
        }
        return true;
}

/* Stores a value read; true when the event loop must hear of it. */
static bool deliver(struct modbus_driver *d, unsigned in, int32_t value) {
        bool first = !(atomic_fetch_or(&d->valid, 1ULL << in) & (1ULL << in));
        bool was_invalid = atomic_fetch_and(&d->out_of_range, ~(1ULL << in)) & (1ULL << in);
        if (atomic_exchange(&d->inputs[in], value) != value || first || was_invalid) {
                atomic_store(&d->read_at_ns[in], clock_ns(CLOCK_MONOTONIC));
                if (chair_input_info(in)->sampled && !was_invalid)
                        return false;
                atomic_fetch_or(&d->changed, 1ULL << in);
                return true;
        }
        return false;
}

/* A reading outside the plausible range: the input is invalid (read_input says -ERANGE) until a
 * good one comes, never left at its last good value. The value kept is the bound it crossed, so
 * the supervisor can tell an open thermistor from a short. True when it just became invalid. */
static bool deliver_out_of_range(struct modbus_driver *d, unsigned in, double scaled) {
        const struct chair_input_info *info = chair_input_info(in);
        int32_t bound = isfinite(scaled) && scaled > info->max ? info->max : info->min;
        bool was = atomic_fetch_or(&d->out_of_range, 1ULL << in) & (1ULL << in);

        atomic_store(&d->inputs[in], bound);
        atomic_fetch_or(&d->valid, 1ULL << in);
        atomic_store(&d->read_at_ns[in], clock_ns(CLOCK_MONOTONIC));
        if (was)
                return false;
        atomic_fetch_or(&d->changed, 1ULL << in);
        return true;
}

/* One wake-up of the event loop for every change of a block read, not one per input. */
static void notify_event_loop(struct modbus_driver *d) {
        uint64_t one = 1;
        if (write(d->event_fd, &one, sizeof one) < 0) {
                /* a saturated eventfd still wakes the loop */
        }
}

/* Reads each table's bound inputs in one block and decodes them. *ret_complete is false when
 * the poll yielded to outputs waiting to be written: the next call goes on from that table, so
 * a stop input is never a whole poll period late because a program step was flushed. */
static bool read_inputs(struct bus_worker *w, bool *ret_complete) {
        struct modbus_driver *d = w->drv;
        bool changed = false;
        uint64_t stop_check = 0;        /* inputs the stop path must see, bit per chair_input */

        *ret_complete = false;
        for (int table = w->next_table; table <= HW_MODBUS_INPUT_REGISTER; table++) {
                unsigned lo = 65536, hi = 0;
                uint16_t regs[128];
                uint8_t bits[256];
                int r;

                for (unsigned i = 0; i < _CHAIR_IN_MAX; i++) {
                        const struct hw_binding *b = in_binding(w, i);
                        if (!b || (int) b->table != table)
                                continue;
                        lo = MIN(lo, b->address);
                        hi = MAX(hi, (unsigned) b->address + b->words - 1);
                }
                if (lo > hi)
                        continue;
                /* A go_safe or a set waits: write it before reading on. Not before every input
                 * has been read once: a panel board's first reading is the baseline its key
                 * latch is compared with, and it must come before any press. */
                if (atomic_load(&w->outputs_pending) && w->inputs_read_once) {
                        w->next_table = table;
                        if (changed)
                                notify_event_loop(d);
                        return true;
                }
                if (hi - lo + 1 > 120)
                        hi = lo + 119; /* one transaction; a map this sparse is unusual */
                if (table == HW_MODBUS_COIL)
                        r = modbus_read_bits(w->ctx, (int) lo, (int) (hi - lo + 1), bits);
                else if (table == HW_MODBUS_DISCRETE_INPUT)
                        r = modbus_read_input_bits(w->ctx, (int) lo, (int) (hi - lo + 1), bits);
                else if (table == HW_MODBUS_HOLDING)
                        r = modbus_read_registers(w->ctx, (int) lo, (int) (hi - lo + 1), regs);
                else
                        r = modbus_read_input_registers(w->ctx, (int) lo, (int) (hi - lo + 1), regs);
                if (r < 0) {
                        w->next_table = HW_MODBUS_COIL;
                        if (changed)
                                notify_event_loop(d);
                        return count_error(w);
                }
                count_success(w);

                for (unsigned i = 0; i < _CHAIR_IN_MAX; i++) {
                        const struct hw_binding *b = in_binding(w, i);
                        const struct chair_input_info *info = chair_input_info(i);
                        unsigned k;
                        int64_t raw;
                        int32_t value;

                        if (!b || (int) b->table != table || (unsigned) b->address + b->words - 1 > hi)
                                continue;
                        k = b->address - lo;
                        if (table == HW_MODBUS_COIL || table == HW_MODBUS_DISCRETE_INPUT) {
                                raw = bits[k] ? 1 : 0;
                        } else if (b->words == 2) {
                                uint32_t v = b->word_swap ? ((uint32_t) regs[k + 1] << 16 | regs[k])
                                                          : ((uint32_t) regs[k] << 16 | regs[k + 1]);
                                raw = b->is_signed ? (int64_t) (int32_t) v : (int64_t) v;
                        } else {
                                raw = b->is_signed ? (int64_t) (int16_t) regs[k] : (int64_t) regs[k];
                        }
                        {
                                double scaled = (double) raw * b->scale;
                                /* A switch read from a register (a load cell): 1 at or above it. */
                                if (b->has_threshold && isfinite(scaled))
                                        scaled = scaled >= b->threshold;
                                if (!isfinite(scaled) || scaled < info->min || scaled > info->max) {
                                        atomic_fetch_add(&w->invalid, 1);
                                        if (deliver_out_of_range(d, i, scaled)) {
                                                changed = true;
                                                stop_check |= 1ULL << i;
                                        }
                                        continue;
                                }
                                value = (int32_t) lround(scaled);
                        }
                        if (deliver(d, i, value)) {
                                changed = true;
                                if (!info->sampled)
                                        stop_check |= 1ULL << i;
                        }
                }
                /* The stop path, here on the bus thread, once the whole block is decoded (both
                 * limits are current): no round trip through the event loop. */
                for (unsigned i = 0; stop_check && __atomic_load_n(&d->stop, __ATOMIC_ACQUIRE) && i < _CHAIR_IN_MAX; i++)
                        if (stop_check & (1ULL << i)) {
                                bool bad = atomic_load(&d->out_of_range) & (1ULL << i);
                                d->stop(d->stop_userdata, i, atomic_load(&d->inputs[i]), bad ? -ERANGE : 0,
                                        atomic_load(&d->read_at_ns[i]));
                        }
                stop_check = 0;
        }
        if (changed)
                notify_event_loop(d);
        w->inputs_read_once = true;
        w->next_table = HW_MODBUS_COIL;
        *ret_complete = true;
        return true;
}

static bool connect_bus(struct bus_worker *w) {
        const struct hw_bus *c = w->cfg;

        if (w->ctx) {
                modbus_close(w->ctx);
                modbus_free(w->ctx);
        }
        w->ctx = c->tcp ? modbus_new_tcp_pi(c->host, c->port)
                        : modbus_new_rtu(c->device, (int) c->baud, c->parity, c->data_bits, c->stop_bits);
        if (!w->ctx)
                return false;
        modbus_set_slave(w->ctx, c->slave);
        modbus_set_response_timeout(w->ctx, 0, c->response_timeout_ms * 1000);
        modbus_set_error_recovery(w->ctx, MODBUS_ERROR_RECOVERY_PROTOCOL);
        if (modbus_connect(w->ctx) < 0)
                return false;
        if (!c->tcp && c->rs485)
                if (modbus_rtu_set_serial_mode(w->ctx, MODBUS_RTU_RS485) < 0)
                        atomic_store(&w->rs485_errno, errno); /* ENOTTY on a pty: logged once, fine */
        /* After any (re)connection every output is written again: the board may have reset. */
        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++)
                if (out_binding(w, o))
                        atomic_store(&w->drv->dirty[o], true);
        return true;
}

static void wait_for(struct bus_worker *w, uint64_t until_ms) {
        struct pollfd p = { .fd = w->wake_fd, .events = POLLIN };
        uint64_t now = clock_msec(CLOCK_MONOTONIC), v;
        if (until_ms > now && poll(&p, 1, (int) MIN(until_ms - now, 10000ULL)) > 0 && read(w->wake_fd, &v, sizeof v) < 0) {
                /* spurious */
        }
}

static void mark_indicators_dirty(struct bus_worker *w) {
        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++)
                if (out_binding(w, o) && chair_output_info(o)->indicator)
                        atomic_store(&w->drv->dirty[o], true);
}

static void *bus_thread(void *userdata) {
        struct bus_worker *w = userdata;
        struct modbus_driver *d = w->drv;
        const struct hw_bus *c = w->cfg;

        w->backoff_ms = BACKOFF_MIN_MS;
        while (!atomic_load(&w->quit)) {
                uint64_t now = clock_msec(CLOCK_MONOTONIC), next, next_poll;
                bool ok, poll_due;

                if (!w->connected) {
                        if (w->connects++ > 0)
                                atomic_fetch_add(&w->reconnects, 1);
                        w->connected = connect_bus(w);
                        if (!w->connected) {
                                set_link(w, false);
                                wait_for(w, now + w->backoff_ms);
                                w->backoff_ms = MIN(w->backoff_ms * 2, BACKOFF_MAX_MS);
                                continue;
                        }
                        w->must_reconnect = false;
                        w->inputs_read_once = false;
                        w->next_table = HW_MODBUS_COIL;
                        w->next_poll_ms = w->next_heartbeat_ms = now;
                }
                /* Outputs first: a go-safe must reach the board before anything else. */
                {
                        bool safe = atomic_exchange(&w->safe_pending, false);
                        ok = write_outputs(w);
                        if (safe && !ok)
                                atomic_store(&w->safe_pending, true);
                        else if (safe)
                                atomic_store(&w->safe_written_ns, clock_ns(CLOCK_MONOTONIC));
                }
                if (atomic_exchange(&w->poll_now, false))
                        w->next_poll_ms = now;
                poll_due = now >= w->next_poll_ms;
                /* The poll after this wake-up; on a poll's wake-up a heartbeat due before the
                 * next poll goes out now, so the heartbeat rides on the polls' wake-ups instead of
                 * waking the thread itself (a flush's wake-up does not write it early). */
                next_poll = poll_due ? now + (atomic_load(&w->idle) ? c->idle_poll_ms : c->poll_interval_ms)
                                     : w->next_poll_ms;
                if (ok && c->heartbeat_register >= 0 &&
                    (now >= w->next_heartbeat_ms || (poll_due && next_poll > w->next_heartbeat_ms))) {
                        uint64_t lease = atomic_load(&d->lease_until_ns);
                        /* On time, a heartbeat follows the last within its period (plus a wake-up's
                         * latency); a gap longer than that is a lapsed lease or a process that
                         * stood still, and the board may have tripped. */
                        bool late = w->last_heartbeat_ms &&
                                    now - w->last_heartbeat_ms > c->heartbeat_period_ms + c->heartbeat_period_ms / 4;

                        /* A heartbeat ends a board's trip: after a gap read first, so the trip is
                         * seen, not erased. */
                        bool complete = true;

                        if (late && w->inputs_read_once && (!lease || clock_ns(CLOCK_MONOTONIC) < lease)) {
                                ok = read_inputs(w, &complete);
                                if (poll_due && complete)
                                        w->next_poll_ms = next_poll;
                                poll_due = false;
                        }
                        if (!ok) {
                                /* the read failed: back off below */
                        } else if (!complete) {
                                /* outputs first; the heartbeat after the rest of the read */
                        } else if (lease && clock_ns(CLOCK_MONOTONIC) >= lease) {
                                /* The lease lapsed: the supervisor made no progress. No heartbeat,
                                 * so the board switches itself off within its timeout. */
                        } else if (modbus_write_register(w->ctx, c->heartbeat_register, ++w->heartbeat) < 0) {
                                ok = count_error(w);
                        } else {
                                count_success(w);
                                /* A heartbeat this late may have found the board tripped, its
                                 * outputs forced safe: the panel's indicators are written again so
                                 * the display comes back. Actuators are not: they return only when
                                 * the scheduler commands them anew. */
                                w->last_heartbeat_ms = now;
                                if (late) {
                                        mark_indicators_dirty(w);
                                        ok = write_outputs(w);
                                }
                        }
                        if (complete)
                                w->next_heartbeat_ms = now + c->heartbeat_period_ms;
                }
                if (ok && poll_due) {
                        bool complete;
                        ok = read_inputs(w, &complete);
                        if (complete)
                                w->next_poll_ms = next_poll;
                }
                if (!ok) {
                        /* Back off, so a refusing or broken peer is not hammered; a set or a
                         * go_safe still wakes the thread at once. */
                        if (w->must_reconnect)
                                w->connected = false;
                        wait_for(w, now + w->backoff_ms);
                        w->backoff_ms = MIN(w->backoff_ms * 2, BACKOFF_MAX_MS);
                        continue;
                }
                w->backoff_ms = BACKOFF_MIN_MS;
                next = w->next_poll_ms;
                if (c->heartbeat_register >= 0)
                        next = MIN(next, w->next_heartbeat_ms);
                wait_for(w, next);
        }
        /* close() set every output to its safe value: leave the board with those written. */
        if (w->connected)
                write_outputs(w);
        if (w->ctx) {
                modbus_close(w->ctx);
                modbus_free(w->ctx);
                w->ctx = NULL;
        }
        return NULL;
}

static void wake(struct bus_worker *w) {
        uint64_t one = 1;
        if (write(w->wake_fd, &one, sizeof one) < 0) {
                /* already pending */
        }
}

static void mb_set_idle(struct chair_driver *drv, bool idle) {
        struct modbus_driver *d = (struct modbus_driver *) drv;

        for (unsigned b = 0; b < d->n_buses; b++) {
                struct bus_worker *w = &d->buses[b];
                if (atomic_exchange(&w->idle, idle) && !idle && w->started) {
                        /* Waking up: poll now rather than at the end of the idle period. */
                        atomic_store(&w->poll_now, true);
                        wake(w);
                }
        }
}

static int on_event(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct modbus_driver *d = userdata;
        uint64_t v, changed;

        if (read(fd, &v, sizeof v) < 0) {
                /* drained already */
        }
        for (unsigned b = 0; b < d->n_buses; b++) {
                struct bus_worker *w = &d->buses[b];
                bool up = atomic_load(&w->link_up);
                int e = atomic_load(&w->rs485_errno);

                if (!w->started)
                        continue;
                if (e && !w->logged_rs485) {
                        w->logged_rs485 = true;
                        log_warning("modbus [bus.%s]: %s does not take RS-485 mode (%s), using it as it is",
                                    w->cfg->name, w->cfg->device, strerror(e));
                }
                if (up != w->logged_link) {
                        w->logged_link = up;
                        if (up)
                                log_info("modbus [bus.%s]: link up", w->cfg->name);
                        else
                                log_warning("modbus [bus.%s]: link down (timeouts %llu, CRC %llu, exceptions %llu, invalid %llu)",
                                            w->cfg->name, (unsigned long long) atomic_load(&w->timeouts),
                                            (unsigned long long) atomic_load(&w->crc),
                                            (unsigned long long) atomic_load(&w->exceptions),
                                            (unsigned long long) atomic_load(&w->invalid));
                }
        }
        changed = atomic_exchange(&d->changed, 0);
        for (unsigned i = 0; i < _CHAIR_IN_MAX; i++)
                if (changed & (1ULL << i) && d->notify)
                        d->notify(d->notify_userdata, i, atomic_load(&d->inputs[i]), atomic_load(&d->read_at_ns[i]));
        return 0;
}

static int mb_open(struct chair_driver *drv, const struct hardware_map *map, struct event_loop *loop, char *err,
                   size_t size) {
        struct modbus_driver *d = (struct modbus_driver *) drv;
        sd_event *event = event_loop_sd_event(loop);
        bool used[HW_MAX_BUSES] = {};
        int r;

        /* The bus threads report through an eventfd on a real loop. */
        if (!event) {
                snprintf(err, size, "modbus backend: needs the sd-event loop, not a virtual one");
                return -EOPNOTSUPP;
        }

        /* What a bus or binding this backend can run is the map checker's rule. */
        r = hardware_map_check(map, err, size);
        if (r < 0)
                return r;
        d->map = map;
        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++) {
                atomic_store(&d->image[o], chair_output_info(o)->safe_value);
                if (map->outputs[o].backend == HW_BACKEND_MODBUS) {
                        used[map->outputs[o].bus] = true;
                        atomic_store(&d->dirty[o], true); /* safe values are the first write */
                }
        }
        for (unsigned i = 0; i < _CHAIR_IN_MAX; i++)
                if (map->inputs[i].backend == HW_BACKEND_MODBUS)
                        used[map->inputs[i].bus] = true;

        d->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (d->event_fd < 0)
                return -errno;
        r = sd_event_add_io(event, &d->event_source, d->event_fd, EPOLLIN, on_event, d);
        if (r < 0) {
                snprintf(err, size, "modbus backend: cannot attach to the event loop: %s", strerror(-r));
                return r;
        }
        /* Input events before queued D-Bus calls: a stop is reported as soon as the loop turns. */
        r = sd_event_source_set_priority(d->event_source, SD_EVENT_PRIORITY_IMPORTANT);
        if (r < 0)
                return r;
        for (unsigned b = 0; b < map->n_buses; b++) {
                struct bus_worker *w = &d->buses[b];
                if (!used[b])
                        continue;
                *w = (struct bus_worker) { .drv = d, .cfg = &map->buses[b], .index = (int) b };
                w->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
                if (w->wake_fd < 0)
                        return -errno;
                if (!w->cfg->tcp && access(w->cfg->device, R_OK | W_OK) < 0) {
                        r = -errno;
                        snprintf(err, size, "%s:%u: [bus.%s]: cannot use %s: %s", map->path, w->cfg->line_no,
                                 w->cfg->name, w->cfg->device, strerror(errno));
                        close(w->wake_fd);
                        w->wake_fd = -1;
                        return r;
                }
                r = pthread_create(&w->thread, NULL, bus_thread, w);
                if (r != 0) {
                        snprintf(err, size, "[bus.%s]: cannot start its thread: %s", w->cfg->name, strerror(r));
                        return -r;
                }
                {
                        /* The kernel keeps 15 characters of a thread's name. */
                        char name[16];
                        snprintf(name, sizeof name, "bus-%.11s", w->cfg->name);
                        (void) pthread_setname_np(w->thread, name);
                }
                /* The stop path runs on this thread: real-time, just below the scheduler, when
                 * permitted, so a process flooding the CPUs cannot delay an emergency stop. It
                 * sleeps in poll() nearly always. Not permitted: an ordinary thread, as before. */
                if (map->scheduler.priority > 1) {
                        struct sched_param sp = { .sched_priority = (int) map->scheduler.priority - 1 };
                        if (pthread_setschedparam(w->thread, SCHED_FIFO, &sp) == 0)
                                log_info("modbus [bus.%s]: its thread runs at real-time priority %d.", w->cfg->name,
                                         sp.sched_priority);
                }
                w->started = true;
                d->n_buses = b + 1;
        }
        return 0;
}

static struct bus_worker *worker_of_output(struct modbus_driver *d, enum chair_output out) {
        const struct hw_binding *b = &d->map->outputs[out];
        return b->backend == HW_BACKEND_MODBUS && b->bus >= 0 ? &d->buses[b->bus] : NULL;
}

static int mb_set_output(struct chair_driver *drv, enum chair_output out, int32_t value) {
        struct modbus_driver *d = (struct modbus_driver *) drv;
        struct bus_worker *w = worker_of_output(d, out);

        if ((unsigned) out >= _CHAIR_OUT_MAX)
                return -EINVAL;
        if (!w || !w->started)
                return -ENODEV;
        if (value < chair_output_info(out)->min || value > chair_output_info(out)->max)
                return -ERANGE;
        if (atomic_exchange(&d->image[out], value) != value) {
                atomic_store(&d->dirty[out], true);
                atomic_store(&w->flush_pending, true);
        }
        return 0;
}

/* Wakes each bus with staged outputs once: a program step's outputs go out together. */
static void mb_flush(struct chair_driver *drv) {
        struct modbus_driver *d = (struct modbus_driver *) drv;

        for (unsigned b = 0; b < d->n_buses; b++) {
                struct bus_worker *w = &d->buses[b];
                if (w->started && atomic_exchange(&w->flush_pending, false)) {
                        atomic_store(&w->outputs_pending, true);
                        wake(w);
                }
        }
}

static int mb_read_input(struct chair_driver *drv, enum chair_input in, int32_t *ret) {
        struct modbus_driver *d = (struct modbus_driver *) drv;

        if ((unsigned) in >= _CHAIR_IN_MAX)
                return -EINVAL;
        if (!d->map || d->map->inputs[in].backend != HW_BACKEND_MODBUS)
                return -ENODEV;
        /* Never a made-up 0 (an estop "not pressed") before the board has answered, nor a
         * stale value while its link is down (three failed transactions in a row). */
        if (!(atomic_load(&d->valid) & (1ULL << in)))
                return -ENODATA;
        if (d->map->inputs[in].bus >= 0 && !atomic_load(&d->buses[d->map->inputs[in].bus].link_up))
                return -ENODATA;
        *ret = atomic_load(&d->inputs[in]);
        return atomic_load(&d->out_of_range) & (1ULL << in) ? -ERANGE : 0;
}

static int mb_set_stop_handler(struct chair_driver *drv, chair_input_stop_fn fn, void *userdata) {
        struct modbus_driver *d = (struct modbus_driver *) drv;
        /* Set before the threads read anything that needs it: open() comes first, but the
         * router attaches right after, and a bus thread's first reading is a few ms away. */
        d->stop_userdata = userdata;
        __atomic_store_n(&d->stop, fn, __ATOMIC_RELEASE);
        return 0;
}

static void mb_renew_lease(struct chair_driver *drv, uint64_t until_ns) {
        atomic_store(&((struct modbus_driver *) drv)->lease_until_ns, until_ns);
}

static int mb_subscribe(struct chair_driver *drv, chair_input_changed_fn fn, void *userdata) {
        struct modbus_driver *d = (struct modbus_driver *) drv;
        d->notify = fn;
        d->notify_userdata = userdata;
        return 0;
}

static int mb_go_safe(struct chair_driver *drv) {
        struct modbus_driver *d = (struct modbus_driver *) drv;
        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++)
                if (d->map && d->map->outputs[o].backend == HW_BACKEND_MODBUS) {
                        atomic_store(&d->image[o], chair_output_info(o)->safe_value);
                        atomic_store(&d->dirty[o], true);
                }
        for (unsigned b = 0; b < d->n_buses; b++)
                if (d->buses[b].started) {
                        atomic_store(&d->buses[b].outputs_pending, true);
                        atomic_store(&d->buses[b].safe_pending, true);
                        wake(&d->buses[b]);
                }
        return 0;
}

static int mb_get_stats(struct chair_driver *drv, struct chair_driver_stats *ret) {
        struct modbus_driver *d = (struct modbus_driver *) drv;
        memset(ret, 0, sizeof *ret);
        ret->link_up = true;
        for (unsigned b = 0; b < d->n_buses; b++) {
                struct bus_worker *w = &d->buses[b];
                if (!w->started)
                        continue;
                ret->transactions += atomic_load(&w->transactions);
                ret->errors_timeout += atomic_load(&w->timeouts);
                ret->errors_crc += atomic_load(&w->crc);
                ret->errors_exception += atomic_load(&w->exceptions);
                ret->errors_invalid += atomic_load(&w->invalid);
                ret->reconnects += atomic_load(&w->reconnects);
                ret->link_up &= atomic_load(&w->link_up);
                ret->safe_written_ns = MAX(ret->safe_written_ns, atomic_load(&w->safe_written_ns));
        }
        return 0;
}

static void mb_close(struct chair_driver *drv) {
        struct modbus_driver *d = (struct modbus_driver *) drv;

        /* Leave the board safe: the last writes are the safe values. */
        mb_go_safe(drv);
        for (unsigned b = 0; b < d->n_buses; b++) {
                struct bus_worker *w = &d->buses[b];
                if (!w->started)
                        continue;
                atomic_store(&w->quit, true);
                wake(w);
                pthread_join(w->thread, NULL);
                close(w->wake_fd);
        }
        sd_event_source_disable_unref(d->event_source);
        if (d->event_fd >= 0)
                close(d->event_fd);
        free(d);
}

static const struct chair_driver_ops modbus_ops = {
        .name = "modbus",
        .open = mb_open,
        .set_output = mb_set_output,
        .flush = mb_flush,
        .read_input = mb_read_input,
        .subscribe = mb_subscribe,
        .go_safe = mb_go_safe,
        .get_stats = mb_get_stats,
        .set_idle = mb_set_idle,
        .set_stop_handler = mb_set_stop_handler,
        .renew_lease = mb_renew_lease,
        .close = mb_close,
};

int chair_driver_new_modbus(struct chair_driver **ret) {
        struct modbus_driver *d = calloc(1, sizeof *d);
        if (!d)
                return -ENOMEM;
        d->base.ops = &modbus_ops;
        d->base.backend = HW_BACKEND_MODBUS;
        d->event_fd = -1;
        *ret = &d->base;
        return 0;
}
