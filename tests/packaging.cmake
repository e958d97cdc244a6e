# The ways into elman, each a CTest test (included from tests/CMakeLists.txt):
#   consumer.find_package.*   tests/cmake_import against the build tree and against an install into a temp prefix,
#                             plus version requests that must fail (WILL_FAIL)
#   consumer.find_package.io_components  tests/cmake_import_io: COMPONENTS zlib hdf5 from the install, runs the
#                             keras_import example on a .h5 and a compressed .npz (when this build has both)
#   consumer.pkg_config       the installed elman.pc gives the flags to compile a program
#   consumer.add_subdirectory tests/cmake_subdir vendors the repo and must get elman::elman and nothing else
#   consumer.vendored.*       `<c++> -std=c++17 -I single_include -I <eigen> tests/vendored/main.cpp`, then run it
#   consumer.abi_two_versions the current headers and a 0.9.0 copy of the single header in one program
#   consumer.abi_config       TUs built with and without ELMAN_USE_BLAS / ELMAN_HAVE_ZLIB in one program
#   amalgamation.up_to_date   single_include/elman/elman.hpp matches `tools/amalgamate.py` output
#   format.clang_format       tools/check_format.sh (label `format`; tools/test.sh runs it as its own configuration)
find_package(Python3 COMPONENTS Interpreter REQUIRED)

set(_elman_consumers "${CMAKE_CURRENT_BINARY_DIR}/consumers")
set(_elman_prefix "${_elman_consumers}/install-prefix")
# Consumers use the same compiler and generator as this build, never the user package registry.
set(_elman_consumer_options
  -DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER}
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
  -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)
set(_elman_generator --build-generator ${CMAKE_GENERATOR} --build-makeprogram ${CMAKE_MAKE_PROGRAM})
math(EXPR _elman_next_major "${PROJECT_VERSION_MAJOR} + 1")
set(_elman_compatible "${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR}")

# --- single header --------------------------------------------------------------------------------------------
add_test(NAME amalgamation.up_to_date
  COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/tools/amalgamate.py --check)

get_target_property(_elman_eigen_includes Eigen3::Eigen INTERFACE_INCLUDE_DIRECTORIES)
list(GET _elman_eigen_includes 0 _elman_eigen_include)
add_test(NAME consumer.vendored.compile
  COMMAND ${CMAKE_CXX_COMPILER} -std=c++17 -I ${PROJECT_SOURCE_DIR}/single_include -I ${_elman_eigen_include}
          ${CMAKE_CURRENT_SOURCE_DIR}/vendored/main.cpp -o ${_elman_consumers}/vendored_main)
# A path, not a target, so CTest would not add the cross-compiling emulator (empty in native builds) itself.
add_test(NAME consumer.vendored.run COMMAND ${CMAKE_CROSSCOMPILING_EMULATOR} ${_elman_consumers}/vendored_main)
set_tests_properties(consumer.vendored.compile PROPERTIES FIXTURES_SETUP elman_vendored)
set_tests_properties(consumer.vendored.run PROPERTIES FIXTURES_REQUIRED elman_vendored)
file(MAKE_DIRECTORY ${_elman_consumers})

