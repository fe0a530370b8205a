# Helpers for the project's own targets (not installed).
#
# fuse_library(NAME <name> SOURCES <src>... [DEPS <target>...] [PRIVATE_DEPS <target>...])
#   A core concern: the static library fuse_<name> whose public headers are <dir>/include/fuse/<name>/.
#   A concern only sees the headers of the concerns it lists in DEPS (LLVM-style layering).
function(fuse_library)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  set(target fuse_${ARG_NAME})
  add_library(${target} STATIC ${ARG_SOURCES})
  target_include_directories(${target} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
  target_link_libraries(${target} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  fuse_target_warnings(${target})
endfunction()

# fuse_test(NAME <name> SOURCES <src>... DEPS <target>... [LABELS <label>...])
#   A GoogleTest executable registered with CTest; test names are prefixed with "<name>.".
#   CTest counts a test whose output says "[  SKIPPED ]" as skipped whatever its exit code, and GoogleTest says
#   so of every test of a suite whose SetUpTestSuite failed: such a failure would pass unseen. Shared, costly
#   set-up goes in a function-local static that the tests call (an exception there fails each test) instead.
function(fuse_test)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;DEPS;LABELS" ${ARGN})
  if(NOT FUSE_BUILD_TESTS)
    return()
  endif()
  add_executable(${ARG_NAME}_test ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME}_test PRIVATE ${ARG_DEPS} GTest::gtest_main)
  fuse_target_warnings(${ARG_NAME}_test)
  gtest_discover_tests(${ARG_NAME}_test TEST_PREFIX ${ARG_NAME}. DISCOVERY_TIMEOUT 60
                       PROPERTIES LABELS "${ARG_LABELS}")
endfunction()
