/* SPDX-License-Identifier: MIT */
/* org.massagechair.Chair1.Posture at /org/massagechair/Chair1/posture (docs/posture.md). */
#pragma once

struct chair_bus;
struct chair_daemon;
struct posture_object_cache;

int posture_object_register(struct chair_daemon *d, struct chair_bus *b);
/* Before the bus closes: the hold-to-run caller's tracking and the positions' tick hold it. */
void posture_object_cache_free(struct posture_object_cache *c);
