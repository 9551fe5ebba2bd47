/* SPDX-License-Identifier: MIT */
/* massagechaird: options, then the daemon's context runs until SIGTERM/SIGINT. */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon.h"
#include "hardware-map.h"
#include "log.h"

static void help(void) {
        printf("massagechaird - the massage chair controller daemon\n\n"
               "Usage: massagechaird [OPTIONS]\n\n"
               "  -c, --config FILE      hardware map (default %s/chair.conf)\n"
               "  -s, --simulate         run on the built-in simulated chair, no configuration\n"
               "      --check-config FILE check a hardware map without opening any hardware:\n"
               "                         exit 0 when it loads, else 1 with every FILE:LINE error\n"
               "      --profiles-dir DIR shipped programs (default %s/profiles)\n"
               "      --overrides-dir DIR technician programs (default %s/profiles.d)\n"
               "      --state-dir DIR    memory slots, history, fault log (default $STATE_DIRECTORY\n"
               "                         or %s; with --simulate created when missing)\n"
               "  -v, --verbose          log debug messages\n"
               "  -h, --help             show this help\n"
               "      --version          show the version\n\n"
               "The daemon owns org.massagechair.Chair1 on the system bus\n"
               "(DBUS_SYSTEM_BUS_ADDRESS is honoured). See massagechaird(8).\n",
               MCD_SYSCONFDIR, MCD_DATADIR, MCD_SYSCONFDIR, MCD_STATEDIR);
}

/* mkdir -p with mode for the last component; the parents get 0755 as install(1) makes them. */
static int mkdir_parents(const char *path, mode_t mode) {
        char buf[4096];
        size_t n = strlen(path);

        if (n == 0 || n >= sizeof buf)
                return -ENAMETOOLONG;
        memcpy(buf, path, n + 1);
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = 0;
                if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *p = '/';
        }
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path) < 0 ? -1 : 0;
}

/*
 * --simulate with no --state-dir runs from a build tree or a fresh prefix: the default state
 * directory is created when missing (0750, as tmpfiles would), and when that is not allowed a
 * temporary one is used for this run only. Returns 1 when *tmp holds a directory to remove.
 */
