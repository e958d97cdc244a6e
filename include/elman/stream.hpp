// SPDX-License-Identifier: MIT
// Real-time stepping: one timestep per call, no heap allocation after construction.
#pragma once

#include <elman/config.hpp>
#include <elman/detail/errors.hpp>
#include <elman/detail/step_kernel.hpp>
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
///     for (;;) { const auto& h = stream.step(frame); ... }         // noexcept, never allocates
///
/// `step` returns h_t `[batch, U]`, which is also the layer's output for that step. The stream copies (packs)
/// the weights at construction: after changing the layer's weights call `update_weights(layer)`. It computes
/// the same numbers as the whole-sequence call up to rounding (it adds the products in another order).
/// Inference only (no dropout), forward in time only (a go_backwards layer is refused: a stream cannot see
/// the future), and no mask: a sample whose step is masked out keeps its state, so do not step it.
///
/// With compile-time `Units` and `Features` (the layer's template arguments) small weights live inside the
/// object as fixed-size Eigen matrices and the step's loops have compile-time trip counts (fully unrolled).
///
/// The initial state is the layer's stored state when the layer is stateful and holds one for `batch`
/// samples, else zeros. `reset()` / `reset(state)` set it; the layer's own stored state is never changed
/// (hand `state()` to `layer.reset_states(...)` to move it back).
template <class Scalar = float, class Activation = Tanh, int Units = Eigen::Dynamic, int Features = Eigen::Dynamic>
class SimpleRNNStream {
    static constexpr int P = detail::step_packet_size<Scalar>();
    static constexpr bool fixed = Units != Eigen::Dynamic && Features != Eigen::Dynamic;
    static constexpr int padded_units = Units == Eigen::Dynamic ? Eigen::Dynamic : (Units + P - 1) / P * P;
    static constexpr int depth = fixed ? Units + Features : Eigen::Dynamic;
    // Fixed-size storage only while it stays small: Eigen refuses fixed objects that would overflow a stack.
    static constexpr bool inline_weights =
        fixed && static_cast<long long>(depth) * padded_units * static_cast<long long>(sizeof(Scalar)) <= 32 * 1024;
    static constexpr int weight_rows = inline_weights ? depth : Eigen::Dynamic;
    static constexpr int weight_cols = inline_weights ? padded_units : Eigen::Dynamic;
    // Row-major matrices with one column are invalid in Eigen; a single column is the same memory in col-major.
    static constexpr int row_major_unless_column(int cols) { return cols == 1 ? Eigen::ColMajor : Eigen::RowMajor; }

  public:
    using Layer = SimpleRNN<Scalar, Activation, Units, Features>;
    /// `[batch, U]` state / output of one step.
    using StateMatrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Units, row_major_unless_column(Units)>;

    /// Packs the layer's weights and allocates every buffer for `batch` samples. Throws std::logic_error when
    /// the layer is not built or runs go_backwards, std::invalid_argument when batch < 1.
    explicit SimpleRNNStream(const Layer& layer, Index batch = 1) : activation_(layer.activation()), batch_(batch) {
        if (batch < 1) detail::throw_invalid(layer.name(), "batch", "must be >= 1, got " + std::to_string(batch));
        if (!layer.built()) {
            throw std::logic_error("SimpleRNNStream: layer '" + layer.name() +
                                   "' is not built; build it (options.input_dim, build() or set_weights) first");
        }
        if (layer.go_backwards()) {
            throw std::logic_error("SimpleRNNStream: layer '" + layer.name() +
                                   "' has go_backwards=True; stepping forward in time cannot reverse a sequence");
        }
        units_ = layer.units();
        features_ = layer.input_dim();
        upad_ = (units_ + P - 1) / P * P;
        weights_.setZero(features_ + units_, upad_);
        bias_.setZero(upad_);
        z_.resize(batch_, upad_);
        state_.setZero(batch_, units_);
        update_weights(layer);
        if (layer.stateful() && layer.states().rows() == batch_) state_ = layer.states();
    }

    Index batch() const noexcept { return batch_; }
    Index units() const noexcept { return units_; }
    Index features() const noexcept { return features_; }

    /// Re-reads the layer's weights (after training or set_weights). Throws std::invalid_argument when the
    /// layer's units or input_dim differ from this stream's; never allocates.
    void update_weights(const Layer& layer) {
        if (layer.units() != units_ || layer.input_dim() != features_) {
            detail::throw_invalid(layer.name(), "layer",
                                  "weights are [" + std::to_string(layer.input_dim()) + ", " +
                                      std::to_string(layer.units()) + "], the stream was made for [" +
                                      std::to_string(features_) + ", " + std::to_string(units_) + "]");
        }
        // Stacked [W; U] with padded columns: z = x · W + h · U + b reads both blocks with one row stride.
        weights_.topLeftCorner(features_, units_) = layer.kernel();
        weights_.bottomLeftCorner(units_, units_) = layer.recurrent_kernel();
        if (layer.use_bias()) bias_.head(units_) = layer.bias().transpose();
    }

    /// One timestep: `x` points to `[batch, F]` row-major values (not checked). Returns h_t `[batch, U]`.
    const StateMatrix& step(const Scalar* x) noexcept {
        const Scalar* w = weights_.data();
        for (Index b = 0; b < batch_; ++b) {
            detail::step_row<Scalar, Features, Units>(x + b * features_, features_, w, state_.data() + b * units_,
                                                      units_, w + features_ * upad_, upad_, bias_.data(),
                                                      z_.data() + b * upad_);
        }
        activation_.forward(z_.leftCols(units_).array(), state_.array());
        return state_;
    }

    /// Checked step: `x` must be `[batch, F]` (or `[batch, 1, F]`); throws std::invalid_argument otherwise.
    const StateMatrix& step(TensorView<const Scalar> x) {
        const bool ok = (x.rank() == 2 && x.dim(0) == batch_ && x.dim(1) == features_) ||
                        (x.rank() == 3 && x.dim(0) == batch_ && x.dim(1) == 1 && x.dim(2) == features_);
        if (!ok) {
            throw std::invalid_argument("SimpleRNNStream: step input must have shape [" + std::to_string(batch_) +
                                        ", " + std::to_string(features_) + "], got " + x.shape().to_string());
        }
        return step(x.data());
    }

    /// h_t `[batch, U]` after the last step (the initial state before any).
    const StateMatrix& state() const noexcept { return state_; }

    /// State := zeros.
    void reset() noexcept { state_.setZero(); }
    /// State := `state` (`[batch, U]`); throws std::invalid_argument on another shape.
    void reset(TensorView<const Scalar> state) {
        if (state.rank() != 2 || state.dim(0) != batch_ || state.dim(1) != units_) {
            throw std::invalid_argument("SimpleRNNStream: state must have shape [" + std::to_string(batch_) + ", " +
                                        std::to_string(units_) + "], got " + state.shape().to_string());
        }
        for (Index b = 0; b < batch_; ++b)
            for (Index u = 0; u < units_; ++u) state_(b, u) = state.data()[b * units_ + u];
    }

  private:
    Activation activation_;
    Index batch_ = 0, units_ = 0, features_ = 0, upad_ = 0;
    Eigen::Matrix<Scalar, weight_rows, weight_cols, row_major_unless_column(weight_cols)> weights_;  // [F+U, Upad]
    Eigen::Matrix<Scalar, weight_cols, 1> bias_;                                                     // [Upad]
    Eigen::Matrix<Scalar, Eigen::Dynamic, padded_units, row_major_unless_column(padded_units)> z_;   // [batch, Upad]
    StateMatrix state_;
};

ELMAN_NAMESPACE_END
