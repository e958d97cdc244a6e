// SPDX-License-Identifier: MIT
// Software prefetch of strided row runs.
#pragma once

#include <elman/config.hpp>

ELMAN_NAMESPACE_BEGIN
namespace detail {

/// Asks for `rows` runs of `cols` values, `stride` values apart, to be brought into cache (for writing when
/// `for_write`). For the per-step rows of a batch-major sequence: short runs a whole sequence apart, which the
/// hardware prefetchers do not follow from DRAM. A hint only: no effect on results; nothing on other compilers.
template <class Scalar>
inline void prefetch_rows(const Scalar* at, Index rows, Index cols, Index stride, bool for_write = false) noexcept {
#if defined(__GNUC__) || defined(__clang__)
    constexpr Index line = 64 / static_cast<Index>(sizeof(Scalar));
    for (Index i = 0; i < rows; ++i) {
        const Scalar* row = at + i * stride;
        for (Index j = 0; j < cols; j += line) {
            if (for_write) {
                __builtin_prefetch(row + j, 1);
            } else {
                __builtin_prefetch(row + j);
            }
        }
    }
#else
    (void)at, (void)rows, (void)cols, (void)stride, (void)for_write;
#endif
}

}  // namespace detail
ELMAN_NAMESPACE_END
