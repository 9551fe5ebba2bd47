/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "chair-hw.h"
#include "changes.h"
#include "core-context.h"
#include "event-loop.h"
#include "fault-codes.h"
#include "log.h"
#include "macro.h"
#include "panel.h"
#include "people.h"
#include "posture.h"
#include "program-library.h"
#include "scheduler.h"
#include "session.h"
#include "settings.h"
#include "supervisor.h"
#include "vocab.h"

#define BEEP_SHORT_MS 80
#define BEEP_GAP_MS 100
#define BEEP_LONG_MS 600
#define BLINK_PAUSED_MS 500
#define BLINK_FAULT_MS 250
#define LEVEL_MAX 5
#define HEAT_MAX 3
#define PERSON_SHOWN_MS 3000    /* the person key: display_program shows who is active this long */
/* A held posture key renews its move every tick (the repeat interval, at most this); the lease
 * runs half a tick longer, so a tick that does not come stops the axis. */
#define HOLD_TICK_MAX_MS 500
#define FOOT_ROLLERS_SLOW 40
#define FOOT_ROLLERS_FAST 80

/* The air key steps through these zone sets. */
static const uint32_t air_zone_sets[] = {
        0x3f,                                                            /* all */
        (1u << CHAIR_AIR_SHOULDERS) | (1u << CHAIR_AIR_ARMS),
        (1u << CHAIR_AIR_BACK) | (1u << CHAIR_AIR_SEAT),
        (1u << CHAIR_AIR_CALVES) | (1u << CHAIR_AIR_FEET),
        0,                                                               /* off */
};

enum key_style {
        KEY_ON_PRESS,     /* acts when pressed */
        KEY_REPEATS,      /* acts when pressed, then repeats while held */
        KEY_LONG,         /* short press acts on release; a long press acts when held long enough */
        KEY_HOLD,         /* hold-to-run: moves while held, renewed every tick, stops on release */
};

enum key_trigger {
        TRIGGER_PRESS,
        TRIGGER_REPEAT,
        TRIGGER_SHORT,    /* released before the long-press time */
        TRIGGER_LONG,
};

static const enum key_style key_styles[_CHAIR_KEY_MAX] = {
        [CHAIR_KEY_INTENSITY_UP] = KEY_REPEATS,  [CHAIR_KEY_INTENSITY_DOWN] = KEY_REPEATS,
        [CHAIR_KEY_SHOULDER_UP] = KEY_REPEATS,   [CHAIR_KEY_SHOULDER_DOWN] = KEY_REPEATS,
        [CHAIR_KEY_MEMORY_A] = KEY_LONG,         [CHAIR_KEY_MEMORY_B] = KEY_LONG,
        [CHAIR_KEY_CHILD_LOCK] = KEY_LONG,
        [CHAIR_KEY_RECLINE_BACK] = KEY_HOLD,     [CHAIR_KEY_RECLINE_UP] = KEY_HOLD,
        [CHAIR_KEY_LEGREST_UP] = KEY_HOLD,       [CHAIR_KEY_LEGREST_DOWN] = KEY_HOLD,
};

/* The hold-to-run keys' axis and direction (posture_move: +1 toward the axis's end_max). */
static const struct {
        enum chair_axis axis;
        int direction;
} hold_moves[_CHAIR_KEY_MAX] = {
        [CHAIR_KEY_RECLINE_BACK] = { CHAIR_AXIS_RECLINE, 1 },     [CHAIR_KEY_RECLINE_UP] = { CHAIR_AXIS_RECLINE, -1 },
        [CHAIR_KEY_LEGREST_UP] = { CHAIR_AXIS_LEGREST_LIFT, 1 },  [CHAIR_KEY_LEGREST_DOWN] = { CHAIR_AXIS_LEGREST_LIFT, -1 },
};

struct panel {
        struct chair_core *d;
        const struct hw_panel *cfg;
        bool latch;                     /* a board that latches presses (panel_event) */
        bool event_known;
        int32_t last_event;

        /* The key being held. */
        int32_t held_code;              /* 0 = none */
        enum chair_key held_key;
        bool held_ignored;              /* unknown code, child lock, held since start-up */
        bool long_fired;
        bool holding;                   /* a hold-to-run key's move is ours to renew */
        bool repeats_stalled;           /* panel_stall_repeats(): the ticks do not come */
        int32_t superseded;             /* a key pressed over by another, still held */
        struct event_source *key_timer;

