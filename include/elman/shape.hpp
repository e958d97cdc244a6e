// SPDX-License-Identifier: MIT
// A small fixed-capacity shape (rank <= 4) printed the way numpy/Keras print shapes.
#pragma once

#include <elman/config.hpp>
#include <elman/exceptions.hpp>

#include <algorithm>
#include <array>
#include <initializer_list>
#include <limits>
#include <stdexcept>
#include <string>

ELMAN_NAMESPACE_BEGIN

/// Shape of a row-major tensor, e.g. `{batch, timesteps, features}`. Holds at most `max_rank` extents so
/// views can be built without touching the heap.
class Shape {
  public:
    static constexpr int max_rank = 4;

    Shape() = default;
    Shape(std::initializer_list<Index> extents) : dims_{}, rank_(static_cast<int>(extents.size())) {
        if (extents.size() > static_cast<std::size_t>(max_rank)) {
            ELMAN_THROW(std::invalid_argument("elman::Shape: rank " + std::to_string(extents.size()) +
                                              " exceeds the supported maximum of " + std::to_string(max_rank)));
        }
        std::copy(extents.begin(), extents.end(), dims_.begin());
    }

    int rank() const noexcept { return rank_; }
    Index operator[](int axis) const noexcept { return dims_[static_cast<std::size_t>(axis)]; }
    Index& operator[](int axis) noexcept { return dims_[static_cast<std::size_t>(axis)]; }

    /// Product of the extents; throws std::length_error when it does not fit an Index (absurd sizes).
    Index size() const {
        Index total = 1;
        for (int i = 0; i < rank_; ++i) {
            const Index e = (*this)[i];
            if (e < 0) {
                ELMAN_THROW(std::invalid_argument("elman::Shape: negative extent in shape " + to_string()));
            }
            // Every call computes this, so no integer division (tens of cycles) on the way.
            if (multiply_overflows(total, e, total)) {
                ELMAN_THROW(std::length_error("elman::Shape: element count of shape " + to_string() + " overflows"));
            }
        }
        return total;
    }

    /// numpy-style text: "(2, 5, 3)", "(4,)" for rank 1, "()" for rank 0.
    std::string to_string() const {
        std::string s = "(";
        for (int i = 0; i < rank_; ++i) {
            if (i) s += ", ";
            s += std::to_string((*this)[i]);
        }
        if (rank_ == 1) s += ",";
        return s + ")";
    }

    // Extents past the rank are always zero, so whole arrays compare; extent by extent (std::array's == is a
    // memcmp call, a visible part of a small call that compares shapes).
    friend bool operator==(const Shape& a, const Shape& b) noexcept {
        static_assert(max_rank == 4, "operator== compares four extents");
        return a.rank_ == b.rank_ && a.dims_[0] == b.dims_[0] && a.dims_[1] == b.dims_[1] && a.dims_[2] == b.dims_[2] &&
               a.dims_[3] == b.dims_[3];
    }
    friend bool operator!=(const Shape& a, const Shape& b) noexcept { return !(a == b); }

  private:
    static bool multiply_overflows(Index a, Index b, Index& product) noexcept {
#if defined(__GNUC__) || defined(__clang__)
        return __builtin_mul_overflow(a, b, &product);
#else
        if (b != 0 && a > std::numeric_limits<Index>::max() / b) return true;
        product = a * b;
        return false;
#endif
    }

    std::array<Index, max_rank> dims_{};
    int rank_ = 0;
};

ELMAN_NAMESPACE_END
