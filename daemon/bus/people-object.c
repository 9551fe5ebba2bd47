/* SPDX-License-Identifier: MIT */
/*
 * org.massagechair.Chair1.People at /org/massagechair/Chair1/people, and the ObjectManager
 * there: GetManagedObjects lists every person's object (person-object.c), InterfacesAdded and
 * InterfacesRemoved say when people come and go. Who came or went is found by comparing the ids
 * announced with the people's list on CHAIR_CHANGE_PEOPLE, so a person created or deleted from
 * anywhere (the bus, chairctl, a test harness) is announced once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <systemd/sd-bus.h>

#include "bus-args.h"
#include "bus-errors.h"
#include "bus-state.h"
#include "bus-util.h"
#include "chair-bus-names.h"
#include "changes.h"
#include "daemon-context.h"
#include "log.h"
#include "people-object.h"
#include "people.h"
#include "person-object.h"

/* The person an object path names, or UnknownPerson naming the argument. */
static int person_by_path(struct chair_daemon *d, const char *path, uint32_t *ret, sd_bus_error *error) {
        if (person_path_id(path, ret) < 0 || !people_get(d->core->people, *ret))
                return sd_bus_error_setf(error, CHAIR_ERROR_UNKNOWN_PERSON, "person: no person at %s", path);
        return 0;
}

/* ---- methods ---- */

static int method_create(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        struct chair_error e = CHAIR_ERROR_NULL;
        struct bus_args a = {};
        char path[PERSON_PATH_MAX];
        uint32_t id;
        int r;

        r = bus_parse_person_name(m, NULL, &a, error);
        if (r < 0)
                return r;
        r = people_create(d->core->people, a.str[0], &id, &e);
        if (r < 0)
                return bus_error_from_chair(error, r, &e);
        return sd_bus_reply_method_return(m, "o", person_object_path(id, path));
}

static int method_select(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        struct chair_error e = CHAIR_ERROR_NULL;
        struct bus_args a = {};
        uint32_t id;
        int r;

        r = bus_parse_person_path(m, NULL, &a, error);
        if (r < 0)
                return r;
        r = person_by_path(d, a.str[0], &id, error);
        if (r < 0)
                return r;
        return reply_core(m, error, people_select(d->core->people, id, &e), &e);
}

/* Names compare as people.c keeps them unique: ASCII letters without regard to case. */
static int method_find_by_name(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        const struct person *list[PEOPLE_MAX + 1];
        struct bus_args a = {};
        char path[PERSON_PATH_MAX];
        size_t n;
        int r;

        r = bus_parse_person_name(m, NULL, &a, error);
        if (r < 0)
                return r;
        n = people_list(d->core->people, list);
        for (size_t i = 0; i < n; i++)
                if (strcasecmp(list[i]->name, a.str[0]) == 0)
                        return sd_bus_reply_method_return(m, "o", person_object_path(list[i]->id, path));
        return sd_bus_error_setf(error, CHAIR_ERROR_UNKNOWN_PERSON, "name: nobody is called '%s'", a.str[0]);
}

/* ---- properties ---- */

static int property_active(sd_bus *bus, const char *path, const char *interface, const char *property,
                           sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        char p[PERSON_PATH_MAX];
        return sd_bus_message_append(reply, "o", person_object_path(people_active(d->core->people)->id, p));
}

static int property_people(sd_bus *bus, const char *path, const char *interface, const char *property,
                           sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        const struct person *list[PEOPLE_MAX + 1];
        size_t n = people_list(d->core->people, list);
        char p[PERSON_PATH_MAX];
        int r;

        r = sd_bus_message_open_container(reply, 'a', "o");
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                r = sd_bus_message_append(reply, "o", person_object_path(list[i]->id, p));
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static int property_max(sd_bus *bus, const char *path, const char *interface, const char *property,
                        sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "u", (uint32_t) PEOPLE_MAX);
}

/* Open to every caller: who exists and who is active is no health data. */
static const sd_bus_vtable people_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("Create", SD_BUS_ARGS("s", name), SD_BUS_RESULT("o", person), method_create,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Select", SD_BUS_ARGS("o", person), SD_BUS_NO_RESULT, method_select,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("FindByName", SD_BUS_ARGS("s", name), SD_BUS_RESULT("o", person), method_find_by_name,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_PROPERTY("Active", "o", property_active, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("People", "ao", property_people, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Max", "u", property_max, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_VTABLE_END
};

/* ---- the change channel to PropertiesChanged and InterfacesAdded/Removed ---- */

static const struct {
        const char *name;
        sd_bus_property_get_t get;
        uint32_t changes;
} property_changes[] = {
        { "Active", property_active, CHAIR_CHANGE_ACTIVE_PERSON | CHAIR_CHANGE_PEOPLE },
        { "People", property_people, CHAIR_CHANGE_PEOPLE },
};