        /* Beeper: a pattern of on/off segments. */
        uint32_t beep_segments[4];
        unsigned n_beep_segments, beep_next;
        struct event_source *beep_timer;

        bool blink_on;
        struct event_source *blink_timer;
        struct event_source *refresh;

        uint32_t selected;              /* program index selected with the program key */
        enum posture_preset zero_gravity; /* the zero-gravity key's last stage (upright: none) */
        uint64_t person_shown_until;    /* CLOCK_MONOTONIC usec: display_program shows the person */
        struct event_source *person_timer;
        struct panel_stats stats;
};

int panel_key_code(struct panel *p, enum chair_key k) {
        if ((unsigned) k >= _CHAIR_KEY_MAX || !p->cfg->keys[k].present)
                return -ENOENT;
        return p->cfg->keys[k].code;
}

static uint64_t now_usec(struct panel *p) {
        return event_loop_now(p->d->loop);
}

static void arm(struct event_source *s, uint64_t at_usec) {
        event_source_arm(s, at_usec);
}

/* ---- beeper ---- */

static void set_indicator(struct panel *p, enum chair_output out, int32_t value) {
        /* Compared with the router's image, which a go-safe also resets. */
        if (chair_hw_has_output(p->d->hw, out) && chair_hw_get_output(p->d->hw, out) != value)
                chair_hw_set_output(p->d->hw, out, value);
}

static void on_beep_timer(struct event_source *s, uint64_t usec, void *userdata) {
        struct panel *p = userdata;

        if (p->beep_next >= p->n_beep_segments) {
                set_indicator(p, CHAIR_OUT_BEEPER, 0);
                return;
        }
        /* Even segments sound, odd ones are the gaps. */
        set_indicator(p, CHAIR_OUT_BEEPER, p->beep_next % 2 == 0);
        arm(s, usec + p->beep_segments[p->beep_next++] * USEC_PER_MSEC);
}

static void beep(struct panel *p, enum panel_beep kind) {
        static const uint32_t patterns[_PANEL_BEEP_MAX][4] = {
                [PANEL_BEEP_SHORT] = { BEEP_SHORT_MS },
                [PANEL_BEEP_DOUBLE] = { BEEP_SHORT_MS, BEEP_GAP_MS, BEEP_SHORT_MS },
                [PANEL_BEEP_LONG] = { BEEP_LONG_MS },
        };
        static const unsigned lengths[_PANEL_BEEP_MAX] = { 1, 3, 1 };

        p->stats.beeps[kind]++;
        /* A new acknowledgement cuts the one still sounding short. */
        memcpy(p->beep_segments, patterns[kind], sizeof p->beep_segments);
        p->n_beep_segments = lengths[kind];
        p->beep_next = 0;
        on_beep_timer(p->beep_timer, now_usec(p), p);
}

/* ---- indicators ---- */

static uint32_t program_number(struct panel *p, const char *id) {
        struct program_summary ps;
        size_t n = program_library_count(p->d->library);

        for (size_t i = 0; i < n; i++)
                if (program_library_get(p->d->library, i, &ps) >= 0 && strcmp(ps.id, id) == 0)
                        return (uint32_t) MIN(i + 1, 99);
        return 0;
}

/* The air LED: during a session whether any bag is inflating or holding, idle what is set. */
static bool air_led(struct panel *p) {
        const struct session_settings *st = session_settings(p->d->session);

        return session_active(p->d->session) ? scheduler_active_air_zones(p->d->scheduler) != 0
                                             : st->air_zones && st->air_intensity;
}

/* The active person as display_program shows them: 0 (blank) the guest, 1-8 their place among
 * the profiles (the order of `chairctl person list`). */
static uint32_t person_number(struct panel *p) {
        const struct person *list[PEOPLE_MAX + 1];
        size_t n = people_list(p->d->people, list);
        uint32_t active = people_active(p->d->people)->id;

        for (size_t i = 0; i < n; i++)
                if (list[i]->id == active)
                        return (uint32_t) i;
        return 0;
}

