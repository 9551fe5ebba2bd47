/* SPDX-License-Identifier: MIT */
/*
 * The catalog: shipped programs first, then the technicians' overrides, a later file with the
 * same id replacing an earlier one. A broken file never takes the others down: a broken
 * override keeps the shipped program, and the reason is reported. A running session never
 * sees a reload: it planned its own timeline at start.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic-file.h"
#include "log.h"
#include "macro.h"
#include "planner.h"
#include "precautions.h"
#include "profile.h"
#include "program-library.h"
#include "strv.h"
#include "untrusted-file.h"

#define MAX_PROGRAMS PROGRAM_LIBRARY_GLOBAL_MAX
#define MAX_PERSON PROGRAM_LIBRARY_PERSON_MAX
#define MAX_DIR_ENTRIES 256

struct entry {
        struct program *program;
        bool override;
        bool person;               /* one person's own */
        const char *areas[PROFILE_MAX_LIST + 1];
        const char *excluded_by[PROFILE_MAX_LIST + 1];
};

/* One person's programs, in file name order. */
struct person_set {
        struct entry entries[MAX_PERSON];
        size_t n;
};

struct program_library {
        char shipped_dir[256], override_dir[256];
        struct entry entries[MAX_PROGRAMS];
        size_t n;
        char person_dir[256];      /* the active person's programs; "" for nobody's */
        struct person_set person;
        const char *precaution_names[64];
        const char *precaution_effects[64];
};

/* Also makes every string a summary hands out valid UTF-8, once per entry: the loader refuses
 * invalid files, and this keeps the promise for whatever it copied, so the bus appends them as
 * they are on every call (ListPrograms, GetProgram). */
static void set_pointers(struct entry *e) {
        size_t i;

        utf8_sanitize(e->program->id);
        utf8_sanitize(e->program->name);
        utf8_sanitize(e->program->description);
        for (i = 0; i < e->program->n_areas; i++)
                utf8_sanitize(e->program->areas[i]);
        for (i = 0; i < e->program->n_excluded_by; i++)
                utf8_sanitize(e->program->excluded_by[i]);
        for (i = 0; i < e->program->n_areas; i++)
                e->areas[i] = e->program->areas[i];
        e->areas[i] = NULL;
        for (i = 0; i < e->program->n_excluded_by; i++)
                e->excluded_by[i] = e->program->excluded_by[i];
        e->excluded_by[i] = NULL;
}

static int cmp_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static void add_error(char ***errors, size_t *n, const char *text) {
        char **l = realloc(*errors, (*n + 2) * sizeof *l);
        if (!l)
                return;
        *errors = l;
        if ((l[*n] = strdup(text)))
                (*n)++;
        l[*n] = NULL;
}

bool program_file_name_valid(const char *name) {
        size_t len = strlen(name);

        /* Portable names only (POSIX's portable filename character set): no look-alike
         * slashes, no control or invisible characters, no hidden files. */
        if (len < 5 || len > PROGRAM_FILE_NAME_MAX || name[0] == '.' || strcmp(name + len - 4, ".ini") != 0)
                return false;
        for (const char *c = name; *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '.' ||
                      *c == '_' || *c == '-'))
                        return false;
        return true;
}

static void add_errorf(char ***errors, size_t *n, const char *fmt, ...) _printf_(3, 4);
static void add_errorf(char ***errors, size_t *n, const char *fmt, ...) {
        char msg[sizeof ((struct ini_errors *) NULL)->text + 600];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        add_error(errors, n, msg);
}

static const struct entry *find_entry(struct program_library *lib, const char *id) {
        for (size_t i = 0; id && i < lib->n; i++)
                if (strcmp(lib->entries[i].program->id, id) == 0)
                        return &lib->entries[i];
        return NULL;
}

static const struct entry *find_in_set(const struct person_set *set, const char *id) {
        for (size_t i = 0; id && i < set->n; i++)
                if (strcmp(set->entries[i].program->id, id) == 0)
                        return &set->entries[i];
        return NULL;
}

/* The *.ini names of a directory, sorted (reloads are deterministic); a name that is not
 * portable is reported and left out. Returns how many are in NAMES (each to be freed). */
