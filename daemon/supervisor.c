/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chair-hw.h"
#include "changes.h"
#include "core-context.h"
#include "event-loop.h"
#include "people.h"
#include "precautions.h"
#include "scheduler.h"
#include "state-store.h"
#include "supervisor.h"
#include "travel.h"

#define CHECK_USEC (100 * USEC_PER_MSEC)
/* At rest the checks that make sense there run this often: a low rate, and no faster than the
 * heartbeat's own wake-ups. */
#define IDLE_CHECK_USEC (2 * USEC_PER_SEC)
/* The board's heartbeat lease lasts this many check periods: one late check is no lapse. */
#define LEASE_PERIODS 3
#define THERMISTOR_OPEN_DECIC (-150)   /* colder than any room: the sensor reads open */
#define THERMISTOR_SHORT_DECIC 1000    /* hotter than any heater: the sensor reads short */
#define SPURIOUS_PULSES 6              /* encoder pulses tolerated while the motor is off */
#define HEAT_RISE_DECIC 30             /* heat "arrives" when it rose this much since switch-on */

struct supervisor {
        struct chair_core *d;
        struct event_source *check;
        struct supervisor_session_probe session;
        bool latched;
        char code[48];
        char message[256];
        uint64_t checks;
        uint64_t checks_seen;
        bool active;            /* checking at CHECK_USEC, not IDLE_CHECK_USEC */

        /* Interlock memories. */
        int32_t encoder_last;
        uint64_t encoder_moved_usec;      /* last time a pulse arrived */
        uint64_t motor_stopped_usec;      /* when the travel motor went to 0, 0 while running */
        int32_t encoder_at_stop;
        uint64_t overcurrent_since;
        uint64_t travel_target_since;
        int32_t heat_start_temp[_CHAIR_HEAT_ZONE_MAX];
        uint64_t heat_on_since[_CHAIR_HEAT_ZONE_MAX];
        uint64_t link_down_since;
        uint64_t storm_window_start;
        uint64_t storm_errors_at_start;
        uint64_t scheduler_wakeups;
        uint64_t scheduler_progress_usec;
        uint64_t trip_input_ns;     /* timestamp of the input that tripped, for the benchmark */
        uint64_t trip_safe_ns;      /* when go_safe returned */

        /* The heat dose per zone (supervisor.h). */
        struct heat_dose_limit dose_limit;
        struct {
                uint64_t dose_usec;
                uint64_t last_usec;     /* when it was last counted; 0: not yet */
                bool limited;
        } dose[_CHAIR_HEAT_ZONE_MAX];
        uint64_t dose_persist_step;      /* the doses' 60 s steps when last stored */
        bool doses_restored;             /* the stored doses were read: storing ours is safe */
};

/* The chair's heat dose limit, one row per zone. Skin contact is held to 41 degC, 43 under a
 * single fault (IEC 60335-2-32 as chair-domain.md cites it): the dose counts above that. Level 1
 * (42 degC, controllers.c) never reaches it; levels 2 and 3 do within minutes. The calves get
 * less: the lower legs are where sensation and circulation go first. */
static const struct heat_dose_zone_limit heat_dose_defaults[_CHAIR_HEAT_ZONE_MAX] = {
        [CHAIR_HEAT_LUMBAR] = { .threshold_decic = 430, .limit_s = 20 * 60, .resume_s = 10 * 60 },
        [CHAIR_HEAT_CALVES] = { .threshold_decic = 430, .limit_s = 15 * 60, .resume_s = 15 * 60 / 2 },
};
/* What the person's heat cap (0-3) leaves of the limit. */
static const uint32_t heat_cap_dose_pct[] = { 0, 50, 75, 100 };

int supervisor_trip(struct supervisor *sup, enum chair_fault fault, const char *fmt, ...) {
        struct chair_core *d = sup->d;
        const char *code = chair_fault_to_string(fault) ?: "?";
        char message[256];
        va_list ap;

        /* Safety first, bookkeeping after: the outputs go safe before anything is logged. */
        chair_hw_go_safe(d->hw);
        scheduler_abort(d->scheduler);
        if (!sup->latched)
                sup->trip_safe_ns = event_loop_now_ns(d->loop);

        va_start(ap, fmt);
        vsnprintf(message, sizeof message, fmt, ap);
        va_end(ap);
        if (sup->latched)
                return -ECANCELED; /* the first fault is the one that explains */
        sup->latched = true;
        snprintf(sup->code, sizeof sup->code, "%s", code);
        snprintf(sup->message, sizeof sup->message, "%s", message);

        log_struct_id(LOG_CRIT, CHAIR_MESSAGE_FAULT, "Fault %s: %s. Every output is safe; latched until %s.",
                      code, message, d->map.limits.latch_until_power_cycle ? "a power cycle" : "a technician clears it");
        {
                struct fault_entry e = { .time_usec = event_loop_clock(d->loop, CLOCK_REALTIME) };
                snprintf(e.code, sizeof e.code, "%s", code);
                snprintf(e.message, sizeof e.message, "%s", message);
                snprintf(e.cleared, sizeof e.cleared, "latched");
                if (state_store_append_fault(d->store, &e) < 0)
                        log_warning("Could not record the fault in the fault history.");
        }
        /* The session (wired first in core.c) ends with reason "fault", then the bus signals. */
        chair_changes_publish(d->changes, &(struct chair_event) {
                .kind = CHAIR_EVENT_FAULT_RAISED, .code = code, .message = message });
        chair_changes_mark(d->changes, CHAIR_CHANGE_FAULT);
        supervisor_update_activity(sup);
        return -ECANCELED;
}

