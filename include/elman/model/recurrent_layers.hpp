// SPDX-License-Identifier: MIT
// SimpleRNN and Bidirectional(SimpleRNN) inside a model, on the library's SimpleRNN class (one recurrence).
#pragma once

#include <elman/activation_registry.hpp>
#include <elman/config.hpp>
#include <elman/mask.hpp>
#include <elman/model/layer.hpp>
#include <elman/model/weights.hpp>
#include <elman/shape.hpp>
#include <elman/simple_rnn.hpp>
#include <elman/simple_rnn_call.hpp>
#include <elman/simple_rnn_options.hpp>
#include <elman/tensor.hpp>

#include <algorithm>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

ELMAN_NAMESPACE_BEGIN
namespace model {

/// A SimpleRNN whose activation was chosen at run time (from a config): one layer type for every Keras
/// activation name, bit-identical to the typed `SimpleRNN<Scalar, A>`.
template <class Scalar>
using AnySimpleRNN = SimpleRNN<Scalar, KerasActivation>;

namespace detail {

/// Keras `reset_states()` inside a model: nothing to do while a stateful layer has no state yet (its batch is
/// still unknown); a layer that is not stateful has none.
template <class Scalar>
void reset_started_states(AnySimpleRNN<Scalar>& rnn) {
    if (rnn.stateful() && (rnn.states().size() > 0 || rnn.options().batch_size > 0)) rnn.reset_states();
}

/// The static output specs of a SimpleRNN applied to `in` (Keras compute_output_shape / compute_mask).
inline std::vector<TensorSpec> rnn_output_specs(const SimpleRNNOptions& o, Index units, const TensorSpec& in) {
    const Index batch = o.time_major ? in.shape[1] : in.shape[0];
    const Index time = o.time_major ? in.shape[0] : in.shape[1];
    std::vector<TensorSpec> out;
    if (o.return_sequences)
        out.push_back(TensorSpec{o.time_major ? Dims{time, batch, units} : Dims{batch, time, units}, in.masked});
    else
        out.push_back(TensorSpec{Dims{batch, units}, false});
    if (o.return_state) out.push_back(TensorSpec{Dims{batch, units}, false});
    return out;
}

template <class Scalar>
CallArgs<Scalar> rnn_args(const Value<Scalar>& in) {
    CallArgs<Scalar> args;
    if (in.has_mask) args.mask = MaskView(in.mask);
    return args;
}

}  // namespace detail

/// Keras `SimpleRNN` in a model: every option of the library's SimpleRNN (stacked via return_sequences,
/// stateful with reset_states, return_state, go_backwards, masks). Outputs `[output]` or `[output, state]`;
/// the output keeps the input mask exactly when return_sequences (Keras RNN.compute_mask).
template <class Scalar>
class SimpleRNNLayer final : public Layer<Scalar> {
  public:
    SimpleRNNLayer(Index units, const std::string& activation, SimpleRNNOptions options, bool trainable = true)
        : Layer<Scalar>(options.name, "SimpleRNN", trainable), units_(units), activation_(activation),
          options_(std::move(options)) {}

    /// The layer itself (available after the model is built).
    AnySimpleRNN<Scalar>& rnn() { return *rnn_; }
    const AnySimpleRNN<Scalar>& rnn() const { return *rnn_; }

    std::vector<TensorSpec> build(const std::vector<TensorSpec>& inputs) override {
        this->expect_inputs(inputs, 1);
        const Dims& s = inputs[0].shape;
        if (s.size() != 3) this->fail("expects a 3-D input [batch, timesteps, features], got " + dims_string(s));
        if (s[2] <= 0) this->fail("the feature dimension of the input must be known, got " + dims_string(s));
        if (rnn_ && feature_dim_ != s[2])
            this->fail("was built for " + std::to_string(feature_dim_) + " input features, now applied to " +
                       dims_string(s));
        if (!rnn_) {
            feature_dim_ = s[2];
            expected_input_ = Dims{-1, -1, feature_dim_};
            SimpleRNNOptions o = options_;
            o.input_dim = 0;  // the stored kernel builds the weights
            const Index batch = o.time_major ? s[1] : s[0];
            if (o.stateful && batch > 0) o.batch_size = batch;
            rnn_.emplace(units_, o, KerasActivation(activation_));
        }
        return detail::rnn_output_specs(options_, units_, inputs[0]);
    }
    std::vector<WeightSpec> weight_specs() const override {
        std::vector<WeightSpec> w{{"kernel", Shape{feature_dim_, units_}}, {"recurrent_kernel", Shape{units_, units_}}};
        if (options_.use_bias) w.push_back({"bias", Shape{units_}});
        return w;
    }
    void set_weights(std::vector<Tensor<Scalar>>&& w) override { rnn_->set_weights(w); }
    std::vector<Tensor<Scalar>> get_weights() const override { return rnn_->get_weights(); }
    bool stateful() const override { return options_.stateful; }
    void reset_states() override { detail::reset_started_states(*rnn_); }

