/* SPDX-License-Identifier: MIT */
/*
 * chairsim: a Modbus slave that behaves like the reference chair's board, built on libmodbus's
 * server API around the same physics as `massagechaird --simulate` (drivers/chair-physics.c).
 * Register map, options and faults: docs/chairsim.md.
 *
 * One thread: poll() on the listening socket and the clients (or the serial line) with a
 * timeout, so the physics advances in real time between requests too. A heartbeat register
 * that is not written within its timeout makes the board switch every output to its safe value
 * by itself, like the real board does when the host dies. Faults are injected from the command
 * line (--fault) and at run time through the fault coils (100 + N).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <modbus.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "chair-physics.h"
#include "clock.h"
#include "macro.h"

/* The register map: these addresses and the tables below are its one source. `chairsim
 * --print-map=conf|json` prints it; tests/integration/test_chairsim_map.py checks the shipped
 * map hardware-maps/chairsim.conf and docs/chairsim.md against it, and tests/modbus/modbuslib.py
 * reads it. */
enum {
        COIL_AIR_PUMP = 0,          /* coils 0..14: on/off outputs, see coil_outputs[] */
        COIL_BEEPER = 10,           /* the panel board's indicators: 10..14 */
        N_OUTPUT_COILS = 15,
        COIL_SEATED = 20,           /* chairsim's own: the occupant sits (1) */
        COIL_FEET = 21,             /* chairsim's own: the occupant's feet go on the foot rest (1) */
        COIL_FAULT_BASE = 100,      /* coil 100+N: fault N on */

        DI_LIMIT_TOP = 0,
        DI_LIMIT_BOTTOM,
        DI_ESTOP,
        DI_HEARTBEAT_TRIPPED,
        DI_SEAT_OCCUPANCY,          /* 4..6: the occupant's sensors, 7..14: the axes' end switches */
        DI_FEET_ON,
        DI_LEGREST_OBSTRUCTION,
        DI_AXIS_ENDS,               /* axis A: 7 + 2A end_min, 8 + 2A end_max */
        N_DISCRETE = DI_AXIS_ENDS + 2 * _CHAIR_AXIS_MAX,

        HR_TRAVEL = 0,              /* holding 0..4: setpoints, see holding_outputs[] */
        N_OUTPUT_HOLDING = 5,
        HR_HEARTBEAT = 10,
        HR_HEARTBEAT_TIMEOUT = 11,
        HR_SLOW_REPLY_MS = 12,      /* added: the delay of the slow-replies fault */
        HR_LEG_LENGTH = 13,         /* chairsim's own: the occupant's leg, knee to sole, mm */
        HR_PANEL_KEY = 20,          /* added: the key held on the simulated panel */
        HR_DISPLAY_BASE = 21,       /* holding 21..28: the panel's display, see display_outputs[] */
        N_DISPLAY = 8,
        HR_POSTURE_BASE = 30,       /* holding 30..35: the axes' motors, foot rollers, calf kneading */
        N_POSTURE = 6,
        N_HOLDING = HR_POSTURE_BASE + N_POSTURE,

        IR_ENCODER_HI = 0,
        IR_ENCODER_LO,
        IR_LOAD,
        IR_CURRENT,
        IR_PRESSURE,
        IR_TEMP_LUMBAR,
        IR_TEMP_CALVES,
        IR_SUPPLY,
        IR_PANEL_KEY,
        IR_PANEL_EVENT,             /* the board's latch: presses mod 256 << 8 | latest code */
        IR_BEEPS,                   /* chairsim's own: beeps since start (coil 10 rising), mod 65536 */
        IR_LAST_BEEP_MS,            /* chairsim's own: length of the latest completed beep */
        IR_AXIS_POSITION,           /* 12..15: the axes' positions, per mille */
        IR_AXIS_CURRENT = IR_AXIS_POSITION + _CHAIR_AXIS_MAX, /* 16..19: their motor currents */
        N_INPUT = IR_AXIS_CURRENT + _CHAIR_AXIS_MAX,
};

/* Transport faults follow the chair's first 13 in the fault coils; the coil numbers are a
 * contract (tests, technicians' scripts), so later chair faults follow the transport ones. */
enum {
        TF_SLOW = PHYS_FAULT_LEGREST_OBSTRUCTION,
        TF_GARBLED,
        TF_DISCONNECT,
        F_LEGREST_OBSTRUCTION,
        F_RECLINE_BOTH_ENDS,
        N_FAULTS,
};
_Static_assert(N_FAULTS == _PHYS_FAULT_MAX + 3, "every chair fault has a coil");
static const char *const transport_fault_names[] = { "slow-replies", "garbled-replies", "disconnect" };
#define N_COILS (COIL_FAULT_BASE + N_FAULTS)

#define DEFAULT_SLOW_REPLY_MS 150
#define MAX_CLIENTS 16
#define STEP_POLL_MS 10              /* poll period while the physics moves */
#define MAX_CATCH_UP_MS 60000        /* after a stop (SIGSTOP), the physics catches up this much */

