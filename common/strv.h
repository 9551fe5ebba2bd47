/* SPDX-License-Identifier: MIT */
/* NULL-terminated string lists, as systemd's strv. */
#pragma once

#include <stdlib.h>

#include "macro.h"

static inline char **strv_free(char **l) {
        for (char **p = l; p && *p; p++)
                free(*p);
        free(l);
        return NULL;
}
DEFINE_POINTER_CLEANUP(char *, strv_free)
#define _cleanup_strv_free_ _cleanup_(strv_freep)
