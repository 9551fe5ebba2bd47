/* SPDX-License-Identifier: MIT */
/*
 * org.massagechair.Chair1.People at CHAIR_PEOPLE_PATH, with the ObjectManager interface for the
 * people's objects under it (person-object.c): create, select and find people; who is active
 * and who exists, as properties. See docs/dbus-api.md, "People".
 */
#pragma once

struct chair_bus;
struct chair_daemon;
struct people_object_cache;

int people_object_register(struct chair_daemon *d, struct chair_bus *b);
void people_object_cache_free(struct people_object_cache *c);
