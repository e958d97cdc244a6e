# `cmake --install` of the elman build tree into a fresh PREFIX (fixture setup for the install-tree consumers).
# Usage: cmake -DBUILD_DIR=<elman build dir> -DPREFIX=<dir> [-DCLI=bin/elman-predict] -P install.cmake
# CLI: where the elman-predict program must be installed, relative to PREFIX (when the build has it).
file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}" RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "cmake --install failed: ${result}")
endif()
if(CLI AND NOT EXISTS "${PREFIX}/${CLI}")
  message(FATAL_ERROR "the install lacks ${CLI}")
endif()
foreach(file IN ITEMS include/elman/elman.hpp include/elman/version.hpp share/cmake/Elman/ElmanConfig.cmake
                      share/cmake/Elman/ElmanConfigVersion.cmake share/cmake/Elman/ElmanTargets.cmake
                      share/pkgconfig/elman.pc)
  if(NOT EXISTS "${PREFIX}/${file}")
    message(FATAL_ERROR "the install lacks ${file}")
  endif()
endforeach()
# Every installed header's own includes must have been installed too (the multi-header tree, not the single
# header; io/detail/ included): a header moved without updating the install rules fails here.
file(GLOB_RECURSE installed RELATIVE "${PREFIX}/include" "${PREFIX}/include/elman/*.hpp")
foreach(from IN LISTS installed)
  file(STRINGS "${PREFIX}/include/${from}" includes REGEX "^#include <elman/")
  foreach(line IN LISTS includes)
    string(REGEX REPLACE "^#include <(.*)>.*" "\\1" header "${line}")
    if(NOT EXISTS "${PREFIX}/include/${header}")
      message(FATAL_ERROR "the install lacks ${header}, included by ${from}")
    endif()
  endforeach()
endforeach()
foreach(file IN ITEMS include/elman/io/npz.hpp include/elman/io/detail/zip.hpp include/elman/io/detail/bytes.hpp)
  if(NOT EXISTS "${PREFIX}/${file}")
    message(FATAL_ERROR "the install lacks ${file}")
  endif()
endforeach()
