/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "chair-io.h"
#include "macro.h"
#include "precautions.h"
#include "profile.h"
#include "timeline.h"

#define LEGS ((1u << CHAIR_AIR_CALVES) | (1u << CHAIR_AIR_FEET))
#define TRUNK ((1u << CHAIR_AIR_BACK) | (1u << CHAIR_AIR_SEAT))

/* From chair-domain.md section 4 (Panasonic, Nitto Kohki, the seeds) and its design note.
 * The last field lowers the heat dose limit (time above a temperature per zone; low-temperature
 * burns are the second most common chair injury, chair-domain.md "Heat dose"): to half for
 * skin that feels heat late or carries it away slowly (over 65, thin or fragile skin, poor
 * circulation in the legs, where burns come without pain). A condition with no_heat needs none:
 * it leaves no dose at all. over-65 and fragile-skin also cap intensity (fractures cluster in
 * users over 60; skin tears and bruises). The last, no_stretch, excludes the stretch programs
 * (chair-domain.md section 6): bones that break easily, a spine that must not be loaded. */
static const struct precaution precautions[] = {
        { "thrombosis", "must not use the chair (thrombosis or DVT in the last 6 months)", true, 0, 0, false, 0, 0, false },
        { "aneurysm", "must not use the chair", true, 0, 0, false, 0, 0, false },
        { "spinal-fracture", "must not use the chair", true, 0, 0, false, 0, 0, false },
        { "acute-sprain", "must not use the chair until it has healed", true, 0, 0, false, 0, 0, false },
        { "skin-infection", "must not use the chair", true, 0, 0, false, 0, 0, false },
        { "open-wounds", "must not use the chair", true, 0, 0, false, 0, 0, false },
        { "fever", "must not use the chair with a temperature of 38 degC or more", true, 0, 0, false, 0, 0, false },
        { "contagious-illness", "must not use the chair", true, 0, 0, false, 0, 0, false },
        { "dvt-history", "no calf or foot compression; intensity at most 3", false, 3, 0, false, LEGS, 0, false },
        { "varicose-veins", "no calf or foot compression", false, 0, 0, false, LEGS, 0, false },
        { "phlebitis", "no calf or foot compression; intensity at most 2", false, 2, 0, false, LEGS, 0, false },
        { "circulation-problems", "no calf or foot compression; heat dose limit halved", false, 0, 0, false, LEGS, 50, false },
        { "osteoporosis", "intensity at most 2 and depth at most 2; no stretch programs", false, 2, 2, false, 0, 0, true },
        { "pregnancy", "no heat, no back or seat compression, intensity and depth at most 2", false, 2, 2, true, TRUNK, 0, false },
        { "pacemaker", "intensity at most 2, depth at most 3; programs with tapping excluded where they say so", false, 2, 3, false, 0, 0, false },
        { "reduced-temperature-sensation", "no heat", false, 0, 0, true, 0, 0, false },
        { "diabetic-neuropathy", "no heat, no calf or foot compression", false, 0, 0, true, LEGS, 0, false },
        { "anticoagulants", "intensity at most 2 and depth at most 2 (bruising)", false, 2, 2, false, 0, 0, false },
        { "heart-disease", "intensity at most 2, no heat", false, 2, 0, true, 0, 0, false },
        { "malignancy", "intensity at most 2, depth at most 2", false, 2, 2, false, 0, 0, false },
        { "kidney-or-liver-problems", "intensity at most 3", false, 3, 0, false, 0, 0, false },
        { "severe-inflammation", "intensity and depth at most 2, no heat", false, 2, 2, true, 0, 0, false },
        { "over-65", "intensity at most 3; heat dose limit halved", false, 3, 0, false, 0, 50, false },
        { "fragile-skin", "intensity at most 3; heat dose limit halved (thin skin, long-term steroids)", false, 3, 0, false, 0, 50, false },
        /* Stretching loads the spine while the body is held (issue #19): not with a herniated
         * disc or after spinal surgery; the roller's pressure on the back is capped too. */
        { "spinal-condition", "no stretch programs; intensity at most 3 (herniated disc, recent spinal surgery)", false, 3, 0, false, 0, 0, true },
};

const struct precaution *precaution_find(const char *name) {
        for (size_t i = 0; i < ARRAY_SIZE(precautions); i++)
                if (strcmp(precautions[i].name, name) == 0)
                        return &precautions[i];
        return NULL;
}

const struct precaution *precaution_list(size_t *ret_n) {
        *ret_n = ARRAY_SIZE(precautions);
        return precautions;
}

