// SPDX-License-Identifier: MIT
// SimpleRNN: tf.keras.layers.SimpleRNN (TF 2.4) on Eigen.
#pragma once

#include <elman/activations.hpp>
#include <elman/backend.hpp>
#include <elman/config.hpp>
#include <elman/detail/batch_split.hpp>
#include <elman/detail/errors.hpp>
#include <elman/detail/packed_gemm.hpp>
#include <elman/mask.hpp>
#include <elman/random.hpp>
#include <elman/shape.hpp>
#include <elman/simple_rnn_call.hpp>
#include <elman/simple_rnn_options.hpp>
#include <elman/tensor.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

ELMAN_NAMESPACE_BEGIN

/// The Elman recurrence `h_t = act(x_t · W + b + h_{t-1} · U)` over `[batch, timesteps, features]` inputs, with
/// every behaviour of Keras' SimpleRNN: masking (select, output carry starting at zero), go_backwards (the
/// returned sequence stays in processing order), initial_state, dropout / recurrent_dropout in training calls,
/// stateful layers with reset_states, return_sequences and return_state.
///
/// Weights use Keras' layout, so they move both ways unchanged: kernel `[F, U]` (row i = input feature i),
/// recurrent_kernel `[U, U]`, bias `[U]` (only when use_bias).
///
/// Errors: invalid arguments throw std::invalid_argument (std::logic_error for calls that make no sense in the
/// layer's state, std::length_error for sizes that overflow) naming the argument and the expected vs. actual
/// shape; a call that throws leaves weights and stored state exactly as they were.
///
/// Performance: `set_threads(n)` splits the batch across n threads (bit-identical to one thread);
/// `set_backend(...)` picks the product code (backend.hpp); `SimpleRNNStream` (stream.hpp) steps one timestep
/// at a time without allocating. docs/performance.md has the measurements.
///
/// @tparam Scalar      float or double.
/// @tparam Activation  one of the types in activations.hpp (Keras names) or a user functor with the same shape.
/// @tparam Units       `units` fixed at compile time, or Eigen::Dynamic (default). When fixed, the constructor
///                     refuses any other count and the streaming step (stream.hpp) uses fixed-size Eigen
///                     matrices with fully unrolled loops: the C++ counterpart of Keras' `unroll=True`.
/// @tparam Features    input features fixed at compile time, or Eigen::Dynamic (default); checked at build.
template <class Scalar = float, class Activation = Tanh, int Units = Eigen::Dynamic, int Features = Eigen::Dynamic>
class SimpleRNN {
    static_assert(std::is_floating_point<Scalar>::value, "SimpleRNN: Scalar must be a floating-point type");
    static_assert(Units == Eigen::Dynamic || Units > 0, "SimpleRNN: Units must be positive or Eigen::Dynamic");
    static_assert(Features == Eigen::Dynamic || Features >= 0, "SimpleRNN: Features must be >= 0 or Eigen::Dynamic");

  public:
    using scalar_type = Scalar;
    using activation_type = Activation;
    using Options = SimpleRNNOptions;
    using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
    using RowMatrix = RowMajorMatrix<Scalar>;
    using RowVector = Eigen::Matrix<Scalar, 1, Eigen::Dynamic>;
    using ResultType = Result<Scalar>;
    using Args = CallArgs<Scalar>;
    using Trace = ForwardTrace<Scalar>;
    static constexpr int units_at_compile_time = Units;
    static constexpr int features_at_compile_time = Features;