void heat_dose_limit_default(struct heat_dose_limit *ret) {
        memcpy(ret->zone, heat_dose_defaults, sizeof ret->zone);
}

void heat_dose_limit_for_person(const struct person *p, struct heat_dose_limit *ret) {
        uint32_t pct = 100;

        heat_dose_limit_default(ret);
        if (!p)
                return;
        /* Unreadable conditions fail closed, as the precaution gate does. */
        pct = p->conditions_unreadable ? 0 : precautions_heat_dose_pct((const char *const *) p->conditions, NULL);
        pct = MIN(pct, heat_cap_dose_pct[MIN(p->heat_cap, (uint32_t) ARRAY_SIZE(heat_cap_dose_pct) - 1)]);
        for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++) {
                ret->zone[z].limit_s = (uint32_t) ((uint64_t) ret->zone[z].limit_s * pct / 100);
                ret->zone[z].resume_s = (uint32_t) ((uint64_t) ret->zone[z].resume_s * pct / 100);
        }
}

/* Shuts or reopens the zone's element as its dose crosses the limit or the resume level. */
static void heat_dose_gate(struct supervisor *sup, unsigned z) {
        const struct heat_dose_zone_limit *l = &sup->dose_limit.zone[z];
        uint64_t dose = sup->dose[z].dose_usec;
        enum chair_output element = chair_heat_zone_output(z);

        if (!sup->dose[z].limited && dose >= l->limit_s * USEC_PER_SEC) {
                sup->dose[z].limited = true;
                chair_hw_block_output(sup->d->hw, element, true);
                log_notice("Heat dose: the %s heat is off, %llu s at or above %.1f degC reached the limit of %u s; "
                           "it may come back once the dose has decayed to %u s.", chair_heat_zone_name(z),
                           (unsigned long long) (dose / USEC_PER_SEC), l->threshold_decic / 10.0, l->limit_s, l->resume_s);
                chair_changes_mark(sup->d->changes, CHAIR_CHANGE_HEAT_DOSE | CHAIR_CHANGE_HEAT);
        } else if (sup->dose[z].limited && dose <= l->resume_s * USEC_PER_SEC && dose < l->limit_s * USEC_PER_SEC) {
                sup->dose[z].limited = false;
                chair_hw_block_output(sup->d->hw, element, false);
                log_notice("Heat dose: the %s heat may come back (dose %llu s, limit %u s).", chair_heat_zone_name(z),
                           (unsigned long long) (dose / USEC_PER_SEC), l->limit_s);
                chair_changes_mark(sup->d->changes, CHAIR_CHANGE_HEAT_DOSE | CHAIR_CHANGE_HEAT);
        }
}

#define REPORT_USEC (HEAT_DOSE_REPORT_S * USEC_PER_SEC)
#define PERSIST_USEC (60 * USEC_PER_SEC)

/* The doses into the chair-wide state (a restart loop must not reset them), stamped with the
 * wall clock the next start decays them by. */
static void save_heat_doses(struct supervisor *sup) {
        struct heat_dose_record rec[_CHAIR_HEAT_ZONE_MAX];
        uint64_t now_s = event_loop_clock(sup->d->loop, CLOCK_REALTIME) / USEC_PER_SEC;
        int r;

        if (!sup->d->store)
                return;
        for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++)
                rec[z] = (struct heat_dose_record) {
                        .known = true,
                        .limited = sup->dose[z].limited,
                        .dose_s = (uint32_t) MIN(sup->dose[z].dose_usec / USEC_PER_SEC, (uint64_t) HEAT_DOSE_STORED_MAX),
                        .time_s = now_s,
                };
        r = state_store_save_heat_dose(sup->d->store, rec);
        if (r < 0)
                log_warning_errno(r, "Heat dose: could not store it, a restart would forget it: %m");
}

static bool heat_doses_worth_storing(struct supervisor *sup) {
        struct heat_dose_record rec[_CHAIR_HEAT_ZONE_MAX];

        for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++)
                if (sup->dose[z].dose_usec >= USEC_PER_SEC || sup->dose[z].limited)
                        return true;
        return sup->d->store && state_store_load_heat_dose(sup->d->store, rec) != -ENODATA;
}

/* The doses stored by the last run, decayed by the wall-clock time since (none for a clock that
 * went back: kept as stored). An unreadable record is taken as every zone at its limit: heat
 * waits until that has decayed rather than trusting nothing was given. */
static void restore_heat_doses(struct supervisor *sup) {
        struct heat_dose_record rec[_CHAIR_HEAT_ZONE_MAX];
        uint64_t now_s = event_loop_clock(sup->d->loop, CLOCK_REALTIME) / USEC_PER_SEC;
        int r = sup->d->store ? state_store_load_heat_dose(sup->d->store, rec) : -ENODATA;

        if (r == -ENODATA)
                return;
        if (r < 0)
                log_warning("Heat dose: the stored dose is unreadable; every zone starts at its limit.");
        for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++) {
                uint64_t dose_s, passed;
                if (r < 0) {
                        dose_s = sup->dose_limit.zone[z].limit_s;
                        sup->dose[z].limited = true;
                } else if (rec[z].known) {
                        passed = now_s > rec[z].time_s ? now_s - rec[z].time_s : 0;
                        dose_s = rec[z].dose_s > passed ? rec[z].dose_s - passed : 0;
                        sup->dose[z].limited = rec[z].limited;
                } else
                        continue;
                sup->dose[z].dose_usec = dose_s * USEC_PER_SEC;
                if (sup->dose[z].limited)
                        chair_hw_block_output(sup->d->hw, chair_heat_zone_output(z), true);
                heat_dose_gate(sup, z);
        }
        sup->dose_persist_step = UINT64_MAX; /* the first check stores them as decayed */
        chair_changes_mark(sup->d->changes, CHAIR_CHANGE_HEAT_DOSE);
}

