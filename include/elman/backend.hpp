// SPDX-License-Identifier: MIT
// Which matrix-product code a SimpleRNN call runs on.
#pragma once

#include <elman/config.hpp>

ELMAN_NAMESPACE_BEGIN

/// The compute path of SimpleRNN's whole-sequence call (`layer.set_backend(...)`). Both compute the same layer;
/// they differ in summation order only (so results agree to rounding, not bit for bit).
enum class Backend {
    /// Weights packed into SIMD panels (kept between calls, repacked when a weight is written); one fused
    /// product `[h~_{t-1} x~_t] · [U; W] + b` per step (detail/packed_gemm.hpp). Summation order does not depend
    /// on the batch size or thread count, so calls (dropout training calls included) split across threads.
    packed,
    /// Eigen products: all timesteps' input projection in one GEMM, then one GEMM per step; one thread. With
    /// `EIGEN_USE_BLAS` (CMake `ELMAN_USE_BLAS=ON`) those products run on the linked BLAS.
    gemm,
};

/// The default backend: `gemm` when compiled with `ELMAN_USE_BLAS` defined (the user asked for BLAS), else `packed`.
#if defined(ELMAN_USE_BLAS)
inline constexpr Backend default_backend = Backend::gemm;
#else
inline constexpr Backend default_backend = Backend::packed;
#endif

ELMAN_NAMESPACE_END
