# The D-Bus round-trip benchmark (bench/dbus-bench.c; run with bench/dbus-bench.py).
# bench/CMakeLists.txt includes this; the guard lets another directory include it first.
if(NOT TARGET dbus-bench)
  add_executable(dbus-bench ${CMAKE_CURRENT_LIST_DIR}/dbus-bench.c)
  target_link_libraries(dbus-bench PRIVATE PkgConfig::SYSTEMD Threads::Threads)
endif()
