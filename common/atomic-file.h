/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Writes PATH.tmp, fsyncs it, renames it over PATH and fsyncs the directory, so a crash or a
 * kill -9 leaves either the old file or the new one, never half of one. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
