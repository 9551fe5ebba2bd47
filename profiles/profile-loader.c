/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "parse-number.h"
#include "planner.h"
#include "posture-presets.h"
#include "precautions.h"
#include "profile.h"
#include "untrusted-file.h"

/* Positions are relative to the body scan: 0 the shoulder point, 1 the waist point. These
 * bounds keep every position on an 800 mm track for a body of average proportions; the
 * planner clamps into the real track. */
#define POSITION_MIN (-0.45)
#define POSITION_MAX 1.55

/* A profile's alias of shiatsu, after the table's names (common/vocab.h). */
#define TECHNIQUE_PRESS "press"

static const char *const area_names[] = {
        "neck", "shoulders", "upper-back", "back", "lower-back", "hips", "arms", "legs", "calves", "feet", "full-body",
};

static const char *const width_names[] = { "narrow", "medium", "wide" };

const char *roller_technique_name(enum roller_technique t) {
        const char *s = roller_technique_to_string(t);
        return s ? s : "?";
}

enum section { SEC_NONE, SEC_PROGRAM, SEC_BLOCK, SEC_STEP };

struct loader {
        const char *path;
        struct program *p;
        struct ini_errors *errors;
        enum section sec;
        struct profile_step *step;
        struct profile_block *block;
        /* What was given, for required keys and cross-checks. */
        bool program_seen, have_id, have_name, have_description, have_duration;
        unsigned step_lines[PROFILE_MAX_STEPS][11]; /* technique, position/range, duration, repetitions, air, pattern,
                                                     * ramp, block, posture, recline, legrest */
        char step_block[PROFILE_MAX_STEPS][PROFILE_ID_MAX];
        bool block_has_times[PROFILE_MAX_BLOCKS];
};

enum { K_TECH, K_POS, K_DUR, K_REP, K_AIR, K_PATTERN, K_RAMP, K_BLOCK, K_POSTURE, K_RECLINE, K_LEGREST };

#define ERR(l, line, ...) ini_errors_add((l)->errors, (l)->path, line, __VA_ARGS__)

static bool valid_name(const char *s) {
        if (!*s || strlen(s) >= PROFILE_ID_MAX)
                return false;
        for (; *s; s++)
                if (!islower((unsigned char) *s) && !isdigit((unsigned char) *s) && *s != '-' && *s != '_')
                        return false;
        return true;
}

static void on_section(void *userdata, const char *name, unsigned line) {
        struct loader *l = userdata;
        const char *dot = strchr(name, '.');

        l->sec = SEC_NONE;
        l->step = NULL;
        l->block = NULL;
        if (strcmp(name, "program") == 0) {
                l->sec = SEC_PROGRAM;
                l->program_seen = true;
                return;
        }
        if (dot && !valid_name(dot + 1)) {
                ERR(l, line, "[%s]: a name after the dot uses a-z, 0-9, '-' and '_' (at most %d characters)", name,
                    PROFILE_ID_MAX - 1);
                return;
        }
        if (dot && strncmp(name, "step.", 5) == 0) {
                if (l->p->n_steps >= PROFILE_MAX_STEPS) {
                        ERR(l, line, "more than %d steps", PROFILE_MAX_STEPS);
                        return;
                }
                l->step = &l->p->steps[l->p->n_steps++];
                *l->step = (struct profile_step) { .speed = 3, .width = 1, .depth = 2, .air_level = 3, .line = line, .block = -1,
                                                   .heat = { UINT32_MAX, UINT32_MAX }, .posture = PROFILE_UNSET,
                                                   .recline = PROFILE_UNSET, .legrest = PROFILE_UNSET,
                                                   .foot_rollers = PROFILE_UNSET, .calf_knead = PROFILE_UNSET };
                snprintf(l->step->name, sizeof l->step->name, "%s", dot + 1);
                l->sec = SEC_STEP;
                return;
        }
        if (dot && strncmp(name, "block.", 6) == 0) {
                if (l->p->n_blocks >= PROFILE_MAX_BLOCKS) {
                        ERR(l, line, "more than %d blocks", PROFILE_MAX_BLOCKS);
                        return;
                }
                l->block = &l->p->blocks[l->p->n_blocks++];
                *l->block = (struct profile_block) { .times = 1, .line = line };
                snprintf(l->block->name, sizeof l->block->name, "%s", dot + 1);
                l->sec = SEC_BLOCK;
                return;
        }
        ERR(l, line, "unknown section [%s] (program, step.NAME, block.NAME)", name);
}

