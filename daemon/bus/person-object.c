/* SPDX-License-Identifier: MIT */
/*
 * org.massagechair.Chair1.Person at /org/massagechair/Chair1/people/<id>. One fallback vtable
 * serves every person: the find callback accepts the paths of the people that exist (and, while
 * InterfacesRemoved is built, the one just deleted), the enumerator lists them. Getters and
 * handlers look the person up by the path each time, so nothing here outlives a person.
 *
 * Health data (conditions, assessment, history, summary, recommendations) only through members
 * guarded by read-health (bus-polkit.c), authorized before their arguments are read; the
 * public properties carry none of it. Loosening a person's limits (SetConditions dropping a
 * condition, SetCaps raising a cap) is authorized by manage-people after the arguments are
 * read (tightening asks nobody); Rename and Delete by manage-people before. Every setter goes
 * through people.c, which checks, stores, marks the change; PropertiesChanged follow from the
 * change channel (on_changes below).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <systemd/sd-bus.h>

#include "bus-args.h"
#include "bus-errors.h"
#include "bus-polkit.h"
#include "bus-state.h"
#include "bus-util.h"
#include "chair-bus-names.h"
#include "chair-io.h"
#include "changes.h"
#include "daemon-context.h"
#include "log.h"
#include "outcomes.h"
#include "people.h"
#include "person-object.h"
#include "program-library.h"
#include "recommend.h"
#include "session.h"
#include "strv.h"
#include "vocab.h"

const char *person_object_path(uint32_t id, char buf[static PERSON_PATH_MAX]) {
        snprintf(buf, PERSON_PATH_MAX, CHAIR_PEOPLE_PATH "/%u", id);
        return buf;
}

int person_path_id(const char *path, uint32_t *ret) {
        static const char prefix[] = CHAIR_PEOPLE_PATH "/";
        uint32_t id = 0;
        const char *p;

        if (!path || strncmp(path, prefix, sizeof prefix - 1) != 0)
                return -EINVAL;
        p = path + sizeof prefix - 1;
        if (!*p || (p[0] == '0' && p[1]) || strlen(p) > 4)
                return -EINVAL;
        for (; *p; p++) {
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                id = id * 10 + (uint32_t) (*p - '0');
        }
        if (id > PERSON_ID_MAX)
                return -EINVAL;
        *ret = id;
        return 0;
}

/* The person a call or a getter is about: NULL with UnknownPerson set when they are gone. */
static const struct person *person_of(struct chair_daemon *d, const char *path, sd_bus_error *error) {
        const struct person *p = NULL;
        uint32_t id;

        if (person_path_id(path, &id) >= 0)
                p = people_get(d->core->people, id);
        if (!p)
                sd_bus_error_setf(error, CHAIR_ERROR_UNKNOWN_PERSON, "No person at %s", path ? path : "(none)");
        return p;
}

#define PERSON_OR_RETURN(p, d, m, error)                                                  \
        const struct person *p = person_of(d, sd_bus_message_get_path(m), error);        \
        if (!p)                                                                           \
                return -ENOENT

/* Reads a member's arguments with the daemon's conditions as context (SetConditions). */
static int parse_args(struct chair_daemon *d, bus_args_parser parse, sd_bus_message *m, struct bus_args *a,
                      sd_bus_error *error) {
        const char *const *names = NULL, *const *effects = NULL;
        struct bus_args_context ctx = {};

        program_library_precautions(d->core->library, &names, &effects);
        ctx.conditions = names;
        *a = (struct bus_args) {};
        return parse(m, &ctx, a, error);
}

#define PARSE_ARGS(parser)                                              \
        _cleanup_(bus_args_done) struct bus_args a;                     \
        do {                                                            \
                int _r = parse_args(d, parser, m, &a, error);           \
                if (_r < 0)                                             \
                        return _r;                                      \
        } while (0)

/* ---- open methods ---- */

static int method_rename(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        struct chair_error e = CHAIR_ERROR_NULL;
        BUS_POLKIT_REQUIRE(d->bus->polkit, m, error);
        PERSON_OR_RETURN(p, d, m, error);
        PARSE_ARGS(bus_parse_person_name);
        return reply_core(m, error, people_rename(d->core->people, p->id, a.str[0], &e), &e);
}

static int method_delete(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        struct chair_error e = CHAIR_ERROR_NULL;
        BUS_POLKIT_REQUIRE(d->bus->polkit, m, error);
        PERSON_OR_RETURN(p, d, m, error);
        PARSE_ARGS(bus_parse_person_confirm);
        return reply_core(m, error, people_delete(d->core->people, p->id, a.str[0], &e), &e);
}

static int method_select(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        struct chair_error e = CHAIR_ERROR_NULL;
        PERSON_OR_RETURN(p, d, m, error);
        return reply_core(m, error, people_select(d->core->people, p->id, &e), &e);
}

