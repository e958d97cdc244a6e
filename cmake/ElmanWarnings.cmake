# Strict warnings for elman's own targets only (never global, never for a parent project).
option(ELMAN_WERROR "Treat warnings as errors in elman's own tests and examples" ON)

function(elman_enable_warnings target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    # -Wconversion: the headers are clean with g++ 12 and clang++ 14 (Eigen is a SYSTEM include, so its own
    # conversions stay silent). -Wsign-conversion is left off: Eigen's signed Index meets std::size_t everywhere.
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion)
    if(ELMAN_WERROR)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  endif()
endfunction()