    void call(const typename Layer<Scalar>::Inputs& in, const typename Layer<Scalar>::Outputs& out) override {
        this->check_runtime(in[0]->data, expected_input_);
        rnn_->call(in[0]->data.view(), detail::rnn_args(*in[0]), result_);
        out[0]->data.resize(result_.output.shape());
        std::copy(result_.output.data(), result_.output.data() + result_.output.size(), out[0]->data.data());
        if (options_.return_sequences)
            model::detail::copy_mask(*in[0], *out[0]);
        else
            out[0]->has_mask = false;
        if (options_.return_state) {
            out[1]->data.resize(result_.state->shape());
            std::copy(result_.state->data(), result_.state->data() + result_.state->size(), out[1]->data.data());
            out[1]->has_mask = false;
        }
    }

  private:
    Index units_;
    std::string activation_;
    SimpleRNNOptions options_;
    Index feature_dim_ = 0;
    Dims expected_input_;  // checked on every call, built once
    std::optional<AnySimpleRNN<Scalar>> rnn_;
    Result<Scalar> result_;
};

/// How Bidirectional combines the two directions (Keras `merge_mode`; None keeps both outputs).
enum class MergeMode { Concat, Sum, Mul, Ave, None };

/// Keras `Bidirectional(SimpleRNN, merge_mode, backward_layer)` as TF 2.4 defines it: the forward layer is the
/// wrapped config renamed "forward_<name>"; the backward one is `backward_layer` (or the same config with
/// go_backwards flipped) renamed "backward_<name>"; both get `zero_output_for_mask = return_sequences`. With
/// return_sequences the backward output is reversed along time before merging. Outputs: the merged output (two
/// outputs for merge_mode None), then with return_state the forward and the backward final state. Masks: each
/// sequence output keeps the input mask when return_sequences; nothing else is masked.
template <class Scalar>
class BidirectionalLayer final : public Layer<Scalar> {
  public:
    struct Direction {
        Index units;
        std::string activation;
        SimpleRNNOptions options;
    };

    BidirectionalLayer(std::string name, Direction forward, Direction backward, MergeMode mode, bool trainable = true)
        : Layer<Scalar>(std::move(name), "Bidirectional", trainable), dirs_{std::move(forward), std::move(backward)},
          mode_(mode) {
        for (Direction& d : dirs_) d.options.zero_output_for_mask = d.options.return_sequences;
        const SimpleRNNOptions &f = dirs_[0].options, &b = dirs_[1].options;
        if (f.go_backwards == b.go_backwards)
            this->fail("forward layer '" + f.name + "' and backward layer '" + b.name +
                       "' must have different go_backwards values");
        if (f.return_sequences != b.return_sequences || f.return_state != b.return_state || f.stateful != b.stateful ||
            f.time_major != b.time_major)
            this->fail("forward layer '" + f.name + "' and backward layer '" + b.name +
                       "' must agree on return_sequences, return_state, stateful and time_major");
        if (mode_ != MergeMode::None && mode_ != MergeMode::Concat && dirs_[0].units != dirs_[1].units)
            this->fail("merge_mode sum/mul/ave needs both layers to have the same units");
    }

    MergeMode merge_mode() const noexcept { return mode_; }
    AnySimpleRNN<Scalar>& forward_layer() { return *rnns_[0]; }
    AnySimpleRNN<Scalar>& backward_layer() { return *rnns_[1]; }

