# The GPIO backend: libgpiod v2 line requests, edges through sd-event.
add_library(chairdriver_gpio STATIC driver-gpio.c)
target_link_libraries(chairdriver_gpio PUBLIC chaircommon PkgConfig::GPIOD PkgConfig::SYSTEMD)
