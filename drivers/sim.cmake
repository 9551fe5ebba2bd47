# The chair physics (shared with chairsim) and the in-process sim backend.
add_library(chairphysics STATIC chair-physics.c)
target_link_libraries(chairphysics PUBLIC chaircommon m)

add_library(chairdriver_sim STATIC driver-sim.c)
target_link_libraries(chairdriver_sim PUBLIC chairphysics PkgConfig::SYSTEMD)
