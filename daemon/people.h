/* SPDX-License-Identifier: MIT */
/*
 * The people who use the chair (docs/people.md): a guest (id 0, always there, never deleted)
 * and at most PEOPLE_MAX profiles, one of them active. Each person has a name, declared
 * conditions, an intensity cap and a heat cap, a body scan, memory slots, a timer and heat
 * preference, the last assessment, and their history with ratings; each is kept in a state
 * file of its own (person-file.h) so that one corrupt or deleted file leaves the others intact.
 *
 * One owner: every change goes through a setter here that checks, stores (the write first:
 * nothing changes in memory when it fails), logs and marks the change (CHAIR_CHANGE_PERSON
 * and the person in people_take_dirty(); CHAIR_CHANGE_ACTIVE_PERSON; CHAIR_CHANGE_PEOPLE).
 * The active person's conditions and caps are what chair_settings (settings.h) hands the
 * precaution gate on every path that moves an actuator.
 *
 * Ids are small integers, never reused while the state directory lives (people/next-id), so an object path never names two people over time.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chair-error.h"
#include "person.h"
#include "state-store.h"
#include "vocab.h"

struct chair_changes;
struct people;

#define PEOPLE_MAX 8              /* profiles besides the guest */

/* Opens people/ under STATE_DIR (created 0700), loads every person's file (a corrupt one is
 * moved aside, person-file.h), and on the first start with people/ missing moves what STORE
 * holds of the one person of earlier versions (precautions, memory slots, history) into the
 * guest. The guest is active at start. */
int people_new(const char *state_dir, struct state_store *store, struct chair_changes *changes,
               struct people **ret);
struct people *people_free(struct people *p);

/* Switching the active person is refused (-EBUSY, CHAIR_REASON_BUSY) while this says no (the
 * session is not idle); wired by core.c. */
typedef bool (*people_switch_allowed_fn)(void *userdata);
void people_set_switch_guard(struct people *p, people_switch_allowed_fn fn, void *userdata);
/* Told after the active person changed or the active person's conditions or caps changed
 * (the session follows, as with chair_settings' listener). */
typedef void (*people_active_fn)(void *userdata);
void people_listen_active(struct people *p, people_active_fn fn, void *userdata);

/* Every person, guest first then by id; returns how many (at most PEOPLE_MAX + 1). */
size_t people_list(struct people *p, const struct person *ret[static PEOPLE_MAX + 1]);
const struct person *people_get(struct people *p, uint32_t id);   /* NULL: no such person */
const struct person *people_active(struct people *p);             /* never NULL */
/* The ids whose settings changed since the last call (the bus emits their objects'
 * PropertiesChanged on CHAIR_CHANGE_PERSON): fills RET and returns how many. */
size_t people_take_dirty(struct people *p, uint32_t ret[static PEOPLE_MAX + 1]);

/* Life cycle. NAME: 1-PERSON_NAME_MAX bytes of UTF-8 without control characters, unique
 * (CHAIR_REASON_NAME_TAKEN, case-insensitive ASCII), "guest" reserved. Full: PEOPLE_FULL. */
int people_create(struct people *p, const char *name, uint32_t *ret_id, struct chair_error *error);
int people_rename(struct people *p, uint32_t id, const char *name, struct chair_error *error);
/* Deletes the person, their file, history and programs. CONFIRM must equal the person's name
 * (the confirmation a client asks for). The guest cannot be deleted (NOT_PERMITTED); the active
 * person only while switching is allowed, and the guest becomes active. */
int people_delete(struct people *p, uint32_t id, const char *confirm, struct chair_error *error);
int people_select(struct people *p, uint32_t id, struct chair_error *error);
/* The panel's person key: the next person after the active one (guest after the last). */
int people_select_next(struct people *p, struct chair_error *error);

/* Whether a change loosens the person's limits (the bus asks polkit's manage-people for it;
 * tightening is open to everyone: a person must always be able to say what is wrong).
 * Conditions: LIST (NULL: none) leaves out one the person has declared, or their stored list
 * is unreadable (what was declared is not known). Caps: either rises. */
bool people_conditions_loosen(const struct person *person, char *const *list);
bool people_caps_loosen(const struct person *person, uint32_t intensity_cap, uint32_t heat_cap);

/* Setters, each for one person (the active person's through chair_settings as well). */
int people_set_conditions(struct people *p, uint32_t id, char **list, struct chair_error *error); /* takes LIST on success */
int people_set_caps(struct people *p, uint32_t id, uint32_t intensity_cap, uint32_t heat_cap, struct chair_error *error);
int people_set_timer(struct people *p, uint32_t id, uint32_t minutes, struct chair_error *error);
int people_set_heat_pref(struct people *p, uint32_t id, const uint32_t levels[static 2], struct chair_error *error);
/* The guest's scan is kept in memory only (the next guest after a restart is scanned afresh,
 * as the one person of earlier versions was); everyone else's is stored. */
int people_set_scan(struct people *p, uint32_t id, int32_t shoulder_mm, int32_t adjust);
int people_save_memory(struct people *p, uint32_t id, unsigned slot, const struct memory_slot *m);
/* Records an assessment (pain per area 0-10 or PAIN_NOT_RATED, at least one area or pain_now);
 * the next session of that person carries it (history_entry's areas and pain before). */
int people_set_assessment(struct people *p, uint32_t id, const struct assessment *a, struct chair_error *error);

/* The person's history, newest first, at most MAX; *ret newly allocated. */
int people_history(struct people *p, uint32_t id, size_t max, struct history_entry **ret, size_t *ret_n);
/* Appends E (the oldest dropped past HISTORY_MAX); an entry that is `assessed` marks the
 * person's assessment used (assessment_used_by = its id) in the same write. */
int people_append_history(struct people *p, uint32_t id, const struct history_entry *e);
/* A rating of one of that person's sessions: overall before/after (PAIN_NOT_RATED keeps what
 * is stored) and, when AREA_AFTER is given, per area after. -ENOENT: not their session. */
int people_rate_session(struct people *p, uint32_t id, uint64_t session_id, uint32_t before, uint32_t after,
                        const uint16_t area_after[_PAIN_AREA_MAX], struct chair_error *error);
/* The person whose history holds SESSION_ID (RateSession of Chair1 finds it), or -ENOENT. */
int people_find_session(struct people *p, uint64_t session_id, uint32_t *ret_id);

/* Creates people/ if it is not there yet (a start writes nothing until something is stored):
 * before a write outside people.c, such as a person's program. */
int people_prepare(struct people *p);
/* The directory a person's own programs are kept in (person-file.h), for program-library. */
int people_programs_dir(struct people *p, uint32_t id, char *buf, size_t size);

