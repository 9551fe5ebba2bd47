/* SPDX-License-Identifier: MIT */
/*
 * The people who use the chair (people.h): the registry in memory, one person_record each
 * (person-file.h), the guest first and the others by id. Every setter builds the changed record
 * beside the one in memory, writes it, and only then takes it: a failed write changes nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "changes.h"
#include "log.h"
#include "macro.h"
#include "people.h"
#include "person-file.h"
#include "precautions.h"
#include "strv.h"
#include "untrusted-file.h"

#define CONDITIONS_MAX 32         /* more than the table holds: a list this long is not a person's */
#define SHOULDER_MM_MAX 2000
#define SHOULDER_ADJUST_MAX 5

struct people {
        char *state_dir;
        int dir_fd;               /* -1 until people/ exists (ensure_dir) */
        bool unsaved;             /* no people/ yet: the guest (migrated) and next-id are written first */
        struct chair_changes *changes;
        /* [0] the guest, then ascending ids; n_records at most PEOPLE_MAX + 1. */
        struct person_record *records[PEOPLE_MAX + 1];
        size_t n_records;
        uint32_t active;
        uint32_t next_id;
        uint32_t dirty[PEOPLE_MAX + 1];
        size_t n_dirty;
        people_switch_allowed_fn switch_allowed;
        void *switch_userdata;
        people_active_fn active_fn;
        void *active_userdata;
};

static struct person_record *record_new(uint32_t id, const char *name) {
        struct person_record *r = calloc(1, sizeof *r);

        if (!r)
                return NULL;
        if (person_record_init(r, id) < 0) {
                free(r);
                return NULL;
        }
        snprintf(r->person.name, sizeof r->person.name, "%s", name);
        return r;
}

static void record_free(struct person_record *r) {
        if (!r)
                return;
        person_record_done(r);
        free(r);
}

static struct person_record *find(struct people *p, uint32_t id, size_t *ret_index) {
        for (size_t i = 0; i < p->n_records; i++)
                if (p->records[i]->person.id == id) {
                        if (ret_index)
                                *ret_index = i;
                        return p->records[i];
                }
        return NULL;
}

static struct person_record *find_or_refuse(struct people *p, uint32_t id, struct chair_error *error) {
        struct person_record *r = find(p, id, NULL);

        if (!r)
                chair_error_set(error, CHAIR_REASON_UNKNOWN_PERSON, "No person with id %u", id);
        return r;
}

static void mark_dirty(struct people *p, uint32_t id) {
        for (size_t i = 0; i < p->n_dirty; i++)
                if (p->dirty[i] == id)
                        goto mark;
        if (p->n_dirty < ARRAY_SIZE(p->dirty))
                p->dirty[p->n_dirty++] = id;
mark:
        chair_changes_mark(p->changes, CHAIR_CHANGE_PERSON);
}

static void tell_active(struct people *p) {
        if (p->active_fn)
                p->active_fn(p->active_userdata);
}

/* The one way a record reaches its file. The guest's body scan stays in memory, as the one
 * person's did before there were people: the guest is whoever sits down, and the next one after
 * a restart is scanned afresh. */
static int ensure_dir(struct people *p);

static int write_record(struct people *p, const struct person_record *r) {
        struct person_record tmp = *r;
        int k;

        k = ensure_dir(p);
        if (k < 0)
                return k;

        if (tmp.person.id == PERSON_GUEST_ID) {
                tmp.person.shoulder_mm = -1;
                tmp.person.shoulder_adjust = 0;
        }
        return person_file_save(p->dir_fd, &tmp);
}

/* Writes R with PERSON in place of its settings (history as it is): the record in memory
 * takes PERSON only when the write succeeded. */
static int save_as(struct people *p, struct person_record *r, const struct person *person) {
        struct person_record tmp = { .person = *person, .history = r->history, .n_history = r->n_history };
        int k;

        k = write_record(p, &tmp);
        if (k < 0)
                return log_warning_errno(k, "%s/people/%u: could not store %s's settings: %m", p->state_dir,
                                         person->id, person->name);
        r->person = *person;
        return 0;
}

/* ---- names ---- */

static bool ascii_equal_nocase(const char *a, const char *b) {
        for (; *a && *b; a++, b++) {
                char x = *a >= 'A' && *a <= 'Z' ? (char) (*a - 'A' + 'a') : *a;
                char y = *b >= 'A' && *b <= 'Z' ? (char) (*b - 'A' + 'a') : *b;
                if (x != y)
                        return false;
        }
        return *a == *b;
}

