/* SPDX-License-Identifier: MIT */
/* The GPIO backend (libgpiod v2). chair_driver_new_gpio() is declared in driver.h. */
#pragma once

#include "driver.h"

/* Closes (when open) and frees an instance made by chair_driver_new_gpio(). NULL is a no-op. */
void chair_driver_gpio_free(struct chair_driver *drv);
