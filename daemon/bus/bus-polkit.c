/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "bus-polkit.h"
#include "chair-bus-names.h"
#include "log.h"
#include "macro.h"

#define TECHNICIAN_GROUP "chairtech"
#define ACTION(name) BUS_POLKIT_ACTION_PREFIX name
#define POLKIT_BUS_NAME "org.freedesktop.PolicyKit1"
/* A row's kind besides false (a method) and true (a property: its Get, and GetAll of its
 * interface): a property GetAll leaves out (SD_BUS_VTABLE_PROPERTY_EXPLICIT), only its Get. */
#define GUARD_EXPLICIT 2

/* The one table from a guarded member to its polkit action; systemd/org.massagechair.Chair1.policy
 * declares each action (tests/integration/test_polkit.py checks the two against each other). */
static const struct {
        const char *interface;
        const char *member;
        const char *action;
        uint8_t property; /* false, true or GUARD_EXPLICIT */
} guarded[] = {
        { CHAIR_SERVICE_INTERFACE, "ReloadProfiles", ACTION("reload-profiles"), false },
        { CHAIR_SERVICE_INTERFACE, "UploadProfile", ACTION("upload-profile"), false },
        { CHAIR_SERVICE_INTERFACE, "ClearFault", ACTION("clear-fault"), false },
        { CHAIR_SERVICE_INTERFACE, "GetDiagnostics", ACTION("get-diagnostics"), false },
        { CHAIR_SERVICE_INTERFACE, "GetLatencyHistogram", ACTION("get-latency-histogram"), false },
        { CHAIR_SERVICE_INTERFACE, "InjectFault", ACTION("inject-fault"), false },
        { CHAIR_SERVICE_INTERFACE, "SimSetOccupant", ACTION("sim-set-occupant"), false },
        { CHAIR_SERVICE_INTERFACE, "PressKey", ACTION("press-key"), false },
        { CHAIR_SERVICE_INTERFACE, "Calibrate", ACTION("calibrate"), false },
        { CHAIR_SERVICE_INTERFACE, "SetDefaultTimer", ACTION("set-default-timer"), false },
        { CHAIR_SERVICE_INTERFACE, "TestOutput", ACTION("test-output"), false },
        /* The interface's only property: GetAll of the interface needs this action too. */
        { CHAIR_SERVICE_INTERFACE, "SchedulerStats", ACTION("read-scheduler-stats"), true },
        /* The person's health data: the sessions with their pain ratings. */
        { CHAIR_INTERFACE, "GetHistory", ACTION("read-health"), false },
        /* The active person's conditions: Get only (not in GetAll, PROPERTY_EXPLICIT). */
        { CHAIR_INTERFACE, "Precautions", ACTION("read-health"), GUARD_EXPLICIT },
        { CHAIR_PERSON_INTERFACE, "GetConditions", ACTION("read-health"), false },
        { CHAIR_PERSON_INTERFACE, "GetAssessment", ACTION("read-health"), false },
        { CHAIR_PERSON_INTERFACE, "GetHistory", ACTION("read-health"), false },
        { CHAIR_PERSON_INTERFACE, "GetSummary", ACTION("read-health"), false },
        { CHAIR_PERSON_INTERFACE, "RecommendPrograms", ACTION("read-health"), false },
        /* Loosening a person's limits (the handler decides from the arguments it has read,
         * bus_polkit_authorize_if: tightening asks nobody), renaming or deleting a person. */
        { CHAIR_INTERFACE, "SetPrecautions", ACTION("manage-people"), false },
        { CHAIR_PERSON_INTERFACE, "SetConditions", ACTION("manage-people"), false },
        { CHAIR_PERSON_INTERFACE, "SetCaps", ACTION("manage-people"), false },
        { CHAIR_PERSON_INTERFACE, "Rename", ACTION("manage-people"), false },
        { CHAIR_PERSON_INTERFACE, "Delete", ACTION("manage-people"), false },
        /* A companion app's program for one person. */
        { CHAIR_PERSON_INTERFACE, "InstallProgram", ACTION("install-person-program"), false },
        { CHAIR_PERSON_INTERFACE, "RemoveProgram", ACTION("install-person-program"), false },
};

