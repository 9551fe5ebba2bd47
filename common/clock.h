/* SPDX-License-Identifier: MIT */
/* The one clock helper: a clock read as microseconds or nanoseconds. */
#pragma once

#include <stdint.h>
#include <time.h>

#include "macro.h"

static inline uint64_t clock_ns(clockid_t clock) {
        struct timespec ts;
        clock_gettime(clock, &ts);
        return (uint64_t) ts.tv_sec * NSEC_PER_SEC + (uint64_t) ts.tv_nsec;
}

static inline uint64_t clock_usec(clockid_t clock) {
        return clock_ns(clock) / NSEC_PER_USEC;
}

static inline uint64_t clock_msec(clockid_t clock) {
        return clock_usec(clock) / USEC_PER_MSEC;
}
