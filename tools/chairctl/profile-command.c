/* SPDX-License-Identifier: MIT */
/*
 * The technicians' loop on profile files: check (every error, exit 1), show (the step table
 * with start times and totals), plot (an SVG timeline), upload (to the daemon, which validates
 * again and stores it in /etc/massagechair/profiles.d).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "atomic-file.h"
#include "chair-client.h"
#include "output.h"
#include "planner.h"
#include "posture-presets.h"
#include "profile-command.h"
#include "profile-plot.h"
#include "profile.h"
#include "untrusted-file.h"
#include "vt-program.h"

#define UPLOAD_MAX PROFILE_FILE_MAX

/* The reference body the show and plot commands place the program on. */
static const struct plan_options reference = {
        .intensity = 0,
        .duration_s = 0,
        .scan = { 620, 220 },
        .track_length_mm = 800,
};

static int load_errors(const char *path, struct program **ret, struct ini_errors *errors) {
        int r = profile_load_file(path, ret, errors);
        if (r < 0 && !errors->text[0])
                snprintf(errors->text, sizeof errors->text, "%s: %s", path, strerror(-r));
        return r;
}

static int load(const char *path, struct program **ret) {
        struct ini_errors errors = {};
        int r = load_errors(path, ret, &errors);
        if (r < 0)
                fprintf(stderr, "%s\n", errors.text);
        return r;
}

/* A copy of the file alone in a new directory: the whole chair's program library loads it
 * from there. */