static int method_set_conditions(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        struct chair_error e = CHAIR_ERROR_NULL;
        int r;

        PERSON_OR_RETURN(p, d, m, error);
        PARSE_ARGS(bus_parse_set_precautions);
        /* Removing a condition needs manage-people; adding one is anyone's. */
        BUS_POLKIT_REQUIRE_IF(d->bus->polkit, m, people_conditions_loosen(p, a.strv), error);
        r = people_set_conditions(d->core->people, p->id, a.strv, &e);
        if (r < 0)
                return bus_error_from_chair(error, r, &e); /* the list is still ours: freed */
        a.strv = NULL;
        return sd_bus_reply_method_return(m, NULL);
}

static int method_set_caps(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        struct chair_error e = CHAIR_ERROR_NULL;
        PERSON_OR_RETURN(p, d, m, error);
        PARSE_ARGS(bus_parse_set_caps);
        /* Raising a cap needs manage-people; lowering one is anyone's. */
        BUS_POLKIT_REQUIRE_IF(d->bus->polkit, m, people_caps_loosen(p, a.u[0], a.u[1]), error);
        return reply_core(m, error, people_set_caps(d->core->people, p->id, a.u[0], a.u[1], &e), &e);
}

static int method_set_timer(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        struct chair_error e = CHAIR_ERROR_NULL;
        PERSON_OR_RETURN(p, d, m, error);
        PARSE_ARGS(bus_parse_person_timer);
        return reply_core(m, error, people_set_timer(d->core->people, p->id, a.u[0], &e), &e);
}

static int method_set_heat_preference(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        struct chair_error e = CHAIR_ERROR_NULL;
        uint32_t levels[2];

        PERSON_OR_RETURN(p, d, m, error);
        PARSE_ARGS(bus_parse_set_heat);
        memcpy(levels, p->heat_pref, sizeof levels);
        levels[a.u[1]] = a.u[0];
        return reply_core(m, error, people_set_heat_pref(d->core->people, p->id, levels, &e), &e);
}

static int method_assess(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        struct chair_error e = CHAIR_ERROR_NULL;
        struct assessment as = {};

        PERSON_OR_RETURN(p, d, m, error);
        PARSE_ARGS(bus_parse_assess);
        as.time_usec = (uint64_t) time(NULL) * USEC_PER_SEC;
        memcpy(as.pain, a.areas, sizeof as.pain);
        as.pain_now = (uint16_t) a.u[0];
        as.goal = (enum massage_goal) a.u[1];
        return reply_core(m, error, people_set_assessment(d->core->people, p->id, &as, &e), &e);
}

static int method_rate_session(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        struct chair_error e = CHAIR_ERROR_NULL;
        int r;

        PERSON_OR_RETURN(p, d, m, error);
        PARSE_ARGS(bus_parse_person_rate);
        r = people_rate_session(d->core->people, p->id, a.t, a.u[0], a.u[1], a.any_area ? a.areas : NULL, &e);
        if (r == -ENOENT && e.error >= 0)
                return bus_invalid(error, "session_id: no session %llu in %s's history", (unsigned long long) a.t,
                                   p->name);
        return reply_core(m, error, r, &e);
}

/* ---- health data (read-health) ---- */

static int method_get_conditions(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        BUS_POLKIT_REQUIRE(d->bus->polkit, m, error);
        PERSON_OR_RETURN(p, d, m, error);
        r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0)
                return r;
        r = bus_append_strv_safe(reply, (const char *const *) p->conditions);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* An a{su} of the areas rated in PAIN (HISTORY_NOT_RATED left out). */