enum verdict {
        VERDICT_PENDING,     /* polkitd asked */
        VERDICT_CREDENTIALS, /* polkitd absent: waiting for the caller's credentials */
        VERDICT_ALLOWED,
        VERDICT_DENIED,
        VERDICT_FALLBACK, /* polkitd absent (or gone): the group decides */
        VERDICT_FAILED,   /* error holds why */
};

struct query {
        struct query *next, *prev;
        struct bus_polkit *owner;
        sd_bus_message *request;
        const char *action; /* from guarded[] */
        sd_bus_slot *slot;  /* the pending CheckAuthorization */
        sd_event_source *defer;
        enum verdict verdict;
        unsigned generation; /* of polkit's owner when asked */
        sd_bus_error error;
};

enum watch {
        WATCH_PENDING, /* the match's AddMatch not answered yet */
        WATCH_ON,
        WATCH_FAILED,
};

/* What the bus reported for one caller (its unique name), kept until dbus-daemon says the name
 * is gone: a unique name is never given to another connection, and the credentials are those
 * dbus-daemon took when the caller connected, so they cannot change while it is kept. */
struct caller {
        struct caller *next, *prev; /* most recently used first */
        struct bus_polkit *owner;
        char *name;
        sd_bus_slot *match; /* NameOwnerChanged(name, name, "") */
        sd_bus_slot *ask;   /* the pending GetConnectionCredentials */
        enum watch watch;
        bool known;
        bool technician; /* root, or a member of chairtech when the credentials came */
};

struct bus_polkit {
        sd_bus *bus;
        sd_bus_slot *filter;
        struct query *queries;
        /* polkitd's absence, as the bus said it (no owner, cannot be activated), kept until the
         * bus says org.freedesktop.PolicyKit1 has an owner; the generation counts its owner's
         * changes, so an answer asked before one is not kept. */
        sd_bus_slot *polkit_watch;
        enum watch polkit_watched;
        bool polkit_absent;
        unsigned polkit_generation;
        struct caller *callers;
        unsigned n_callers;
        sd_bus_message *decided; /* the call the group let in at once, for bus_polkit_authorized */
};

/* member NULL: any property of the interface that GetAll returns. */
static const char *find_action(const char *interface, const char *member, bool property) {
        for (size_t i = 0; i < ARRAY_SIZE(guarded); i++)
                if ((guarded[i].property != false) == property && (member || guarded[i].property != GUARD_EXPLICIT) &&
                    (!member || strcmp(guarded[i].member, member) == 0) &&
                    (!interface || strcmp(guarded[i].interface, interface) == 0))
                        return guarded[i].action;
        return NULL;
}

const char *bus_polkit_action(const char *interface, const char *member) {
        const char *action = member ? find_action(interface, member, false) : NULL;
        return action || !member ? action : find_action(interface, member, true);
}

static struct query *query_free(struct query *q) {
        if (!q)
                return NULL;
        if (q->prev)
                q->prev->next = q->next;
        else if (q->owner && q->owner->queries == q)
                q->owner->queries = q->next;
        if (q->next)
                q->next->prev = q->prev;
        sd_bus_slot_unref(q->slot);
        sd_event_source_disable_unref(q->defer);
        sd_bus_message_unref(q->request);
        sd_bus_error_free(&q->error);
        free(q);
        return NULL;
}

static struct query *query_find(struct bus_polkit *p, sd_bus_message *m) {
        for (struct query *q = p->queries; q; q = q->next)
                if (q->request == m)
                        return q;
        return NULL;
}

/* A{sv}'s "UnixGroupIDs" value: the variant's au, in the reply's own memory. */
static int read_group_ids(sd_bus_message *reply, const uint32_t **ret_gids, size_t *ret_size) {
        int r;

        r = sd_bus_message_enter_container(reply, 'v', "au");
        if (r < 0)
                return r;
        r = sd_bus_message_read_array(reply, 'u', (const void **) ret_gids, ret_size);
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(reply);
}