static const enum chair_output coil_outputs[N_OUTPUT_COILS] = {
        CHAIR_OUT_AIR_PUMP,     CHAIR_OUT_VALVE_SHOULDERS, CHAIR_OUT_VALVE_ARMS, CHAIR_OUT_VALVE_BACK,
        CHAIR_OUT_VALVE_SEAT,   CHAIR_OUT_VALVE_CALVES,    CHAIR_OUT_VALVE_FEET, CHAIR_OUT_AIR_RELEASE,
        CHAIR_OUT_HEAT_LUMBAR,  CHAIR_OUT_HEAT_CALVES,     CHAIR_OUT_BEEPER,     CHAIR_OUT_LED_POWER,
        CHAIR_OUT_LED_HEAT,     CHAIR_OUT_LED_AIR,         CHAIR_OUT_LED_LOCK,
};
static const enum chair_output holding_outputs[N_OUTPUT_HOLDING] = {
        CHAIR_OUT_TRAVEL_MOTOR, CHAIR_OUT_KNEAD_MOTOR, CHAIR_OUT_TAP_MOTOR, CHAIR_OUT_WIDTH, CHAIR_OUT_DEPTH,
};
static const enum chair_output posture_outputs[N_POSTURE] = {
        CHAIR_OUT_RECLINE_MOTOR, CHAIR_OUT_LEGREST_LIFT_MOTOR, CHAIR_OUT_LEGREST_EXTEND_MOTOR, CHAIR_OUT_SEAT_SLIDE_MOTOR,
        CHAIR_OUT_FOOT_ROLLERS,  CHAIR_OUT_CALF_KNEAD,
};
static const enum chair_output display_outputs[N_DISPLAY] = {
        CHAIR_OUT_DISPLAY_MINUTES, CHAIR_OUT_DISPLAY_PROGRAM, CHAIR_OUT_DISPLAY_INTENSITY, CHAIR_OUT_DISPLAY_SPEED,
        CHAIR_OUT_DISPLAY_WIDTH,   CHAIR_OUT_DISPLAY_AIR,     CHAIR_OUT_DISPLAY_HEAT,      CHAIR_OUT_DISPLAY_FAULT,
};

/* The hardware map's `table` names, by enum sim_table. */
enum sim_table { SIM_COIL, SIM_DISCRETE, SIM_HOLDING, SIM_INPUT };
static const char *const sim_table_names[] = { "coil", "discrete", "holding", "input" };

/* The board's inputs, each a chair input the physics reads (the encoder: two words, high first). */
static const struct board_input {
        enum sim_table table;
        uint16_t address;
        enum chair_input in;
} board_inputs[] = {
        { SIM_DISCRETE, DI_LIMIT_TOP, CHAIR_IN_LIMIT_TOP },
        { SIM_DISCRETE, DI_LIMIT_BOTTOM, CHAIR_IN_LIMIT_BOTTOM },
        { SIM_DISCRETE, DI_ESTOP, CHAIR_IN_ESTOP },
        { SIM_DISCRETE, DI_HEARTBEAT_TRIPPED, CHAIR_IN_HEARTBEAT_TRIPPED }, /* the board's own watch */
        { SIM_INPUT, IR_ENCODER_HI, CHAIR_IN_ENCODER },
        { SIM_INPUT, IR_LOAD, CHAIR_IN_ROLLER_LOAD },
        { SIM_INPUT, IR_CURRENT, CHAIR_IN_MOTOR_CURRENT },
        { SIM_INPUT, IR_PRESSURE, CHAIR_IN_AIR_PRESSURE },
        { SIM_INPUT, IR_TEMP_LUMBAR, CHAIR_IN_TEMP_LUMBAR },
        { SIM_INPUT, IR_TEMP_CALVES, CHAIR_IN_TEMP_CALVES },
        { SIM_INPUT, IR_SUPPLY, CHAIR_IN_SUPPLY_VOLTAGE },
        { SIM_INPUT, IR_PANEL_KEY, CHAIR_IN_PANEL_KEY },
        { SIM_INPUT, IR_PANEL_EVENT, CHAIR_IN_PANEL_EVENT },
        { SIM_DISCRETE, DI_SEAT_OCCUPANCY, CHAIR_IN_SEAT_OCCUPANCY },
        { SIM_DISCRETE, DI_FEET_ON, CHAIR_IN_FEET_ON },
        { SIM_DISCRETE, DI_LEGREST_OBSTRUCTION, CHAIR_IN_LEGREST_OBSTRUCTION },
        { SIM_DISCRETE, DI_AXIS_ENDS + 0, CHAIR_IN_RECLINE_END_MIN },
        { SIM_DISCRETE, DI_AXIS_ENDS + 1, CHAIR_IN_RECLINE_END_MAX },
        { SIM_DISCRETE, DI_AXIS_ENDS + 2, CHAIR_IN_LEGREST_LIFT_END_MIN },
        { SIM_DISCRETE, DI_AXIS_ENDS + 3, CHAIR_IN_LEGREST_LIFT_END_MAX },
        { SIM_DISCRETE, DI_AXIS_ENDS + 4, CHAIR_IN_LEGREST_EXTEND_END_MIN },
        { SIM_DISCRETE, DI_AXIS_ENDS + 5, CHAIR_IN_LEGREST_EXTEND_END_MAX },
        { SIM_DISCRETE, DI_AXIS_ENDS + 6, CHAIR_IN_SEAT_SLIDE_END_MIN },
        { SIM_DISCRETE, DI_AXIS_ENDS + 7, CHAIR_IN_SEAT_SLIDE_END_MAX },
        { SIM_INPUT, IR_AXIS_POSITION + 0, CHAIR_IN_RECLINE_POSITION },
        { SIM_INPUT, IR_AXIS_POSITION + 1, CHAIR_IN_LEGREST_LIFT_POSITION },
        { SIM_INPUT, IR_AXIS_POSITION + 2, CHAIR_IN_LEGREST_EXTEND_POSITION },
        { SIM_INPUT, IR_AXIS_POSITION + 3, CHAIR_IN_SEAT_SLIDE_POSITION },
        { SIM_INPUT, IR_AXIS_CURRENT + 0, CHAIR_IN_RECLINE_CURRENT },
        { SIM_INPUT, IR_AXIS_CURRENT + 1, CHAIR_IN_LEGREST_LIFT_CURRENT },
        { SIM_INPUT, IR_AXIS_CURRENT + 2, CHAIR_IN_LEGREST_EXTEND_CURRENT },
        { SIM_INPUT, IR_AXIS_CURRENT + 3, CHAIR_IN_SEAT_SLIDE_CURRENT },
};

