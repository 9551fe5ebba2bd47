# The state store (daemon/state-store.h, docs/state-files.md) and its unit test.
# daemon/CMakeLists.txt includes this; the guards let another directory include it first.
if(NOT TARGET chairstatestore)
  # With the per-person files (person-file.h), whose conditions are checked against the
  # precautions table (chairprofiles).
  add_library(chairstatestore STATIC ${CMAKE_CURRENT_LIST_DIR}/state-store.c ${CMAKE_CURRENT_LIST_DIR}/person-file.c)
  target_include_directories(chairstatestore PUBLIC ${CMAKE_CURRENT_LIST_DIR})
  target_link_libraries(chairstatestore PUBLIC chairprofiles chaircommon)
endif()
if(NOT TARGET test-state-store)
  mcd_add_unit_test(test-state-store SOURCES ${PROJECT_SOURCE_DIR}/tests/unit/test-state-store.c
    LIBS chairstatestore)
endif()
