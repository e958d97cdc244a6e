# Compile-fail tests: every tests/compile_fail/<case>.cpp is a CTest test compile_fail.<case> that passes only
# when the compiler rejects the source with the static_assert message named on its `// expect: ` line and
# accepts its valid variant (check_compile_fail.cmake). Included from tests/CMakeLists.txt.
if(NOT CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  message(STATUS "compile-fail tests: skipped (they drive the compiler with GCC/Clang flags)")
  return()
endif()
file(GLOB _elman_compile_fail_cases CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/compile_fail/*.cpp")
get_target_property(_elman_cf_eigen Eigen3::Eigen INTERFACE_INCLUDE_DIRECTORIES)
if(CMAKE_CXX_STANDARD)
  set(_elman_cf_std ${CMAKE_CXX_STANDARD})
else()
  set(_elman_cf_std 17)
endif()
# The include path elman's targets use (with ELMAN_SINGLE_HEADER the forwarding headers come first).
string(REPLACE ";" "|" _elman_cf_includes "${_elman_include_dirs}")
string(REPLACE ";" "|" _elman_cf_system "${_elman_cf_eigen}")
foreach(_case IN LISTS _elman_compile_fail_cases)
  get_filename_component(_name "${_case}" NAME_WE)
  add_test(NAME compile_fail.${_name}
    COMMAND ${CMAKE_COMMAND} -DCXX=${CMAKE_CXX_COMPILER} -DSTD=${_elman_cf_std} "-DINCLUDES=${_elman_cf_includes}"
            "-DSYSTEM_INCLUDES=${_elman_cf_system}" -DSOURCE=${_case}
            -P ${CMAKE_CURRENT_SOURCE_DIR}/check_compile_fail.cmake)
  set_tests_properties(compile_fail.${_name} PROPERTIES LABELS compile_fail)
endforeach()