/* chairsim's own registers: no chair output or input, so in no hardware map but the bus's. */
static const struct own_register {
        enum sim_table table;
        uint16_t address;
        const char *name;
        uint16_t max; /* holding: the largest value a write may set */
} own_registers[] = {
        { SIM_HOLDING, HR_HEARTBEAT, "heartbeat", UINT16_MAX },
        { SIM_HOLDING, HR_HEARTBEAT_TIMEOUT, "heartbeat_timeout_ms", 60000 },
        { SIM_HOLDING, HR_SLOW_REPLY_MS, "slow_reply_ms", 10000 },
        { SIM_HOLDING, HR_PANEL_KEY, "panel_key", 255 },
        { SIM_HOLDING, HR_LEG_LENGTH, "occupant_leg_mm", 2000 },
        { SIM_COIL, COIL_SEATED, "occupant_seated", 1 },
        { SIM_COIL, COIL_FEET, "occupant_feet_on", 1 },
        { SIM_INPUT, IR_BEEPS, "beeps", 0 },
        { SIM_INPUT, IR_LAST_BEEP_MS, "last_beep_ms", 0 },
};

/* What the panel board shows and sounds: the indicator coils 10..14 and the display. */
struct panel_state {
        uint8_t coils[N_OUTPUT_COILS - COIL_BEEPER];
        uint16_t display[N_DISPLAY];
};

struct chairsim {
        struct chair_physics physics;
        modbus_mapping_t *map;
        bool verbose;
        bool rtu;
        uint64_t last_step_ms;
        uint64_t last_heartbeat_ms;
        bool tripped;
        bool fault_was[N_FAULTS];
        struct panel_state panel_was;  /* as last seen by panel_update() */
        uint16_t beeps;                /* beeper coil rising edges since start */
        uint16_t last_beep_ms;         /* length of the latest completed beep */
        uint64_t beep_start_ms;
};

static volatile sig_atomic_t quit;

static void on_signal(int sig) {
        quit = 1;
}

/* The chair fault of fault coil 100 + f, or -1 for a transport fault. */
static int physics_fault(int f) {
        if (f < TF_SLOW)
                return f;
        return f == F_LEGREST_OBSTRUCTION ? PHYS_FAULT_LEGREST_OBSTRUCTION : f == F_RECLINE_BOTH_ENDS ? PHYS_FAULT_RECLINE_BOTH_ENDS : -1;
}

static const char *fault_name(int f) {
        return physics_fault(f) >= 0 ? chair_physics_fault_name(physics_fault(f)) : transport_fault_names[f - TF_SLOW];
}

static int fault_from_name(const char *name) {
        for (int f = 0; f < N_FAULTS; f++)
                if (strcmp(fault_name(f), name) == 0)
                        return f;
        return -EINVAL;
}

static bool fault_on(const struct chairsim *s, int f) {
        return s->map->tab_bits[COIL_FAULT_BASE + f] != 0;
}

/* Every output to its safe value, in the registers (the physics follows in apply_registers). */
static void registers_safe(struct chairsim *s) {
        for (size_t i = 0; i < N_OUTPUT_COILS; i++)
                s->map->tab_bits[i] = (uint8_t) chair_output_info(coil_outputs[i])->safe_value;
        for (size_t i = 0; i < N_OUTPUT_HOLDING; i++)
                s->map->tab_registers[i] = (uint16_t) chair_output_info(holding_outputs[i])->safe_value;
        for (size_t i = 0; i < N_DISPLAY; i++)
                s->map->tab_registers[HR_DISPLAY_BASE + i] = (uint16_t) chair_output_info(display_outputs[i])->safe_value;
        for (size_t i = 0; i < N_POSTURE; i++)
                s->map->tab_registers[HR_POSTURE_BASE + i] = (uint16_t) chair_output_info(posture_outputs[i])->safe_value;
}

static void apply_registers(struct chairsim *s) {
        for (size_t i = 0; i < N_OUTPUT_COILS; i++)
                chair_physics_set_output(&s->physics, coil_outputs[i], s->map->tab_bits[i] ? 1 : 0);
        for (size_t i = 0; i < N_OUTPUT_HOLDING; i++)
                chair_physics_set_output(&s->physics, holding_outputs[i], (int16_t) s->map->tab_registers[i]);
        for (size_t i = 0; i < N_DISPLAY; i++)
                chair_physics_set_output(&s->physics, display_outputs[i], s->map->tab_registers[HR_DISPLAY_BASE + i]);
        for (size_t i = 0; i < N_POSTURE; i++)
                chair_physics_set_output(&s->physics, posture_outputs[i], (int16_t) s->map->tab_registers[HR_POSTURE_BASE + i]);
        chair_physics_press_key(&s->physics, s->map->tab_registers[HR_PANEL_KEY]);
        /* A leg length of 0 is refused by the physics: the last good one stays. */
        (void) chair_physics_set_occupant(&s->physics, s->map->tab_bits[COIL_SEATED], s->map->tab_registers[HR_LEG_LENGTH],
                                          s->map->tab_bits[COIL_FEET]);
        for (int f = 0; f < N_FAULTS; f++) {
                bool on = fault_on(s, f);
                if (on == s->fault_was[f])
                        continue;
                s->fault_was[f] = on;
                if (physics_fault(f) >= 0)
                        chair_physics_inject(&s->physics, (enum chair_physics_fault) physics_fault(f), on);
                if (s->verbose)
                        fprintf(stderr, "chairsim: fault %s %s\n", fault_name(f), on ? "on" : "off");
        }
}

static void publish_inputs(struct chairsim *s) {
        const struct chair_physics *p = &s->physics;

        for (size_t i = 0; i < ARRAY_SIZE(board_inputs); i++) {
                const struct board_input *b = &board_inputs[i];
                /* The physics has no heartbeat: the trip is the board's own. */
                uint32_t v = b->in == CHAIR_IN_HEARTBEAT_TRIPPED ? s->tripped : (uint32_t) chair_physics_input(p, b->in);

                if (b->table == SIM_DISCRETE)
                        s->map->tab_input_bits[b->address] = (uint8_t) v;
                else if (b->in == CHAIR_IN_ENCODER) {
                        s->map->tab_input_registers[b->address] = (uint16_t) (v >> 16);
                        s->map->tab_input_registers[b->address + 1] = (uint16_t) (v & 0xffff);
                } else
                        s->map->tab_input_registers[b->address] = (uint16_t) v; /* two's complement when signed */
        }
        s->map->tab_input_registers[IR_BEEPS] = s->beeps;
        s->map->tab_input_registers[IR_LAST_BEEP_MS] = s->last_beep_ms;
}

