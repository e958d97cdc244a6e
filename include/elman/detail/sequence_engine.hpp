// SPDX-License-Identifier: MIT
// Runs one whole-sequence SimpleRNN call: dropout masks, product choice, workspaces, threads, trace.
#pragma once

#include <elman/backend.hpp>
#include <elman/config.hpp>
#include <elman/detail/batch_split.hpp>
#include <elman/detail/call_validation.hpp>
#include <elman/detail/packed_gemm.hpp>
#include <elman/detail/recurrence.hpp>
#include <elman/detail/resize.hpp>
#include <elman/detail/sequence_layout.hpp>
#include <elman/exceptions.hpp>
#include <elman/mask.hpp>
#include <elman/parameter.hpp>
#include <elman/random.hpp>
#include <elman/simple_rnn_call.hpp>
#include <elman/simple_rnn_weights.hpp>
#include <elman/tensor.hpp>

#include <Eigen/Core>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

ELMAN_NAMESPACE_BEGIN
namespace detail {

/// The loop-shaping options of a call (a subset of SimpleRNNOptions, after the layer's normalisation).
struct SequenceFlags {
    bool go_backwards = false, return_sequences = false, time_major = false, zero_output_for_mask = false;
    double dropout = 0.0, recurrent_dropout = 0.0;
    /// Whether the caller reads final_state() after the call (return_state or stateful); otherwise the last
    /// state is not stored.
    bool final_state = true;

    friend bool operator==(const SequenceFlags& a, const SequenceFlags& b) noexcept {
        return a.go_backwards == b.go_backwards && a.return_sequences == b.return_sequences &&
               a.time_major == b.time_major && a.zero_output_for_mask == b.zero_output_for_mask &&
               a.dropout == b.dropout && a.recurrent_dropout == b.recurrent_dropout && a.final_state == b.final_state;
    }
};

/// Whether the byte ranges [a, a + n) and [b, b + m) share memory (no ordering assumption between unrelated
/// objects).
inline bool overlaps(const void* a, std::size_t n, const void* b, std::size_t m) noexcept {
    if (n == 0 || m == 0 || a == nullptr || b == nullptr) return false;
    const auto a0 = reinterpret_cast<std::uintptr_t>(a), b0 = reinterpret_cast<std::uintptr_t>(b);
    return a0 < b0 + m && b0 < a0 + n;
}

/// The compute side of a SimpleRNN: its workspaces, the packed weights cache, threads and backend. Copies
/// start with the same settings and their own workers; a copy keeps the cache (it stays valid: the copied
/// weights carry the same stamps).
template <class Scalar>
class SequenceEngine {
  public:
    using RowMatrix = RowMajorMatrix<Scalar>;

    void set_threads(int threads) {
        if (threads < threads_) pool_.stop();  // idle workers are not kept for a smaller count
        threads_ = threads;
    }
    int threads() const noexcept { return threads_; }
    void set_backend(Backend backend) noexcept { backend_ = backend; }
    Backend backend() const noexcept { return backend_; }

    /// Runs the recurrence over `inputs` (validated, shape `s`) from h_{-1} = `initial` (`[B, U]` row-major
    /// values, null = zeros), writing `result.output`. Afterwards `final_state()` holds the last state when
    /// `flags.final_state`.
    /// Throws std::invalid_argument for a mask that aliases `result` and std::bad_alloc, both before any
    /// result, trace or generator state is changed.
    template <class Activation>
    void run(const SimpleRNNWeights<Scalar>& weights, const Activation& act, const SequenceFlags& flags,
             const TensorView<const Scalar>& inputs, const CallArgs<Scalar>& args, const CallShape& s,
             const Scalar* initial, Random& rng, Result<Scalar>& result) {
        if (backend_ == Backend::packed) {
            refresh_packed(weights);
            // A plain call like the last one (the usual loop of small calls): everything is sized, only the
            // recurrence runs. Every other call takes the general path, which also prepares for the next.
            if (prepared_.repeats(s, flags, threads_, packed_.padded_units(), result.output.shape()) &&
                plain_call(args, flags) && !aliases_result(inputs.data(), bytes(inputs.size()), result) &&
                !(initial && aliases_result(initial, bytes(s.batch * weights.units()), result))) {
                // Updated in place, field by field: a fresh copy of the whole struct would be written with wide
                // stores and read back field by field at once, which stalls store forwarding.
                RecurrenceIO<Scalar>& io = prepared_.io;
                io.inputs = inputs.data();
                io.initial_state = initial;
                io.output = result.output.data();
                io.state = flags.final_state ? &state_ : nullptr;
                run_slices(io, act, PackedProduct<Scalar>{&packed_, s.batch == 1}, slice_count(s.batch, threads_));
                return;
            }
        }
        run_general(weights, act, flags, inputs, args, s, initial, rng, result);
    }