/* Every check, latched or not, active or at rest: the time since the last one counts up at or
 * above the threshold and down below it. A sensor that cannot be read counts up: it can only
 * keep the heat off longer. */
static void account_heat_doses(struct supervisor *sup, uint64_t now) {
        _Static_assert(_CHAIR_HEAT_ZONE_MAX <= 2, "a zone's persisted step in 32 bits of one number");
        uint64_t step = 0;

        for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++) {
                enum chair_input sensor = chair_heat_zone_sensor(z);
                uint64_t dt, before = sup->dose[z].dose_usec;
                int32_t t;

                if (!chair_hw_has_input(sup->d->hw, sensor))
                        continue;
                dt = sup->dose[z].last_usec && now > sup->dose[z].last_usec ? now - sup->dose[z].last_usec : 0;
                sup->dose[z].last_usec = now;
                if (chair_hw_read_input(sup->d->hw, sensor, &t) < 0 || t >= sup->dose_limit.zone[z].threshold_decic)
                        sup->dose[z].dose_usec = before > UINT64_MAX - dt ? UINT64_MAX : before + dt;
                else
                        sup->dose[z].dose_usec = before > dt ? before - dt : 0;
                /* Told in steps, not every check: the bus sends what changed. */
                if (before / REPORT_USEC != sup->dose[z].dose_usec / REPORT_USEC)
                        chair_changes_mark(sup->d->changes, CHAIR_CHANGE_HEAT_DOSE);
                heat_dose_gate(sup, z);
                /* Each zone's 60 s step and off flag in its own 32 bits: no change hides another. */
                step |= ((MIN(sup->dose[z].dose_usec / PERSIST_USEC, (uint64_t) INT32_MAX) << 1) |
                         sup->dose[z].limited) << (32 * z);
        }
        /* Stored when a zone's dose crosses a 60 s step or its heat goes off or comes back. */
        if (step != sup->dose_persist_step) {
                sup->dose_persist_step = step;
                save_heat_doses(sup);
        }
}

void supervisor_set_heat_dose_limit(struct supervisor *sup, const struct heat_dose_limit *limit) {
        if (memcmp(&sup->dose_limit, limit, sizeof *limit) == 0)
                return;
        sup->dose_limit = *limit;
        for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++) {
                log_info("Heat dose limit of the %s zone: %u s at or above %.1f degC, resuming at %u s.",
                         chair_heat_zone_name(z), limit->zone[z].limit_s, limit->zone[z].threshold_decic / 10.0,
                         limit->zone[z].resume_s);
                heat_dose_gate(sup, z);
        }
        chair_changes_mark(sup->d->changes, CHAIR_CHANGE_HEAT_DOSE);
}

int supervisor_heat_dose(struct supervisor *sup, enum chair_heat_zone z, struct heat_dose_status *ret) {
        if ((unsigned) z >= _CHAIR_HEAT_ZONE_MAX)
                return -EINVAL;
        *ret = (struct heat_dose_status) {
                .dose_s = (uint32_t) MIN(sup->dose[z].dose_usec / USEC_PER_SEC, (uint64_t) UINT32_MAX),
                .limit_s = sup->dose_limit.zone[z].limit_s,
                .resume_s = sup->dose_limit.zone[z].resume_s,
                .threshold_decic = sup->dose_limit.zone[z].threshold_decic,
                .limited = sup->dose[z].limited,
        };
        return 0;
}

/* The rules the checks trip on and a clear looks at again: one place for each. */
static bool temperature_plausible(const struct hw_limits *lim, int32_t t) {
        return t > THERMISTOR_OPEN_DECIC && t < THERMISTOR_SHORT_DECIC && t <= lim->heater_max_decic;
}

static bool supply_in_range(const struct hw_limits *lim, int32_t mv) {
        return (uint32_t) mv >= lim->supply_min_mv && (uint32_t) mv <= lim->supply_max_mv;
}

/* Both end switches of a posture axis at once: a wiring fault (posture.c stops on the edge). */
static bool axis_both_ends(struct supervisor *sup, enum chair_axis a) {
        int32_t v;
        return sup->d->map.axes[a].present && chair_hw_read_input(sup->d->hw, chair_axis_info(a)->end_min, &v) >= 0 && v &&
               chair_hw_read_input(sup->d->hw, chair_axis_info(a)->end_max, &v) >= 0 && v;
}

/* What still holds a fault's cause, so a clear cannot put the chair back into it: NULL when
 * nothing does. The checks that make sense at rest, without tripping. */