static int simulate_state_dir(const char **state_dir, char *tmp, size_t size) {
        struct stat st;
        int r;

        if (stat(*state_dir, &st) == 0 && S_ISDIR(st.st_mode) && access(*state_dir, W_OK) == 0)
                return 0;
        r = mkdir_parents(*state_dir, 0750);
        if (r >= 0 && access(*state_dir, W_OK) == 0) {
                log_info("Created the state directory %s.", *state_dir);
                return 0;
        }
        if (r >= 0)
                r = -EACCES;
        snprintf(tmp, size, "%s/massagechaird-state.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(tmp))
                return log_error_errno(errno, "Cannot create %s (%s), nor a temporary state directory: %m",
                                       *state_dir, strerror(-r));
        log_warning("Cannot use the state directory %s (%s): using the temporary %s for this run "
                    "(memory slots, history and faults are not kept; --state-dir DIR chooses one).",
                    *state_dir, strerror(-r), tmp);
        *state_dir = tmp;
        return 1;
}

/* --check-config: the loader the daemon uses, and nothing opened or driven. */
static int check_map(const char *path) {
        struct hardware_map *map = calloc(1, sizeof *map);
        char error[4096] = "";
        unsigned outputs = 0, inputs = 0;
        int r;

        if (!map) {
                fprintf(stderr, "massagechaird: out of memory\n");
                return EXIT_FAILURE;
        }
        r = hardware_map_load(path, map, error, sizeof error);
        if (r < 0) {
                fprintf(stderr, "%s\n", error[0] ? error : strerror(-r));
                free(map);
                return EXIT_FAILURE;
        }
        for (unsigned i = 0; i < _CHAIR_OUT_MAX; i++)
                outputs += map->outputs[i].backend != HW_BACKEND_NONE;
        for (unsigned i = 0; i < _CHAIR_IN_MAX; i++)
                inputs += map->inputs[i].backend != HW_BACKEND_NONE;
        printf("%s: ok: %s, %u outputs and %u inputs bound, %u GPIO chip(s), %u Modbus bus(es); "
               "'chairctl hw %s' lists the bindings.\n",
               path, map->model, outputs, inputs, map->n_gpio_chips, map->n_buses, path);
        free(map);
        return EXIT_SUCCESS;
}

int main(int argc, char **argv) {
        enum { OPT_VERSION = 0x100, OPT_PROFILES, OPT_OVERRIDES, OPT_STATE, OPT_CHECK };
        static const struct option long_options[] = {
                { "config", required_argument, NULL, 'c' },
                { "simulate", no_argument, NULL, 's' },
                { "profiles-dir", required_argument, NULL, OPT_PROFILES },
                { "overrides-dir", required_argument, NULL, OPT_OVERRIDES },
                { "state-dir", required_argument, NULL, OPT_STATE },
                { "check-config", required_argument, NULL, OPT_CHECK },
                { "verbose", no_argument, NULL, 'v' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, OPT_VERSION },
                {}
        };
        struct daemon_options options = {
                .config_path = MCD_SYSCONFDIR "/chair.conf",
                .profiles_dir = MCD_DATADIR "/profiles",
                .profiles_override_dir = MCD_SYSCONFDIR "/profiles.d",
                .state_dir = MCD_STATEDIR,
        };
        struct chair_daemon *d = NULL;
        bool config_given = false, state_given = false, profiles_given = false;
        char tmp_state[256];
        const char *check_config = NULL;
        int c, r, tmp_made = 0;

        while ((c = getopt_long(argc, argv, "c:svh", long_options, NULL)) >= 0) {
                switch (c) {
                case 'c':
                        options.config_path = optarg;
                        config_given = true;
                        break;
                case 's':
                        options.simulate = true;
                        break;
                case OPT_PROFILES:
                        options.profiles_dir = optarg;
                        profiles_given = true;
                        break;
                case OPT_OVERRIDES:
                        options.profiles_override_dir = optarg;
                        break;
                case OPT_STATE:
                        options.state_dir = optarg;
                        state_given = true;
                        break;
                case 'v':
                        options.verbose = true;
                        break;
                case OPT_CHECK:
                        check_config = optarg;
                        break;
                case 'h':
                        help();
                        return EXIT_SUCCESS;
                case OPT_VERSION:
                        printf("massagechaird %s\n", MCD_VERSION);
                        return EXIT_SUCCESS;
                default:
                        fprintf(stderr, "Try 'massagechaird --help'.\n");
                        return EXIT_FAILURE;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "massagechaird: unexpected argument '%s'. Try 'massagechaird --help'.\n",
                        argv[optind]);
                return EXIT_FAILURE;
        }
        if (options.simulate && config_given) {
                fprintf(stderr, "massagechaird: --simulate and --config exclude each other.\n");
                return EXIT_FAILURE;
        }

        if (check_config)
                return check_map(check_config);
        log_setup(options.verbose ? LOG_DEBUG : LOG_INFO);
        /* No map at all is a chair not set up yet, not a crash: the daemon answers on the bus
         * and says what to do (a map that exists but does not load still fails start-up). */
        if (!options.simulate && access(options.config_path, F_OK) < 0 && errno == ENOENT)
                options.unconfigured = true;
        /* systemd's StateDirectory= names it (one directory: no ':' list). */
        if (!state_given && getenv("STATE_DIRECTORY") && *getenv("STATE_DIRECTORY") == '/' &&
            !strchr(getenv("STATE_DIRECTORY"), ':'))
                options.state_dir = getenv("STATE_DIRECTORY");
        /* Not installed yet: the programs of the source tree this binary was built from. */
        if (options.simulate && !profiles_given && access(options.profiles_dir, F_OK) < 0 &&
            access(MCD_SOURCE_PROFILES_DIR, F_OK) == 0) {
                log_info("No %s (not installed): using the programs of the source tree, %s.", options.profiles_dir,
                         MCD_SOURCE_PROFILES_DIR);
                options.profiles_dir = MCD_SOURCE_PROFILES_DIR;
        }
        if (options.simulate && !state_given) {
                tmp_made = simulate_state_dir(&options.state_dir, tmp_state, sizeof tmp_state);
                if (tmp_made < 0)
                        return EXIT_FAILURE;
        }
        r = daemon_new(&options, &d);
        if (r >= 0)
                r = daemon_run(d);
        daemon_free(d);
        if (tmp_made > 0)
                (void) nftw(tmp_state, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        /* -ECANCELED: SIGTERM during start-up, an ordinary stop. */
        return r < 0 && r != -ECANCELED ? EXIT_FAILURE : EXIT_SUCCESS;
}
