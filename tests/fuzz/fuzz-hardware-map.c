/* SPDX-License-Identifier: MIT */
/* libFuzzer target: any bytes through the hardware-map loader. Nothing may crash, leak or hang,
 * and every error must name the file. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hardware-map.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static struct hardware_map map;
        char error[4096];
        int r;

        r = hardware_map_load_text("fuzz.conf", (const char *) data, size, &map, error, sizeof error);
        if (r < 0 && strncmp(error, "fuzz.conf:", 10) != 0)
                abort();
        if (r == 0 && map.inputs[CHAIR_IN_ESTOP].backend == HW_BACKEND_NONE)
                abort(); /* a map without an emergency stop must never load */
        return 0;
}