static const char *cause_persists(struct supervisor *sup, char *buf, size_t size) {
        const struct hw_limits *lim = &sup->d->map.limits;
        struct chair_driver_stats st;
        int32_t v = 0;

        if (chair_hw_read_input(sup->d->hw, CHAIR_IN_ESTOP, &v) >= 0 && v)
                return "the emergency stop is still pressed: release it first";
        /* The stop path acts on an edge: a stop input still held after a clear stops nothing. */
        for (unsigned i = 0; i < _CHAIR_IN_MAX; i++)
                if ((chair_input_info(i)->stop || sup->d->map.inputs[i].stop) && chair_hw_has_input(sup->d->hw, i) &&
                    chair_hw_read_input(sup->d->hw, i, &v) >= 0 && v) {
                        snprintf(buf, size, "%s still asks for a stop", chair_input_info(i)->name);
                        return buf;
                }
        if (!scheduler_taking_commands(sup->d->scheduler))
                return "the scheduler's thread does not respond: restart the daemon";
        if (chair_hw_read_input(sup->d->hw, CHAIR_IN_LIMIT_TOP, &v) >= 0 && v &&
            chair_hw_read_input(sup->d->hw, CHAIR_IN_LIMIT_BOTTOM, &v) >= 0 && v)
                return "both roller limit switches are still active";
        for (unsigned a = 0; a < _CHAIR_AXIS_MAX; a++) {
                const struct hw_axis *x = &sup->d->map.axes[a];
                /* A pinch's object still in the path: the clear would let the axis move into it
                 * (a current-sensed axis has no reading at rest: its clear is the technician's call). */
                if (x->present && x->obstruction == HW_OBSTRUCTION_BUMPER && x->bumper >= 0 &&
                    chair_hw_has_input(sup->d->hw, x->bumper) && chair_hw_read_input(sup->d->hw, x->bumper, &v) >= 0 && v) {
                        snprintf(buf, size, "the %s's bumper is still pressed: the object is still in its path, remove it first",
                                 chair_axis_info(a)->name);
                        return buf;
                }
                if (axis_both_ends(sup, a)) {
                        snprintf(buf, size, "both %s end switches are still active", chair_axis_info(a)->name);
                        return buf;
                }
        }
        for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++) {
                enum chair_input sensor = chair_heat_zone_sensor(z);
                if (!chair_hw_has_input(sup->d->hw, sensor))
                        continue;
                if (chair_hw_read_input(sup->d->hw, sensor, &v) < 0 || !temperature_plausible(lim, v)) {
                        snprintf(buf, size, "the %s temperature sensor still reads out of range", chair_heat_zone_name(z));
                        return buf;
                }
        }
        if (chair_hw_has_input(sup->d->hw, CHAIR_IN_SUPPLY_VOLTAGE) && chair_hw_read_input(sup->d->hw, CHAIR_IN_SUPPLY_VOLTAGE, &v) >= 0 &&
            !supply_in_range(lim, v)) {
                snprintf(buf, size, "the supply is still at %.1f V, outside %.1f-%.1f V", v / 1000.0,
                         lim->supply_min_mv / 1000.0, lim->supply_max_mv / 1000.0);
                return buf;
        }
        if (chair_hw_get_stats(sup->d->hw, HW_BACKEND_MODBUS, &st) >= 0 && !st.link_up)
                return "a Modbus board still does not answer";
        return NULL;
}

int supervisor_clear(struct supervisor *sup, const char *how, char *ret_reason, size_t reason_size) {
        const char *why;
        char buf[160];

        if (!sup->latched)
                return 0;
        if (sup->d->map.limits.latch_until_power_cycle) {
                snprintf(ret_reason, reason_size, "this chair latches faults until a power cycle (hardware map: fault_latch)");
                return -EPERM;
        }
        why = cause_persists(sup, buf, sizeof buf);
        if (why) {
                snprintf(ret_reason, reason_size, "%s", why);
                return -EBUSY;
        }
        log_struct_id(LOG_NOTICE, CHAIR_MESSAGE_FAULT, "Fault %s cleared by %s.", sup->code, how);
        state_store_mark_fault_cleared(sup->d->store, how);
        sup->latched = false;
        sup->code[0] = sup->message[0] = 0;
        /* What the encoder counted while latched (the pulses that tripped it, a roller moved by
         * hand) is no evidence against the next session: the at-rest baseline starts again. */
        sup->motor_stopped_usec = 0;
        chair_hw_clear_stop(sup->d->hw);
        chair_hw_enable(sup->d->hw);
        chair_changes_publish(sup->d->changes, &(struct chair_event) {
                .kind = CHAIR_EVENT_FAULT_CLEARED, .message = how });
        chair_changes_mark(sup->d->changes, CHAIR_CHANGE_FAULT);
        return 0;
}

static uint64_t boot_realtime_usec(struct event_loop *loop) {
        return event_loop_clock(loop, CLOCK_REALTIME) - event_loop_clock(loop, CLOCK_BOOTTIME);
}

void supervisor_restore_latch(struct supervisor *sup) {
        struct chair_core *d = sup->d;
        _cleanup_free_ struct fault_entry *e = NULL;
        size_t n = 0;

        if (state_store_list_faults(d->store, 1, &e, &n) < 0 || n == 0 || strcmp(e[0].cleared, "latched") != 0)
                return;
        /* A fault latched until a power cycle ends with the boot it happened in. */
        if (d->map.limits.latch_until_power_cycle && e[0].time_usec < boot_realtime_usec(d->loop)) {
                log_struct_id(LOG_NOTICE, CHAIR_MESSAGE_FAULT, "Fault %s cleared by a power cycle.", e[0].code);
                state_store_mark_fault_cleared(d->store, "power cycle");
                return;
        }
        chair_hw_go_safe(d->hw);
        sup->latched = true;
        snprintf(sup->code, sizeof sup->code, "%s", e[0].code);
        snprintf(sup->message, sizeof sup->message, "%s", e[0].message);
        log_struct_id(LOG_CRIT, CHAIR_MESSAGE_FAULT,
                      "Fault %s, latched before the daemon started: %s. Every output is safe; latched until %s.",
                      sup->code, sup->message,
                      d->map.limits.latch_until_power_cycle ? "a power cycle" : "a technician clears it");
        chair_changes_publish(d->changes, &(struct chair_event) {
                .kind = CHAIR_EVENT_FAULT_RAISED, .code = sup->code, .message = sup->message, .restored = true });
        chair_changes_mark(d->changes, CHAIR_CHANGE_FAULT);
}

