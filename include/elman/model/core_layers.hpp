// SPDX-License-Identifier: MIT
// Keras core layers of the model runtime: InputLayer, Dense / TimeDistributed(Dense), Activation, Softmax, ReLU,
// the inference-identity layers (Dropout family, noise, ActivityRegularization), Masking and Embedding.
#pragma once

#include <elman/activation_registry.hpp>
#include <elman/config.hpp>
#include <elman/dense.hpp>
#include <elman/initializers.hpp>
#include <elman/model/layer.hpp>
#include <elman/model/weights.hpp>
#include <elman/shape.hpp>
#include <elman/tensor.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

ELMAN_NAMESPACE_BEGIN
namespace model {

namespace detail {

/// `y = act(z)` over a `[rows, cols]` row-major block (softmax: along each row, i.e. the last axis).
template <class Scalar>
void apply_activation(const KerasActivation& activation, const Scalar* z, Scalar* y, Index rows, Index cols) {
    Eigen::Map<const RowMajorMatrix<Scalar>> zm(z, rows, cols);
    Eigen::Map<RowMajorMatrix<Scalar>> ym(y, rows, cols);
    activation.forward(zm.array(), ym.array());
}

}  // namespace detail

/// Keras `InputLayer`: the model's entry point for one input tensor of static shape `batch_input_shape`.
template <class Scalar>
class InputLayer final : public Layer<Scalar> {
  public:
    InputLayer(std::string name, Dims batch_input_shape)
        : Layer<Scalar>(std::move(name), "InputLayer"), shape_(std::move(batch_input_shape)) {}
    const Dims& shape() const noexcept { return shape_; }
    std::vector<TensorSpec> build(const std::vector<TensorSpec>& inputs) override {
        this->expect_inputs(inputs, 0);
        return {TensorSpec{shape_, false}};
    }
    /// The graph writes the model input into this layer's output before anything runs.
    void call(const typename Layer<Scalar>::Inputs&, const typename Layer<Scalar>::Outputs&) override {}

  private:
    Dims shape_;
};

/// Layers that are the identity at inference (`training=False`): Dropout, SpatialDropout1D, GaussianNoise,
/// GaussianDropout, AlphaDropout, ActivityRegularization. All support masking: the mask passes unchanged.
template <class Scalar>
class IdentityLayer final : public Layer<Scalar> {
  public:
    using Layer<Scalar>::Layer;
    std::vector<TensorSpec> build(const std::vector<TensorSpec>& inputs) override {
        this->expect_inputs(inputs, 1);
        if (this->class_name() == "SpatialDropout1D" && inputs[0].shape.size() != 3)
            this->fail("expects a 3-D input, got " + dims_string(inputs[0].shape));
        return {inputs[0]};
    }
    void call(const typename Layer<Scalar>::Inputs& in, const typename Layer<Scalar>::Outputs& out) override {
        model::detail::copy_value(*in[0], *out[0]);
    }
};

/// Keras `Activation(name)`: element-wise (softmax: over the last axis); the mask passes unchanged.
template <class Scalar>
class ActivationLayer final : public Layer<Scalar> {
  public:
    ActivationLayer(std::string name, const std::string& activation, bool trainable = true)
        : Layer<Scalar>(std::move(name), "Activation", trainable), activation_(activation) {}
    std::vector<TensorSpec> build(const std::vector<TensorSpec>& inputs) override {
        this->expect_inputs(inputs, 1);
        if (inputs[0].shape.size() < 2) this->fail("expects a batch of at least 1-D samples");
        return {inputs[0]};
    }
    void call(const typename Layer<Scalar>::Inputs& in, const typename Layer<Scalar>::Outputs& out) override {
        const Tensor<Scalar>& x = in[0]->data;
        Tensor<Scalar>& y = out[0]->data;
        if (activation_.is<Linear>()) {
            model::detail::copy_value(*in[0], *out[0]);
            return;
        }
        y.resize(x.shape());
        const auto xm = x.matrix();
        detail::apply_activation(activation_, x.data(), y.data(), xm.rows(), xm.cols());
        model::detail::copy_mask(*in[0], *out[0]);
    }

