# The Modbus backend: one thread per bus owning its libmodbus context.
add_library(chairdriver_modbus STATIC driver-modbus.c)
target_link_libraries(chairdriver_modbus PUBLIC chairhwmap chairloop chaircommon PkgConfig::MODBUS PkgConfig::SYSTEMD Threads::Threads m)

# The test tool the Modbus pytest files and bench/modbus-bench.py drive (tests/modbus/).
if(BUILD_TESTING)
  add_executable(modbus-driver-probe ${PROJECT_SOURCE_DIR}/tests/modbus/modbus-driver-probe.c)
  target_link_libraries(modbus-driver-probe PRIVATE chairdriver_modbus chairloopsd chairhwmap chaircommon)
  set_target_properties(modbus-driver-probe PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests/modbus)
endif()
