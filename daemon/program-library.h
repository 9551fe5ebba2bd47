/* SPDX-License-Identifier: MIT */
/*
 * The daemon's view of the technique programs: the catalog of shipped programs and technician
 * overrides (profiles/), the precautions that exclude or cap them, and the planner. Reloading
 * never disturbs a running session: a session owns its timeline.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "profile.h"
#include "timeline.h"

struct precaution_declared;
struct program_library;

/* The most programs the catalog lists: shipped and overrides together, and the active person's
 * own on top (program_library_set_person). */
#define PROGRAM_LIBRARY_GLOBAL_MAX 64
#define PROGRAM_LIBRARY_PERSON_MAX 16
#define PROGRAM_LIBRARY_MAX (PROGRAM_LIBRARY_GLOBAL_MAX + PROGRAM_LIBRARY_PERSON_MAX)
#define PROGRAM_FILE_NAME_MAX 64

struct program_summary {
        const char *id, *name, *description;
        uint32_t duration_s;
        uint32_t intensity;        /* default 1-5 */
        const char *const *areas;  /* NULL-terminated */
        const char *const *precautions; /* conditions that exclude or cap it, NULL-terminated */
        bool person;               /* the active person's own program (program_library_set_person) */
};

struct plan_request {
        uint32_t intensity;        /* 1-5 */
        uint32_t duration_s;       /* 0 = the program's default */
        struct body_scan scan;
        int32_t track_length_mm;
        bool heat;                 /* false: no heat commands */
        const char *const *precautions; /* the person's declared conditions, NULL-terminated */
        uint32_t focus_areas;      /* bit per enum pain_area: weight the steps on them; 0 = not focused */
        const struct precaution_declared *declared; /* when given, in place of precautions: with
                                                     * the person's own caps (settings.h) */
};

int program_library_new(const char *shipped_dir, const char *override_dir, struct program_library **ret);
void program_library_free(struct program_library *lib);
/* Reloads both directories; the errors (FILE:LINE: message) are returned, NULL-terminated,
 * to be freed with strv_free-like program_library_free_errors. */
int program_library_reload(struct program_library *lib, char ***ret_errors);
void program_library_free_errors(char **errors);

/* Every string of a summary is valid UTF-8 (checked once when the entry is set). */
size_t program_library_count(struct program_library *lib);
int program_library_get(struct program_library *lib, size_t index, struct program_summary *ret);
int program_library_find(struct program_library *lib, const char *id, struct program_summary *ret);

/* Checks the person's precautions against a program: 0 when allowed (perhaps capped),
 * -EPERM with a human reason when refused. */
int program_library_check(struct program_library *lib, const char *id, const char *const *precautions,
                          char *ret_reason, size_t reason_size);
/* Whether heat may be switched on for these precautions: 0, or -EPERM with a reason. */
int program_library_heat_allowed(struct program_library *lib, const char *const *precautions, char *ret_reason,
                                 size_t reason_size);
/* Plans a session: the timeline is newly allocated and owned by the caller. */
/* A program's steps by name and technique, so a session can say which one runs (TL_STEP's arg
 * indexes them). Returns how many were stored (at most max), or -ENOENT. */
struct program_step_name {
        char name[PROFILE_ID_MAX];
        enum roller_technique technique;
};
int program_library_steps(struct program_library *lib, const char *id, struct program_step_name *ret, size_t max);
int program_library_plan(struct program_library *lib, const char *id, const struct plan_request *req,
                         struct timeline **ret, char *ret_error, size_t error_size);
/* Validates a profile's text (an upload): 0, or -EINVAL with every error in ret_errors. */
int program_library_validate(struct program_library *lib, const char *filename, const char *text,
                             char *ret_errors, size_t errors_size);
/* Whether NAME is a portable NAME.ini: [A-Za-z0-9._-], not starting with '.', 5-64 characters. */
bool program_file_name_valid(const char *name);
/* Validates an upload with the rules of a reload and stores it atomically in the overrides
 * directory (never through a planted link). 0, or with a message in ret_errors: -EINVAL (a bad
 * name or profile), -EFBIG (over 64 KiB), -EEXIST (its id is another override file's), -ENOSPC
 * (the library is full), or the errno of the write. The caller reloads. */
int program_library_upload(struct program_library *lib, const char *filename, const char *text, size_t len,
                           char *ret_errors, size_t errors_size);
/* A person's own programs (docs/profiles.md "Programs of one person"), kept in their directory
 * DIR (people/<id>.programs/, person-file.h; created 0700, never through a link, each file
 * 0600). The catalog (count, get, find, check, steps, plan) lists the active person's after
 * the shipped and technicians' programs; a person's program never takes the id of one of those
 * (ignored at a load, with the reason, when a technician's upload takes it later). */
/* Loads the active person's programs from DIR (NULL: nobody's); a reload loads them again.
 * A directory that does not exist is a person with none. */
int program_library_set_person(struct program_library *lib, const char *dir);
/* Validates TEXT exactly as program_library_upload (same function, limits and errors: -EINVAL,
 * -EFBIG) and stores it as DIR/FILENAME atomically; besides: -EEXIST (the id of a shipped or
 * technician program, or of another file of this person's), -ENOSPC (the person has
 * PROGRAM_LIBRARY_PERSON_MAX), -EPERM (the program's default intensity is above
 * INTENSITY_CAP, the person's cap 1-5). The same FILENAME replaces that file. When DIR is the
 * active person's, the catalog has it on return. */
int program_library_install_person(struct program_library *lib, const char *dir, const char *filename,
                                   const char *text, size_t len, uint32_t intensity_cap, char *ret_errors,
                                   size_t errors_size);
/* Removes the person's program of that id: 0, or -ENOENT. */
int program_library_remove_person(struct program_library *lib, const char *dir, const char *id);
/* Calls FN (may be NULL) for each of the person's programs in DIR, in file name order; returns
 * how many (what ProgramCount says), or a negative errno when DIR cannot be read. */
typedef void (*program_library_list_fn)(const struct program_summary *p, void *userdata);
int program_library_list_person(struct program_library *lib, const char *dir, program_library_list_fn fn,
                                void *userdata);

/* Every precaution the daemon knows: name and what it changes; NULL-terminated pairs. */
int program_library_precautions(struct program_library *lib, const char *const **ret_names,
                                const char *const **ret_effects);
