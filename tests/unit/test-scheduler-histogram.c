/* SPDX-License-Identifier: MIT */
/* The scheduler's lateness histograms (daemon/scheduler/histogram.h): bins that tile every
 * lateness within 1 %, and the percentile rule SchedulerStats and chairctl report. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "scheduler/histogram.h"

static void test_bins_tile(void **state) {
        assert_int_equal(latency_hist_bin_from_us(0), 0);
        for (unsigned i = 0; i < SCHED_HIST_BINS; i++) {
                uint64_t from = latency_hist_bin_from_us(i), to = latency_hist_bin_to_us(i);

                assert_true(to > from);
                assert_int_equal(latency_hist_bin_of(from), i);
                if (i + 1 < SCHED_HIST_BINS) {
                        assert_int_equal(latency_hist_bin_of(to - 1), i);
                        assert_int_equal(to, latency_hist_bin_from_us(i + 1));
                        /* 1 us bins below 1 ms (as cyclictest -h), within 1 % above. */
                        if (from < 1000)
                                assert_int_equal(to - from, 1);
                        else
                                assert_true((to - from) * 100 <= from);
                }
        }
        assert_int_equal(latency_hist_bin_to_us(SCHED_HIST_BINS - 1), UINT64_MAX);
        assert_int_equal(latency_hist_bin_of(100000), SCHED_HIST_BINS - 1);
        assert_int_equal(latency_hist_bin_of(UINT64_MAX), SCHED_HIST_BINS - 1);
}

static void test_record_and_summarize(void **state) {
        struct latency_hist *h = calloc(1, sizeof *h);
        struct latency_summary sum;

        assert_non_null(h);
        latency_hist_summarize(h, &sum);
        assert_int_equal(sum.count, 0);
        assert_int_equal(sum.p50_us, 0);
        assert_int_equal(sum.p99_us, 0);

        /* 1..100 us, recorded in ns (truncated to whole us). */
        for (uint64_t us = 1; us <= 100; us++)
                latency_hist_record(h, us * 1000 + 999);
        latency_hist_summarize(h, &sum);
        assert_int_equal(sum.count, 100);
        assert_int_equal(sum.p50_us, 50);
        assert_int_equal(sum.p99_us, 99);
        assert_int_equal(sum.max_us, 100);
        assert_int_equal(sum.over_1ms, 0);

        /* Above 1 ms: a percentile is the largest whole us of its bin, never above the max. */
        memset(h, 0, sizeof *h);
        latency_hist_record(h, 1234 * 1000ULL);
        latency_hist_summarize(h, &sum);
        assert_int_equal(sum.p50_us, 1234);
        assert_int_equal(sum.over_1ms, 1);
        latency_hist_record(h, 1236 * 1000ULL);
        latency_hist_record(h, 1000 * 1000ULL);   /* exactly 1 ms is not over it */
        latency_hist_summarize(h, &sum);
        assert_int_equal(sum.over_1ms, 2);
        assert_int_equal(sum.max_us, 1236);
        assert_int_equal(sum.p50_us, 1236);      /* the bin [1230, 1240), capped at the max */

        /* The last bin takes everything later, whatever the size. */
        latency_hist_record(h, UINT64_MAX);
        latency_hist_summarize(h, &sum);
        assert_int_equal(sum.max_us, UINT64_MAX / 1000);
        assert_int_equal(sum.count, 4);

        struct scheduler_hist_bin *bins = calloc(SCHED_HIST_BINS, sizeof *bins);
        assert_non_null(bins);
        assert_int_equal(latency_hist_bins(h, bins), 3);
        assert_int_equal(bins[0].from_us, 1000);
        assert_int_equal(bins[0].count, 1);
        assert_int_equal(bins[1].from_us, 1230);
        assert_int_equal(bins[1].to_us, 1240);
        assert_int_equal(bins[1].count, 2);
        assert_int_equal(bins[2].to_us, UINT64_MAX);
        free(bins);
        free(h);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bins_tile),
                cmocka_unit_test(test_record_and_summarize),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