uint32_t precautions_heat_dose_pct(const char *const *conditions, const char **ret_condition) {
        const char *by = NULL;
        uint32_t pct = 100;

        for (const char *const *c = conditions; c && *c; c++) {
                const struct precaution *pr = precaution_find(*c);
                uint32_t p = !pr ? 100 : pr->no_heat ? 0 : pr->heat_dose_pct ? pr->heat_dose_pct : 100;
                if (p < pct) {
                        pct = p;
                        by = pr->name;
                }
        }
        if (ret_condition)
                *ret_condition = by;
        return pct;
}

static const char *const kind_names[] = {
        [PRECAUTION_PROGRAM] = "program",     [PRECAUTION_MANUAL] = "manual mode",
        [PRECAUTION_SCAN] = "body scan",      [PRECAUTION_INTENSITY] = "intensity",
        [PRECAUTION_DEPTH] = "depth",         [PRECAUTION_SPEED] = "speed",
        [PRECAUTION_WIDTH] = "width",         [PRECAUTION_AIR] = "air",
        [PRECAUTION_HEAT] = "heat",           [PRECAUTION_POSTURE] = "posture",
};

const char *precaution_kind_name(enum precaution_kind k) {
        return (unsigned) k < ARRAY_SIZE(kind_names) ? kind_names[k] : "?";
}

/* The declared condition with the lowest non-zero cap at offset (a uint32_t field), or NULL. */
static const struct precaution *tightest(const char *const *conditions, size_t offset) {
        const struct precaution *best = NULL;
        uint32_t best_cap = UINT32_MAX;

        for (const char *const *c = conditions; c && *c; c++) {
                const struct precaution *pr = precaution_find(*c);
                uint32_t cap;
                if (!pr)
                        continue;
                memcpy(&cap, (const char *) pr + offset, sizeof cap);
                if (cap && cap < best_cap) {
                        best = pr;
                        best_cap = cap;
                }
        }
        return best;
}

static int verdict(struct precaution_verdict *v, int r, const struct precaution *pr, const char *fmt, ...)
        _printf_(4, 5);
static int verdict(struct precaution_verdict *v, int r, const struct precaution *pr, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(v->reason, sizeof v->reason, fmt, ap);
        va_end(ap);
        v->condition = pr ? pr->name : NULL;
        return r;
}

/* A level above the cap of the tightest condition, or above the person's own cap (PERSON_CAP,
 * 0: none): clamped or refused. The lower of the two names the reason. */
static int check_cap(const struct precaution_declared *dec, const struct precaution_request *req, size_t offset,
                     uint32_t person_cap, const char *what, const char *cap_name, struct precaution_verdict *v) {
        const struct precaution *pr = tightest(dec->conditions, offset);
        uint32_t cap = UINT32_MAX;

        if (pr)
                memcpy(&cap, (const char *) pr + offset, sizeof cap);
        if (person_cap && person_cap < cap) {
                if (v->value <= person_cap)
                        return 0;
                if (!req->clamp)
                        return verdict(v, -EPERM, NULL, "%s at most %u with your %s cap (%u), not %u", what, person_cap,
                                       cap_name, person_cap, v->value);
                verdict(v, 1, NULL, "%s lowered from %u to %u for your %s cap (%u)", what, v->value, person_cap,
                        cap_name, person_cap);
                v->value = person_cap;
                return 1;
        }
        if (!pr || v->value <= cap)
                return 0;
        if (!req->clamp)
                return verdict(v, -EPERM, pr, "%s at most %u with the declared condition '%s' (%s), not %u", what, cap,
                               pr->name, pr->effect, v->value);
        verdict(v, 1, pr, "%s lowered from %u to %u for the declared condition '%s' (%s)", what, v->value, cap,
                pr->name, pr->effect);
        v->value = cap;
        return 1;
}

/* The person's own caps, 0 where they set none. */
static uint32_t person_intensity_cap(const struct precaution_declared *dec) {
        return dec->capped && dec->intensity_cap < 5 ? dec->intensity_cap : 0;
}

/* The heat cap as a level 0-3 a request may not pass; UINT32_MAX: none. */
static uint32_t person_heat_cap(const struct precaution_declared *dec) {
        return dec->capped && dec->heat_cap < 3 ? dec->heat_cap : UINT32_MAX;
}

