// SPDX-License-Identifier: MIT
// Helpers that build the library's exception messages (argument name, expected vs. actual).
#pragma once

#include <elman/config.hpp>
#include <elman/shape.hpp>

#include <stdexcept>
#include <string>

ELMAN_NAMESPACE_BEGIN
namespace detail {

/// "(None, None, 8)"-style text for an expected shape where unknown extents are negative.
inline std::string expected_shape_string(std::initializer_list<Index> dims) {
    std::string s = "(";
    bool first = true;
    for (Index d : dims) {
        if (!first) s += ", ";
        first = false;
        s += d < 0 ? std::string("None") : std::to_string(d);
    }
    if (dims.size() == 1) s += ",";
    return s + ")";
}

[[noreturn]] inline void throw_shape_error(const std::string& layer, const char* argument, const std::string& expected,
                                           const Shape& found, const std::string& extra = {}) {
    throw std::invalid_argument("SimpleRNN '" + layer + "': `" + argument +
                                "` has an incompatible shape: expected shape=" + expected +
                                ", found shape=" + found.to_string() + (extra.empty() ? "" : " (" + extra + ")"));
}

[[noreturn]] inline void throw_invalid(const std::string& layer, const char* argument, const std::string& what) {
    throw std::invalid_argument("SimpleRNN '" + layer + "': `" + argument + "` " + what);
}

}  // namespace detail
ELMAN_NAMESPACE_END
