// SPDX-License-Identifier: MIT
// The recurrence's matrix product with weights packed once: Z = bias + A · W for a few rows of A.
//
// Why not Eigen's GEMM: every Eigen product re-packs its weight operand, and a recurrence multiplies by the same
// [K, U] weights at every timestep. For small batches (B = 1..16) that re-packing costs as much as the arithmetic.
// Here the weights are packed once (at prepare time) into column panels of NR = 2 SIMD packets:
//
//     panel p = W[:, p*NR .. p*NR+NR)  stored k-major:  Wp[p][k][0..NR)    (last panel zero-padded)
//
// and a register-blocked micro-kernel keeps an MR x NR tile of Z in registers while it walks k, broadcasting one
// A value per row and loading one panel row per k. The bias is the accumulators' starting value (fused bias).
// Each Z element is summed in plain k order (bias first), whatever the batch size, the row block or the thread:
// results are bit-identical for any batch split.
#pragma once

#include <elman/config.hpp>

#include <Eigen/Core>

#include <cstddef>
#include <utility>

ELMAN_NAMESPACE_BEGIN
namespace detail {

template <class Scalar>
struct PackedGemmTraits {
    using Packet = typename Eigen::internal::packet_traits<Scalar>::type;
    static constexpr int packet_size = Eigen::internal::packet_traits<Scalar>::size;
    /// Columns per panel: two packets, so each broadcast A value feeds two independent FMAs.
    static constexpr int nr = 2 * packet_size;
    /// Rows per register tile: 2*MR accumulators + 2 weight packets + 1 broadcast must fit the register file
    /// (32 vector registers with AVX-512, 16 with SSE/AVX).
    static constexpr int mr = EIGEN_ARCH_DEFAULT_NUMBER_OF_REGISTERS >= 32 ? 12 : 6;
};

/// Weights `W [K, U]` packed into zero-padded panels plus the bias padded to the panel width.
template <class Scalar>
class PackedWeights {
  public:
    using Traits = PackedGemmTraits<Scalar>;
    static constexpr int nr = Traits::nr;

    Index depth() const noexcept { return depth_; }
    Index units() const noexcept { return units_; }
    Index panels() const noexcept { return panels_; }
    /// Row stride of a Z buffer this product writes: U rounded up to whole panels.
    Index padded_units() const noexcept { return panels_ * nr; }
    const Scalar* panel(Index p) const noexcept { return packed_.data() + p * depth_ * nr; }
    const Scalar* bias() const noexcept { return bias_.data(); }

    /// Packs the stacked weights: rows [0, top.rows()) from `top`, the next rows from `bottom` (either may have
    /// zero rows), so `[x h] · [W; U]` is one product. `bias` has U entries or is empty (no bias).
    template <class Top, class Bottom, class Bias>
    void pack(const Eigen::MatrixBase<Top>& top, const Eigen::MatrixBase<Bottom>& bottom,
              const Eigen::MatrixBase<Bias>& bias) {
        units_ = top.rows() > 0 ? top.cols() : bottom.cols();
        depth_ = top.rows() + bottom.rows();
        panels_ = (units_ + nr - 1) / nr;
        packed_.setZero(panels_ * depth_ * nr);
        bias_.setZero(panels_ * nr);
        for (Index p = 0; p < panels_; ++p) {
            const Index cols = std::min<Index>(nr, units_ - p * nr);
            Scalar* dst = packed_.data() + p * depth_ * nr;
            for (Index k = 0; k < depth_; ++k)
                for (Index j = 0; j < cols; ++j)
                    dst[k * nr + j] = k < top.rows() ? top(k, p * nr + j) : bottom(k - top.rows(), p * nr + j);
        }
        for (Index j = 0; j < bias.size(); ++j) bias_[j] = bias(j);
    }

  private:
    Index depth_ = 0, units_ = 0, panels_ = 0;
    // Eigen's aligned storage: panels start on packet boundaries, so the kernel uses aligned loads.
    Eigen::Matrix<Scalar, Eigen::Dynamic, 1> packed_, bias_;
};

// One MR x NR register tile: z[i, 0..NR) = bias + sum_k a[i, k] * panel[k, 0..NR) for i < MR.
template <class Scalar, int MR, std::size_t... I>
EIGEN_ALWAYS_INLINE void packed_tile(const Scalar* a, Index lda, const Scalar* panel, const Scalar* bias, Index depth,
                                     Scalar* z, Index ldz, std::index_sequence<I...>) noexcept {
    using namespace Eigen::internal;
    using Packet = typename PackedGemmTraits<Scalar>::Packet;
    constexpr int P = PackedGemmTraits<Scalar>::packet_size;
    constexpr int NR = PackedGemmTraits<Scalar>::nr;
    const Packet b0 = pload<Packet>(bias), b1 = pload<Packet>(bias + P);
    Packet acc0[MR] = {((void)I, b0)...};
    Packet acc1[MR] = {((void)I, b1)...};
    for (Index k = 0; k < depth; ++k) {
        const Packet w0 = pload<Packet>(panel + k * NR), w1 = pload<Packet>(panel + k * NR + P);
        // Straight-line code over the rows (fold expression): the accumulators stay in registers.
        ((acc0[I] = pmadd(pset1<Packet>(a[static_cast<Index>(I) * lda + k]), w0, acc0[I]),
          acc1[I] = pmadd(pset1<Packet>(a[static_cast<Index>(I) * lda + k]), w1, acc1[I])),
         ...);
    }
    ((pstoreu(z + static_cast<Index>(I) * ldz, acc0[I]), pstoreu(z + static_cast<Index>(I) * ldz + P, acc1[I])), ...);
}

template <class Scalar, int MR>
EIGEN_ALWAYS_INLINE void packed_rows(const Scalar* a, Index lda, const PackedWeights<Scalar>& w, Scalar* z,
                                     Index ldz) noexcept {
    for (Index p = 0; p < w.panels(); ++p) {
        packed_tile<Scalar, MR>(a, lda, w.panel(p), w.bias() + p * PackedWeights<Scalar>::nr, w.depth(),
                                z + p * PackedWeights<Scalar>::nr, ldz, std::make_index_sequence<MR>{});
    }
}

// The leftover rows (fewer than MR) dispatch to a tile of exactly that height.
template <class Scalar, int R>
void packed_remainder(Index rows, const Scalar* a, Index lda, const PackedWeights<Scalar>& w, Scalar* z,
                      Index ldz) noexcept {
    if constexpr (R > 0) {
        if (rows == R) {
            packed_rows<Scalar, R>(a, lda, w, z, ldz);
        } else {
            packed_remainder<Scalar, R - 1>(rows, a, lda, w, z, ldz);
        }
    } else {
        (void)rows, (void)a, (void)lda, (void)w, (void)z, (void)ldz;
    }
}

/// Z[rows, padded_units] (row stride ldz >= padded_units) = bias + A[rows, depth] (row stride lda) · W.
/// Columns U..padded_units of Z receive zeros-padded garbage-free values (bias padding 0, weights padding 0).
template <class Scalar>
void packed_gemm(Index rows, const Scalar* a, Index lda, const PackedWeights<Scalar>& w, Scalar* z,
                 Index ldz) noexcept {
    constexpr int MR = PackedGemmTraits<Scalar>::mr;
    Index i = 0;
    for (; i + MR <= rows; i += MR) packed_rows<Scalar, MR>(a + i * lda, lda, w, z + i * ldz, ldz);
    packed_remainder<Scalar, MR - 1>(rows - i, a + i * lda, lda, w, z + i * ldz, ldz);
}

}  // namespace detail
ELMAN_NAMESPACE_END
