/* SPDX-License-Identifier: MIT */
/*
 * org.massagechair.Chair1.People at CHAIR_PEOPLE_PATH, with the ObjectManager interface for the
 * people's objects under it (person-object.c): create, select and find people; who is active
 * and who exists, as properties. See docs/dbus-api.md, "People".
 */
#pragma once

#include <stdint.h>
#include <systemd/sd-bus.h>

struct chair_bus;
struct chair_daemon;
struct people_object_cache;

int people_object_register(struct chair_daemon *d, struct chair_bus *b);
void people_object_cache_free(struct people_object_cache *c);

/* A property's value now as a hash of what its getter appends, so that a change mark whose
 * value did not change announces nothing (the objects of people and of each person). */
int bus_property_value_hash(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_property_get_t get, void *userdata, uint64_t *ret);