static size_t list_names(int dfd, const char *dir, char *names[static MAX_DIR_ENTRIES], char ***errors,
                         size_t *n_errors) {
        DIR *d = fdopendir(dup(dfd));
        struct dirent *de;
        size_t n = 0;

        if (!d) {
                add_errorf(errors, n_errors, "%s: cannot read the program directory: %s", dir, strerror(errno));
                return 0;
        }
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);
                if (len <= 4 || strcmp(de->d_name + len - 4, ".ini") != 0 || de->d_name[0] == '.')
                        continue;
                if (!program_file_name_valid(de->d_name)) {
                        add_errorf(errors, n_errors, "%s/%s: ignored: a file name uses A-Z, a-z, 0-9, '.', '_' and '-' "
                                   "only (at most %d characters)", dir, de->d_name, PROGRAM_FILE_NAME_MAX);
                        continue;
                }
                if (n == MAX_DIR_ENTRIES) {
                        add_errorf(errors, n_errors, "%s: more than %d program files; the rest is ignored", dir,
                                   MAX_DIR_ENTRIES);
                        break;
                }
                if ((names[n] = strdup(de->d_name)))
                        n++;
        }
        closedir(d);
        qsort(names, n, sizeof *names, cmp_names);
        return n;
}

/* Loads every *.ini of a directory, in name order. Nothing in it can block: a FIFO, a device, a
 * link or a directory named *.ini is refused unread, and in the overrides directory moved aside
 * so the next reload does not trip on it again. */
static void load_dir(struct program_library *lib, const char *dir, bool overrides, char ***errors, size_t *n_errors) {
        char *names[MAX_DIR_ENTRIES];
        size_t n;
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (dfd < 0) {
                if (errno != ENOENT || !overrides)
                        add_errorf(errors, n_errors, "%s: cannot read the program directory: %s", dir, strerror(errno));
                return;
        }
        n = list_names(dfd, dir, names, errors, n_errors);
        for (size_t i = 0; i < n; i++) {
                struct ini_errors errs = {};
                struct program *p = NULL;
                char path[600];
                size_t slot;
                int r;

                snprintf(path, sizeof path, "%s/%s", dir, names[i]);
                r = profile_load_at(dfd, names[i], path, &p, &errs);
                if (r < 0) {
                        add_errorf(errors, n_errors, "%s%s", errs.text,
                                   overrides ? " (the shipped program of that id, if any, stays in use)" : "");
                        if (untrusted_file_refused(r) && overrides)
                                move_aside_at(dfd, dir, names[i], "not a regular file of a profile's size");
                        free(names[i]);
                        continue;
                }
                free(names[i]);
                for (slot = 0; slot < lib->n; slot++)
                        if (strcmp(lib->entries[slot].program->id, p->id) == 0)
                                break;
                if (slot < lib->n && lib->entries[slot].override == overrides) {
                        /* Two files of one directory, one id: which one is meant is a guess. */
                        add_errorf(errors, n_errors, "%s:1: program id '%s' is already the id of %s; this file is ignored",
                                   path, p->id, lib->entries[slot].program->path);
                        free(p);
                        continue;
                }
                if (slot == lib->n) {
                        if (lib->n == MAX_PROGRAMS) {
                                add_errorf(errors, n_errors, "%s: not listed: the library is full (%d programs)", path,
                                           MAX_PROGRAMS);
                                free(p);
                                continue;
                        }
                        lib->n++;
                } else {
                        free(lib->entries[slot].program);
                }
                lib->entries[slot].program = p;
                lib->entries[slot].override = overrides;
                set_pointers(&lib->entries[slot]);
        }
}

static void clear(struct program_library *lib) {
        for (size_t i = 0; i < lib->n; i++)
                free(lib->entries[i].program);
        lib->n = 0;
}

static void person_set_clear(struct person_set *set) {
        for (size_t i = 0; i < set->n; i++)
                free(set->entries[i].program);
        set->n = 0;
}

