/* SPDX-License-Identifier: MIT */
/*
 * The hardware map (/etc/massagechair/chair.conf): which GPIO line or Modbus register is which
 * actuator or sensor, and the safety bounds of this chair. See docs/hardware-map.md.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chair-io.h"

#define HW_NAME_MAX 64
#define HW_PATH_MAX 256
#define HW_MAX_GPIO_CHIPS 4
#define HW_MAX_BUSES 4

enum hw_backend {
        HW_BACKEND_NONE,   /* not present on this chair */
        HW_BACKEND_SIM,    /* the built-in simulated chair */
        HW_BACKEND_GPIO,
        HW_BACKEND_MODBUS,
};

enum hw_gpio_bias {
        HW_BIAS_AS_IS,
        HW_BIAS_DISABLED,
        HW_BIAS_PULL_UP,
        HW_BIAS_PULL_DOWN,
};

enum hw_modbus_table {
        HW_MODBUS_COIL,            /* read/write bit: on/off outputs */
        HW_MODBUS_DISCRETE_INPUT,  /* read-only bit: switches */
        HW_MODBUS_HOLDING,         /* read/write register: setpoints, speeds */
        HW_MODBUS_INPUT_REGISTER,  /* read-only register: measurements */
};

struct hw_gpio_chip {
        char name[HW_NAME_MAX];    /* section [gpio.NAME] */
        char path[HW_PATH_MAX];    /* /dev/gpiochipN, or empty when found by label */
        char label[HW_NAME_MAX];
        unsigned line_no;
};

struct hw_bus {
        char name[HW_NAME_MAX];    /* section [bus.NAME] */
        bool tcp;                  /* true: TCP host:port, false: RTU device */
        char host[HW_NAME_MAX];
        char port[16];
        char device[HW_PATH_MAX];
        uint32_t baud;
        char parity;               /* 'N', 'E', 'O' */
        uint8_t data_bits, stop_bits;
        bool rs485;
        uint8_t slave;
        uint32_t response_timeout_ms;
        uint32_t poll_interval_ms;
        uint32_t idle_poll_ms;        /* while the chair is idle and every actuator safe */
        int32_t heartbeat_register;   /* holding register written every heartbeat_period_ms, -1 none */
        uint32_t heartbeat_period_ms;
        unsigned line_no;
};

struct hw_binding {
        enum hw_backend backend;
        unsigned line_no;             /* line of the section header, for errors found later */
        bool stop;                    /* inputs: a non-zero reading means "stop now" (key stop) */
        /* GPIO */
        int chip;                     /* index into hardware_map.gpio_chips */
        int32_t line_offset;          /* -1 when bound by name */
        char line_name[HW_NAME_MAX];
        int32_t direction_offset;     /* motors: second line for direction, -1 none */
        char direction_name[HW_NAME_MAX];
        bool active_low;
        enum hw_gpio_bias bias;
        uint32_t debounce_us;
        /* Modbus */
        int bus;                      /* index into hardware_map.buses */
        enum hw_modbus_table table;
        uint16_t address;
        double scale;                 /* engineering value = raw * scale */
        bool is_signed;
        uint8_t words;                /* 1 or 2 registers */
        bool word_swap;               /* 32-bit values: low word first */
        /* A 0/1 input read from a register (a seat's load cell): 1 at or above threshold,
         * in the register's engineering unit (after scale). */
        bool has_threshold;
        double threshold;
};

struct hw_limits {
        uint32_t max_session_s;
        int32_t heater_max_decic;           /* over-temperature, 0.1 degC */
        uint32_t heat_rise_timeout_s;       /* heat that never arrives */
        int32_t air_max_pressure_decikpa;
        uint32_t air_max_inflate_s;
        uint32_t travel_timeout_ms;         /* least time any travel is allowed */
        uint32_t travel_margin_pct;         /* a travel may take this much longer than expected */
        uint32_t encoder_loss_ms;           /* motor runs, no pulses */
        uint32_t motor_current_max_ma;
        uint32_t stall_ms;
        uint32_t supply_min_mv, supply_max_mv;
        uint32_t modbus_link_lost_ms;
        uint32_t modbus_error_storm;        /* errors within 10 s */
        uint32_t deadline_miss_ms;          /* scheduler lateness bound */
        bool latch_until_power_cycle;       /* false: a technician clears faults */
};

/* One key of the panel: the code panel_key / panel_event carry for it, and on a GPIO panel its
 * own line (binding.backend == HW_BACKEND_GPIO; the driver reports it as panel_key = code). */
struct hw_key {
        bool present;
        uint8_t code;
        struct hw_binding binding;
};

