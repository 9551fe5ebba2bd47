/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <string.h>

#include "bus-util.h"
#include "log.h"
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

static const char *row_name(const void *rows, size_t i, size_t stride) {
        return *(const char *const *) ((const char *) rows + i * stride);
}

int bus_resolve_getters(const sd_bus_vtable *vtable, const void *rows, size_t n, size_t stride,
                        sd_bus_property_get_t *get, const char *what) {
        for (size_t i = 0; i < n; i++) {
                get[i] = NULL;
                for (const sd_bus_vtable *v = vtable; v->type != _SD_BUS_VTABLE_END; v++)
                        if ((v->type == _SD_BUS_VTABLE_PROPERTY || v->type == _SD_BUS_VTABLE_WRITABLE_PROPERTY) &&
                            strcmp(v->x.property.member, row_name(rows, i, stride)) == 0)
                                get[i] = v->x.property.get;
                if (!get[i])
                        return log_error_errno(EINVAL, "No property %s in the %s vtable.", row_name(rows, i, stride),
                                               what);
        }
        /* And the other way: a property that says it emits changes but no mark announces. */
        for (const sd_bus_vtable *v = vtable; v->type != _SD_BUS_VTABLE_END; v++) {
                bool found = false;
                if (v->type != _SD_BUS_VTABLE_PROPERTY || !(v->flags & SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE))
                        continue;
                for (size_t i = 0; i < n && !found; i++)
                        found = strcmp(v->x.property.member, row_name(rows, i, stride)) == 0;
                if (!found)
                        return log_error_errno(EINVAL, "%s property %s emits changes but no change mark announces it.",
                                               what, v->x.property.member);
        }
        return 0;
}
