/* SPDX-License-Identifier: MIT */
/* The daemon's backend of event-loop.h: sources on an sd_event (the composition root's). */
#pragma once

#include "event-loop.h"

/* Takes a reference on event. */
int event_loop_sd_event_new(struct sd_event *event, struct event_loop **ret);