static void show(struct panel *p) {
        struct chair_core *d = p->d;
        const struct session_settings *st = session_settings(d->session);
        enum session_state state = session_get_state(d->session);
        bool faulted = supervisor_latched(d->supervisor) || state == SESSION_FAULT;
        bool active = session_active(d->session);
        uint32_t minutes, program, heat = MAX(st->heat[CHAIR_HEAT_LUMBAR], st->heat[CHAIR_HEAT_CALVES]);
        uint32_t blink_ms = faulted ? BLINK_FAULT_MS : state == SESSION_PAUSED ? BLINK_PAUSED_MS : 0;
        int32_t power_led;

        if (faulted)
                minutes = 0;
        else if (active)
                minutes = MIN((session_remaining_s(d->session) + 59) / 60, 99);
        else
                minutes = st->timer_min;
        program = active ? program_number(p, session_program(d->session))
                         : faulted ? 0 : p->selected + 1;
        if (!active && !faulted && now_usec(p) < p->person_shown_until)
                program = person_number(p);
        /* The latest command wins: a program started over D-Bus becomes the panel's selection. */
        if (active && program && program - 1 != p->selected) {
                p->selected = program - 1;
                chair_changes_mark(d->changes, CHAIR_CHANGE_SELECTED_PROGRAM);
        }

        /* The power LED blinks while paused or faulted, so the blink timer runs only then. */
        if (blink_ms && !event_source_armed(p->blink_timer)) {
                p->blink_on = true;
                arm(p->blink_timer, now_usec(p) + blink_ms * USEC_PER_MSEC);
        } else if (!blink_ms) {
                event_source_disarm(p->blink_timer);
        }
        power_led = blink_ms ? p->blink_on : active;

        set_indicator(p, CHAIR_OUT_LED_POWER, power_led);
        /* During a session the LEDs show what the chair is doing (a program's heat and air
         * too), while idle what is set for the next one. */
        if (active) {
                heat = 0;
                for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++)
                        heat = MAX(heat, (uint32_t) MAX(0, scheduler_heat_level(d->scheduler, z)));
        }
        set_indicator(p, CHAIR_OUT_LED_HEAT, heat > 0);
        set_indicator(p, CHAIR_OUT_LED_AIR, air_led(p));
        set_indicator(p, CHAIR_OUT_LED_LOCK, chair_settings_child_lock(d->settings));
        set_indicator(p, CHAIR_OUT_DISPLAY_MINUTES, (int32_t) minutes);
        set_indicator(p, CHAIR_OUT_DISPLAY_PROGRAM, (int32_t) program);
        set_indicator(p, CHAIR_OUT_DISPLAY_INTENSITY, (int32_t) st->intensity);
        set_indicator(p, CHAIR_OUT_DISPLAY_SPEED, (int32_t) st->speed);
        set_indicator(p, CHAIR_OUT_DISPLAY_WIDTH, (int32_t) st->width + 1);
        set_indicator(p, CHAIR_OUT_DISPLAY_AIR, st->air_zones ? (int32_t) st->air_intensity : 0);
        set_indicator(p, CHAIR_OUT_DISPLAY_HEAT, (int32_t) heat);
        set_indicator(p, CHAIR_OUT_DISPLAY_FAULT,
                      faulted ? (int32_t) chair_fault_number(supervisor_fault_code(d->supervisor)) : 0);
}

static void on_blink_timer(struct event_source *s, uint64_t usec, void *userdata) {
        struct panel *p = userdata;
        bool faulted = supervisor_latched(p->d->supervisor);

        p->blink_on = !p->blink_on;
        arm(s, usec + (faulted ? BLINK_FAULT_MS : BLINK_PAUSED_MS) * USEC_PER_MSEC);
        show(p);
}

static void on_refresh(struct event_source *s, void *userdata) {
        show(userdata);
}

/* Every change but the continuous measurements shows on the panel (LEDs, display); of those,
 * the zones inflated now only when the air LED would change (the bus marks them at 10 Hz). */
static void on_changes(uint32_t changed, void *userdata) {
        struct panel *p = userdata;

        if ((changed & ~CHAIR_CHANGE_MEASUREMENTS) ||
            ((changed & CHAIR_CHANGE_ACTIVE_AIR) && chair_hw_has_output(p->d->hw, CHAIR_OUT_LED_AIR) &&
             chair_hw_get_output(p->d->hw, CHAIR_OUT_LED_AIR) != air_led(p)))
                panel_refresh(p);
}

void panel_refresh(struct panel *p) {
        if (p)
                event_source_trigger(p->refresh);
}

/* ---- key actions: the same session calls as D-Bus ---- */

static uint32_t cycle(uint32_t value, uint32_t lo, uint32_t hi) {
        return value >= hi || value < lo ? lo : value + 1;
}

static int act_level(struct panel *p, enum chair_key k, struct chair_error *e) {
        const struct session_settings *st = session_settings(p->d->session);
        bool up = k == CHAIR_KEY_INTENSITY_UP;

        if (up ? st->intensity >= LEVEL_MAX : st->intensity <= 1)
                return -ERANGE;
        return session_set_intensity(p->d->session, st->intensity + (up ? 1 : -1), e);
}

