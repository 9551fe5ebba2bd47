/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "bus-util.h"
#include "macro.h"

static uint64_t fnv1a(const char *p, size_t n) {
        uint64_t h = 0xcbf29ce484222325ULL;
        for (size_t i = 0; i < n; i++)
                h = (h ^ (unsigned char) p[i]) * 0x100000001b3ULL;
        return h;
}

int bus_property_value_hash(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_property_get_t get, void *userdata, uint64_t *ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        FILE *f;
        int r;

        r = sd_bus_message_new_signal(bus, &m, path, interface, "Value");
        if (r < 0)
                return r;
        r = get(bus, path, interface, property, m, userdata, &error);
        if (r < 0)
                return r;
        r = sd_bus_message_seal(m, 1, 0);
        if (r < 0)
                return r;
        f = open_memstream(&text, &size);
        if (!f)
                return -ENOMEM;
        r = sd_bus_message_dump(m, f, 0);
        if (fclose(f) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0)
                return r;
        *ret = fnv1a(text, size);
        return 0;
}