static void panel_read(const struct chairsim *s, struct panel_state *ret) {
        memcpy(ret->coils, s->map->tab_bits + COIL_BEEPER, sizeof ret->coils);
        memcpy(ret->display, s->map->tab_registers + HR_DISPLAY_BASE, sizeof ret->display);
}

/* Called right after every change of the registers (a write, a heartbeat trip): counts and
 * times the beeps at the moment the beeper coil changes, and logs what the panel shows. */
static void panel_update(struct chairsim *s) {
        struct panel_state now;
        bool beeper, beeper_was = s->panel_was.coils[0];

        panel_read(s, &now);
        /* Field by field: the struct has padding. */
        if (memcmp(now.coils, s->panel_was.coils, sizeof now.coils) == 0 &&
            memcmp(now.display, s->panel_was.display, sizeof now.display) == 0)
                return;
        beeper = now.coils[0];
        if (beeper && !beeper_was) {
                s->beeps++;
                s->beep_start_ms = clock_msec(CLOCK_MONOTONIC);
        } else if (!beeper && beeper_was)
                s->last_beep_ms = (uint16_t) MIN(clock_msec(CLOCK_MONOTONIC) - s->beep_start_ms, (uint64_t) UINT16_MAX);
        s->panel_was = now;
        if (s->verbose) {
                char line[512];
                size_t n = 0;

                n += (size_t) snprintf(line + n, sizeof line - n, "chairsim: panel: leds");
                for (size_t i = 1; i < ARRAY_SIZE(now.coils); i++)
                        n += (size_t) snprintf(line + n, sizeof line - n, " %s=%u",
                                               chair_output_info(coil_outputs[COIL_BEEPER + i])->name + strlen("led_"),
                                               now.coils[i]);
                n += (size_t) snprintf(line + n, sizeof line - n, "; display");
                for (size_t i = 0; i < N_DISPLAY; i++)
                        n += (size_t) snprintf(line + n, sizeof line - n, " %s=%u",
                                               chair_output_info(display_outputs[i])->name + strlen("display_"),
                                               now.display[i]);
                if (beeper != beeper_was && beeper)
                        snprintf(line + n, sizeof line - n, "; beeper on (beep %u)", s->beeps);
                else if (beeper != beeper_was)
                        snprintf(line + n, sizeof line - n, "; beeper off after %u ms", s->last_beep_ms);
                else
                        snprintf(line + n, sizeof line - n, "; beeper %s", beeper ? "on" : "off");
                fprintf(stderr, "%s\n", line);
        }
}

static bool heartbeat_expired(const struct chairsim *s, uint64_t now) {
        uint16_t timeout = s->map->tab_registers[HR_HEARTBEAT_TIMEOUT];
        return timeout && now - s->last_heartbeat_ms > timeout;
}

/* Brings the board up to now: the heartbeat watch, the outputs, real time of physics. */
static void advance(struct chairsim *s) {
        uint64_t now = clock_msec(CLOCK_MONOTONIC);

        /* The board's own safety: no heartbeat, no outputs, until the next heartbeat. */
        if (heartbeat_expired(s, now)) {
                if (!s->tripped)
                        fprintf(stderr, "chairsim: no heartbeat for %u ms: every output to its safe value\n",
                                s->map->tab_registers[HR_HEARTBEAT_TIMEOUT]);
                s->tripped = true;
                registers_safe(s);
                panel_update(s);
        }
        if (now > s->last_step_ms)
                chair_physics_step(&s->physics, (uint32_t) MIN(now - s->last_step_ms, (uint64_t) MAX_CATCH_UP_MS));
        s->last_step_ms = now;
        apply_registers(s);
        publish_inputs(s);
}

/* How long poll() may sleep: briefly while the physics moves, else until the heartbeat
 * expires, else for ever. */
static int poll_timeout(const struct chairsim *s) {
        uint16_t timeout = s->map->tab_registers[HR_HEARTBEAT_TIMEOUT];
        int64_t left;

        if (!chair_physics_at_rest(&s->physics))
                return STEP_POLL_MS;
        if (!timeout || s->tripped)
                return -1;
        left = (int64_t) (s->last_heartbeat_ms + timeout) - (int64_t) clock_msec(CLOCK_MONOTONIC) + 1;
        return (int) CLAMP(left, 0, (int64_t) timeout + 1);
}

static bool holding_range(unsigned addr, int32_t *ret_min, int32_t *ret_max, bool *ret_signed) {
        *ret_signed = false;
        if (addr < N_OUTPUT_HOLDING || (addr >= HR_DISPLAY_BASE && addr < HR_DISPLAY_BASE + N_DISPLAY) ||
            (addr >= HR_POSTURE_BASE && addr < HR_POSTURE_BASE + N_POSTURE)) {
                const struct chair_output_info *info = chair_output_info(
                        addr < N_OUTPUT_HOLDING  ? holding_outputs[addr]
                        : addr < HR_POSTURE_BASE ? display_outputs[addr - HR_DISPLAY_BASE]
                                                 : posture_outputs[addr - HR_POSTURE_BASE]);
                *ret_min = info->min;
                *ret_max = info->max;
                *ret_signed = info->min < 0;
                return true;
        }
        *ret_min = 0;
        for (size_t i = 0; i < ARRAY_SIZE(own_registers); i++)
                if (own_registers[i].table == SIM_HOLDING && own_registers[i].address == addr) {
                        *ret_max = own_registers[i].max;
                        return true;
                }
        return false;
}

static unsigned u16(const uint8_t *b) {
        return (unsigned) (b[0] << 8 | b[1]);
}

/* Checks a request before libmodbus applies it: writes to unused addresses are refused with
 * ILLEGAL_DATA_ADDRESS, out-of-range setpoints with ILLEGAL_DATA_VALUE. Returns 0 or the
 * exception code; sets *ret_heartbeat when the heartbeat register is written. */