static int act_shoulder(struct panel *p, enum chair_key k, struct chair_error *e) {
        int r;

        if (session_shoulder_mm(p->d->session) < 0)
                return chair_error_set(e, CHAIR_REASON_FAILED, "No body scan yet: the shoulder point is not known");
        r = session_adjust_shoulder(p->d->session, k == CHAIR_KEY_SHOULDER_UP ? 1 : -1, e);
        /* The session refuses beyond its steps from the scan: that is the key's limit. */
        if (r < 0 && chair_error_is(e, CHAIR_REASON_NOT_PERMITTED))
                return -ERANGE;
        return r;
}

static int act_start_pause(struct panel *p, struct chair_error *e) {
        struct session *s = p->d->session;
        struct session_options o = { .scan = -1, .heat = true };
        struct program_summary ps;

        switch (session_get_state(s)) {
        case SESSION_RUNNING:
                return session_pause(s, e);
        case SESSION_PAUSED:
                return session_resume(s, e);
        case SESSION_IDLE:
                if (program_library_get(p->d->library, p->selected, &ps) < 0)
                        return chair_error_set(e, CHAIR_REASON_FAILED, "No program to start");
                return session_start(s, ps.id, &o, e);
        default:
                return session_start(s, "", &o, e); /* refused with the session's own reason */
        }
}

static int act_program(struct panel *p, struct chair_error *e) {
        size_t n = program_library_count(p->d->library);

        if (session_active(p->d->session))
                return chair_error_set(e, CHAIR_REASON_FAILED, "A program is running: stop it to choose another");
        if (n == 0)
                return chair_error_set(e, CHAIR_REASON_FAILED, "No programs are installed");
        p->selected = (uint32_t) ((p->selected + 1) % n);
        chair_changes_mark(p->d->changes, CHAIR_CHANGE_SELECTED_PROGRAM);
        return 0;
}

static int act_heat(struct panel *p, struct chair_error *e) {
        const struct session_settings *st = session_settings(p->d->session);
        uint32_t level = cycle(MAX(st->heat[CHAIR_HEAT_LUMBAR], st->heat[CHAIR_HEAT_CALVES]), 0, HEAT_MAX);
        struct chair_error rests = CHAIR_ERROR_NULL;
        int r = 0, refused = 0;

        /* A zone off for its heat dose refuses any level but off: the others take the key, and
         * the refusal (its reason, the long beep) is the key's answer. */
        for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX && r >= 0; z++) {
                struct heat_dose_status ds;
                if (!chair_hw_has_output(p->d->hw, chair_heat_zone_output(z)))
                        continue;
                if (level > 0 && supervisor_heat_dose(p->d->supervisor, z, &ds) >= 0 && ds.limited) {
                        refused = session_set_heat(p->d->session, z, level, &rests);
                        continue;
                }
                r = session_set_heat(p->d->session, z, level, e);
        }
        if (r >= 0 && refused < 0) {
                *e = rests;
                return refused;
        }
        /* Past the person's heat cap the key goes round to off (off is never refused), so heat
         * that is on can always be switched off with it. */
        if (r < 0 && chair_error_is(e, CHAIR_REASON_PRECAUTION) && level > 1) {
                chair_error_reset(e);
                r = 0;
                for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX && r >= 0; z++)
                        if (chair_hw_has_output(p->d->hw, chair_heat_zone_output(z)))
                                r = session_set_heat(p->d->session, z, 0, e);
        }
        return r;
}

static int act_air(struct panel *p, enum chair_key k, struct chair_error *e) {
        const struct session_settings *st = session_settings(p->d->session);
        uint32_t zones = st->air_zones, intensity = st->air_intensity ? st->air_intensity : 3;
        unsigned i = 0;
        int r;

        if (k == CHAIR_KEY_AIR_ZONE) {
                while (i < ARRAY_SIZE(air_zone_sets) && air_zone_sets[i] != zones)
                        i++;
                i = i < ARRAY_SIZE(air_zone_sets) ? (i + 1) % ARRAY_SIZE(air_zone_sets) : 0;
                zones = air_zone_sets[i];
        } else {
                intensity = st->air_zones ? cycle(st->air_intensity, 1, LEVEL_MAX) : intensity;
                if (!zones)
                        zones = air_zone_sets[0];  /* the air key of a chair with air off turns it on */
        }
        /* A set that a declared condition forbids is stepped over (else the key could never get
         * past it), to "off" too (always allowed); only with air off already, every set refused,
         * does the key refuse. */
        for (;;) {
                r = session_set_air(p->d->session, zones, intensity, e);
                if (r >= 0 || !chair_error_is(e, CHAIR_REASON_PRECAUTION) || st->air_zones == zones)
                        return r;
                i = (i + 1) % ARRAY_SIZE(air_zone_sets);
                if (!air_zone_sets[i] && !st->air_zones)
                        return r;
                chair_error_reset(e);
                zones = air_zone_sets[i];
        }
}

