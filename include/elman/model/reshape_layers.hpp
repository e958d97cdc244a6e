// SPDX-License-Identifier: MIT
// Keras reshaping layers of the model runtime: Flatten, Reshape, RepeatVector, Permute (none supports masking).
#pragma once

#include <elman/config.hpp>
#include <elman/model/layer.hpp>
#include <elman/shape.hpp>
#include <elman/tensor.hpp>

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

ELMAN_NAMESPACE_BEGIN
namespace model {

/// Keras `Flatten`: `[B, d1, d2, ...]` -> `[B, d1*d2*...]` (row-major order, as Keras' channels_last).
template <class Scalar>
class FlattenLayer final : public Layer<Scalar> {
  public:
    using Layer<Scalar>::Layer;
    std::vector<TensorSpec> build(const std::vector<TensorSpec>& inputs) override {
        this->expect_inputs(inputs, 1);
        this->refuse_mask(inputs[0]);
        in_ = inputs[0].shape;
        if (in_.size() < 2) this->fail("expects a batch of at least 1-D samples, got " + dims_string(in_));
        Index n = 1;
        for (std::size_t i = 1; i < in_.size(); ++i) n = (n < 0 || in_[i] < 0) ? -1 : n * in_[i];
        return {TensorSpec{Dims{in_[0], n}, false}};
    }
    void call(const typename Layer<Scalar>::Inputs& in, const typename Layer<Scalar>::Outputs& out) override {
        const Tensor<Scalar>& x = in[0]->data;
        this->check_runtime(x, in_);
        out[0]->data.resize(Shape{x.dim(0), x.dim(0) == 0 ? 0 : x.size() / x.dim(0)});
        std::copy(x.data(), x.data() + x.size(), out[0]->data.data());
        out[0]->has_mask = false;
    }

  private:
    Dims in_;
};

/// Keras `Reshape(target_shape)`: the sample shape becomes `target_shape` (one entry may be -1, tfjs writes it as
/// null), element order unchanged.
template <class Scalar>
class ReshapeLayer final : public Layer<Scalar> {
  public:
    ReshapeLayer(std::string name, Dims target, bool trainable = true)
        : Layer<Scalar>(std::move(name), "Reshape", trainable), target_(std::move(target)) {}
    std::vector<TensorSpec> build(const std::vector<TensorSpec>& inputs) override {
        this->expect_inputs(inputs, 1);
        this->refuse_mask(inputs[0]);
        in_ = inputs[0].shape;
        Dims out{in_[0]};
        Index known = 1, sample = 1;
        int unknown = 0;
        for (Index t : target_) {
            if (t < 0)
                ++unknown;
            else
                known *= t;
        }
        if (unknown > 1) this->fail("target_shape may contain only one unknown (-1) dimension");
        for (std::size_t i = 1; i < in_.size(); ++i) sample = (sample < 0 || in_[i] < 0) ? -1 : sample * in_[i];
        for (Index t : target_) {
            if (t >= 0) {
                out.push_back(t);
            } else if (sample >= 0) {
                if (known == 0 || sample % known != 0)
                    this->fail("cannot reshape " + dims_string(in_) + " to target_shape " + target_string());
                out.push_back(sample / known);
            } else {
                out.push_back(-1);
            }
        }
        if (sample >= 0 && unknown == 0 && sample != known)
            this->fail("cannot reshape " + dims_string(in_) + " to target_shape " + target_string());
        if (out.size() > static_cast<std::size_t>(Shape::max_rank))
            this->fail("target rank " + std::to_string(out.size()) + " exceeds " + std::to_string(Shape::max_rank));
        out_ = out;
        return {TensorSpec{out, false}};
    }
    void call(const typename Layer<Scalar>::Inputs& in, const typename Layer<Scalar>::Outputs& out) override {
        const Tensor<Scalar>& x = in[0]->data;
        this->check_runtime(x, in_);
        Shape d = model::detail::to_shape(out_);
        d[0] = x.dim(0);
        Index known = 1;
        for (int i = 1; i < d.rank(); ++i)
            if (d[i] >= 0) known *= d[i];
        const Index sample = x.dim(0) == 0 ? 0 : x.size() / x.dim(0);
        for (int i = 1; i < d.rank(); ++i) {
            if (d[i] < 0) {
                if (known == 0 || sample % known != 0)
                    this->fail("cannot reshape an input of shape " + x.shape().to_string() + " to target_shape " +
                               target_string());
                d[i] = sample / known;
            }
        }
        out[0]->data.resize(d);
        if (out[0]->data.size() != x.size())
            this->fail("cannot reshape an input of shape " + x.shape().to_string() + " to target_shape " +
                       target_string());
        std::copy(x.data(), x.data() + x.size(), out[0]->data.data());
        out[0]->has_mask = false;
    }

