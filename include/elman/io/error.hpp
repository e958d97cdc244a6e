// SPDX-License-Identifier: MIT
// The one exception type every elman file reader and writer throws for bad or unreadable files.
#pragma once

#include <elman/config.hpp>

#include <stdexcept>
#include <string>

ELMAN_NAMESPACE_BEGIN
namespace io {

/// A file (or in-memory buffer) that cannot be read or written: truncated, malformed, wrong dtype or shape,
/// missing entries, I/O failure. `what()` is "<source>: <problem>", so the message always names the file;
/// `source()` and `problem()` give the two parts separately.
class FormatError : public std::runtime_error {
  public:
    FormatError(const std::string& source, const std::string& problem)
        : std::runtime_error(source + ": " + problem), source_(source), problem_(problem) {}
    const std::string& source() const noexcept { return source_; }
    const std::string& problem() const noexcept { return problem_; }

  private:
    std::string source_;
    std::string problem_;
};

}  // namespace io
ELMAN_NAMESPACE_END