/* The next person (the guest after the last); refused while a session is under way. The
 * display shows who it is for PERSON_SHOWN_MS, then the program again. */
static int act_person(struct panel *p, struct chair_error *e) {
        int r = people_select_next(p->d->people, e);

        if (r < 0)
                return r;
        p->person_shown_until = now_usec(p) + PERSON_SHOWN_MS * USEC_PER_MSEC;
        arm(p->person_timer, p->person_shown_until);
        panel_refresh(p);
        return 0;
}

static void on_person_timer(struct event_source *s, uint64_t usec, void *userdata) {
        show(userdata);
}

/* ---- posture keys (docs/panel.md, docs/posture.md): the same rules as D-Bus's moves ---- */

static uint32_t hold_tick_ms(struct panel *p) {
        return MIN(p->cfg->repeat_interval_ms, HOLD_TICK_MAX_MS);
}

static uint32_t hold_lease_ms(struct panel *p) {
        return CLAMP(hold_tick_ms(p) * 3 / 2, POSTURE_LEASE_MIN_MS, POSTURE_LEASE_MAX_MS);
}

static int act_hold(struct panel *p, enum chair_key k, struct chair_error *e) {
        int r = posture_move(p->d->posture, hold_moves[k].axis, hold_moves[k].direction, hold_lease_ms(p),
                             POSTURE_OWNER_PANEL, e);

        p->holding = r >= 0;
        return r;
}

/* The key released or pressed over: the move stops now, not when the lease lapses. Told
 * after a stop the daemon made too: posture refuses the panel's next press of it until then. */
static void hold_end(struct panel *p) {
        if (key_styles[p->held_key] != KEY_HOLD)
                return;
        p->holding = false;
        (void) posture_move(p->d->posture, hold_moves[p->held_key].axis, 0, 0, POSTURE_OWNER_PANEL, NULL);
}

/* Zero gravity 1 -> 2 -> 3 -> upright -> 1; a press while a preset runs stops it there. */
static int act_zero_gravity(struct panel *p, struct chair_error *e) {
        struct posture *pos = p->d->posture;
        enum posture_preset next;
        int r;

        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++)
                if (posture_axis_motion(pos, a) == POSTURE_PRESET_MOVE) {
                        posture_stop(pos);
                        return 0;
                }
        next = p->zero_gravity == POSTURE_PRESET_ZERO_GRAVITY_1   ? POSTURE_PRESET_ZERO_GRAVITY_2
               : p->zero_gravity == POSTURE_PRESET_ZERO_GRAVITY_2 ? POSTURE_PRESET_ZERO_GRAVITY_3
               : p->zero_gravity == POSTURE_PRESET_ZERO_GRAVITY_3 ? POSTURE_PRESET_UPRIGHT
                                                                  : POSTURE_PRESET_ZERO_GRAVITY_1;
        r = posture_preset(pos, next, e);
        if (r >= 0)
                p->zero_gravity = next;
        return r;
}

/* Off -> slow -> fast -> off; a speed set over D-Bus (or reverse) goes on from where it is. */
static int act_foot_rollers(struct panel *p, struct chair_error *e) {
        int32_t now = chair_hw_has_output(p->d->hw, CHAIR_OUT_FOOT_ROLLERS) ? chair_hw_get_output(p->d->hw, CHAIR_OUT_FOOT_ROLLERS) : 0;
        int32_t next = now == 0 ? FOOT_ROLLERS_SLOW : now > 0 && now < FOOT_ROLLERS_FAST ? FOOT_ROLLERS_FAST : 0;

        return posture_set_rotary(p->d->posture, CHAIR_OUT_FOOT_ROLLERS, next, e);
}