/* A list: words separated by commas and/or spaces. */
static size_t split_list(const char *v, char out[][40], size_t max) {
        char copy[STRICT_INI_MAX_LINE], *save = NULL;
        size_t n = 0;

        snprintf(copy, sizeof copy, "%s", v);
        for (char *tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
                if (n >= max)
                        return max + 1;
                snprintf(out[n++], 40, "%s", tok);
        }
        return n;
}

/* Splits V at each SEP into exactly N base-10 integers, each within min[i]..max[i]. */
static bool parse_fields(const char *v, const char *sep, size_t n, const long long *min, const long long *max,
                         uint32_t *out) {
        char copy[STRICT_INI_MAX_LINE];
        char *s = copy;

        if (snprintf(copy, sizeof copy, "%s", v) >= (int) sizeof copy)
                return false;
        for (size_t i = 0; i < n; i++) {
                char *next = i + 1 < n ? strstr(s, sep) : NULL;
                long long x;
                if (i + 1 < n && !next)
                        return false;
                if (next)
                        *next = 0;
                if (parse_integer(s, min[i], max[i], &x) < 0)
                        return false;
                out[i] = (uint32_t) x;
                s = next ? next + strlen(sep) : s;
        }
        return true;
}

static void key_program(struct loader *l, const char *key, const char *v, unsigned line) {
        struct program *p = l->p;
        char items[PROFILE_MAX_LIST + 1][40];
        long long x;
        size_t n;
        int c;

        if (strcmp(key, "id") == 0) {
                l->have_id = true;
                if (!valid_name(v))
                        ERR(l, line, "id = '%s': use a-z, 0-9, '-' and '_' (at most %d characters)", v, PROFILE_ID_MAX - 1);
                else
                        snprintf(p->id, sizeof p->id, "%s", v);
        } else if (strcmp(key, "name") == 0) {
                l->have_name = true;
                if (!*v || strlen(v) >= sizeof p->name)
                        ERR(l, line, "name must be 1-%zu characters", sizeof p->name - 1);
                snprintf(p->name, sizeof p->name, "%s", v);
        } else if (strcmp(key, "description") == 0) {
                l->have_description = true;
                if (!*v || strlen(v) >= sizeof p->description)
                        ERR(l, line, "description must be 1-%zu characters", sizeof p->description - 1);
                snprintf(p->description, sizeof p->description, "%s", v);
        } else if (strcmp(key, "duration_s") == 0) {
                l->have_duration = true;
                if (ini_int(l->errors, l->path, line, key, v, 60, 3600, &x) == 0)
                        p->duration_s = (uint32_t) x;
        } else if (strcmp(key, "intensity") == 0) {
                if (ini_int(l->errors, l->path, line, key, v, 1, 5, &x) == 0)
                        p->intensity = (uint32_t) x;
        } else if (strcmp(key, "areas") == 0) {
                n = split_list(v, items, PROFILE_MAX_LIST);
                if (n > PROFILE_MAX_LIST)
                        ERR(l, line, "areas: at most %d", PROFILE_MAX_LIST);
                for (size_t i = 0; i < n && p->n_areas < PROFILE_MAX_LIST; i++)
                        if (ini_choice(l->errors, l->path, line, "areas", items[i], area_names, ARRAY_SIZE(area_names), &c) == 0)
                                snprintf(p->areas[p->n_areas++], sizeof p->areas[0], "%.23s", items[i]);
        } else if (strcmp(key, "excluded_by") == 0) {
                n = split_list(v, items, PROFILE_MAX_LIST);
                if (n > PROFILE_MAX_LIST)
                        ERR(l, line, "excluded_by: at most %d", PROFILE_MAX_LIST);
                for (size_t i = 0; i < n && p->n_excluded_by < PROFILE_MAX_LIST; i++) {
                        if (!precaution_find(items[i]))
                                ERR(l, line, "excluded_by: unknown precaution '%s' (see docs/profiles.md)", items[i]);
                        else
                                snprintf(p->excluded_by[p->n_excluded_by++], sizeof p->excluded_by[0], "%.39s", items[i]);
                }
        } else {
                ERR(l, line, "unknown key '%s' in [program] (id, name, description, duration_s, intensity, areas, excluded_by)", key);
        }
}