int precautions_check(const struct precaution_declared *dec, const struct precaution_request *req,
                      struct precaution_verdict *ret) {
        bool off;
        int r = 0;

        *ret = (struct precaution_verdict) { .value = req->value, .zones = req->zones };
        if ((unsigned) req->kind >= _PRECAUTION_KIND_MAX)
                return -EINVAL;
        /* Switching air or heat off is always allowed: it is what every refusal falls back to. */
        off = (req->kind == PRECAUTION_AIR && (!req->value || !req->zones)) || (req->kind == PRECAUTION_HEAT && !req->value);
        if (off)
                return 0;
        if (dec->unreadable)
                return verdict(ret, -EPERM, NULL,
                               "The declared conditions could not be read back from the settings file, so the chair "
                               "cannot know what is safe: re-declare the precautions with 'chairctl precautions set "
                               "CONDITION...' (or 'chairctl precautions clear' if there are none)");

        for (const char *const *c = dec->conditions; c && *c; c++) {
                const struct precaution *pr = precaution_find(*c);
                if (!pr)
                        continue;
                if (pr->must_not_use)
                        return verdict(ret, -EPERM, pr, "Declared condition '%s': %s (%s refused)", pr->name, pr->effect,
                                       kind_names[req->kind]);
                for (const char *const *x = req->kind == PRECAUTION_PROGRAM ? req->excluded_by : NULL; x && *x; x++)
                        if (strcmp(*x, pr->name) == 0)
                                return verdict(ret, -EPERM, pr,
                                               "The program '%s' is not suitable with the declared condition '%s' (%s); "
                                               "try 'gentle'", req->program ? req->program : "?", pr->name, pr->effect);
        }

        switch (req->kind) {
        case PRECAUTION_PROGRAM:
        case PRECAUTION_MANUAL:
        case PRECAUTION_INTENSITY:
                return check_cap(dec, req, offsetof(struct precaution, max_intensity), person_intensity_cap(dec),
                                 "Intensity", "intensity", ret);
        case PRECAUTION_SCAN:
        case PRECAUTION_DEPTH:
                return check_cap(dec, req, offsetof(struct precaution, max_depth), 0, "Depth", "depth", ret);
        case PRECAUTION_AIR:
                for (const char *const *c = dec->conditions; c && *c; c++) {
                        const struct precaution *pr = precaution_find(*c);
                        uint32_t bad = pr ? ret->zones & pr->forbidden_air_zones : 0;
                        unsigned z = 0;
                        if (!bad)
                                continue;
                        while (!(bad & (1u << z)))
                                z++;
                        if (!req->clamp)
                                return verdict(ret, -EPERM, pr, "No %s compression with the declared condition '%s' (%s)",
                                               chair_air_zone_name((enum chair_air_zone) z), pr->name, pr->effect);
                        r = verdict(ret, 1, pr, "Air on the %s zone left off for the declared condition '%s' (%s)",
                                    chair_air_zone_name((enum chair_air_zone) z), pr->name, pr->effect);
                        ret->zones &= ~pr->forbidden_air_zones;
                }
                return r;
        case PRECAUTION_HEAT:
                for (const char *const *c = dec->conditions; c && *c; c++) {
                        const struct precaution *pr = precaution_find(*c);
                        if (!pr || !pr->no_heat)
                                continue;
                        if (!req->clamp)
                                return verdict(ret, -EPERM, pr, "No heat with the declared condition '%s' (%s)", pr->name,
                                               pr->effect);
                        ret->value = 0;
                        return verdict(ret, 1, pr, "Heat left off for the declared condition '%s' (%s)", pr->name,
                                       pr->effect);
                }
                if (ret->value <= person_heat_cap(dec))
                        return 0;
                if (!req->clamp && dec->heat_cap == 0)
                        return verdict(ret, -EPERM, NULL, "No heat with your heat cap (0)");
                if (!req->clamp)
                        return verdict(ret, -EPERM, NULL, "Heat at most %u with your heat cap (%u), not %u",
                                       dec->heat_cap, dec->heat_cap, ret->value);
                verdict(ret, 1, NULL, "Heat lowered from %u to %u for your heat cap (%u)", ret->value, dec->heat_cap,
                        dec->heat_cap);
                ret->value = dec->heat_cap;
                return 1;
        case PRECAUTION_POSTURE:
                /* zones: what the move presses (a leg rest: the calves and feet). */
                for (const char *const *c = dec->conditions; c && *c; c++) {
                        const struct precaution *pr = precaution_find(*c);
                        if (pr && (req->zones & pr->forbidden_air_zones))
                                return verdict(ret, -EPERM, pr, "No leg-rest move with the declared condition '%s' (%s)",
                                               pr->name, pr->effect);
                }
                return 0;
        case PRECAUTION_SPEED:
        case PRECAUTION_WIDTH:
        case _PRECAUTION_KIND_MAX:
                break;
        }
        return 0;
}

