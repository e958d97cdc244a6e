// SPDX-License-Identifier: MIT
// The recurrence: one loop over the timesteps of a batch slice, for every call path (whole sequences on any
// product, training calls with dropout, traces for backpropagation, and the streaming step).
//
// Per processed step p (source step t = p, or T-1-p with go_backwards) and row i of the slice:
//     z_i   = b + x~_t,i · W + h~_i · U           (the product policy: packed panels or Eigen/BLAS)
//     c_i   = act(z_i)
//     h_i   = mask keeps (b, t) ? c_i : h_i                  (select, never blend: NaN-safe)
//     y_i   = mask keeps (b, t) ? c_i : (zero_output_for_mask ? 0 : y_i)   (the output carry, from zero)
// where x~ is the input after input dropout (applied by the caller, once per call) and h~ = h ⊙ the recurrent
// dropout mask (only inside the product: the carried state is not masked). Slices touch only their own rows of
// the state, output and trace, so they run concurrently; a slice's numbers do not depend on the others.
#pragma once

#include <elman/activation_registry.hpp>
#include <elman/activations.hpp>
#include <elman/config.hpp>
#include <elman/detail/packed_gemm.hpp>
#include <elman/detail/prefetch.hpp>
#include <elman/detail/resize.hpp>
#include <elman/detail/sequence_layout.hpp>
#include <elman/exceptions.hpp>
#include <elman/mask.hpp>
#include <elman/simple_rnn_call.hpp>
#include <elman/tensor.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <type_traits>

ELMAN_NAMESPACE_BEGIN
namespace detail {

/// Everything one call's loop reads and writes, shared by all slices (each touches only its rows).
template <class Scalar>
struct RecurrenceIO {
    SequenceLayout layout;
    Index features = 0, units = 0;
    bool go_backwards = false, return_sequences = false, zero_output_for_mask = false;
    /// `[B*T, F]` rows in `layout` order, after input dropout.
    const Scalar* inputs = nullptr;
    /// Step mask (`layout` order), or null.
    const MaskView* mask = nullptr;
    /// `[B, U]` recurrent-dropout multipliers, or null.
    const RowMajorMatrix<Scalar>* recurrent_dropout = nullptr;
    /// `[B, U]` row-major h_{-1}, or null for zeros (read straight into each slice's state: no per-call copy).
    const Scalar* initial_state = nullptr;
    /// `[B, U]`: the final state on exit, or null when nobody reads it.
    RowMajorMatrix<Scalar>* state = nullptr;
    /// The returned output: `[B, U]`, or the sequence in processing order laid out like the inputs.
    Scalar* output = nullptr;
    /// Records what backpropagation needs (sized by the caller), or null.
    ForwardTrace<Scalar>* trace = nullptr;
};

/// Row stride that keeps every row of a buffer on the same offset from a packet boundary, so Eigen splits each
/// row into the same packet and scalar parts: activations whose packet and scalar versions round differently
/// (exp, logistic) then give bit-identical rows whatever slice or thread computed them.
template <class Scalar>
constexpr Index packet_padded(Index n) noexcept {
    constexpr Index p = Eigen::internal::packet_traits<Scalar>::size;
    return (n + p - 1) / p * p;
}

/// Buffers of one slice (members of the caller, so repeated calls of one shape do not allocate).
template <class Scalar>
struct SliceWorkspace {
    using Matrix = RowMajorMatrix<Scalar>;
    Matrix stacked;    // [rows, stride]: h~ in columns [0, U), x~_t in [U, U+F) (packed product operand)
    Matrix z;          // [rows, padded U]: pre-activations
    Matrix candidate;  // [rows, padded U]: act(z), only with a mask
    Matrix state;      // [rows, padded U]: h when it cannot live in `stacked` (recurrent dropout, Eigen product)
    Matrix carry;      // [rows, U]: the output carry, only with a mask
    Matrix dropped;    // [rows, U]: h~ for the Eigen product with recurrent dropout

