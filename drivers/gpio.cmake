# The GPIO backend; included by drivers/CMakeLists.txt.
add_library(chairdriver_gpio STATIC ${CMAKE_CURRENT_LIST_DIR}/driver-gpio.c)
target_link_libraries(chairdriver_gpio PUBLIC chairhwmap chairloop chaircommon PkgConfig::GPIOD PkgConfig::SYSTEMD)