    std::vector<TensorSpec> build(const std::vector<TensorSpec>& inputs) override {
        this->expect_inputs(inputs, 1);
        const Dims& s = inputs[0].shape;
        if (s.size() != 3) this->fail("expects a 3-D input [batch, timesteps, features], got " + dims_string(s));
        if (s[2] <= 0) this->fail("the feature dimension of the input must be known, got " + dims_string(s));
        if (rnns_[0] && feature_dim_ != s[2])
            this->fail("was built for " + std::to_string(feature_dim_) + " input features, now applied to " +
                       dims_string(s));
        if (!rnns_[0]) {
            feature_dim_ = s[2];
            expected_input_ = Dims{-1, -1, feature_dim_};
            for (int i = 0; i < 2; ++i) {
                SimpleRNNOptions o = dirs_[i].options;
                o.input_dim = 0;
                const Index batch = o.time_major ? s[1] : s[0];
                if (o.stateful && batch > 0) o.batch_size = batch;
                rnns_[i].emplace(dirs_[i].units, o, KerasActivation(dirs_[i].activation));
            }
        }
        std::vector<TensorSpec> f = detail::rnn_output_specs(dirs_[0].options, dirs_[0].units, inputs[0]);
        std::vector<TensorSpec> b = detail::rnn_output_specs(dirs_[1].options, dirs_[1].units, inputs[0]);
        std::vector<TensorSpec> out;
        if (mode_ == MergeMode::None) {
            out.push_back(f[0]);
            out.push_back(b[0]);
        } else {
            TensorSpec m = f[0];
            if (mode_ == MergeMode::Concat) m.shape.back() = dirs_[0].units + dirs_[1].units;
            out.push_back(m);
        }
        if (dirs_[0].options.return_state) {
            out.push_back(f[1]);
            out.push_back(b[1]);
        }
        return out;
    }
    std::vector<WeightSpec> weight_specs() const override {
        std::vector<WeightSpec> w;
        for (const Direction& d : dirs_) {
            const std::string p = d.options.name + "/";
            w.push_back({p + "kernel", Shape{feature_dim_, d.units}});
            w.push_back({p + "recurrent_kernel", Shape{d.units, d.units}});
            if (d.options.use_bias) w.push_back({p + "bias", Shape{d.units}});
        }
        return w;
    }
    void set_weights(std::vector<Tensor<Scalar>>&& w) override {
        const std::size_t nf = dirs_[0].options.use_bias ? 3 : 2;
        rnns_[0]->set_weights(std::vector<Tensor<Scalar>>(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(nf)));
        rnns_[1]->set_weights(std::vector<Tensor<Scalar>>(w.begin() + static_cast<std::ptrdiff_t>(nf), w.end()));
    }
    std::vector<Tensor<Scalar>> get_weights() const override {
        std::vector<Tensor<Scalar>> w = rnns_[0]->get_weights();
        for (Tensor<Scalar>& t : rnns_[1]->get_weights()) w.push_back(std::move(t));
        return w;
    }
    bool stateful() const override { return dirs_[0].options.stateful; }
    void reset_states() override {
        detail::reset_started_states(*rnns_[0]);
        detail::reset_started_states(*rnns_[1]);
    }

    void call(const typename Layer<Scalar>::Inputs& in, const typename Layer<Scalar>::Outputs& out) override {
        this->check_runtime(in[0]->data, expected_input_);
        const CallArgs<Scalar> args = detail::rnn_args(*in[0]);
        rnns_[0]->call(in[0]->data.view(), args, results_[0]);
        rnns_[1]->call(in[0]->data.view(), args, results_[1]);
        const SimpleRNNOptions& o = dirs_[0].options;
        const Tensor<Scalar>& y = results_[0].output;
        const Tensor<Scalar>& yb = results_[1].output;
        const Index uf = dirs_[0].units, ub = dirs_[1].units;
        // Row r of the reversed backward output: the same batch row at time T-1-t.
        auto rev_row = [&](Index r) -> Index {
            if (!o.return_sequences) return r;
            const Index d0 = yb.dim(0), d1 = yb.dim(1);
            if (o.time_major) return (d0 - 1 - r / d1) * d1 + r % d1;
            return (r / d1) * d1 + (d1 - 1 - r % d1);
        };
        const auto ym = y.matrix();
        const auto bm = yb.matrix();
        const Index rows = ym.rows();
        if (mode_ == MergeMode::None) {
            out[0]->data.resize(y.shape());
            out[0]->data.matrix() = ym;
            out[1]->data.resize(yb.shape());
            auto om = out[1]->data.matrix();
            for (Index r = 0; r < rows; ++r) om.row(r) = bm.row(rev_row(r));
        } else {
            Shape s = y.shape();
            if (mode_ == MergeMode::Concat) s[s.rank() - 1] = uf + ub;
            out[0]->data.resize(s);
            auto om = out[0]->data.matrix();
            for (Index r = 0; r < rows; ++r) {
                const auto f = ym.row(r).array();
                const auto b = bm.row(rev_row(r)).array();
                switch (mode_) {
                    case MergeMode::Concat:
                        om.row(r).head(uf) = ym.row(r);
                        om.row(r).tail(ub) = bm.row(rev_row(r));
                        break;
                    case MergeMode::Sum:
                        om.row(r).array() = f + b;
                        break;
                    case MergeMode::Mul:
                        om.row(r).array() = f * b;
                        break;
                    case MergeMode::Ave:
                        om.row(r).array() = Scalar(0.5) * (f + b);
                        break;
                    case MergeMode::None:
                        break;
                }
            }
        }
        const std::size_t n_seq = mode_ == MergeMode::None ? 2 : 1;
        for (std::size_t i = 0; i < n_seq; ++i) {
            if (o.return_sequences)
                model::detail::copy_mask(*in[0], *out[i]);
            else
                out[i]->has_mask = false;
        }
        if (o.return_state) {
            for (std::size_t i = 0; i < 2; ++i) {
                const Tensor<Scalar>& st = *results_[i].state;
                Value<Scalar>& v = *out[n_seq + i];
                v.data.resize(st.shape());
                std::copy(st.data(), st.data() + st.size(), v.data.data());
                v.has_mask = false;
            }
        }
    }

  private:
    Direction dirs_[2];
    MergeMode mode_;
    Index feature_dim_ = 0;
    Dims expected_input_;  // checked on every call, built once
    std::optional<AnySimpleRNN<Scalar>> rnns_[2];
    Result<Scalar> results_[2];
};

}  // namespace model
ELMAN_NAMESPACE_END