  private:
    KerasActivation activation_;
};

/// Keras `Softmax(axis=-1)`: `exp(x - max) / sum` along `axis`; the mask passes unchanged.
template <class Scalar>
class SoftmaxLayer final : public Layer<Scalar> {
  public:
    SoftmaxLayer(std::string name, int axis, bool trainable = true)
        : Layer<Scalar>(std::move(name), "Softmax", trainable), axis_(axis) {}
    std::vector<TensorSpec> build(const std::vector<TensorSpec>& inputs) override {
        this->expect_inputs(inputs, 1);
        const int rank = static_cast<int>(inputs[0].shape.size());
        const int a = axis_ < 0 ? axis_ + rank : axis_;
        if (a < 1 || a >= rank)
            this->fail("axis " + std::to_string(axis_) + " is out of range for rank " + std::to_string(rank));
        resolved_ = a;
        return {inputs[0]};
    }
    void call(const typename Layer<Scalar>::Inputs& in, const typename Layer<Scalar>::Outputs& out) override {
        const Tensor<Scalar>& x = in[0]->data;
        Tensor<Scalar>& y = out[0]->data;
        y.resize(x.shape());
        Index outer = 1, inner = 1;
        for (int i = 0; i < resolved_; ++i) outer *= x.dim(i);
        for (int i = resolved_ + 1; i < x.rank(); ++i) inner *= x.dim(i);
        const Index n = x.dim(resolved_);
        if (inner == 1) {
            detail::apply_activation(KerasActivation::of<Softmax>(), x.data(), y.data(), outer, n);
        } else {
            for (Index o = 0; o < outer; ++o) {
                for (Index k = 0; k < inner; ++k) {
                    const Scalar* xs = x.data() + o * n * inner + k;
                    Scalar* ys = y.data() + o * n * inner + k;
                    Scalar max = xs[0];
                    for (Index j = 1; j < n; ++j) max = std::max(max, xs[j * inner]);
                    Scalar sum(0);
                    for (Index j = 0; j < n; ++j) sum += ys[j * inner] = std::exp(xs[j * inner] - max);
                    for (Index j = 0; j < n; ++j) ys[j * inner] /= sum;
                }
            }
        }
        model::detail::copy_mask(*in[0], *out[0]);
    }

  private:
    int axis_;
    int resolved_ = -1;
};

/// Keras `ReLU(max_value=None, negative_slope=0, threshold=0)`, computed as TF 2.4's `backend.relu`:
/// `x` for `threshold <= x` (`x > threshold` when threshold != 0), capped at max_value, and
/// `negative_slope * (x - threshold)` below the threshold. The mask passes unchanged.
template <class Scalar>
class ReluLayer final : public Layer<Scalar> {
  public:
    ReluLayer(std::string name, std::optional<double> max_value, double negative_slope, double threshold,
              bool trainable = true)
        : Layer<Scalar>(std::move(name), "ReLU", trainable), max_value_(max_value), slope_(negative_slope),
          threshold_(threshold) {}
    std::vector<TensorSpec> build(const std::vector<TensorSpec>& inputs) override {
        this->expect_inputs(inputs, 1);
        return {inputs[0]};
    }
    void call(const typename Layer<Scalar>::Inputs& in, const typename Layer<Scalar>::Outputs& out) override {
        const Tensor<Scalar>& x = in[0]->data;
        Tensor<Scalar>& y = out[0]->data;
        y.resize(x.shape());
        const Scalar t = static_cast<Scalar>(threshold_), a = static_cast<Scalar>(slope_);
        for (Index i = 0; i < x.size(); ++i) {
            const Scalar v = x.data()[i];
            // Same order of operations as backend.relu: the positive part, its cap, then minus the negative part.
            Scalar p = threshold_ != 0 ? (v > t ? v : Scalar(0)) : (v < Scalar(0) ? Scalar(0) : v);
            if (max_value_) p = std::min(std::max(p, Scalar(0)), static_cast<Scalar>(*max_value_));
            if (slope_ != 0) {
                const Scalar neg = t - v;
                p -= a * (neg > Scalar(0) ? neg : Scalar(0));
            }
            y.data()[i] = p;
        }
        model::detail::copy_mask(*in[0], *out[0]);
    }