/* 1-PERSON_NAME_MAX bytes of UTF-8, no control character (C0, DEL, C1), no space at either
 * end (two names that look the same are one), not "guest", not another person's (but SELF's). */
static int check_name(struct people *p, const char *name, uint32_t self, struct chair_error *error) {
        size_t len = name ? strnlen(name, PERSON_NAME_MAX + 1) : 0;

        if (len == 0)
                return chair_error_set(error, CHAIR_REASON_INVALID_ARGS, "name: empty");
        if (len > PERSON_NAME_MAX)
                return chair_error_set(error, CHAIR_REASON_INVALID_ARGS, "name: longer than %u bytes", PERSON_NAME_MAX);
        if (!utf8_valid(name, len))
                return chair_error_set(error, CHAIR_REASON_INVALID_ARGS, "name: not valid UTF-8");
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char) name[i];
                /* U+0080-U+009F are 0xc2 0x80-0x9f in UTF-8. */
                if (c < 0x20 || c == 0x7f || (c == 0xc2 && i + 1 < len && (unsigned char) name[i + 1] <= 0x9f))
                        return chair_error_set(error, CHAIR_REASON_INVALID_ARGS, "name: holds a control character");
        }
        if (name[0] == ' ' || name[len - 1] == ' ')
                return chair_error_set(error, CHAIR_REASON_INVALID_ARGS, "name: begins or ends with a space");
        if (ascii_equal_nocase(name, "guest"))
                return chair_error_set(error, CHAIR_REASON_NAME_TAKEN, "name: 'guest' is the guest's");
        for (size_t i = 0; i < p->n_records; i++)
                if (p->records[i]->person.id != self && ascii_equal_nocase(p->records[i]->person.name, name))
                        return chair_error_set(error, CHAIR_REASON_NAME_TAKEN, "name: '%s' is taken", name);
        return 0;
}

/* ---- loading and the migration ---- */

/* What the single-person chair of earlier versions kept in the state store becomes the guest's:
 * the conditions (an unreadable or unknown one fails closed, as it did), the memory slots and
 * the history. */
static int migrate_into_guest(struct people *p, struct state_store *store, struct person_record *g) {
        _cleanup_free_ struct history_entry *newest_first = NULL;
        char **conditions = NULL;
        size_t n = 0;
        int r;

        if (state_store_load_precautions(store, &conditions) >= 0) {
                strv_free(g->person.conditions);
                g->person.conditions = conditions;
                for (char **c = conditions; *c; c++)
                        if (!precaution_find(*c)) {
                                log_warning("%s/settings: unknown precaution '%s'; sessions are refused until the "
                                            "precautions are declared again.", p->state_dir, *c);
                                g->person.conditions_unreadable = true;
                        }
        } else
                g->person.conditions_unreadable = true;
        g->person.conditions_unreadable |= state_store_precautions_unreadable(store);
        for (unsigned i = 0; i < MEMORY_SLOTS; i++)
                if (state_store_load_memory(store, i + 1, &g->person.memory[i]) < 0)
                        g->person.memory[i] = (struct memory_slot) {};
        r = state_store_list_history(store, HISTORY_MAX, &newest_first, &n);
        if (r < 0)
                return log_error_errno(r, "%s/history: could not read it to move it to the guest: %m", p->state_dir);
        g->history = calloc(n ? n : 1, sizeof *g->history);
        if (!g->history)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                g->history[i] = newest_first[n - 1 - i];
        g->n_history = n;
        log_info("%s/people: first start with profiles; the precautions, memory slots and %zu sessions of history "
                 "are the guest's now.", p->state_dir, n);
        return 0;
}

/* Inserts R in id order (the guest first): the caller made sure there is room. */
static void insert_record(struct people *p, struct person_record *r) {
        size_t i = p->n_records;

        while (i > 0 && p->records[i - 1]->person.id > r->person.id) {
                p->records[i] = p->records[i - 1];
                i--;
        }
        p->records[i] = r;
        p->n_records++;
}

/* A file whose name line could not be read loads as "person N" (person_record_init), which
 * may be a real person's name; a damaged directory may even hold one name twice. Names are
 * unique: the default name yields (a real one keeps its name), else the higher id, and takes
 * the first of "person N", "person N (2)", ... no one has; stored, so the next start agrees. */
