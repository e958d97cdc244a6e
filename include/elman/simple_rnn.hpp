// SPDX-License-Identifier: MIT
// SimpleRNN: tf.keras.layers.SimpleRNN (TF 2.4) on Eigen.
#pragma once

#include <elman/activations.hpp>
#include <elman/backend.hpp>
#include <elman/config.hpp>
#include <elman/detail/backward_engine.hpp>
#include <elman/detail/call_validation.hpp>
#include <elman/detail/errors.hpp>
#include <elman/detail/sequence_engine.hpp>
#include <elman/detail/stored_state.hpp>
#include <elman/exceptions.hpp>
#include <elman/random.hpp>
#include <elman/shape.hpp>
#include <elman/simple_rnn_call.hpp>
#include <elman/simple_rnn_options.hpp>
#include <elman/simple_rnn_weights.hpp>
#include <elman/tensor.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

ELMAN_NAMESPACE_BEGIN

namespace detail {
struct BackwardAccess;  // backward() (train/backward.hpp) reaches the layer's weights and compute side through it
}  // namespace detail

/// The Elman recurrence `h_t = act(x_t · W + b + h_{t-1} · U)` over `[batch, timesteps, features]` inputs, with
/// every behaviour of Keras' SimpleRNN: masking (select, output carry starting at zero), go_backwards (the
/// returned sequence stays in processing order), initial_state, dropout / recurrent_dropout in training calls,
/// stateful layers with reset_states, return_sequences and return_state (docs/keras-semantics.md).
///
/// Layout rule of the whole library: weights and weight gradients are row-major Eigen matrices in Keras'
/// layout (kernel `[F, U]`, row i = input feature i; recurrent_kernel `[U, U]`; bias `[U]` stored as a `[1, U]`
/// row); data (inputs, outputs, states, input gradients) are `Tensor`s in numpy order.
///
/// Errors: invalid arguments throw std::invalid_argument (std::logic_error for calls that make no sense in the
/// layer's state, std::length_error for sizes that overflow) naming the argument and the expected vs. actual
/// shape; a call that throws leaves weights and stored state exactly as they were.
///
/// Lifetimes and threads: a layer is a value (copy it freely; a copy has its own workspaces and workers). A
/// moved-from layer is unbuilt and refuses calls (std::logic_error) until a layer is assigned to it. One layer
/// must not be used from two threads at once (its call writes its workspaces and stored state): give each thread
/// its own copy, or a SimpleRNNStream each. Inputs and initial_state may alias the Result being written (the
/// stacked-layer loop `layer.call(r.output, args, r)` works); a mask that views the Result is refused
/// (std::invalid_argument).
///
/// Performance: `set_threads(n)` splits the batch across n threads (bit-identical to one thread, dropout calls
/// included); `set_backend(...)` picks the product (backend.hpp); `SimpleRNNStream` (stream.hpp) steps one
/// timestep at a time without allocating; docs/performance.md has the measurements.
///
/// @tparam Scalar      float or double.
/// @tparam Activation  one of the types in activations.hpp (Keras names) or a user functor with the same shape.
template <class Scalar = float, class Activation = Tanh>
class SimpleRNN {
    static_assert(std::is_floating_point<Scalar>::value, "SimpleRNN: Scalar must be a floating-point type");

  public:
    using scalar_type = Scalar;
    using activation_type = Activation;
    using Options = SimpleRNNOptions;
    using Weights = SimpleRNNWeights<Scalar>;
    using RowMatrix = RowMajorMatrix<Scalar>;

    /// Keras `SimpleRNN(units, activation, **options)`. `units` must be positive. Dropout rates are clipped to
    /// [0, 1] (NaN -> 0). Weights are built here when `options.input_dim > 0`, else on the first call.
    explicit SimpleRNN(Index units, Options options = {}, Activation activation = {})
        : options_(std::move(options)), activation_(std::move(activation)), weights_(units, options_.use_bias),
          rng_(options_.seed ? Random(*options_.seed) : Random::nondeterministic()) {
        if (units <= 0)
            detail::throw_invalid(options_.name, "units", "must be a positive integer, got " + std::to_string(units));
        Shape({units, units}).size();  // throws std::length_error for absurd unit counts
        options_.dropout = clip_rate(options_.dropout);
        options_.recurrent_dropout = clip_rate(options_.recurrent_dropout);
        if (options_.batch_size < 0)
            detail::throw_invalid(options_.name, "batch_size",
                                  "must be >= 0, got " + std::to_string(options_.batch_size));
        if (options_.input_dim < 0)
            detail::throw_invalid(options_.name, "input_dim",
                                  "must be >= 0, got " + std::to_string(options_.input_dim));
        if (options_.input_dim > 0) build(options_.input_dim);
    }