static int check_request(const uint8_t *q, int length, int header, bool *ret_heartbeat) {
        const uint8_t *pdu = q + header;
        int pdu_len = length - header;
        unsigned addr, n;
        const uint8_t *values;

        if (pdu_len < 5)
                return 0; /* libmodbus answers malformed requests itself */
        addr = u16(pdu + 1);
        switch (pdu[0]) {
        case MODBUS_FC_WRITE_SINGLE_COIL:
                n = 1;
                goto coils;
        case MODBUS_FC_WRITE_MULTIPLE_COILS:
                n = u16(pdu + 3);
        coils:
                for (unsigned a = addr; a < addr + n; a++)
                        if (a >= N_OUTPUT_COILS && a < COIL_FAULT_BASE && a != COIL_SEATED && a != COIL_FEET)
                                return MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS;
                return 0;
        case MODBUS_FC_WRITE_SINGLE_REGISTER:
                n = 1;
                values = pdu + 3;
                break;
        case MODBUS_FC_WRITE_MULTIPLE_REGISTERS:
                n = u16(pdu + 3);
                values = pdu + 6;
                if (pdu_len < 6 || n > MODBUS_MAX_WRITE_REGISTERS || pdu_len < 6 + 2 * (int) n)
                        return 0; /* libmodbus refuses it */
                break;
        case MODBUS_FC_WRITE_AND_READ_REGISTERS:
                if (pdu_len < 10)
                        return 0;
                addr = u16(pdu + 5);
                n = u16(pdu + 7);
                values = pdu + 10;
                if (n > MODBUS_MAX_WR_WRITE_REGISTERS || pdu_len < 10 + 2 * (int) n)
                        return 0;
                break;
        case MODBUS_FC_MASK_WRITE_REGISTER:
                /* A read-modify-write cannot be range-checked up front: only on plain registers. */
                return addr < N_OUTPUT_HOLDING || (addr >= HR_DISPLAY_BASE && addr < HR_DISPLAY_BASE + N_DISPLAY) ||
                                       (addr >= HR_POSTURE_BASE && addr < N_HOLDING)
                               ? MODBUS_EXCEPTION_ILLEGAL_FUNCTION
                               : 0;
        default:
                return 0;
        }
        for (unsigned i = 0; i < n; i++) {
                int32_t min, max, value;
                bool is_signed;
                unsigned raw = u16(values + 2 * i);

                if (!holding_range(addr + i, &min, &max, &is_signed))
                        return MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS;
                value = is_signed ? (int16_t) raw : (int32_t) raw;
                if (value < min || value > max)
                        return MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE;
                if (addr + i == HR_HEARTBEAT)
                        *ret_heartbeat = true;
        }
        return 0;
}

static bool writes_fault_coils(const uint8_t *q, int length, int header) {
        const uint8_t *pdu = q + header;
        return length - header >= 5 &&
               (pdu[0] == MODBUS_FC_WRITE_SINGLE_COIL || pdu[0] == MODBUS_FC_WRITE_MULTIPLE_COILS) &&
               u16(pdu + 1) >= COIL_FAULT_BASE;
}

/* One binding of the map in the hardware map's own words (docs/hardware-map.md). */
static void print_binding(bool json, bool *first, const char *kind, const char *name, enum sim_table table,
                          unsigned address, bool is_signed, unsigned words) {
        if (json) {
                printf("%s\n    {\"kind\": \"%s\", \"name\": \"%s\", \"table\": \"%s\", \"address\": %u, "
                       "\"signed\": %s, \"words\": %u}",
                       *first ? "" : ",", kind, name, sim_table_names[table], address, is_signed ? "true" : "false", words);
                *first = false;
                return;
        }
        if (strcmp(kind, "own") == 0)
                return; /* chairsim's own registers are no output or input of the daemon */
        printf("[%s.%s]\nbackend = modbus\nbus = board\ntable = %s\naddress = %u\n", kind, name, sim_table_names[table],
               address);
        if (words > 1)
                printf("words = %u\n", words);
        if (is_signed)
                printf("signed = yes\n");
        if (words > 1)
                printf("word_order = high-first\n");
        printf("\n");
}

/* --print-map: every register, from the tables chairsim serves with. conf: the hardware map's
 * output and input sections (the shipped map's bindings); json: those, chairsim's own
 * registers and the fault coils, for tests. */
static int print_map(const char *format) {
        bool json = strcmp(format, "json") == 0, first = true;

        if (!json && strcmp(format, "conf") != 0) {
                fprintf(stderr, "chairsim: --print-map: '%s' is not one of: conf, json\n", format);
                return 2;
        }
        if (json)
                printf("{\n  \"heartbeat_register\": %d,\n  \"registers\": [", HR_HEARTBEAT);
        for (unsigned a = 0; a < N_OUTPUT_HOLDING; a++)
                print_binding(json, &first, "output", chair_output_info(holding_outputs[a])->name, SIM_HOLDING, a,
                              chair_output_info(holding_outputs[a])->min < 0, 1);
        for (unsigned a = 0; a < N_OUTPUT_COILS; a++)
                print_binding(json, &first, "output", chair_output_info(coil_outputs[a])->name, SIM_COIL, a, false, 1);
        for (unsigned i = 0; i < N_DISPLAY; i++)
                print_binding(json, &first, "output", chair_output_info(display_outputs[i])->name, SIM_HOLDING,
                              HR_DISPLAY_BASE + i, false, 1);
        for (unsigned i = 0; i < N_POSTURE; i++)
                print_binding(json, &first, "output", chair_output_info(posture_outputs[i])->name, SIM_HOLDING,
                              HR_POSTURE_BASE + i, chair_output_info(posture_outputs[i])->min < 0, 1);
        for (size_t i = 0; i < ARRAY_SIZE(board_inputs); i++) {
                const struct board_input *b = &board_inputs[i];
                print_binding(json, &first, "input", chair_input_info(b->in)->name, b->table, b->address,
                              chair_input_info(b->in)->min < 0, b->in == CHAIR_IN_ENCODER ? 2 : 1);
        }
        for (size_t i = 0; i < ARRAY_SIZE(own_registers); i++)
                print_binding(json, &first, "own", own_registers[i].name, own_registers[i].table, own_registers[i].address,
                              false, 1);
        if (!json)
                return 0;
        printf("\n  ],\n  \"faults\": [");
        for (int f = 0; f < N_FAULTS; f++)
                printf("%s\n    {\"coil\": %d, \"name\": \"%s\"}", f ? "," : "", COIL_FAULT_BASE + f, fault_name(f));
        printf("\n  ]\n}\n");
        return 0;
}

