# doctest.cmake — the one way a doctest program becomes CTest entries.
#
# Every doctest program links bp_doctest_main (tests/support/doctest_main.cpp):
# a run of zero cases fails, --bp-case=<name> runs exactly one case whatever
# characters its name has, and bp_test::skip() ends the run with status 77.
# bp_add_doctest registers an entry with that status as its SKIP_RETURN_CODE,
# so CTest counts a case that cannot run here as skipped, never as passed.
add_library(bp_doctest_main STATIC ${CMAKE_CURRENT_LIST_DIR}/doctest_main.cpp)
target_include_directories(bp_doctest_main PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(bp_doctest_main PUBLIC doctest::doctest)

# bp_add_doctest(<ctest name> <doctest target>
#                [CASE <exact test case name>]   one case, by its exact name
#                [ARGS <doctest args>...]        e.g. --test-suite=<suite>, --test-case=<wildcard>
#                [TIMEOUT <s>] [ENVIRONMENT <VAR=value>...] [WRAPPER <command>...])
# WRAPPER runs the program under another one (valgrind ...), which must pass its exit status through.
function(bp_add_doctest name target)
  # ${ARGN}, not PARSE_ARGV: an ENVIRONMENT given as one ;-list string must become several variables.
  cmake_parse_arguments(arg "" "CASE;TIMEOUT" "ARGS;ENVIRONMENT;WRAPPER" ${ARGN})
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "bp_add_doctest(${name}): unknown arguments ${arg_UNPARSED_ARGUMENTS}")
  endif()
  set(case_arg)
  if(DEFINED arg_CASE)
    set(case_arg "--bp-case=${arg_CASE}")
  endif()
  add_test(NAME ${name} COMMAND ${arg_WRAPPER} $<TARGET_FILE:${target}> ${case_arg} ${arg_ARGS})
  set_tests_properties(${name} PROPERTIES SKIP_RETURN_CODE 77 LABELS doctest)
  if(arg_TIMEOUT)
    set_tests_properties(${name} PROPERTIES TIMEOUT ${arg_TIMEOUT})
  endif()
  if(arg_ENVIRONMENT)
    set_tests_properties(${name} PROPERTIES ENVIRONMENT "${arg_ENVIRONMENT}")
  endif()
endfunction()
