// SPDX-License-Identifier: MIT
// Helpers that build the library's exception messages (who, argument name, expected vs. actual).
#pragma once

#include <elman/config.hpp>
#include <elman/exceptions.hpp>
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
    ELMAN_THROW(std::invalid_argument(
        "SimpleRNN '" + layer + "': `" + argument + "` has an incompatible shape: expected shape=" + expected +
        ", found shape=" + found.to_string() + (extra.empty() ? "" : " (" + extra + ")")));
}

/// std::invalid_argument "<kind> '<name>': `<argument>` <what>", e.g. kind "SimpleRNN" or "SimpleRNNStream".
[[noreturn]] inline void throw_invalid(const char* kind, const std::string& name, const char* argument,
                                       const std::string& what) {
    ELMAN_THROW(std::invalid_argument(std::string(kind) + " '" + name + "': `" + argument + "` " + what));
}

/// The same for a SimpleRNN layer named `layer`.
[[noreturn]] inline void throw_invalid(const std::string& layer, const char* argument, const std::string& what) {
    throw_invalid("SimpleRNN", layer, argument, what);
}

}  // namespace detail
ELMAN_NAMESPACE_END
