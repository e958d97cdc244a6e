# `cmake --install` of the elman build tree into a fresh PREFIX (fixture setup for the install-tree consumers).
# Usage: cmake -DBUILD_DIR=<elman build dir> -DPREFIX=<dir> -P install.cmake
file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}" RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "cmake --install failed: ${result}")
endif()
foreach(file IN ITEMS include/elman/elman.hpp include/elman/version.hpp share/cmake/Elman/ElmanConfig.cmake
                      share/cmake/Elman/ElmanConfigVersion.cmake share/cmake/Elman/ElmanTargets.cmake
                      share/pkgconfig/elman.pc)
  if(NOT EXISTS "${PREFIX}/${file}")
    message(FATAL_ERROR "the install lacks ${file}")
  endif()
endforeach()
# The umbrella's own includes must all have been installed (the multi-header tree, not the single header).
file(STRINGS "${PREFIX}/include/elman/elman.hpp" includes REGEX "^#include <elman/")
foreach(line IN LISTS includes)
  string(REGEX REPLACE "^#include <(.*)>.*" "\\1" header "${line}")
  if(NOT EXISTS "${PREFIX}/include/${header}")
    message(FATAL_ERROR "the install lacks ${header}, included by elman/elman.hpp")
  endif()
endforeach()