  private:
    std::string target_string() const {
        Dims t = target_;
        return dims_string(t);
    }
    Dims target_, in_, out_;
};

/// Keras `RepeatVector(n)`: `[B, F]` -> `[B, n, F]`.
template <class Scalar>
class RepeatVectorLayer final : public Layer<Scalar> {
  public:
    RepeatVectorLayer(std::string name, Index n, bool trainable = true)
        : Layer<Scalar>(std::move(name), "RepeatVector", trainable), n_(n) {}
    std::vector<TensorSpec> build(const std::vector<TensorSpec>& inputs) override {
        this->expect_inputs(inputs, 1);
        this->refuse_mask(inputs[0]);
        in_ = inputs[0].shape;
        if (in_.size() != 2) this->fail("expects a 2-D input [batch, features], got " + dims_string(in_));
        return {TensorSpec{Dims{in_[0], n_, in_[1]}, false}};
    }
    void call(const typename Layer<Scalar>::Inputs& in, const typename Layer<Scalar>::Outputs& out) override {
        const Tensor<Scalar>& x = in[0]->data;
        this->check_runtime(x, in_);
        const Index b = x.dim(0), f = x.dim(1);
        out[0]->data.resize(Shape{b, n_, f});
        for (Index i = 0; i < b; ++i)
            for (Index t = 0; t < n_; ++t)
                std::copy(x.data() + i * f, x.data() + (i + 1) * f, out[0]->data.data() + (i * n_ + t) * f);
        out[0]->has_mask = false;
    }

  private:
    Index n_;
    Dims in_;
};

/// Keras `Permute(dims)`: sample axes reordered, `dims` 1-based (output axis i+1 = input axis dims[i]).
template <class Scalar>
class PermuteLayer final : public Layer<Scalar> {
  public:
    PermuteLayer(std::string name, std::vector<int> dims, bool trainable = true)
        : Layer<Scalar>(std::move(name), "Permute", trainable), dims_(std::move(dims)) {
        std::vector<int> sorted = dims_;
        std::sort(sorted.begin(), sorted.end());
        for (std::size_t i = 0; i < sorted.size(); ++i)
            if (sorted[i] != static_cast<int>(i) + 1)
                this->fail("`dims` must be a permutation of 1.." + std::to_string(dims_.size()));
    }
    std::vector<TensorSpec> build(const std::vector<TensorSpec>& inputs) override {
        this->expect_inputs(inputs, 1);
        this->refuse_mask(inputs[0]);
        in_ = inputs[0].shape;
        if (in_.size() != dims_.size() + 1)
            this->fail("expects a " + std::to_string(dims_.size() + 1) + "-D input, got " + dims_string(in_));
        Dims out{in_[0]};
        for (int d : dims_) out.push_back(in_[static_cast<std::size_t>(d)]);
        return {TensorSpec{out, false}};
    }
    void call(const typename Layer<Scalar>::Inputs& in, const typename Layer<Scalar>::Outputs& out) override {
        const Tensor<Scalar>& x = in[0]->data;
        this->check_runtime(x, in_);
        const int rank = x.rank();
        // perm[o] = input axis feeding output axis o (batch stays first).
        int perm[Shape::max_rank] = {0, 0, 0, 0};
        Shape od = x.shape();
        for (int o = 1; o < rank; ++o) {
            perm[o] = dims_[static_cast<std::size_t>(o - 1)];
            od[o] = x.dim(perm[o]);
        }
        Tensor<Scalar>& y = out[0]->data;
        y.resize(od);
        Index in_stride[Shape::max_rank] = {0, 0, 0, 0};
        in_stride[rank - 1] = 1;
        for (int a = rank - 2; a >= 0; --a) in_stride[a] = in_stride[a + 1] * x.dim(a + 1);
        Index idx[Shape::max_rank] = {0, 0, 0, 0};
        for (Index flat = 0; flat < y.size(); ++flat) {
            Index src = 0;
            for (int o = 0; o < rank; ++o) src += idx[o] * in_stride[perm[o]];
            y.data()[flat] = x.data()[src];
            for (int o = rank - 1; o >= 0; --o) {
                if (++idx[o] < od[o]) break;
                idx[o] = 0;
            }
        }
        out[0]->has_mask = false;
    }

  private:
    std::vector<int> dims_;
    Dims in_;
};

}  // namespace model
ELMAN_NAMESPACE_END
