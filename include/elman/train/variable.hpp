// SPDX-License-Identifier: MIT
// A trainable weight paired with its gradient and constraint, as an optimizer updates it.
#pragma once

#include <elman/config.hpp>
#include <elman/constraints.hpp>
#include <elman/exceptions.hpp>
#include <elman/parameter.hpp>
#include <elman/tensor.hpp>

#include <Eigen/Core>

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

ELMAN_NAMESPACE_BEGIN

/// One trainable weight as an optimizer sees it: the layer's Parameter (written only through `update`, so the
/// layer sees every change), the gradient matrix, and the Keras constraint applied right after each update.
///
/// A Variable refers to the parameter and to the gradient *object* (not its buffer): the natural training loop
/// builds the list once and reuses it for every step, with `grads = backward(...)` reassigned in between. The
/// layer and the gradient object must outlive the Variable and stay where they are (not moved); the gradient's
/// shape is checked against the weight's at every update.
template <class Scalar>
class Variable {
  public:
    using Matrix = RowMajorMatrix<Scalar>;
    using Array = Eigen::Map<Eigen::Array<Scalar, Eigen::Dynamic, 1>>;
    using ConstArray = Eigen::Map<const Eigen::Array<Scalar, Eigen::Dynamic, 1>>;

    /// Throws std::invalid_argument naming `name` when the shapes differ.
    Variable(std::string name, Parameter<Scalar>& parameter, const Matrix& gradient,
             std::optional<Constraint> constraint = std::nullopt)
        : name_(std::move(name)), parameter_(&parameter), gradient_(&gradient), constraint_(std::move(constraint)) {
        check_shapes();
    }

    const std::string& name() const noexcept { return name_; }
    Index size() const noexcept { return parameter_->size(); }
    const Parameter<Scalar>& parameter() const noexcept { return *parameter_; }
    const Matrix& gradient() const noexcept { return *gradient_; }

    /// Calls `f(w, g)` with the weight and its gradient as flat arrays (element-wise updates do not depend on
    /// the order), then applies the constraint; the weight is marked changed. Throws std::invalid_argument when
    /// the gradient's shape no longer matches the weight's.
    template <class F>
    void update(F&& f) const {
        check_shapes();
        const Matrix& gradient = *gradient_;
        parameter_->modify([&](typename Parameter<Scalar>::Map& w) {
            Array wa(w.data(), w.size());
            const ConstArray ga(gradient.data(), gradient.size());
            f(wa, ga);
            if (constraint_) constraint_->apply(w, parameter_->is_vector());
        });
    }

  private:
    void check_shapes() const {
        if (gradient_->rows() != parameter_->rows() || gradient_->cols() != parameter_->cols()) {
            ELMAN_THROW(std::invalid_argument(
                "Variable '" + name_ + "': gradient shape (" + std::to_string(gradient_->rows()) + ", " +
                std::to_string(gradient_->cols()) + ") does not match the weight shape (" +
                std::to_string(parameter_->rows()) + ", " + std::to_string(parameter_->cols()) + ")"));
        }
    }

    std::string name_;
    Parameter<Scalar>* parameter_;
    const Matrix* gradient_;
    std::optional<Constraint> constraint_;
};

ELMAN_NAMESPACE_END