/* The power key: every axis stops where it is, the leg rollers stop (off is never refused). */
static void stop_posture(struct panel *p) {
        static const enum chair_output rotaries[] = { CHAIR_OUT_FOOT_ROLLERS, CHAIR_OUT_CALF_KNEAD };
        struct chair_error e = CHAIR_ERROR_NULL;

        posture_stop(p->d->posture);
        for (size_t i = 0; i < ARRAY_SIZE(rotaries); i++)
                if (chair_hw_has_output(p->d->hw, rotaries[i]) && chair_hw_get_output(p->d->hw, rotaries[i]) != 0)
                        (void) posture_set_rotary(p->d->posture, rotaries[i], 0, &e);
}

static int act_child_lock(struct panel *p) {
        chair_settings_set_child_lock(p->d->settings, !chair_settings_child_lock(p->d->settings), "from the panel");
        return 0;
}

/* Runs one key action; returns the beep that acknowledges it. */
static enum panel_beep act(struct panel *p, enum chair_key k, enum key_trigger t) {
        struct chair_error e = CHAIR_ERROR_NULL;
        struct session *s = p->d->session;
        const struct session_settings *st = session_settings(s);
        unsigned slot = k == CHAIR_KEY_MEMORY_A ? 1 : 2;
        int r = 0;

        switch (k) {
        case CHAIR_KEY_POWER:
                /* Stop always wins: nothing refuses it. Idle or settling, there is nothing to end
                 * but the posture's motion, which stops first. */
                stop_posture(p);
                if (session_active(s) && session_get_state(s) != SESSION_SETTLING)
                        session_stop(s, NULL);
                break;
        case CHAIR_KEY_PROGRAM:
                r = act_program(p, &e);
                break;
        case CHAIR_KEY_START_PAUSE:
                r = act_start_pause(p, &e);
                break;
        case CHAIR_KEY_INTENSITY_UP:
        case CHAIR_KEY_INTENSITY_DOWN:
                r = act_level(p, k, &e);
                break;
        case CHAIR_KEY_SPEED:
                r = session_set_speed(s, cycle(st->speed, 1, LEVEL_MAX), &e);
                break;
        case CHAIR_KEY_WIDTH:
                r = session_set_width(s, cycle(st->width, 0, 2), &e);
                break;
        case CHAIR_KEY_HEAT:
                r = act_heat(p, &e);
                break;
        case CHAIR_KEY_AIR_ZONE:
        case CHAIR_KEY_AIR_INTENSITY:
                r = act_air(p, k, &e);
                break;
        case CHAIR_KEY_TIMER:
                r = session_set_timer(s, chair_timer_next(st->timer_min), &e);
                break;
        case CHAIR_KEY_SHOULDER_UP:
        case CHAIR_KEY_SHOULDER_DOWN:
                r = act_shoulder(p, k, &e);
                break;
        case CHAIR_KEY_MEMORY_A:
        case CHAIR_KEY_MEMORY_B:
                if (t == TRIGGER_LONG)
                        r = session_save_memory(s, slot, &e);
                else
                        r = session_recall_memory(s, slot, &e);
                break;
        case CHAIR_KEY_CHILD_LOCK:
                if (t != TRIGGER_LONG)
                        r = chair_error_set(&e, CHAIR_REASON_FAILED, "Hold the child-lock key to lock or unlock");
                else
                        r = act_child_lock(p);
                break;
        case CHAIR_KEY_PERSON:
                r = act_person(p, &e);
                break;
        case CHAIR_KEY_RECLINE_BACK:
        case CHAIR_KEY_RECLINE_UP:
        case CHAIR_KEY_LEGREST_UP:
        case CHAIR_KEY_LEGREST_DOWN:
                r = act_hold(p, k, &e);
                break;
        case CHAIR_KEY_ZERO_GRAVITY:
                r = act_zero_gravity(p, &e);
                break;
        case CHAIR_KEY_FOOT_ROLLERS:
                r = act_foot_rollers(p, &e);
                break;
        case _CHAIR_KEY_MAX:
                break;
        }
        p->stats.keys++;
        if (r == -ERANGE)
                return PANEL_BEEP_DOUBLE;
        if (r < 0) {
                log_info("Panel key %s refused: %s", chair_key_name(k), e.message[0] ? e.message : strerror(-r));
                return PANEL_BEEP_LONG;
        }
        log_info("Panel key %s%s.", chair_key_name(k),
                 t == TRIGGER_LONG ? " (long press)" : t == TRIGGER_REPEAT ? " (repeat)" : "");
        return PANEL_BEEP_SHORT;
}

/* ---- presses ---- */