static void write_all(int fd, const uint8_t *buf, size_t len) {
        while (len > 0) {
                ssize_t w = write(fd, buf, len);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return;
                buf += w;
                len -= (size_t) w;
        }
}

/* The garbled-replies fault: libmodbus builds the true reply into a socket pair, then the
 * board sends it damaged: RTU with a wrong CRC, TCP with a wrong MBAP transaction and
 * protocol id. The request
 * itself took effect, as it would on a board whose transmitter is noisy. */
static void reply_garbled(struct chairsim *s, modbus_t *ctx, const uint8_t *q, int length) {
        uint8_t buf[MODBUS_TCP_MAX_ADU_LENGTH + 8];
        int pair[2], real = modbus_get_socket(ctx);
        ssize_t n;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
                return;
        modbus_set_socket(ctx, pair[0]);
        modbus_reply(ctx, q, length, s->map);
        modbus_set_socket(ctx, real);
        shutdown(pair[0], SHUT_WR);
        n = read(pair[1], buf, sizeof buf);
        if (n > 0) {
                if (s->rtu)
                        buf[n - 1] ^= 0x5a;
                else if (n >= 4) {
                        buf[0] ^= 0x5a; /* transaction id */
                        buf[2] ^= 0x12; /* protocol id */
                }
                write_all(real, buf, (size_t) n);
        }
        close(pair[0]);
        close(pair[1]);
}

/* Serves one request on ctx. Returns -1 when a TCP connection should be closed. */
static int serve(struct chairsim *s, modbus_t *ctx) {
        uint8_t q[MODBUS_MAX_ADU_LENGTH];
        int header = modbus_get_header_length(ctx);
        bool heartbeat = false;
        int rc, ex;

        rc = modbus_receive(ctx, q);
        if (rc == 0)
                return 0; /* RTU: a frame for another slave */
        if (rc < 0) {
                if (s->verbose)
                        fprintf(stderr, "chairsim: receive: %s\n", modbus_strerror(errno));
                if (s->rtu) {
                        modbus_flush(ctx);
                        return 0;
                }
                return -1;
        }
        advance(s);
        /* The fault coils are the technician's own channel: a write to them is always served,
         * so a transport fault can be switched off again. */
        if (writes_fault_coils(q, rc, header))
                goto reply;
        if (fault_on(s, TF_DISCONNECT)) {
                if (s->verbose)
                        fprintf(stderr, "chairsim: disconnect fault: %s\n", s->rtu ? "no reply" : "closing");
                return s->rtu ? 0 : -1;
        }
        if (fault_on(s, TF_SLOW))
                usleep((useconds_t) s->map->tab_registers[HR_SLOW_REPLY_MS] * 1000);
reply:

        ex = check_request(q, rc, header, &heartbeat);
        if (ex) {
                if (s->verbose)
                        fprintf(stderr, "chairsim: request refused with exception %d\n", ex);
                modbus_reply_exception(ctx, q, (unsigned) ex);
                return 0;
        }
        /* A heartbeat ends a trip: the host is back; outputs stay safe until it writes them. */
        if (heartbeat) {
                if (s->tripped)
                        fprintf(stderr, "chairsim: heartbeat again\n");
                s->last_heartbeat_ms = clock_msec(CLOCK_MONOTONIC);
                s->tripped = false;
                publish_inputs(s);
        }
        if (fault_on(s, TF_GARBLED) && !writes_fault_coils(q, rc, header))
                reply_garbled(s, ctx, q, rc);
        else if (modbus_reply(ctx, q, rc, s->map) < 0 && !s->rtu)
                return -1;
        /* A write takes effect now; while tripped the board keeps its outputs safe. */
        if (s->tripped)
                registers_safe(s);
        panel_update(s);
        apply_registers(s);
        publish_inputs(s);
        return 0;
}

static int serve_rtu(struct chairsim *s, modbus_t *ctx) {
        struct pollfd pfd = { .fd = modbus_get_socket(ctx), .events = POLLIN };

        while (!quit) {
                int r = poll(&pfd, 1, poll_timeout(s));
                if (r < 0 && errno != EINTR) {
                        fprintf(stderr, "chairsim: poll: %s\n", strerror(errno));
                        return 1;
                }
                advance(s);
                if (r > 0 && (pfd.revents & POLLIN))
                        serve(s, ctx);
                else if (r > 0 && (pfd.revents & (POLLHUP | POLLERR)))
                        usleep(10000); /* the other end of a pty went away: wait for it */
        }
        return 0;
}

static int serve_tcp(struct chairsim *s, modbus_t *ctx, int server) {
        struct pollfd fds[1 + MAX_CLIENTS];
        nfds_t n = 1;

        fds[0] = (struct pollfd) { .fd = server, .events = POLLIN };
        while (!quit) {
                int r = poll(fds, n, poll_timeout(s));
                if (r < 0 && errno != EINTR) {
                        fprintf(stderr, "chairsim: poll: %s\n", strerror(errno));
                        return 1;
                }
                advance(s);
                if (r <= 0)
                        continue;
                for (nfds_t i = n; i-- > 1;) {
                        if (!fds[i].revents)
                                continue;
                        modbus_set_socket(ctx, fds[i].fd);
                        if ((fds[i].revents & POLLIN) ? serve(s, ctx) < 0 : true) {
                                if (s->verbose)
                                        fprintf(stderr, "chairsim: client %d gone\n", fds[i].fd);
                                close(fds[i].fd);
                                fds[i] = fds[--n];
                        }
                }
                if (fds[0].revents & POLLIN) {
                        int client = accept4(server, NULL, NULL, SOCK_CLOEXEC);
                        if (client < 0)
                                continue;
                        if (n >= ARRAY_SIZE(fds)) {
                                fprintf(stderr, "chairsim: too many clients, refusing one\n");
                                close(client);
                                continue;
                        }
                        if (s->verbose)
                                fprintf(stderr, "chairsim: client %d connected\n", client);
                        fds[n++] = (struct pollfd) { .fd = client, .events = POLLIN };
                }
        }
        for (nfds_t i = 1; i < n; i++)
                close(fds[i].fd);
        return 0;
}