bool supervisor_latched(struct supervisor *sup) {
        return sup->latched;
}

void supervisor_trip_times(struct supervisor *sup, uint64_t *ret_input_ns, uint64_t *ret_safe_ns) {
        *ret_input_ns = sup->trip_input_ns;
        *ret_safe_ns = sup->trip_safe_ns;
}

const char *supervisor_fault_code(struct supervisor *sup) {
        return sup->code;
}

const char *supervisor_fault_message(struct supervisor *sup) {
        return sup->message;
}

/* The fault a stop input means, by the input and its reading (error -ERANGE: out of range,
 * value the bound it crossed). */
static void trip_for_input(struct supervisor *sup, enum chair_input i, int32_t value, int error, uint64_t ts) {
        const struct chair_input_info *info = chair_input_info(i);
        bool high = value >= info->max;

        if (!sup->latched)
                sup->trip_input_ns = ts;
        if (error < 0) {
                for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++)
                        if (i == chair_heat_zone_sensor(z)) {
                                supervisor_trip(sup, high ? CHAIR_FAULT_THERMISTOR_SHORT : CHAIR_FAULT_THERMISTOR_OPEN,
                                                "the %s temperature sensor reads %s its range", chair_heat_zone_name(z),
                                                high ? "above" : "below");
                                return;
                        }
                switch (i) {
                case CHAIR_IN_SUPPLY_VOLTAGE:
                        supervisor_trip(sup, CHAIR_FAULT_SUPPLY_VOLTAGE, "the supply reads %s its range", high ? "above" : "below");
                        return;
                case CHAIR_IN_MOTOR_CURRENT:
                        supervisor_trip(sup, CHAIR_FAULT_MOTOR_OVERCURRENT, "the motor current reads %s its range",
                                        high ? "above" : "below");
                        return;
                case CHAIR_IN_AIR_PRESSURE:
                        supervisor_trip(sup, CHAIR_FAULT_AIR_OVER_PRESSURE, "the air pressure reads %s its range",
                                        high ? "above" : "below");
                        return;
                case CHAIR_IN_ENCODER:
                        supervisor_trip(sup, CHAIR_FAULT_ENCODER_LOST, "the encoder reads outside the track");
                        return;
                default:
                        supervisor_trip(sup, CHAIR_FAULT_SENSOR_OUT_OF_RANGE, "%s reads outside its plausible range", info->name);
                        return;
                }
        }
        switch (i) {
        case CHAIR_IN_ESTOP:
                supervisor_trip(sup, CHAIR_FAULT_EMERGENCY_STOP, "the emergency stop was pressed");
                return;
        case CHAIR_IN_LIMIT_TOP:
        case CHAIR_IN_LIMIT_BOTTOM:
                supervisor_trip(sup, CHAIR_FAULT_LIMITS_BOTH, "both roller limit switches are active at once");
                return;
        case CHAIR_IN_HEARTBEAT_TRIPPED:
                supervisor_trip(sup, CHAIR_FAULT_HEARTBEAT_TRIPPED,
                                "the board switched every output off by itself: it missed the heartbeat");
                return;
        default:
                supervisor_trip(sup, CHAIR_FAULT_STOP_INPUT, "%s asks for a stop (the map marks it a stop input)", info->name);
                return;
        }
}

/* What the router's stop path did on a driver's thread, latched and reported here. True when
 * it had stopped. */
static bool check_stop(struct supervisor *sup) {
        enum chair_input i;
        int32_t value;
        int error;
        uint64_t ts;

        if (sup->latched || !chair_hw_stop_reason(sup->d->hw, &i, &value, &error, &ts))
                return false;
        trip_for_input(sup, i, value, error, ts);
        return true;
}

static int32_t in(struct supervisor *sup, enum chair_input i, int32_t fallback) {
        int32_t v;
        return chair_hw_read_input(sup->d->hw, i, &v) >= 0 ? v : fallback;
}

static bool has(struct supervisor *sup, enum chair_input i) {
        return chair_hw_has_input(sup->d->hw, i);
}

/* Interlocks that an input change alone decides, checked at once on the event loop. */
static void on_input(void *userdata, enum chair_input i, int32_t value, uint64_t ts) {
        struct supervisor *sup = userdata;

        if (check_stop(sup))
                return;
        if (i == CHAIR_IN_ESTOP && value) {
                if (!sup->latched)
                        sup->trip_input_ns = ts;
                supervisor_trip(sup, CHAIR_FAULT_EMERGENCY_STOP, "the emergency stop was pressed");
        }
        else if ((i == CHAIR_IN_LIMIT_TOP || i == CHAIR_IN_LIMIT_BOTTOM) && value &&
                 in(sup, CHAIR_IN_LIMIT_TOP, 0) && in(sup, CHAIR_IN_LIMIT_BOTTOM, 0))
                supervisor_trip(sup, CHAIR_FAULT_LIMITS_BOTH, "both roller limit switches are active at once");
        /* The encoder is sampled by check_roller: it is not an event on every backend. */
}

