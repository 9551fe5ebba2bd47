/* SPDX-License-Identifier: MIT */
/* massagechaird: options, then the daemon's context runs until SIGTERM/SIGINT. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "log.h"

static void help(void) {
        printf("massagechaird - the massage chair controller daemon\n\n"
               "Usage: massagechaird [OPTIONS]\n\n"
               "  -c, --config FILE      hardware map (default %s/chair.conf)\n"
               "  -s, --simulate         run on the built-in simulated chair, no configuration\n"
               "      --profiles-dir DIR shipped programs (default %s/profiles)\n"
               "      --overrides-dir DIR technician programs (default %s/profiles.d)\n"
               "      --state-dir DIR    memory slots, history, fault log (default %s)\n"
               "  -v, --verbose          log debug messages\n"
               "  -h, --help             show this help\n"
               "      --version          show the version\n\n"
               "The daemon owns org.massagechair.Chair1 on the system bus\n"
               "(DBUS_SYSTEM_BUS_ADDRESS is honoured). See massagechaird(8).\n",
               MCD_SYSCONFDIR, MCD_DATADIR, MCD_SYSCONFDIR, MCD_STATEDIR);
}

int main(int argc, char **argv) {
        enum { OPT_VERSION = 0x100, OPT_PROFILES, OPT_OVERRIDES, OPT_STATE };
        static const struct option long_options[] = {
                { "config", required_argument, NULL, 'c' },
                { "simulate", no_argument, NULL, 's' },
                { "profiles-dir", required_argument, NULL, OPT_PROFILES },
                { "overrides-dir", required_argument, NULL, OPT_OVERRIDES },
                { "state-dir", required_argument, NULL, OPT_STATE },
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
        bool config_given = false;
        int c, r;

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
                        break;
                case OPT_OVERRIDES:
                        options.profiles_override_dir = optarg;
                        break;
                case OPT_STATE:
                        options.state_dir = optarg;
                        break;
                case 'v':
                        options.verbose = true;
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

        log_setup(options.verbose ? LOG_DEBUG : LOG_INFO);
        r = daemon_new(&options, &d);
        if (r >= 0)
                r = daemon_run(d);
        daemon_free(d);
        /* -ECANCELED: SIGTERM during start-up, an ordinary stop. */
        return r < 0 && r != -ECANCELED ? EXIT_FAILURE : EXIT_SUCCESS;
}
