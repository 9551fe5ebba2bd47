/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>

#include "changes.h"
#include "log.h"
#include "precautions.h"
#include "settings.h"
#include "state-store.h"
#include "strv.h"
#include "vocab.h"

struct chair_settings {
        struct state_store *store;
        struct chair_changes *changes;
        char **precautions;          /* NULL-terminated; NULL read as empty */
        bool precautions_unreadable;
        bool child_lock;
        uint32_t default_timer_min;
        chair_settings_fn listener;
        void *listener_userdata;
};

static const char *const no_precautions[] = { NULL };

int chair_settings_new(struct state_store *store, const char *state_dir, struct chair_changes *changes,
                       uint32_t fallback_timer_min, struct chair_settings **ret) {
        struct chair_settings *s = calloc(1, sizeof *s);
        char **precautions = NULL;
        uint32_t timer = 0;

        if (!s)
                return -ENOMEM;
        s->store = store;
        s->changes = changes;
        s->precautions_unreadable = state_store_precautions_unreadable(store);
        if (state_store_load_precautions(store, &precautions) >= 0) {
                /* A name this daemon does not know cannot be honoured: fail closed. */
                for (char **p = precautions; *p; p++)
                        if (!precaution_find(*p)) {
                                log_warning("%s/settings: unknown precaution '%s'; sessions are refused until the "
                                            "precautions are declared again.", state_dir, *p);
                                s->precautions_unreadable = true;
                        }
                s->precautions = precautions;
        } else
                s->precautions_unreadable = true;
        s->child_lock = state_store_child_lock(store);
        s->default_timer_min = fallback_timer_min;
        if (state_store_load_default_timer(store, &timer) >= 0 && chair_timer_valid(timer))
                s->default_timer_min = timer;
        *ret = s;
        return 0;
}

struct chair_settings *chair_settings_free(struct chair_settings *s) {
        if (s) {
                strv_free(s->precautions);
                free(s);
        }
        return NULL;
}

void chair_settings_listen(struct chair_settings *s, chair_settings_fn fn, void *userdata) {
        s->listener = fn;
        s->listener_userdata = userdata;
}

static void changed(struct chair_settings *s, enum chair_setting what, uint32_t mark) {
        chair_changes_mark(s->changes, mark);
        if (s->listener)
                s->listener(what, s->listener_userdata);
}

const char *const *chair_settings_precautions(struct chair_settings *s) {
        return s->precautions ? (const char *const *) s->precautions : no_precautions;
}

bool chair_settings_precautions_unreadable(struct chair_settings *s) {
        return s->precautions_unreadable;
}

bool chair_settings_child_lock(struct chair_settings *s) {
        return s->child_lock;
}

uint32_t chair_settings_default_timer(struct chair_settings *s) {
        return s->default_timer_min;
}

int chair_settings_set_precautions(struct chair_settings *s, char **list) {
        int r;

        for (char **p = list; p && *p; p++)
                if (!precaution_find(*p))
                        return -EINVAL;
        r = state_store_save_precautions(s->store, (const char *const *) list);
        if (r < 0)
                return r;
        strv_free(s->precautions);
        s->precautions = list;
        if (s->precautions_unreadable)
                log_info("Precautions declared again; sessions are allowed.");
        s->precautions_unreadable = false;
        changed(s, CHAIR_SETTING_PRECAUTIONS, CHAIR_CHANGE_PRECAUTIONS);
        return 0;
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
        changed(s, CHAIR_SETTING_DEFAULT_TIMER, CHAIR_CHANGE_TIMER);
        return 0;
}
