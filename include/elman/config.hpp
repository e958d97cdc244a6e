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
//   ELMAN_ISA        (isa.hpp: the pinned SIMD path)   -> suffix `_isa_generic`, `_isa_avx2` or `_isa_avx512`
// ELMAN_HAVE_ZLIB changes only the .npz readers; they carry their own inline namespace (io/detail/zip.hpp),
// so the rest of the library, and the types user code passes around, stay the same with and without zlib.
#if defined(ELMAN_USE_BLAS)
#define ELMAN_DETAIL_ABI_BLAS _blas
#else
#define ELMAN_DETAIL_ABI_BLAS
#endif
// -DELMAN_ISA=generic|avx2|avx512 is a bare token: mapped to a number here, anything else is an error.
#define ELMAN_DETAIL_ISA_ID_generic 1
#define ELMAN_DETAIL_ISA_ID_avx2 2
#define ELMAN_DETAIL_ISA_ID_avx512 3
#define ELMAN_DETAIL_ISA_ID_IMPL(name) ELMAN_DETAIL_ISA_ID_##name
#define ELMAN_DETAIL_ISA_ID(name) ELMAN_DETAIL_ISA_ID_IMPL(name)
#if !defined(ELMAN_ISA)
#define ELMAN_DETAIL_ABI_ISA
#elif ELMAN_DETAIL_ISA_ID(ELMAN_ISA) == 1
#define ELMAN_DETAIL_ABI_ISA _isa_generic
#define ELMAN_DETAIL_PINNED_ISA ::elman::Isa::generic
#elif ELMAN_DETAIL_ISA_ID(ELMAN_ISA) == 2
#define ELMAN_DETAIL_ABI_ISA _isa_avx2
#define ELMAN_DETAIL_PINNED_ISA ::elman::Isa::avx2
#elif ELMAN_DETAIL_ISA_ID(ELMAN_ISA) == 3
#define ELMAN_DETAIL_ABI_ISA _isa_avx512
#define ELMAN_DETAIL_PINNED_ISA ::elman::Isa::avx512
#else
#error "ELMAN_ISA must be generic, avx2 or avx512 (e.g. -DELMAN_ISA=avx2), or left undefined"
#endif
// The x86-64 kernels need GCC/Clang `target` attributes; ELMAN_ISA=generic leaves them out.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) &&                                                \
    !(defined(ELMAN_ISA) && ELMAN_DETAIL_ISA_ID(ELMAN_ISA) == 1)
#define ELMAN_DETAIL_X86_KERNELS 1
#else
#define ELMAN_DETAIL_X86_KERNELS 0
#endif
#if defined(ELMAN_ISA) && ELMAN_DETAIL_ISA_ID(ELMAN_ISA) != 1 && !ELMAN_DETAIL_X86_KERNELS
#error "ELMAN_ISA=avx2 and ELMAN_ISA=avx512 need GCC or Clang on x86-64"
#endif

#define ELMAN_DETAIL_CONCAT_IMPL(a, b, c, blas, isa) v##a##_##b##_##c##blas##isa
#define ELMAN_DETAIL_CONCAT(a, b, c, blas, isa) ELMAN_DETAIL_CONCAT_IMPL(a, b, c, blas, isa)
#define ELMAN_ABI_NAMESPACE                                                                                            \
    ELMAN_DETAIL_CONCAT(ELMAN_VERSION_MAJOR, ELMAN_VERSION_MINOR, ELMAN_VERSION_PATCH, ELMAN_DETAIL_ABI_BLAS,          \
                        ELMAN_DETAIL_ABI_ISA)

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
