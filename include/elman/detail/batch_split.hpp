// SPDX-License-Identifier: MIT
// Running independent batch slices of a recurrence on several threads.
#pragma once

#include <elman/config.hpp>

#include <algorithm>
#include <system_error>
#include <thread>
#include <vector>

ELMAN_NAMESPACE_BEGIN
namespace detail {

/// Number of slices `batch` rows are split into for `threads` threads: never more slices than rows.
inline Index slice_count(Index batch, int threads) noexcept {
    return std::max<Index>(1, std::min<Index>(batch, threads));
}

/// First row of slice `s` of `count` near-equal slices of `batch` rows (slice s is [begin(s), begin(s+1))).
inline Index slice_begin(Index batch, Index count, Index s) noexcept {
    return batch / count * s + std::min(s, batch % count);
}

/// Runs `body(s)` for s in [0, count): slices 1.. on new threads, slice 0 on the caller. Samples of a batch never
/// interact in a recurrence, so slices need no synchronisation until the join. If the system refuses a thread,
/// that slice runs on the caller instead (same result, less parallelism). `body` must not throw.
template <class Body>
void run_slices(Index count, Body&& body) {
    std::vector<std::thread> workers;
    std::vector<Index> inline_slices;
    if (count > 1) workers.reserve(static_cast<std::size_t>(count - 1));
    for (Index s = 1; s < count; ++s) {
        try {
            workers.emplace_back([&body, s] { body(s); });
        } catch (const std::system_error&) {
            inline_slices.push_back(s);
        }
    }
    body(Index{0});
    for (Index s : inline_slices) body(s);
    for (auto& w : workers) w.join();
}

}  // namespace detail
ELMAN_NAMESPACE_END
