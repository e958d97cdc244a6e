// SPDX-License-Identifier: MIT
// Namespace and ABI macros shared by every elman header.
#pragma once

#include <elman/version.hpp>

#include <Eigen/Core>

// Everything lives in `elman` plus an inline namespace tagged with the version, so two vendored
// copies of different versions can be linked into one program without ODR clashes, while user code
// still spells `elman::SimpleRNN`.
//
// Configuration macros that change inline definitions are part of the tag too, so two translation units
// built with different settings get different symbols (each runs its own code) instead of an ODR violation:
//   ELMAN_USE_BLAS   (backend.hpp: default_backend, hence every SimpleRNN)   -> suffix `_blas`, e.g. v1_0_0_blas
// ELMAN_HAVE_ZLIB changes only the .npz readers; they carry their own inline namespace (io/detail/zip.hpp),
// so the rest of the library, and the types user code passes around, stay the same with and without zlib.
#if defined(ELMAN_USE_BLAS)
#define ELMAN_DETAIL_ABI_BLAS _blas
#else
#define ELMAN_DETAIL_ABI_BLAS
#endif
#define ELMAN_DETAIL_CONCAT_IMPL(a, b, c, blas) v##a##_##b##_##c##blas
#define ELMAN_DETAIL_CONCAT(a, b, c, blas) ELMAN_DETAIL_CONCAT_IMPL(a, b, c, blas)
#define ELMAN_ABI_NAMESPACE                                                                                            \
    ELMAN_DETAIL_CONCAT(ELMAN_VERSION_MAJOR, ELMAN_VERSION_MINOR, ELMAN_VERSION_PATCH, ELMAN_DETAIL_ABI_BLAS)

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