/* A held posture key's tick: the lease renewed, quietly. The axis that stopped by itself (its
 * limit, a stop, a fault) ends the hold: the key must be pressed again to move on. */
static void hold_tick(struct panel *p, uint64_t usec) {
        enum chair_axis a = hold_moves[p->held_key].axis;
        struct chair_error e = CHAIR_ERROR_NULL;

        if (!p->holding || p->repeats_stalled)
                return;
        if (posture_axis_motion(p->d->posture, a) != POSTURE_MANUAL) {
                bool limit = posture_axis_motion(p->d->posture, a) == POSTURE_STILL && !supervisor_latched(p->d->supervisor);
                p->holding = false;
                log_info("Panel key %s: the %s stopped while held.", chair_key_name(p->held_key), chair_axis_info(a)->name);
                beep(p, limit ? PANEL_BEEP_DOUBLE : PANEL_BEEP_LONG);
                return;
        }
        if (act_hold(p, p->held_key, &e) < 0) {
                log_info("Panel key %s refused: %s", chair_key_name(p->held_key), e.message);
                beep(p, PANEL_BEEP_LONG);
                return;
        }
        arm(p->key_timer, usec + hold_tick_ms(p) * USEC_PER_MSEC);
}

static void on_key_timer(struct event_source *src, uint64_t usec, void *userdata) {
        struct panel *p = userdata;
        enum panel_beep b;

        if (!p->held_code || p->held_ignored)
                return;
        if (key_styles[p->held_key] == KEY_HOLD) {
                hold_tick(p, usec);
                return;
        }
        if (key_styles[p->held_key] == KEY_LONG) {
                p->long_fired = true;
                beep(p, act(p, p->held_key, TRIGGER_LONG));
                return;
        }
        /* Auto-repeat: on until the level's limit, which sounds once and ends the repeat. */
        b = act(p, p->held_key, TRIGGER_REPEAT);
        beep(p, b);
        if (b == PANEL_BEEP_SHORT)
                arm(src, usec + p->cfg->repeat_interval_ms * USEC_PER_MSEC);
}

static void key_down(struct panel *p, int32_t code) {
        struct chair_core *d = p->d;
        int k = -1;

        p->held_code = code;
        p->held_ignored = false;
        p->long_fired = false;
        for (unsigned i = 0; i < _CHAIR_KEY_MAX; i++)
                if (p->cfg->keys[i].present && p->cfg->keys[i].code == code)
                        k = (int) i;
        if (k < 0) {
                log_debug("Panel: key code %d is not in the key map; ignored.", code);
                p->held_ignored = true;
                return;
        }
        p->held_key = (enum chair_key) k;
        if (chair_settings_child_lock(d->settings) && k != CHAIR_KEY_POWER && k != CHAIR_KEY_CHILD_LOCK) {
                p->held_ignored = true;
                p->stats.ignored++;
                log_info("Panel key %s ignored: the child lock is on.", chair_key_name(k));
                beep(p, PANEL_BEEP_LONG);
                return;
        }
        switch (key_styles[k]) {
        case KEY_ON_PRESS:
                beep(p, act(p, (enum chair_key) k, TRIGGER_PRESS));
                break;
        case KEY_REPEATS: {
                enum panel_beep b = act(p, (enum chair_key) k, TRIGGER_PRESS);
                beep(p, b);
                if (b == PANEL_BEEP_SHORT)
                        arm(p->key_timer, now_usec(p) + p->cfg->repeat_delay_ms * USEC_PER_MSEC);
                break;
        }
        case KEY_HOLD: {
                enum panel_beep b = act(p, (enum chair_key) k, TRIGGER_PRESS);
                beep(p, b);
                if (b == PANEL_BEEP_SHORT)
                        arm(p->key_timer, now_usec(p) + hold_tick_ms(p) * USEC_PER_MSEC);
                break;
        }
        case KEY_LONG:
                arm(p->key_timer, now_usec(p) +
                    (k == CHAIR_KEY_CHILD_LOCK ? p->cfg->child_lock_ms : p->cfg->long_press_ms) * USEC_PER_MSEC);
                break;
        }
}

static void key_up(struct panel *p) {
        bool short_press = !p->held_ignored && key_styles[p->held_key] == KEY_LONG && !p->long_fired;

        event_source_disarm(p->key_timer);
        hold_end(p);
        p->held_code = 0;
        if (short_press)
                beep(p, act(p, p->held_key, TRIGGER_SHORT));
}

