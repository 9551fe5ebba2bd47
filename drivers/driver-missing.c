/* SPDX-License-Identifier: MIT */
/* Constructors of backends this build does not include: a map that binds one is refused at
 * start with a clear message instead of failing to link. */
#include <errno.h>

#include "driver.h"

#ifndef MCD_HAVE_GPIO
int chair_driver_new_gpio(struct chair_driver **ret) {
        return -EOPNOTSUPP;
}
#endif

#ifndef MCD_HAVE_MODBUS
int chair_driver_new_modbus(struct chair_driver **ret) {
        return -EOPNOTSUPP;
}
#endif