static void help(void) {
        printf("chairsim - a Modbus slave that behaves like a massage chair's board\n\n"
               "Usage: chairsim --listen HOST:PORT [options]\n"
               "       chairsim --rtu DEVICE [--baud N] [--parity N|E|O] [options]\n\n"
               "  -l, --listen HOST:PORT       serve Modbus TCP (port 0 picks a free port)\n"
               "  -r, --rtu DEVICE             serve Modbus RTU on a serial line or pty\n"
               "  -b, --baud N                 RTU baud rate (default 115200)\n"
               "  -p, --parity N|E|O           RTU parity (default N)\n"
               "  -s, --slave ID               slave id 1..247 (default 1)\n"
               "  -f, --fault NAME             inject a fault from the start (repeatable)\n"
               "      --shoulder MM            the seated person's shoulder height (default 620)\n"
               "      --occupant yes|no        someone sits in the chair (default yes; coil 20)\n"
               "      --leg-length MM          the occupant's leg, knee to sole, 200..1200 (default 450; holding 13)\n"
               "      --feet yes|no            the occupant's feet go on the foot rest (default yes; coil 21)\n"
               "      --heartbeat-timeout MS   outputs safe without a heartbeat (default 1000, 0 off)\n"
               "      --list-faults            print the fault coils and names\n"
               "      --print-map=conf|json    print the register map (hardware-map sections, or JSON)\n"
               "  -v, --verbose                log requests refused, faults, clients, panel changes\n"
               "  -h, --help\n\n"
               "Register map and faults: docs/chairsim.md, chairsim --list-faults.\n");
}

/* Parses a decimal integer within [min, max] or explains which option was wrong. */
static int parse_int(const char *option, const char *arg, long min, long max, long *ret) {
        char *end;
        long v;

        errno = 0;
        v = strtol(arg, &end, 10);
        if (errno || end == arg || *end || v < min || v > max) {
                fprintf(stderr, "chairsim: %s: '%s' is not a number from %ld to %ld\n", option, arg, min, max);
                return -EINVAL;
        }
        *ret = v;
        return 0;
}

/* Splits HOST:PORT ([v6]:PORT too) into host and port. */
static int split_listen(const char *arg, char *host, size_t host_size, char *port, size_t port_size) {
        const char *colon = strrchr(arg, ':');
        size_t len;

        if (!colon || !colon[1] || colon == arg)
                return -EINVAL;
        len = (size_t) (colon - arg);
        if (arg[0] == '[' && len >= 2 && arg[len - 1] == ']') {
                arg++;
                len -= 2;
        }
        if (len >= host_size || strlen(colon + 1) >= port_size)
                return -EINVAL;
        memcpy(host, arg, len);
        host[len] = 0;
        snprintf(port, port_size, "%s", colon + 1);
        return 0;
}