  private:
    std::optional<double> max_value_;
    double slope_;
    double threshold_;
};

/// Keras `Dense(units, activation, use_bias)` over the last axis of a 2-D or 3-D input (as Keras does), and
/// `TimeDistributed(Dense)` (the same computation on `[B, T, F]`, weights named after the wrapper). The
/// product is elman::Dense's; the mask passes unchanged.
template <class Scalar>
class DenseLayer final : public Layer<Scalar> {
  public:
    /// `class_name` is "Dense" or "TimeDistributed" (named after the wrapper, as Keras names its weights).
    DenseLayer(std::string name, std::string class_name, Index units, const std::string& activation, bool use_bias,
               bool trainable = true)
        : Layer<Scalar>(std::move(name), std::move(class_name), trainable), units_(units), use_bias_(use_bias),
          activation_(activation) {}

    Index units() const noexcept { return units_; }
    bool use_bias() const noexcept { return use_bias_; }
    /// The underlying elman::Dense (bias all zeros without use_bias); empty before build.
    const std::optional<Dense<Scalar>>& dense() const noexcept { return dense_; }

    std::vector<TensorSpec> build(const std::vector<TensorSpec>& inputs) override {
        this->expect_inputs(inputs, 1);
        const Dims& s = inputs[0].shape;
        const bool wrapped = this->class_name() == "TimeDistributed";
        if (wrapped ? s.size() != 3 : (s.size() < 2 || s.size() > 3))
            this->fail("expects a " + std::string(wrapped ? "3-D" : "2-D or 3-D") + " input, got " + dims_string(s));
        if (s.back() <= 0) this->fail("the last dimension of the input must be known, got " + dims_string(s));
        if (dense_ && dense_->input_dim() != s.back())
            this->fail("was built for " + std::to_string(dense_->input_dim()) + " input features, now applied to " +
                       dims_string(s));
        if (!dense_) dense_.emplace(s.back(), units_, Initializer::zeros(), Initializer::zeros(), this->name());
        TensorSpec o = inputs[0];
        o.shape.back() = units_;
        return {o};
    }
    std::vector<WeightSpec> weight_specs() const override {
        std::vector<WeightSpec> w{{"kernel", Shape{dense_ ? dense_->input_dim() : 0, units_}}};
        if (use_bias_) w.push_back({"bias", Shape{units_}});
        return w;
    }
    void set_weights(std::vector<Tensor<Scalar>>&& w) override {
        dense_->kernel_parameter().assign(w[0].matrix());
        if (use_bias_)
            dense_->bias_parameter().assign(Eigen::Map<const RowMajorMatrix<Scalar>>(w[1].data(), 1, units_));
    }
    std::vector<Tensor<Scalar>> get_weights() const override {
        std::vector<Tensor<Scalar>> w{Tensor<Scalar>::from_matrix(dense_->kernel())};
        if (use_bias_) w.push_back(Tensor<Scalar>::from_vector(dense_->bias().row(0).transpose()));
        return w;
    }
    void call(const typename Layer<Scalar>::Inputs& in, const typename Layer<Scalar>::Outputs& out) override {
        const Tensor<Scalar>& x = in[0]->data;
        if (activation_.is<Linear>()) {
            (*dense_)(x.view(), out[0]->data);
        } else {
            (*dense_)(x.view(), z_);
            Tensor<Scalar>& y = out[0]->data;
            y.resize(z_.shape());
            const auto zm = z_.matrix();
            detail::apply_activation(activation_, z_.data(), y.data(), zm.rows(), zm.cols());
        }
        model::detail::copy_mask(*in[0], *out[0]);
    }