    // ---- configuration (Keras names) -------------------------------------------------------------------------
    Index units() const noexcept { return weights_.units(); }
    const Options& options() const noexcept { return options_; }
    const Activation& activation() const noexcept { return activation_; }
    const char* activation_name() const noexcept { return elman::activation_name(activation_); }
    const std::string& name() const noexcept { return options_.name; }
    bool use_bias() const noexcept { return options_.use_bias; }
    double dropout() const noexcept { return options_.dropout; }
    double recurrent_dropout() const noexcept { return options_.recurrent_dropout; }
    bool return_sequences() const noexcept { return options_.return_sequences; }
    bool return_state() const noexcept { return options_.return_state; }
    bool go_backwards() const noexcept { return options_.go_backwards; }
    bool stateful() const noexcept { return options_.stateful; }
    bool unroll() const noexcept { return options_.unroll; }
    bool time_major() const noexcept { return options_.time_major; }

    /// Reseed the dropout-mask generator (for reproducible training runs).
    void seed_dropout(std::uint64_t seed) noexcept { rng_.reseed(seed); }

    // ---- weights ------------------------------------------------------------------------------------------------
    bool built() const noexcept { return weights_.built(); }
    /// Input feature count the weights were built for (0 before build).
    Index input_dim() const noexcept { return weights_.input_dim(); }

    /// Keras `build`: creates kernel `[F, U]`, recurrent_kernel `[U, U]` and bias `[U]` with the initializers.
    /// Weights are built once; building again with another `input_dim` throws.
    void build(Index input_dim) {
        require_not_moved_from();
        if (built()) {
            if (input_dim != weights_.input_dim()) {
                detail::throw_invalid(options_.name, "input_dim",
                                      "does not match the built weights: expected " +
                                          std::to_string(weights_.input_dim()) + ", got " + std::to_string(input_dim));
            }
            return;
        }
        if (input_dim < 0)
            detail::throw_invalid(options_.name, "input_dim", "must be >= 0, got " + std::to_string(input_dim));
        Weights fresh(units(), options_.use_bias);
        fresh.build(input_dim, options_.kernel_initializer, options_.recurrent_initializer, options_.bias_initializer);
        weights_ = std::move(fresh);
        after_build();
    }

    /// kernel `[F, U]`, recurrent_kernel `[U, U]`, bias `[1, U]` (0 x 0 without use_bias), row-major.
    const RowMatrix& kernel() const noexcept { return weights_.kernel().value(); }
    const RowMatrix& recurrent_kernel() const noexcept { return weights_.recurrent_kernel().value(); }
    const RowMatrix& bias() const noexcept { return weights_.bias().value(); }
    /// The weights as Parameters: writes through them (`weights().kernel().modify(...)`, optimizers) are seen by
    /// the next call, however long the reference is kept.
    const Weights& weights() const noexcept { return weights_; }
    Weights& weights() noexcept { return weights_; }

    /// Keras `get_weights()`: `[kernel, recurrent_kernel, bias]` (bias only with use_bias) as numpy-order
    /// tensors; empty before the layer is built.
    std::vector<Tensor<Scalar>> get_weights() const { return weights_.get(); }

    /// Keras `set_weights(weights)`: same order, count and shapes as get_weights, checked before anything is
    /// changed. On a layer that is not built yet, the kernel's first dimension builds it (where Keras would
    /// refuse), so Keras arrays can be loaded straight into a fresh layer.
    void set_weights(const std::vector<TensorView<const Scalar>>& weights) {
        require_not_moved_from();
        weights_.check(weights, options_.name);
        const bool was_built = built();
        weights_.set_checked(weights);
        if (!was_built) after_build();
    }
    void set_weights(const std::vector<Tensor<Scalar>>& weights) {
        set_weights(std::vector<TensorView<const Scalar>>(weights.begin(), weights.end()));
    }

