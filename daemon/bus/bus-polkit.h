/* SPDX-License-Identifier: MIT */
/*
 * Authorization of the guarded members (the technicians' interface, the person's health data)
 * through polkit, asynchronously, on the caller's bus name; where polkit is absent, root and
 * the chairtech group as the bus reports the caller.
 *
 * As systemd's bus-polkit: the first dispatch of a call asks polkitd and is interrupted (the
 * handler returns 1, nothing is replied); when polkitd answers, the very same message is
 * dispatched again and the check returns the answer kept for that message alone. polkitd's
 * answers are never kept across calls. Two facts are: that polkitd is absent (the bus said its
 * name has no owner and cannot be activated), until the bus says the name has an owner; and,
 * while it is absent, each caller's credentials as the bus reports them (asked asynchronously
 * once), until the bus says that unique name is gone. The event loop never waits for either.
 */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

struct bus_polkit;

#define BUS_POLKIT_ACTION_PREFIX "org.massagechair.Chair1."
/* Pending checks at most, overall and per caller (one bus name): past them a call is refused
 * with org.freedesktop.DBus.Error.LimitsExceeded, so no client can flood polkitd through us. */
#define BUS_POLKIT_MAX_PENDING 64
#define BUS_POLKIT_MAX_PENDING_PER_CALLER 8
/* Callers whose credentials are kept while polkit is absent (each a match rule on the bus):
 * past it the least recently used makes room. */
#define BUS_POLKIT_MAX_CALLERS 128
/* How long polkitd may take (an interactive check waits for a person typing a password). */
#define BUS_POLKIT_TIMEOUT_USEC (25ULL * 1000000ULL)
#define BUS_POLKIT_INTERACTIVE_TIMEOUT_USEC (120ULL * 1000000ULL)

/* Adds the filter that guards property reads (Get, GetAll) of guarded properties. */
int bus_polkit_new(sd_bus *bus, struct bus_polkit **ret);
struct bus_polkit *bus_polkit_free(struct bus_polkit *p);

/* The polkit action id of a guarded member or property (interface may be NULL: member names
 * are unique across our interfaces); NULL when the member is open to everyone. */
const char *bus_polkit_action(const char *interface, const char *member);

/* Checks the call m for its member's action. 1: authorized, go on. 0: polkitd was asked, the
 * handler returns 1 and m is dispatched again with the answer. < 0: refused (AccessDenied,
 * LimitsExceeded) or failed, with *error set. */
int bus_polkit_authorize(struct bus_polkit *p, sd_bus_message *m, sd_bus_error *error);

/* As bus_polkit_authorize when NEEDED, else 1 (go on) without asking anyone: a member whose
 * check depends on its arguments (loosening a person's limits) reads and bounds them first,
 * decides, then calls this. Every dispatch decides again, the one after polkit's answer too. */
int bus_polkit_authorize_if(struct bus_polkit *p, sd_bus_message *m, bool needed, sd_bus_error *error);

/* Whether this dispatch of m was authorized (for a property getter, behind the filter). */
bool bus_polkit_authorized(struct bus_polkit *p, sd_bus_message *m);

/* The first lines of a handler of a guarded member. */
#define BUS_POLKIT_REQUIRE(p, m, error)                                  \
        do {                                                             \
                int _r = bus_polkit_authorize(p, m, error);              \
                if (_r <= 0)                                             \
                        return _r < 0 ? _r : 1;                          \
        } while (0)
/* The same, after the arguments are read, when NEEDED (bus_polkit_authorize_if). */
#define BUS_POLKIT_REQUIRE_IF(p, m, needed, error)                       \
        do {                                                             \
                int _r = bus_polkit_authorize_if(p, m, needed, error);   \
                if (_r <= 0)                                             \
                        return _r < 0 ? _r : 1;                          \
        } while (0)