  private:
    Index units_;
    bool use_bias_;
    KerasActivation activation_;
    std::optional<Dense<Scalar>> dense_;
    Tensor<Scalar> z_;  // pre-activations, reused between calls
};

/// Keras `Masking(mask_value)`: a position is kept when any feature differs from mask_value; kept positions
/// pass, masked ones become 0, and the output carries the mask `[B, T]`.
template <class Scalar>
class MaskingLayer final : public Layer<Scalar> {
  public:
    MaskingLayer(std::string name, double mask_value, bool trainable = true)
        : Layer<Scalar>(std::move(name), "Masking", trainable), mask_value_(mask_value) {}
    std::vector<TensorSpec> build(const std::vector<TensorSpec>& inputs) override {
        this->expect_inputs(inputs, 1);
        if (inputs[0].shape.size() < 2) this->fail("expects a batch of at least 1-D samples");
        return {TensorSpec{inputs[0].shape, true}};
    }
    void call(const typename Layer<Scalar>::Inputs& in, const typename Layer<Scalar>::Outputs& out) override {
        const Tensor<Scalar>& x = in[0]->data;
        Value<Scalar>& o = *out[0];
        o.data.resize(x.shape());
        o.mask.resize(model::detail::drop_last(x.shape()));
        o.has_mask = true;
        const auto xm = x.matrix();
        auto ym = o.data.matrix();
        const Scalar mv = static_cast<Scalar>(mask_value_);
        for (Index r = 0; r < xm.rows(); ++r) {
            const bool keep = (xm.row(r).array() != mv).any();
            o.mask.data()[r] = keep ? 1 : 0;
            if (keep)
                ym.row(r) = xm.row(r);
            else
                ym.row(r).setZero();
        }
    }

  private:
    double mask_value_;
};

/// Keras `Embedding(input_dim, output_dim, mask_zero, input_length)`: integer ids (given as numbers; cast to
/// int as TF does, truncating) index rows of `embeddings [input_dim, output_dim]`. With mask_zero the output
/// carries the mask `ids != 0`. An id outside [0, input_dim) throws std::invalid_argument naming the layer.
template <class Scalar>
class EmbeddingLayer final : public Layer<Scalar> {
  public:
    EmbeddingLayer(std::string name, Index input_dim, Index output_dim, bool mask_zero, bool trainable = true)
        : Layer<Scalar>(std::move(name), "Embedding", trainable), input_dim_(input_dim), output_dim_(output_dim),
          mask_zero_(mask_zero), embeddings_(Shape{input_dim, output_dim}) {}

    bool mask_zero() const noexcept { return mask_zero_; }
    std::vector<TensorSpec> build(const std::vector<TensorSpec>& inputs) override {
        this->expect_inputs(inputs, 1);
        this->refuse_mask(inputs[0]);
        if (inputs[0].shape.empty() || inputs[0].shape.size() > 3)
            this->fail("expects ids of rank 1 to 3, got " + dims_string(inputs[0].shape));
        Dims s = inputs[0].shape;
        s.push_back(output_dim_);
        return {TensorSpec{s, mask_zero_}};
    }
    std::vector<WeightSpec> weight_specs() const override { return {{"embeddings", Shape{input_dim_, output_dim_}}}; }
    void set_weights(std::vector<Tensor<Scalar>>&& w) override { embeddings_ = std::move(w[0]); }
    std::vector<Tensor<Scalar>> get_weights() const override { return {embeddings_}; }
    void call(const typename Layer<Scalar>::Inputs& in, const typename Layer<Scalar>::Outputs& out) override {
        const Tensor<Scalar>& ids = in[0]->data;
        Value<Scalar>& o = *out[0];
        // Every id is checked before anything is written.
        for (Index i = 0; i < ids.size(); ++i) {
            const Scalar v = ids.data()[i];
            if (!(v > Scalar(-1) && v < static_cast<Scalar>(input_dim_)))
                this->fail("input id " + std::to_string(static_cast<double>(v)) + " is not in [0, " +
                           std::to_string(input_dim_) + ")");
        }
        o.data.resize(model::detail::append_dim(ids.shape(), output_dim_));
        auto ym = o.data.matrix();
        const auto em = embeddings_.matrix();
        for (Index i = 0; i < ids.size(); ++i) ym.row(i) = em.row(static_cast<Index>(ids.data()[i]));
        o.has_mask = mask_zero_;
        if (mask_zero_) {
            o.mask.resize(ids.shape());
            for (Index i = 0; i < ids.size(); ++i) o.mask.data()[i] = ids.data()[i] != Scalar(0) ? 1 : 0;
        }
    }

  private:
    Index input_dim_, output_dim_;
    bool mask_zero_;
    Tensor<Scalar> embeddings_;
};

}  // namespace model
ELMAN_NAMESPACE_END