static void check_heat(struct supervisor *sup, uint64_t now) {
        const struct hw_limits *lim = &sup->d->map.limits;

        for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++) {
                enum chair_input sensor = chair_heat_zone_sensor(z);
                enum chair_output element = chair_heat_zone_output(z);
                int32_t t;

                if (!has(sup, sensor))
                        continue;
                if (chair_hw_read_input(sup->d->hw, sensor, &t) == -ERANGE) {
                        trip_for_input(sup, sensor, t, -ERANGE, now * 1000);
                        return;
                }
                t = in(sup, sensor, 0);
                if (t <= THERMISTOR_OPEN_DECIC) {
                        supervisor_trip(sup, CHAIR_FAULT_THERMISTOR_OPEN, "the %s temperature sensor reads open (%.1f degC)",
                                        chair_heat_zone_name(z), t / 10.0);
                        return;
                }
                if (t >= THERMISTOR_SHORT_DECIC) {
                        supervisor_trip(sup, CHAIR_FAULT_THERMISTOR_SHORT, "the %s temperature sensor reads short (%.1f degC)",
                                        chair_heat_zone_name(z), t / 10.0);
                        return;
                }
                if (t > lim->heater_max_decic) {
                        supervisor_trip(sup, CHAIR_FAULT_HEATER_OVER_TEMPERATURE, "the %s heater reached %.1f degC (limit %.1f)",
                                        chair_heat_zone_name(z), t / 10.0, lim->heater_max_decic / 10.0);
                        return;
                }
                /* Heat that never arrives: the element has been on, continuously, for the timeout. */
                if (chair_hw_get_output(sup->d->hw, element)) {
                        if (!sup->heat_on_since[z]) {
                                sup->heat_on_since[z] = now;
                                sup->heat_start_temp[z] = t;
                        } else if (t >= sup->heat_start_temp[z] + HEAT_RISE_DECIC) {
                                sup->heat_on_since[z] = now; /* it warms: restart the watch */
                                sup->heat_start_temp[z] = t;
                        } else if (now - sup->heat_on_since[z] > lim->heat_rise_timeout_s * USEC_PER_SEC) {
                                supervisor_trip(sup, CHAIR_FAULT_HEAT_NOT_RISING, "the %s heater has been on %u s without warming",
                                                chair_heat_zone_name(z), lim->heat_rise_timeout_s);
                                return;
                        }
                } else {
                        sup->heat_on_since[z] = 0;
                }
        }
}

static void check_roller(struct supervisor *sup, uint64_t now) {
        const struct hw_limits *lim = &sup->d->map.limits;
        int32_t duty = chair_hw_get_output(sup->d->hw, CHAIR_OUT_TRAVEL_MOTOR);
        int32_t enc = in(sup, CHAIR_IN_ENCODER, 0);
        uint64_t since = chair_hw_output_active_since(sup->d->hw, CHAIR_OUT_TRAVEL_MOTOR), deadline;

        if (enc != sup->encoder_last) {
                sup->encoder_last = enc;
                sup->encoder_moved_usec = now;
        }
        if (duty != 0) {
                sup->motor_stopped_usec = 0;
                if (has(sup, CHAIR_IN_ENCODER) && since &&
                    now - MAX(since / 1000, sup->encoder_moved_usec) > lim->encoder_loss_ms * USEC_PER_MSEC) {
                        supervisor_trip(sup, CHAIR_FAULT_ENCODER_LOST, "the travel motor runs but no encoder pulse came for %u ms",
                                        lim->encoder_loss_ms);
                        return;
                }
                deadline = scheduler_roller_deadline_ns(sup->d->scheduler);
                if (travel_overdue(deadline, now * 1000)) {
                        supervisor_trip(sup, CHAIR_FAULT_TRAVEL_TIMEOUT,
                                        "the roller did not reach its target within its travel time plus %u %% "
                                        "(at least %u s)", lim->travel_margin_pct, lim->travel_timeout_ms / 1000);
                        return;
                }
        } else {
                /* The baseline is taken once the motor has been still for a moment: a motor that
                 * ran and stopped between two checks must not make its own pulses look spurious. */
                uint64_t stopped = chair_hw_output_changed_at(sup->d->hw, CHAIR_OUT_TRAVEL_MOTOR) / 1000;
                if (!sup->motor_stopped_usec || sup->motor_stopped_usec < stopped ||
                    now - stopped < 300 * USEC_PER_MSEC) {
                        sup->motor_stopped_usec = MAX(now, stopped);
                        sup->encoder_at_stop = enc;
                } else if (now - sup->motor_stopped_usec > 300 * USEC_PER_MSEC &&
                           abs(enc - sup->encoder_at_stop) > SPURIOUS_PULSES) {
                        supervisor_trip(sup, CHAIR_FAULT_ENCODER_SPURIOUS, "encoder pulses arrive while the travel motor is off");
                        return;
                }
        }
        if (has(sup, CHAIR_IN_LIMIT_TOP) && has(sup, CHAIR_IN_LIMIT_BOTTOM) && in(sup, CHAIR_IN_LIMIT_TOP, 0) &&
            in(sup, CHAIR_IN_LIMIT_BOTTOM, 0)) {
                supervisor_trip(sup, CHAIR_FAULT_LIMITS_BOTH, "both roller limit switches are active at once");
                return;
        }
        if (has(sup, CHAIR_IN_MOTOR_CURRENT) && (uint32_t) in(sup, CHAIR_IN_MOTOR_CURRENT, 0) > lim->motor_current_max_ma) {
                if (!sup->overcurrent_since)
                        sup->overcurrent_since = now;
                else if (now - sup->overcurrent_since > lim->stall_ms * USEC_PER_MSEC) {
                        supervisor_trip(sup, CHAIR_FAULT_MOTOR_OVERCURRENT, "motor current above %u mA for %u ms (stalled?)",
                                        lim->motor_current_max_ma, lim->stall_ms);
                        return;
                }
        } else {
                sup->overcurrent_since = 0;
        }
}

