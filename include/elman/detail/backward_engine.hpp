// SPDX-License-Identifier: MIT
// Backpropagation through time on the packed kernels and the layer's threads: the compute side of backward().
//
// With gz_p = d loss / d z_p (z_p the pre-activation of processed step p) the gradients are
//     d h~_{p-1} = gz_p · Uᵀ,   d x~_t = gz_p · Wᵀ           (per step, in reverse: the sequential part)
//     d U = Σ_p h~_{p-1}ᵀ gz_p,  d W = Σ_p x~_tᵀ gz_p,  d b = Σ_p gz_p   (reductions over all B·T rows)
// Three phases, each split across the layer's threads:
//  1. the reverse recurrence per batch slice (samples are independent): one packed product per step,
//     gz · [Uᵀ Wᵀ], gives the state gradient and the input gradient together (the forward's [h x] · [U; W]
//     mirrored); gz of every step is stored transposed, `[U, T·B]`, the operand of phase 3, and added to its
//     sample's bias sum (d b = Σ_b Σ_p gz_p,b, summed over the samples in order once the slices are done);
//  2. (same pass) the reduction's other operand S = [h~ x~], one row per (step, sample), packed in k blocks;
//  3. [dU; dW]ᵀ = gzᵀ · S, split by rows of the result, each block summed over the k blocks in order.
// Every element is summed in an order fixed by the data's shape alone (the packed kernels' plain k order, each
// sample's steps in reverse, then the samples), so the gradients are bit-identical for any thread count.
#pragma once

#include <elman/config.hpp>
#include <elman/detail/batch_split.hpp>
#include <elman/detail/packed_gemm.hpp>
#include <elman/detail/prefetch.hpp>
#include <elman/detail/recurrence.hpp>
#include <elman/detail/resize.hpp>
#include <elman/detail/sequence_layout.hpp>
#include <elman/parameter.hpp>
#include <elman/simple_rnn_call.hpp>
#include <elman/simple_rnn_weights.hpp>
#include <elman/tensor.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cstdint>
#include <vector>

ELMAN_NAMESPACE_BEGIN
namespace detail {

/// Where backward writes (sized by the caller): weight gradients in Keras layout, the input gradient in the
/// call's input layout, the initial-state gradient `[B, U]`.
template <class Scalar>
struct BackwardOutputs {
    RowMajorMatrix<Scalar>* kernel = nullptr;            // [F, U]
    RowMajorMatrix<Scalar>* recurrent_kernel = nullptr;  // [U, U]
    RowMajorMatrix<Scalar>* bias = nullptr;              // [1, U], or null without use_bias
    Scalar* inputs = nullptr;                            // [B*T, F] in the trace's layout
    Scalar* initial_state = nullptr;                     // [B, U]
};

/// The gradients backward() starts from, row-major: d loss / d output (the Result's shape) and d loss / d final
/// state `[B, U]` (null = zero), both already including the activity regularizer's share.
template <class Scalar>
struct UpstreamGradients {
    const Scalar* output = nullptr;
    const Scalar* state = nullptr;
};

template <class Scalar>
class BackwardEngine {
  public:
    using RowMatrix = RowMajorMatrix<Scalar>;

    /// Rows of S per packed k block of the reduction: a block's panel (k_block x two vectors) stays in L1 while
    /// a row tile of the result walks it.
    static constexpr Index k_block = 256;