static int stage(const char *path, const struct program *p, char *dir, size_t dir_size, char *file, size_t file_size) {
        const char *tmp = getenv("TMPDIR");
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r;

        char err[256];

        r = read_untrusted_file(AT_FDCWD, path, path, PROFILE_FILE_MAX, UNTRUSTED_TEXT, &text, &len, err, sizeof err);
        if (r < 0)
                return r;
        snprintf(dir, dir_size, "%s/chairctl-check-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(dir))
                return -errno;
        snprintf(file, file_size, "%s/%.64s.ini", dir, p->id);
        r = write_file_atomic(file, text, len, 0644);
        if (r < 0)
                rmdir(dir);
        return r;
}

/* The program on the whole chair in virtual time (tests/vt/vt-program.h: the real session,
 * scheduler and supervisor on the simulated chair) at every intensity, at the default length
 * (the timer at 30 min) on the reference person: every fault or limit it would hit, named by
 * the FILE:LINE of the step running then. Returns how many runs hit something. */
static unsigned check_runs(const char *path, const struct program *p, uint32_t *ret_planned_ms) {
        char dir[PATH_MAX], file[PATH_MAX + 80];
        unsigned bad = 0;
        int k;

        k = stage(path, p, dir, sizeof dir, file, sizeof file);
        if (k < 0) {
                fprintf(stderr, "%s: cannot stage it for the virtual-time run: %s\n", path, strerror(-k));
                return 1;
        }
        for (uint32_t intensity = 1; intensity <= 5; intensity++) {
                struct vt_program_result r;
                k = vt_program_run(&(struct vt_program_options) { .program = p->id, .profiles_dir = dir,
                                                                  .intensity = intensity, .log_level = LOG_ALERT },
                                   &r);
                if (k < 0) {
                        fprintf(stderr, "%s: cannot run at intensity %u: %s\n", path, intensity, strerror(-k));
                        bad++;
                        continue;
                }
                if (intensity == p->intensity)
                        *ret_planned_ms = r.planned_ms;
                for (unsigned f = 0; f < r.n_faults; f++) {
                        const struct vt_program_fault *v = &r.faults[f];
                        unsigned line = v->step >= 0 && (size_t) v->step < p->n_steps ? p->steps[v->step].line : 1;
                        fprintf(stderr, "%s:%u: at intensity %u, %llu s in: %s: %s\n", path, line, intensity,
                                (unsigned long long) (v->at_ms / 1000), v->code, v->message);
                }
                if (r.refused)
                        fprintf(stderr, "%s:1: at intensity %u: refused: %s\n", path, intensity, r.refusal);
                else if (!r.n_faults && (!r.idle || strcmp(r.finished, "completed") != 0))
                        fprintf(stderr, "%s:1: at intensity %u: the session went %s, ended %s\n", path, intensity,
                                r.states, r.finished[0] ? r.finished : "never");
                bad += r.refused || r.n_faults || !r.idle || strcmp(r.finished, "completed") != 0;
        }
        unlink(file);
        rmdir(dir);
        return bad;
}

static int check(int argc, char **argv, int json) {
        struct json j = { .f = stdout, .pretty = json == 2 };
        int bad = 0;
        if (argc < 3) {
                fprintf(stderr, "chairctl: profile check FILE...\n");
                return EXIT_USAGE;
        }
        if (json)
                json_begin_array(&j, NULL);
        for (int i = 2; i < argc; i++) {
                struct ini_errors errors = {};
                struct program *p = NULL;
                uint32_t planned_ms = 0;
                int r = load_errors(argv[i], &p, &errors);
                /* A valid program then runs in virtual time: its faults are errors too. */
                bool ran_ok = r >= 0 && check_runs(argv[i], p, &planned_ms) == 0;
                bad += !ran_ok;
                if (json) {
                        /* One object per file; the errors one a line as the text output has them. */
                        json_begin_object(&j, NULL);
                        json_str(&j, "file", argv[i]);
                        json_bool(&j, "ok", ran_ok);
                        if (r >= 0) {
                                json_str(&j, "id", p->id);
                                json_uint(&j, "steps", p->n_steps);
                                json_uint(&j, "length_s", profile_natural_length_s(p));
                                json_uint(&j, "planned_s", planned_ms / 1000);
                        } else {
                                json_begin_array(&j, "errors");
                                for (char *save = NULL, *e = strtok_r(errors.text, "\n", &save); e;
                                     e = strtok_r(NULL, "\n", &save))
                                        json_str(&j, NULL, e);
                                json_end_array(&j);
                        }
                        json_end_object(&j);
                } else if (r < 0)
                        fprintf(stderr, "%s\n", errors.text);
                else if (ran_ok)
                        printf("%s: ok (%s, %zu steps, %u:%02u planned at the default length of %u:%02u, %u s as "
                               "written; intensity 1-5 run in virtual time with no fault)\n",
                               argv[i], p->id, p->n_steps, planned_ms / 60000, planned_ms / 1000 % 60,
                               p->duration_s / 60, p->duration_s % 60, profile_natural_length_s(p));
                free(p);
        }
        if (json)
                json_end_array(&j);
        return bad ? EXIT_CALL_FAILED : 0;
}

static void describe_position(const struct profile_step *s, char *buf, size_t size) {
        if (s->technique == TECH_NONE)
                snprintf(buf, size, "-");
        else if (s->is_range)
                snprintf(buf, size, "%.2f..%.2f", s->from, s->to);
        else
                snprintf(buf, size, "%.2f", s->from);
}

/* A step's posture and leg work as its keys give them (docs/profiles.md): "zero-gravity-1" or
 * "recline:70%,legrest:10%", and "feet:-40%,calf:30%"; "-" when the step gives none. */
static bool step_moves_posture(const struct profile_step *s) {
        return s->posture != PROFILE_UNSET || s->recline != PROFILE_UNSET || s->legrest != PROFILE_UNSET ||
               s->foot_rollers != PROFILE_UNSET || s->calf_knead != PROFILE_UNSET;
}

static void describe_posture(const struct profile_step *s, char *buf, size_t size) {
        const char *preset = s->posture != PROFILE_UNSET ? posture_preset_to_string((enum posture_preset) s->posture) : NULL;

        snprintf(buf, size, "%s", s->posture != PROFILE_UNSET ? preset ?: "?" : "");
        if (s->recline != PROFILE_UNSET)
                snprintf(buf + strlen(buf), size - strlen(buf), "%srecline:%d%%", buf[0] ? "," : "", s->recline / 10);
        if (s->legrest != PROFILE_UNSET)
                snprintf(buf + strlen(buf), size - strlen(buf), "%slegrest:%d%%", buf[0] ? "," : "", s->legrest / 10);
        if (!buf[0])
                snprintf(buf, size, "-");
}

static void describe_legs(const struct profile_step *s, char *buf, size_t size) {
        buf[0] = 0;
        if (s->foot_rollers != PROFILE_UNSET)
                snprintf(buf, size, "feet:%d%%", s->foot_rollers);
        if (s->calf_knead != PROFILE_UNSET)
                snprintf(buf + strlen(buf), size - strlen(buf), "%scalf:%d%%", buf[0] ? "," : "", s->calf_knead);
        if (!buf[0])
                snprintf(buf, size, "-");
}

static int show(int argc, char **argv, int json) {
        struct json j = { .f = stdout, .pretty = json == 2 };
        struct program *p = NULL;
        struct timeline t = {};
        uint32_t counts[PROFILE_MAX_STEPS] = {}, totals[PROFILE_MAX_STEPS] = {};
        bool posture = false;
        int r;

        if (argc != 3) {
                fprintf(stderr, "chairctl: profile show FILE\n");
                return EXIT_USAGE;
        }
        if (load(argv[2], &p) < 0)
                return EXIT_CALL_FAILED;
        r = planner_plan(p, &reference, &t);
        if (r < 0) {
                fprintf(stderr, "chairctl: cannot plan %s: %s\n", argv[2], strerror(-r));
                free(p);
                return EXIT_CALL_FAILED;
        }
        /* The posture and leg columns only for a program that has such work. */
        for (size_t k = 0; k < p->n_steps; k++)
                posture |= step_moves_posture(&p->steps[k]);
        if (json) {
                json_begin_object(&j, NULL);
                json_str(&j, "file", argv[2]);
                json_str(&j, "id", p->id);
                json_str(&j, "name", p->name);
                json_str(&j, "description", p->description);
                json_uint(&j, "default_duration_s", p->duration_s);
                json_uint(&j, "planned_ms", t.duration_ms);
                json_begin_array(&j, "steps");
        } else {
                printf("%s: %s (id %s)\n%s\n", argv[2], p->name, p->id, p->description);
                printf("Default %u:%02u at intensity %u; areas:", p->duration_s / 60, p->duration_s % 60, p->intensity);
                for (size_t i = 0; i < p->n_areas; i++)
                        printf(" %s", p->areas[i]);
                if (p->n_excluded_by) {
                        printf("; not for:");
                        for (size_t i = 0; i < p->n_excluded_by; i++)
                                printf(" %s", p->excluded_by[i]);
                }
                printf("\nPlaced on a reference body (shoulder 620 mm, waist 220 mm, 800 mm track).\n\n");
                printf("%9s %9s  %-22s %-14s %-13s %5s %5s  %-18s ", "START", "LENGTH", "STEP", "TECHNIQUE", "POSITION",
                       "SPEED", "DEPTH", "AIR");
                if (posture)
                        printf("%-17s  %-25s %s\n", "HEAT", "POSTURE", "LEGS");
                else
                        printf("%s\n", "HEAT");
        }

        for (size_t i = 0; i < t.n_cmds; i++) {
                const struct timeline_cmd *c = &t.cmds[i];
                const struct profile_step *s;
                uint32_t next_at = t.duration_ms;
                char pos[32], air[64] = "", heat[32] = "", moves[48], legs[32];

                if (c->channel != TL_STEP || (size_t) c->arg >= p->n_steps)
                        continue;
                s = &p->steps[c->arg];
                for (size_t k = i + 1; k < t.n_cmds; k++)
                        if (t.cmds[k].channel == TL_STEP) {
                                next_at = t.cmds[k].at_ms;
                                break;
                        }
                counts[c->arg]++;
                totals[c->arg] += next_at - c->at_ms;
                describe_position(s, pos, sizeof pos);
                describe_posture(s, moves, sizeof moves);
                describe_legs(s, legs, sizeof legs);
                for (unsigned z = 0; z < _CHAIR_AIR_ZONE_MAX; z++)
                        if (s->air_zones & (1u << z))
                                snprintf(air + strlen(air), sizeof air - strlen(air), "%s%s", air[0] ? "," : "",
                                         chair_air_zone_name(z));
                for (unsigned z = 0; z < _CHAIR_HEAT_ZONE_MAX; z++)
                        if (s->heat[z] != UINT32_MAX)
                                snprintf(heat + strlen(heat), sizeof heat - strlen(heat), "%s%s:%u", heat[0] ? "," : "",
                                         chair_heat_zone_name(z), s->heat[z]);
                if (json) {
                        json_begin_object(&j, NULL);
                        json_uint(&j, "start_ms", c->at_ms);
                        json_uint(&j, "length_ms", next_at - c->at_ms);
                        json_str(&j, "step", s->name);
                        json_str(&j, "technique", roller_technique_name(s->technique));
                        json_str(&j, "position", pos);
                        json_uint(&j, "speed", s->speed);
                        json_uint(&j, "depth", s->depth);
                        json_str(&j, "air", air);
                        json_str(&j, "heat", heat);
                        /* The step's own keys, each only when it gives it: a preset's name, percent. */
                        if (s->posture != PROFILE_UNSET)
                                json_str(&j, "posture", posture_preset_to_string((enum posture_preset) s->posture) ?: "?");
                        if (s->recline != PROFILE_UNSET)
                                json_int(&j, "recline", s->recline / 10);
                        if (s->legrest != PROFILE_UNSET)
                                json_int(&j, "legrest", s->legrest / 10);
                        if (s->foot_rollers != PROFILE_UNSET)
                                json_int(&j, "foot_rollers", s->foot_rollers);
                        if (s->calf_knead != PROFILE_UNSET)
                                json_int(&j, "calf_knead", s->calf_knead);
                        json_end_object(&j);
                        continue;
                }
                printf("%5u:%02u.%u %6u.%us  %-22s %-14s %-13s %5u %5u  %-18s ", c->at_ms / 60000, c->at_ms / 1000 % 60,
                       c->at_ms / 100 % 10, (next_at - c->at_ms) / 1000, (next_at - c->at_ms) / 100 % 10, s->name,
                       roller_technique_name(s->technique), pos, s->speed, s->depth, air[0] ? air : "-");
                if (posture)
                        printf("%-17s  %-25s %s\n", heat[0] ? heat : "-", moves, legs);
                else
                        printf("%s\n", heat[0] ? heat : "-");
        }
        if (json) {
                json_end_array(&j);
                json_end_object(&j);
                timeline_done(&t);
                free(p);
                return 0;
        }
        printf("\nTotals per step:\n");
        for (size_t k = 0; k < p->n_steps; k++)
                printf("  %-22s played %2u times, %4u s\n", p->steps[k].name, counts[k], totals[k] / 1000);
        printf("In all: %u:%02u, %zu commands.\n", t.duration_ms / 60000, t.duration_ms / 1000 % 60, t.n_cmds);
        timeline_done(&t);
        free(p);
        return 0;
}

static int plot(int argc, char **argv) {
        const char *file = NULL, *out = NULL;
        struct program *p = NULL;
        struct timeline t = {};
        char *svg = NULL;
        size_t svg_len = 0;
        FILE *f;
        int r;

        for (int i = 2; i < argc; i++) {
                if ((strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) && i + 1 < argc)
                        out = argv[++i];
                else if (!file)
                        file = argv[i];
                else
                        file = NULL, i = argc;
        }
        if (!file || !out) {
                fprintf(stderr, "chairctl: profile plot FILE -o OUT.svg|- (- writes to stdout)\n");
                return EXIT_USAGE;
        }
        if (load(file, &p) < 0)
                return EXIT_CALL_FAILED;
        r = planner_plan(p, &reference, &t);
        if (r < 0) {
                fprintf(stderr, "chairctl: cannot plan %s: %s\n", file, strerror(-r));
                free(p);
                return EXIT_CALL_FAILED;
        }
        /* Drawn in memory, then written like every file of the project (common/atomic-file.h):
         * never through a link, never half a file; "-" is stdout. */
        f = open_memstream(&svg, &svg_len);
        if (!f) {
                r = -errno;
                fprintf(stderr, "chairctl: cannot draw %s: %s\n", out, strerror(-r));
        } else {
                profile_plot_svg(p, &t, &reference.scan, reference.track_length_mm, f);
                if (fclose(f) != 0)
                        r = -errno;
                else if (strcmp(out, "-") == 0)
                        r = fwrite(svg, 1, svg_len, stdout) == svg_len && fflush(stdout) == 0 ? 0 : -EIO;
                else
                        r = write_file_atomic(out, svg, svg_len, 0644);
                if (r < 0)
                        fprintf(stderr, "chairctl: cannot write %s: %s\n", out, strerror(-r));
                else if (strcmp(out, "-") != 0)
                        printf("%s: %s, %u:%02u, written to %s\n", file, p->name, t.duration_ms / 60000,
                               t.duration_ms / 1000 % 60, out);
                free(svg);
        }
        timeline_done(&t);
        free(p);
        return r < 0 ? EXIT_CALL_FAILED : 0;
}

int chairctl_profile_command(int argc, char **argv, int json) {
        if (argc >= 2 && strcmp(argv[1], "check") == 0)
                return check(argc, argv, json);
        if (argc >= 2 && strcmp(argv[1], "show") == 0)
                return show(argc, argv, json);
        if (json) {
                fprintf(stderr, "chairctl: --json applies to profile check and show. Try 'chairctl --help'.\n");
                return EXIT_USAGE;
        }
        if (argc >= 2 && strcmp(argv[1], "plot") == 0)
                return plot(argc, argv);
        fprintf(stderr, "chairctl: profile check FILE... | show FILE | plot FILE -o OUT.svg | upload FILE\n");
        return EXIT_USAGE;
}

int chairctl_profile_upload(sd_bus *bus, int argc, char **argv) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        char *text = NULL, name[256], err[512];
        size_t len;
        int r;

        if (argc != 3) {
                fprintf(stderr, "chairctl: profile upload FILE\n");
                return EXIT_USAGE;
        }
        /* The daemon's reader and bound: a FIFO or a device is refused, not waited on. */
        r = read_untrusted_file(AT_FDCWD, argv[2], argv[2], UPLOAD_MAX, UNTRUSTED_TEXT, &text, &len, err, sizeof err);
        if (r < 0) {
                fprintf(stderr, "chairctl: %s\n", err);
                return EXIT_CALL_FAILED;
        }
        snprintf(name, sizeof name, "%s", argv[2]);
        r = sd_bus_call_method(bus, CHAIR_BUS_NAME, CHAIR_OBJECT_PATH, CHAIR_SERVICE_INTERFACE, "UploadProfile", &error,
                               NULL, "ss", basename(name), text);
        free(text);
        if (r < 0) {
                r = client_report_error(&error, r);
                sd_bus_error_free(&error);
                return r;
        }
        printf("Uploaded %s; the daemon has reloaded its programs.\n", argv[2]);
        return 0;
}
