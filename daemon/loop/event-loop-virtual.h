/* SPDX-License-Identifier: MIT */
/*
 * The virtual backend of event-loop.h: time moves only when the loop runs out of work, from one
 * timer to the next. A pass runs the most important pending source: triggered defers, readable
 * fds (poll(fd, 0) each pass, so an eventfd written by a callback is seen at once) and due
 * timers. No thread, no real clock: a run is deterministic.
 */
#pragma once

#include "event-loop.h"

/* Virtual CLOCK_MONOTONIC starts at start_usec (not 0: "0" means "never" to some callers). */
int event_loop_virtual_new(uint64_t start_usec, struct event_loop **ret);
/* Runs every pass due up to and including until_usec, then leaves the clock there. Returns
 * the number of callbacks run, or -ELOOP when more than max_passes ran at one instant (a
 * source that never lets time move). */
int64_t event_loop_virtual_run_until(struct event_loop *l, uint64_t until_usec);
/* Called after every callback the loop runs (the harness services the scheduler there, as the
 * scheduler's thread wakes at every command pushed). */
void event_loop_virtual_set_post(struct event_loop *l, void (*fn)(void *userdata), void *userdata);
/* The time of the earliest armed timer, UINT64_MAX none. */
uint64_t event_loop_virtual_next(struct event_loop *l);
