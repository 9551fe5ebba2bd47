/* SPDX-License-Identifier: MIT */
/*
 * The chair's panel: what the person in the chair touches (docs/panel.md).
 *
 * Keys come in as the panel_key input (the code of the key held: GPIO key lines, the simulated
 * panel) and, from a Modbus panel board, the panel_event latch, so a tap between two polls is
 * not lost. The panel turns presses into short presses, long presses and auto-repeat, and each
 * into a call of the same session functions D-Bus uses: one set of rules, the latest command
 * wins, the panel's stop always wins, the child lock ignores every key but stop. The posture
 * keys call posture.h's moves like D-Bus does: the axis keys are hold-to-run (a lease renewed
 * while the key is held, POSTURE_OWNER_PANEL), the power key stops every axis.
 *
 * It drives the panel's indicators (LEDs, display fields) from the daemon's state whenever
 * anything changes, whoever changed it, and acknowledges keys with the beeper: short =
 * accepted, double = a limit was reached, long = refused.
 *
 * Everything runs on the event loop. An idle chair with no key held costs no wake-ups.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "chair-io.h"

struct chair_core;
struct panel;

enum panel_beep {
        PANEL_BEEP_SHORT,   /* accepted */
        PANEL_BEEP_DOUBLE,  /* a limit was reached */
        PANEL_BEEP_LONG,    /* refused */
        _PANEL_BEEP_MAX,
};

struct panel_stats {
        uint64_t keys;                  /* key actions taken (presses, repeats, long presses) */
        uint64_t ignored;               /* keys ignored under the child lock */
        uint64_t beeps[_PANEL_BEEP_MAX];
        uint32_t selected_program;      /* 1-based, as the display shows it */
};

int panel_new(struct chair_core *d, struct panel **ret);
void panel_free(struct panel *p);

/* Something the panel shows changed (state, settings, fault, child lock): the indicators are
 * brought up to date once the event loop is done with the current event. */
void panel_refresh(struct panel *p);

void panel_get_stats(struct panel *p, struct panel_stats *ret);
/* The program the panel's start key would start (the program key's selection). */
struct program_summary;
int panel_selected_program(struct panel *p, struct program_summary *ret);
/* The key code a key function has on this chair, or -ENOENT when the panel has no such key. */
int panel_key_code(struct panel *p, enum chair_key k);
/* The tests' stalled panel: a held posture key's renewals stop coming (the key stays held), so
 * only the hold-to-run lease stops the axis. */
void panel_stall_repeats(struct panel *p, bool stalled);
