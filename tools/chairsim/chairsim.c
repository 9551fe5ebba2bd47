/* SPDX-License-Identifier: MIT */
/*
 * chairsim: a Modbus slave that behaves like the reference chair's board, built on libmodbus's
 * server API around the same physics as `massagechaird --simulate`. Register map:
 * docs/chairsim.md. Physics advances in real time between requests; a heartbeat register
 * that stops changing makes the board switch its outputs off by itself; faults are injected
 * from the command line or at run time through coils 100 and up.
 */
#include <errno.h>
#include <getopt.h>
#include <modbus.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "chair-physics.h"
#include "macro.h"

/* Register map (docs/chairsim.md). */
enum {
        COIL_FAULT_BASE = 100,
        N_COILS = 128,
        DI_LIMIT_TOP = 0, DI_LIMIT_BOTTOM, DI_ESTOP, DI_HEARTBEAT_TRIPPED, N_DISCRETE,
        HR_TRAVEL = 0, HR_KNEAD, HR_TAP, HR_WIDTH, HR_DEPTH,
        HR_HEARTBEAT = 10, HR_HEARTBEAT_TIMEOUT = 11, N_HOLDING = 12,
        IR_ENCODER_HI = 0, IR_ENCODER_LO, IR_LOAD, IR_CURRENT, IR_PRESSURE, IR_TEMP_LUMBAR, IR_TEMP_CALVES,
        IR_SUPPLY, IR_PANEL_KEY, N_INPUT,
};

/* Transport faults follow the physical ones in the fault coils. */
enum transport_fault { TF_SLOW = _PHYS_FAULT_MAX, TF_GARBLED, TF_DISCONNECT, _TF_END };
static const char *const transport_fault_names[] = { "slow-replies", "garbled-replies", "disconnect" };

/* On/off outputs as coils; setpoints as holding registers. */
static const enum chair_output coil_outputs[] = {
        CHAIR_OUT_AIR_PUMP,     CHAIR_OUT_VALVE_SHOULDERS, CHAIR_OUT_VALVE_ARMS, CHAIR_OUT_VALVE_BACK,
        CHAIR_OUT_VALVE_SEAT,   CHAIR_OUT_VALVE_CALVES,    CHAIR_OUT_VALVE_FEET, CHAIR_OUT_AIR_RELEASE,
        CHAIR_OUT_HEAT_LUMBAR,  CHAIR_OUT_HEAT_CALVES,     CHAIR_OUT_BEEPER,     CHAIR_OUT_LED_POWER,
        CHAIR_OUT_LED_HEAT,     CHAIR_OUT_LED_AIR,
};
static const enum chair_output holding_outputs[] = {
        CHAIR_OUT_TRAVEL_MOTOR, CHAIR_OUT_KNEAD_MOTOR, CHAIR_OUT_TAP_MOTOR, CHAIR_OUT_WIDTH, CHAIR_OUT_DEPTH,
};

struct chairsim {
        struct chair_physics physics;
        modbus_mapping_t *map;
        bool verbose;
        uint64_t last_heartbeat_ms;
        uint16_t heartbeat_value;
        bool tripped;
};

static volatile sig_atomic_t quit;

static void on_signal(int sig) {
        quit = 1;
}

static uint64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

static int fault_from_name(const char *name) {
        int f = chair_physics_fault_from_name(name);
        if (f >= 0)
                return f;
        for (int i = 0; i < _TF_END - TF_SLOW; i++)
                if (strcmp(transport_fault_names[i], name) == 0)
                        return TF_SLOW + i;
        return -EINVAL;
}

static bool fault_on(struct chairsim *s, int f) {
        return s->map->tab_bits[COIL_FAULT_BASE + f] != 0;
}

/* Every output to its safe value, in the registers and in the physics. */
static void outputs_safe(struct chairsim *s) {
        for (size_t i = 0; i < ARRAY_SIZE(coil_outputs); i++)
                s->map->tab_bits[i] = (uint8_t) chair_output_info(coil_outputs[i])->safe_value;
        for (size_t i = 0; i < ARRAY_SIZE(holding_outputs); i++)
                s->map->tab_registers[i] = (uint16_t) chair_output_info(holding_outputs[i])->safe_value;
}

static void registers_to_physics(struct chairsim *s) {
        for (size_t i = 0; i < ARRAY_SIZE(coil_outputs); i++)
                chair_physics_set_output(&s->physics, coil_outputs[i], s->map->tab_bits[i] ? 1 : 0);
        for (size_t i = 0; i < ARRAY_SIZE(holding_outputs); i++)
                chair_physics_set_output(&s->physics, holding_outputs[i], (int16_t) s->map->tab_registers[i]);
        for (int f = 0; f < _PHYS_FAULT_MAX; f++)
                if ((s->physics.fault[f] != 0) != fault_on(s, f))
                        chair_physics_inject(&s->physics, (enum chair_physics_fault) f, fault_on(s, f));
}