/* GetConnectionCredentials' a{sv}: the user (-ENODATA without one) and the groups. */
static int read_credentials(sd_bus_message *reply, uint32_t *ret_uid, const uint32_t **ret_gids,
                            size_t *ret_gids_size) {
        bool have_uid = false;
        const char *key;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                r = sd_bus_message_read_basic(reply, 's', &key);
                if (r < 0)
                        return r;
                if (strcmp(key, "UnixUserID") == 0) {
                        r = sd_bus_message_read(reply, "v", "u", ret_uid);
                        have_uid = r >= 0;
                } else if (strcmp(key, "UnixGroupIDs") == 0)
                        r = read_group_ids(reply, ret_gids, ret_gids_size);
                else
                        r = sd_bus_message_skip(reply, "v");
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return have_uid ? 0 : -ENODATA;
}

/* Root, or a member of chairtech. */
static bool is_technician(uint32_t uid, const uint32_t *gids, size_t gids_size) {
        struct group *g;

        if (uid == 0)
                return true;
        g = getgrnam(TECHNICIAN_GROUP);
        for (size_t i = 0; g && i < gids_size / sizeof *gids; i++)
                if (gids[i] == g->gr_gid)
                        return true;
        return false;
}

/* Idle priority: after the message dispatched again has been handled. */
static int on_query_done(sd_event_source *s, void *userdata) {
        query_free(userdata);
        return 0;
}

/* Dispatches the call again from the start, now that q has its answer, so the handler sees the
 * object as it is now. */
static void query_resume(struct query *q) {
        sd_bus *bus = sd_bus_message_get_bus(q->request);
        int r;

        r = sd_event_add_defer(sd_bus_get_event(bus), &q->defer, on_query_done, q);
        if (r < 0)
                goto fail;
        r = sd_event_source_set_priority(q->defer, SD_EVENT_PRIORITY_IDLE);
        if (r < 0)
                goto fail;
        r = sd_bus_message_rewind(q->request, true);
        if (r < 0)
                goto fail;
        r = sd_bus_enqueue_for_read(bus, q->request);
        if (r < 0)
                goto fail;
        return;
fail:
        log_warning_errno(r, "Failed to resume a call after its authorization: %m");
        sd_bus_reply_method_errno(q->request, r, NULL);
        query_free(q);
}

/* The group's answer for q (polkitd absent): known says whether the caller's credentials are. */
static void query_decide(struct query *q, bool known, bool technician) {
        if (known && technician) {
                q->verdict = VERDICT_ALLOWED;
                return;
        }
        q->verdict = VERDICT_DENIED;
        sd_bus_error_set(&q->error, SD_BUS_ERROR_ACCESS_DENIED,
                         known ? "Only root and members of the " TECHNICIAN_GROUP " group may do this (polkit is not running)"
                               : "Cannot establish the caller's credentials");
}

/* ---- the callers' credentials, while polkitd is absent ---- */

static struct caller *caller_find(struct bus_polkit *p, const char *name) {
        for (struct caller *c = p->callers; c; c = c->next)
                if (strcmp(c->name, name) == 0)
                        return c;
        return NULL;
}

static void caller_unlink(struct caller *c) {
        struct bus_polkit *p = c->owner;

        if (c->prev)
                c->prev->next = c->next;
        else if (p->callers == c)
                p->callers = c->next;
        if (c->next)
                c->next->prev = c->prev;
        c->next = c->prev = NULL;
}

static void caller_push(struct caller *c) {
        struct bus_polkit *p = c->owner;

        c->next = p->callers;
        if (p->callers)
                p->callers->prev = c;
        p->callers = c;
}

static struct caller *caller_free(struct caller *c) {
        if (!c)
                return NULL;
        caller_unlink(c);
        c->owner->n_callers--;
        sd_bus_slot_unref(c->match);
        sd_bus_slot_unref(c->ask);
        free(c->name);
        free(c);
        return NULL;
}

/* Answers and resumes every call of this caller that waits for its credentials. */
static void caller_settle(struct caller *c) {
        struct query *next;

        for (struct query *q = c->owner->queries; q; q = next) {
                const char *s = sd_bus_message_get_sender(q->request);
                next = q->next;
                if (q->verdict != VERDICT_CREDENTIALS || !s || strcmp(s, c->name) != 0)
                        continue;
                query_decide(q, c->known, c->technician);
                query_resume(q);
        }
}