static int append_areas(sd_bus_message *reply, const uint16_t pain[static HISTORY_AREAS]) {
        int r = sd_bus_message_open_container(reply, 'a', "{su}");
        if (r < 0)
                return r;
        for (int i = 0; i < _PAIN_AREA_MAX; i++) {
                if (pain[i] == HISTORY_NOT_RATED)
                        continue;
                r = sd_bus_message_append(reply, "{su}", pain_area_to_string(i), (uint32_t) pain[i]);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

/* One {sv} whose value is the a{su} of append_areas. */
static int append_areas_entry(sd_bus_message *reply, const char *key, const uint16_t pain[static HISTORY_AREAS]) {
        int r = sd_bus_message_open_container(reply, 'e', "sv");
        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 's', key);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'v', "a{su}");
        if (r >= 0)
                r = append_areas(reply, pain);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

static const char *goal_name(unsigned goal) {
        return goal < _GOAL_MAX ? massage_goal_to_string((enum massage_goal) goal) : "";
}

static int method_get_assessment(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        BUS_POLKIT_REQUIRE(d->bus->polkit, m, error);
        PERSON_OR_RETURN(p, d, m, error);
        r = reply_open(m, &reply, 'a', "{sv}");
        if (r < 0 || p->assessment.time_usec == 0)
                return r < 0 ? r : reply_close_and_send(reply);
        r = sd_bus_message_append(reply, "{sv}{sv}{sv}", "time", "t", p->assessment.time_usec, "pain_now", "u",
                                  (uint32_t) p->assessment.pain_now, "goal", "s", goal_name(p->assessment.goal));
        if (r >= 0)
                r = append_areas_entry(reply, "pain", p->assessment.pain);
        if (r < 0)
                return r;
        return reply_close_and_send(reply);
}

static int append_history_entry(sd_bus_message *reply, const struct history_entry *h) {
        char when[40], program[3 * sizeof h->program + 1], reason[3 * sizeof h->reason + 1];
        time_t t = (time_t) (h->start_usec / USEC_PER_SEC);
        struct tm tm;
        int r;

        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
        r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;
        r = sd_bus_message_append(reply, "{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}", "id", "t", h->id, "program", "s",
                                  bus_utf8_safe(h->program, program, sizeof program), "start", "s", when,
                                  "duration", "u", h->duration_s, "intensity", "u", h->intensity,
                                  "pain_before", "q", h->pain_before, "pain_after", "q", h->pain_after, "reason", "s",
                                  bus_utf8_safe(h->reason, reason, sizeof reason), "goal", "s",
                                  h->assessed ? goal_name(h->goal) : "", "focused", "b", (int) h->focused);
        if (r >= 0)
                r = append_areas_entry(reply, "area_before", h->area_before);
        if (r >= 0)
                r = append_areas_entry(reply, "area_after", h->area_after);
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

static int method_get_history(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ struct history_entry *entries = NULL;
        size_t n = 0;
        int r;

        BUS_POLKIT_REQUIRE(d->bus->polkit, m, error);
        PERSON_OR_RETURN(p, d, m, error);
        PARSE_ARGS(bus_parse_list_max);
        r = people_history(d->core->people, p->id, a.u[0], &entries, &n);
        if (r < 0)
                return sd_bus_error_set_errnof(error, -r, "Could not read %s's history: %m", p->name);
        r = reply_open(m, &reply, 'a', "a{sv}");
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                r = append_history_entry(reply, &entries[i]);
                if (r < 0)
                        return r;
        }
        return reply_close_and_send(reply);
}

/* One outcome_stats as a{sv}. */
static int append_stats(sd_bus_message *reply, const struct outcome_stats *st) {
        int r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;
        r = sd_bus_message_append(reply, "{sv}{sv}{sv}{sv}{sv}{sv}{sv}", "sessions", "u", st->sessions, "rated", "u",
                                  st->rated, "mean_change", "d", st->mean_change, "mean_before", "d", st->mean_before,
                                  "mean_after", "d", st->mean_after, "trend", "d", st->trend, "last", "t", st->last_usec);
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

/* {sv} KEY -> a{sa{sv}}: the stats per pain area (those some session named) or per program. */
static int append_stats_by_name(sd_bus_message *reply, const char *key, const struct outcome_summary *sum, bool areas) {
        size_t n = areas ? _PAIN_AREA_MAX : sum->n_programs;
        int r;

        r = sd_bus_message_open_container(reply, 'e', "sv");
        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 's', key);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'v', "a{sa{sv}}");
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{sa{sv}}");
        for (size_t i = 0; r >= 0 && i < n; i++) {
                const struct outcome_stats *st = areas ? &sum->area[i] : &sum->programs[i].stats;
                char buf[3 * sizeof sum->programs[i].program + 1];
                if (areas && st->sessions == 0)
                        continue; /* an area no session named */
                r = sd_bus_message_open_container(reply, 'e', "sa{sv}");
                if (r >= 0)
                        r = sd_bus_message_append_basic(reply, 's', areas ? pain_area_to_string((enum pain_area) i)
                                                                          : bus_utf8_safe(sum->programs[i].program, buf, sizeof buf));
                if (r >= 0)
                        r = append_stats(reply, st);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        for (int k = 0; r >= 0 && k < 3; k++)
                r = sd_bus_message_close_container(reply);
        return r;
}

_Static_assert(BUS_TREND_N_MAX <= OUTCOMES_TREND_MAX, "GetSummary's trend_n is one outcomes_summarize takes");
_Static_assert(BUS_LIST_MAX <= OUTCOMES_HISTORY_MAX, "a whole history is summarized");

static int method_get_summary(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ struct history_entry *entries = NULL;
        _cleanup_free_ struct outcome_summary *sum = calloc(1, sizeof *sum);
        size_t n = 0;
        int r;

        BUS_POLKIT_REQUIRE(d->bus->polkit, m, error);
        PERSON_OR_RETURN(p, d, m, error);
        PARSE_ARGS(bus_parse_trend_n);
        if (!sum)
                return -ENOMEM;
        r = people_history(d->core->people, p->id, BUS_LIST_MAX, &entries, &n);
        if (r < 0)
                return sd_bus_error_set_errnof(error, -r, "Could not read %s's history: %m", p->name);
        r = outcomes_summarize(entries, n, a.u[0], sum);
        if (r < 0)
                return sd_bus_error_set_errnof(error, -r, "Could not summarize %s's history: %m", p->name);
        r = reply_open(m, &reply, 'a', "{sv}");
        if (r >= 0)
                r = sd_bus_message_append(reply, "{sv}", "trend_n", "u", sum->trend_n);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'e', "sv");
        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 's', "all");
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'v', "a{sv}");
        if (r >= 0)
                r = append_stats(reply, &sum->all);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = append_stats_by_name(reply, "areas", sum, true);
        if (r >= 0)
                r = append_stats_by_name(reply, "programs", sum, false);
        if (r < 0)
                return r;
        return reply_close_and_send(reply);
}

