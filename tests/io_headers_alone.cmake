# Every header under include/elman/io/ (io/detail/ included) compiles on its own: one generated translation unit
# per header containing only `#include <elman/io/...>`, built with the suite's warnings (a header that forgets an
# include fails the build). io/hdf5.hpp needs HDF5's C library, so it is compiled only when elman::hdf5 exists;
# io/detail/zip.hpp is compiled a second time with elman::zlib (ELMAN_HAVE_ZLIB) when that exists.
file(GLOB_RECURSE _elman_io_headers RELATIVE "${PROJECT_SOURCE_DIR}/include" CONFIGURE_DEPENDS
     "${PROJECT_SOURCE_DIR}/include/elman/io/*.hpp")
set(_elman_alone_dir "${CMAKE_CURRENT_BINARY_DIR}/io_headers_alone")
set(_elman_alone_sources)
set(_elman_alone_hdf5_sources)
foreach(_header IN LISTS _elman_io_headers)
  string(REGEX REPLACE "[/.]" "_" _stem "${_header}")
  set(_tu "${_elman_alone_dir}/${_stem}.cpp")
  file(CONFIGURE OUTPUT "${_tu}" CONTENT "// Generated: ${_header} must compile alone.\n#include <${_header}>\n")
  if(_header STREQUAL "elman/io/hdf5.hpp")
    list(APPEND _elman_alone_hdf5_sources "${_tu}")
  else()
    list(APPEND _elman_alone_sources "${_tu}")
  endif()
endforeach()

add_library(elman_io_headers_alone OBJECT ${_elman_alone_sources})
target_link_libraries(elman_io_headers_alone PRIVATE elman::elman)
elman_enable_warnings(elman_io_headers_alone)
if(TARGET elman_hdf5)
  add_library(elman_io_headers_alone_hdf5 OBJECT ${_elman_alone_hdf5_sources})
  target_link_libraries(elman_io_headers_alone_hdf5 PRIVATE elman::hdf5)
  elman_enable_warnings(elman_io_headers_alone_hdf5)
endif()
if(TARGET elman_zlib)
  add_library(elman_io_headers_alone_zlib OBJECT "${_elman_alone_dir}/elman_io_detail_zip_hpp.cpp")
  target_link_libraries(elman_io_headers_alone_zlib PRIVATE elman::zlib)
  elman_enable_warnings(elman_io_headers_alone_zlib)
endif()