    /// Keras `SimpleRNN(units, activation, **options)`. `units` must be positive. Dropout rates are clipped to
    /// [0, 1] (NaN -> 0). Weights are built here when `options.input_dim > 0`, else on the first call.
    explicit SimpleRNN(Index units, Options options = {}, Activation activation = {})
        : options_(std::move(options)), activation_(std::move(activation)), units_(units),
          rng_(options_.seed ? Random(*options_.seed) : Random::nondeterministic()) {
        if (units <= 0) {
            throw std::invalid_argument("SimpleRNN '" + options_.name + "': `units` must be a positive integer, got " +
                                        std::to_string(units));
        }
        Shape({units, units}).size();  // throws std::length_error for absurd unit counts
        if (Units != Eigen::Dynamic && units != Units) {
            detail::throw_invalid(
                options_.name, "units",
                "must equal the compile-time Units " + std::to_string(Units) + ", got " + std::to_string(units));
        }
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
    Index units() const noexcept { return units_; }
    const Options& options() const noexcept { return options_; }
    const Activation& activation() const noexcept { return activation_; }
    static constexpr const char* activation_name() { return elman::activation_name<Activation>(); }
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
    bool built() const noexcept { return input_dim_ > 0 || built_empty_; }
    /// Input feature count the weights were built for (0 before build).
    Index input_dim() const noexcept { return input_dim_; }

    /// Keras `build`: creates kernel `[F, U]`, recurrent_kernel `[U, U]` and bias `[U]` with the initializers.
    /// Weights are built once; building again with another `input_dim` throws.
    void build(Index input_dim) {
        if (built()) {
            if (input_dim != input_dim_) {
                detail::throw_invalid(options_.name, "input_dim",
                                      "does not match the built weights: expected " + std::to_string(input_dim_) +
                                          ", got " + std::to_string(input_dim));
            }
            return;
        }
        if (input_dim < 0)
            detail::throw_invalid(options_.name, "input_dim", "must be >= 0, got " + std::to_string(input_dim));
        check_compile_time_features(input_dim);
        Shape({input_dim, units_}).size();
        RowMatrix kernel(input_dim, units_), recurrent(units_, units_);
        RowVector bias(options_.use_bias ? units_ : 0);
        options_.kernel_initializer.fill(kernel.data(), Shape{input_dim, units_});
        options_.recurrent_initializer.fill(recurrent.data(), Shape{units_, units_});
        if (options_.use_bias) options_.bias_initializer.fill(bias.data(), Shape{units_});
        kernel_ = kernel;
        recurrent_kernel_ = recurrent;
        bias_ = bias;
        ++weights_version_;
        input_dim_ = input_dim;
        built_empty_ = input_dim == 0;
        if (options_.stateful && options_.batch_size > 0 && !has_state_) create_zero_state(options_.batch_size);
    }

    /// kernel `[F, U]`, recurrent_kernel `[U, U]`, bias `[U]` (empty without use_bias), as Eigen objects.
    const Matrix& kernel() const noexcept { return kernel_; }
    const Matrix& recurrent_kernel() const noexcept { return recurrent_kernel_; }
    const RowVector& bias() const noexcept { return bias_; }

    /// Mutable access for optimizers (shapes must not change). The packed backend keeps its packed copy of
    /// the weights between calls and repacks only after the weights may have changed: each call of these
    /// accessors (like set_weights and build) marks them changed. So obtain the reference anew for every
    /// update, as `trainable_variables` does per step: writes through a reference or pointer kept from before
    /// the last call of the layer are not seen by the next call (it would run on the old weights).
    Matrix& kernel_mutable() noexcept {
        ++weights_version_;
        return kernel_;
    }
    Matrix& recurrent_kernel_mutable() noexcept {
        ++weights_version_;
        return recurrent_kernel_;
    }
    RowVector& bias_mutable() noexcept {
        ++weights_version_;
        return bias_;
    }

    /// Keras `get_weights()`: `[kernel, recurrent_kernel, bias]` (bias only with use_bias), row-major numpy
    /// layout; empty before the layer is built.
    std::vector<Tensor<Scalar>> get_weights() const {
        std::vector<Tensor<Scalar>> weights;
        if (!built()) return weights;
        weights.push_back(Tensor<Scalar>::from_matrix(kernel_));
        weights.push_back(Tensor<Scalar>::from_matrix(recurrent_kernel_));
        if (options_.use_bias) weights.push_back(Tensor<Scalar>::from_vector(bias_));
        return weights;
    }

    /// Keras `set_weights(weights)`: same order, count and shapes as get_weights, checked before anything is
    /// changed. On a layer that is not built yet, the kernel's first dimension builds it (where Keras would
    /// refuse), so Keras arrays can be loaded straight into a fresh layer.
    void set_weights(const std::vector<TensorView<const Scalar>>& weights) {
        const std::size_t expected = options_.use_bias ? 3u : 2u;
        if (weights.size() != expected) {
            throw std::invalid_argument("You called `set_weights(weights)` on layer \"" + options_.name +
                                        "\" with a weight list of length " + std::to_string(weights.size()) +
                                        ", but the layer was expecting " + std::to_string(expected) + " weights.");
        }
        const Index features = built() ? input_dim_ : (weights[0].rank() == 2 ? weights[0].dim(0) : -1);
        check_weight_shape(Shape{features, units_}, weights[0].shape());
        check_weight_shape(Shape{units_, units_}, weights[1].shape());
        if (options_.use_bias) check_weight_shape(Shape{units_}, weights[2].shape());
        // All checks passed: nothing below throws except allocation on first build.
        check_compile_time_features(features);
        if (!built()) build_uninitialized(features);
        kernel_ = weights[0].matrix();
        recurrent_kernel_ = weights[1].matrix();
        if (options_.use_bias) bias_ = Eigen::Map<const RowVector>(weights[2].data(), units_);
        ++weights_version_;
    }
    void set_weights(const std::vector<Tensor<Scalar>>& weights) {
        std::vector<TensorView<const Scalar>> views(weights.begin(), weights.end());
        set_weights(views);
    }

    /// Sum of the kernel, recurrent and bias regularizer penalties on the current weights (Keras `layer.losses`
    /// without the activity term); 0 before build.
    Scalar regularization_loss() const {
        Scalar total(0);
        if (!built()) return total;
        if (options_.kernel_regularizer) total += (*options_.kernel_regularizer)(kernel_);
        if (options_.recurrent_regularizer) total += (*options_.recurrent_regularizer)(recurrent_kernel_);
        if (options_.bias_regularizer && options_.use_bias) total += (*options_.bias_regularizer)(bias_);
        return total;
    }

    /// Keras' activity regularization of a call's result: the penalty of every returned tensor divided by its
    /// first dimension (the batch, or T for time-major sequences, as Keras does). 0 without a regularizer.
    Scalar activity_regularization_loss(const ResultType& result) const {
        if (!options_.activity_regularizer) return Scalar(0);
        auto term = [&](const Tensor<Scalar>& t) {
            return t.dim(0) == 0 ? Scalar(0)
                                 : (*options_.activity_regularizer)(t.matrix()) / static_cast<Scalar>(t.dim(0));
        };
        Scalar total = term(result.output);
        if (result.state) total += term(*result.state);
        return total;
    }

    // ---- call -----------------------------------------------------------------------------------------------------
    /// Keras `layer(inputs, mask=, training=, initial_state=)`. `inputs` is `[B, T, F]` row-major (`[T, B, F]` when
    /// time_major), viewed without copying. Builds the weights on the first call.
    ResultType operator()(TensorView<const Scalar> inputs, const Args& args = {}) {
        ResultType result;
        call(inputs, args, result);
        return result;
    }
    ResultType call(TensorView<const Scalar> inputs, const Args& args = {}) { return (*this)(inputs, args); }

    /// Same as operator(), writing into `result` so repeated calls of one shape reuse its buffers.
    void call(TensorView<const Scalar> inputs, const Args& args, ResultType& result) {
        const CallShape shape = validate_call(inputs, args);
        // ---- nothing below throws (except std::bad_alloc) ----
        if (!built()) build(shape.features);
        if (options_.stateful && !has_state_) create_zero_state(shape.batch);
        run(inputs, args, shape, result);
    }

    // ---- stateful -------------------------------------------------------------------------------------------------
    /// The stored state `[B, U]` of a stateful layer (empty matrix before it exists).
    const RowMatrix& states() const noexcept { return state_; }

    /// Keras `reset_states()`: stored state := zeros. Throws std::logic_error when the layer is not stateful or
    /// its batch size is still unknown.
    void reset_states() {
        const Index batch = require_stateful_batch();
        create_zero_state(batch);
    }

    /// Keras `reset_states(states)`: stored state := `states` (`[B, U]` exactly). As in Keras, if the state
    /// buffer does not exist yet it is created as zeros and `states` is ignored.
    void reset_states(TensorView<const Scalar> states) { reset_states(std::vector<TensorView<const Scalar>>{states}); }

    /// List form of `reset_states(states)` (Keras accepts a 1-element list; any other count is an error).
    void reset_states(const std::vector<TensorView<const Scalar>>& states) {
        const Index batch = require_stateful_batch();
        if (!has_state_) {
            create_zero_state(batch);
            return;
        }
        if (states.size() != 1) {
            throw std::invalid_argument("Layer " + options_.name + " expects 1 states, but it received " +
                                        std::to_string(states.size()) + " state values.");
        }
        const Shape expected{batch, units_};
        if (states[0].shape() != expected) {
            throw std::invalid_argument("State 0 is incompatible with layer " + options_.name + ": expected shape=" +
                                        expected.to_string() + ", found shape=" + states[0].shape().to_string());
        }
        state_ = states[0].matrix();
    }

    // ---- performance controls ---------------------------------------------------------------------------------
    /// Threads a whole-sequence call may use (default 1). The batch is split into `threads` near-equal row
    /// slices: the caller runs the first, persistent worker threads the others (started by the first call that
    /// needs them, kept between calls, joined when the layer is destroyed or the thread count is lowered; a
    /// copy of the layer starts its own). Samples never wait for each other; a call with batch B uses
    /// min(B, threads) threads. Results are bit-identical to one thread with
    /// the packed backend, whose sums do not depend on the slice (the gemm backend and dropout calls always run
    /// on one thread, as Eigen's/BLAS' summation order may depend on the row count). Throws
    /// std::invalid_argument for n < 1.
    void set_threads(int threads) {
        if (threads < 1)
            detail::throw_invalid(options_.name, "threads", "must be >= 1, got " + std::to_string(threads));
        if (threads < threads_) pool_.stop();  // idle workers are not kept for a smaller count
        threads_ = threads;
    }
    int threads() const noexcept { return threads_; }

    /// Compute path of whole-sequence calls (see backend.hpp); `default_backend` unless changed.
    void set_backend(Backend backend) noexcept { backend_ = backend; }
    Backend backend() const noexcept { return backend_; }

  private:
    struct CallShape {
        Index batch, timesteps, features;
    };
    // Packed backend workspace of one batch slice.
    struct SliceWork {
        RowMatrix stacked;    // [rows, F+U]: x_t in the first F columns, h_{t-1} in the last U
        RowMatrix z;          // [rows, padded U]: pre-activations
        RowMatrix candidate;  // [rows, padded U]: act(z)
        RowMatrix carry;      // [rows, U]: Keras' output carry, only with a mask
    };

    void check_compile_time_features(Index features) const {
        if (Features != Eigen::Dynamic && features != Features) {
            detail::throw_invalid(options_.name, "input_dim",
                                  "must equal the compile-time Features " + std::to_string(Features) + ", got " +
                                      std::to_string(features));
        }
    }

    static double clip_rate(double rate) {
        if (std::isnan(rate)) return 0.0;  // Python's max(0., nan) is 0
        return std::min(1.0, std::max(0.0, rate));
    }

    void check_weight_shape(const Shape& expected, const Shape& provided) const {
        if (expected != provided || expected[0] < 0) {
            throw std::invalid_argument("SimpleRNN '" + options_.name + "': layer weight shape " +
                                        (expected[0] < 0 ? std::string("(F, U)") : expected.to_string()) +
                                        " not compatible with provided weight shape " + provided.to_string());
        }
    }

    void build_uninitialized(Index input_dim) {
        kernel_.resize(input_dim, units_);
        recurrent_kernel_.resize(units_, units_);
        bias_.resize(options_.use_bias ? units_ : 0);
        ++weights_version_;
        input_dim_ = input_dim;
        built_empty_ = input_dim == 0;
        if (options_.stateful && options_.batch_size > 0 && !has_state_) create_zero_state(options_.batch_size);
    }

    void create_zero_state(Index batch) {
        state_.setZero(batch, units_);
        has_state_ = true;
        stateful_batch_ = batch;
    }

    Index known_stateful_batch() const noexcept { return stateful_batch_ > 0 ? stateful_batch_ : options_.batch_size; }

    Index require_stateful_batch() const {
        if (!options_.stateful) throw std::logic_error("SimpleRNN '" + options_.name + "': Layer must be stateful.");
        const Index batch = known_stateful_batch();
        if (batch <= 0) {
            throw std::logic_error("SimpleRNN '" + options_.name +
                                   "': If a RNN is stateful, it needs to know its batch size. Pass "
                                   "`options.batch_size` (Keras `batch_input_shape`) or call the layer once first.");
        }
        return batch;
    }

    CallShape validate_call(const TensorView<const Scalar>& inputs, const Args& args) const {
        const std::string& name = options_.name;
        if (inputs.rank() != 3) {
            throw std::invalid_argument(
                "SimpleRNN '" + name + "': `inputs` must have rank 3 (" +
                (options_.time_major ? "[timesteps, batch, features]" : "[batch, timesteps, features]") +
                "), expected ndim=3, found ndim=" + std::to_string(inputs.rank()) +
                ". Full shape received: " + inputs.shape().to_string());
        }
        const Index batch = options_.time_major ? inputs.dim(1) : inputs.dim(0);
        const Index timesteps = options_.time_major ? inputs.dim(0) : inputs.dim(1);
        const Index features = inputs.dim(2);
        const Index stateful_batch = options_.stateful ? known_stateful_batch() : -1;
        auto expected_inputs = [&] {
            const Index b = stateful_batch > 0 ? stateful_batch : -1;
            const Index f = built() ? input_dim_ : -1;
            return options_.time_major ? detail::expected_shape_string({-1, b, f})
                                       : detail::expected_shape_string({b, -1, f});
        };
        if (batch < 0 || timesteps < 0 || features < 0) {
            detail::throw_shape_error(name, "inputs", expected_inputs(), inputs.shape(), "negative extent");
        }
        if (built() && features != input_dim_) {
            detail::throw_shape_error(name, "inputs", expected_inputs(), inputs.shape(),
                                      "feature dimension must equal the built input_dim " + std::to_string(input_dim_));
        }
        if (!built() && Features != Eigen::Dynamic && features != Features) {
            detail::throw_shape_error(
                name, "inputs", expected_inputs(), inputs.shape(),
                "feature dimension must equal the compile-time Features " + std::to_string(Features));
        }
        if (timesteps == 0) {
            detail::throw_shape_error(name, "inputs", expected_inputs(), inputs.shape(),
                                      "timesteps must be >= 1: Keras cannot run a RNN over an empty sequence");
        }
        if (stateful_batch > 0 && batch != stateful_batch) {
            detail::throw_shape_error(name, "inputs", expected_inputs(), inputs.shape(),
                                      "a stateful layer keeps its batch size " + std::to_string(stateful_batch));
        }
        if (options_.stateful && batch == 0) {
            detail::throw_shape_error(name, "inputs", expected_inputs(), inputs.shape(),
                                      "a stateful layer needs batch >= 1");
        }
        // Sizes of everything the call allocates; throws std::length_error on overflow.
        Shape({batch, timesteps, std::max(features, units_)}).size();
        if (features > 0 && !built()) Shape({features, units_}).size();

        if (!args.mask.empty()) {
            const Shape& m = args.mask.shape();
            const Index d0 = options_.time_major ? timesteps : batch, d1 = options_.time_major ? batch : timesteps;
            const bool ok =
                (m.rank() == 2 && m[0] == d0 && m[1] == d1) || (m.rank() == 3 && m[0] == d0 && m[1] == d1 && m[2] == 1);
            if (!ok) {
                detail::throw_shape_error(name, "mask", detail::expected_shape_string({d0, d1}), m,
                                          "one flag per sample and timestep; [B, T, 1] is accepted too");
            }
        }
        if (args.initial_state) {
            const Shape expected{batch, units_};
            if (args.initial_state->shape() != expected) {
                detail::throw_shape_error(name, "initial_state", expected.to_string(), args.initial_state->shape(),
                                          "one state row of `units` values per sample");
            }
        }
        if (args.training && (options_.dropout >= 1.0 || options_.recurrent_dropout >= 1.0)) {
            const bool input_rate = options_.dropout >= 1.0;
            detail::throw_invalid(name, input_rate ? "dropout" : "recurrent_dropout",
                                  "rate must be a scalar tensor or a float in the range [0, 1), got 1 (a training "
                                  "call cannot drop every unit)");
        }
        return {batch, timesteps, features};
    }

    // Rows of the [B*T, ·] batch-major (or [T*B, ·] time-major) layout holding step t of every sample: the first
    // row and the distance between consecutive samples' rows.
    Index first_row(Index t, const CallShape& s) const noexcept { return options_.time_major ? t * s.batch : t; }
    Index row_stride(const CallShape& s) const noexcept { return options_.time_major ? 1 : s.timesteps; }

    void draw_dropout_mask(RowMatrix& mask, Index rows, Index cols, double rate) {
        mask.resize(rows, cols);
        const Scalar kept = static_cast<Scalar>(1.0 / (1.0 - rate));
        for (Index i = 0; i < rows; ++i)
            for (Index j = 0; j < cols; ++j) mask(i, j) = rng_.uniform() >= rate ? kept : Scalar(0);
    }

    void run(const TensorView<const Scalar>& inputs, const Args& args, const CallShape& s, ResultType& result) {
        using StridedMap = Eigen::Map<RowMatrix, 0, Eigen::OuterStride<>>;
        using ConstStridedMap = Eigen::Map<const RowMatrix, 0, Eigen::OuterStride<>>;
        const Index B = s.batch, T = s.timesteps, F = s.features, U = units_;
        const bool use_input_dropout = args.training && options_.dropout > 0.0;
        const bool use_recurrent_dropout = args.training && options_.recurrent_dropout > 0.0;
        const bool masked = !args.mask.empty();
        Trace* trace = args.trace;
        if (backend_ == Backend::packed && !use_input_dropout && !use_recurrent_dropout) {
            run_packed(inputs, args, s, result);
            return;
        }

        // Dropout masks: drawn once per call, reused at every timestep (Keras' per-call cache).
        if (use_input_dropout) draw_dropout_mask(dropout_mask_, B, F, options_.dropout);
        if (use_recurrent_dropout) draw_dropout_mask(recurrent_dropout_mask_, B, U, options_.recurrent_dropout);

        // Input projection of every timestep in one matrix product: P = x~ W + b, rows laid out like the inputs.
        const Eigen::Map<const RowMatrix> x = inputs.matrix();
        if (use_input_dropout) {
            dropped_inputs_.resize(x.rows(), F);
            for (Index b = 0; b < B; ++b)
                for (Index t = 0; t < T; ++t) {
                    const Index row = first_row(t, s) + b * row_stride(s);
                    dropped_inputs_.row(row) = x.row(row).cwiseProduct(dropout_mask_.row(b));
                }
            projection_.noalias() = dropped_inputs_ * kernel_;
        } else {
            projection_.noalias() = x * kernel_;
        }
        if (options_.use_bias) projection_.rowwise() += bias_;

        begin_call(args, s, result);
        candidate_.resize(B, U);
        preactivation_.resize(B, U);
        if (use_recurrent_dropout) dropped_state_.resize(B, U);
        if (masked) output_carry_.setZero(B, U);  // Keras: the output carry starts at zero, not at h_{-1}

        if (trace) begin_trace(*trace, s, args, use_input_dropout ? dropped_inputs_ : RowMatrix(x));

        // Output buffers.

        for (Index p = 0; p < T; ++p) {
            const Index t = options_.go_backwards ? T - 1 - p : p;
            const ConstStridedMap projected(projection_.data() + first_row(t, s) * U, B, U,
                                            Eigen::OuterStride<>(row_stride(s) * U));
            if (trace) trace->states.middleRows(p * B, B) = state_work_;
            if (use_recurrent_dropout) {
                dropped_state_ = state_work_.cwiseProduct(recurrent_dropout_mask_);
                preactivation_.noalias() = dropped_state_ * recurrent_kernel_;
            } else {
                preactivation_.noalias() = state_work_ * recurrent_kernel_;
            }
            preactivation_ += projected;
            activation_.forward(preactivation_.array(), candidate_.array());
            if (trace) {
                trace->preactivations.middleRows(p * B, B) = preactivation_;
                trace->activations.middleRows(p * B, B) = candidate_;
            }
            if (masked) {
                // Select, not blend: a masked row keeps state and output exactly (NaN-safe).
                for (Index b = 0; b < B; ++b) {
                    const bool keep = args.mask.keep(options_.time_major ? t * B + b : b * T + t);
                    if (trace) trace->step_mask(p, b) = keep;
                    if (keep) {
                        state_work_.row(b) = candidate_.row(b);
                        output_carry_.row(b) = candidate_.row(b);
                    } else if (options_.zero_output_for_mask) {
                        output_carry_.row(b).setZero();
                    }
                }
            } else {
                state_work_.swap(candidate_);
            }
            if (options_.return_sequences) {
                StridedMap out(result.output.data() + first_row(p, s) * U, B, U,
                               Eigen::OuterStride<>(row_stride(s) * U));
                out = masked ? output_carry_ : state_work_;
            }
        }
        if (trace) trace->states.middleRows(T * B, B) = state_work_;

        if (!options_.return_sequences) result.output.matrix() = masked ? output_carry_ : state_work_;
        finish_call(result);
    }

    // Packed backend (no dropout): per step one fused product z = [x_t h_{t-1}] · [W; U] + b on weights packed
    // once (repacked only when the weights may have changed), so there is no [B*T, U] projection buffer and no
    // per-step re-packing. Batch slices run independently, on threads_ threads (pool_).
    void run_packed(const TensorView<const Scalar>& inputs, const Args& args, const CallShape& s, ResultType& result) {
        const Index B = s.batch, F = s.features, U = units_;
        const Eigen::Map<const RowMatrix> x = inputs.matrix();
        if (packed_version_ != weights_version_ || packed_.depth() != F + U) {
            packed_.pack(kernel_, recurrent_kernel_, bias_);  // bias_ is empty without use_bias
            packed_version_ = weights_version_;
        }

        begin_call(args, s, result);
        if (args.trace) begin_trace(*args.trace, s, args, RowMatrix(x));

        // Every allocation happens here, before any thread starts: the slice bodies cannot throw.
        const Index count = detail::slice_count(B, threads_);
        slices_.resize(static_cast<std::size_t>(count));
        for (Index c = 0; c < count; ++c) {
            const Index rows = detail::slice_begin(B, count, c + 1) - detail::slice_begin(B, count, c);
            SliceWork& w = slices_[static_cast<std::size_t>(c)];
            w.stacked.resize(rows, F + U);
            w.z.resize(rows, packed_.padded_units());
            w.candidate.resize(rows, packed_.padded_units());
            if (!args.mask.empty()) w.carry.setZero(rows, U);  // Keras: the output carry starts at zero, not at h_{-1}
        }
        auto body = [&](Index c) noexcept {
            const Index b0 = detail::slice_begin(B, count, c);
            run_packed_slice(slices_[static_cast<std::size_t>(c)], b0, detail::slice_begin(B, count, c + 1) - b0, x,
                             args, s, result);
        };
        pool_.run(count, body);

        finish_call(result);
    }

    // Rows [b0, b0 + rows) of the batch through every timestep; reads and writes only those rows of
    // state_work_, the output and the trace, so slices can run concurrently.
    void run_packed_slice(SliceWork& w, Index b0, Index rows, const Eigen::Map<const RowMatrix>& x, const Args& args,
                          const CallShape& s, ResultType& result) noexcept {
        const Index B = s.batch, T = s.timesteps, F = s.features, U = units_, K = F + U;
        const bool masked = !args.mask.empty();
        Trace* trace = args.trace;
        auto h = w.stacked.rightCols(U);
        h = state_work_.middleRows(b0, rows);
        for (Index p = 0; p < T; ++p) {
            const Index t = options_.go_backwards ? T - 1 - p : p;
            // Row copies are plain std::copy_n: with B = 1 these copies are a large part of a step, and Eigen's
            // block assignment spends more on its alignment bookkeeping than on the copy.
            for (Index i = 0; F > 0 && i < rows; ++i)
                std::copy_n(x.data() + (first_row(t, s) + (b0 + i) * row_stride(s)) * F, F, w.stacked.data() + i * K);
            if (trace) trace->states.middleRows(p * B + b0, rows) = h;
            if (B == 1) {
                detail::packed_gemv<Scalar>(w.stacked.data(), packed_, w.z.data());  // latency-bound: split sums
            } else {
                detail::packed_gemm<Scalar>(rows, w.stacked.data(), K, packed_, w.z.data(), w.z.cols());
            }
            const auto z = w.z.leftCols(U);
            if (trace) trace->preactivations.middleRows(p * B + b0, rows) = z;
            auto candidate = w.candidate.leftCols(U);
            // z and candidate rows all start at the same offset from a packet boundary (row stride = whole
            // panels), in every slice: Eigen then splits each row into the same packet and scalar parts, so
            // activations whose packet and scalar versions round differently (exp, logistic) still give
            // bit-identical results for any thread count.
            activation_.forward(z.array(), candidate.array());
            if (trace) trace->activations.middleRows(p * B + b0, rows) = candidate;
            if (masked) {
                // Select, not blend: a masked row keeps state and output exactly (NaN-safe).
                for (Index i = 0; i < rows; ++i) {
                    const Index b = b0 + i;
                    const bool keep = args.mask.keep(options_.time_major ? t * B + b : b * T + t);
                    if (trace) trace->step_mask(p, b) = keep;
                    if (keep) {
                        h.row(i) = candidate.row(i);
                        w.carry.row(i) = candidate.row(i);
                    } else if (options_.zero_output_for_mask) {
                        w.carry.row(i).setZero();
                    }
                }
            } else {
                for (Index i = 0; i < rows; ++i)
                    std::copy_n(w.candidate.data() + i * w.candidate.cols(), U, w.stacked.data() + i * K + F);
            }
            if (options_.return_sequences) {
                for (Index i = 0; i < rows; ++i) {
                    Scalar* out = result.output.data() + (first_row(p, s) + (b0 + i) * row_stride(s)) * U;
                    std::copy_n(masked ? w.carry.data() + i * U : w.stacked.data() + i * K + F, U, out);
                }
            }
        }
        if (trace) trace->states.middleRows(T * B + b0, rows) = h;
        state_work_.middleRows(b0, rows) = h;
        if (!options_.return_sequences) {
            if (masked) {
                result.output.matrix().middleRows(b0, rows) = w.carry;
            } else {
                result.output.matrix().middleRows(b0, rows) = h;
            }
        }
    }

    // Shared by both backends. Sizes the output and loads h_{-1} into state_work_: the explicit initial_state,
    // zeros, or the stored state of a stateful layer (TF 2.4: a stored state with any non-zero entry wins over
    // an explicit initial_state).
    void begin_call(const Args& args, const CallShape& s, ResultType& result) {
        const Index B = s.batch, T = s.timesteps, U = units_;
        result.output.resize(options_.return_sequences ? (options_.time_major ? Shape{T, B, U} : Shape{B, T, U})
                                                       : Shape{B, U});
        state_work_.resize(B, U);
        if (options_.stateful && !(args.initial_state && state_.isZero(0))) {
            state_work_ = state_;
        } else if (args.initial_state) {
            state_work_ = args.initial_state->matrix();
        } else {
            state_work_.setZero();
        }
    }

    // Shared by both backends: the returned final state and the stored state of a stateful layer.
    void finish_call(ResultType& result) {
        if (options_.return_state) {
            if (!result.state) result.state.emplace();
            result.state->resize(Shape{state_work_.rows(), units_});
            result.state->matrix() = state_work_;
        } else {
            result.state.reset();
        }
        if (options_.stateful) state_ = state_work_;
    }

    void begin_trace(Trace& trace, const CallShape& s, const Args& args, const RowMatrix& inputs) const {
        const Index B = s.batch, T = s.timesteps, U = units_;
        trace.batch = B;
        trace.timesteps = T;
        trace.features = s.features;
        trace.units = U;
        trace.go_backwards = options_.go_backwards;
        trace.time_major = options_.time_major;
        trace.return_sequences = options_.return_sequences;
        trace.zero_output_for_mask = options_.zero_output_for_mask;
        trace.inputs = inputs;
        trace.states.resize((T + 1) * B, U);
        trace.preactivations.resize(T * B, U);
        trace.activations.resize(T * B, U);
        if (!args.mask.empty()) {
            trace.step_mask.resize(T, B);
        } else {
            trace.step_mask.resize(0, 0);
        }
        const bool input_dropout = args.training && options_.dropout > 0.0;
        const bool recurrent_dropout = args.training && options_.recurrent_dropout > 0.0;
        if (input_dropout) {
            trace.dropout_mask = dropout_mask_;
        } else {
            trace.dropout_mask.resize(0, 0);
        }
        if (recurrent_dropout) {
            trace.recurrent_dropout_mask = recurrent_dropout_mask_;
        } else {
            trace.recurrent_dropout_mask.resize(0, 0);
        }
    }

    Options options_;
    Activation activation_;
    Index units_;
    Index input_dim_ = 0;
    bool built_empty_ = false;  // built with input_dim 0 (Keras allows it)
    Matrix kernel_, recurrent_kernel_;
    RowVector bias_;

    // Stateful layers: the stored state and its batch size.
    RowMatrix state_;
    bool has_state_ = false;
    Index stateful_batch_ = 0;

    Random rng_;
    int threads_ = 1;
    Backend backend_ = default_backend;

    // Per-call workspaces (members so repeated calls of one shape do not allocate).
    RowMatrix projection_, dropped_inputs_, state_work_, candidate_, preactivation_, dropped_state_, output_carry_;
    RowMatrix dropout_mask_, recurrent_dropout_mask_;
    // Packed backend: the stacked weights [W; U] and bias in panels, and one workspace per batch slice.
    // packed_ holds the weights as of weights_version_ == packed_version_ (bumped by every path that may
    // change them: build, set_weights, the *_mutable accessors).
    detail::PackedWeights<Scalar> packed_;
    std::uint64_t weights_version_ = 1, packed_version_ = 0;
    std::vector<SliceWork> slices_;
    // Persistent workers for set_threads > 1 (not copied: a copy starts its own when it needs them).
    detail::SlicePool pool_;
};

ELMAN_NAMESPACE_END