/* Brings the key state in line with panel_key (and a board's latch), whichever changed. */
static void on_panel_input(struct panel *p) {
        int32_t key = 0, event = 0, prev;

        if (chair_hw_read_input(p->d->hw, CHAIR_IN_PANEL_KEY, &key) < 0)
                key = 0;
        if (p->latch) {
                if (chair_hw_read_input(p->d->hw, CHAIR_IN_PANEL_EVENT, &event) < 0)
                        return;
                if (!p->event_known) {
                        /* The first reading is the board's state, not a press. */
                        p->event_known = true;
                        p->last_event = event;
                } else if ((event >> 8) != (p->last_event >> 8)) {
                        int32_t code = event & 0xff;
                        /* Presses the polls missed in between count as one: nobody presses twice
                         * within one poll period on purpose. */
                        p->last_event = event;
                        if (p->held_code)
                                key_up(p);
                        key_down(p, code);
                        if (key != code)
                                key_up(p);   /* a tap that came and went between two polls */
                        return;
                }
                if (p->held_code && key != p->held_code)
                        key_up(p);
                return;
        }
        if (key == p->held_code)
                return;
        prev = p->held_code;
        if (prev && key && key != p->superseded) {
                /* Pressed over, not released: a long key's short press (on release) does not come;
                 * a held posture key's move stops. */
                event_source_disarm(p->key_timer);
                hold_end(p);
                p->held_code = 0;
        } else if (prev)
                key_up(p);
        if (key && key == p->superseded) {
                /* Back to a key still held since another was pressed over it: not a new press. */
                p->held_code = key;
                p->held_ignored = true;
                p->superseded = 0;
                return;
        }
        p->superseded = key ? prev : 0;
        if (key)
                key_down(p, key);
}

static void on_input_changed(void *userdata, enum chair_input in, int32_t value, uint64_t timestamp_ns) {
        if (in == CHAIR_IN_PANEL_KEY || in == CHAIR_IN_PANEL_EVENT)
                on_panel_input(userdata);
}

int panel_selected_program(struct panel *p, struct program_summary *ret) {
        return program_library_get(p->d->library, p->selected, ret);
}

void panel_stall_repeats(struct panel *p, bool stalled) {
        p->repeats_stalled = stalled;
}

void panel_get_stats(struct panel *p, struct panel_stats *ret) {
        *ret = p->stats;
        ret->selected_program = p->selected + 1;
}

/* A one-shot timer, off until armed: an idle panel has nothing to wake for. */
static int add_timer(struct panel *p, struct event_source **ret, event_time_fn handler) {
        return event_loop_add_timer(p->d->loop, USEC_PER_MSEC, handler, p, ret);
}

int panel_new(struct chair_core *d, struct panel **ret) {
        struct panel *p = calloc(1, sizeof *p);
        int32_t key = 0;
        int r;

        if (!p)
                return -ENOMEM;
        p->d = d;
        p->cfg = &d->map.panel;
        p->latch = chair_hw_has_input(d->hw, CHAIR_IN_PANEL_EVENT);

        r = add_timer(p, &p->key_timer, on_key_timer);
        if (r >= 0)
                r = add_timer(p, &p->beep_timer, on_beep_timer);
        if (r >= 0)
                r = add_timer(p, &p->blink_timer, on_blink_timer);
        if (r >= 0)
                r = add_timer(p, &p->person_timer, on_person_timer);
        if (r >= 0)
                r = event_loop_add_defer(d->loop, on_refresh, p, &p->refresh);
        if (r >= 0)
                event_source_trigger(p->refresh);
        if (r >= 0)
                r = chair_hw_subscribe(d->hw, on_input_changed, p);
        if (r >= 0)
                r = chair_changes_subscribe(d->changes, on_changes, p);
        if (r < 0) {
                panel_free(p);
                return r;
        }
        /* A key already held at start-up (stuck, or leant on) does nothing until released. */
        if (chair_hw_read_input(d->hw, CHAIR_IN_PANEL_KEY, &key) >= 0 && key) {
                p->held_code = key;
                p->held_ignored = true;
        }
        if (chair_settings_child_lock(d->settings))
                log_info("The child lock is on (kept from before): panel keys other than stop are ignored.");
        *ret = p;
        return 0;
}

void panel_free(struct panel *p) {
        if (!p)
                return;
        event_source_free(p->key_timer);
        event_source_free(p->beep_timer);
        event_source_free(p->blink_timer);
        event_source_free(p->person_timer);
        event_source_free(p->refresh);
        free(p);
}