struct hw_panel {
        uint32_t long_press_ms;       /* a press held this long is a long press */
        uint32_t repeat_delay_ms;     /* level keys repeat after this ... */
        uint32_t repeat_interval_ms;  /* ... every this */
        uint32_t child_lock_ms;       /* hold the child_lock key this long */
        bool gpio_keys;               /* at least one key has its own GPIO line */
        struct hw_key keys[_CHAIR_KEY_MAX];
};

/* A posture axis ([axis.NAME], docs/hardware-map.md): present when the map binds its motor. */
enum hw_obstruction {
        HW_OBSTRUCTION_NONE,       /* not given: refused for a moving axis */
        HW_OBSTRUCTION_BUMPER,     /* a switch input (bumper) */
        HW_OBSTRUCTION_CURRENT,    /* the motor current rising above its running level */
};

struct hw_axis {
        bool present;                 /* the section is given */
        unsigned line_no;             /* of the section header */
        uint32_t travel_mm;           /* between the end switches */
        uint32_t speed_mm_s;          /* at 100 % duty */
        uint32_t duty_pct;            /* what moves use */
        int32_t soft_min, soft_max;   /* per mille of travel: moves stop here, inside the end switches */
        uint32_t current_max_ma;      /* above it the motor stops (overcurrent) */
        uint32_t travel_timeout_ms;   /* one travel end to end may take this long */
        enum hw_obstruction obstruction;
        int32_t bumper;               /* obstruction = bumper: the input (enum chair_input), -1 none */
        uint32_t obstruction_rise_ma; /* obstruction = current: a rise this far above the running current */
        uint32_t wall_clearance_mm;   /* recline: free space behind the upright backrest */
        uint32_t reach_mm;            /* recline: how far back the backrest's top goes at full recline */
        int32_t limit_max;            /* the highest position moves may reach: soft_max, and for the
                                       * recline the wall clearance (computed) */
};

/* The scheduler's thread: SCHED_FIFO priority, and the CPU it is kept on (-1: any). */
struct hw_scheduler {
        uint32_t priority;
        int32_t cpu;
        unsigned line_no;             /* of the [scheduler] section, for errors at start-up */
};

struct hardware_map {
        char path[HW_PATH_MAX];
        char model[HW_NAME_MAX];
        bool simulated;               /* [chair] simulated = yes: every binding on backend sim */
        bool air_timed_inflation;     /* [chair] air_inflation = timed: no pressure sensor, by design */
        uint32_t air_inflate_ms[6];   /* [chair] air_inflate_s: timed inflation of levels 1-5 ([0] unused) */
        int32_t track_length_mm;
        int32_t pulses_per_mm;
        uint32_t auto_off_default_min;
        struct hw_limits limits;
        struct hw_gpio_chip gpio_chips[HW_MAX_GPIO_CHIPS];
        unsigned n_gpio_chips;
        struct hw_bus buses[HW_MAX_BUSES];
        unsigned n_buses;
        struct hw_binding outputs[_CHAIR_OUT_MAX];
        struct hw_binding inputs[_CHAIR_IN_MAX];
        struct hw_panel panel;
        struct hw_scheduler scheduler;
        struct hw_axis axes[_CHAIR_AXIS_MAX];
};

/* Loads and validates a map. On error returns negative errno and writes "FILE:LINE: message"
 * into ret_error. Nothing is driven while loading. */
int hardware_map_load(const char *path, struct hardware_map *ret, char *ret_error, size_t error_size);
/* The same for text already read (the fuzzer); PATH names it in errors. A NUL-terminated or
 * not, LEN bytes. */
int hardware_map_load_text(const char *path, const char *text, size_t len, struct hardware_map *ret, char *ret_error,
                           size_t error_size);
/* The rules of what the GPIO and Modbus backends can run, on a map already in memory (a map
 * built in code: the probes); hardware_map_load applies them too. The backends run this at
 * open instead of checking anything themselves. 0, or -EINVAL and "FILE:LINE: message" lines. */
int hardware_map_check(const struct hardware_map *map, char *ret_error, size_t error_size);
/* The embedded map of `massagechaird --simulate`: every output and input on the sim backend. */
void hardware_map_simulated(struct hardware_map *ret);
/* The same chair with every posture axis, the foot and calf channels and their sensors, the
 * axes as the reference chair's map declares them (tests, the next session's motion rules). */
void hardware_map_simulated_posture(struct hardware_map *ret);
const char *hw_backend_name(enum hw_backend b);

/* The key tables, for the check against docs/hardware-map.md: the number of section kinds,
 * and the name of key I of kind KIND (NULL past its last), with the kind's name ("bus" for
 * [bus.NAME]) and whether its sections are named. */
size_t hardware_map_section_kinds(void);
const char *hardware_map_section_key(size_t kind, size_t i, const char **ret_kind, bool *ret_named);