static int on_caller_watched(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        struct caller *c = userdata;

        c->watch = sd_bus_message_is_method_error(m, NULL) ? WATCH_FAILED : WATCH_ON;
        if (c->watch == WATCH_FAILED)
                log_debug("polkit absent: cannot watch %s, its credentials are asked per call: %s", c->name,
                          sd_bus_message_get_error(m)->message ?: sd_bus_message_get_error(m)->name);
        return 0;
}

static int on_caller_gone(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        struct caller *c = userdata;
        const char *name, *old, *owner;

        if (sd_bus_message_read(m, "sss", &name, &old, &owner) < 0 || *owner || strcmp(name, c->name) != 0)
                return 0;
        log_debug("polkit absent: %s disconnected, its credentials dropped.", c->name);
        c->known = false; /* a call still waiting for them is refused */
        caller_settle(c);
        caller_free(c);
        return 0;
}

/* dbus-daemon's GetConnectionCredentials (UnixUserID, UnixGroupIDs: what it took from the socket
 * when the caller connected), never augmented from /proc, where a reused PID could lend another
 * process's groups. sd_bus_query_sender_creds() cannot serve here: libsystemd (252) drops
 * UnixGroupIDs from that reply and would read the groups from /proc. */
static int on_credentials(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        struct caller *c = userdata;
        const uint32_t *gids = NULL;
        size_t gids_size = 0;
        uint32_t uid = UINT32_MAX;
        int r;

        c->ask = sd_bus_slot_unref(c->ask);
        if (sd_bus_message_is_method_error(reply, NULL)) {
                const sd_bus_error *e = sd_bus_message_get_error(reply);
                log_debug("GetConnectionCredentials(%s) failed: %s", c->name, e->message ?: e->name);
        } else if ((r = read_credentials(reply, &uid, &gids, &gids_size)) < 0)
                log_debug("GetConnectionCredentials(%s): unreadable reply: %s", c->name, strerror(-r));
        else {
                c->known = true;
                c->technician = is_technician(uid, gids, gids_size);
        }
        caller_settle(c);
        /* Kept only while the bus will say when the name goes. */
        if (!c->known || c->watch != WATCH_ON)
                caller_free(c);
        return 0;
}

#define NAME_OWNER_CHANGED_MATCH                                                                        \
        "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"                     \
        "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='"

/* Watches the caller's name first, then asks for its credentials: the bus answers in order, so
 * a caller that disconnects after it answered is always seen going. */
static int caller_new(struct bus_polkit *p, const char *name) {
        char match[sizeof NAME_OWNER_CHANGED_MATCH + 256 + 2];
        struct caller *c;
        int r;

        /* A unique name (the bus sets the sender): nothing in it can end the match's quotes. */
        if (name[0] != ':' || strlen(name) > 255 ||
            name[strspn(name, ":.-_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")] != '\0')
                return -EINVAL;
        /* Full: the least recently used caller whose credentials are known makes room (at most
         * BUS_POLKIT_MAX_PENDING are being asked, fewer than the room). */
        if (p->n_callers >= BUS_POLKIT_MAX_CALLERS) {
                struct caller *last = p->callers;
                while (last && last->next)
                        last = last->next;
                while (last && last->ask)
                        last = last->prev;
                if (!last)
                        return -EBUSY;
                log_debug("polkit absent: %s's credentials dropped to make room.", last->name);
                caller_free(last);
        }
        c = calloc(1, sizeof *c);
        if (!c)
                return -ENOMEM;
        *c = (struct caller) { .owner = p, .name = strdup(name), .watch = WATCH_PENDING };
        p->n_callers++;
        caller_push(c);
        if (!c->name) {
                caller_free(c);
                return -ENOMEM;
        }
        snprintf(match, sizeof match, NAME_OWNER_CHANGED_MATCH "%s'", name);
        r = sd_bus_add_match_async(p->bus, &c->match, match, on_caller_gone, on_caller_watched, c);
        if (r >= 0)
                r = sd_bus_call_method_async(p->bus, &c->ask, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                             "org.freedesktop.DBus", "GetConnectionCredentials", on_credentials, c,
                                             "s", name);
        if (r < 0) {
                caller_free(c);
                return r;
        }
        log_debug("polkit absent: asking the bus for the credentials of %s.", name);
        return 0;
}

/* polkitd absent, the group decides q: at once (1) when the caller's credentials are kept,
 * otherwise once the bus has reported them (0). */