    /// Sum of the kernel, recurrent and bias regularizer penalties on the current weights (Keras `layer.losses`
    /// without the activity term); 0 before build.
    Scalar regularization_loss() const {
        Scalar total(0);
        if (!built()) return total;
        if (options_.kernel_regularizer) total += (*options_.kernel_regularizer)(kernel());
        if (options_.recurrent_regularizer) total += (*options_.recurrent_regularizer)(recurrent_kernel());
        if (options_.bias_regularizer && options_.use_bias) total += (*options_.bias_regularizer)(bias());
        return total;
    }

    /// Keras' activity regularization of a call's result: the penalty of every returned tensor divided by its
    /// first dimension (the batch, or T for time-major sequences, as Keras does). 0 without a regularizer.
    Scalar activity_regularization_loss(const Result<Scalar>& result) const {
        if (!options_.activity_regularizer) return Scalar(0);
        auto term = [&](const Tensor<Scalar>& t) {
            return t.dim(0) == 0 ? Scalar(0)
                                 : (*options_.activity_regularizer)(t.matrix()) / static_cast<Scalar>(t.dim(0));
        };
        return term(result.output) + (result.state ? term(*result.state) : Scalar(0));
    }

    // ---- call -----------------------------------------------------------------------------------------------------
    /// Keras `layer(inputs, mask=, training=, initial_state=)`. `inputs` is `[B, T, F]` row-major (`[T, B, F]` when
    /// time_major), viewed without copying. Builds the weights on the first call.
    Result<Scalar> operator()(const TensorView<const Scalar>& inputs, const CallArgs<Scalar>& args = {}) {
        Result<Scalar> result;
        call(inputs, args, result);
        return result;
    }
    Result<Scalar> call(const TensorView<const Scalar>& inputs, const CallArgs<Scalar>& args = {}) {
        return (*this)(inputs, args);
    }

    /// Same as operator(), writing into `result` so repeated calls of one shape reuse its buffers. A plain
    /// inference call (no mask, trace or dropout) with the previous call's shapes into a Result of the same
    /// shape only runs the recurrence: nothing is sized again.
    void call(const TensorView<const Scalar>& inputs, const CallArgs<Scalar>& args, Result<Scalar>& result) {
        require_not_moved_from();
        const detail::CallShape s = detail::validate_call(
            options_, units(), detail::CallFacts{built(), input_dim(), stateful_batch()}, inputs, args);
        // ---- nothing below throws (except std::bad_alloc) ----
        if (!built()) build(s.features);
        if (options_.stateful && !state_.exists()) state_.set_zero(s.batch, units());
        // TF 2.4: a stored state with any non-zero entry wins over an explicit initial_state.
        const Scalar* initial = args.initial_state ? args.initial_state->data() : nullptr;
        if (options_.stateful && !(args.initial_state && state_.is_zero())) initial = state_.value().data();
        engine_.run(weights_, activation_, flags(), inputs, args, s, initial, rng_, result);
        const auto& final_state = engine_.final_state();
        if (options_.return_state) {
            if (!result.state) result.state.emplace();
            result.state->resize(Shape{final_state.rows(), units()});
            result.state->matrix() = final_state;
        } else {
            result.state.reset();
        }
        if (options_.stateful) state_.assign(final_state);
    }

    // ---- stateful -------------------------------------------------------------------------------------------------
    /// The stored state `[B, U]` of a stateful layer (an empty tensor before it exists).
    const Tensor<Scalar>& states() const noexcept { return state_.value(); }

    /// Keras `reset_states()`: stored state := zeros. Throws std::logic_error when the layer is not stateful or
    /// its batch size is still unknown.
    void reset_states() { state_.set_zero(require_stateful_batch(), units()); }

    /// Keras `reset_states(states)`: stored state := `states` (`[B, U]` exactly). As in Keras, if the state
    /// buffer does not exist yet it is created as zeros and `states` is ignored.
    void reset_states(TensorView<const Scalar> states) { reset_states(std::vector<TensorView<const Scalar>>{states}); }