/* The programs a person may be recommended that the catalog does not hold: their own when
 * they are not the active person, copied out of program_library_list_person()'s callback (its
 * summaries live only during the call). */
struct own_copy {
        char *id, *name, *description;
        char **areas, **precautions;
};

struct own_programs {
        struct program_summary *programs; /* the ranking's array: the catalog's, then theirs */
        size_t n, max;
        struct own_copy copies[PROGRAM_LIBRARY_PERSON_MAX];
        size_t n_copies;
        int r;
};

static char **strv_copy(const char *const *l) {
        size_t n = 0;
        char **c;

        while (l && l[n])
                n++;
        c = calloc(n + 1, sizeof *c);
        for (size_t i = 0; c && i < n; i++)
                if (!(c[i] = strdup(l[i])))
                        return strv_free(c);
        return c;
}

static void own_programs_clear(struct own_programs *st) {
        for (size_t i = 0; i < st->n_copies; i++) {
                free(st->copies[i].id);
                free(st->copies[i].name);
                free(st->copies[i].description);
                strv_free(st->copies[i].areas);
                strv_free(st->copies[i].precautions);
        }
        st->n_copies = 0;
}

static void add_own_program(const struct program_summary *ps, void *userdata) {
        struct own_programs *st = userdata;
        struct own_copy *c;

        if (st->r < 0 || !ps->id || st->n >= st->max || st->n_copies >= ARRAY_SIZE(st->copies))
                return;
        /* One entry per id: the catalog's. */
        for (size_t i = 0; i < st->n; i++)
                if (strcmp(st->programs[i].id, ps->id) == 0)
                        return;
        c = &st->copies[st->n_copies++];
        *c = (struct own_copy) { .id = strdup(ps->id), .name = strdup(ps->name ? ps->name : ""),
                                 .description = strdup(ps->description ? ps->description : ""),
                                 .areas = strv_copy(ps->areas), .precautions = strv_copy(ps->precautions) };
        if (!c->id || !c->name || !c->description || !c->areas || !c->precautions) {
                st->r = -ENOMEM;
                return;
        }
        st->programs[st->n++] = (struct program_summary) {
                .id = c->id, .name = c->name, .description = c->description, .duration_s = ps->duration_s,
                .intensity = ps->intensity, .areas = (const char *const *) c->areas,
                .precautions = (const char *const *) c->precautions, .person = true,
        };
}