static void make_names_unique(struct people *p) {
        for (size_t i = 0; i < p->n_records; i++) {
                struct person_record *rec = p->records[i];
                char fallback[20], name[PERSON_NAME_MAX + 1]; /* "person 4294967295" */
                bool yields = false;

                if (rec->person.id == PERSON_GUEST_ID)
                        continue;
                snprintf(fallback, sizeof fallback, "person %u", rec->person.id);
                for (size_t j = 0; j < p->n_records && !yields; j++) {
                        const struct person *o = &p->records[j]->person;
                        char other_fallback[20];
                        bool mine, theirs;

                        if (j == i || !ascii_equal_nocase(o->name, rec->person.name))
                                continue;
                        snprintf(other_fallback, sizeof other_fallback, "person %u", o->id);
                        mine = strcmp(rec->person.name, fallback) == 0;
                        theirs = strcmp(o->name, other_fallback) == 0;
                        yields = o->id == PERSON_GUEST_ID || (mine && !theirs) || (mine == theirs && j < i);
                }
                if (!yields)
                        continue;
                for (unsigned k = 1; k < PEOPLE_MAX + 3; k++) {
                        struct chair_error error = {};
                        if (k == 1)
                                snprintf(name, sizeof name, "%s", fallback);
                        else
                                snprintf(name, sizeof name, "%s (%u)", fallback, k);
                        if (ascii_equal_nocase(name, rec->person.name) || check_name(p, name, rec->person.id, &error) < 0)
                                continue;
                        log_warning("%s/people/%u: the name '%s' is another person's: called '%s' now.",
                                    p->state_dir, rec->person.id, rec->person.name, name);
                        snprintf(rec->person.name, sizeof rec->person.name, "%s", name);
                        if (write_record(p, rec) < 0)
                                log_warning("%s/people/%u: could not store the new name.", p->state_dir,
                                            rec->person.id);
                        break;
                }
        }
}

static int load_all(struct people *p, struct state_store *store) {
        uint32_t ids[PEOPLE_MAX + 2];
        struct person_record *guest = NULL;
        bool fresh;
        int n, r;

        r = person_file_load_next_id(p->dir_fd, &p->next_id);
        fresh = r == -ENOENT;
        if (r < 0 && r != -ENOENT)
                return log_error_errno(r, "%s/people/next-id: %m", p->state_dir);
        n = person_dir_list(p->dir_fd, ids, ARRAY_SIZE(ids));
        if (n < 0)
                return log_error_errno(n, "%s/people: could not list it: %m", p->state_dir);
        for (int i = 0; i < n; i++) {
                struct person_record *rec = calloc(1, sizeof *rec);

                if (!rec)
                        return -ENOMEM;
                r = person_file_load(p->dir_fd, ids[i], rec);
                if (r < 0) {
                        /* Moved aside by the loader; the others stay as they are. */
                        log_warning_errno(r, "%s/people/%u: not loaded: %m", p->state_dir, ids[i]);
                        free(rec);
                        if (ids[i] == PERSON_GUEST_ID)
                                fresh = false; /* the guest was there: no second migration */
                        continue;
                }
                rec->person.id = ids[i];
                if (ids[i] == PERSON_GUEST_ID) {
                        snprintf(rec->person.name, sizeof rec->person.name, "guest");
                        rec->person.shoulder_mm = -1;  /* see write_record() */
                        rec->person.shoulder_adjust = 0;
                }
                if (p->n_records == ARRAY_SIZE(p->records)) {
                        log_warning("%s/people/%u: left alone (more than %u profiles).", p->state_dir, ids[i],
                                    PEOPLE_MAX);
                        record_free(rec);
                        continue;
                }
                if (ids[i] == PERSON_GUEST_ID)
                        guest = rec;
                insert_record(p, rec);
                p->next_id = MAX(p->next_id, ids[i] + 1);
        }
        make_names_unique(p);
        if (!guest) {
                guest = record_new(PERSON_GUEST_ID, "guest");
                if (!guest)
                        return -ENOMEM;
                insert_record(p, guest);
                /* Only the first start with people/ moves the old files' person in, once. */
                if (fresh && p->n_records == 1) {
                        r = migrate_into_guest(p, store, guest);
                        if (r < 0)
                                return r;
                } else {
                        /* The guest's file was there once (refused as damaged, or removed): what
                         * they declared is unknown, so nothing moves until it is declared again. */
                        log_warning("%s/people/0: the guest's file is missing or was refused; sessions are refused "
                                    "until the guest's conditions are declared again.", p->state_dir);
                        guest->person.conditions_unreadable = true;
                }
                r = write_record(p, guest);
                if (r < 0)
                        return log_error_errno(r, "%s/people/0: could not write the guest's file: %m", p->state_dir);
        }
        p->next_id = MAX(p->next_id, 1u);
        if (fresh) {
                /* Last: its presence says the migration is done. */
                r = person_file_save_next_id(p->dir_fd, p->next_id);
                if (r < 0)
                        return log_error_errno(r, "%s/people/next-id: could not write it: %m", p->state_dir);
        }
        return 0;
}

