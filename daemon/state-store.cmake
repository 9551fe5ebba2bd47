# The state store (daemon/state-store.h, docs/state-files.md) and its unit test.
# daemon/CMakeLists.txt includes this; the guards let another directory include it first.
if(NOT TARGET chairstatestore)
  add_library(chairstatestore STATIC ${CMAKE_CURRENT_LIST_DIR}/state-store.c)
  target_include_directories(chairstatestore PUBLIC ${CMAKE_CURRENT_LIST_DIR})
  target_link_libraries(chairstatestore PUBLIC chaircommon)
endif()
if(NOT TARGET test-state-store)
  mcd_add_unit_test(test-state-store SOURCES ${PROJECT_SOURCE_DIR}/tests/unit/test-state-store.c
    LIBS chairstatestore)
endif()