/* A person's directory: created 0700 when asked, opened never through a link. */
static int open_person_dir(const char *dir, bool create, int *ret_fd) {
        int fd;

        if (create && mkdir(dir, 0700) < 0 && errno != EEXIST)
                return -errno;
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ELOOP ? -ENOTDIR : -errno;
        *ret_fd = fd;
        return 0;
}

/* A person's programs, in name order, at most MAX_PERSON; as load_dir, a file that is not a
 * regular file (a planted link) is refused unread and moved aside. An id of a shipped or
 * technician program, or one this person has twice, is left out with the reason. */
static void load_person_dir(struct program_library *lib, int dfd, const char *dir, struct person_set *set,
                            char ***errors, size_t *n_errors) {
        char *names[MAX_DIR_ENTRIES];
        size_t n = list_names(dfd, dir, names, errors, n_errors);

        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ struct program *p = NULL;
                struct ini_errors errs = {};
                const struct entry *e;
                char path[600];
                int r;

                snprintf(path, sizeof path, "%s/%s", dir, names[i]);
                r = profile_load_at(dfd, names[i], path, &p, &errs);
                if (r < 0) {
                        add_errorf(errors, n_errors, "%s", errs.text);
                        if (untrusted_file_refused(r))
                                move_aside_at(dfd, dir, names[i], "not a regular file of a profile's size");
                } else if ((e = find_entry(lib, p->id)) || (e = find_in_set(set, p->id))) {
                        add_errorf(errors, n_errors, "%s:1: program id '%s' is already the id of %s; this file is ignored",
                                   path, p->id, e->program->path);
                } else if (set->n == MAX_PERSON) {
                        add_errorf(errors, n_errors, "%s: not listed: a person has at most %d programs", path, MAX_PERSON);
                } else {
                        set->entries[set->n].program = p;
                        p = NULL;
                        set->entries[set->n].override = false;
                        set->entries[set->n].person = true;
                        set_pointers(&set->entries[set->n++]);
                }
                free(names[i]);
        }
}

static int load_person(struct program_library *lib, const char *dir, struct person_set *set, char ***errors,
                       size_t *n_errors) {
        _cleanup_close_ int dfd = -EBADF;
        int r;

        person_set_clear(set);
        r = open_person_dir(dir, false, &dfd);
        if (r == -ENOENT)
                return 0;  /* nothing installed yet */
        if (r < 0) {
                add_errorf(errors, n_errors, "%s: cannot read the person's programs: %s", dir, strerror(-r));
                return r;
        }
        load_person_dir(lib, dfd, dir, set, errors, n_errors);
        return 0;
}

static void log_errors(char **errors) {
        for (char **e = errors; e && *e; e++)
                log_warning("%s", *e);
        strv_free(errors);
}

int program_library_new(const char *shipped_dir, const char *override_dir, struct program_library **ret) {
        struct program_library *lib = calloc(1, sizeof *lib);
        const struct precaution *list;
        size_t n;

        if (!lib)
                return -ENOMEM;
        snprintf(lib->shipped_dir, sizeof lib->shipped_dir, "%s", shipped_dir);
        snprintf(lib->override_dir, sizeof lib->override_dir, "%s", override_dir);
        list = precaution_list(&n);
        for (size_t i = 0; i < n && i + 1 < ARRAY_SIZE(lib->precaution_names); i++) {
                lib->precaution_names[i] = list[i].name;
                lib->precaution_effects[i] = list[i].effect;
        }
        *ret = lib;
        return 0;
}

void program_library_free(struct program_library *lib) {
        if (!lib)
                return;
        clear(lib);
        person_set_clear(&lib->person);
        free(lib);
}

int program_library_reload(struct program_library *lib, char ***ret_errors) {
        char **errors = NULL;
        size_t n_errors = 0;

        clear(lib);
        load_dir(lib, lib->shipped_dir, false, &errors, &n_errors);
        load_dir(lib, lib->override_dir, true, &errors, &n_errors);
        /* After them: a technician's new program takes its id from a person's. */
        if (lib->person_dir[0])
                (void) load_person(lib, lib->person_dir, &lib->person, &errors, &n_errors);
        else
                person_set_clear(&lib->person);
        if (!errors)
                errors = calloc(1, sizeof *errors);
        *ret_errors = errors;
        return n_errors ? -EINVAL : 0;
}

