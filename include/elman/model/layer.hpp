// SPDX-License-Identifier: MIT
// The layer interface of the model runtime: static specs at build time, buffers reused at call time.
#pragma once

#include <elman/config.hpp>
#include <elman/exceptions.hpp>
#include <elman/model/weights.hpp>
#include <elman/shape.hpp>
#include <elman/tensor.hpp>

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

ELMAN_NAMESPACE_BEGIN
namespace model {

/// A static shape as Keras prints it: batch first, -1 for `None` (unknown until a call).
using Dims = std::vector<Index>;

/// What is known of a tensor before any call: its shape and whether it carries a Keras mask.
struct TensorSpec {
    Dims shape;
    /// The tensor has a `_keras_mask`: one flag per position of `shape[:-1]` (`[B, T]` for `[B, T, F]`).
    bool masked = false;
};

/// Python's text of a shape tuple: "(None, 5, 3)", "(None,)".
inline std::string dims_string(const Dims& d) {
    std::string s = "(";
    for (std::size_t i = 0; i < d.size(); ++i) {
        if (i) s += ", ";
        s += d[i] < 0 ? std::string("None") : std::to_string(d[i]);
    }
    if (d.size() == 1) s += ",";
    return s + ")";
}

/// One tensor flowing through the graph, with its mask. Owned by the graph and reused from call to call, so a
/// repeated call with one shape allocates nothing here.
template <class Scalar>
struct Value {
    Tensor<Scalar> data;
    /// `[prod(shape[:-1])...]` flags (shape `data.shape()` without its last axis); meaningful when `has_mask`.
    Tensor<unsigned char> mask;
    bool has_mask = false;
};

namespace detail {

/// `shape` without its last axis (the shape of a Keras mask of a tensor of that shape).
inline Shape drop_last(const Shape& s) {
    switch (s.rank()) {
        case 2:
            return Shape{s[0]};
        case 3:
            return Shape{s[0], s[1]};
        case 4:
            return Shape{s[0], s[1], s[2]};
        default:
            return Shape{};
    }
}

/// `s` with one more trailing extent (no allocation, unlike building Dims).
inline Shape append_dim(const Shape& s, Index e) {
    switch (s.rank()) {
        case 0:
            return Shape{e};
        case 1:
            return Shape{s[0], e};
        case 2:
            return Shape{s[0], s[1], e};
        case 3:
            return Shape{s[0], s[1], s[2], e};
        default:
            ELMAN_THROW(std::invalid_argument("elman model: rank " + std::to_string(s.rank() + 1) +
                                              " exceeds the supported maximum of " + std::to_string(Shape::max_rank)));
    }
}

inline Shape to_shape(const Dims& d) {
    switch (d.size()) {
        case 0:
            return Shape{};
        case 1:
            return Shape{d[0]};
        case 2:
            return Shape{d[0], d[1]};
        case 3:
            return Shape{d[0], d[1], d[2]};
        case 4:
            return Shape{d[0], d[1], d[2], d[3]};
        default:
            ELMAN_THROW(std::invalid_argument("elman model: rank " + std::to_string(d.size()) +
                                              " exceeds the supported maximum of " + std::to_string(Shape::max_rank)));
    }
}

/// Copies the mask of `in` (or its absence) into `out`, reusing `out`'s storage.
template <class Scalar>
void copy_mask(const Value<Scalar>& in, Value<Scalar>& out) {
    out.has_mask = in.has_mask;
    if (!in.has_mask) return;
    out.mask.resize(in.mask.shape());
    std::copy(in.mask.data(), in.mask.data() + in.mask.size(), out.mask.data());
}

/// Copies data and mask of `in` into `out`, reusing `out`'s storage.
template <class Scalar>
void copy_value(const Value<Scalar>& in, Value<Scalar>& out) {
    out.data.resize(in.data.shape());
    std::copy(in.data.data(), in.data.data() + in.data.size(), out.data.data());
    copy_mask(in, out);
}

}  // namespace detail

/// The Shape with extents `d` (for example a model's input_shape() once its None extents, -1, are chosen);
/// std::invalid_argument for a rank above Shape::max_rank.
inline Shape to_shape(const Dims& d) { return detail::to_shape(d); }

/// A Keras layer inside a Model. `build` runs once per application of the layer in the graph (twice for a
/// layer shared by two nodes) with the static specs of its inputs, checks them as Keras' `build` /
/// `compute_output_shape` / `compute_mask` do and returns the specs of its outputs (problems: std::invalid_argument,
/// which the model builder reports as io::FormatError naming the layer). `call` then runs one application,
/// writing the outputs (data and mask) into graph-owned buffers it may resize.
template <class Scalar>
class Layer {
  public:
    using Inputs = std::vector<const Value<Scalar>*>;
    using Outputs = std::vector<Value<Scalar>*>;