static void check_air(struct supervisor *sup, uint64_t now) {
        const struct hw_limits *lim = &sup->d->map.limits;
        uint64_t pump_since = chair_hw_output_active_since(sup->d->hw, CHAIR_OUT_AIR_PUMP);

        if (has(sup, CHAIR_IN_AIR_PRESSURE) && in(sup, CHAIR_IN_AIR_PRESSURE, 0) > lim->air_max_pressure_decikpa) {
                supervisor_trip(sup, CHAIR_FAULT_AIR_OVER_PRESSURE, "air pressure %.1f kPa above the limit %.1f kPa",
                                in(sup, CHAIR_IN_AIR_PRESSURE, 0) / 10.0, lim->air_max_pressure_decikpa / 10.0);
                return;
        }
        if (pump_since && now - pump_since / 1000 > lim->air_max_inflate_s * USEC_PER_SEC)
                supervisor_trip(sup, CHAIR_FAULT_AIR_INFLATION_TOO_LONG, "the pump has inflated for more than %u s",
                                lim->air_max_inflate_s);
}

static void check_supply_and_links(struct supervisor *sup, uint64_t now) {
        const struct hw_limits *lim = &sup->d->map.limits;
        struct chair_driver_stats st;

        if (has(sup, CHAIR_IN_SUPPLY_VOLTAGE)) {
                int32_t mv = in(sup, CHAIR_IN_SUPPLY_VOLTAGE, 24000);
                if (!supply_in_range(lim, mv)) {
                        supervisor_trip(sup, CHAIR_FAULT_SUPPLY_VOLTAGE, "supply %.1f V outside %.1f-%.1f V", mv / 1000.0,
                                        lim->supply_min_mv / 1000.0, lim->supply_max_mv / 1000.0);
                        return;
                }
        }
        {
                uint64_t errors;

                if (chair_hw_get_stats(sup->d->hw, HW_BACKEND_MODBUS, &st) < 0)
                        return;
                if (!st.link_up) {
                        if (!sup->link_down_since)
                                sup->link_down_since = now;
                        else if (now - sup->link_down_since > lim->modbus_link_lost_ms * USEC_PER_MSEC) {
                                supervisor_trip(sup, CHAIR_FAULT_MODBUS_LINK_LOST, "no answer from a Modbus board for %u ms",
                                                lim->modbus_link_lost_ms);
                                return;
                        }
                } else {
                        sup->link_down_since = 0;
                }
                errors = st.errors_timeout + st.errors_crc + st.errors_exception + st.errors_invalid;
                if (!sup->storm_window_start || now - sup->storm_window_start > 10 * USEC_PER_SEC) {
                        sup->storm_window_start = now;
                        sup->storm_errors_at_start = errors;
                } else if (errors - sup->storm_errors_at_start >= lim->modbus_error_storm) {
                        supervisor_trip(sup, CHAIR_FAULT_MODBUS_ERROR_STORM, "%llu Modbus errors within 10 s",
                                        (unsigned long long) (errors - sup->storm_errors_at_start));
                }
        }
}

static void check_on_times(struct supervisor *sup, uint64_t now) {
        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++) {
                const struct chair_output_info *info = chair_output_info(o);
                uint64_t since = chair_hw_output_active_since(sup->d->hw, o);
                if (since && chair_output_over_on_time(o, now - since / 1000)) {
                        supervisor_trip(sup, CHAIR_FAULT_OUTPUT_MAX_ON_TIME, "%s stayed on longer than %u s", info->name,
                                        info->max_on_ms / 1000);
                        return;
                }
        }
}

/* While the scheduler has work, its thread wakes every tick; a second without a wake-up means
 * it hangs, and nothing it drives may stay on. */
static void check_scheduler(struct supervisor *sup, uint64_t now) {
        enum scheduler_mode mode = scheduler_get_mode(sup->d->scheduler);
        uint64_t wakeups = scheduler_wakeups(sup->d->scheduler);

        if (wakeups != sup->scheduler_wakeups || mode == SCHEDULER_IDLE || mode == SCHEDULER_PAUSED) {
                sup->scheduler_wakeups = wakeups;
                sup->scheduler_progress_usec = now;
        } else if (now - sup->scheduler_progress_usec > USEC_PER_SEC) {
                supervisor_trip(sup, CHAIR_FAULT_SCHEDULER_STALLED, "the scheduler's thread made no progress for a second");
        }
}

static bool session_active(struct supervisor *sup) {
        return sup->session.active && sup->session.active(sup->session.userdata);
}

static uint64_t session_elapsed_usec(struct supervisor *sup) {
        return sup->session.elapsed_usec ? sup->session.elapsed_usec(sup->session.userdata) : 0;
}

void supervisor_set_session_probe(struct supervisor *sup, const struct supervisor_session_probe *probe) {
        sup->session = *probe;
}

