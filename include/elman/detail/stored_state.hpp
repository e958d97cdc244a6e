// SPDX-License-Identifier: MIT
// The state a stateful SimpleRNN keeps between calls.
#pragma once

#include <elman/config.hpp>
#include <elman/tensor.hpp>

#include <utility>

ELMAN_NAMESPACE_BEGIN
namespace detail {

/// `[B, U]` state of a stateful layer, absent until the batch size is known. A moved-from object is absent.
template <class Scalar>
class StoredState {
  public:
    StoredState() = default;
    StoredState(const StoredState&) = default;
    StoredState& operator=(const StoredState&) = default;
    StoredState(StoredState&& other) noexcept : value_(std::move(other.value_)), exists_(other.exists_) {
        other.clear();
    }
    StoredState& operator=(StoredState&& other) noexcept {
        if (this != &other) {
            value_ = std::move(other.value_);
            exists_ = other.exists_;
            other.clear();
        }
        return *this;
    }

    bool exists() const noexcept { return exists_; }
    /// Batch size of the stored state (0 while absent).
    Index batch() const noexcept { return exists_ ? value_.dim(0) : 0; }
    const Tensor<Scalar>& value() const noexcept { return value_; }
    /// Whether the state is absent or all zeros (TF 2.4's "no state yet" test for an explicit initial_state).
    bool is_zero() const noexcept {
        for (Index i = 0; i < value_.size(); ++i)
            if (value_.data()[i] != Scalar(0)) return false;
        return true;
    }

    void set_zero(Index batch, Index units) {
        value_.resize(Shape{batch, units});
        value_.matrix().setZero();
        exists_ = true;
    }
    /// value := `state` (shape already checked: `[batch(), U]`).
    template <class Derived>
    void assign(const Eigen::MatrixBase<Derived>& state) {
        value_.matrix() = state;
    }

  private:
    void clear() noexcept {
        value_ = Tensor<Scalar>();
        exists_ = false;
    }

    Tensor<Scalar> value_;
    bool exists_ = false;
};

}  // namespace detail
ELMAN_NAMESPACE_END
