// SPDX-License-Identifier: MIT
// The weights of a SimpleRNN in Keras' layout: build, get_weights, set_weights.
#pragma once

#include <elman/config.hpp>
#include <elman/exceptions.hpp>
#include <elman/initializers.hpp>
#include <elman/parameter.hpp>
#include <elman/shape.hpp>
#include <elman/tensor.hpp>

#include <Eigen/Core>

#include <stdexcept>
#include <string>
#include <vector>

ELMAN_NAMESPACE_BEGIN

/// kernel `[F, U]` (row i = input feature i), recurrent_kernel `[U, U]` and, with use_bias, bias `[U]` (stored
/// as a `[1, U]` row): Keras' layout, row-major, so values move to and from Keras arrays unchanged. Every write
/// goes through a Parameter and changes its stamp (see parameter.hpp). A moved-from object is unbuilt.
template <class Scalar>
class SimpleRNNWeights {
  public:
    SimpleRNNWeights(Index units, bool use_bias) : units_(units), use_bias_(use_bias), bias_(0, 0, true) {}
    SimpleRNNWeights(const SimpleRNNWeights&) = default;
    SimpleRNNWeights& operator=(const SimpleRNNWeights&) = default;
    SimpleRNNWeights(SimpleRNNWeights&& other) noexcept
        : units_(other.units_), use_bias_(other.use_bias_), input_dim_(other.input_dim_), built_(other.built_),
          kernel_(std::move(other.kernel_)), recurrent_kernel_(std::move(other.recurrent_kernel_)),
          bias_(std::move(other.bias_)) {
        other.unbuild();
    }
    SimpleRNNWeights& operator=(SimpleRNNWeights&& other) noexcept {
        if (this != &other) {
            units_ = other.units_;
            use_bias_ = other.use_bias_;
            input_dim_ = other.input_dim_;
            built_ = other.built_;
            kernel_ = std::move(other.kernel_);
            recurrent_kernel_ = std::move(other.recurrent_kernel_);
            bias_ = std::move(other.bias_);
            other.unbuild();
        }
        return *this;
    }

    Index units() const noexcept { return units_; }
    bool use_bias() const noexcept { return use_bias_; }
    bool built() const noexcept { return built_; }
    /// Input features the weights were built for (0 before build; Keras allows building with 0).
    Index input_dim() const noexcept { return input_dim_; }

    const Parameter<Scalar>& kernel() const noexcept { return kernel_; }
    const Parameter<Scalar>& recurrent_kernel() const noexcept { return recurrent_kernel_; }
    const Parameter<Scalar>& bias() const noexcept { return bias_; }
    /// Writable parameters (their writes are tracked; shapes cannot change through them).
    Parameter<Scalar>& kernel() noexcept { return kernel_; }
    Parameter<Scalar>& recurrent_kernel() noexcept { return recurrent_kernel_; }
    Parameter<Scalar>& bias() noexcept { return bias_; }

    /// Allocates the weights for `input_dim` features and fills them with the initializers (Keras `build`).
    void build(Index input_dim, const Initializer& kernel_init, const Initializer& recurrent_init,
               const Initializer& bias_init) {
        allocate(input_dim);
        kernel_.modify([&](auto& w) { kernel_init.fill(w.data(), Shape{input_dim, units_}); });
        recurrent_kernel_.modify([&](auto& w) { recurrent_init.fill(w.data(), Shape{units_, units_}); });
        if (use_bias_) bias_.modify([&](auto& w) { bias_init.fill(w.data(), Shape{units_}); });
    }

    /// Keras `get_weights()`: `[kernel, recurrent_kernel, bias]` (bias only with use_bias); empty before build.
    std::vector<Tensor<Scalar>> get() const {
        std::vector<Tensor<Scalar>> weights;
        if (!built_) return weights;
        weights.push_back(Tensor<Scalar>::from_matrix(kernel_.value()));
        weights.push_back(Tensor<Scalar>::from_matrix(recurrent_kernel_.value()));
        if (use_bias_) weights.push_back(Tensor<Scalar>::from_vector(bias_.value()));
        return weights;
    }

    /// Feature count the kernel in `weights` implies (the built one once built), after checking count and
    /// shapes with Keras' messages; `layer` names the layer in them. Changes nothing.
    Index check(const std::vector<TensorView<const Scalar>>& weights, const std::string& layer) const {
        const std::size_t expected = use_bias_ ? 3u : 2u;
        if (weights.size() != expected) {
            ELMAN_THROW(std::invalid_argument("You called `set_weights(weights)` on layer \"" + layer +
                                              "\" with a weight list of length " + std::to_string(weights.size()) +
                                              ", but the layer was expecting " + std::to_string(expected) +
                                              " weights."));
        }
        const Index features = built_ ? input_dim_ : (weights[0].rank() == 2 ? weights[0].dim(0) : -1);
        check_shape(layer, Shape{features, units_}, weights[0].shape());
        check_shape(layer, Shape{units_, units_}, weights[1].shape());
        if (use_bias_) check_shape(layer, Shape{units_}, weights[2].shape());
        return features;
    }

    /// Keras `set_weights(weights)` after `check` passed (builds an unbuilt object from the kernel's shape).
    void set_checked(const std::vector<TensorView<const Scalar>>& weights) {
        if (!built_) allocate(weights[0].dim(0));
        kernel_.assign(weights[0].matrix());
        recurrent_kernel_.assign(weights[1].matrix());
        if (use_bias_) bias_.assign(Eigen::Map<const RowMajorMatrix<Scalar>>(weights[2].data(), 1, units_));
    }

  private:
    void allocate(Index input_dim) {
        Shape({input_dim, units_}).size();  // throws std::length_error for absurd sizes
        kernel_.resize(input_dim, units_);
        recurrent_kernel_.resize(units_, units_);
        bias_.resize(use_bias_ ? 1 : 0, use_bias_ ? units_ : 0);
        input_dim_ = input_dim;
        built_ = true;
    }
    void unbuild() noexcept {
        input_dim_ = 0;
        built_ = false;
    }
    static void check_shape(const std::string& layer, const Shape& expected, const Shape& provided) {
        if (expected != provided || expected[0] < 0) {
            ELMAN_THROW(std::invalid_argument("SimpleRNN '" + layer + "': layer weight shape " +
                                              (expected[0] < 0 ? std::string("(F, U)") : expected.to_string()) +
                                              " not compatible with provided weight shape " + provided.to_string()));
        }
    }

    Index units_;
    bool use_bias_;
    Index input_dim_ = 0;
    bool built_ = false;
    Parameter<Scalar> kernel_, recurrent_kernel_, bias_;
};

ELMAN_NAMESPACE_END
