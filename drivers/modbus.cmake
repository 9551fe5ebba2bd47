# The Modbus backend: one thread per bus owning its libmodbus context.
add_library(chairdriver_modbus STATIC driver-modbus.c)
target_link_libraries(chairdriver_modbus PUBLIC chaircommon PkgConfig::MODBUS PkgConfig::SYSTEMD Threads::Threads m)