static void physics_to_registers(struct chairsim *s) {
        const struct chair_physics *p = &s->physics;
        uint32_t enc = (uint32_t) chair_physics_input(p, CHAIR_IN_ENCODER);

        s->map->tab_input_bits[DI_LIMIT_TOP] = (uint8_t) chair_physics_input(p, CHAIR_IN_LIMIT_TOP);
        s->map->tab_input_bits[DI_LIMIT_BOTTOM] = (uint8_t) chair_physics_input(p, CHAIR_IN_LIMIT_BOTTOM);
        s->map->tab_input_bits[DI_ESTOP] = (uint8_t) chair_physics_input(p, CHAIR_IN_ESTOP);
        s->map->tab_input_bits[DI_HEARTBEAT_TRIPPED] = s->tripped;
        s->map->tab_input_registers[IR_ENCODER_HI] = (uint16_t) (enc >> 16);
        s->map->tab_input_registers[IR_ENCODER_LO] = (uint16_t) (enc & 0xffff);
        s->map->tab_input_registers[IR_LOAD] = (uint16_t) chair_physics_input(p, CHAIR_IN_ROLLER_LOAD);
        s->map->tab_input_registers[IR_CURRENT] = (uint16_t) chair_physics_input(p, CHAIR_IN_MOTOR_CURRENT);
        s->map->tab_input_registers[IR_PRESSURE] = (uint16_t) chair_physics_input(p, CHAIR_IN_AIR_PRESSURE);
        s->map->tab_input_registers[IR_TEMP_LUMBAR] = (uint16_t) (int16_t) chair_physics_input(p, CHAIR_IN_TEMP_LUMBAR);
        s->map->tab_input_registers[IR_TEMP_CALVES] = (uint16_t) (int16_t) chair_physics_input(p, CHAIR_IN_TEMP_CALVES);
        s->map->tab_input_registers[IR_SUPPLY] = (uint16_t) chair_physics_input(p, CHAIR_IN_SUPPLY_VOLTAGE);
        s->map->tab_input_registers[IR_PANEL_KEY] = (uint16_t) chair_physics_input(p, CHAIR_IN_PANEL_KEY);
}

static void advance(struct chairsim *s, uint64_t *last) {
        uint64_t now = now_ms();
        uint16_t timeout = s->map->tab_registers[HR_HEARTBEAT_TIMEOUT];

        /* The board's own safety: no heartbeat, no outputs. */
        if (timeout && now - s->last_heartbeat_ms > timeout) {
                if (!s->tripped && s->verbose)
                        fprintf(stderr, "chairsim: no heartbeat for %u ms: every output off\n", timeout);
                s->tripped = true;
                outputs_safe(s);
        }
        registers_to_physics(s);
        while (now - *last >= 10) {
                chair_physics_step(&s->physics, 10);
                *last += 10;
        }
        physics_to_registers(s);
}

static int32_t holding_min(unsigned addr) {
        return addr < ARRAY_SIZE(holding_outputs) ? chair_output_info(holding_outputs[addr])->min : 0;
}

static int32_t holding_max(unsigned addr) {
        if (addr < ARRAY_SIZE(holding_outputs))
                return chair_output_info(holding_outputs[addr])->max;
        if (addr == HR_HEARTBEAT)
                return 65535;
        if (addr == HR_HEARTBEAT_TIMEOUT)
                return 60000;
        return 0;
}

/* Checks a write before libmodbus applies it: out-of-range setpoints are refused with
 * ILLEGAL_DATA_VALUE. Returns 0, or the exception code. */
static int check_write(struct chairsim *s, const uint8_t *q, int header, bool *heartbeat) {
        int fc = q[header];
        unsigned addr = (unsigned) (q[header + 1] << 8 | q[header + 2]);

        if (fc == MODBUS_FC_WRITE_SINGLE_REGISTER || fc == MODBUS_FC_WRITE_MULTIPLE_REGISTERS) {
                unsigned n = fc == MODBUS_FC_WRITE_SINGLE_REGISTER ? 1 : (unsigned) (q[header + 3] << 8 | q[header + 4]);
                const uint8_t *v = fc == MODBUS_FC_WRITE_SINGLE_REGISTER ? q + header + 3 : q + header + 6;
                for (unsigned i = 0; i < n && i < 123; i++) {
                        unsigned a = addr + i;
                        int32_t raw = (uint16_t) (v[2 * i] << 8 | v[2 * i + 1]);
                        int32_t value = a < ARRAY_SIZE(holding_outputs) ? (int16_t) raw : raw;
                        if (a >= N_HOLDING || (a >= ARRAY_SIZE(holding_outputs) && a != HR_HEARTBEAT &&
                                               a != HR_HEARTBEAT_TIMEOUT))
                                return MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS;
                        if (value < holding_min(a) || value > holding_max(a))
                                return MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE;
                        if (a == HR_HEARTBEAT)
                                *heartbeat = true;
                }
        }
        return 0;
}

