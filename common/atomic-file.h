/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Writes DATA to NAME in the directory DIRFD (AT_FDCWD: NAME is a path) without ever following a
 * symlink or truncating a file it did not create: a fresh temporary is made with
 * O_CREAT|O_EXCL|O_NOFOLLOW next to NAME, written, fsynced, renamed over NAME (renameat
 * replaces a link itself, never its target) and the directory fsynced, so a crash or a kill -9
 * leaves either the old file or the new one, never half of one. */
int write_file_atomic_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode);
/* The same for a path: its directory is opened with O_DIRECTORY first. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
