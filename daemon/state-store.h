/* SPDX-License-Identifier: MIT */
/*
 * What the chair remembers in its state directory (/var/lib/massagechair): memory slots,
 * the person's precautions, the default auto-off timer, the session history with pain ratings,
 * and the fault history. Every write goes to a temporary file, is fsynced and renamed over the
 * old one, so a kill -9 leaves either the old or the new file; a corrupt file is moved aside
 * with a log line and the daemon starts with an empty one. Formats: docs/state-files.md.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chair-io.h"

#define MEMORY_SLOTS 2
#define HISTORY_MAX 500
#define FAULTS_MAX 500
#define HISTORY_NOT_RATED 0xffff

struct state_store;

struct memory_slot {
        bool used;
        char program[80];
        uint32_t intensity, speed, width, depth;
        uint32_t air_zones, air_intensity;
        uint32_t heat_lumbar, heat_calves;
        uint32_t timer_min;
};

#define HISTORY_AREAS 7          /* enum pain_area (common/vocab.h) */

struct history_entry {
        uint64_t id;
        char program[80];
        uint64_t start_usec;     /* CLOCK_REALTIME */
        uint32_t duration_s;
        uint32_t intensity;
        uint16_t pain_before, pain_after;  /* 0-10, HISTORY_NOT_RATED */
        char reason[16];
        /* With an assessment (people.h): its goal, the areas it named and their pain before,
         * and after when rated; HISTORY_NOT_RATED otherwise. */
        bool assessed;
        bool focused;            /* started focused on the assessed areas */
        uint8_t goal;            /* enum massage_goal */
        uint16_t area_before[HISTORY_AREAS], area_after[HISTORY_AREAS];
};

struct fault_entry {
        uint64_t time_usec;      /* CLOCK_REALTIME */
        char code[48];
        char message[256];
        char cleared[32];        /* "latched", or who cleared it */
};

/* The memory-slot and history-entry lines, shared by the state store and the person files
 * (person-file.h); formats in docs/state-files.md. */
/* "program,intensity,speed,width,depth,air_zones,air_intensity,heat_lumbar,heat_calves,timer":
 * returns the length written (NUL-terminated), -ENOBUFS, or -EINVAL for a program holding a
 * ',', a control character or invalid UTF-8. */
int memory_slot_format(const struct memory_slot *m, char *buf, size_t size);
/* -EINVAL: not such a line, -ERANGE: a value out of range; *ret untouched on error. */
int memory_slot_parse(const char *v, struct memory_slot *ret);
/* A history entry's fields in order: id, program, start_usec, duration_s, intensity,
 * pain_before, pain_after, reason (HISTORY_FIELDS_BASE, the history file's), then assessed,
 * focused (0/1), goal (massage_goal name), area_before and area_after per pain_area. */
#define HISTORY_FIELDS_BASE 8
#define HISTORY_FIELDS (11 + 2 * HISTORY_AREAS)
/* N is HISTORY_FIELDS_BASE (the areas then not rated) or HISTORY_FIELDS; the texts (fields 1
 * and 7) as they are stored, already unescaped by the caller. *ret untouched on error. */
int history_entry_parse_fields(char *const *fields, size_t n, struct history_entry *ret);
/* Writes the first N_FIELDS fields joined by SEP, with PROGRAM and REASON (the caller's
 * encoding of e->program and e->reason) as the texts; returns the length or -ENOBUFS. */
int history_entry_format(const struct history_entry *e, char sep, size_t n_fields, const char *program,
                         const char *reason, char *buf, size_t size);

int state_store_open(const char *dir, struct state_store **ret);
void state_store_close(struct state_store *st);

int state_store_save_memory(struct state_store *st, unsigned slot, const struct memory_slot *m);
int state_store_load_memory(struct state_store *st, unsigned slot, struct memory_slot *ret);
/* Stores the list, or leaves the stored one untouched on any error (-ENOBUFS: too long for
 * the file, -EINVAL: not condition names). */
int state_store_save_precautions(struct state_store *st, const char *const *list);
/* The settings file had no readable precautions line: what the person declared is unknown. */
bool state_store_precautions_unreadable(struct state_store *st);
/* A newly allocated NULL-terminated list. */
int state_store_load_precautions(struct state_store *st, char ***ret);
int state_store_save_default_timer(struct state_store *st, uint32_t minutes);
int state_store_load_default_timer(struct state_store *st, uint32_t *ret);
/* The child lock survives a restart: a parent who locked the panel expects it locked. */
int state_store_save_child_lock(struct state_store *st, bool on);
bool state_store_child_lock(struct state_store *st);

/* The heat dose survives a restart (supervisor.h): per heat zone the dose, whether its heat was
 * off for it, and when that was (CLOCK_REALTIME, s); written whole each time. */
#define HEAT_DOSE_STORED_MAX (7u * 24 * 3600)   /* s: far past any limit; more is not ours */
struct heat_dose_record {
        bool known;              /* a zone the line did not name: nothing stored for it */
        bool limited;
        uint32_t dose_s;
        uint64_t time_s;
};
int state_store_save_heat_dose(struct state_store *st, const struct heat_dose_record rec[_CHAIR_HEAT_ZONE_MAX]);
/* 0 with what is stored; -ENODATA: no heat_dose line; -EBADMSG: the line was unreadable (the
 * caller assumes the worst: the dose at the limit). */
int state_store_load_heat_dose(struct state_store *st, struct heat_dose_record ret[_CHAIR_HEAT_ZONE_MAX]);

int state_store_append_history(struct state_store *st, const struct history_entry *e);
int state_store_rate_session(struct state_store *st, uint64_t id, uint32_t before, uint32_t after);
/* Newest first, at most max; *ret is newly allocated. */
int state_store_list_history(struct state_store *st, size_t max, struct history_entry **ret, size_t *ret_n);

int state_store_append_fault(struct state_store *st, const struct fault_entry *e);
int state_store_mark_fault_cleared(struct state_store *st, const char *how);
int state_store_list_faults(struct state_store *st, size_t max, struct fault_entry **ret, size_t *ret_n);