static int query_fallback(struct query *q) {
        const char *sender = sd_bus_message_get_sender(q->request);
        struct caller *c = sender ? caller_find(q->owner, sender) : NULL;
        int r;

        if (c && c->known) {
                caller_unlink(c);
                caller_push(c);
                query_decide(q, true, c->technician);
                return 1;
        }
        q->verdict = VERDICT_CREDENTIALS;
        if (c)
                return 0; /* asked already for another call */
        r = sender ? caller_new(q->owner, sender) : -EINVAL;
        if (r < 0) {
                query_decide(q, false, false);
                return 1;
        }
        return 0;
}

/* ---- polkitd ---- */

/* Errors that mean nobody answers for polkit: not installed or not running and not activatable
 * (dbus-daemon's Spawn.* errors, or systemd's own when the unit is masked or missing), crashed
 * while asked (the bus's NoReply), or silent past the timeout (sd-bus's NoReply). *ret_kept:
 * the bus itself said the name has no owner and cannot get one by activation, which holds
 * until the name gets an owner. */
static bool polkit_absent(sd_bus_message *reply, bool *ret_kept) {
        static const char *const prefixes[] = { "org.freedesktop.DBus.Error.Spawn.", "org.freedesktop.systemd1." };
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        const char *sender = sd_bus_message_get_sender(reply);
        bool from_bus = sender && strcmp(sender, "org.freedesktop.DBus") == 0, none = false;

        *ret_kept = false;
        if (sd_bus_error_has_names(e, SD_BUS_ERROR_NO_REPLY, SD_BUS_ERROR_DISCONNECTED))
                return true;
        none = sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER);
        for (size_t i = 0; e->name && !none && i < ARRAY_SIZE(prefixes); i++)
                none = strncmp(e->name, prefixes[i], strlen(prefixes[i])) == 0;
        *ret_kept = none && from_bus;
        return none;
}

/* Returns whether polkitd was absent for q (q->verdict VERDICT_FALLBACK). */
static int read_verdict(sd_bus_message *reply, struct query *q) {
        int authorized = 0, challenge = 0, r;

        if (sd_bus_message_is_method_error(reply, NULL)) {
                const sd_bus_error *e = sd_bus_message_get_error(reply);
                bool kept;
                if (polkit_absent(reply, &kept)) {
                        struct bus_polkit *p = q->owner;
                        log_debug("polkit did not answer for %s (%s): the group decides.", q->action, e->name);
                        q->verdict = VERDICT_FALLBACK;
                        /* Kept while the bus will say when polkit's name gets an owner, and only
                         * if it did not get one since this was asked. */
                        if (kept && !p->polkit_absent && p->polkit_watched == WATCH_ON &&
                            q->generation == p->polkit_generation) {
                                log_debug("polkit absent: the group decides until %s has an owner.",
                                          POLKIT_BUS_NAME);
                                p->polkit_absent = true;
                        }
                        return 0;
                }
                /* Refused, and said where an administrator looks (a policy without this
                 * daemon's user as the actions' owner gets NotAuthorized here). */
                log_warning("polkit refused to check %s: %s: %s", q->action, e->name, e->message ? e->message : "");
                q->verdict = VERDICT_FAILED;
                return sd_bus_error_setf(&q->error, SD_BUS_ERROR_ACCESS_DENIED, "polkit could not check %s: %s",
                                         q->action, e->message ? e->message : e->name);
        }
        r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
        if (r >= 0)
                r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
        if (r < 0) {
                q->verdict = VERDICT_FAILED;
                return sd_bus_error_setf(&q->error, SD_BUS_ERROR_ACCESS_DENIED, "polkit's answer for %s is unreadable",
                                         q->action);
        }
        q->verdict = authorized ? VERDICT_ALLOWED : VERDICT_DENIED;
        if (!authorized)
                sd_bus_error_setf(&q->error, SD_BUS_ERROR_ACCESS_DENIED,
                                  challenge ? "Not authorized for %s without authentication (call with interactive authorization allowed)"
                                            : "Not authorized for %s",
                                  q->action);
        return 0;
}

static int on_check_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        struct query *q = userdata;

        q->slot = sd_bus_slot_unref(q->slot);
        read_verdict(reply, q);
        /* Without polkit, the call waits for its caller's credentials if they are not kept. */
        if (q->verdict == VERDICT_FALLBACK && query_fallback(q) == 0)
                return 0;
        query_resume(q);
        return 0;
}