    /// h after the last step of the last call that asked for it (SequenceFlags::final_state), `[B, U]`.
    const RowMatrix& final_state() const noexcept { return state_; }

    /// The workers, shared with backward() (which runs on a const layer; the pool is not observable state).
    SlicePool& pool() const noexcept { return pool_; }

  private:
    /// A call whose loop is the plain recurrence (no trace, mask or dropout in effect): the only kind a repeat
    /// runs, and the only kind run_general() prepares a repeat for.
    static bool plain_call(const CallArgs<Scalar>& args, const SequenceFlags& flags) noexcept {
        return !args.trace && args.mask.empty() &&
               !(args.training && (flags.dropout > 0.0 || flags.recurrent_dropout > 0.0));
    }

    static std::size_t bytes(Index n) noexcept { return static_cast<std::size_t>(n) * sizeof(Scalar); }

    /// Whether the `n` bytes at `p` share memory with the output or state being written.
    static bool aliases_result(const void* p, std::size_t n, const Result<Scalar>& result) noexcept {
        return overlaps(p, n, result.output.data(), bytes(result.output.size())) ||
               (result.state && overlaps(p, n, result.state->data(), bytes(result.state->size())));
    }

    /// Every call but a repeat of a prepared plain one: copies aliased operands, draws dropout masks, starts
    /// the trace, sizes the output and workspaces, then runs the recurrence. Out of line: a repeated small
    /// call does not pay for its frame.
    template <class Activation>
    EIGEN_DONT_INLINE void run_general(const SimpleRNNWeights<Scalar>& weights, const Activation& act,
                                       const SequenceFlags& flags, TensorView<const Scalar> inputs,
                                       const CallArgs<Scalar>& args, const CallShape& s, const Scalar* initial,
                                       Random& rng, Result<Scalar>& result) {
        const Index B = s.batch, T = s.timesteps, F = s.features, U = weights.units();
        const SequenceLayout layout{B, T, flags.time_major};
        const bool input_dropout = args.training && flags.dropout > 0.0;
        const bool recurrent_dropout = args.training && flags.recurrent_dropout > 0.0;
        ForwardTrace<Scalar>* trace = args.trace;
        prepared_ = {};  // the workspaces are about to change

        // Operands that share memory with the result (a stacked-layer loop reusing one Result) or with the trace
        // are read from copies: resizing those may free them, and the call would overwrite them while reading.
        auto aliased = [&](const void* p, std::size_t n) {
            auto hits = [&](const RowMatrix& m) { return overlaps(p, n, m.data(), bytes(m.size())); };
            return aliases_result(p, n, result) ||
                   (trace &&
                    (hits(trace->inputs) || hits(trace->states) || hits(trace->preactivations) ||
                     hits(trace->activations) || hits(trace->dropout_mask) || hits(trace->recurrent_dropout_mask)));
        };
        if (aliased(inputs.data(), bytes(inputs.size()))) {
            aliased_inputs_.assign(inputs.data(), inputs.data() + inputs.size());
            inputs = TensorView<const Scalar>(aliased_inputs_.data(), inputs.shape());
        }
        // A mask cannot be copied without knowing its dtype's meaning to the caller: refuse one that aliases.
        if (!args.mask.empty() && aliased(args.mask.data(), args.mask.bytes())) {
            ELMAN_THROW(std::invalid_argument(
                "SimpleRNN: `mask` shares memory with the Result or ForwardTrace being written; pass a mask that "
                "does not view the result's output or state or the trace"));
        }
        if (initial && aliased(initial, bytes(B * U))) {
            aliased_initial_.assign(initial, initial + B * U);
            initial = aliased_initial_.data();
        }

        // Dropout masks: drawn once per call (in one order, whatever the threads), reused at every timestep.
        if (input_dropout) draw_mask(dropout_mask_, B, F, flags.dropout, rng);
        if (recurrent_dropout) draw_mask(recurrent_dropout_mask_, B, U, flags.recurrent_dropout, rng);

        // x~ = inputs after input dropout, applied once for the whole call (into the trace when there is one).
        const Eigen::Map<const RowMatrix> x = inputs.matrix();
        const Scalar* operand = inputs.data();
        if (trace) begin_trace(*trace, flags, s, U, args, input_dropout, recurrent_dropout);
        if (input_dropout || trace) {
            RowMatrix& dropped = trace ? trace->inputs : dropped_inputs_;
            fit(dropped, x.rows(), F);
            // On the call's threads, each copying its own samples: for a large input this copy costs as much
            // as several steps.
            const Index count = backend_ == Backend::packed ? slice_count(B, threads_) : 1;
            auto copy_slice = [&](Index c) noexcept {
                for (Index b = slice_begin(B, count, c); b < slice_begin(B, count, c + 1); ++b) {
                    for (Index t = 0; t < T; ++t) {
                        const Index row = layout.row(b, t);
                        if (input_dropout) {
                            dropped.row(row) = x.row(row).cwiseProduct(dropout_mask_.row(b));
                        } else {
                            dropped.row(row) = x.row(row);
                        }
                    }
                }
            };
            pool_.run(count, copy_slice);
            operand = dropped.data();
        }

        result.output.resize(flags.return_sequences ? (flags.time_major ? Shape{T, B, U} : Shape{B, T, U})
                                                    : Shape{B, U});
        if (flags.final_state) fit(state_, B, U);  // written by the slices at their last step

        RecurrenceIO<Scalar> io;
        io.layout = layout;
        io.features = F;
        io.units = U;
        io.go_backwards = flags.go_backwards;
        io.return_sequences = flags.return_sequences;
        io.zero_output_for_mask = flags.zero_output_for_mask;
        io.inputs = operand;
        io.mask = args.mask.empty() ? nullptr : &args.mask;
        io.recurrent_dropout = recurrent_dropout ? &recurrent_dropout_mask_ : nullptr;
        io.initial_state = initial;
        io.state = flags.final_state ? &state_ : nullptr;
        io.output = result.output.data();
        io.trace = trace;

        if (backend_ == Backend::packed) {
            const Index count = slice_count(B, threads_);
            prepare_slices(io, packed_.padded_units(), count);
            if (plain_call(args, flags))
                prepared_.set(s, flags, threads_, packed_.padded_units(), result.output.shape(), io);
            run_slices(io, act, PackedProduct<Scalar>{&packed_, B == 1}, count);
        } else {
            const Eigen::Map<const RowMatrix> dropped(operand, x.rows(), F);
            projection_.noalias() = dropped * weights.kernel().value();
            if (weights.use_bias()) projection_.rowwise() += weights.bias().value().row(0);
            EigenProduct<Scalar> product{&weights.recurrent_kernel().value(), &projection_};
            prepare_slices(io, product.z_columns(), 1);
            run_slices(io, act, product, 1);
        }
    }