    /// Runs phases 1-3 for one call's trace (validated by the caller) on up to `threads` threads of `pool`.
    /// Throws std::bad_alloc only before any output is written.
    template <class Activation>
    void run(const SimpleRNNWeights<Scalar>& weights, const Activation& act, const ForwardTrace<Scalar>& trace,
             const UpstreamGradients<Scalar>& upstream, SlicePool& pool, int threads,
             const BackwardOutputs<Scalar>& out) {
        const Index B = trace.batch, T = trace.timesteps, F = trace.features, U = trace.units;
        const Index rows_total = T * B;
        const bool use_bias = out.bias != nullptr;
        const Index s_cols = U + F;
        refresh_step_weights(weights);

        // Every allocation happens here, before any thread starts: the slice bodies cannot throw.
        const Index count = slice_count(B, threads);
        slices_.resize(static_cast<std::size_t>(count));
        const bool masked = trace.step_mask.size() != 0;
        for (auto& ws : slices_) ws.prepare(B / count + 1, U, step_weights_.padded_units(), s_cols, masked, use_bias);
        // Row stride of gzᵀ: whole cache lines, and never a multiple of 4 KiB, where the reduction's row tile
        // (a dozen rows read together) would fall into one L1 set.
        constexpr Index line = 64 / static_cast<Index>(sizeof(Scalar));
        gz_stride_ = (rows_total + line - 1) / line * line;
        if (gz_stride_ * static_cast<Index>(sizeof(Scalar)) % 4096 == 0) gz_stride_ += line;
        fit(gz_transposed_, U, gz_stride_);
        const Index blocks = (rows_total + k_block - 1) / k_block;
        reduction_blocks_.resize(static_cast<std::size_t>(blocks));
        for (Index k = 0; k < blocks; ++k) {
            reduction_blocks_[static_cast<std::size_t>(k)].allocate(std::min(k_block, rows_total - k * k_block), s_cols,
                                                                    step_weights_.isa());
        }
        const Index ld_result = PackedWeights<Scalar>::padded_units_for(s_cols, step_weights_.isa());
        fit(result_transposed_, U, ld_result);

        const Context ctx{trace, upstream, out, SequenceLayout{B, T, trace.time_major}, use_bias};
        auto phases_1_2 = [&](Index c) noexcept {
            const Index b0 = slice_begin(B, count, c);
            reverse_slice(ctx, act, slices_[static_cast<std::size_t>(c)], b0, slice_begin(B, count, c + 1) - b0);
            for (Index k = c; k < blocks; k += count)
                pack_reduction_block(ctx, slices_[static_cast<std::size_t>(c)], k);
        };
        pool.run(count, phases_1_2);

        auto phase_3 = [&](Index c) noexcept {
            const Index r0 = slice_begin(U, count, c), rows = slice_begin(U, count, c + 1) - r0;
            if (rows == 0) return;
            Scalar* z = result_transposed_.data() + r0 * ld_result;
            for (Index k = 0; k < blocks; ++k) {
                const PackedWeights<Scalar>& block = reduction_blocks_[static_cast<std::size_t>(k)];
                const Scalar* a = gz_transposed_.data() + r0 * gz_stride_ + k * k_block;
                if (k == 0) {
                    packed_gemm(rows, a, gz_stride_, block, z, ld_result);  // from the zero bias
                } else {
                    packed_gemm_accumulate(rows, a, gz_stride_, block, z, ld_result);
                }
            }
        };
        pool.run(count, phase_3);

        const auto result = result_transposed_.leftCols(s_cols);
        out.recurrent_kernel->noalias() = result.leftCols(U).transpose();
        out.kernel->noalias() = result.middleCols(U, F).transpose();
        if (use_bias) {
            out.bias->setZero();
            for (Index c = 0; c < count; ++c) {
                const Index rows = slice_begin(B, count, c + 1) - slice_begin(B, count, c);
                for (Index i = 0; i < rows; ++i)
                    *out.bias += slices_[static_cast<std::size_t>(c)].bias_sums.row(i).head(U);
            }
        }
    }

  private:
    struct Context {
        const ForwardTrace<Scalar>& trace;
        const UpstreamGradients<Scalar>& upstream;
        const BackwardOutputs<Scalar>& out;
        SequenceLayout layout;
        bool use_bias;
    };

    // Buffers of one slice; rows are padded to whole packets so every row splits into the same packet and
    // scalar parts (element-wise results then do not depend on the slice, see packet_padded).
    struct SliceBuffers {
        RowMatrix gh;         // d loss / d h_p
        RowMatrix gy;         // d loss / d y_p (the output carry), masked calls only
        RowMatrix gc;         // d loss / d c_p, masked calls only
        RowMatrix gz;         // d loss / d z_p: the step product's operand
        RowMatrix product;    // gz · [Uᵀ Wᵀ]
        RowMatrix s_row;      // one row of S before packing
        RowMatrix bias_sums;  // Σ_p gz_p of each sample (with a bias)

        void prepare(Index rows, Index units, Index product_columns, Index s_cols, bool masked, bool use_bias) {
            const Index padded = packet_padded<Scalar>(units);
            fit(gh, rows, padded);
            if (masked) {  // without a mask y_p = c_p = h_p: gz comes straight from gh and the output gradient
                fit(gy, rows, padded);
                fit(gc, rows, padded);
            }
            fit(gz, rows, padded);
            fit(product, rows, product_columns);
            fit(s_row, 1, s_cols);
            if (use_bias) fit(bias_sums, rows, padded);
        }
    };

    // [Uᵀ Wᵀ] packed, repacked when any weight changed since (stamps change on every write).
    void refresh_step_weights(const SimpleRNNWeights<Scalar>& w) {
        const std::uint64_t stamps[2] = {w.kernel().stamp(), w.recurrent_kernel().stamp()};
        step_stamps_.refresh(stamps, [&] {
            const auto& W = w.kernel().value();
            const auto& Uk = w.recurrent_kernel().value();
            fit(transposed_, Uk.rows(), Uk.rows() + W.rows());
            transposed_.leftCols(Uk.rows()) = Uk.transpose();
            transposed_.rightCols(W.rows()) = W.transpose();
            step_weights_.pack(transposed_, RowMatrix(0, transposed_.cols()), RowMatrix());
        });
    }

