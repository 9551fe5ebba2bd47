/* SPDX-License-Identifier: MIT */
/*
 * The scheduler's one single-producer single-consumer ring, typed by a macro: every queue
 * between the event loop and the scheduler's thread (commands in, events out) is one of these.
 * One thread pushes, one other thread pops; neither locks, allocates or blocks.
 *
 * head and tail count up forever as unsigned ints and wrap at 2^32; the slot is the count modulo
 * SIZE, which stays continuous across that wrap only when SIZE divides 2^32: a power of two.
 *
 *     SPSC_RING_DEFINE(command_ring, struct command, 64);
 *     struct command_ring q = {};   (zeroed: empty)
 *     command_ring_push(&q, &c);    (producer: false when full)
 *     command_ring_pop(&q, &c);     (consumer: false when empty)
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>

#define SPSC_RING_DEFINE(name, type, size)                                                        \
        _Static_assert((size) > 0 && ((size) & ((size) - 1)) == 0,                                \
                       #name ": the size of a ring must be a power of two");                      \
        struct name {                                                                             \
                type items[size];                                                                 \
                atomic_uint head; /* written by the producer only */                             \
                atomic_uint tail; /* written by the consumer only */                             \
        };                                                                                        \
        enum { name##_SIZE = (size) };                                                            \
                                                                                                  \
        /* Entries queued now; exact from either side for its own end, a bound for the other. */ \
        static inline unsigned name##_count(struct name *r) {                                    \
                unsigned head = atomic_load_explicit(&r->head, memory_order_acquire);             \
                unsigned tail = atomic_load_explicit(&r->tail, memory_order_acquire);             \
                return head - tail;                                                               \
        }                                                                                         \
        static inline bool name##_empty(struct name *r) {                                        \
                return name##_count(r) == 0;                                                      \
        }                                                                                         \
        static inline bool name##_full(struct name *r) {                                         \
                return name##_count(r) >= (unsigned) (size);                                      \
        }                                                                                         \
        /* Producer only. The item is copied in before the consumer can see it. */               \
        static inline bool name##_push(struct name *r, const type *item) {                       \
                unsigned head = atomic_load_explicit(&r->head, memory_order_relaxed);             \
                unsigned tail = atomic_load_explicit(&r->tail, memory_order_acquire);             \
                if (head - tail >= (unsigned) (size))                                             \
                        return false;                                                             \
                r->items[head % (unsigned) (size)] = *item;                                       \
                atomic_store_explicit(&r->head, head + 1, memory_order_release);                  \
                return true;                                                                      \
        }                                                                                         \
        /* Consumer only. The slot is free for the producer once the copy is out. */             \
        static inline bool name##_pop(struct name *r, type *ret) {                               \
                unsigned tail = atomic_load_explicit(&r->tail, memory_order_relaxed);             \
                unsigned head = atomic_load_explicit(&r->head, memory_order_acquire);             \
                if (tail == head)                                                                 \
                        return false;                                                             \
                *ret = r->items[tail % (unsigned) (size)];                                        \
                atomic_store_explicit(&r->tail, tail + 1, memory_order_release);                  \
                return true;                                                                      \
        }                                                                                         \
        /* Consumer only: the i-th queued entry (0: the next pop), NULL past the last; it stays  \
         * queued. */                                                                             \
        static inline const type *name##_peek(struct name *r, unsigned i) {                      \
                unsigned tail = atomic_load_explicit(&r->tail, memory_order_relaxed);             \
                unsigned head = atomic_load_explicit(&r->head, memory_order_acquire);             \
                if (i >= head - tail)                                                             \
                        return NULL;                                                              \
                return &r->items[(tail + i) % (unsigned) (size)];                                 \
        }                                                                                         \
        struct name##_unused_ /* swallows the caller's semicolon */
