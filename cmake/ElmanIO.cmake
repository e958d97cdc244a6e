# Optional dependencies of the file-format headers in include/elman/io/ (the core needs only Eigen):
#   elman::zlib  - deflate-compressed .npz members (np.savez_compressed); defines ELMAN_HAVE_ZLIB.
#   elman::hdf5  - Keras .h5 files through <elman/io/hdf5.hpp>; HDF5's C library (Debian: libhdf5-dev).
# Both are auto-detected; -DELMAN_WITH_ZLIB=OFF / -DELMAN_WITH_HDF5=OFF turn them off.
option(ELMAN_WITH_ZLIB "Offer elman::zlib (compressed .npz) when zlib is found" ON)
option(ELMAN_WITH_HDF5 "Offer elman::hdf5 (Keras .h5 files) when HDF5's C library is found" ON)

if(ELMAN_WITH_ZLIB)
  find_package(ZLIB QUIET)
  if(ZLIB_FOUND)
    add_library(elman_zlib INTERFACE)
    add_library(elman::zlib ALIAS elman_zlib)
    target_link_libraries(elman_zlib INTERFACE elman ZLIB::ZLIB)
    target_compile_definitions(elman_zlib INTERFACE ELMAN_HAVE_ZLIB=1)
  endif()
endif()

if(ELMAN_WITH_HDF5)
  enable_language(C)  # CMake's FindHDF5 probes the HDF5 compiler wrapper with a C test program
  find_package(HDF5 QUIET COMPONENTS C)
  if(HDF5_FOUND)
    add_library(elman_hdf5 INTERFACE)
    add_library(elman::hdf5 ALIAS elman_hdf5)
    target_link_libraries(elman_hdf5 INTERFACE elman ${HDF5_C_LIBRARIES})
    target_include_directories(elman_hdf5 SYSTEM INTERFACE ${HDF5_C_INCLUDE_DIRS})
    target_compile_definitions(elman_hdf5 INTERFACE ELMAN_HAVE_HDF5=1 ${HDF5_C_DEFINITIONS})
  endif()
endif()
message(STATUS "elman io: zlib ${ZLIB_FOUND}, HDF5 ${HDF5_FOUND}")

# libFuzzer targets for the parsers (fuzz/CMakeLists.txt); opt-in, clang only.
option(ELMAN_BUILD_FUZZERS "Build the libFuzzer targets in fuzz/ (needs clang++ and libclang-rt-14-dev)" OFF)
if(ELMAN_BUILD_FUZZERS)
  include("${CMAKE_CURRENT_LIST_DIR}/ElmanWarnings.cmake")
  add_subdirectory("${CMAKE_CURRENT_LIST_DIR}/../fuzz" "${PROJECT_BINARY_DIR}/fuzz")
endif()

# Once tests and examples exist (end of the top-level directory), link what they may use.
function(elman_io_wire_targets)
  foreach(_t elman_tests example_keras_import)
    if(TARGET ${_t})
      if(TARGET elman_zlib)
        target_link_libraries(${_t} PRIVATE elman::zlib)
      endif()
      if(TARGET elman_hdf5)
        target_link_libraries(${_t} PRIVATE elman::hdf5)
        target_compile_definitions(${_t} PRIVATE ELMAN_TEST_WITH_HDF5=1)
      endif()
    endif()
  endforeach()
  if(TARGET example_keras_import)
    # Run without arguments, the example loads a committed tfjs fixture.
    target_compile_definitions(example_keras_import PRIVATE ELMAN_EXAMPLE_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/data")
  endif()
endfunction()
cmake_language(DEFER CALL elman_io_wire_targets)
