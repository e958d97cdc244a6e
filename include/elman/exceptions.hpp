// SPDX-License-Identifier: MIT
// How the library reports errors: ELMAN_THROW and ELMAN_ASSERT, the two override points.
#pragma once

#include <elman/config.hpp>

#include <cassert>
#include <cstdio>
#include <cstdlib>

/// 1 when the translation unit is compiled with exceptions (the default), 0 with -fno-exceptions.
#if !defined(ELMAN_HAS_EXCEPTIONS)
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#define ELMAN_HAS_EXCEPTIONS 1
#else
#define ELMAN_HAS_EXCEPTIONS 0
#endif
#endif

ELMAN_NAMESPACE_BEGIN
namespace detail {
/// What ELMAN_THROW does without exceptions: the message on stderr, then std::abort().
[[noreturn]] inline void abort_with(const char* message) noexcept {
    std::fputs("elman: ", stderr);
    std::fputs(message, stderr);
    std::fputc('\n', stderr);
    std::abort();
}
}  // namespace detail
ELMAN_NAMESPACE_END

/// Every error the library detects goes through `ELMAN_THROW(exception_object)`. With exceptions it throws the
/// object (std::invalid_argument, std::logic_error, std::length_error, io::FormatError, as documented at each
/// function); compiled with -fno-exceptions it prints the object's what() and aborts. Define ELMAN_THROW before
/// including any elman header to route errors elsewhere (it must not return). Every translation unit of a
/// program must see the same definition.
#if !defined(ELMAN_THROW)
#if ELMAN_HAS_EXCEPTIONS
#define ELMAN_THROW(exception) throw exception
#else
#define ELMAN_THROW(exception) ::elman::detail::abort_with((exception).what())
#endif
#endif

/// Internal invariants (never input errors; those throw). Defaults to assert(); define it to change that.
#if !defined(ELMAN_ASSERT)
#define ELMAN_ASSERT(condition) assert(condition)
#endif