static int method_recommend_programs(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ struct history_entry *entries = NULL;
        _cleanup_free_ struct program_summary *programs = NULL;
        _cleanup_free_ struct recommendation *ranked = NULL;
        _cleanup_(own_programs_clear) struct own_programs own = {};
        struct recommend_input in = {};
        size_t n = 0, count;
        bool active;
        char dir[512];
        int r;

        BUS_POLKIT_REQUIRE(d->bus->polkit, m, error);
        PERSON_OR_RETURN(p, d, m, error);
        active = people_active(d->core->people)->id == p->id;
        count = MIN(program_library_count(d->core->library), (size_t) PROGRAM_LIBRARY_MAX);
        programs = calloc(count + PROGRAM_LIBRARY_PERSON_MAX + 1, sizeof *programs);
        ranked = calloc(RECOMMEND_MAX, sizeof *ranked);
        if (!programs || !ranked)
                return -ENOMEM;
        for (size_t i = 0; i < count; i++)
                /* The catalog holds the active person's own programs: nobody else's to rank. */
                if (program_library_get(d->core->library, i, &programs[in.n_programs]) >= 0 &&
                    (active || !programs[in.n_programs].person))
                        in.n_programs++;
        /* Another person's own programs are theirs to start once selected: ranked too. */
        if (!active && people_programs_dir(d->core->people, p->id, dir, sizeof dir) >= 0) {
                own.programs = programs;
                own.n = in.n_programs;
                own.max = count + PROGRAM_LIBRARY_PERSON_MAX;
                r = program_library_list_person(d->core->library, dir, add_own_program, &own);
                if (own.r < 0)
                        return own.r;
                if (r < 0 && r != -ENOENT)
                        return sd_bus_error_set_errnof(error, -r, "Could not list %s's programs: %m", p->name);
                in.n_programs = own.n;
        }
        r = people_history(d->core->people, p->id, BUS_LIST_MAX, &entries, &n);
        if (r < 0)
                return sd_bus_error_set_errnof(error, -r, "Could not read %s's history: %m", p->name);
        in.programs = programs;
        in.assessment = &p->assessment;
        in.conditions = (const char *const *) p->conditions;
        in.conditions_unreadable = p->conditions_unreadable;
        in.capped = true;
        in.intensity_cap = p->intensity_cap;
        in.heat_cap = p->heat_cap;
        in.history = entries;
        in.n_history = n;
        r = recommend_programs(&in, ranked, RECOMMEND_MAX);
        if (r < 0)
                return sd_bus_error_set_errnof(error, -r, "Could not rank the programs: %m");
        n = (size_t) r;
        r = reply_open(m, &reply, 'a', "(sis)");
        for (size_t i = 0; r >= 0 && i < n; i++) {
                char id[3 * 80 + 1], reason[3 * RECOMMEND_REASON_MAX + 1];
                r = sd_bus_message_append(reply, "(sis)", bus_utf8_safe(ranked[i].program, id, sizeof id),
                                          ranked[i].score, bus_utf8_safe(ranked[i].reason, reason, sizeof reason));
        }
        if (r < 0)
                return r;
        return reply_close_and_send(reply);
}

/* ---- their programs (install-person-program) ---- */

static int programs_dir(struct chair_daemon *d, const struct person *p, char buf[static 512], sd_bus_error *error) {
        int r = people_prepare(d->core->people);
        if (r >= 0)
                r = people_programs_dir(d->core->people, p->id, buf, 512);
        if (r < 0)
                return sd_bus_error_set_errnof(error, -r, "No directory for %s's programs: %m", p->name);
        return 0;
}

static void announce(struct chair_daemon *d, uint32_t id, uint32_t changed);

static int method_install_program(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        char dir[512], errors[4096] = "";
        int r;

        BUS_POLKIT_REQUIRE(d->bus->polkit, m, error);
        PERSON_OR_RETURN(p, d, m, error);
        PARSE_ARGS(bus_parse_upload);
        r = programs_dir(d, p, dir, error);
        if (r < 0)
                return r;
        /* The errors of Service.UploadProfile, and the person's own limits. */
        r = program_library_install_person(d->core->library, dir, a.str[0], a.str[1], strlen(a.str[1]), p->intensity_cap,
                                           errors, sizeof errors);
        if (r == -EINVAL || r == -EEXIST)
                return sd_bus_error_set(error, r == -EINVAL && !program_file_name_valid(a.str[0]) ? SD_BUS_ERROR_INVALID_ARGS
                                                                                               : CHAIR_ERROR_INVALID_PROFILE,
                                        errors);
        if (r == -EFBIG)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "contents: a profile is at most %d bytes",
                                         BUS_UPLOAD_MAX);
        if (r == -ENOSPC)
                return sd_bus_error_set(error, CHAIR_ERROR_LIBRARY_FULL, errors);
        if (r == -EPERM)
                return sd_bus_error_set(error, CHAIR_ERROR_PRECAUTION, errors);
        if (r < 0)
                return sd_bus_error_set_errnof(error, -r, "%s", errors);
        log_info("Program %s installed for %s.", a.str[0], p->name);
        announce(d, p->id, CHAIR_CHANGE_PERSON); /* ProgramCount */
        return sd_bus_reply_method_return(m, NULL);
}

static int method_remove_program(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        char dir[512];
        int r;

        BUS_POLKIT_REQUIRE(d->bus->polkit, m, error);
        PERSON_OR_RETURN(p, d, m, error);
        PARSE_ARGS(bus_parse_get_program);
        r = programs_dir(d, p, dir, error);
        if (r < 0)
                return r;
        r = program_library_remove_person(d->core->library, dir, a.str[0]);
        if (r == -ENOENT)
                return sd_bus_error_setf(error, CHAIR_ERROR_UNKNOWN_PROGRAM, "id: %s has no program '%s'", p->name, a.str[0]);
        if (r < 0)
                return sd_bus_error_set_errnof(error, -r, "Could not remove %s's program %s: %m", p->name, a.str[0]);
        log_info("Program %s of %s removed.", a.str[0], p->name);
        announce(d, p->id, CHAIR_CHANGE_PERSON);
        return sd_bus_reply_method_return(m, NULL);
}

struct list_state {
        sd_bus_message *reply;
        int r;
};