    /// List form of `reset_states(states)` (Keras accepts a 1-element list; any other count is an error).
    void reset_states(const std::vector<TensorView<const Scalar>>& states) {
        const Index batch = require_stateful_batch();
        if (!state_.exists()) {
            state_.set_zero(batch, units());
            return;
        }
        if (states.size() != 1) {
            ELMAN_THROW(std::invalid_argument("Layer " + options_.name + " expects 1 states, but it received " +
                                              std::to_string(states.size()) + " state values."));
        }
        const Shape expected{batch, units()};
        if (states[0].shape() != expected) {
            ELMAN_THROW(std::invalid_argument("State 0 is incompatible with layer " + options_.name +
                                              ": expected shape=" + expected.to_string() +
                                              ", found shape=" + states[0].shape().to_string()));
        }
        state_.assign(states[0].matrix());
    }

    // ---- performance controls ---------------------------------------------------------------------------------
    /// Threads a whole-sequence call may use (default 1). The batch is split into `threads` near-equal row
    /// slices: the caller runs the first, persistent worker threads the others (started by the first call that
    /// needs them, kept between calls, joined when the layer is destroyed or the thread count is lowered; a
    /// copy of the layer starts its own). A call with batch B uses min(B, threads) threads. With the packed
    /// backend results are bit-identical to one thread (its sums do not depend on the slice); the gemm backend
    /// runs on one thread (Eigen's/BLAS' summation order may depend on the row count). Throws
    /// std::invalid_argument for n < 1.
    void set_threads(int threads) {
        if (threads < 1)
            detail::throw_invalid(options_.name, "threads", "must be >= 1, got " + std::to_string(threads));
        engine_.set_threads(threads);
    }
    int threads() const noexcept { return engine_.threads(); }

    /// Compute path of whole-sequence calls (see backend.hpp); `default_backend` unless changed.
    void set_backend(Backend backend) noexcept { engine_.set_backend(backend); }
    Backend backend() const noexcept { return engine_.backend(); }

  private:
    // Marks the source of a move: its weights and state are gone, so its calls are refused.
    struct MovedFrom {
        bool moved = false;
        MovedFrom() = default;
        MovedFrom(const MovedFrom&) noexcept {}
        MovedFrom(MovedFrom&& other) noexcept : moved(other.moved) { other.moved = true; }
        MovedFrom& operator=(const MovedFrom&) noexcept {
            moved = false;
            return *this;
        }
        MovedFrom& operator=(MovedFrom&& other) noexcept {
            if (this != &other) {
                moved = other.moved;
                other.moved = true;
            }
            return *this;
        }
    };

    void require_not_moved_from() const {
        if (moved_from_.moved) {
            ELMAN_THROW(std::logic_error("SimpleRNN '" + options_.name +
                                         "': this layer was moved from; assign a layer to it before using it"));
        }
    }

    static double clip_rate(double rate) {
        if (std::isnan(rate)) return 0.0;  // Python's max(0., nan) is 0
        return std::min(1.0, std::max(0.0, rate));
    }

    void after_build() {
        if (options_.stateful && options_.batch_size > 0 && !state_.exists())
            state_.set_zero(options_.batch_size, units());
    }

    detail::SequenceFlags flags() const noexcept {
        return {options_.go_backwards,
                options_.return_sequences,
                options_.time_major,
                options_.zero_output_for_mask,
                options_.dropout,
                options_.recurrent_dropout,
                options_.return_state || options_.stateful};
    }

    Index stateful_batch() const noexcept { return state_.exists() ? state_.batch() : options_.batch_size; }

    Index require_stateful_batch() const {
        if (!options_.stateful)
            ELMAN_THROW(std::logic_error("SimpleRNN '" + options_.name + "': Layer must be stateful."));
        const Index batch = stateful_batch();
        if (batch <= 0) {
            ELMAN_THROW(
                std::logic_error("SimpleRNN '" + options_.name +
                                 "': If a RNN is stateful, it needs to know its batch size. Pass "
                                 "`options.batch_size` (Keras `batch_input_shape`) or call the layer once first."));
        }
        return batch;
    }

    Options options_;
    Activation activation_;
    Weights weights_;
    detail::StoredState<Scalar> state_;
    Random rng_;
    detail::SequenceEngine<Scalar> engine_;
    // backward() counts as a call of the layer (not concurrently with another call on it): its workspaces
    // and packed transposed weights are a cache, hence mutable for the const layer backward() receives.
    mutable detail::BackwardEngine<Scalar> backward_engine_;
    MovedFrom moved_from_;

    friend struct detail::BackwardAccess;
};

ELMAN_NAMESPACE_END
