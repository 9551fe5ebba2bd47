/* SPDX-License-Identifier: MIT */
/*
 * The people who use the chair (people.h). First cut: the guest only, in memory; the
 * registry, its files (person-file.h) and the migration follow.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "changes.h"
#include "people.h"

struct people {
        struct state_store *store;
        struct chair_changes *changes;
        struct person guest;
        char *no_conditions[1];
        people_switch_allowed_fn switch_allowed;
        void *switch_userdata;
        people_active_fn active_fn;
        void *active_userdata;
};

int people_new(const char *state_dir, struct state_store *store, struct chair_changes *changes,
               struct people **ret) {
        struct people *p;

        (void) state_dir;
        p = calloc(1, sizeof *p);
        if (!p)
                return -ENOMEM;
        p->store = store;
        p->changes = changes;
        p->guest = (struct person) {
                .id = PERSON_GUEST_ID,
                .name = "guest",
                .conditions = p->no_conditions,
                .intensity_cap = 5,
                .heat_cap = 3,
                .shoulder_mm = -1,
        };
        for (size_t i = 0; i < _PAIN_AREA_MAX; i++)
                p->guest.assessment.pain[i] = PAIN_NOT_RATED;
        *ret = p;
        return 0;
}

struct people *people_free(struct people *p) {
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
        ret[0] = &p->guest;
        return 1;
}

const struct person *people_get(struct people *p, uint32_t id) {
        return id == PERSON_GUEST_ID ? &p->guest : NULL;
}

const struct person *people_active(struct people *p) {
        return &p->guest;
}

size_t people_take_dirty(struct people *p, uint32_t ret[static PEOPLE_MAX + 1]) {
        (void) p;
        (void) ret;
        return 0;
}

int people_create(struct people *p, const char *name, uint32_t *ret_id, struct chair_error *error) {
        (void) p, (void) name, (void) ret_id, (void) error;
        return -EOPNOTSUPP;
}

int people_rename(struct people *p, uint32_t id, const char *name, struct chair_error *error) {
        (void) p, (void) id, (void) name, (void) error;
        return -EOPNOTSUPP;
}

int people_delete(struct people *p, uint32_t id, const char *confirm, struct chair_error *error) {
        (void) p, (void) id, (void) confirm, (void) error;
        return -EOPNOTSUPP;
}

int people_select(struct people *p, uint32_t id, struct chair_error *error) {
        if (id == PERSON_GUEST_ID)
                return 0;
        (void) p;
        return chair_error_set(error, CHAIR_REASON_UNKNOWN_PERSON, "No person %u", id);
}

int people_select_next(struct people *p, struct chair_error *error) {
        (void) p, (void) error;
        return 0;
}

int people_set_conditions(struct people *p, uint32_t id, char **list, struct chair_error *error) {
        (void) p, (void) id, (void) list, (void) error;
        return -EOPNOTSUPP;
}

int people_set_caps(struct people *p, uint32_t id, uint32_t intensity_cap, uint32_t heat_cap,
                    struct chair_error *error) {
        (void) p, (void) id, (void) intensity_cap, (void) heat_cap, (void) error;
        return -EOPNOTSUPP;
}

int people_set_timer(struct people *p, uint32_t id, uint32_t minutes, struct chair_error *error) {
        (void) p, (void) id, (void) minutes, (void) error;
        return -EOPNOTSUPP;
}

int people_set_heat_pref(struct people *p, uint32_t id, const uint32_t levels[static 2], struct chair_error *error) {
        (void) p, (void) id, (void) levels, (void) error;
        return -EOPNOTSUPP;
}

int people_set_scan(struct people *p, uint32_t id, int32_t shoulder_mm, int32_t adjust) {
        (void) p, (void) id, (void) shoulder_mm, (void) adjust;
        return -EOPNOTSUPP;
}

int people_save_memory(struct people *p, uint32_t id, unsigned slot, const struct memory_slot *m) {
        (void) p, (void) id, (void) slot, (void) m;
        return -EOPNOTSUPP;
}

int people_set_assessment(struct people *p, uint32_t id, const struct assessment *a, struct chair_error *error) {
        (void) p, (void) id, (void) a, (void) error;
        return -EOPNOTSUPP;
}

int people_history(struct people *p, uint32_t id, size_t max, struct history_entry **ret, size_t *ret_n) {
        (void) p, (void) id, (void) max, (void) ret, (void) ret_n;
        return -EOPNOTSUPP;
}

int people_append_history(struct people *p, uint32_t id, const struct history_entry *e) {
        (void) p, (void) id, (void) e;
        return -EOPNOTSUPP;
}

int people_rate_session(struct people *p, uint32_t id, uint64_t session_id, uint32_t before, uint32_t after,
                        const uint16_t area_after[_PAIN_AREA_MAX], struct chair_error *error) {
        (void) p, (void) id, (void) session_id, (void) before, (void) after, (void) area_after, (void) error;
        return -EOPNOTSUPP;
}

int people_find_session(struct people *p, uint64_t session_id, uint32_t *ret_id) {
        (void) p, (void) session_id, (void) ret_id;
        return -EOPNOTSUPP;
}

int people_programs_dir(struct people *p, uint32_t id, char *buf, size_t size) {
        (void) p, (void) id, (void) buf, (void) size;
        return -EOPNOTSUPP;
}