static int parse_position(struct loader *l, unsigned line, const char *key, const char *v, double *ret) {
        return ini_double(l->errors, l->path, line, key, v, POSITION_MIN, POSITION_MAX, ret);
}

static void key_step(struct loader *l, const char *key, const char *v, unsigned line) {
        struct profile_step *s = l->step;
        size_t idx = (size_t) (s - l->p->steps);
        unsigned *kl = l->step_lines[idx];
        char items[PROFILE_MAX_LIST + 1][40];
        long long x;
        int c;

        if (strcmp(key, "technique") == 0) {
                const char *names[_TECH_MAX + 1];
                kl[K_TECH] = line;
                for (unsigned t = 0; t < _TECH_MAX; t++)
                        names[t] = roller_technique_table[t].name;
                names[_TECH_MAX] = TECHNIQUE_PRESS;
                if (ini_choice(l->errors, l->path, line, key, v, names, ARRAY_SIZE(names), &c) == 0)
                        s->technique = c == _TECH_MAX ? TECH_SHIATSU : (enum roller_technique) c;
        } else if (strcmp(key, "position") == 0 || strcmp(key, "range") == 0) {
                if (kl[K_POS])
                        ERR(l, line, "give either position or range, not both");
                kl[K_POS] = line;
                if (key[0] == 'p') {
                        if (parse_position(l, line, key, v, &s->from) == 0)
                                s->to = s->from;
                        s->is_range = false;
                } else {
                        const char *dots = strstr(v, "..");
                        char a[64];
                        if (!dots || (size_t) (dots - v) >= sizeof a) {
                                ERR(l, line, "range = '%s' is not FROM..TO (for example -0.1..1.0)", v);
                                return;
                        }
                        memcpy(a, v, (size_t) (dots - v));
                        a[dots - v] = 0;
                        if (parse_position(l, line, "range start", a, &s->from) == 0 &&
                            parse_position(l, line, "range end", dots + 2, &s->to) == 0 && fabs(s->to - s->from) < 0.05)
                                ERR(l, line, "range %s is shorter than 0.05: use position for a point", v);
                        s->is_range = true;
                }
        } else if (strcmp(key, "speed") == 0 || strcmp(key, "depth") == 0 || strcmp(key, "air_level") == 0) {
                if (ini_int(l->errors, l->path, line, key, v, 1, 5, &x) == 0)
                        *(key[0] == 's' ? &s->speed : key[0] == 'd' ? &s->depth : &s->air_level) = (uint32_t) x;
        } else if (strcmp(key, "width") == 0) {
                if (ini_choice(l->errors, l->path, line, key, v, width_names, 3, &c) == 0)
                        s->width = (uint32_t) c;
        } else if (strcmp(key, "air") == 0) {
                size_t n = split_list(v, items, PROFILE_MAX_LIST);
                kl[K_AIR] = line;
                if (n > PROFILE_MAX_LIST)
                        ERR(l, line, "air: at most %d zones", PROFILE_MAX_LIST);
                for (size_t i = 0; i < n && i < PROFILE_MAX_LIST; i++) {
                        int z = chair_air_zone_from_name(items[i]);
                        if (z < 0)
                                ERR(l, line, "air: unknown zone '%s' (shoulders, arms, back, seat, calves, feet)", items[i]);
                        else
                                s->air_zones |= 1u << z;
                }
        } else if (strcmp(key, "air_pattern") == 0) {
                static const long long min[] = { 1, 0, 1 }, max[] = { 30, 60, 30 };
                uint32_t t[3];
                kl[K_PATTERN] = line;
                if (!parse_fields(v, "/", 3, min, max, t))
                        ERR(l, line, "air_pattern = '%s' is not INFLATE/HOLD/RELEASE seconds (1-30/0-60/1-30)", v);
                else
                        s->air_inflate_s = t[0], s->air_hold_s = t[1], s->air_release_s = t[2];
        } else if (strcmp(key, "heat") == 0) {
                size_t n = split_list(v, items, PROFILE_MAX_LIST);
                if (n > PROFILE_MAX_LIST)
                        ERR(l, line, "heat: at most %d entries", PROFILE_MAX_LIST);
                for (size_t i = 0; i < n && i < PROFILE_MAX_LIST; i++) {
                        static const long long min[] = { 0 }, max[] = { 3 };
                        char *colon = strchr(items[i], ':');
                        uint32_t level;
                        int z = -1;
                        if (colon) {
                                *colon = 0;
                                z = chair_heat_zone_from_name(items[i]);
                                *colon = ':';
                        }
                        if (z < 0 || !parse_fields(colon + 1, ":", 1, min, max, &level))
                                ERR(l, line, "heat: '%s' is not ZONE:LEVEL (lumbar or calves, level 0-3)", items[i]);
                        else
                                s->heat[z] = level;
                }
        } else if (strcmp(key, "duration_s") == 0) {
                kl[K_DUR] = line;
                if (ini_int(l->errors, l->path, line, key, v, 5, 900, &x) == 0)
                        s->duration_s = (uint32_t) x;
        } else if (strcmp(key, "repetitions") == 0) {
                kl[K_REP] = line;
                if (ini_int(l->errors, l->path, line, key, v, 1, 50, &x) == 0)
                        s->repetitions = (uint32_t) x;
        } else if (strcmp(key, "ramp") == 0) {
                static const char *const what[] = { "depth", "speed", "air_level" };
                static const long long min[] = { 1, 1 }, max[] = { 5, 5 };
                char name[40];
                const char *space = strchr(v, ' ');
                uint32_t t[2];
                kl[K_RAMP] = line;
                /* Every part is checked and reported: a bad ramp is never silently dropped. */
                if (!space || (size_t) (space - v) >= sizeof name || !parse_fields(space + 1 + strspn(space + 1, " "), "..", 2,
                                                                                      min, max, t)) {
                        ERR(l, line, "ramp = '%s' is not VALUE FROM..TO (depth, speed or air_level; each 1-5)", v);
                        return;
                }
                memcpy(name, v, (size_t) (space - v));
                name[space - v] = 0;
                if (ini_choice(l->errors, l->path, line, "ramp", name, what, 3, &c) == 0) {
                        s->ramp = c == 0 ? RAMP_DEPTH : c == 1 ? RAMP_SPEED : RAMP_AIR;
                        s->ramp_from = t[0];
                        s->ramp_to = t[1];
                }
        } else if (strcmp(key, "posture") == 0) {
                const char *names[_POSTURE_PRESET_MAX];
                for (int i = 0; i < _POSTURE_PRESET_MAX; i++)
                        names[i] = posture_preset_to_string((enum posture_preset) i);
                kl[K_POSTURE] = line;
                if (ini_choice(l->errors, l->path, line, key, v, names, _POSTURE_PRESET_MAX, &c) == 0)
                        s->posture = c;
        } else if (strcmp(key, "recline") == 0 || strcmp(key, "legrest") == 0) {
                char num[16];
                size_t n = strlen(v);
                kl[key[0] == 'r' ? K_RECLINE : K_LEGREST] = line;
                /* N% of the axis's travel: the chair's soft limits and wall clearance clamp it. */
                if (n < 2 || n >= sizeof num || v[n - 1] != '%') {
                        ERR(l, line, "%s = '%s' is not N%% (0-100%% of its travel)", key, v);
                        return;
                }
                memcpy(num, v, n - 1);
                num[n - 1] = 0;
                if (ini_int(l->errors, l->path, line, key, num, 0, 100, &x) == 0)
                        *(key[0] == 'r' ? &s->recline : &s->legrest) = (int32_t) x * 10;
        } else if (strcmp(key, "foot_rollers") == 0) {
                if (ini_int(l->errors, l->path, line, key, v, -100, 100, &x) == 0)
                        s->foot_rollers = (int32_t) x;
        } else if (strcmp(key, "calf_knead") == 0) {
                if (ini_int(l->errors, l->path, line, key, v, 0, 100, &x) == 0)
                        s->calf_knead = (int32_t) x;
        } else if (strcmp(key, "block") == 0) {
                kl[K_BLOCK] = line;
                snprintf(l->step_block[idx], sizeof l->step_block[0], "%s", v);
        } else {
                ERR(l, line, "unknown key '%s' in [step.%s] (technique, position, range, speed, width, depth, air, "
                    "air_pattern, air_level, heat, duration_s, repetitions, ramp, block, posture, recline, legrest, "
                    "foot_rollers, calf_knead)", key, s->name);
        }
}

