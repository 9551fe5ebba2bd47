# The chair physics (shared with chairsim) and the in-process sim backend.
add_library(chairphysics STATIC chair-physics.c)
target_include_directories(chairphysics PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(chairphysics PUBLIC chaircommon m)

add_library(chairdriver_sim STATIC driver-sim.c)
target_link_libraries(chairdriver_sim PUBLIC chairphysics chairhwmap chairloop)

mcd_add_unit_test(test-chair-physics SOURCES ${PROJECT_SOURCE_DIR}/tests/unit/test-chair-physics.c
  LIBS chairphysics)
mcd_add_unit_test(test-driver-sim SOURCES ${PROJECT_SOURCE_DIR}/tests/unit/test-driver-sim.c
  LIBS chairdriver_sim chairdrivers chairloopsd chairhwmap)
