// SPDX-License-Identifier: MIT
// Keras merge layers of the model runtime: Concatenate(axis) and the element-wise Add, Subtract, Multiply,
// Average, Maximum, Minimum, with Keras' mask rules.
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

/// The element-wise merge operations.
enum class MergeOp { Add, Subtract, Multiply, Average, Maximum, Minimum };

/// Keras `Add`, `Subtract` (exactly two inputs), `Multiply`, `Average`, `Maximum`, `Minimum` on inputs of one
/// shape. Mask (Keras `_Merge.compute_mask`): none when no input is masked, else the AND of the inputs' masks.
template <class Scalar>
class ElementwiseMergeLayer final : public Layer<Scalar> {
  public:
    ElementwiseMergeLayer(std::string name, std::string class_name, MergeOp op, bool trainable = true)
        : Layer<Scalar>(std::move(name), std::move(class_name), trainable), op_(op) {}
    std::vector<TensorSpec> build(const std::vector<TensorSpec>& inputs) override {
        if (op_ == MergeOp::Subtract ? inputs.size() != 2 : inputs.size() < 2)
            this->fail(std::string(op_ == MergeOp::Subtract ? "expects exactly 2" : "expects at least 2") +
                       " input tensors, got " + std::to_string(inputs.size()));
        TensorSpec out = inputs[0];
        for (const TensorSpec& s : inputs) {
            bool same = s.shape.size() == out.shape.size();
            for (std::size_t i = 0; same && i < s.shape.size(); ++i) {
                if (s.shape[i] >= 0 && out.shape[i] >= 0 && s.shape[i] != out.shape[i]) same = false;
                if (out.shape[i] < 0) out.shape[i] = s.shape[i];
            }
            if (!same)
                this->fail("inputs must have one shape, got " + dims_string(inputs[0].shape) + " and " +
                           dims_string(s.shape));
            out.masked = out.masked || s.masked;
        }
        shape_ = out.shape;
        return {out};
    }
    bool differs_in_keras3(const std::vector<TensorSpec>& inputs) const override {
        for (const TensorSpec& s : inputs)
            if (s.masked) return true;
        return false;
    }
    void call(const typename Layer<Scalar>::Inputs& in, const typename Layer<Scalar>::Outputs& out) override {
        for (const Value<Scalar>* v : in) this->check_runtime(v->data, shape_);
        const Tensor<Scalar>& first = in[0]->data;
        for (const Value<Scalar>* v : in)
            if (v->data.shape() != first.shape())
                this->fail("inputs must have one shape, got " + first.shape().to_string() + " and " +
                           v->data.shape().to_string());
        Tensor<Scalar>& y = out[0]->data;
        y.resize(first.shape());
        auto ym = y.matrix().array();
        ym = first.matrix().array();
        for (std::size_t i = 1; i < in.size(); ++i) {
            const auto x = in[i]->data.matrix().array();
            switch (op_) {
                case MergeOp::Add:
                case MergeOp::Average:
                    ym += x;
                    break;
                case MergeOp::Subtract:
                    ym -= x;
                    break;
                case MergeOp::Multiply:
                    ym *= x;
                    break;
                case MergeOp::Maximum:
                    ym = ym.max(x);
                    break;
                case MergeOp::Minimum:
                    ym = ym.min(x);
                    break;
            }
        }
        if (op_ == MergeOp::Average) ym /= static_cast<Scalar>(in.size());
        Value<Scalar>& o = *out[0];
        o.has_mask = false;
        for (const Value<Scalar>* v : in) {
            if (!v->has_mask) continue;
            if (!o.has_mask) {
                model::detail::copy_mask(*v, o);
                continue;
            }
            for (Index i = 0; i < o.mask.size(); ++i) o.mask.data()[i] = o.mask.data()[i] && v->mask.data()[i];
        }
    }

  private:
    MergeOp op_;
    Dims shape_;
};