static void on_key(void *userdata, const char *key, const char *value, unsigned line) {
        struct loader *l = userdata;
        long long x;

        switch (l->sec) {
        case SEC_PROGRAM:
                key_program(l, key, value, line);
                break;
        case SEC_STEP:
                key_step(l, key, value, line);
                break;
        case SEC_BLOCK:
                if (strcmp(key, "times") == 0) {
                        l->block_has_times[l->block - l->p->blocks] = true;
                        if (ini_int(l->errors, l->path, line, key, value, 1, PROFILE_MAX_BLOCK_TIMES, &x) == 0)
                                l->block->times = (uint32_t) x;
                } else
                        ERR(l, line, "unknown key '%s' in [block.%s] (times)", key, l->block->name);
                break;
        case SEC_NONE:
                break; /* the section was already reported */
        }
}

bool profile_step_is_stretch(const struct profile_step *s) {
        return s->air_zones &&
               (s->posture != PROFILE_UNSET || s->recline != PROFILE_UNSET || s->legrest != PROFILE_UNSET);
}

/* A stretch program is excluded by every condition that forbids stretching (the precautions'
 * table says which), whether its file names them or not. */
static void exclude_stretch(struct loader *l) {
        struct program *p = l->p;
        size_t n;
        const struct precaution *list = precaution_list(&n);

        for (size_t i = 0; i < n; i++) {
                bool named = false;
                if (!list[i].no_stretch)
                        continue;
                for (size_t j = 0; j < p->n_excluded_by && !named; j++)
                        named = strcmp(p->excluded_by[j], list[i].name) == 0;
                if (named)
                        continue;
                if (p->n_excluded_by >= PROFILE_MAX_LIST) {
                        ERR(l, 1, "excluded_by: no room for '%s', which every stretch program needs (at most %d)",
                            list[i].name, PROFILE_MAX_LIST);
                        return;
                }
                snprintf(p->excluded_by[p->n_excluded_by++], sizeof p->excluded_by[0], "%.39s", list[i].name);
        }
}