    /// What the last plain call (packed, no trace, mask or dropout) left sized: the slices' workspaces, the
    /// final state, an output of shape `output`; and its loop operands `io`, whose per-call pointers (inputs,
    /// initial state, output, final state) every repeat sets, so a copy of the engine holds a valid one. Only
    /// run_general() resizes any of those, and it clears this first.
    struct PreparedCall {
        bool valid = false;
        CallShape shape{0, 0, 0};
        SequenceFlags flags{};
        int threads = 0;
        Index z_columns = 0;
        Shape output{};
        RecurrenceIO<Scalar> io{};

        void set(const CallShape& s, const SequenceFlags& f, int t, Index z, const Shape& out,
                 const RecurrenceIO<Scalar>& operands) noexcept {
            *this = {true, s, f, t, z, out, operands};
            io.inputs = io.initial_state = nullptr;
            io.output = nullptr;
            io.state = nullptr;
        }
        bool repeats(const CallShape& s, const SequenceFlags& f, int t, Index z, const Shape& out) const noexcept {
            return valid && s.batch == shape.batch && s.timesteps == shape.timesteps && s.features == shape.features &&
                   t == threads && z == z_columns && f == flags && out == output;
        }
    };

    // Every allocation of the slices happens here, before any thread starts: the slice bodies cannot throw.
    void prepare_slices(const RecurrenceIO<Scalar>& io, Index z_columns, Index count) {
        const Index B = io.layout.batch;
        slices_.resize(static_cast<std::size_t>(count));
        for (Index c = 0; c < count; ++c) {
            slices_[static_cast<std::size_t>(c)].prepare(slice_begin(B, count, c + 1) - slice_begin(B, count, c),
                                                         io.features, io.units, z_columns, io.mask != nullptr,
                                                         io.recurrent_dropout != nullptr);
        }
    }