static void append_program(const struct program_summary *ps, void *userdata) {
        struct list_state *st = userdata;
        if (st->r >= 0)
                st->r = sd_bus_message_append(st->reply, "(sssu)", ps->id, ps->name, ps->description, ps->duration_s);
}

static int method_list_programs(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        struct list_state st = {};
        char dir[512];
        int r;

        PERSON_OR_RETURN(p, d, m, error);
        r = programs_dir(d, p, dir, error);
        if (r < 0)
                return r;
        r = reply_open(m, &reply, 'a', "(sssu)");
        if (r < 0)
                return r;
        st.reply = reply;
        r = program_library_list_person(d->core->library, dir, append_program, &st);
        if (r < 0)
                return sd_bus_error_set_errnof(error, -r, "Could not list %s's programs: %m", p->name);
        if (st.r < 0)
                return st.r;
        return reply_close_and_send(reply);
}

static uint32_t program_count(struct chair_daemon *d, uint32_t id) {
        char dir[512];
        int n = people_programs_dir(d->core->people, id, dir, sizeof dir) >= 0 ?
                program_library_list_person(d->core->library, dir, NULL, NULL) : 0;
        return n > 0 ? (uint32_t) n : 0;
}

/* ---- properties ---- */

#define PERSON_GETTER(fname, sig, expr)                                                                     \
        static int fname(sd_bus *bus, const char *path, const char *interface, const char *property,      \
                         sd_bus_message *reply, void *userdata, sd_bus_error *error) {                     \
                struct chair_daemon *d = userdata;                                                          \
                const struct person *p = person_of(d, path, error);                                         \
                if (!p)                                                                                     \
                        return -ENOENT;                                                                     \
                return sd_bus_message_append(reply, sig, expr);                                             \
        }

PERSON_GETTER(property_id, "u", p->id)
PERSON_GETTER(property_guest, "b", (int) (p->id == PERSON_GUEST_ID))
PERSON_GETTER(property_active, "b", (int) (people_active(d->core->people)->id == p->id))
PERSON_GETTER(property_intensity_cap, "u", p->intensity_cap)
PERSON_GETTER(property_heat_cap, "u", p->heat_cap)
PERSON_GETTER(property_timer, "u", p->timer_min)
PERSON_GETTER(property_program_count, "u", program_count(d, p->id))
/* The active person's as Chair1's ShoulderPosition says it (the session's, within the track). */
PERSON_GETTER(property_shoulder, "i",
              people_active(d->core->people)->id == p->id ? session_shoulder_mm(d->core->session)
              : p->shoulder_mm < 0                         ? -1
                                                           : p->shoulder_mm + 10 * p->shoulder_adjust)

static int property_name(sd_bus *bus, const char *path, const char *interface, const char *property,
                         sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const struct person *p = person_of(userdata, path, error);
        char buf[3 * sizeof p->name + 1];

        if (!p)
                return -ENOENT;
        return sd_bus_message_append_basic(reply, 's', bus_utf8_safe(p->name, buf, sizeof buf));
}