static void check_program(struct loader *l) {
        struct program *p = l->p;
        int last_block = -1;
        bool closed[PROFILE_MAX_BLOCKS] = {};

        if (!l->program_seen) {
                ERR(l, 1, "missing required section [program]");
                return;
        }
        if (!l->have_id)
                ERR(l, 1, "[program]: missing required key 'id'");
        if (!l->have_name)
                ERR(l, 1, "[program]: missing required key 'name'");
        if (!l->have_description)
                ERR(l, 1, "[program]: missing required key 'description'");
        if (!l->have_duration)
                ERR(l, 1, "[program]: missing required key 'duration_s'");
        if (!p->n_steps)
                ERR(l, 1, "a program needs at least one [step.NAME]");
        for (size_t b = 0; b < p->n_blocks; b++)
                if (!l->block_has_times[b])
                        ERR(l, p->blocks[b].line, "[block.%s]: missing required key 'times'", p->blocks[b].name);

        for (size_t i = 0; i < p->n_steps; i++) {
                struct profile_step *s = &p->steps[i];
                unsigned *kl = l->step_lines[i];

                for (size_t j = 0; j < i; j++)
                        if (strcmp(p->steps[j].name, s->name) == 0)
                                ERR(l, s->line, "duplicate step name '%s'", s->name);
                if (!kl[K_TECH])
                        ERR(l, s->line, "[step.%s]: missing required key 'technique'", s->name);
                if (s->technique != TECH_NONE && !kl[K_POS])
                        ERR(l, s->line, "[step.%s]: the roller needs a 'position' or a 'range'", s->name);
                if (!!kl[K_DUR] == !!kl[K_REP])
                        ERR(l, s->line, "[step.%s]: give exactly one of 'duration_s' or 'repetitions'", s->name);
                if (kl[K_AIR] && !kl[K_PATTERN])
                        ERR(l, kl[K_AIR], "[step.%s]: air zones need an 'air_pattern'", s->name);
                if (kl[K_PATTERN] && !kl[K_AIR])
                        ERR(l, kl[K_PATTERN], "[step.%s]: an 'air_pattern' needs 'air' zones", s->name);
                /* Repetitions must end: they count sweeps of a range or air cycles. */
                if (kl[K_REP] && !s->is_range && !kl[K_AIR])
                        ERR(l, kl[K_REP], "[step.%s]: repetitions need a range to sweep or air to cycle; use duration_s",
                            s->name);
                if (kl[K_BLOCK]) {
                        int b = -1;
                        for (size_t j = 0; j < p->n_blocks; j++)
                                if (strcmp(p->blocks[j].name, l->step_block[i]) == 0)
                                        b = (int) j;
                        if (b < 0)
                                ERR(l, kl[K_BLOCK], "[step.%s]: block '%s' has no [block.%s] section", s->name,
                                    l->step_block[i], l->step_block[i]);
                        else if (closed[b])
                                ERR(l, kl[K_BLOCK], "[step.%s]: the steps of block '%s' must be consecutive", s->name,
                                    l->step_block[i]);
                        s->block = b;
                }
                if (last_block >= 0 && s->block != last_block)
                        closed[last_block] = true;
                last_block = s->block;
                if (kl[K_POSTURE] && (kl[K_RECLINE] || kl[K_LEGREST]))
                        ERR(l, kl[K_POSTURE], "[step.%s]: give either a posture preset or recline/legrest positions, not both",
                            s->name);
                p->stretch |= profile_step_is_stretch(s);
                if (kl[K_RAMP] && (s->block < 0 || p->blocks[s->block].times < 2))
                        ERR(l, kl[K_RAMP], "[step.%s]: a ramp needs the step in a block played at least twice", s->name);
        }
        if (p->stretch)
                exclude_stretch(l);
        if (!l->errors->count) {
                uint32_t natural = profile_natural_length_s(p);
                if (natural < 20 || natural > 7200)
                        ERR(l, 1, "the steps last %u s in all; a program's steps last 20-7200 s", natural);
        }
}