#define N_PROPERTY_CHANGES ARRAY_SIZE(property_changes)

struct people_object_cache {
        uint64_t sent[N_PROPERTY_CHANGES];
        bool valid[N_PROPERTY_CHANGES];
        uint32_t ids[PEOPLE_MAX + 1];  /* the people whose objects were announced */
        size_t n_ids;
};

void people_object_cache_free(struct people_object_cache *c) {
        free(c);
}

static bool has_id(const uint32_t *ids, size_t n, uint32_t id) {
        for (size_t i = 0; i < n; i++)
                if (ids[i] == id)
                        return true;
        return false;
}

/* Takes the ids of the people that exist now into the cache: InterfacesRemoved for those gone
 * (their object found once more while the signal is built), InterfacesAdded for the new. */
static void announce_objects(struct chair_daemon *d, bool emit) {
        struct people_object_cache *c = d->bus->people_cache;
        const struct person *list[PEOPLE_MAX + 1];
        uint32_t now[PEOPLE_MAX + 1];
        size_t n = people_list(d->core->people, list);
        char path[PERSON_PATH_MAX];

        for (size_t i = 0; i < n; i++)
                now[i] = list[i]->id;
        for (size_t i = 0; emit && i < c->n_ids; i++) {
                if (has_id(now, n, c->ids[i]))
                        continue;
                d->bus->person_removing = c->ids[i];
                (void) sd_bus_emit_object_removed(d->bus->bus, person_object_path(c->ids[i], path));
                d->bus->person_removing = -1;
        }
        for (size_t i = 0; emit && i < n; i++)
                if (!has_id(c->ids, c->n_ids, now[i]))
                        (void) sd_bus_emit_object_added(d->bus->bus, person_object_path(now[i], path));
        memcpy(c->ids, now, n * sizeof *now);
        c->n_ids = n;
}

static void on_changes(uint32_t changed, void *userdata) {
        struct chair_daemon *d = userdata;
        struct people_object_cache *c = d->bus->people_cache;
        const char *names[N_PROPERTY_CHANGES + 1];
        unsigned n = 0;

        if (changed & CHAIR_CHANGE_PEOPLE)
                announce_objects(d, true);
        for (unsigned i = 0; i < N_PROPERTY_CHANGES; i++) {
                uint64_t h;
                if (!(changed & property_changes[i].changes))
                        continue;
                if (bus_property_value_hash(d->bus->bus, CHAIR_PEOPLE_PATH, CHAIR_PEOPLE_INTERFACE,
                                            property_changes[i].name, property_changes[i].get, d, &h) >= 0) {
                        if (c->valid[i] && c->sent[i] == h)
                                continue;
                        c->sent[i] = h;
                        c->valid[i] = true;
                } else
                        c->valid[i] = false;
                names[n++] = property_changes[i].name;
        }
        names[n] = NULL;
        if (n > 0)
                (void) sd_bus_emit_properties_changed_strv(d->bus->bus, CHAIR_PEOPLE_PATH, CHAIR_PEOPLE_INTERFACE,
                                                           (char **) names);
}

static int people_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **ret_found,
                       sd_bus_error *error) {
        if (strcmp(path, CHAIR_PEOPLE_PATH) != 0)
                return 0;
        *ret_found = userdata;
        return 1;
}

int people_object_register(struct chair_daemon *d, struct chair_bus *b) {
        int r;

        b->people_cache = calloc(1, sizeof *b->people_cache);
        if (!b->people_cache)
                return -ENOMEM;
        /* A fallback as the people's objects below it are (sd-bus keeps one kind per node),
         * found only at its own path. */
        r = sd_bus_add_fallback_vtable(b->bus, &b->people_slot, CHAIR_PEOPLE_PATH, CHAIR_PEOPLE_INTERFACE, people_vtable,
                                       people_find, d);
        if (r < 0)
                return log_error_errno(r, "Failed to register %s: %m", CHAIR_PEOPLE_PATH);
        r = sd_bus_add_object_manager(b->bus, &b->people_manager_slot, CHAIR_PEOPLE_PATH);
        if (r < 0)
                return log_error_errno(r, "Failed to add the object manager at %s: %m", CHAIR_PEOPLE_PATH);
        announce_objects(d, false);
        /* The values now, so the first mark announces only what changed. */
        for (unsigned i = 0; i < N_PROPERTY_CHANGES; i++)
                b->people_cache->valid[i] = bus_property_value_hash(b->bus, CHAIR_PEOPLE_PATH, CHAIR_PEOPLE_INTERFACE,
                                                                    property_changes[i].name, property_changes[i].get, d,
                                                                    &b->people_cache->sent[i]) >= 0;
        r = chair_changes_subscribe(d->core->changes, on_changes, d);
        if (r < 0)
                return log_error_errno(r, "Failed to subscribe %s to the change channel: %m", CHAIR_PEOPLE_PATH);
        return 0;
}
