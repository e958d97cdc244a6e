// SPDX-License-Identifier: MIT
// Resizing per-call buffers that usually already have the right size.
#pragma once

#include <elman/config.hpp>

#include <Eigen/Core>

ELMAN_NAMESPACE_BEGIN
namespace detail {

/// `m.resize(rows, cols)` unless `m` already has that size. Eigen's resize checks the element count for
/// overflow with an integer division on every call, even when nothing changes; per-call workspaces of a small
/// call are resized several times per call, where those divisions are a visible part of its time.
template <class Derived>
void fit(Eigen::PlainObjectBase<Derived>& m, Index rows, Index cols) {
    if (m.rows() != rows || m.cols() != cols) m.resize(rows, cols);
}

}  // namespace detail
ELMAN_NAMESPACE_END