int main(int argc, char **argv) {
        enum { OPT_SHOULDER = 0x100, OPT_HEARTBEAT, OPT_LIST_FAULTS, OPT_PRINT_MAP, OPT_OCCUPANT, OPT_LEG, OPT_FEET };
        static const struct option options[] = {
                { "listen", required_argument, NULL, 'l' },
                { "rtu", required_argument, NULL, 'r' },
                { "baud", required_argument, NULL, 'b' },
                { "parity", required_argument, NULL, 'p' },
                { "slave", required_argument, NULL, 's' },
                { "fault", required_argument, NULL, 'f' },
                { "shoulder", required_argument, NULL, OPT_SHOULDER },
                { "occupant", required_argument, NULL, OPT_OCCUPANT },
                { "leg-length", required_argument, NULL, OPT_LEG },
                { "feet", required_argument, NULL, OPT_FEET },
                { "heartbeat-timeout", required_argument, NULL, OPT_HEARTBEAT },
                { "list-faults", no_argument, NULL, OPT_LIST_FAULTS },
                { "print-map", required_argument, NULL, OPT_PRINT_MAP },
                { "verbose", no_argument, NULL, 'v' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        struct chairsim s = {};
        struct chair_physics_params params;
        const char *listen_arg = NULL, *device = NULL;
        char parity = 'N';
        long baud = 115200, slave = 1, heartbeat_timeout = 1000, v, leg_mm = 450;
        bool seated = true, feet = true;
        bool initial_fault[N_FAULTS] = {};
        modbus_t *ctx = NULL;
        int server = -1, c, r = 1;
        struct sigaction sa = { .sa_handler = on_signal };

        chair_physics_default_params(&params);
        while ((c = getopt_long(argc, argv, "l:r:b:p:s:f:vh", options, NULL)) >= 0) {
                switch (c) {
                case 'l':
                        listen_arg = optarg;
                        break;
                case 'r':
                        device = optarg;
                        break;
                case 'b':
                        if (parse_int("--baud", optarg, 50, 4000000, &baud) < 0)
                                return 2;
                        break;
                case 'p':
                        if (strlen(optarg) != 1 || !strchr("NEO", optarg[0])) {
                                fprintf(stderr, "chairsim: --parity: '%s' is not N, E or O\n", optarg);
                                return 2;
                        }
                        parity = optarg[0];
                        break;
                case 's':
                        if (parse_int("--slave", optarg, 1, 247, &slave) < 0)
                                return 2;
                        break;
                case 'f': {
                        int f = fault_from_name(optarg);
                        if (f < 0) {
                                fprintf(stderr, "chairsim: --fault: unknown fault '%s' (see --list-faults)\n", optarg);
                                return 2;
                        }
                        initial_fault[f] = true;
                        break;
                }
                case OPT_SHOULDER:
                        if (parse_int("--shoulder", optarg, 300, 780, &v) < 0)
                                return 2;
                        /* The waist sits 400 mm below the shoulder, as in the default body. */
                        params.shoulder_mm = (int32_t) v;
                        params.waist_mm = (int32_t) MAX(v - 400, 60L);
                        break;
                case OPT_OCCUPANT:
                case OPT_FEET:
                        if (strcmp(optarg, "yes") != 0 && strcmp(optarg, "no") != 0) {
                                fprintf(stderr, "chairsim: --%s: '%s' is not yes or no\n",
                                        c == OPT_OCCUPANT ? "occupant" : "feet", optarg);
                                return 2;
                        }
                        *(c == OPT_OCCUPANT ? &seated : &feet) = strcmp(optarg, "yes") == 0;
                        break;
                case OPT_LEG:
                        if (parse_int("--leg-length", optarg, 200, 1200, &leg_mm) < 0)
                                return 2;
                        break;
                case OPT_HEARTBEAT:
                        if (parse_int("--heartbeat-timeout", optarg, 0, 60000, &heartbeat_timeout) < 0)
                                return 2;
                        break;
                case OPT_LIST_FAULTS:
                        for (int f = 0; f < N_FAULTS; f++)
                                printf("%d %s\n", COIL_FAULT_BASE + f, fault_name(f));
                        return 0;
                case OPT_PRINT_MAP:
                        return print_map(optarg);
                case 'v':
                        s.verbose = true;
                        break;
                case 'h':
                        help();
                        return 0;
                default:
                        return 2;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "chairsim: unexpected argument '%s' (see --help)\n", argv[optind]);
                return 2;
        }
        if (!!listen_arg == !!device) {
                fprintf(stderr, "chairsim: give exactly one of --listen HOST:PORT or --rtu DEVICE (see --help)\n");
                return 2;
        }

        chair_physics_init(&s.physics, &params);
        s.map = modbus_mapping_new_start_address(0, N_COILS, 0, N_DISCRETE, 0, N_HOLDING, 0, N_INPUT);
        if (!s.map) {
                fprintf(stderr, "chairsim: cannot allocate the register map\n");
                return 1;
        }
        registers_safe(&s);
        panel_read(&s, &s.panel_was);
        s.map->tab_registers[HR_HEARTBEAT_TIMEOUT] = (uint16_t) heartbeat_timeout;
        s.map->tab_registers[HR_SLOW_REPLY_MS] = DEFAULT_SLOW_REPLY_MS;
        s.map->tab_registers[HR_LEG_LENGTH] = (uint16_t) leg_mm;
        s.map->tab_bits[COIL_SEATED] = seated;
        s.map->tab_bits[COIL_FEET] = feet;
        for (int f = 0; f < N_FAULTS; f++)
                s.map->tab_bits[COIL_FAULT_BASE + f] = initial_fault[f];
        s.rtu = device != NULL;
        s.last_heartbeat_ms = s.last_step_ms = clock_msec(CLOCK_MONOTONIC);
        advance(&s);

        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);

        if (device) {
                ctx = modbus_new_rtu(device, (int) baud, parity, 8, 1);
                if (!ctx) {
                        fprintf(stderr, "chairsim: --rtu %s: %s\n", device, modbus_strerror(errno));
                        goto finish;
                }
                if (modbus_set_slave(ctx, (int) slave) < 0 || modbus_connect(ctx) < 0) {
                        fprintf(stderr, "chairsim: cannot open %s: %s\n", device, modbus_strerror(errno));
                        goto finish;
                }
                printf("chairsim: serving Modbus RTU on %s at %ld baud, parity %c (slave %ld)\n", device, baud, parity, slave);
                fflush(stdout);
                r = serve_rtu(&s, ctx);
        } else {
                char host[256], port[32], shown_host[NI_MAXHOST], shown_port[NI_MAXSERV];
                struct sockaddr_storage addr;
                socklen_t len = sizeof addr;

                if (split_listen(listen_arg, host, sizeof host, port, sizeof port) < 0) {
                        fprintf(stderr, "chairsim: --listen: '%s' is not HOST:PORT\n", listen_arg);
                        r = 2;
                        goto finish;
                }
                ctx = modbus_new_tcp_pi(host, port);
                if (!ctx) {
                        fprintf(stderr, "chairsim: --listen %s: %s\n", listen_arg, modbus_strerror(errno));
                        goto finish;
                }
                modbus_set_slave(ctx, (int) slave);
                server = modbus_tcp_pi_listen(ctx, 8);
                if (server < 0) {
                        fprintf(stderr, "chairsim: cannot listen on %s: %s\n", listen_arg, modbus_strerror(errno));
                        goto finish;
                }
                if (getsockname(server, (struct sockaddr *) &addr, &len) < 0 ||
                    getnameinfo((struct sockaddr *) &addr, len, shown_host, sizeof shown_host, shown_port,
                                sizeof shown_port, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
                        fprintf(stderr, "chairsim: cannot tell the listening address: %s\n", strerror(errno));
                        goto finish;
                }
                printf("chairsim: listening on %s%s%s:%s (slave %ld)\n", addr.ss_family == AF_INET6 ? "[" : "",
                       shown_host, addr.ss_family == AF_INET6 ? "]" : "", shown_port, slave);
                fflush(stdout);
                r = serve_tcp(&s, ctx, server);
        }
        if (s.verbose)
                fprintf(stderr, "chairsim: stopping\n");

finish:
        if (server >= 0)
                close(server);
        if (ctx) {
                modbus_close(ctx);
                modbus_free(ctx);
        }
        modbus_mapping_free(s.map);
        return r;
}
