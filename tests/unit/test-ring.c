/* SPDX-License-Identifier: MIT */
/* The scheduler's one SPSC ring (daemon/scheduler/ring.h): empty, full, wrap of the slots and
 * of the counters, and a producer and a consumer on two threads: nothing lost, nothing
 * reordered, nothing torn. */
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "clock.h"
#include "scheduler/ring.h"

struct item {
        uint64_t seq;
        uint64_t check;     /* ~seq: a torn copy shows */
};

SPSC_RING_DEFINE(test_ring, struct item, 8);

static struct item item(uint64_t seq) {
        return (struct item) { seq, ~seq };
}

/* Starts the counters at `start`, as if that many items had gone through. */
static void ring_at(struct test_ring *r, unsigned start) {
        memset(r, 0, sizeof *r);
        atomic_store(&r->head, start);
        atomic_store(&r->tail, start);
}

static void test_empty_and_full(void **state) {
        struct test_ring r = {};
        struct item it;

        assert_int_equal(test_ring_SIZE, 8);
        assert_true(test_ring_empty(&r));
        assert_false(test_ring_full(&r));
        assert_false(test_ring_pop(&r, &it));
        assert_null(test_ring_peek(&r, 0));

        for (uint64_t i = 0; i < 8; i++) {
                assert_true(test_ring_push(&r, &(struct item) { i, ~i }));
                assert_int_equal(test_ring_count(&r), i + 1);
        }
        assert_true(test_ring_full(&r));
        /* Full: refused, and nothing queued is overwritten. */
        assert_false(test_ring_push(&r, &(struct item) { 99, ~99ULL }));
        assert_int_equal(test_ring_count(&r), 8);

        /* Peek looks without taking. */
        const struct item *first = test_ring_peek(&r, 0), *last = test_ring_peek(&r, 7);
        assert_non_null(first);
        assert_non_null(last);
        assert_int_equal(first ? first->seq : 99, 0);
        assert_int_equal(last ? last->seq : 99, 7);
        assert_null(test_ring_peek(&r, 8));
        assert_int_equal(test_ring_count(&r), 8);

        for (uint64_t i = 0; i < 8; i++) {
                assert_true(test_ring_pop(&r, &it));
                assert_int_equal(it.seq, i);
        }
        assert_true(test_ring_empty(&r));
        assert_false(test_ring_pop(&r, &it));
}

/* The slots wrap every SIZE items, the counters at 2^32: both keep the order. */
static void test_wrap(void **state) {
        static const unsigned starts[] = { 0, 5, UINT_MAX - 20, UINT_MAX - 3, UINT_MAX };
        struct test_ring r;
        struct item it;

        for (size_t k = 0; k < sizeof starts / sizeof starts[0]; k++) {
                uint64_t pushed = 0, popped = 0;

                ring_at(&r, starts[k]);
                /* Uneven batches so that every slot is reused at every fill level. */
                for (unsigned round = 0; round < 200; round++) {
                        unsigned in = round % 9, out = (round * 5) % 8 + 1;

                        for (unsigned i = 0; i < in; i++) {
                                struct item x = item(pushed);
                                if (!test_ring_push(&r, &x)) {
                                        assert_true(test_ring_full(&r));
                                        break;
                                }
                                pushed++;
                        }
                        assert_int_equal(test_ring_count(&r), pushed - popped);
                        assert_true(test_ring_count(&r) <= 8);
                        for (unsigned i = 0; i < out && test_ring_pop(&r, &it); i++) {
                                assert_int_equal(it.seq, popped);
                                assert_int_equal(it.check, ~popped);
                                popped++;
                        }
                }
                while (test_ring_pop(&r, &it))
                        assert_int_equal(it.seq, popped++);
                assert_int_equal(pushed, popped);
                assert_true(pushed > 100);
                assert_true(test_ring_empty(&r));
        }
}

#define N_ITEMS 200000
#define BOUND_NS (30 * NSEC_PER_SEC)  /* far above what it takes, even under ASan on a busy machine */

struct shared {
        struct test_ring ring;
        uint64_t deadline;
        atomic_bool timed_out;
};

static void *producer(void *userdata) {
        struct shared *sh = userdata;

        for (uint64_t i = 0; i < N_ITEMS; i++) {
                struct item x = item(i);
                while (!test_ring_push(&sh->ring, &x)) {
                        if (clock_ns(CLOCK_MONOTONIC) > sh->deadline) {
                                atomic_store(&sh->timed_out, true);
                                return NULL;
                        }
                        sched_yield();
                }
        }
        return NULL;
}

static void test_two_threads(void **state) {
        struct shared *sh = calloc(1, sizeof *sh);
        pthread_t t;
        uint64_t next = 0, bad = 0;
        unsigned full_seen = 0;

        assert_non_null(sh);
        ring_at(&sh->ring, UINT_MAX - 1000);   /* the counters wrap during the run */
        sh->deadline = clock_ns(CLOCK_MONOTONIC) + BOUND_NS;
        assert_int_equal(pthread_create(&t, NULL, producer, sh), 0);
        while (next < N_ITEMS && !atomic_load(&sh->timed_out)) {
                struct item it;

                if (test_ring_full(&sh->ring))
                        full_seen++;
                if (!test_ring_pop(&sh->ring, &it)) {
                        if (clock_ns(CLOCK_MONOTONIC) > sh->deadline)
                                break;
                        sched_yield();
                        continue;
                }
                if (it.seq != next || it.check != ~next)
                        bad++;
                next = it.seq + 1;
        }
        pthread_join(t, NULL);
        assert_false(atomic_load(&sh->timed_out));
        assert_int_equal(bad, 0);
        assert_int_equal(next, N_ITEMS);
        assert_true(test_ring_empty(&sh->ring));
        print_message("# %u items through a ring of 8; seen full %u times\n", N_ITEMS, full_seen);
        free(sh);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_empty_and_full),
                cmocka_unit_test(test_wrap),
                cmocka_unit_test(test_two_threads),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
