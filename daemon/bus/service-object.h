/* SPDX-License-Identifier: MIT */
/* Interface org.massagechair.Chair1.Service on /org/massagechair/Chair1 (technicians only). */
#pragma once

struct chair_daemon;
struct chair_bus;

int service_object_register(struct chair_daemon *d, struct chair_bus *b);
