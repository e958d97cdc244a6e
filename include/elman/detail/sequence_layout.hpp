// SPDX-License-Identifier: MIT
// Where step t of sample b lives in a [B*T, ·] (batch-major) or [T*B, ·] (time-major) row-major buffer.
#pragma once

#include <elman/config.hpp>

ELMAN_NAMESPACE_BEGIN
namespace detail {

/// The one row formula of the library: inputs, masks, returned sequences, traces and gradients all index
/// their rows through it.
struct SequenceLayout {
    Index batch = 0, timesteps = 0;
    bool time_major = false;

    /// Row of (sample b, step t).
    Index row(Index b, Index t) const noexcept { return time_major ? t * batch + b : b * timesteps + t; }
    /// Row of (sample 0, step t) and the distance between consecutive samples' rows of one step.
    Index first_row(Index t) const noexcept { return time_major ? t * batch : t; }
    Index sample_stride() const noexcept { return time_major ? 1 : timesteps; }
};

}  // namespace detail
ELMAN_NAMESPACE_END
