/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>

#include "changes.h"
#include "log.h"
#include "people.h"
#include "precautions.h"
#include "settings.h"
#include "state-store.h"
#include "strv.h"
#include "vocab.h"

struct chair_settings {
        struct state_store *store;
        struct people *people;
        struct chair_changes *changes;
        bool child_lock;
        uint32_t default_timer_min;
        /* What the listener last heard, to tell it what changed when people say "the active
         * person changed" (people_listen_active). */
        uint32_t active_id;
        uint32_t timer_min;
        chair_settings_fn listener;
        void *listener_userdata;
};

static void changed(struct chair_settings *s, enum chair_setting what, uint32_t mark) {
        chair_changes_mark(s->changes, mark);
        if (s->listener)
                s->listener(what, s->listener_userdata);
}

static void on_active_person(void *userdata) {
        struct chair_settings *s = userdata;
        const struct person *a = people_active(s->people);
        uint32_t timer = chair_settings_timer(s);

        if (a->id != s->active_id) {
                s->active_id = a->id;
                s->timer_min = timer;
                changed(s, CHAIR_SETTING_PERSON, CHAIR_CHANGE_PRECAUTIONS | CHAIR_CHANGE_TIMER | CHAIR_CHANGE_SHOULDER);
        } else if (timer != s->timer_min) {
                /* Their own timer is for their next session: the one running keeps its own. */
                s->timer_min = timer;
                changed(s, CHAIR_SETTING_PERSON, CHAIR_CHANGE_TIMER);
        } else
                changed(s, CHAIR_SETTING_PRECAUTIONS, CHAIR_CHANGE_PRECAUTIONS);
}

int chair_settings_new(struct state_store *store, struct people *people, struct chair_changes *changes,
                       uint32_t fallback_timer_min, struct chair_settings **ret) {
        struct chair_settings *s = calloc(1, sizeof *s);
        uint32_t timer = 0;

        if (!s)
                return -ENOMEM;
        s->store = store;
        s->people = people;
        s->changes = changes;
        s->child_lock = state_store_child_lock(store);
        s->default_timer_min = fallback_timer_min;
        if (state_store_load_default_timer(store, &timer) >= 0 && chair_timer_valid(timer))
                s->default_timer_min = timer;
        s->active_id = people_active(people)->id;
        s->timer_min = chair_settings_timer(s);
        people_listen_active(people, on_active_person, s);
        *ret = s;
        return 0;
}

struct chair_settings *chair_settings_free(struct chair_settings *s) {
        if (s) {
                people_listen_active(s->people, NULL, NULL);
                free(s);
        }
        return NULL;
}

void chair_settings_listen(struct chair_settings *s, chair_settings_fn fn, void *userdata) {
        s->listener = fn;
        s->listener_userdata = userdata;
}

const char *const *chair_settings_precautions(struct chair_settings *s) {
        return (const char *const *) people_active(s->people)->conditions;
}

bool chair_settings_precautions_unreadable(struct chair_settings *s) {
        return people_active(s->people)->conditions_unreadable;
}

void chair_settings_declared(struct chair_settings *s, struct precaution_declared *ret) {
        const struct person *a = people_active(s->people);

        *ret = (struct precaution_declared) {
                .conditions = (const char *const *) a->conditions,
                .unreadable = a->conditions_unreadable,
                .capped = true,
                .intensity_cap = a->intensity_cap,
                .heat_cap = a->heat_cap,
        };
}

bool chair_settings_child_lock(struct chair_settings *s) {
        return s->child_lock;
}

uint32_t chair_settings_default_timer(struct chair_settings *s) {
        return s->default_timer_min;
}

uint32_t chair_settings_timer(struct chair_settings *s) {
        uint32_t own = people_active(s->people)->timer_min;
        return own ? own : s->default_timer_min;
}

int chair_settings_set_precautions(struct chair_settings *s, char **list) {
        struct chair_error e = CHAIR_ERROR_NULL;
        int r;

        /* people tells the listener (on_active_person) once it is stored. */
        r = people_set_conditions(s->people, people_active(s->people)->id, list, &e);
        if (r < 0 && chair_error_is(&e, CHAIR_REASON_INVALID_ARGS))
                return -EINVAL;
        return r;
}

void chair_settings_set_child_lock(struct chair_settings *s, bool on, const char *from) {
        int r;

        if (s->child_lock == on)
                return;
        s->child_lock = on;
        r = state_store_save_child_lock(s->store, on);
        if (r < 0)
                log_warning_errno(r, "Could not store the child lock: %m");
        log_info("Child lock %s %s.", on ? "on" : "off", from);
        changed(s, CHAIR_SETTING_CHILD_LOCK, CHAIR_CHANGE_CHILD_LOCK);
}

int chair_settings_set_default_timer(struct chair_settings *s, uint32_t minutes, struct chair_error *error) {
        int r;

        if (!chair_timer_valid(minutes))
                return chair_error_set(error, CHAIR_REASON_INVALID_ARGS, "Timer of %u minutes is not a timer value", minutes);
        r = state_store_save_default_timer(s->store, minutes);
        if (r < 0)
                return chair_error_set_errno(error, r, "Could not store the default timer: %m");
        s->default_timer_min = minutes;
        s->timer_min = chair_settings_timer(s);
        changed(s, CHAIR_SETTING_DEFAULT_TIMER, CHAIR_CHANGE_TIMER);
        return 0;
}