static int property_heat_preference(sd_bus *bus, const char *path, const char *interface, const char *property,
                                    sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const struct person *p = person_of(userdata, path, error);
        int r;

        if (!p)
                return -ENOENT;
        r = sd_bus_message_open_container(reply, 'a', "{su}");
        if (r < 0)
                return r;
        for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++) {
                r = sd_bus_message_append(reply, "{su}", chair_heat_zone_name(z), p->heat_pref[z]);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

_Static_assert(_CHAIR_HEAT_ZONE_MAX == 2, "struct person keeps a heat preference per zone");

/* Every member is open to every caller at the bus (SD_BUS_VTABLE_UNPRIVILEGED); the health data,
 * the programs, loosening, renaming and deleting are authorized by polkit in their handlers. */
static const sd_bus_vtable person_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Id", "u", property_id, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Name", "s", property_name, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Guest", "b", property_guest, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Active", "b", property_active, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("IntensityCap", "u", property_intensity_cap, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("HeatCap", "u", property_heat_cap, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Timer", "u", property_timer, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("HeatPreference", "a{su}", property_heat_preference, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("ShoulderPosition", "i", property_shoulder, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("ProgramCount", "u", property_program_count, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_ARGS("Rename", SD_BUS_ARGS("s", name), SD_BUS_NO_RESULT, method_rename,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Delete", SD_BUS_ARGS("s", confirm_name), SD_BUS_NO_RESULT, method_delete,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Select", "", "", method_select, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetConditions", SD_BUS_ARGS("as", conditions), SD_BUS_NO_RESULT,
                                method_set_conditions, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetCaps", SD_BUS_ARGS("u", intensity_cap, "u", heat_cap), SD_BUS_NO_RESULT,
                                method_set_caps, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetTimer", SD_BUS_ARGS("u", minutes), SD_BUS_NO_RESULT, method_set_timer,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetHeatPreference", SD_BUS_ARGS("s", zone, "u", level), SD_BUS_NO_RESULT,
                                method_set_heat_preference, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Assess", SD_BUS_ARGS("a{su}", pain_by_area, "u", pain_now, "s", goal),
                                SD_BUS_NO_RESULT, method_assess, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RateSession",
                                SD_BUS_ARGS("t", session_id, "u", pain_before, "u", pain_after, "a{su}", area_after),
                                SD_BUS_NO_RESULT, method_rate_session, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetConditions", SD_BUS_NO_ARGS, SD_BUS_RESULT("as", conditions),
                                method_get_conditions, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetAssessment", SD_BUS_NO_ARGS, SD_BUS_RESULT("a{sv}", assessment),
                                method_get_assessment, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetHistory", SD_BUS_ARGS("u", max), SD_BUS_RESULT("aa{sv}", sessions),
                                method_get_history, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetSummary", SD_BUS_ARGS("u", trend_n), SD_BUS_RESULT("a{sv}", summary),
                                method_get_summary, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RecommendPrograms", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(sis)", programs),
                                method_recommend_programs, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("InstallProgram", SD_BUS_ARGS("s", filename, "s", contents), SD_BUS_NO_RESULT,
                                method_install_program, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RemoveProgram", SD_BUS_ARGS("s", id), SD_BUS_NO_RESULT, method_remove_program,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListPrograms", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(sssu)", programs),
                                method_list_programs, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END
};

/* ---- the objects that exist ---- */

static int person_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **ret_found,
                       sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        uint32_t id;

        if (person_path_id(path, &id) < 0)
                return 0;
        if (!people_get(d->core->people, id) && d->bus->person_removing != (int64_t) id)
                return 0;
        *ret_found = d;
        return 1;
}

static int person_enumerate(sd_bus *bus, const char *prefix, void *userdata, char ***ret_nodes, sd_bus_error *error) {
        struct chair_daemon *d = userdata;
        const struct person *list[PEOPLE_MAX + 1];
        size_t n = people_list(d->core->people, list);
        _cleanup_strv_free_ char **nodes = calloc(n + 1, sizeof *nodes);
        char path[PERSON_PATH_MAX];

        if (!nodes)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                nodes[i] = strdup(person_object_path(list[i]->id, path));
                if (!nodes[i])
                        return -ENOMEM;
        }
        *ret_nodes = nodes;
        nodes = NULL;
        return 0;
}

/* ---- the change channel to PropertiesChanged ---- */

/* The one table from the core's change marks to the person's properties they announce. */
static const struct {
        const char *name;
        uint32_t changes;
} property_changes[] = {
        { "Name", CHAIR_CHANGE_PERSON | CHAIR_CHANGE_PEOPLE },
        { "Active", CHAIR_CHANGE_ACTIVE_PERSON },
        { "IntensityCap", CHAIR_CHANGE_PERSON },
        { "HeatCap", CHAIR_CHANGE_PERSON },
        { "Timer", CHAIR_CHANGE_PERSON },
        { "HeatPreference", CHAIR_CHANGE_PERSON },
        { "ShoulderPosition", CHAIR_CHANGE_PERSON | CHAIR_CHANGE_SHOULDER | CHAIR_CHANGE_ACTIVE_PERSON },
        { "ProgramCount", CHAIR_CHANGE_PERSON },
};

#define N_PROPERTY_CHANGES ARRAY_SIZE(property_changes)

/* What each person's properties were when last announced (hashes, as chair-object.c's). */
struct person_object_cache {
        sd_bus_property_get_t get[N_PROPERTY_CHANGES];
        struct {
                bool used;
                uint32_t id;
                bool valid[N_PROPERTY_CHANGES];
                uint64_t sent[N_PROPERTY_CHANGES];
        } person[PEOPLE_MAX + 1];
};

void person_object_cache_free(struct person_object_cache *c) {
        free(c);
}

/* The values of a person's properties as they are now: what GetManagedObjects and
 * InterfacesAdded said, so the first change mark announces only what differs from them. */
static void prime(struct chair_daemon *d, int slot) {
        struct person_object_cache *c = d->bus->person_cache;
        char path[PERSON_PATH_MAX];

        person_object_path(c->person[slot].id, path);
        for (unsigned i = 0; i < N_PROPERTY_CHANGES; i++)
                c->person[slot].valid[i] = bus_property_value_hash(d->bus->bus, path, CHAIR_PERSON_INTERFACE,
                                                                   property_changes[i].name, c->get[i], d,
                                                                   &c->person[slot].sent[i]) >= 0;
}

/* The cache slot of person ID, taken (and primed) when new: a person gone frees theirs (ids
 * are never reused). A person is new in the pass that announced their object (people-object.c
 * runs first) or at start-up. */