static int on_polkit_watched(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        struct bus_polkit *p = userdata;

        p->polkit_watched = sd_bus_message_is_method_error(m, NULL) ? WATCH_FAILED : WATCH_ON;
        if (p->polkit_watched == WATCH_FAILED)
                log_debug("Cannot watch %s: polkit is asked on every call.", POLKIT_BUS_NAME);
        return 0;
}

static int on_polkit_owner(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        struct bus_polkit *p = userdata;
        const char *name, *old, *owner;

        if (sd_bus_message_read(m, "sss", &name, &old, &owner) < 0 || strcmp(name, POLKIT_BUS_NAME) != 0)
                return 0;
        p->polkit_generation++;
        if (*owner && p->polkit_absent) {
                log_debug("%s has an owner (%s): polkit is asked again.", POLKIT_BUS_NAME, owner);
                p->polkit_absent = false;
        }
        return 0;
}

static int verdict_of(struct query *q, const char *action, sd_bus_error *error) {
        /* The same message dispatched for another action gets no answer given for the first. */
        if (strcmp(q->action, action) != 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED, "Not authorized for %s", action);
        switch (q->verdict) {
        case VERDICT_ALLOWED:
                return 1;
        case VERDICT_PENDING:
        case VERDICT_CREDENTIALS:
        case VERDICT_FALLBACK:
                /* Cannot happen (sent again only when answered); never let it through. */
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED, "The check for %s is still pending", action);
        case VERDICT_DENIED:
        case VERDICT_FAILED:
        default:
                return sd_bus_error_copy(error, &q->error);
        }
}

static int authorize_action(struct bus_polkit *p, sd_bus_message *m, const char *action, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        unsigned pending = 0, mine = 0;
        const char *sender;
        struct caller *c;
        struct query *q;
        int interactive, r;

        q = query_find(p, m);
        if (q)
                return verdict_of(q, action, error);

        sender = sd_bus_message_get_sender(m);
        if (!sender)
                return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED, "No caller to check");
        /* polkitd absent and the caller's credentials kept: decided now, no query. */
        c = p->polkit_absent ? caller_find(p, sender) : NULL;
        if (c && c->known) {
                caller_unlink(c);
                caller_push(c);
                if (!c->technician)
                        return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED,
                                                "Only root and members of the " TECHNICIAN_GROUP " group may do this (polkit is not running)");
                sd_bus_message_unref(p->decided);
                p->decided = sd_bus_message_ref(m);
                return 1;
        }
        for (q = p->queries; q; q = q->next) {
                const char *s = sd_bus_message_get_sender(q->request);
                if (q->verdict != VERDICT_PENDING && q->verdict != VERDICT_CREDENTIALS)
                        continue;
                pending++;
                if (s && strcmp(s, sender) == 0)
                        mine++;
        }
        if (pending >= BUS_POLKIT_MAX_PENDING || mine >= BUS_POLKIT_MAX_PENDING_PER_CALLER)
                return sd_bus_error_setf(error, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                         "Too many authorization checks pending (%s)",
                                         mine >= BUS_POLKIT_MAX_PENDING_PER_CALLER ? "this caller" : "all callers");

        q = calloc(1, sizeof *q);
        if (!q)
                return -ENOMEM;
        *q = (struct query) { .owner = p, .request = sd_bus_message_ref(m), .action = action,
                              .verdict = VERDICT_PENDING, .generation = p->polkit_generation,
                              .error = SD_BUS_ERROR_NULL };
        q->next = p->queries;
        if (p->queries)
                p->queries->prev = q;
        p->queries = q;
        if (p->polkit_absent) {
                /* Waits for the caller's credentials (or is refused at once if they cannot be asked). */
                if (query_fallback(q) == 0)
                        return 0;
                r = verdict_of(q, action, error);
                query_free(q);
                return r;
        }

        interactive = sd_bus_message_get_allow_interactive_authorization(m);
        if (interactive < 0)
                r = interactive;
        /* The caller's bus name as the subject: polkitd asks the bus who it is, so it is never
         * this daemon's PID nor a PID the caller could have handed on. */
        else
                r = sd_bus_message_new_method_call(p->bus, &call, POLKIT_BUS_NAME, "/org/freedesktop/PolicyKit1/Authority",
                                                   "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization");
        if (r >= 0)
                r = sd_bus_message_append(call, "(sa{sv})sa{ss}us", "system-bus-name", 1, "name", "s", sender, action,
                                          0, (uint32_t) (interactive ? 1 : 0), "");
        if (r >= 0)
                r = sd_bus_call_async(p->bus, &q->slot, call, on_check_reply, q,
                                      interactive ? BUS_POLKIT_INTERACTIVE_TIMEOUT_USEC : BUS_POLKIT_TIMEOUT_USEC);
        if (r < 0) {
                query_free(q);
                return r;
        }
        return 0;
}