void program_library_free_errors(char **errors) {
        strv_free(errors);
}

size_t program_library_count(struct program_library *lib) {
        return lib->n + lib->person.n;
}

static void summarize(const struct entry *e, struct program_summary *ret) {
        *ret = (struct program_summary) {
                .person = e->person,
                .id = e->program->id,
                .name = e->program->name,
                .description = e->program->description,
                .duration_s = e->program->duration_s,
                .intensity = e->program->intensity,
                .areas = e->areas,
                .precautions = e->excluded_by,
        };
}

int program_library_get(struct program_library *lib, size_t index, struct program_summary *ret) {
        if (index < lib->n)
                summarize(&lib->entries[index], ret);
        else if (index - lib->n < lib->person.n)
                summarize(&lib->person.entries[index - lib->n], ret);
        else
                return -ENOENT;
        return 0;
}

/* What a session may start: the catalog, then the active person's own. */
static const struct entry *find(struct program_library *lib, const char *id) {
        return find_entry(lib, id) ?: find_in_set(&lib->person, id);
}

int program_library_find(struct program_library *lib, const char *id, struct program_summary *ret) {
        const struct entry *e = find(lib, id);
        if (!e)
                return -ENOENT;
        summarize(e, ret);
        return 0;
}

int program_library_check(struct program_library *lib, const char *id, const char *const *precautions,
                          char *ret_reason, size_t reason_size) {
        const struct entry *e = find(lib, id);
        struct precaution_caps caps;
        return precautions_evaluate(precautions, e ? e->program : NULL, &caps, ret_reason, reason_size);
}

int program_library_heat_allowed(struct program_library *lib, const char *const *precautions, char *ret_reason,
                                 size_t reason_size) {
        struct precaution_caps caps;
        int r = precautions_evaluate(precautions, NULL, &caps, ret_reason, reason_size);
        if (r < 0)
                return r;
        for (const char *const *c = precautions; c && *c; c++) {
                const struct precaution *p = precaution_find(*c);
                if (p && p->no_heat) {
                        snprintf(ret_reason, reason_size, "No heat with the declared condition '%s' (%s)", p->name, p->effect);
                        return -EPERM;
                }
        }
        return 0;
}

int program_library_steps(struct program_library *lib, const char *id, struct program_step_name *ret, size_t max) {
        const struct entry *e = find(lib, id);
        size_t n;

        if (!e)
                return -ENOENT;
        n = MIN(e->program->n_steps, max);
        for (size_t i = 0; i < n; i++) {
                snprintf(ret[i].name, sizeof ret[i].name, "%s", e->program->steps[i].name);
                ret[i].technique = e->program->steps[i].technique;
        }
        return (int) n;
}

int program_library_plan(struct program_library *lib, const char *id, const struct plan_request *req,
                         struct timeline **ret, char *ret_error, size_t error_size) {
        const struct entry *e = find(lib, id);
        struct plan_options o = {
                .intensity = req->intensity,
                .duration_s = req->duration_s,
                .scan = req->scan,
                .track_length_mm = req->track_length_mm,
                .no_heat = !req->heat,
                .caps_given = true,
                .focus_areas = req->focus_areas,
        };
        struct timeline *t;
        int r;

        if (!e) {
                snprintf(ret_error, error_size, "no program '%s'", id);
                return -ENOENT;
        }
        r = req->declared ? precautions_evaluate_declared(req->declared, e->program, &o.caps, ret_error, error_size)
                          : precautions_evaluate(req->precautions, e->program, &o.caps, ret_error, error_size);
        if (r < 0)
                return r;
        t = calloc(1, sizeof *t);
        if (!t)
                return -ENOMEM;
        r = planner_plan(e->program, &o, t);
        if (r < 0) {
                snprintf(ret_error, error_size, "planning %s failed: %s", id, strerror(-r));
                free(t);
                return r;
        }
        *ret = t;
        return 0;
}