static int cache_slot(struct person_object_cache *c, struct chair_daemon *d, uint32_t id) {
        int free_slot = -1;

        for (int i = 0; i < (int) ARRAY_SIZE(c->person); i++) {
                if (c->person[i].used && c->person[i].id == id)
                        return i;
                if (c->person[i].used && !people_get(d->core->people, c->person[i].id))
                        c->person[i].used = false;
                if (!c->person[i].used && free_slot < 0)
                        free_slot = i;
        }
        if (free_slot >= 0) {
                memset(&c->person[free_slot], 0, sizeof c->person[free_slot]);
                c->person[free_slot].used = true;
                c->person[free_slot].id = id;
                prime(d, free_slot);
        }
        return free_slot;
}

static void announce(struct chair_daemon *d, uint32_t id, uint32_t changed) {
        struct person_object_cache *c = d->bus->person_cache;
        const char *names[N_PROPERTY_CHANGES + 1];
        char path[PERSON_PATH_MAX];
        int slot = cache_slot(c, d, id);
        unsigned n = 0;

        person_object_path(id, path);
        for (unsigned i = 0; i < N_PROPERTY_CHANGES; i++) {
                uint64_t h;
                if (!(changed & property_changes[i].changes))
                        continue;
                /* A value that cannot be hashed is announced: a spurious signal, never a lost one. */
                if (slot >= 0 && bus_property_value_hash(d->bus->bus, path, CHAIR_PERSON_INTERFACE, property_changes[i].name,
                                                         c->get[i], d, &h) >= 0) {
                        if (c->person[slot].valid[i] && c->person[slot].sent[i] == h)
                                continue;
                        c->person[slot].sent[i] = h;
                        c->person[slot].valid[i] = true;
                } else if (slot >= 0)
                        c->person[slot].valid[i] = false;
                names[n++] = property_changes[i].name;
        }
        names[n] = NULL;
        if (n > 0)
                (void) sd_bus_emit_properties_changed_strv(d->bus->bus, path, CHAIR_PERSON_INTERFACE, (char **) names);
}

static void on_changes(uint32_t changed, void *userdata) {
        const uint32_t everyone = CHAIR_CHANGE_ACTIVE_PERSON | CHAIR_CHANGE_PEOPLE | CHAIR_CHANGE_SHOULDER;
        struct chair_daemon *d = userdata;
        const struct person *list[PEOPLE_MAX + 1];
        uint32_t dirty[PEOPLE_MAX + 1];
        size_t n_dirty = 0, n;

        if (!(changed & (everyone | CHAIR_CHANGE_PERSON)))
                return;
        if (changed & CHAIR_CHANGE_PERSON)
                n_dirty = people_take_dirty(d->core->people, dirty);
        /* Who is active, a name, the active person's scan: every person's object is looked at;
         * each object's properties go out in one PropertiesChanged. */
        n = people_list(d->core->people, list);
        for (size_t i = 0; i < n; i++) {
                uint32_t bits = changed & everyone;
                for (size_t k = 0; k < n_dirty; k++)
                        if (dirty[k] == list[i]->id)
                                bits |= CHAIR_CHANGE_PERSON;
                if (bits)
                        announce(d, list[i]->id, bits);
        }
}

static int resolve_getters(struct person_object_cache *c) {
        _Static_assert(offsetof(typeof(property_changes[0]), name) == 0, "a row starts with its name");
        return bus_resolve_getters(person_vtable, property_changes, N_PROPERTY_CHANGES, sizeof property_changes[0],
                                   c->get, "Person");
}

int person_object_register(struct chair_daemon *d, struct chair_bus *b) {
        int r;

        b->person_removing = -1;
        b->person_cache = calloc(1, sizeof *b->person_cache);
        if (!b->person_cache)
                return -ENOMEM;
        r = resolve_getters(b->person_cache);
        if (r < 0)
                return r;
        r = sd_bus_add_fallback_vtable(b->bus, &b->person_slot, CHAIR_PEOPLE_PATH, CHAIR_PERSON_INTERFACE, person_vtable,
                                       person_find, d);
        if (r < 0)
                return log_error_errno(r, "Failed to register %s/*: %m", CHAIR_PEOPLE_PATH);
        r = sd_bus_add_node_enumerator(b->bus, &b->person_enumerator_slot, CHAIR_PEOPLE_PATH, person_enumerate, d);
        if (r < 0)
                return log_error_errno(r, "Failed to list the people under %s: %m", CHAIR_PEOPLE_PATH);
        {
                const struct person *list[PEOPLE_MAX + 1];
                size_t n = people_list(d->core->people, list);
                for (size_t i = 0; i < n; i++)
                        (void) cache_slot(b->person_cache, d, list[i]->id);
        }
        r = chair_changes_subscribe(d->core->changes, on_changes, d);
        if (r < 0)
                return log_error_errno(r, "Failed to subscribe the people's objects to the change channel: %m");
        return 0;
}