int bus_polkit_authorize(struct bus_polkit *p, sd_bus_message *m, sd_bus_error *error) {
        const char *action = m ? find_action(sd_bus_message_get_interface(m), sd_bus_message_get_member(m), false) : NULL;

        /* A guarded handler reached by a member the table lacks: refuse rather than guess. */
        if (!p || !action)
                return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED, "No authorization is defined for this call");
        return authorize_action(p, m, action, error);
}

int bus_polkit_authorize_if(struct bus_polkit *p, sd_bus_message *m, bool needed, sd_bus_error *error) {
        /* Decided afresh on every dispatch: the call sent again after polkit answered is
         * judged against the person as they are then. */
        return needed ? bus_polkit_authorize(p, m, error) : 1;
}

bool bus_polkit_authorized(struct bus_polkit *p, sd_bus_message *m) {
        struct query *q;

        if (!p || !m)
                return false;
        if (m == p->decided)
                return true;
        q = query_find(p, m);
        return q && q->verdict == VERDICT_ALLOWED;
}

/* Property getters cannot be interrupted, so guarded properties are checked here, before the
 * object's dispatch: Get of a guarded property, GetAll of an interface that has one. */
static int on_message(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct bus_polkit *p = userdata;
        const char *interface = NULL, *property = NULL, *action;
        int r;

        if (!sd_bus_message_is_method_call(m, "org.freedesktop.DBus.Properties", NULL) ||
            !sd_bus_message_get_path(m) || strcmp(sd_bus_message_get_path(m), CHAIR_OBJECT_PATH) != 0)
                return 0;
        if (sd_bus_message_is_method_call(m, NULL, "Get"))
                r = sd_bus_message_read(m, "ss", &interface, &property);
        else if (sd_bus_message_is_method_call(m, NULL, "GetAll"))
                r = sd_bus_message_read(m, "s", &interface);
        else
                return 0;
        /* Malformed calls are the object dispatch's to refuse. */
        if (r < 0 || sd_bus_message_rewind(m, true) < 0)
                return 0;
        /* An empty interface means every interface of the object, ours included. */
        action = find_action(interface && *interface ? interface : NULL, property, true);
        if (!action)
                return 0;
        r = authorize_action(p, m, action, error);
        return r < 0 ? r : r == 0 ? 1 : 0;
}

int bus_polkit_new(sd_bus *bus, struct bus_polkit **ret) {
        struct bus_polkit *p = calloc(1, sizeof *p);
        int r;

        if (!p)
                return -ENOMEM;
        p->bus = bus;
        r = sd_bus_add_filter(bus, &p->filter, on_message, p);
        /* Before any question to polkit: an absence it answers is kept only while watched. */
        if (r >= 0)
                r = sd_bus_add_match_async(bus, &p->polkit_watch, NAME_OWNER_CHANGED_MATCH POLKIT_BUS_NAME "'",
                                           on_polkit_owner, on_polkit_watched, p);
        if (r < 0) {
                bus_polkit_free(p);
                return r;
        }
        *ret = p;
        return 0;
}

struct bus_polkit *bus_polkit_free(struct bus_polkit *p) {
        if (!p)
                return NULL;
        while (p->queries)
                query_free(p->queries);
        while (p->callers)
                caller_free(p->callers);
        sd_bus_slot_unref(p->polkit_watch);
        sd_bus_slot_unref(p->filter);
        sd_bus_message_unref(p->decided);
        free(p);
        return NULL;
}