    /// Sizes every buffer the loop uses (the only allocation of a call; a no-op for an unchanged shape).
    void prepare(Index rows, Index features, Index units, Index z_columns, bool masked, bool recurrent_dropout) {
        fit(stacked, rows, packet_padded<Scalar>(units + features));
        fit(z, rows, z_columns);
        fit(state, rows, packet_padded<Scalar>(units));
        if (recurrent_dropout) fit(dropped, rows, units);
        if (masked) {
            fit(candidate, rows, z_columns);
            carry.setZero(rows, units);  // Keras: the output carry starts at zero, not at h_{-1}
        }
    }
};

template <class Scalar>
using StridedRows = Eigen::Map<RowMajorMatrix<Scalar>, 0, Eigen::OuterStride<>>;

/// dst rows := src rows, or zeros when src is null. Plain loops: a small call copies a few short rows, where
/// Eigen's block assignment spends more on its alignment bookkeeping than on the copy.
template <class Scalar>
void copy_rows(const Scalar* src, Index src_stride, Scalar* dst, Index dst_stride, Index rows, Index cols) noexcept {
    for (Index i = 0; i < rows; ++i) {
        if (src) {
            std::copy_n(src + i * src_stride, cols, dst + i * dst_stride);
        } else {
            std::fill_n(dst + i * dst_stride, cols, Scalar(0));
        }
    }
}

/// The fused product on packed weights `[U; W]` (recurrent rows first, matching the `[h~ x~]` operand):
/// z = b + [h~ x~] · [U; W]. `Depth` = U + F when known at compile time (the streaming step's unrolled loop).
template <class Scalar, int Depth = Eigen::Dynamic>
struct PackedProduct {
    const PackedWeights<Scalar>* weights = nullptr;
    /// The whole batch is one sample: the latency kernel (split sums) instead of the throughput kernel.
    bool single_sample = false;

    static constexpr bool state_fits_operand = true;
    Index z_columns() const noexcept { return weights->padded_units(); }
    /// The instruction set of the kernels this product runs (the activation follows it).
    Isa isa() const noexcept { return weights->isa(); }

    // Inlined into every step variant: a one-sample step calling it lost ~15% (Zen 5), which g++ chose once the
    // step had three instantiations.
    EIGEN_ALWAYS_INLINE void operator()(const RecurrenceIO<Scalar>& io, SliceWorkspace<Scalar>& ws, Index b0,
                                        Index rows, Index t, const StridedRows<Scalar>& h) const noexcept {
        const Index F = io.features, U = io.units, K = ws.stacked.cols();
        Scalar* operand = ws.stacked.data();
        // Plain std::copy_n: with one sample these copies are a visible part of a step, and Eigen's block
        // assignment spends more on alignment bookkeeping than on the copy.
        for (Index i = 0; F > 0 && i < rows; ++i)
            std::copy_n(io.inputs + io.layout.row(b0 + i, t) * F, F, operand + i * K + U);
        if (io.recurrent_dropout) {
            StridedRows<Scalar>(operand, rows, U, Eigen::OuterStride<>(K)) =
                h.cwiseProduct(io.recurrent_dropout->middleRows(b0, rows));
        }
        if (single_sample) {
            packed_gemv<Scalar, Depth>(operand, *weights, ws.z.data());
        } else {
            packed_gemm<Scalar, Depth>(rows, operand, K, *weights, ws.z.data(), ws.z.cols());
        }
    }
};

/// Eigen (or BLAS) products: the caller computes the input projection P = x~ · W + b of every step in one
/// GEMM; each step adds h~ · U. Eigen's summation order may depend on the row count, so one slice only.
template <class Scalar>
struct EigenProduct {
    const RowMajorMatrix<Scalar>* recurrent_kernel = nullptr;
    const RowMajorMatrix<Scalar>* projection = nullptr;  // [B*T, U] in the inputs' layout

    static constexpr bool state_fits_operand = false;
    Index z_columns() const noexcept { return packet_padded<Scalar>(recurrent_kernel->cols()); }
    static constexpr Isa isa() noexcept { return Isa::generic; }