/* No people/ yet (a first start, or the first since an upgrade): the guest, with what the old
 * single-person files held, lives in memory until something is stored; nothing is written now. */
static int start_fresh(struct people *p, struct state_store *store) {
        struct person_record *guest = record_new(PERSON_GUEST_ID, "guest");
        int r;

        if (!guest)
                return -ENOMEM;
        insert_record(p, guest);
        r = migrate_into_guest(p, store, guest);
        if (r < 0)
                return r;
        p->next_id = 1;
        p->unsaved = true;
        return 0;
}

/* Creates people/ at the first write, then stores the guest and, last (its presence says the
 * migration is done), next-id. */
static int ensure_dir(struct people *p) {
        int fd, r;

        if (p->dir_fd < 0) {
                r = person_dir_open(p->state_dir, &fd);
                if (r < 0)
                        return log_error_errno(r, "%s/people: could not create it: %m", p->state_dir);
                p->dir_fd = fd;
        }
        if (!p->unsaved)
                return 0;
        p->unsaved = false; /* write_record() below comes back here */
        r = write_record(p, p->records[0]);
        if (r >= 0)
                r = person_file_save_next_id(p->dir_fd, p->next_id);
        if (r < 0) {
                p->unsaved = true;
                return log_error_errno(r, "%s/people: could not store the guest's file: %m", p->state_dir);
        }
        return 0;
}

int people_prepare(struct people *p) {
        return ensure_dir(p);
}

int people_new(const char *state_dir, struct state_store *store, struct chair_changes *changes,
               struct people **ret) {
        struct people *p;
        int r;

        p = calloc(1, sizeof *p);
        if (!p)
                return -ENOMEM;
        p->dir_fd = -1;
        p->changes = changes;
        p->active = PERSON_GUEST_ID;
        p->state_dir = strdup(state_dir);
        if (!p->state_dir) {
                r = -ENOMEM;
                goto fail;
        }
        r = person_dir_open_existing(state_dir, &p->dir_fd);
        if (r == -ENOENT)
                r = start_fresh(p, store);
        else if (r < 0)
                log_error_errno(r, "%s/people: could not open it: %m", state_dir);
        else
                r = load_all(p, store);
        if (r < 0)
                goto fail;
        log_info("People: the guest and %zu profiles.", p->n_records - 1);
        *ret = p;
        return 0;
fail:
        people_free(p);
        return r;
}

struct people *people_free(struct people *p) {
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->n_records; i++)
                record_free(p->records[i]);
        if (p->dir_fd >= 0)
                close(p->dir_fd);
        free(p->state_dir);
        free(p);
        return NULL;
}

void people_set_switch_guard(struct people *p, people_switch_allowed_fn fn, void *userdata) {
        p->switch_allowed = fn;
        p->switch_userdata = userdata;
}

void people_listen_active(struct people *p, people_active_fn fn, void *userdata) {
        p->active_fn = fn;
        p->active_userdata = userdata;
}

size_t people_list(struct people *p, const struct person *ret[static PEOPLE_MAX + 1]) {
        for (size_t i = 0; i < p->n_records; i++)
                ret[i] = &p->records[i]->person;
        return p->n_records;
}

const struct person *people_get(struct people *p, uint32_t id) {
        struct person_record *r = find(p, id, NULL);
        return r ? &r->person : NULL;
}

const struct person *people_active(struct people *p) {
        struct person_record *r = find(p, p->active, NULL);
        /* The guest always exists (load_all), and deleting the active person selects it. */
        return r ? &r->person : &p->records[0]->person;
}

size_t people_take_dirty(struct people *p, uint32_t ret[static PEOPLE_MAX + 1]) {
        size_t n = 0;

        /* Only those still there: a deleted person's object is gone. */
        for (size_t i = 0; i < p->n_dirty; i++)
                if (find(p, p->dirty[i], NULL))
                        ret[n++] = p->dirty[i];
        p->n_dirty = 0;
        return n;
}

/* ---- life cycle ---- */

static bool switch_allowed(struct people *p) {
        return !p->switch_allowed || p->switch_allowed(p->switch_userdata);
}

