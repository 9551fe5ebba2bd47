/* SPDX-License-Identifier: MIT */
/*
 * The scheduler's lateness histograms (SCHED_HIST_BINS fixed bins: 1 us below 1 ms as
 * cyclictest -h, then within 1 % of their values). The scheduler's thread records with a few
 * atomic operations and no lock; the event loop reads a summary or the bins at any time.
 */
#pragma once

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "scheduler.h"

/* Zeroed: empty. Written by one thread, read by any. */
struct latency_hist {
        _Atomic uint32_t bins[SCHED_HIST_BINS];
        _Atomic uint64_t count, over_1ms, max_us;
};

struct latency_summary {
        uint64_t count;
        uint64_t p50_us, p99_us, max_us;
        uint64_t over_1ms;
};

/* The bin that holds a lateness in us, and the bin's range [from, to) (to: UINT64_MAX for the
 * last bin). */
unsigned latency_hist_bin_of(uint64_t us);
uint64_t latency_hist_bin_from_us(unsigned bin);
uint64_t latency_hist_bin_to_us(unsigned bin);

/* One sample (writer only). */
void latency_hist_record(struct latency_hist *h, uint64_t late_ns);
/* Percentiles are the largest whole microsecond of the bin that holds them, never more than the
 * maximum. */
void latency_hist_summarize(const struct latency_hist *h, struct latency_summary *ret);
/* The non-empty bins, lowest first, into ret (room for SCHED_HIST_BINS); returns how many. */
size_t latency_hist_bins(const struct latency_hist *h, struct scheduler_hist_bin *ret);