static void check_all(struct supervisor *sup) {
        uint64_t now = event_loop_now(sup->d->loop);
        const struct hw_limits *lim = &sup->d->map.limits;

        sup->checks++;
        account_heat_doses(sup, now);
        if (sup->latched)
                return;
        if (check_stop(sup))
                return;
        if (has(sup, CHAIR_IN_ESTOP) && in(sup, CHAIR_IN_ESTOP, 0)) {
                supervisor_trip(sup, CHAIR_FAULT_EMERGENCY_STOP, "the emergency stop is pressed");
                return;
        }
        if (has(sup, CHAIR_IN_HEARTBEAT_TRIPPED) && in(sup, CHAIR_IN_HEARTBEAT_TRIPPED, 0)) {
                trip_for_input(sup, CHAIR_IN_HEARTBEAT_TRIPPED, 1, 0, now * 1000);
                return;
        }
        for (unsigned i = 0; i < _CHAIR_IN_MAX; i++) {
                int32_t v;
                if (chair_input_info(i)->interlock && chair_hw_read_input(sup->d->hw, i, &v) == -ERANGE) {
                        trip_for_input(sup, i, v, -ERANGE, now * 1000);
                        return;
                }
        }
        if (session_elapsed_usec(sup) > lim->max_session_s * USEC_PER_SEC) {
                supervisor_trip(sup, CHAIR_FAULT_SESSION_TOO_LONG, "the session ran longer than %u minutes", lim->max_session_s / 60);
                return;
        }
        check_scheduler(sup, now);
        if (!sup->latched)
                check_heat(sup, now);
        if (!sup->latched)
                check_roller(sup, now);
        /* The axes' ends, here too: a wiring fault there from the start has no edge to hear. */
        for (unsigned a = 0; a < _CHAIR_AXIS_MAX && !sup->latched; a++)
                if (axis_both_ends(sup, a))
                        supervisor_trip(sup, CHAIR_FAULT_LIMITS_BOTH, "both %s end switches are active at once",
                                        chair_axis_info(a)->name);
        if (!sup->latched)
                check_air(sup, now);
        if (!sup->latched)
                check_supply_and_links(sup, now);
        if (!sup->latched)
                check_on_times(sup, now);
}

static bool anything_active(struct supervisor *sup) {
        if (sup->latched)
                return false;
        if (session_active(sup))
                return true;
        /* The panel's LEDs and display stay lit at idle: they are not actuators to watch. */
        for (unsigned o = 0; o < _CHAIR_OUT_MAX; o++)
                if (!chair_output_info(o)->indicator && chair_hw_output_active_since(sup->d->hw, o))
                        return true;
        return false;
}

/* The board's heartbeat is a lease on the checks' progress: renewed only here, after the
 * checks ran, for a few of their periods. A stalled or flooded loop lets it lapse, and the board
 * switches itself off. */
static void renew_lease(struct supervisor *sup, uint64_t period_usec) {
        chair_hw_renew_lease(sup->d->hw, (event_loop_now(sup->d->loop) + LEASE_PERIODS * period_usec) * 1000);
}

static void on_check(struct event_source *src, uint64_t usec, void *userdata) {
        struct supervisor *sup = userdata;
        bool active;

        check_all(sup);
        active = anything_active(sup);
        sup->active = active;
        /* Idle (or latched): the checks that make sense at rest, at a low rate, the lease renewed
         * on the same wake-up. */
        renew_lease(sup, active ? CHECK_USEC : IDLE_CHECK_USEC);
        event_source_arm(src, usec + (active ? CHECK_USEC : IDLE_CHECK_USEC));
}

void supervisor_update_activity(struct supervisor *sup) {
        uint64_t now;

        if (!anything_active(sup) || sup->active)
                return;
        /* Waking up: the short period and the short lease from now, not after an idle period. */
        sup->active = true;
        renew_lease(sup, CHECK_USEC);
        now = event_loop_now(sup->d->loop);
        if (!event_source_armed(sup->check) || event_source_time(sup->check) > now + CHECK_USEC)
                event_source_arm(sup->check, now + CHECK_USEC);
}

bool supervisor_progressed(struct supervisor *sup) {
        bool progressed;

        /* Idle checks are slower than the watchdog's pings: only active checks are counted. */
        progressed = !sup->active || sup->checks != sup->checks_seen;
        sup->checks_seen = sup->checks;
        return progressed;
}

int supervisor_new(struct chair_core *d, struct supervisor **ret) {
        struct supervisor *sup = calloc(1, sizeof *sup);
        int r;

        if (!sup)
                return -ENOMEM;
        sup->d = d;
        heat_dose_limit_default(&sup->dose_limit);
        /* The first check soon after start-up (an emergency stop already pressed), then idle ones. */
        r = event_loop_add_timer(d->loop, USEC_PER_MSEC, on_check, sup, &sup->check);
        /* Ahead of queued D-Bus calls: a flood delays the checks (and the lease) by one call at most. */
        if (r >= 0)
                r = event_source_set_priority(sup->check, EVENT_PRIORITY_IMPORTANT);
        if (r >= 0)
                event_source_arm(sup->check, event_loop_now(d->loop) + CHECK_USEC);
        if (r >= 0)
                r = chair_hw_subscribe(d->hw, on_input, sup);
        if (r < 0) {
                supervisor_free(sup);
                return r;
        }
        sup->encoder_last = in(sup, CHAIR_IN_ENCODER, 0);
        renew_lease(sup, IDLE_CHECK_USEC);
        restore_heat_doses(sup);
        sup->doses_restored = true;
        *ret = sup;
        return 0;
}

void supervisor_free(struct supervisor *sup) {
        if (!sup)
                return;
        /* At shutdown: the dose as of the last check, for the next start (a chair that never
         * had any keeps its settings file as it was). */
        if (sup->doses_restored && heat_doses_worth_storing(sup))
                save_heat_doses(sup);
        event_source_free(sup->check);
        free(sup);
}