    Layer(std::string name, std::string class_name, bool trainable = true)
        : name_(std::move(name)), class_name_(std::move(class_name)), trainable_(trainable) {}
    virtual ~Layer() = default;
    Layer(const Layer&) = delete;
    Layer& operator=(const Layer&) = delete;

    const std::string& name() const noexcept { return name_; }
    /// Keras class name ("Dense", "SimpleRNN", ...), as `summary()` prints it.
    const std::string& class_name() const noexcept { return class_name_; }
    bool trainable() const noexcept { return trainable_; }

    virtual std::vector<TensorSpec> build(const std::vector<TensorSpec>& inputs) = 0;
    /// Weights in Keras order with their shapes (known after the first build); empty for weightless layers.
    virtual std::vector<WeightSpec> weight_specs() const { return {}; }
    /// Keras `set_weights`, already checked against weight_specs() by the caller.
    virtual void set_weights(std::vector<Tensor<Scalar>>&& weights) {
        if (!weights.empty()) fail("takes no weights, got " + std::to_string(weights.size()));
    }
    /// Keras `get_weights()`.
    virtual std::vector<Tensor<Scalar>> get_weights() const { return {}; }
    /// Keras `count_params()`.
    Index param_count() const {
        Index n = 0;
        for (const WeightSpec& w : weight_specs()) n += w.shape.size();
        return n;
    }
    virtual void call(const Inputs& inputs, const Outputs& outputs) = 0;
    /// Whether Keras 3 computes this application differently from TF 2.x, given its input specs: merge layers
    /// with a masked input (Keras 3 ORs the masks where TF 2.x ANDs them, and its Multiply / Maximum / Minimum
    /// change the values at masked positions). Model refuses such a model under Keras 3 semantics.
    virtual bool differs_in_keras3(const std::vector<TensorSpec>& inputs) const {
        (void)inputs;
        return false;
    }
    /// Keras `reset_states()` for stateful layers; no-op elsewhere.
    virtual void reset_states() {}
    virtual bool stateful() const { return false; }

  protected:
    [[noreturn]] void fail(const std::string& what) const {
        ELMAN_THROW(std::invalid_argument("layer '" + name_ + "' (" + class_name_ + "): " + what));
    }
    void expect_inputs(const std::vector<TensorSpec>& inputs, std::size_t n) const {
        if (inputs.size() != n) {
            fail("expects " + std::to_string(n) + " input tensor(s), got " + std::to_string(inputs.size()));
        }
    }
    /// Keras' base `compute_mask` for layers without masking support: a masked input is an error (TF 2.4
    /// raises "Layer ... does not support masking"), since the mask would otherwise be dropped silently.
    void refuse_mask(const TensorSpec& input) const {
        if (input.masked) {
            fail("does not support masking, but its input carries a mask (from Masking or Embedding(mask_zero))");
        }
    }
    /// Checks a call's input against the static shape known at build time (unknown extents match anything).
    void check_runtime(const Tensor<Scalar>& t, const Dims& expected, const char* what = "input") const {
        bool ok = t.rank() == static_cast<int>(expected.size());
        for (int i = 0; ok && i < t.rank(); ++i)
            ok = expected[static_cast<std::size_t>(i)] < 0 || expected[static_cast<std::size_t>(i)] == t.dim(i);
        if (!ok)
            fail(std::string(what) + " has shape " + t.shape().to_string() + ", expected " + dims_string(expected));
    }

  private:
    std::string name_;
    std::string class_name_;
    bool trainable_;
};

}  // namespace model
ELMAN_NAMESPACE_END
