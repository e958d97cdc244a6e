// SPDX-License-Identifier: MIT
// A linear read-out layer (Keras `Dense(units)` with activation=None) with its backward pass, for training
// SimpleRNN models end to end.
#pragma once

#include <elman/config.hpp>
#include <elman/exceptions.hpp>
#include <elman/initializers.hpp>
#include <elman/parameter.hpp>
#include <elman/shape.hpp>
#include <elman/tensor.hpp>
#include <elman/train/variable.hpp>

#include <Eigen/Core>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

ELMAN_NAMESPACE_BEGIN

/// Gradients of a loss with respect to a Dense layer's weights and its input.
template <class Scalar>
struct DenseGradients {
    RowMajorMatrix<Scalar> kernel;  ///< `[in, units]`
    RowMajorMatrix<Scalar> bias;    ///< `[1, units]`
    Tensor<Scalar> inputs;          ///< shaped like the forward input
};

/// Keras `Dense(units, activation=None, use_bias=True)`: `y = x · kernel + bias` over the last axis, so a
/// `[B, U]` last output gives `[B, units]` and a `[B, T, U]` sequence gives `[B, T, units]`. Weights use
/// Keras' layout: kernel `[in, units]`, bias `[units]` (a `[1, units]` row), row-major like every weight.
template <class Scalar = float>
class Dense {
  public:
    using RowMatrix = RowMajorMatrix<Scalar>;

    /// Builds kernel `[input_dim, units]` and bias `[units]` with Keras' defaults (glorot_uniform, zeros) unless
    /// other initializers are given. Throws std::invalid_argument for non-positive sizes.
    Dense(Index input_dim, Index units, Initializer kernel_initializer = Initializer::glorot_uniform(),
          Initializer bias_initializer = Initializer::zeros(), std::string name = "dense")
        : name_(std::move(name)) {
        if (input_dim <= 0 || units <= 0) {
            ELMAN_THROW(std::invalid_argument("Dense '" + name_ + "': `input_dim` and `units` must be positive, got " +
                                              std::to_string(input_dim) + " and " + std::to_string(units)));
        }
        kernel_.resize(input_dim, units);
        kernel_.modify([&](auto& w) { kernel_initializer.fill(w.data(), Shape{input_dim, units}); });
        bias_.resize(1, units);
        bias_.modify([&](auto& w) { bias_initializer.fill(w.data(), Shape{units}); });
    }

    const std::string& name() const noexcept { return name_; }
    Index input_dim() const noexcept { return kernel_.rows(); }
    Index units() const noexcept { return kernel_.cols(); }
    const RowMatrix& kernel() const noexcept { return kernel_.value(); }
    const RowMatrix& bias() const noexcept { return bias_.value(); }
    /// The weights as Parameters (written through `modify` / `assign`, as optimizers do).
    Parameter<Scalar>& kernel_parameter() noexcept { return kernel_; }
    Parameter<Scalar>& bias_parameter() noexcept { return bias_; }

    /// `y = x · kernel + bias` for `x` of rank 2 or 3 whose last extent is input_dim.
    Tensor<Scalar> operator()(TensorView<const Scalar> x) const {
        Tensor<Scalar> y;
        (*this)(x, y);
        return y;
    }

    /// Same, writing into `y` (resized in place, so repeated calls of one shape reuse its storage). `y` must not
    /// be `x`'s buffer.
    void operator()(TensorView<const Scalar> x, Tensor<Scalar>& y) const {
        check_input(x);
        y.resize(out_shape(x.shape()));
        auto ym = y.matrix();
        ym.noalias() = x.matrix() * kernel();
        ym.rowwise() += bias().row(0);
    }

    /// Gradients given the forward input `x` and d loss / d y `grad_output` (shaped like the output).
    DenseGradients<Scalar> backward(TensorView<const Scalar> x, TensorView<const Scalar> grad_output) const {
        check_input(x);
        const Shape expected = out_shape(x.shape());
        if (grad_output.shape() != expected) {
            ELMAN_THROW(std::invalid_argument("Dense '" + name_ + "': `grad_output` has shape " +
                                              grad_output.shape().to_string() + ", expected " + expected.to_string()));
        }
        DenseGradients<Scalar> g;
        const auto gy = grad_output.matrix();
        g.kernel.noalias() = x.matrix().transpose() * gy;
        g.bias = gy.colwise().sum();
        g.inputs.resize(x.shape());
        g.inputs.matrix().noalias() = gy * kernel().transpose();
        return g;
    }

  private:
    void check_input(const TensorView<const Scalar>& x) const {
        if (x.rank() < 2 || x.rank() > 3 || x.dim(x.rank() - 1) != input_dim()) {
            ELMAN_THROW(std::invalid_argument("Dense '" + name_ + "': `inputs` has shape " + x.shape().to_string() +
                                              ", expected rank 2 or 3 with last dimension " +
                                              std::to_string(input_dim())));
        }
    }
    Shape out_shape(Shape s) const {
        s[s.rank() - 1] = units();
        return s;
    }

    std::string name_;
    Parameter<Scalar> kernel_;
    Parameter<Scalar> bias_{0, 0, true};
};

/// A Dense layer's weights paired with their gradients (kernel, bias), for an optimizer's apply_gradients.
template <class Scalar>
std::vector<Variable<Scalar>> trainable_variables(Dense<Scalar>& layer, const DenseGradients<Scalar>& grads) {
    std::vector<Variable<Scalar>> vars;
    vars.emplace_back(layer.name() + "/kernel", layer.kernel_parameter(), grads.kernel);
    vars.emplace_back(layer.name() + "/bias", layer.bias_parameter(), grads.bias);
    return vars;
}

ELMAN_NAMESPACE_END