int precautions_evaluate_declared(const struct precaution_declared *dec, const struct program *p,
                                  struct precaution_caps *ret, char *reason, size_t reason_size) {
        struct precaution_verdict v;
        struct precaution_caps caps = { .max_intensity = 5, .max_depth = 5, .max_heat = 3 };
        const char *excluded[PROFILE_MAX_LIST + 1] = {};
        int r;

        for (size_t i = 0; p && i < p->n_excluded_by && i < PROFILE_MAX_LIST; i++)
                excluded[i] = p->excluded_by[i];
        /* Refusals come from the gate, so the planner and the session never disagree. */
        r = precautions_check(dec,
                              &(struct precaution_request) { .kind = PRECAUTION_PROGRAM, .program = p ? p->id : NULL,
                                                             .excluded_by = excluded, .value = 1 },
                              &v);
        if (r < 0)
                snprintf(reason, reason_size, "%s", v.reason);
        for (const char *const *c = dec->conditions; c && *c; c++) {
                const struct precaution *pr = precaution_find(*c);
                if (!pr)
                        continue;
                if (pr->max_intensity)
                        caps.max_intensity = MIN(caps.max_intensity, pr->max_intensity);
                if (pr->max_depth)
                        caps.max_depth = MIN(caps.max_depth, pr->max_depth);
                caps.no_heat |= pr->no_heat;
                caps.forbidden_air_zones |= pr->forbidden_air_zones;
        }
        if (person_intensity_cap(dec))
                caps.max_intensity = MIN(caps.max_intensity, MAX(1u, person_intensity_cap(dec)));
        if (person_heat_cap(dec) == 0)
                caps.no_heat = true;
        else if (person_heat_cap(dec) != UINT32_MAX)
                caps.max_heat = person_heat_cap(dec);
        *ret = caps;
        return r < 0 ? r : 0;
}

int precautions_evaluate(const char *const *conditions, const struct program *p, struct precaution_caps *ret,
                         char *reason, size_t reason_size) {
        return precautions_evaluate_declared(&(const struct precaution_declared) { .conditions = conditions }, p, ret,
                                             reason, reason_size);
}

/* 0 (a struct built without the field) is no cap. */
static uint32_t heat_limit(const struct precaution_caps *c) {
        return c->max_heat ? c->max_heat : 3;
}

bool precaution_caps_stricter(const struct precaution_caps *a, const struct precaution_caps *b) {
        return a->max_intensity < b->max_intensity || a->max_depth < b->max_depth || (a->no_heat && !b->no_heat) ||
               (a->forbidden_air_zones & ~b->forbidden_air_zones) || heat_limit(a) < heat_limit(b);
}

bool precautions_limit_cmd(const struct precaution_caps *caps, struct timeline_cmd *c) {
        switch (c->channel) {
        case TL_DEPTH:
                if (c->value > (int32_t) caps->max_depth) {
                        c->value = (int32_t) caps->max_depth;
                        return true;
                }
                return false;
        case TL_AIR_ZONE:
                if (c->arg >= 0 && c->arg < _CHAIR_AIR_ZONE_MAX && (caps->forbidden_air_zones & (1u << c->arg)) &&
                    (c->value & 0xff) != TL_AIR_RELEASE) {
                        c->value = TL_AIR_RELEASE;
                        return true;
                }
                return false;
        case TL_FOOT_ROLLERS:
        case TL_CALF_KNEAD:
                /* They press the calves and feet: off with a condition that forbids that. */
                if ((caps->forbidden_air_zones & LEGS) && c->value != 0) {
                        c->value = 0;
                        return true;
                }
                return false;
        case TL_POSTURE:
                /* The leg rest presses the legs (posture.c's gate refuses the move as well). */
                if ((caps->forbidden_air_zones & LEGS) && c->value != TL_POSTURE_LEAVE &&
                    (c->arg == CHAIR_AXIS_LEGREST_LIFT || c->arg == CHAIR_AXIS_LEGREST_EXTEND)) {
                        c->value = TL_POSTURE_LEAVE;
                        return true;
                }
                return false;
        case TL_HEAT_ZONE:
                if (caps->no_heat && c->value != 0) {
                        c->value = 0;
                        return true;
                }
                if (c->value > (int32_t) heat_limit(caps)) {
                        c->value = (int32_t) heat_limit(caps);
                        return true;
                }
                return false;
        default:
                return false;
        }
}

size_t precautions_limit_timeline(const struct precaution_caps *caps, struct timeline *t, int32_t *ret_max_depth) {
        int32_t max_depth = 0;
        size_t n = 0;

        for (size_t i = 0; i < t->n_cmds; i++) {
                n += precautions_limit_cmd(caps, &t->cmds[i]);
                if (t->cmds[i].channel == TL_DEPTH)
                        max_depth = MAX(max_depth, t->cmds[i].value);
        }
        if (ret_max_depth)
                *ret_max_depth = max_depth;
        return n;
}