int people_create(struct people *p, const char *name, uint32_t *ret_id, struct chair_error *error) {
        struct person_record *r;
        int k;

        k = check_name(p, name, UINT32_MAX, error);
        if (k < 0)
                return k;
        if (p->n_records > PEOPLE_MAX)
                return chair_error_set(error, CHAIR_REASON_PEOPLE_FULL, "There are %u profiles already; delete one first",
                                       PEOPLE_MAX);
        if (p->next_id > PERSON_ID_MAX)
                return chair_error_set(error, CHAIR_REASON_PEOPLE_FULL, "Every person id up to %u has been given out",
                                       PERSON_ID_MAX);
        r = record_new(p->next_id, name);
        if (!r)
                return chair_error_set_errno(error, -ENOMEM, "Out of memory");
        /* The id first: if the chair dies after the person's file is written, the id is still
         * never given out again. */
        k = ensure_dir(p);
        if (k >= 0)
                k = person_file_save_next_id(p->dir_fd, p->next_id + 1);
        if (k >= 0)
                k = write_record(p, r);
        if (k < 0) {
                record_free(r);
                return chair_error_set_errno(error, k, "Could not store the new person: %m");
        }
        p->next_id++;
        insert_record(p, r);
        log_info("Person %u '%s' created.", r->person.id, r->person.name);
        chair_changes_mark(p->changes, CHAIR_CHANGE_PEOPLE);
        if (ret_id)
                *ret_id = r->person.id;
        return 0;
}

int people_rename(struct people *p, uint32_t id, const char *name, struct chair_error *error) {
        struct person_record *r = find_or_refuse(p, id, error);
        struct person np;
        int k;

        if (!r)
                return error ? error->error : -ENXIO;
        if (id == PERSON_GUEST_ID)
                return chair_error_set(error, CHAIR_REASON_NOT_PERMITTED, "The guest cannot be renamed");
        k = check_name(p, name, id, error);
        if (k < 0)
                return k;
        np = r->person;
        snprintf(np.name, sizeof np.name, "%s", name);
        k = save_as(p, r, &np);
        if (k < 0)
                return chair_error_set_errno(error, k, "Could not store the new name: %m");
        log_info("Person %u renamed '%s'.", id, name);
        mark_dirty(p, id);
        chair_changes_mark(p->changes, CHAIR_CHANGE_PEOPLE);
        return 0;
}

int people_delete(struct people *p, uint32_t id, const char *confirm, struct chair_error *error) {
        struct person_record *r;
        size_t index;
        bool was_active = p->active == id;
        int k;

        r = find(p, id, &index);
        if (!r)
                return chair_error_set(error, CHAIR_REASON_UNKNOWN_PERSON, "No person with id %u", id);
        if (id == PERSON_GUEST_ID)
                return chair_error_set(error, CHAIR_REASON_NOT_PERMITTED, "The guest cannot be deleted");
        if (!confirm || strcmp(confirm, r->person.name) != 0)
                return chair_error_set(error, CHAIR_REASON_INVALID_ARGS,
                                       "confirm_name: give the person's name ('%s') to delete them with their history",
                                       r->person.name);
        if (was_active && !switch_allowed(p))
                return chair_error_set(error, CHAIR_REASON_BUSY, "%s is in the chair: stop the session first",
                                       r->person.name);
        k = person_file_delete(p->dir_fd, id);
        if (k < 0 && k != -ENOENT)
                return chair_error_set_errno(error, k, "Could not delete %s's file: %m", r->person.name);
        log_info("Person %u '%s' deleted with %zu sessions of history.", id, r->person.name, r->n_history);
        memmove(&p->records[index], &p->records[index + 1], (p->n_records - index - 1) * sizeof p->records[0]);
        p->n_records--;
        record_free(r);
        chair_changes_mark(p->changes, CHAIR_CHANGE_PEOPLE);
        if (was_active) {
                p->active = PERSON_GUEST_ID;
                mark_dirty(p, PERSON_GUEST_ID);
                chair_changes_mark(p->changes, CHAIR_CHANGE_ACTIVE_PERSON);
                tell_active(p);
        }
        return 0;
}

int people_select(struct people *p, uint32_t id, struct chair_error *error) {
        struct person_record *r = find_or_refuse(p, id, error);
        uint32_t before = p->active;

        if (!r)
                return error ? error->error : -ENXIO;
        if (id == p->active)
                return 0;
        if (!switch_allowed(p))
                return chair_error_set(error, CHAIR_REASON_BUSY,
                                       "A session is under way: the person can change once it has ended");
        p->active = id;
        log_info("%s is in the chair now.", r->person.id == PERSON_GUEST_ID ? "The guest" : r->person.name);
        mark_dirty(p, before);
        mark_dirty(p, id);
        chair_changes_mark(p->changes, CHAIR_CHANGE_ACTIVE_PERSON);
        tell_active(p);
        return 0;
}