static void send_garbage(modbus_t *ctx, bool rtu, const uint8_t *q, int header) {
        /* RTU: a frame whose CRC is wrong; TCP: a header whose protocol id is wrong. */
        uint8_t rtu_frame[] = { q[0], q[header], 0x02, 0x00, 0x00, 0xde, 0xad };
        uint8_t tcp_frame[] = { q[0], q[1], 0x12, 0x34, 0x00, 0x03, q[6], q[header], 0x00 };
        int fd = modbus_get_socket(ctx);
        ssize_t w = rtu ? write(fd, rtu_frame, sizeof rtu_frame) : write(fd, tcp_frame, sizeof tcp_frame);
        (void) w;
}

/* Serves one request on ctx. Returns -1 when the connection should be closed. */
static int serve(struct chairsim *s, modbus_t *ctx, bool rtu) {
        uint8_t q[MODBUS_TCP_MAX_ADU_LENGTH];
        int header = modbus_get_header_length(ctx);
        bool heartbeat = false, control;
        int rc, ex;

        rc = modbus_receive(ctx, q);
        if (rc == 0)
                return 0; /* not for us (RTU: another slave) */
        if (rc < 0)
                return rtu ? 0 : -1;
        /* Writes to the fault coils are the test's control channel: never disturbed. */
        control = (q[header] == MODBUS_FC_WRITE_SINGLE_COIL || q[header] == MODBUS_FC_WRITE_MULTIPLE_COILS) &&
                  (q[header + 1] << 8 | q[header + 2]) >= COIL_FAULT_BASE;
        if (!control && fault_on(s, TF_DISCONNECT))
                return rtu ? 0 : -1;
        if (!control && fault_on(s, TF_SLOW))
                usleep(150 * 1000);
        if (!control && fault_on(s, TF_GARBLED)) {
                send_garbage(ctx, rtu, q, header);
                return 0;
        }
        ex = check_write(s, q, header, &heartbeat);
        if (ex) {
                modbus_reply_exception(ctx, q, (unsigned) ex);
                return 0;
        }
        if (modbus_reply(ctx, q, rc, s->map) < 0)
                return rtu ? 0 : -1;
        if (heartbeat) {
                s->last_heartbeat_ms = now_ms();
                s->tripped = false;
        }
        registers_to_physics(s);
        return 0;
}

