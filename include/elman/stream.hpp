// SPDX-License-Identifier: MIT
// Real-time stepping: one timestep per call, no heap allocation after construction.
#pragma once

#include <elman/config.hpp>
#include <elman/detail/errors.hpp>
#include <elman/detail/packed_gemm.hpp>
#include <elman/detail/recurrence.hpp>
#include <elman/exceptions.hpp>
#include <elman/simple_rnn.hpp>
#include <elman/tensor.hpp>

#include <Eigen/Core>

#include <stdexcept>
#include <string>

ELMAN_NAMESPACE_BEGIN

/// Steps a built SimpleRNN one timestep at a time for `batch` samples: what a stateful Keras layer does when it
/// is called on `[batch, 1, F]` inputs over and over, as an audio or control loop needs it.
///
///     elman::SimpleRNN<float> rnn(32, {.input_dim = 16});        // weights from set_weights / training
///     elman::SimpleRNNStream<float> stream(rnn);                   // allocates and packs here, once
///     for (;;) { const auto h = stream.step(frame); ... }          // noexcept, never allocates
///
/// `step` returns a view of h_t `[batch, U]` (valid until the next step or reset), which is also the layer's
/// output for that step. Each step is one step of the layer's recurrence (detail/recurrence.hpp) on the same
/// packed product, so it computes the whole-sequence call's numbers (up to the summation order of a one-sample
/// batch, which uses the latency kernel in both). The stream packs the layer's weights at construction: after
/// changing them call `update_weights(layer)`. Inference only (no dropout), forward in time only (a go_backwards
/// layer is refused: a stream cannot see the future), and no mask: a sample whose step is masked out keeps its
/// state, so do not step it. A stream is a value: copies step independently; one stream per thread.
///
/// @tparam Units, Features  the layer's sizes fixed at compile time (Eigen::Dynamic = read from the layer):
///     the step's loops then have compile-time trip counts (fully unrolled), the C++ counterpart of Keras'
///     `unroll=True`. A layer of other sizes is refused.
///
/// The initial state is the layer's stored state when the layer is stateful and holds one for `batch`
/// samples, else zeros. `reset()` / `reset(state)` set it; the layer's own stored state is never changed
/// (hand `state()` to `layer.reset_states(...)` to move it back).
template <class Scalar = float, class Activation = Tanh, int Units = Eigen::Dynamic, int Features = Eigen::Dynamic>
class SimpleRNNStream {
    static_assert(std::is_floating_point<Scalar>::value, "SimpleRNNStream: Scalar must be a floating-point type");
    static_assert(Units == Eigen::Dynamic || Units > 0, "SimpleRNNStream: Units must be positive or Eigen::Dynamic");
    static_assert(Features == Eigen::Dynamic || Features >= 0,
                  "SimpleRNNStream: Features must be >= 0 or Eigen::Dynamic");
    static constexpr int depth =
        Units != Eigen::Dynamic && Features != Eigen::Dynamic ? Units + Features : Eigen::Dynamic;
    using Product = detail::PackedProduct<Scalar, depth>;

  public:
    using Layer = SimpleRNN<Scalar, Activation>;
    /// `[batch, U]` view of the state / output of one step.
    using StateView = Eigen::Map<const RowMajorMatrix<Scalar>, 0, Eigen::OuterStride<>>;

    /// Packs the layer's weights and allocates every buffer for `batch` samples. Throws std::logic_error when
    /// the layer is not built or runs go_backwards, std::invalid_argument when batch < 1 or the layer's sizes
    /// differ from compile-time Units / Features.
    explicit SimpleRNNStream(const Layer& layer, Index batch = 1)
        : activation_(layer.activation()), batch_(batch), use_bias_(layer.use_bias()) {
        if (batch < 1)
            detail::throw_invalid("SimpleRNNStream", layer.name(), "batch",
                                  "must be >= 1, got " + std::to_string(batch));
        if (!layer.built()) {
            ELMAN_THROW(std::logic_error("SimpleRNNStream: layer '" + layer.name() +
                                         "' is not built; build it (options.input_dim, build() or set_weights) first"));
        }
        if (layer.go_backwards()) {
            ELMAN_THROW(
                std::logic_error("SimpleRNNStream: layer '" + layer.name() +
                                 "' has go_backwards=True; stepping forward in time cannot reverse a sequence"));
        }
        check_compile_time_size(layer, "units", Units, layer.units());
        check_compile_time_size(layer, "input_dim", Features, layer.input_dim());
        units_ = layer.units();
        features_ = layer.input_dim();
        packed_.pack(layer.recurrent_kernel(), layer.kernel(), layer.bias());
        work_.prepare(batch_, features_, units_, packed_.padded_units(), false, false);
        work_.stacked.setZero();
        if (layer.stateful() && layer.states().rank() == 2 && layer.states().dim(0) == batch_)
            state_rows() = layer.states().matrix();
    }

