/* SPDX-License-Identifier: MIT */
#include <stdbool.h>

#include "macro.h"
#include "scheduler/histogram.h"

/* A width per decade, so every bin is within 1 % of its values. */
unsigned latency_hist_bin_of(uint64_t us) {
        if (us < 1000)
                return (unsigned) us;
        if (us < 10000)
                return 1000 + (unsigned) ((us - 1000) / 10);
        if (us < 100000)
                return 1900 + (unsigned) ((us - 10000) / 100);
        return SCHED_HIST_BINS - 1;
}

uint64_t latency_hist_bin_from_us(unsigned bin) {
        if (bin < 1000)
                return bin;
        if (bin < 1900)
                return 1000 + (uint64_t) (bin - 1000) * 10;
        return 10000 + (uint64_t) (bin - 1900) * 100;
}

uint64_t latency_hist_bin_to_us(unsigned bin) {
        return bin >= SCHED_HIST_BINS - 1 ? UINT64_MAX : latency_hist_bin_from_us(bin + 1);
}

void latency_hist_record(struct latency_hist *h, uint64_t late_ns) {
        uint64_t us = late_ns / 1000;

        atomic_fetch_add(&h->bins[latency_hist_bin_of(us)], 1);
        atomic_fetch_add(&h->count, 1);
        if (us > 1000)
                atomic_fetch_add(&h->over_1ms, 1);
        if (us > atomic_load(&h->max_us))
                atomic_store(&h->max_us, us);
}

void latency_hist_summarize(const struct latency_hist *h, struct latency_summary *ret) {
        uint32_t bins[SCHED_HIST_BINS];
        uint64_t total = 0, acc = 0;
        bool have_p50 = false;

        for (unsigned i = 0; i < SCHED_HIST_BINS; i++)
                total += bins[i] = atomic_load(&h->bins[i]);
        *ret = (struct latency_summary) {
                .count = total,
                .max_us = atomic_load(&h->max_us),
                .over_1ms = atomic_load(&h->over_1ms),
        };
        for (unsigned i = 0; total && i < SCHED_HIST_BINS; i++) {
                acc += bins[i];
                if (!have_p50 && acc * 2 >= total) {
                        ret->p50_us = MIN(latency_hist_bin_to_us(i) - 1, ret->max_us);
                        have_p50 = true;
                }
                if (acc * 100 >= total * 99) {
                        ret->p99_us = MIN(latency_hist_bin_to_us(i) - 1, ret->max_us);
                        break;
                }
        }
}

size_t latency_hist_bins(const struct latency_hist *h, struct scheduler_hist_bin *ret) {
        size_t n = 0;

        for (unsigned i = 0; i < SCHED_HIST_BINS; i++) {
                uint32_t count = atomic_load(&h->bins[i]);
                if (count)
                        ret[n++] = (struct scheduler_hist_bin) { latency_hist_bin_from_us(i), latency_hist_bin_to_us(i), count };
        }
        return n;
}