if(ELMAN_TEST_BUILD_CHECKS)
  # Two versions in one program: a 0.9.0 copy of the single header, generated at build time.
  set(_elman_old "${CMAKE_CURRENT_BINARY_DIR}/abi_old_single_include")
  file(GLOB_RECURSE _elman_headers CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/include/elman/*.hpp")
  add_custom_command(OUTPUT ${_elman_old}/elman/elman.hpp
    COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/tools/amalgamate.py --version 0.9.0
            --output ${_elman_old}/elman/elman.hpp
    DEPENDS ${PROJECT_SOURCE_DIR}/tools/amalgamate.py ${_elman_headers}
    COMMENT "Generating a 0.9.0 copy of the single header")
  add_library(elman_abi_old OBJECT abi_two_versions/tu_old.cpp ${_elman_old}/elman/elman.hpp)
  target_include_directories(elman_abi_old PRIVATE ${_elman_old})
  target_link_libraries(elman_abi_old PRIVATE Eigen3::Eigen)
  target_compile_features(elman_abi_old PRIVATE cxx_std_17)
  add_executable(elman_abi_two_versions abi_two_versions/main.cpp abi_two_versions/tu_current.cpp)
  target_link_libraries(elman_abi_two_versions PRIVATE elman::elman elman_abi_old)
  elman_enable_warnings(elman_abi_two_versions)
  elman_enable_warnings(elman_abi_old)
  math(EXPR _elman_version_integer
       "${PROJECT_VERSION_MAJOR} * 10000 + ${PROJECT_VERSION_MINOR} * 100 + ${PROJECT_VERSION_PATCH}")
  add_test(NAME consumer.abi_two_versions COMMAND elman_abi_two_versions ${_elman_version_integer})

  # Configuration macros in one program: a plain TU, an ELMAN_USE_BLAS TU and (when zlib was found) an
  # ELMAN_HAVE_ZLIB TU, each with its own definitions (tests/abi_config). Built from include/ with per-file
  # definitions, not through elman::elman, whose ELMAN_USE_BLAS=ON would define the macro for every file.
  add_executable(elman_abi_config abi_config/main.cpp abi_config/tu_plain.cpp abi_config/tu_blas.cpp)
  target_include_directories(elman_abi_config PRIVATE "${PROJECT_SOURCE_DIR}/include")
  target_link_libraries(elman_abi_config PRIVATE Eigen3::Eigen)
  target_compile_features(elman_abi_config PRIVATE cxx_std_17)
  set_source_files_properties(abi_config/tu_blas.cpp PROPERTIES COMPILE_DEFINITIONS ELMAN_USE_BLAS=1)
  if(TARGET elman_zlib)
    target_sources(elman_abi_config PRIVATE abi_config/tu_zlib.cpp)
    target_link_libraries(elman_abi_config PRIVATE ZLIB::ZLIB)
    set_source_files_properties(abi_config/tu_zlib.cpp PROPERTIES COMPILE_DEFINITIONS ELMAN_HAVE_ZLIB=1)
    set_source_files_properties(abi_config/main.cpp PROPERTIES COMPILE_DEFINITIONS ELMAN_ABI_CONFIG_ZLIB_TU=1)
  endif()
  elman_enable_warnings(elman_abi_config)
  add_test(NAME consumer.abi_config
    COMMAND elman_abi_config ${CMAKE_CURRENT_SOURCE_DIR}/data/io/npz/tanh_sequences__simple_rnn_compressed.npz)
endif()

# --- find_package -----------------------------------------------------------------------------------------------
# Every consumer project configures from scratch (a stale CMakeCache.txt would keep old option values).
add_test(NAME consumer.clean
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${_elman_consumers}/build_tree ${_elman_consumers}/install_tree
          ${_elman_consumers}/rejects_${_elman_next_major}.0 ${_elman_consumers}/rejects_0.9 ${_elman_consumers}/subdir
          ${_elman_consumers}/io_components)
set_tests_properties(consumer.clean PROPERTIES FIXTURES_SETUP elman_consumers_clean)
add_test(NAME consumer.find_package.build_tree
  COMMAND ${CMAKE_CTEST_COMMAND} --build-and-test ${CMAKE_CURRENT_SOURCE_DIR}/cmake_import ${_elman_consumers}/build_tree
          ${_elman_generator}
          --build-options ${_elman_consumer_options} -DElman_DIR=${PROJECT_BINARY_DIR}
                          -DELMAN_REQUESTED_VERSION=${_elman_compatible}
                          -DELMAN_EXPECTED_DIR=${PROJECT_BINARY_DIR}
          --test-command ${CMAKE_CTEST_COMMAND} --output-on-failure)

if(ELMAN_INSTALL)
  set(_elman_install_cli "")
  if(TARGET elman_predict)
    set(_elman_install_cli "-DCLI=${CMAKE_INSTALL_BINDIR}/$<TARGET_FILE_NAME:elman_predict>")
  endif()
  add_test(NAME consumer.install
    COMMAND ${CMAKE_COMMAND} -DBUILD_DIR=${PROJECT_BINARY_DIR} -DPREFIX=${_elman_prefix} ${_elman_install_cli}
            -P ${CMAKE_CURRENT_SOURCE_DIR}/cmake_import/install.cmake)
  set_tests_properties(consumer.install PROPERTIES FIXTURES_SETUP elman_installed)

  add_test(NAME consumer.find_package.install_tree
    COMMAND ${CMAKE_CTEST_COMMAND} --build-and-test ${CMAKE_CURRENT_SOURCE_DIR}/cmake_import ${_elman_consumers}/install_tree
            ${_elman_generator}
            --build-options ${_elman_consumer_options} -DCMAKE_PREFIX_PATH=${_elman_prefix}
                            -DELMAN_REQUESTED_VERSION=${_elman_compatible}
                            -DELMAN_EXPECTED_DIR=${_elman_prefix}/share/cmake/Elman
            --test-command ${CMAKE_CTEST_COMMAND} --output-on-failure)
  # SameMajorVersion: the next major and an older major must be rejected.
  foreach(_version IN ITEMS ${_elman_next_major}.0 0.9)
    add_test(NAME consumer.find_package.rejects_${_version}
      COMMAND ${CMAKE_CTEST_COMMAND} --build-and-test ${CMAKE_CURRENT_SOURCE_DIR}/cmake_import ${_elman_consumers}/rejects_${_version}
              ${_elman_generator}
              --build-options ${_elman_consumer_options} -DCMAKE_PREFIX_PATH=${_elman_prefix}
                              -DELMAN_REQUESTED_VERSION=${_version} -DELMAN_EXPECT_REJECTION=ON)
    set_tests_properties(consumer.find_package.rejects_${_version} PROPERTIES WILL_FAIL TRUE)
    list(APPEND _elman_install_consumers consumer.find_package.rejects_${_version})
  endforeach()

  # The optional io components (elman::zlib, elman::hdf5) from the install, when this build found both.
  if(TARGET elman_zlib AND TARGET elman_hdf5)
    add_test(NAME consumer.find_package.io_components
      COMMAND ${CMAKE_CTEST_COMMAND} --build-and-test ${CMAKE_CURRENT_SOURCE_DIR}/cmake_import_io
              ${_elman_consumers}/io_components ${_elman_generator}
              --build-options ${_elman_consumer_options} -DCMAKE_PREFIX_PATH=${_elman_prefix}
                              -DELMAN_SOURCE_DIR=${PROJECT_SOURCE_DIR}
              --test-command ${CMAKE_CTEST_COMMAND} --output-on-failure)
    list(APPEND _elman_install_consumers consumer.find_package.io_components)
  endif()

  add_test(NAME consumer.pkg_config
    COMMAND ${CMAKE_COMMAND} -DPREFIX=${_elman_prefix} -DCXX=${CMAKE_CXX_COMPILER}
            -DSOURCE=${CMAKE_CURRENT_SOURCE_DIR}/vendored/main.cpp -DOUTPUT=${_elman_consumers}/pkg_config_main
            -DVERSION=${PROJECT_VERSION}
            -P ${CMAKE_CURRENT_SOURCE_DIR}/cmake_import/pkg_config.cmake)
  set_tests_properties(consumer.find_package.install_tree consumer.pkg_config ${_elman_install_consumers}
    PROPERTIES FIXTURES_REQUIRED elman_installed)
endif()

# --- add_subdirectory -------------------------------------------------------------------------------------------
add_test(NAME consumer.add_subdirectory
  COMMAND ${CMAKE_CTEST_COMMAND} --build-and-test ${CMAKE_CURRENT_SOURCE_DIR}/cmake_subdir ${_elman_consumers}/subdir
          ${_elman_generator}
          --build-options ${_elman_consumer_options} -DELMAN_SOURCE_DIR=${PROJECT_SOURCE_DIR}
          --test-command ${CMAKE_CTEST_COMMAND} --output-on-failure)

set_tests_properties(consumer.find_package.build_tree consumer.add_subdirectory PROPERTIES
  FIXTURES_REQUIRED elman_consumers_clean)
if(ELMAN_INSTALL)
  set_tests_properties(consumer.find_package.install_tree ${_elman_install_consumers} PROPERTIES
    FIXTURES_REQUIRED "elman_installed;elman_consumers_clean")
endif()

get_property(_elman_packaging_tests DIRECTORY PROPERTY TESTS)
list(FILTER _elman_packaging_tests INCLUDE REGEX "^(consumer|amalgamation)\\.")
set_tests_properties(${_elman_packaging_tests} PROPERTIES LABELS packaging TIMEOUT 900)
# The consumer projects build with their own flags, not this configuration's; tools/test.sh runs them in the
# gcc-release and clang-cxx20 configurations only (label `consumer`), the cheap checks everywhere.
list(FILTER _elman_packaging_tests INCLUDE REGEX "^consumer\\.(find_package|install|pkg_config|add_subdirectory|clean)")
set_tests_properties(${_elman_packaging_tests} PROPERTIES LABELS "packaging;consumer")

# --- formatting -------------------------------------------------------------------------------------------------
add_test(NAME format.clang_format COMMAND bash ${PROJECT_SOURCE_DIR}/tools/check_format.sh)
set_tests_properties(format.clang_format PROPERTIES LABELS format)