int program_library_validate(struct program_library *lib, const char *filename, const char *text,
                             char *ret_errors, size_t errors_size) {
        struct ini_errors errs = {};
        struct program *p = NULL;
        int r = profile_load_text(filename, text, strlen(text), &p, &errs);

        if (r < 0) {
                snprintf(ret_errors, errors_size, "%s", errs.text);
                return r;
        }
        free(p);
        return 0;
}

/* An upload's file name and text, by the rules of a reload (size first, then the parser): one
 * check for a technician's upload and a person's. */
static int validate_upload(const char *filename, const char *text, size_t len, struct program **ret,
                           char *ret_errors, size_t errors_size) {
        struct ini_errors errs = {};
        int r;

        if (!program_file_name_valid(filename)) {
                snprintf(ret_errors, errors_size, "filename must be NAME.ini of A-Z, a-z, 0-9, '.', '_' and '-' (at most "
                         "%d characters, not starting with '.'), not '%s'", PROGRAM_FILE_NAME_MAX, filename);
                return -EINVAL;
        }
        r = profile_load_text(filename, text, len, ret, &errs);
        if (r < 0) {
                snprintf(ret_errors, errors_size, "%s", errs.text);
                return r == -EFBIG ? r : -EINVAL;
        }
        return 0;
}

int program_library_upload(struct program_library *lib, const char *filename, const char *text, size_t len,
                           char *ret_errors, size_t errors_size) {
        _cleanup_close_ int dfd = -EBADF;
        _cleanup_free_ struct program *p = NULL;
        const struct entry *e;
        int r;

        r = validate_upload(filename, text, len, &p, ret_errors, errors_size);
        if (r < 0)
                return r;
        e = find_entry(lib, p->id);
        if (e && e->override) {
                const char *slash = strrchr(e->program->path, '/');
                if (strcmp(slash ? slash + 1 : e->program->path, filename) != 0) {
                        snprintf(ret_errors, errors_size, "%s: program id '%s' is already the id of %s", filename, p->id,
                                 e->program->path);
                        return -EEXIST;
                }
        }
        if (!e && lib->n >= MAX_PROGRAMS) {
                snprintf(ret_errors, errors_size, "The library is full (%d programs): remove one before adding '%s'",
                         MAX_PROGRAMS, p->id);
                return -ENOSPC;
        }
        if (mkdir(lib->override_dir, 0755) < 0 && errno != EEXIST) {
                r = -errno;
                snprintf(ret_errors, errors_size, "Could not create %s: %s", lib->override_dir, strerror(-r));
                return r;
        }
        dfd = open(lib->override_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0) {
                r = -errno;
                snprintf(ret_errors, errors_size, "Could not open %s: %s", lib->override_dir, strerror(-r));
                return r;
        }
        r = write_file_atomic_at(dfd, filename, text, len, 0644);
        if (r < 0) {
                snprintf(ret_errors, errors_size, "Could not store %s/%s: %s", lib->override_dir, filename, strerror(-r));
                return r;
        }
        return 0;
}

static const char *base_name(const char *path) {
        const char *slash = strrchr(path, '/');
        return slash ? slash + 1 : path;
}

int program_library_set_person(struct program_library *lib, const char *dir) {
        char **errors = NULL;
        size_t n_errors = 0;
        int r;

        if (!dir) {
                lib->person_dir[0] = 0;
                person_set_clear(&lib->person);
                return 0;
        }
        if (strlen(dir) >= sizeof lib->person_dir)
                return -ENAMETOOLONG;
        snprintf(lib->person_dir, sizeof lib->person_dir, "%s", dir);
        r = load_person(lib, dir, &lib->person, &errors, &n_errors);
        log_errors(errors);
        return r;
}

static bool is_active_person(struct program_library *lib, const char *dir) {
        return lib->person_dir[0] && strcmp(lib->person_dir, dir) == 0;
}

