// SPDX-License-Identifier: MIT
// One trainable weight in Keras layout whose every write is seen by the caches built from it.
#pragma once

#include <elman/config.hpp>
#include <elman/exceptions.hpp>
#include <elman/tensor.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

ELMAN_NAMESPACE_BEGIN

namespace detail {
// Stamps are unique across the process, so a cache that recorded one can never mistake another weight's (or a
// copy's later) contents for the ones it was built from.
inline std::uint64_t next_weight_stamp() noexcept {
    static std::atomic<std::uint64_t> counter{0};
    return counter.fetch_add(1, std::memory_order_relaxed) + 1;
}

/// The stamps of the N parameters a derived copy (packed weights) was built from. `refresh(now, build)` runs
/// `build` unless the copy was built from exactly these stamps; while it runs the copy counts as invalid, so a
/// build that throws (bad_alloc) never leaves a copy that looks current.
template <std::size_t N>
class DerivedStamps {
  public:
    template <class Build>
    void refresh(const std::uint64_t (&now)[N], Build&& build) {
        if (valid_ && std::equal(now, now + N, stamps_)) return;
        valid_ = false;
        build();
        std::copy(now, now + N, stamps_);
        valid_ = true;
    }

  private:
    std::uint64_t stamps_[N] = {};
    bool valid_ = false;
};
}  // namespace detail

/// A weight stored in Keras' layout as a row-major matrix (`[rows, cols]`; a 1-D Keras weight such as a bias is
/// one row `[1, n]`), readable at any time and writable only through `assign` or `modify`. Each write gives the
/// parameter a new `stamp()`, so derived data (the packed copy a SimpleRNN multiplies with) is rebuilt exactly
/// when the values may have changed, whoever changed them and however long they kept a handle.
template <class Scalar>
class Parameter {
  public:
    using Matrix = RowMajorMatrix<Scalar>;
    using Map = Eigen::Map<Matrix>;

    Parameter() = default;
    Parameter(Index rows, Index cols, bool is_vector = false) : value_(rows, cols), is_vector_(is_vector) {}
    Parameter(const Parameter&) = default;
    Parameter& operator=(const Parameter&) = default;
    /// A moved-from parameter is empty (0 x 0) with a new stamp.
    Parameter(Parameter&& other) noexcept
        : value_(std::move(other.value_)), is_vector_(other.is_vector_), stamp_(other.stamp_) {
        other.reset();
    }
    Parameter& operator=(Parameter&& other) noexcept {
        if (this != &other) {
            value_ = std::move(other.value_);
            is_vector_ = other.is_vector_;
            stamp_ = other.stamp_;
            other.reset();
        }
        return *this;
    }

    const Matrix& value() const noexcept { return value_; }
    Index rows() const noexcept { return value_.rows(); }
    Index cols() const noexcept { return value_.cols(); }
    Index size() const noexcept { return value_.size(); }
    /// True for a 1-D Keras weight (stored as one row); constraints use Keras' axis convention accordingly.
    bool is_vector() const noexcept { return is_vector_; }
    /// Changes with every write (unique across the process).
    std::uint64_t stamp() const noexcept { return stamp_; }

    /// value := `values` (same shape; the caller checks it, a mismatch is a programming error).
    template <class Derived>
    void assign(const Eigen::DenseBase<Derived>& values) {
        ELMAN_ASSERT(values.rows() == rows() && values.cols() == cols());
        value_ = values;
        touch();
    }

    /// Calls `f(Map)` with a writable view of the values (shape fixed) and marks them changed (also when `f`
    /// throws half-way). The view is valid inside `f` only.
    template <class F>
    void modify(F&& f) {
        touch();
        Map view(value_.data(), value_.rows(), value_.cols());
        std::forward<F>(f)(view);
    }

    /// New shape, uninitialised values (building a layer).
    void resize(Index rows, Index cols) {
        value_.resize(rows, cols);
        touch();
    }

  private:
    void touch() noexcept { stamp_ = detail::next_weight_stamp(); }
    void reset() noexcept {
        value_.resize(0, 0);
        touch();
    }

    Matrix value_;
    bool is_vector_ = false;
    std::uint64_t stamp_ = detail::next_weight_stamp();
};

ELMAN_NAMESPACE_END
