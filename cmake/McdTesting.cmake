# Test registration shared by every directory.
# Unit tests: cmocka programs. Integration tests: one ctest entry per pytest file, run with
# Debian's /usr/bin/python3 (never another python3 on PATH).

# Both are no-ops with -DBUILD_TESTING=OFF: no test code is built and cmocka is not needed.
function(mcd_add_unit_test name)
  if(NOT BUILD_TESTING)
    return()
  endif()
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} PkgConfig::CMOCKA)
  add_test(NAME unit/${name} COMMAND ${name})
  set_tests_properties(unit/${name} PROPERTIES TIMEOUT 60
    ENVIRONMENT "MCD_SOURCE_DIR=${PROJECT_SOURCE_DIR};MCD_BUILD_DIR=${PROJECT_BINARY_DIR}")
endfunction()

set(MCD_PYTHON /usr/bin/python3)
function(mcd_add_pytest file)
  if(NOT BUILD_TESTING)
    return()
  endif()
  get_filename_component(stem ${file} NAME_WE)
  get_filename_component(dir ${file} DIRECTORY)
  get_filename_component(tier ${dir} NAME)
  add_test(NAME ${tier}/${stem}
    COMMAND ${MCD_PYTHON} -m pytest -p no:cacheprovider -q -rs ${file}
    WORKING_DIRECTORY ${dir})
  if(MCD_SANITIZE)
    set(sanitize 1)
  else()
    set(sanitize 0)
  endif()
  set(env
    "MCD_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
    "MCD_BUILD_DIR=${PROJECT_BINARY_DIR}"
    "MCD_SANITIZE=${sanitize}"
    "PYTHONDONTWRITEBYTECODE=1"
    "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=86"
    "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
  set_tests_properties(${tier}/${stem} PROPERTIES TIMEOUT 600 ENVIRONMENT "${env}"
    SKIP_RETURN_CODE 77)
endfunction()
