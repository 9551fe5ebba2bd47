/* SPDX-License-Identifier: MIT */
/*
 * org.massagechair.Chair1.Person: one object per person at CHAIR_PEOPLE_PATH/<id> (a fallback
 * vtable with a node enumerator, as logind's sessions). Their settings as properties, their
 * health data through read-health, their own programs through install-person-program. See
 * docs/dbus-api.md, "Person".
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct chair_bus;
struct chair_daemon;
struct person_object_cache;

/* CHAIR_PEOPLE_PATH "/" and at most 4 digits (PERSON_ID_MAX), with room to spare. */
#define PERSON_PATH_MAX 64

int person_object_register(struct chair_daemon *d, struct chair_bus *b);
void person_object_cache_free(struct person_object_cache *c);

/* The object path of person ID. */
const char *person_object_path(uint32_t id, char buf[static PERSON_PATH_MAX]);
/* The id a person's object path names (decimal, no leading zeros), or -EINVAL: any other path. */
int person_path_id(const char *path, uint32_t *ret);
