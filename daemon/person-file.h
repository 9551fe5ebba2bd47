/* SPDX-License-Identifier: MIT */
/*
 * One person's state file (docs/state-files.md): people/<id> under the state directory, mode
 * 0600 in a 0700 directory (health data: conditions, history, ratings), plain key=value lines
 * for the settings and one `session=` line per history entry, oldest first, at most
 * HISTORY_MAX. Written whole and atomically as every state file (a temporary opened
 * O_CREAT|O_EXCL|O_NOFOLLOW relative to the directory's fd, fsync, renameat, fsync of the
 * directory); read O_NOFOLLOW|O_NONBLOCK, a regular file of at most PERSON_FILE_MAX bytes
 * checked before reading. A file that cannot be read whole is moved aside as
 * <id>.corrupt-<unix time> with its readable lines kept (an unreadable conditions line fails
 * closed: conditions_unreadable); it never touches another person's file.
 * A person's own programs live in people/<id>.programs/ (program-library.h).
 */
#pragma once

#include <stddef.h>

#include "person.h"
#include "state-store.h"

#define PERSON_FILE_MAX (1024u * 1024u)

struct person_record {
        struct person person;              /* conditions owned by the record */
        struct history_entry *history;     /* oldest first, n_history at most HISTORY_MAX */
        size_t n_history;
};

/* A person with every default (no cap of their own, no scan, empty slots, the chair's timer,
 * no heat, no assessment, no history, no conditions declared), named "guest" for the guest and
 * "person ID" otherwise; -ENOMEM, -EINVAL for an id above PERSON_ID_MAX. */
int person_record_init(struct person_record *r, uint32_t id);
void person_record_done(struct person_record *r);   /* frees what the record owns */

/* Opens (creating, 0700) the people directory under STATE_DIR; *ret_fd is an O_DIRECTORY fd.
 * Returns 1 when it created the directory (the first start of a chair with earlier versions'
 * single-person files: people.c migrates them then), 0 when it was there; a link planted as
 * people/ is refused (-ELOOP or -ENOTDIR), never followed. */
int person_dir_open(const char *state_dir, int *ret_fd);
/* The same without creating it: -ENOENT while there is no people/ yet (a start writes nothing
 * until something is stored, so a daemon that then fails to own its bus name, or runs as
 * another user, leaves no directory behind that the chair's own user cannot open). */
int person_dir_open_existing(const char *state_dir, int *ret_fd);
/* Every person file in the directory (names that are a decimal id only; temporaries left
 * behind are deleted): ids ascending, the smallest MAX; returns how many. */
int person_dir_list(int dir_fd, uint32_t *ret_ids, size_t max);
/* Loads people/<id> into *RET (free it with person_record_done; untouched on error). The id
 * is the file's name; a line missing takes person_record_init's default, but a missing
 * conditions line leaves them unknown (conditions_unreadable). -ENOENT: no such file. A
 * damaged file still loads what it can (and is moved aside, logged, the readable part written
 * back); only a file that is not a regular file, too large, or a link is refused whole
 * (-EBADMSG, renamed <id>.rejected-<time>). */
int person_file_load(int dir_fd, uint32_t id, struct person_record *ret);
/* Writes the whole record atomically (mode 0600), the newest HISTORY_MAX entries of its
 * history. -EINVAL: a name people.c would refuse, a condition the daemon does not know, a
 * memory slot's program holding ',' or a control character; -ERANGE: a value out of range. */
int person_file_save(int dir_fd, const struct person_record *r);
/* Deletes people/<id>, its copies moved aside (<id>.corrupt-*, <id>.rejected-*: health data
 * too; removed first, an error keeps the person) and people/<id>.programs/ (never following a
 * link, never descending into a subdirectory). 0 once the file is gone: what could not be
 * removed of the programs directory is left with a warning. */
int person_file_delete(int dir_fd, uint32_t id);
/* people/next-id: the next id to give out (ids are never reused), 1..PERSON_ID_MAX + 1.
 * -ENOENT: none; -EBADMSG: not such a number (logged), or not a regular file (renamed
 * next-id.rejected-<time>). Saving another value is -ERANGE. */
int person_file_load_next_id(int dir_fd, uint32_t *ret);
int person_file_save_next_id(int dir_fd, uint32_t next_id);