static void help(void) {
        printf("chairsim - a Modbus slave that behaves like a massage chair\n\n"
               "Usage: chairsim --listen HOST:PORT | --rtu DEVICE [--baud N] [--parity N|E|O]\n"
               "                [--slave ID] [--fault NAME]... [--shoulder MM] [--heartbeat-timeout MS] [--verbose]\n\n"
               "Register map: docs/chairsim.md. Faults: stuck-sensor thermistor-open thermistor-short\n"
               "over-temperature over-pressure lost-encoder spurious-pulses stalled-motor both-limits\n"
               "supply-low supply-high estop heat-not-rising slow-replies garbled-replies disconnect\n");
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "listen", required_argument, NULL, 'l' },   { "rtu", required_argument, NULL, 'r' },
                { "baud", required_argument, NULL, 'b' },     { "parity", required_argument, NULL, 'p' },
                { "slave", required_argument, NULL, 's' },    { "fault", required_argument, NULL, 'f' },
                { "shoulder", required_argument, NULL, 'S' }, { "heartbeat-timeout", required_argument, NULL, 'H' },
                { "verbose", no_argument, NULL, 'v' },        { "help", no_argument, NULL, 'h' },
                {}
        };
        struct chairsim s = {};
        struct chair_physics_params params;
        char *listen_arg = NULL, *device = NULL, parity = 'N';
        int baud = 115200, slave = 1, heartbeat_timeout = 1000, c, faults[32], n_faults = 0;
        modbus_t *ctx = NULL;
        uint64_t last_step;

        chair_physics_default_params(&params);
        while ((c = getopt_long(argc, argv, "vh", options, NULL)) >= 0) {
                switch (c) {
                case 'l':
                        listen_arg = optarg;
                        break;
                case 'r':
                        device = optarg;
                        break;
                case 'b':
                        baud = atoi(optarg);
                        break;
                case 'p':
                        parity = optarg[0];
                        break;
                case 's':
                        slave = atoi(optarg);
                        break;
                case 'f':
                        if (n_faults >= 32 || (faults[n_faults] = fault_from_name(optarg)) < 0) {
                                fprintf(stderr, "chairsim: unknown fault '%s' (see --help)\n", optarg);
                                return 2;
                        }
                        n_faults++;
                        break;
                case 'S':
                        params.shoulder_mm = atoi(optarg);
                        params.waist_mm = params.shoulder_mm - 400;
                        break;
                case 'H':
                        heartbeat_timeout = atoi(optarg);
                        break;
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
        if (!!listen_arg == !!device || slave < 1 || slave > 247 || heartbeat_timeout < 0 || heartbeat_timeout > 60000 ||
            (parity != 'N' && parity != 'E' && parity != 'O') || params.shoulder_mm < 300 || params.shoulder_mm > 800) {
                fprintf(stderr, "chairsim: give exactly one of --listen HOST:PORT or --rtu DEVICE, and valid values (see --help)\n");
                return 2;
        }

        chair_physics_init(&s.physics, &params);
        s.map = modbus_mapping_new(N_COILS, N_DISCRETE, N_HOLDING, N_INPUT);
        if (!s.map)
                return 1;
        outputs_safe(&s);
        s.map->tab_registers[HR_HEARTBEAT_TIMEOUT] = (uint16_t) heartbeat_timeout;
        for (int i = 0; i < n_faults; i++)
                s.map->tab_bits[COIL_FAULT_BASE + faults[i]] = 1;
        s.last_heartbeat_ms = now_ms();
        last_step = now_ms();
        advance(&s, &last_step);

        signal(SIGTERM, on_signal);
        signal(SIGINT, on_signal);
        signal(SIGPIPE, SIG_IGN);

        if (device) {
                ctx = modbus_new_rtu(device, baud, parity, 8, 1);
                if (!ctx || modbus_set_slave(ctx, slave) < 0 || modbus_connect(ctx) < 0) {
                        fprintf(stderr, "chairsim: cannot open %s: %s\n", device, modbus_strerror(errno));
                        return 1;
                }
                printf("chairsim: serving Modbus RTU on %s (slave %d)\n", device, slave);
                fflush(stdout);
                while (!quit) {
                        fd_set rfds;
                        struct timeval tv = { 0, 10000 };
                        int fd = modbus_get_socket(ctx);
                        FD_ZERO(&rfds);
                        FD_SET(fd, &rfds);
                        advance(&s, &last_step);
                        if (select(fd + 1, &rfds, NULL, NULL, &tv) > 0) {
                                advance(&s, &last_step);
                                serve(&s, ctx, true);
                        }
                }
        } else {
                char host[128];
                char *colon = strrchr(listen_arg, ':');
                int server, max_fd;
                fd_set all;
                struct sockaddr_in addr;
                socklen_t len = sizeof addr;

                if (!colon || colon - listen_arg >= (long) sizeof host) {
                        fprintf(stderr, "chairsim: --listen takes HOST:PORT\n");
                        return 2;
                }
                snprintf(host, sizeof host, "%.*s", (int) (colon - listen_arg), listen_arg);
                ctx = modbus_new_tcp(host, atoi(colon + 1));
                if (!ctx)
                        return 1;
                modbus_set_slave(ctx, slave);
                server = modbus_tcp_listen(ctx, 8);
                if (server < 0) {
                        fprintf(stderr, "chairsim: cannot listen on %s: %s\n", listen_arg, modbus_strerror(errno));
                        return 1;
                }
                getsockname(server, (struct sockaddr *) &addr, &len);
                printf("chairsim: listening on %s:%d (slave %d)\n", host, ntohs(addr.sin_port), slave);
                fflush(stdout);
                FD_ZERO(&all);
                FD_SET(server, &all);
                max_fd = server;
                while (!quit) {
                        fd_set rfds = all;
                        struct timeval tv = { 0, 10000 };
                        int n;

                        advance(&s, &last_step);
                        n = select(max_fd + 1, &rfds, NULL, NULL, &tv);
                        if (n <= 0)
                                continue;
                        for (int fd = 0; fd <= max_fd; fd++) {
                                if (!FD_ISSET(fd, &rfds))
                                        continue;
                                if (fd == server) {
                                        int client = accept(server, NULL, NULL);
                                        if (client >= 0) {
                                                FD_SET(client, &all);
                                                max_fd = MAX(max_fd, client);
                                        }
                                        continue;
                                }
                                advance(&s, &last_step);
                                modbus_set_socket(ctx, fd);
                                if (serve(&s, ctx, false) < 0) {
                                        close(fd);
                                        FD_CLR(fd, &all);
                                }
                        }
                }
                close(server);
        }
        if (s.verbose)
                fprintf(stderr, "chairsim: stopping\n");
        modbus_close(ctx);
        modbus_free(ctx);
        modbus_mapping_free(s.map);
        return 0;
}