int people_select_next(struct people *p, struct chair_error *error) {
        size_t i = 0;

        /* Refused while a session is under way even with nobody else to go to: the key does
         * the same whoever is there. */
        if (!switch_allowed(p))
                return chair_error_set(error, CHAIR_REASON_BUSY,
                                       "A session is under way: the person can change once it has ended");
        find(p, p->active, &i);
        return people_select(p, p->records[(i + 1) % p->n_records]->person.id, error);
}

/* ---- setters ---- */

/* After a change of the active person's conditions or caps, the session follows. */
static void settings_changed(struct people *p, uint32_t id, bool limits) {
        mark_dirty(p, id);
        if (limits && id == p->active) {
                chair_changes_mark(p->changes, CHAIR_CHANGE_PRECAUTIONS);
                tell_active(p);
        }
}

bool people_conditions_loosen(const struct person *person, char *const *list) {
        if (person->conditions_unreadable)
                return true;
        for (char *const *c = person->conditions; *c; c++) {
                bool kept = false;
                for (char *const *n = list; n && *n && !kept; n++)
                        kept = strcmp(*n, *c) == 0;
                if (!kept)
                        return true;
        }
        return false;
}

bool people_caps_loosen(const struct person *person, uint32_t intensity_cap, uint32_t heat_cap) {
        return intensity_cap > person->intensity_cap || heat_cap > person->heat_cap;
}

int people_set_conditions(struct people *p, uint32_t id, char **list, struct chair_error *error) {
        struct person_record *r = find_or_refuse(p, id, error);
        _cleanup_free_ char **empty = NULL;
        char **old;
        struct person np;
        size_t n = 0;
        bool was_unreadable;
        int k;

        if (!r)
                return error ? error->error : -ENXIO;
        for (char **c = list; c && *c; c++, n++) {
                if (n >= CONDITIONS_MAX)
                        return chair_error_set(error, CHAIR_REASON_INVALID_ARGS, "conditions: more than %u",
                                               CONDITIONS_MAX);
                if (!precaution_find(*c))
                        return chair_error_set(error, CHAIR_REASON_INVALID_ARGS,
                                               "conditions: unknown condition '%.64s' (see ListPrecautions)", *c);
        }
        if (!list) {
                list = empty = calloc(1, sizeof(char *));
                if (!list)
                        return chair_error_set_errno(error, -ENOMEM, "Out of memory");
        }
        old = r->person.conditions;
        was_unreadable = r->person.conditions_unreadable;
        np = r->person;
        np.conditions = list;
        np.conditions_unreadable = false;
        k = save_as(p, r, &np);
        if (k < 0)
                return chair_error_set_errno(error, k, "Could not store the conditions: %m");
        empty = NULL; /* the record owns it now */
        strv_free(old);
        if (was_unreadable)
                log_info("%s's conditions declared again; sessions are allowed.", np.name);
        settings_changed(p, id, true);
        return 0;
}

int people_set_caps(struct people *p, uint32_t id, uint32_t intensity_cap, uint32_t heat_cap,
                    struct chair_error *error) {
        struct person_record *r = find_or_refuse(p, id, error);
        struct person np;
        int k;

        if (!r)
                return error ? error->error : -ENXIO;
        if (intensity_cap < 1 || intensity_cap > 5)
                return chair_error_set(error, CHAIR_REASON_INVALID_ARGS, "intensity_cap: %u is not 1-5", intensity_cap);
        if (heat_cap > 3)
                return chair_error_set(error, CHAIR_REASON_INVALID_ARGS, "heat_cap: %u is not 0-3", heat_cap);
        np = r->person;
        np.intensity_cap = intensity_cap;
        np.heat_cap = heat_cap;
        k = save_as(p, r, &np);
        if (k < 0)
                return chair_error_set_errno(error, k, "Could not store the caps: %m");
        log_info("%s's caps: intensity %u, heat %u.", np.name, intensity_cap, heat_cap);
        settings_changed(p, id, true);
        return 0;
}

