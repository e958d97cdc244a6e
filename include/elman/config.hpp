// SPDX-License-Identifier: MIT
// Namespace and ABI macros shared by every elman header.
#pragma once

#include <elman/version.hpp>

#include <Eigen/Core>

// Everything lives in `elman` plus an inline namespace tagged with the version, so two vendored
// copies of different versions can be linked into one program without ODR clashes, while user code
// still spells `elman::SimpleRNN`.
#define ELMAN_DETAIL_CONCAT_IMPL(a, b, c) v##a##_##b##_##c
#define ELMAN_DETAIL_CONCAT(a, b, c) ELMAN_DETAIL_CONCAT_IMPL(a, b, c)
#define ELMAN_ABI_NAMESPACE ELMAN_DETAIL_CONCAT(ELMAN_VERSION_MAJOR, ELMAN_VERSION_MINOR, ELMAN_VERSION_PATCH)

#define ELMAN_NAMESPACE_BEGIN                                                                                          \
    namespace elman {                                                                                                  \
    inline namespace ELMAN_ABI_NAMESPACE {
#define ELMAN_NAMESPACE_END                                                                                            \
    }                                                                                                                  \
    }

ELMAN_NAMESPACE_BEGIN

/// Index type used for every size and extent (Eigen's signed index).
using Index = Eigen::Index;

ELMAN_NAMESPACE_END
