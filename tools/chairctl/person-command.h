/* SPDX-License-Identifier: MIT */
/* chairctl's verbs for the people (docs/people.md): person list|show|create|..., assess,
 * recommend, and rate (with pain per area); the person's objects are named by NAME, "guest"
 * being the guest. Also the words their help, man page and completion use, from the one
 * table of person commands. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-bus.h>

struct person_output {
        int json;         /* 0 off, 1 short, 2 pretty */
        bool no_legend;
        unsigned columns; /* 0: no limit */
};

/* argv[0] is the verb: person, assess, recommend or rate. Returns the exit code. With BUS NULL
 * it only checks the arguments (0: fine), so usage errors are told before a bus is tried. */
int chairctl_people_command(sd_bus *bus, const struct person_output *o, int argc, char **argv);

/* The object path of the person called NAME ("guest": the guest; NULL: the active person)
 * into PATH. On failure says why and returns the exit code (> 0), else 0. */
int person_find(sd_bus *bus, const char *name, char *path, size_t size);

/* precautions [list | set CONDITION... | clear] --person NAME (Person.GetConditions and
 * SetConditions) and history [--max N] --person NAME (Person.GetHistory): argv[0] is the verb.
 * They are these when person_option_given(): --person among ARGV. Returns the exit code. */
bool person_option_given(int argc, char **argv);
int person_precautions(sd_bus *bus, const struct person_output *o, int argc, char **argv);
int person_history(sd_bus *bus, const struct person_output *o, int argc, char **argv);

/* The person commands from their table, SEP between them: names only, or each with its
 * arguments (for the help and the man page). */
const char *person_commands_join(const char *sep, char *buf, size_t size);
const char *person_usage_join(const char *sep, char *buf, size_t size);

/* Completion of the verbs above (and of the NAME after precautions', history's and report's
 * --person): true when VERB is one of them; *ret_src is then the source of
 * the next word (NULL: none): a completion source of chairctl.c (@people, @area=pain, a
 * vocabulary's @NAME, @files or plain words). ARGV: the words after the verb; POS: how many
 * of them are positional; PREV: the word before the one completed (or NULL). */
bool person_complete(const char *verb, int argc, char **argv, int pos, const char *prev, const char **ret_src);
/* The options of these verbs that take a value (their value is no positional argument). */
bool person_option_takes_value(const char *opt);
/* @people: each person's name, one a line (nothing when BUS is NULL or does not answer).
 * @area=pain: each pain area as "AREA=". */
void person_print_names(sd_bus *bus);
void person_print_area_words(void);