int people_set_timer(struct people *p, uint32_t id, uint32_t minutes, struct chair_error *error) {
        struct person_record *r = find_or_refuse(p, id, error);
        struct person np;
        int k;

        if (!r)
                return error ? error->error : -ENXIO;
        if (minutes != 0 && !chair_timer_valid(minutes))
                return chair_error_set(error, CHAIR_REASON_INVALID_ARGS,
                                       "minutes: %u is not a timer value (0 for the chair's default)", minutes);
        np = r->person;
        np.timer_min = minutes;
        k = save_as(p, r, &np);
        if (k < 0)
                return chair_error_set_errno(error, k, "Could not store the timer: %m");
        mark_dirty(p, id);
        if (id == p->active) {
                chair_changes_mark(p->changes, CHAIR_CHANGE_TIMER);
                tell_active(p);
        }
        return 0;
}

int people_set_heat_pref(struct people *p, uint32_t id, const uint32_t levels[static 2], struct chair_error *error) {
        struct person_record *r = find_or_refuse(p, id, error);
        struct person np;
        int k;

        if (!r)
                return error ? error->error : -ENXIO;
        for (unsigned z = 0; z < ARRAY_SIZE(np.heat_pref); z++)
                if (levels[z] > 3)
                        return chair_error_set(error, CHAIR_REASON_INVALID_ARGS, "level: %u is not 0-3", levels[z]);
        np = r->person;
        memcpy(np.heat_pref, levels, sizeof np.heat_pref);
        k = save_as(p, r, &np);
        if (k < 0)
                return chair_error_set_errno(error, k, "Could not store the heat preference: %m");
        mark_dirty(p, id);
        return 0;
}

int people_set_scan(struct people *p, uint32_t id, int32_t shoulder_mm, int32_t adjust) {
        struct person_record *r = find(p, id, NULL);
        struct person np;
        int k;

        if (!r)
                return -ENXIO;
        if (shoulder_mm < -1 || shoulder_mm > SHOULDER_MM_MAX || adjust < -SHOULDER_ADJUST_MAX ||
            adjust > SHOULDER_ADJUST_MAX)
                return -EINVAL;
        if (r->person.shoulder_mm == shoulder_mm && r->person.shoulder_adjust == adjust)
                return 0;
        np = r->person;
        np.shoulder_mm = shoulder_mm;
        np.shoulder_adjust = adjust;
        if (id == PERSON_GUEST_ID)
                r->person = np;   /* nothing of it is stored (write_record) */
        else {
                k = save_as(p, r, &np);
                if (k < 0)
                        return k;
        }
        mark_dirty(p, id);
        if (id == p->active)
                chair_changes_mark(p->changes, CHAIR_CHANGE_SHOULDER);
        return 0;
}

int people_save_memory(struct people *p, uint32_t id, unsigned slot, const struct memory_slot *m) {
        struct person_record *r = find(p, id, NULL);
        struct person np;

        if (!r)
                return -ENXIO;
        if (slot < 1 || slot > MEMORY_SLOTS)
                return -EINVAL;
        np = r->person;
        np.memory[slot - 1] = *m;
        return save_as(p, r, &np);
}

static bool pain_valid(uint32_t v) {
        return v <= 10 || v == PAIN_NOT_RATED;
}

int people_set_assessment(struct people *p, uint32_t id, const struct assessment *a, struct chair_error *error) {
        struct person_record *r = find_or_refuse(p, id, error);
        struct person np;
        bool any = a->pain_now <= 10;
        int k;

        if (!r)
                return error ? error->error : -ENXIO;
        for (size_t i = 0; i < _PAIN_AREA_MAX; i++) {
                if (!pain_valid(a->pain[i]))
                        return chair_error_set(error, CHAIR_REASON_INVALID_ARGS, "pain_by_area: %s %u is not 0-10",
                                               pain_area_to_string((enum pain_area) i), a->pain[i]);
                any |= a->pain[i] <= 10;
        }
        if (!pain_valid(a->pain_now))
                return chair_error_set(error, CHAIR_REASON_INVALID_ARGS, "pain_now: %u is not 0-10", a->pain_now);
        if ((unsigned) a->goal >= _GOAL_MAX)
                return chair_error_set(error, CHAIR_REASON_INVALID_ARGS, "goal: not a goal");
        if (!any)
                return chair_error_set(error, CHAIR_REASON_INVALID_ARGS,
                                       "pain_by_area: an assessment names at least one area or the pain now");
        np = r->person;
        np.assessment = *a;
        np.assessment_used_by = 0;
        k = save_as(p, r, &np);
        if (k < 0)
                return chair_error_set_errno(error, k, "Could not store the assessment: %m");
        mark_dirty(p, id);
        return 0;
}