    // Phase 1 for rows [b0, b0 + rows): the reverse recurrence, the input gradient and gzᵀ.
    template <class Activation>
    void reverse_slice(const Context& ctx, const Activation& act, SliceBuffers& ws, Index b0, Index rows) noexcept {
        using ConstRows = Eigen::Map<const RowMatrix, 0, Eigen::OuterStride<>>;
        const ForwardTrace<Scalar>& trace = ctx.trace;
        const Index B = trace.batch, T = trace.timesteps, F = trace.features, U = trace.units;
        const SequenceLayout& layout = ctx.layout;
        const bool masked = trace.step_mask.size() != 0;
        const bool input_dropout = trace.dropout_mask.size() != 0;
        const bool recurrent_dropout = trace.recurrent_dropout_mask.size() != 0;
        auto block = [rows](RowMatrix& m, Index cols) {
            return StridedRows<Scalar>(m.data(), rows, cols, Eigen::OuterStride<>(m.cols()));
        };
        auto gh = block(ws.gh, U), gy = block(ws.gy, U), gc = block(ws.gc, U), gz = block(ws.gz, U);
        auto product = block(ws.product, U + F);
        auto bias_sums = block(ws.bias_sums, U);
        if (ctx.use_bias) bias_sums.setZero();
        // d loss / d h_p, read in place: the upstream state gradient, then (without a mask, where every step
        // passes it on whole) the left columns of the previous product; with a mask, the gh buffer.
        const Scalar* gh_at = ws.gh.data();
        Index gh_stride = ws.gh.cols();
        if (ctx.upstream.state && !masked) {
            gh_at = ctx.upstream.state + b0 * U;
            gh_stride = U;
        } else if (ctx.upstream.state) {
            gh = Eigen::Map<const RowMatrix>(ctx.upstream.state + b0 * U, rows, U);
        } else {
            gh.setZero();
        }
        if (masked) gy.setZero();
        // d loss / d y_p from the caller, or null where the step's output was not returned.
        const Scalar* g_out = ctx.upstream.output;
        const Index g_out_stride = trace.return_sequences ? layout.sample_stride() * U : U;
        auto output_gradient = [&](Index p) -> const Scalar* {
            if (trace.return_sequences) return g_out + layout.row(b0, p) * U;
            return p == T - 1 ? g_out + b0 * U : nullptr;
        };
        for (Index p = T - 1; p >= 0; --p) {
            const Index t = trace.go_backwards ? T - 1 - p : p;
            const auto z = trace.preactivations.middleRows(p * B + b0, rows).array();
            const auto c = trace.activations.middleRows(p * B + b0, rows).array();
            const Scalar* g_step = output_gradient(p);
            if (trace.return_sequences && p > 0) prefetch_rows(output_gradient(p - 1), rows, U, g_out_stride);
            if (!masked) {
                // y_p = c_p = h_p, so gc = gy + gh in one pass with the activation's derivative.
                const ConstRows gh_in(gh_at, rows, U, Eigen::OuterStride<>(gh_stride));
                if (g_step) {
                    act.backward(z, c,
                                 ConstRows(g_step, rows, U, Eigen::OuterStride<>(g_out_stride)).array() + gh_in.array(),
                                 gz.array());
                } else {
                    act.backward(z, c, gh_in.array(), gz.array());
                }
            } else {
                if (g_step) gy += ConstRows(g_step, rows, U, Eigen::OuterStride<>(g_out_stride));
                gc = gy + gh;
                for (Index i = 0; i < rows; ++i)
                    if (!trace.step_mask(p, b0 + i)) gc.row(i).setZero();
                act.backward(z, c, gc.array(), gz.array());
                // tf.where's gradient: exact zeros for the discarded branch, even where act' is not finite.
                for (Index i = 0; i < rows; ++i)
                    if (!trace.step_mask(p, b0 + i)) gz.row(i).setZero();
            }
            transpose_into(gz.data(), gz.outerStride(), rows, U, gz_transposed_.data() + p * B + b0, gz_stride_);
            if (ctx.use_bias) bias_sums += gz;

            // [d h~_{p-1}  d x~_t] = gz · [Uᵀ Wᵀ]
            if (B == 1) {
                packed_gemv(ws.gz.data(), step_weights_, ws.product.data());
            } else {
                packed_gemm(rows, ws.gz.data(), ws.gz.cols(), step_weights_, ws.product.data(), ws.product.cols());
            }
            for (Index i = 0; i < rows; ++i) {
                Scalar* gx = ctx.out.inputs + layout.row(b0 + i, t) * F;
                const Scalar* from = product.data() + i * product.outerStride() + U;
                if (input_dropout) {
                    const Scalar* keep = trace.dropout_mask.data() + (b0 + i) * F;
                    for (Index f = 0; f < F; ++f) gx[f] = from[f] * keep[f];
                } else {
                    std::copy_n(from, F, gx);
                }
            }
            auto gh_prev = product.leftCols(U);
            if (recurrent_dropout) gh_prev.array() *= trace.recurrent_dropout_mask.middleRows(b0, rows).array();

            if (!masked) {
                gh_at = ws.product.data();
                gh_stride = ws.product.cols();
                continue;
            }
            for (Index i = 0; i < rows; ++i) {
                if (trace.step_mask(p, b0 + i)) {
                    gh.row(i) = gh_prev.row(i);
                    gy.row(i).setZero();  // y_p = c_p did not depend on y_{p-1}
                } else if (trace.zero_output_for_mask) {
                    gy.row(i).setZero();  // the masked output was the constant 0
                }
                // else: masked, h_p = h_{p-1} and y_p = y_{p-1}: gradients pass through unchanged.
            }
        }
        // The gy left here reaches the constant-zero output carry y_{-1}: dropped.
        // With a mask gh_at never leaves the gh buffer, so it is the state gradient on both paths.
        Eigen::Map<RowMatrix>(ctx.out.initial_state + b0 * U, rows, U) =
            ConstRows(gh_at, rows, U, Eigen::OuterStride<>(gh_stride));
    }