    /// Runs the prepared slices.
    template <class Activation, class Product>
    void run_slices(const RecurrenceIO<Scalar>& io, const Activation& act, const Product& product, Index count) {
        const Index B = io.layout.batch;
        if (count == 1) {  // no pool, no call through the body
            run_slice(io, act, product, slices_[0], 0, B);
            return;
        }
        auto body = [&](Index c) noexcept {
            const Index b0 = slice_begin(B, count, c);
            run_slice(io, act, product, slices_[static_cast<std::size_t>(c)], b0, slice_begin(B, count, c + 1) - b0);
        };
        pool_.run(count, body);
    }

    // Repacks [U; W] and the bias when any of them changed since the last pack (stamps change on every write).
    void refresh_packed(const SimpleRNNWeights<Scalar>& w) {
        const std::uint64_t stamps[3] = {w.kernel().stamp(), w.recurrent_kernel().stamp(), w.bias().stamp()};
        packed_stamps_.refresh(
            stamps, [&] { packed_.pack(w.recurrent_kernel().value(), w.kernel().value(), w.bias().value()); });
    }

    static void draw_mask(RowMatrix& mask, Index rows, Index cols, double rate, Random& rng) {
        fit(mask, rows, cols);
        const Scalar kept = static_cast<Scalar>(1.0 / (1.0 - rate));
        for (Index i = 0; i < rows; ++i)
            for (Index j = 0; j < cols; ++j) mask(i, j) = rng.uniform() >= rate ? kept : Scalar(0);
    }

    void begin_trace(ForwardTrace<Scalar>& trace, const SequenceFlags& flags, const CallShape& s, Index U,
                     const CallArgs<Scalar>& args, bool input_dropout, bool recurrent_dropout) const {
        const Index B = s.batch, T = s.timesteps;
        trace.batch = B;
        trace.timesteps = T;
        trace.features = s.features;
        trace.units = U;
        trace.go_backwards = flags.go_backwards;
        trace.time_major = flags.time_major;
        trace.return_sequences = flags.return_sequences;
        trace.zero_output_for_mask = flags.zero_output_for_mask;
        fit(trace.states, (T + 1) * B, U);
        fit(trace.preactivations, T * B, U);
        fit(trace.activations, T * B, U);
        trace.step_mask.resize(args.mask.empty() ? 0 : T, args.mask.empty() ? 0 : B);
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

    int threads_ = 1;
    Backend backend_ = default_backend;
    PreparedCall prepared_;  // the last plain call's set-up
    // Per-call buffers (members so repeated calls of one shape do not allocate).
    RowMatrix state_, projection_, dropped_inputs_, dropout_mask_, recurrent_dropout_mask_;
    std::vector<Scalar> aliased_inputs_, aliased_initial_;
    std::vector<SliceWorkspace<Scalar>> slices_;
    // The packed [U; W] and bias as of the recorded stamps.
    PackedWeights<Scalar> packed_;
    DerivedStamps<3> packed_stamps_;
    // Persistent workers for set_threads > 1 (not copied: a copy starts its own when it needs them).
    mutable SlicePool pool_;
};

}  // namespace detail
ELMAN_NAMESPACE_END