/// Keras `Concatenate(axis=-1)`. Mask (Keras `Concatenate.compute_mask`): none when no input is masked;
/// otherwise an unmasked input counts as all-kept, and the masks are joined along `axis` then reduced with AND
/// over the feature axis: for the last axis that is the AND of the masks, for a time axis the masks concatenate.
template <class Scalar>
class ConcatenateLayer final : public Layer<Scalar> {
  public:
    ConcatenateLayer(std::string name, int axis, bool trainable = true)
        : Layer<Scalar>(std::move(name), "Concatenate", trainable), axis_(axis) {}
    std::vector<TensorSpec> build(const std::vector<TensorSpec>& inputs) override {
        if (inputs.size() < 2) this->fail("expects at least 2 input tensors, got " + std::to_string(inputs.size()));
        const int rank = static_cast<int>(inputs[0].shape.size());
        const int a = axis_ < 0 ? axis_ + rank : axis_;
        if (a < 1 || a >= rank)
            this->fail("axis " + std::to_string(axis_) + " is out of range for rank " + std::to_string(rank));
        resolved_ = a;
        TensorSpec out = inputs[0];
        out.shape[static_cast<std::size_t>(a)] = 0;
        for (const TensorSpec& s : inputs) {
            bool ok = static_cast<int>(s.shape.size()) == rank;
            for (int i = 0; ok && i < rank; ++i) {
                if (i == a) continue;
                const Index x = s.shape[static_cast<std::size_t>(i)], y = out.shape[static_cast<std::size_t>(i)];
                if (x >= 0 && y >= 0 && x != y) ok = false;
                if (y < 0) out.shape[static_cast<std::size_t>(i)] = x;
            }
            if (!ok)
                this->fail("inputs must match except along axis " + std::to_string(axis_) + ", got " +
                           dims_string(inputs[0].shape) + " and " + dims_string(s.shape));
            Index& cat = out.shape[static_cast<std::size_t>(a)];
            const Index e = s.shape[static_cast<std::size_t>(a)];
            cat = (cat < 0 || e < 0) ? -1 : cat + e;
            out.masked = out.masked || s.masked;
        }
        return {out};
    }
    /// Along the feature axis TF 2.x keeps a position where every mask does, Keras 3 where any does; along a
    /// time axis both concatenate the masks.
    bool differs_in_keras3(const std::vector<TensorSpec>& inputs) const override {
        bool masked = false;
        for (const TensorSpec& s : inputs) masked = masked || s.masked;
        return masked && !inputs.empty() && resolved_ == static_cast<int>(inputs[0].shape.size()) - 1;
    }
    void call(const typename Layer<Scalar>::Inputs& in, const typename Layer<Scalar>::Outputs& out) override {
        const Tensor<Scalar>& first = in[0]->data;
        const int rank = first.rank();
        Shape s = first.shape();
        Index total = 0;
        for (const Value<Scalar>* v : in) {
            bool ok = v->data.rank() == rank;
            for (int i = 0; ok && i < rank; ++i) ok = i == resolved_ || v->data.dim(i) == first.dim(i);
            if (!ok)
                this->fail("inputs must match except along axis " + std::to_string(axis_) + ", got " +
                           first.shape().to_string() + " and " + v->data.shape().to_string());
            total += v->data.dim(resolved_);
        }
        s[resolved_] = total;
        Tensor<Scalar>& y = out[0]->data;
        y.resize(s);
        Index outer = 1, inner = 1;
        for (int i = 0; i < resolved_; ++i) outer *= s[i];
        for (int i = resolved_ + 1; i < rank; ++i) inner *= s[i];
        Index offset = 0;
        for (const Value<Scalar>* v : in) {
            const Index chunk = v->data.dim(resolved_) * inner;
            for (Index o = 0; o < outer; ++o)
                std::copy(v->data.data() + o * chunk, v->data.data() + (o + 1) * chunk,
                          y.data() + o * total * inner + offset);
            offset += chunk;
        }
        concat_masks(in, *out[0], outer, total, inner);
    }

  private:
    void concat_masks(const typename Layer<Scalar>::Inputs& in, Value<Scalar>& o, Index outer, Index total,
                      Index inner) {
        bool any = false;
        for (const Value<Scalar>* v : in) any = any || v->has_mask;
        o.has_mask = any;
        if (!any) return;
        const int rank = o.data.rank();
        o.mask.resize(model::detail::drop_last(o.data.shape()));
        unsigned char* m = o.mask.data();
        if (resolved_ == rank - 1) {
            std::fill(m, m + o.mask.size(), static_cast<unsigned char>(1));
            for (const Value<Scalar>* v : in)
                if (v->has_mask)
                    for (Index i = 0; i < o.mask.size(); ++i) m[i] = m[i] && v->mask.data()[i];
            return;
        }
        // Joining along a sample axis other than the last: the masks (shape[:-1]) join along the same axis.
        const Index mask_inner = inner / o.data.dim(rank - 1);
        Index offset = 0;
        for (const Value<Scalar>* v : in) {
            const Index chunk = v->data.dim(resolved_) * mask_inner;
            for (Index r = 0; r < outer; ++r) {
                unsigned char* dst = m + r * total * mask_inner + offset;
                if (v->has_mask)
                    std::copy(v->mask.data() + r * chunk, v->mask.data() + (r + 1) * chunk, dst);
                else
                    std::fill(dst, dst + chunk, static_cast<unsigned char>(1));
            }
            offset += chunk;
        }
    }

    int axis_;
    int resolved_ = -1;
};

}  // namespace model
ELMAN_NAMESPACE_END