    // dst[j · ld_dst + i] = src[i · ld_src + j] in square tiles, so the source lines a tile reads stay in L1
    // while it is written column by column (a plain column walk misses L1 once a slice's gz exceeds it).
    static void transpose_into(const Scalar* src, Index ld_src, Index rows, Index cols, Scalar* dst,
                               Index ld_dst) noexcept {
        constexpr Index tile = 16;
        for (Index i0 = 0; i0 < rows; i0 += tile) {
            const Index i1 = std::min(rows, i0 + tile);
            for (Index j0 = 0; j0 < cols; j0 += tile) {
                const Index j1 = std::min(cols, j0 + tile);
                for (Index j = j0; j < j1; ++j)
                    for (Index i = i0; i < i1; ++i) dst[j * ld_dst + i] = src[i * ld_src + j];
            }
        }
    }

    // Phase 2: rows [k·k_block, ...) of S = [h~ x~] (row p·B + b: the state entering step p times the
    // recurrent-dropout mask and the input of that step after dropout), packed row by row.
    void pack_reduction_block(const Context& ctx, SliceBuffers& ws, Index k) noexcept {
        const ForwardTrace<Scalar>& trace = ctx.trace;
        const Index B = trace.batch, T = trace.timesteps, F = trace.features, U = trace.units;
        const bool recurrent_dropout = trace.recurrent_dropout_mask.size() != 0;
        const Index first = k * k_block, n = std::min(k_block, T * B - first);
        PackedWeights<Scalar>& packed = reduction_blocks_[static_cast<std::size_t>(k)];
        packed.reset_rows(n, ws.s_row.cols(), step_weights_.isa());
        for (Index r = 0; r < n; ++r) {
            const Index row = first + r, p = row / B, b = row % B;
            const Index t = trace.go_backwards ? T - 1 - p : p;
            auto s = ws.s_row.row(0);
            if (recurrent_dropout) {
                s.head(U) = trace.states.row(row).cwiseProduct(trace.recurrent_dropout_mask.row(b));
            } else {
                s.head(U) = trace.states.row(row);
            }
            s.segment(U, F) = trace.inputs.row(ctx.layout.row(b, t));
            packed.set_row(r, ws.s_row.data());
        }
    }

    std::vector<SliceBuffers> slices_;
    RowMatrix transposed_;  // [Uᵀ Wᵀ] before packing
    PackedWeights<Scalar> step_weights_;
    DerivedStamps<2> step_stamps_;
    RowMatrix gz_transposed_;  // [U, gz_stride_ >= T·B]: gz of every step, column p·B + b
    Index gz_stride_ = 0;
    RowMatrix result_transposed_;  // [U, padded(U + F)]: [dU; dW]ᵀ
    std::vector<PackedWeights<Scalar>> reduction_blocks_;
};

}  // namespace detail
ELMAN_NAMESPACE_END
