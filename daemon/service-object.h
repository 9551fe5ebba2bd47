/* SPDX-License-Identifier: MIT */
/* Interface org.massagechair.Chair1.Service on /org/massagechair/Chair1 (technicians only). */
#pragma once

struct chair_daemon;

int service_object_register(struct chair_daemon *d);
