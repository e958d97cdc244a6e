# One compile-fail case (tests/compile_fail/*.cpp, registered by compile_fail_tests.cmake). Passes only if
#   1. the source does NOT compile, and the compiler's output contains the message on its `// expect: ` line
#      (so an unrelated error - a typo, a missing include, a wrong include path - cannot pass), and
#   2. the same source with -DELMAN_COMPILE_FAIL_CONTROL (the valid variant of the one parameter under test)
#      does compile (so it is that parameter, not the rest of the source, that the static_assert rejects).
# Arguments: -DCXX=<compiler> -DSTD=<17|20|...> -DINCLUDES=<dir|dir|...> -DSYSTEM_INCLUDES=<dir|...> -DSOURCE=<file>
file(STRINGS "${SOURCE}" _expect_lines REGEX "^// expect: ")
list(LENGTH _expect_lines _count)
if(NOT _count EQUAL 1)
  message(FATAL_ERROR "${SOURCE}: needs exactly one '// expect: <static_assert message>' line")
endif()
string(REGEX REPLACE "^// expect: " "" _expect "${_expect_lines}")

set(_flags "-std=c++${STD}" -fsyntax-only)
string(REPLACE "|" ";" _includes "${INCLUDES}")
string(REPLACE "|" ";" _system_includes "${SYSTEM_INCLUDES}")
foreach(_dir IN LISTS _includes)
  list(APPEND _flags "-I${_dir}")
endforeach()
foreach(_dir IN LISTS _system_includes)
  list(APPEND _flags -isystem "${_dir}")
endforeach()

execute_process(COMMAND "${CXX}" ${_flags} "${SOURCE}"
  RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
if(_rc EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled, but must fail with \"${_expect}\"")
endif()
string(FIND "${_out}${_err}" "${_expect}" _at)
if(_at EQUAL -1)
  message(FATAL_ERROR "${SOURCE} failed to compile, but not with \"${_expect}\":\n${_out}${_err}")
endif()

execute_process(COMMAND "${CXX}" ${_flags} -DELMAN_COMPILE_FAIL_CONTROL "${SOURCE}"
  RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "${SOURCE} with -DELMAN_COMPILE_FAIL_CONTROL (the valid variant) must compile:\n${_out}${_err}")
endif()
message(STATUS "${SOURCE}: rejected with \"${_expect}\"; the valid variant compiles")