    Index batch() const noexcept { return batch_; }
    Index units() const noexcept { return units_; }
    Index features() const noexcept { return features_; }

    /// Re-reads the layer's weights (after training or set_weights), bias included. Throws
    /// std::invalid_argument when the layer's units, input_dim or use_bias differ from this stream's; never
    /// allocates.
    void update_weights(const Layer& layer) {
        if (layer.units() != units_ || layer.input_dim() != features_ || layer.use_bias() != use_bias_) {
            detail::throw_invalid("SimpleRNNStream", layer.name(), "layer",
                                  "has weights [" + std::to_string(layer.input_dim()) + ", " +
                                      std::to_string(layer.units()) + "], use_bias=" + bool_text(layer.use_bias()) +
                                      "; the stream was made for [" + std::to_string(features_) + ", " +
                                      std::to_string(units_) + "], use_bias=" + bool_text(use_bias_));
        }
        packed_.pack(layer.recurrent_kernel(), layer.kernel(), layer.bias());  // same sizes: no allocation
    }

    /// One timestep: `x` points to `[batch, F]` row-major values (not checked). Returns h_t `[batch, U]`.
    StateView step(const Scalar* x) noexcept {
        detail::RecurrenceIO<Scalar> io;
        io.layout = detail::SequenceLayout{batch_, 1, false};
        io.features = features_;
        io.units = units_;
        io.inputs = x;
        const Product product{&packed_, batch_ == 1};
        auto h = state_rows();
        detail::recurrence_step<detail::StepExtras::none>(io, activation_, product, work_, 0, batch_, h, 0);
        return state();
    }

    /// Checked step: `x` must be `[batch, F]` (or `[batch, 1, F]`); throws std::invalid_argument otherwise.
    StateView step(TensorView<const Scalar> x) {
        const bool ok = (x.rank() == 2 && x.dim(0) == batch_ && x.dim(1) == features_) ||
                        (x.rank() == 3 && x.dim(0) == batch_ && x.dim(1) == 1 && x.dim(2) == features_);
        if (!ok) {
            ELMAN_THROW(std::invalid_argument("SimpleRNNStream: step input must have shape [" + std::to_string(batch_) +
                                              ", " + std::to_string(features_) + "], got " + x.shape().to_string()));
        }
        return step(x.data());
    }

    /// h_t `[batch, U]` after the last step (the initial state before any).
    StateView state() const noexcept {
        return StateView(work_.stacked.data(), batch_, units_, Eigen::OuterStride<>(work_.stacked.cols()));
    }

    /// State := zeros.
    void reset() noexcept { state_rows().setZero(); }
    /// State := `state` (`[batch, U]`); throws std::invalid_argument on another shape.
    void reset(TensorView<const Scalar> state) {
        if (state.rank() != 2 || state.dim(0) != batch_ || state.dim(1) != units_) {
            ELMAN_THROW(std::invalid_argument("SimpleRNNStream: state must have shape [" + std::to_string(batch_) +
                                              ", " + std::to_string(units_) + "], got " + state.shape().to_string()));
        }
        state_rows() = state.matrix();
    }

  private:
    // The state lives in the product's operand (columns [0, U) of each row): no copy per step.
    detail::StridedRows<Scalar> state_rows() noexcept {
        return detail::StridedRows<Scalar>(work_.stacked.data(), batch_, units_,
                                           Eigen::OuterStride<>(work_.stacked.cols()));
    }
    static const char* bool_text(bool b) noexcept { return b ? "true" : "false"; }
    static void check_compile_time_size(const Layer& layer, const char* what, int fixed, Index actual) {
        if (fixed != Eigen::Dynamic && actual != fixed) {
            detail::throw_invalid(
                layer.name(), what,
                "is " + std::to_string(actual) + ", the stream's compile-time size is " + std::to_string(fixed));
        }
    }

    Activation activation_;
    Index batch_ = 0, units_ = 0, features_ = 0;
    bool use_bias_ = true;
    detail::PackedWeights<Scalar> packed_;
    detail::SliceWorkspace<Scalar> work_;
};

ELMAN_NAMESPACE_END
