/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdint.h>
#include <systemd/sd-bus.h>

#include "bus-errors.h"

/* Replies "()" when r >= 0; otherwise passes r up, with the named error the callee set. */
static inline int reply_or_error(sd_bus_message *m, int r) {
        return r < 0 ? r : sd_bus_reply_method_return(m, NULL);
}

/* Replies "()" to a core call that succeeded; otherwise the named error for its reason. */
static inline int reply_core(sd_bus_message *m, sd_bus_error *error, int r, const struct chair_error *e) {
        return r < 0 ? bus_error_from_chair(error, r, e) : sd_bus_reply_method_return(m, NULL);
}

/* A method's reply with its one outer container open, and its end: the container closed and
 * the reply sent. */
static inline int reply_open(sd_bus_message *m, sd_bus_message **ret, char type, const char *contents) {
        int r = sd_bus_message_new_method_return(m, ret);
        if (r < 0)
                return r;
        return sd_bus_message_open_container(*ret, type, contents);
}

static inline int reply_close_and_send(sd_bus_message *reply) {
        int r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* A property's value now as a hash of what its getter appends, so that a change mark whose
 * value did not change announces nothing (the people's objects, and chair-object.c's rows
 * without a typed value). */
int bus_property_value_hash(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_property_get_t get, void *userdata, uint64_t *ret);

/* Each row of an object's change table (ROWS: N structs of STRIDE bytes whose first member is
 * the property's name) gets its vtable getter in GET; and every property of VTABLE that says it
 * emits changes must have a row. -EINVAL, logged naming WHAT, otherwise. */
int bus_resolve_getters(const sd_bus_vtable *vtable, const void *rows, size_t n, size_t stride,
                        sd_bus_property_get_t *get, const char *what);