/* ---- history ---- */

int people_history(struct people *p, uint32_t id, size_t max, struct history_entry **ret, size_t *ret_n) {
        struct person_record *r = find(p, id, NULL);
        struct history_entry *out;
        size_t n;

        if (!r)
                return -ENXIO;
        n = MIN(max, r->n_history);
        out = calloc(n ? n : 1, sizeof *out);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                out[i] = r->history[r->n_history - 1 - i];
        *ret = out;
        *ret_n = n;
        return 0;
}

int people_append_history(struct people *p, uint32_t id, const struct history_entry *e) {
        struct person_record *r = find(p, id, NULL);
        struct person_record tmp;
        struct history_entry *h;
        size_t drop;
        int k;

        if (!r)
                return -ENXIO;
        /* Room for one more, then the write sees the oldest dropped at HISTORY_MAX. */
        h = realloc(r->history, (r->n_history + 1) * sizeof *h);
        if (!h)
                return -ENOMEM;
        r->history = h;
        h[r->n_history] = *e;
        drop = r->n_history + 1 > HISTORY_MAX ? r->n_history + 1 - HISTORY_MAX : 0;
        tmp = (struct person_record) { .person = r->person, .history = h + drop, .n_history = r->n_history + 1 - drop };
        /* The assessment it carries is used once. */
        if (e->assessed)
                tmp.person.assessment_used_by = e->id;
        k = write_record(p, &tmp);
        if (k < 0)
                return log_warning_errno(k, "%s/people/%u: could not record session %llu: %m", p->state_dir, id,
                                         (unsigned long long) e->id);
        memmove(h, h + drop, tmp.n_history * sizeof *h);
        r->n_history = tmp.n_history;
        r->person = tmp.person;
        mark_dirty(p, id);
        return 0;
}

int people_rate_session(struct people *p, uint32_t id, uint64_t session_id, uint32_t before, uint32_t after,
                        const uint16_t area_after[_PAIN_AREA_MAX], struct chair_error *error) {
        struct person_record *r = find_or_refuse(p, id, error);
        struct history_entry old;
        size_t i;
        int k;

        if (!r)
                return error ? error->error : -ENXIO;
        if (!pain_valid(before) || !pain_valid(after))
                return chair_error_set(error, CHAIR_REASON_INVALID_ARGS, "%s: %u is not 0-10",
                                       pain_valid(before) ? "after" : "before", pain_valid(before) ? after : before);
        for (size_t a = 0; area_after && a < _PAIN_AREA_MAX; a++)
                if (!pain_valid(area_after[a]))
                        return chair_error_set(error, CHAIR_REASON_INVALID_ARGS, "area_after: %s %u is not 0-10",
                                               pain_area_to_string((enum pain_area) a), area_after[a]);
        for (i = r->n_history; i-- > 0;)
                if (r->history[i].id == session_id)
                        break;
        if (i == SIZE_MAX) {
                chair_error_set(error, CHAIR_REASON_INVALID_ARGS, "session_id: no session %llu in %s's history",
                                (unsigned long long) session_id, r->person.name);
                return -ENOENT;
        }
        old = r->history[i];
        if (before != PAIN_NOT_RATED)
                r->history[i].pain_before = (uint16_t) before;
        if (after != PAIN_NOT_RATED)
                r->history[i].pain_after = (uint16_t) after;
        for (size_t a = 0; area_after && a < _PAIN_AREA_MAX; a++)
                if (area_after[a] != PAIN_NOT_RATED)
                        r->history[i].area_after[a] = area_after[a];
        k = write_record(p, r);
        if (k < 0) {
                r->history[i] = old;
                return chair_error_set_errno(error, k, "Could not store the rating: %m");
        }
        mark_dirty(p, id);
        return 0;
}

int people_find_session(struct people *p, uint64_t session_id, uint32_t *ret_id) {
        for (size_t i = 0; i < p->n_records; i++)
                for (size_t j = p->records[i]->n_history; j-- > 0;)
                        if (p->records[i]->history[j].id == session_id) {
                                *ret_id = p->records[i]->person.id;
                                return 0;
                        }
        return -ENOENT;
}

int people_programs_dir(struct people *p, uint32_t id, char *buf, size_t size) {
        int n;

        if (!find(p, id, NULL))
                return -ENXIO;
        n = snprintf(buf, size, "%s/people/%u.programs", p->state_dir, id);
        return n < 0 || (size_t) n >= size ? -ENAMETOOLONG : 0;
}