    void operator()(const RecurrenceIO<Scalar>& io, SliceWorkspace<Scalar>& ws, Index b0, Index rows, Index t,
                    const StridedRows<Scalar>& h) const noexcept {
        const Index U = io.units;
        StridedRows<Scalar> z(ws.z.data(), rows, U, Eigen::OuterStride<>(ws.z.cols()));
        if (io.recurrent_dropout) {
            ws.dropped = h.cwiseProduct(io.recurrent_dropout->middleRows(b0, rows));
            z.noalias() = ws.dropped * *recurrent_kernel;
        } else {
            z.noalias() = h * *recurrent_kernel;
        }
        const Eigen::Map<const RowMajorMatrix<Scalar>, 0, Eigen::OuterStride<>> projected(
            projection->data() + io.layout.row(b0, t) * U, rows, U,
            Eigen::OuterStride<>(io.layout.sample_stride() * U));
        z += projected;
    }
};

/// Where a slice keeps h: in the product's operand when nothing else must be multiplied in (no copy per step),
/// else in its own buffer.
template <class Scalar, class Product>
StridedRows<Scalar> state_rows(const RecurrenceIO<Scalar>& io, SliceWorkspace<Scalar>& ws, Index rows) noexcept {
    if (Product::state_fits_operand && !io.recurrent_dropout)
        return StridedRows<Scalar>(ws.stacked.data(), rows, io.units, Eigen::OuterStride<>(ws.stacked.cols()));
    return StridedRows<Scalar>(ws.state.data(), rows, io.units, Eigen::OuterStride<>(ws.state.cols()));
}

/// y = act(z) for rows of z. float tanh (the default activation) runs on the product's instruction set, so a
/// build without -march does not fall back to SSE2 for it; everything else is the activation's own Eigen code.
/// An activation chosen at run time picks its typed one here, once per block, so it takes the same paths.
template <class Scalar, class Activation, class Z, class Y>
EIGEN_ALWAYS_INLINE void activate(const Activation& act, Isa isa, const Z& z, Y& y) noexcept {
    if constexpr (std::is_same<Activation, KerasActivation>::value) {
        act.visit([&](auto typed) { activate<Scalar>(typed, isa, z, y); });
    } else {
        if constexpr (std::is_same<Activation, Tanh>::value && std::is_same<Scalar, float>::value) {
            if (simd_tanh(isa, z.rows(), z.cols(), z.data(), z.outerStride(), y.data(), y.outerStride())) return;
        }
        act.forward(z.array(), y.array());
    }
}

/// Whether a step may have more to do than z = product, h = act(z). The branches a variant rules out are
/// compiled out: in the general step they cost a one-sample step ~10 ns of 67 (Zen 4), mostly registers spilled
/// around them.
///   any:      trace, mask and recurrent dropout possible.
///   sequence: none of those (the usual inference call); any timestep count, returned sequences, go_backwards.
///   none:     `sequence` with one timestep and no sequence output (the streaming step).
enum class StepExtras { any, sequence, none };

/// One processed step p of rows [b0, b0 + rows) with the state in `h`.
template <StepExtras Extras = StepExtras::any, class Scalar, class Activation, class Product>
void recurrence_step(const RecurrenceIO<Scalar>& io, const Activation& act, const Product& product,
                     SliceWorkspace<Scalar>& ws, Index b0, Index rows, StridedRows<Scalar>& h, Index p) noexcept {
    constexpr bool plain = Extras == StepExtras::none, extras = Extras == StepExtras::any;
    const Index B = io.layout.batch, T = io.layout.timesteps, U = io.units;
    const Index t = io.go_backwards ? T - 1 - p : p;
    ELMAN_ASSERT(extras || (!io.trace && !io.mask && !io.recurrent_dropout));
    ELMAN_ASSERT(!plain || (!io.return_sequences && T == 1));
    ForwardTrace<Scalar>* trace = extras ? io.trace : nullptr;
    if (!plain && rows > 1 && io.layout.sample_stride() > 1 && p + 1 < T) {
        // The next step's input rows (read by the packed product's operand copy) and output rows, while this
        // step computes: batch-major, each is a short run a whole sequence away from the next sample's. One
        // sample's or time-major rows follow the current ones in memory, which the hardware prefetchers track.
        const Index stride = io.layout.sample_stride(), t_next = io.go_backwards ? t - 1 : t + 1;
        if (Product::state_fits_operand && io.features > 0)
            prefetch_rows(io.inputs + io.layout.row(b0, t_next) * io.features, rows, io.features, stride * io.features);
        if (io.return_sequences) prefetch_rows(io.output + io.layout.row(b0, p + 1) * U, rows, U, stride * U, true);
    }
    if (trace) trace->states.middleRows(p * B + b0, rows) = h;
    product(io, ws, b0, rows, t, h);
    const StridedRows<Scalar> z(ws.z.data(), rows, U, Eigen::OuterStride<>(ws.z.cols()));
    if (trace) trace->preactivations.middleRows(p * B + b0, rows) = z;
    const bool masked = extras && io.mask != nullptr;
    if (masked) {
        StridedRows<Scalar> candidate(ws.candidate.data(), rows, U, Eigen::OuterStride<>(ws.candidate.cols()));
        activate<Scalar>(act, product.isa(), z, candidate);
        if (trace) trace->activations.middleRows(p * B + b0, rows) = candidate;
        for (Index i = 0; i < rows; ++i) {
            const bool keep = io.mask->keep(io.layout.row(b0 + i, t));
            if (trace) trace->step_mask(p, b0 + i) = keep;
            if (keep) {
                h.row(i) = candidate.row(i);
                ws.carry.row(i) = candidate.row(i);
            } else if (io.zero_output_for_mask) {
                ws.carry.row(i).setZero();
            }
        }
    } else {
        // The product has read h: overwrite it in place. One row is contiguous: a plain map spares Eigen's
        // per-row alignment bookkeeping, a visible part of a one-sample step.
        if (rows == 1) {
            Eigen::Map<RowMajorMatrix<Scalar>> h_row(h.data(), 1, U);
            activate<Scalar>(act, product.isa(), Eigen::Map<const RowMajorMatrix<Scalar>>(z.data(), 1, U), h_row);
        } else {
            activate<Scalar>(act, product.isa(), z, h);
        }
        if (trace) trace->activations.middleRows(p * B + b0, rows) = h;
    }
    if (!plain && io.return_sequences) {
        // The output rows of step p are one sample stride apart (batch- or time-major alike).
        Scalar* out = io.output + io.layout.row(b0, p) * U;
        const Index out_stride = io.layout.sample_stride() * U;
        if (masked) {
            copy_rows<Scalar>(ws.carry.data(), ws.carry.cols(), out, out_stride, rows, U);
        } else {
            copy_rows<Scalar>(h.data(), h.outerStride(), out, out_stride, rows, U);
        }
    }
}

/// Rows [b0, b0 + rows) of the batch through every timestep: loads h_{-1} from io.initial_state, runs the steps,
/// stores the final state, the last output and the trace's final block. `ws` must have been prepared.
template <class Scalar, class Activation, class Product>
void run_slice(const RecurrenceIO<Scalar>& io, const Activation& act, const Product& product,
               SliceWorkspace<Scalar>& ws, Index b0, Index rows) noexcept {
    const Index B = io.layout.batch, T = io.layout.timesteps, U = io.units;
    StridedRows<Scalar> h = state_rows<Scalar, Product>(io, ws, rows);
    copy_rows(io.initial_state ? io.initial_state + b0 * U : nullptr, U, h.data(), h.outerStride(), rows, U);
    if (io.trace || io.mask || io.recurrent_dropout) {
        for (Index p = 0; p < T; ++p) recurrence_step(io, act, product, ws, b0, rows, h, p);
    } else {
        for (Index p = 0; p < T; ++p) recurrence_step<StepExtras::sequence>(io, act, product, ws, b0, rows, h, p);
    }
    if (io.trace) io.trace->states.middleRows(T * B + b0, rows) = h;
    if (io.state) copy_rows<Scalar>(h.data(), h.outerStride(), io.state->data() + b0 * U, U, rows, U);
    if (!io.return_sequences) {
        Eigen::Map<RowMajorMatrix<Scalar>> out(io.output + b0 * U, rows, U);
        if (io.mask) {
            out = ws.carry;
        } else {
            out = h;
        }
    }
}

}  // namespace detail
ELMAN_NAMESPACE_END
