/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic-file.h"
#include "macro.h"

static int write_all(int fd, const char *p, size_t len) {
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -EIO;
                p += n;
                len -= (size_t) n;
        }
        return 0;
}

int write_file_atomic_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode) {
        char tmp[300];
        int fd = -EBADF, r = 0;

        if (!*name || strchr(name, '/'))
                return -EINVAL;
        /* A name nobody can plant in advance; O_EXCL refuses one that exists, a link too. */
        for (unsigned attempt = 0;; attempt++) {
                uint64_t rnd = 0;
                if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) < 0)
                        rnd = (uint64_t) getpid() << 20 ^ (uint64_t) attempt;
                if (snprintf(tmp, sizeof tmp, ".#%s.%016llx.tmp", name, (unsigned long long) rnd) >= (int) sizeof tmp)
                        return -ENAMETOOLONG;
                fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, mode);
                if (fd >= 0)
                        break;
                if (errno != EEXIST || attempt >= 16)
                        return -errno;
        }
        r = write_all(fd, data, len);
        if (r == 0 && (fchmod(fd, mode) < 0 || fsync(fd) < 0))
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
                r = -errno;
        if (r < 0) {
                unlinkat(dirfd, tmp, 0);
                return r;
        }
        /* The rename is durable once the directory is. */
        if (dirfd != AT_FDCWD)
                (void) fsync(dirfd);
        else if ((fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
                (void) fsync(fd);
                close(fd);
        }
        return 0;
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode) {
        _cleanup_close_ int dfd = -EBADF;
        char dir[4096];
        const char *slash = strrchr(path, '/');
        size_t n;

        if (!slash)
                return write_file_atomic_at(AT_FDCWD, path, data, len, mode);
        n = slash == path ? 1 : (size_t) (slash - path);
        if (n >= sizeof dir)
                return -ENAMETOOLONG;
        memcpy(dir, path, n);
        dir[n] = 0;
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        return write_file_atomic_at(dfd, slash + 1, data, len, mode);
}