static int load(const char *path, FILE *f, const char *text, size_t len, struct program **ret, struct ini_errors *errors) {
        static const struct strict_ini_handlers handlers = { on_section, on_key };
        struct loader *l = calloc(1, sizeof *l);
        struct program *p = calloc(1, sizeof *p);

        if (!l || !p) {
                free(l);
                free(p);
                return -ENOMEM;
        }
        p->intensity = 3;
        snprintf(p->path, sizeof p->path, "%s", path);
        *l = (struct loader) { .path = path, .p = p, .errors = errors };
        strict_ini_parse(path, f, text, len, &handlers, l, errors);
        if (!errors->count)
                check_program(l);
        free(l);
        if (errors->count) {
                free(p);
                return -EINVAL;
        }
        *ret = p;
        return 0;
}

static int load_untrusted(int dirfd, const char *name, const char *display, unsigned flags, struct program **ret,
                          struct ini_errors *errors) {
        _cleanup_free_ char *text = NULL;
        char err[600];
        size_t len;
        int r;

        /* NUL bytes and invalid UTF-8 are reported by the parser, with their line. */
        r = read_untrusted_file(dirfd, name, display, PROFILE_FILE_MAX, flags, &text, &len, err, sizeof err);
        if (r < 0) {
                /* err is already "FILE: why". */
                errors->count++;
                snprintf(errors->text + errors->len, sizeof errors->text - errors->len, "%s%s", errors->len ? "\n" : "", err);
                errors->len = strlen(errors->text);
                return r;
        }
        return load(display, NULL, text, len, ret, errors);
}

int profile_load_at(int dirfd, const char *name, const char *display, struct program **ret, struct ini_errors *errors) {
        return load_untrusted(dirfd, name, display, UNTRUSTED_NOFOLLOW, ret, errors);
}

/* A path a technician names (chairctl profile check): a symlink to a regular file is fine. */
int profile_load_file(const char *path, struct program **ret, struct ini_errors *errors) {
        return load_untrusted(AT_FDCWD, path, path, 0, ret, errors);
}

int profile_load_text(const char *name, const char *text, size_t len, struct program **ret, struct ini_errors *errors) {
        if (len > PROFILE_FILE_MAX) {
                ini_errors_add(errors, name, 1, "a profile is at most %d bytes, this one is %zu", PROFILE_FILE_MAX, len);
                return -EFBIG;
        }
        return load(name, NULL, text, len, ret, errors);
}

uint32_t profile_natural_length_s(const struct program *p) {
        struct plan_options o = { .intensity = 3, .duration_s = 0, .scan = { 620, 220 }, .track_length_mm = 800,
                                  .natural = true };
        struct timeline t = {};
        uint32_t s;

        if (planner_plan(p, &o, &t) < 0)
                return 0;
        s = t.duration_ms / 1000;
        timeline_done(&t);
        return s;
}