int program_library_install_person(struct program_library *lib, const char *dir, const char *filename,
                                   const char *text, size_t len, uint32_t intensity_cap, char *ret_errors,
                                   size_t errors_size) {
        _cleanup_(person_set_clear) struct person_set set = {};
        _cleanup_close_ int dfd = -EBADF;
        _cleanup_free_ struct program *p = NULL;
        char **errors = NULL;
        size_t n_errors = 0;
        const struct entry *e;
        bool replaces = false;
        int r;

        r = validate_upload(filename, text, len, &p, ret_errors, errors_size);
        if (r < 0)
                return r;
        e = find_entry(lib, p->id);
        if (e) {
                snprintf(ret_errors, errors_size, "%s: program id '%s' is already the id of %s (shipped and technician "
                         "programs keep their ids): choose another id", filename, p->id, e->program->path);
                return -EEXIST;
        }
        /* The caps and conditions clamp a session at its start as for any program; the file's own
         * default must already be within the person's cap, so what they installed is what runs. */
        if (p->intensity > intensity_cap) {
                snprintf(ret_errors, errors_size, "%s: the program's default intensity %u is above this person's "
                         "intensity cap (%u): lower 'intensity' in [program] to at most %u", filename, p->intensity,
                         intensity_cap, intensity_cap);
                return -EPERM;
        }
        r = open_person_dir(dir, true, &dfd);
        if (r < 0) {
                snprintf(ret_errors, errors_size, "Could not open %s: %s", dir, strerror(-r));
                return r;
        }
        load_person_dir(lib, dfd, dir, &set, &errors, &n_errors);
        strv_free(errors);
        for (size_t i = 0; i < set.n; i++) {
                bool same_file = strcmp(base_name(set.entries[i].program->path), filename) == 0;
                if (same_file)
                        replaces = true;
                else if (strcmp(set.entries[i].program->id, p->id) == 0) {
                        snprintf(ret_errors, errors_size, "%s: program id '%s' is already the id of this person's %s",
                                 filename, p->id, base_name(set.entries[i].program->path));
                        return -EEXIST;
                }
        }
        if (!replaces && set.n >= MAX_PERSON) {
                snprintf(ret_errors, errors_size, "This person has %d programs, the most one person may have: remove "
                         "one before adding '%s'", MAX_PERSON, p->id);
                return -ENOSPC;
        }
        r = write_file_atomic_at(dfd, filename, text, len, 0600);
        if (r < 0) {
                snprintf(ret_errors, errors_size, "Could not store %s/%s: %s", dir, filename, strerror(-r));
                return r;
        }
        log_info("Program '%s' installed for one person as %s/%s.", p->id, dir, filename);
        if (is_active_person(lib, dir))
                (void) program_library_set_person(lib, dir);
        return 0;
}

int program_library_remove_person(struct program_library *lib, const char *dir, const char *id) {
        _cleanup_(person_set_clear) struct person_set set = {};
        _cleanup_close_ int dfd = -EBADF;
        char **errors = NULL;
        size_t n_errors = 0;
        const struct entry *e;
        int r;

        r = open_person_dir(dir, false, &dfd);
        if (r < 0)
                return r;
        load_person_dir(lib, dfd, dir, &set, &errors, &n_errors);
        strv_free(errors);
        e = find_in_set(&set, id);
        if (!e)
                return -ENOENT;
        if (unlinkat(dfd, base_name(e->program->path), 0) < 0)
                return -errno;
        log_info("Program '%s' of one person removed (%s).", id, e->program->path);
        if (is_active_person(lib, dir))
                (void) program_library_set_person(lib, dir);
        return 0;
}

int program_library_list_person(struct program_library *lib, const char *dir, program_library_list_fn fn,
                                void *userdata) {
        _cleanup_(person_set_clear) struct person_set set = {};
        char **errors = NULL;
        size_t n_errors = 0;
        int r;

        r = load_person(lib, dir, &set, &errors, &n_errors);
        strv_free(errors);
        if (r < 0)
                return r;
        for (size_t i = 0; fn && i < set.n; i++) {
                struct program_summary ps;
                summarize(&set.entries[i], &ps);
                fn(&ps, userdata);
        }
        return (int) set.n;
}

int program_library_precautions(struct program_library *lib, const char *const **ret_names,
                                const char *const **ret_effects) {
        *ret_names = lib->precaution_names;
        *ret_effects = lib->precaution_effects;
        return 0;
}
