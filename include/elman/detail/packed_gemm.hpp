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
        using PanelMap = Eigen::Map<Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;
        units_ = top.rows() > 0 ? top.cols() : bottom.cols();
        depth_ = top.rows() + bottom.rows();
        panels_ = (units_ + nr - 1) / nr;
        packed_.resize(panels_ * depth_ * nr);  // no-op when the shapes did not change (every call repacks)
        bias_.resize(panels_ * nr);
        for (Index p = 0; p < panels_; ++p) {
            const Index cols = std::min<Index>(nr, units_ - p * nr);
            PanelMap dst(packed_.data() + p * depth_ * nr, depth_, nr);
            dst.topLeftCorner(top.rows(), cols) = top.middleCols(p * nr, cols);
            dst.bottomLeftCorner(bottom.rows(), cols) = bottom.middleCols(p * nr, cols);
            dst.rightCols(nr - cols).setZero();  // padding columns: exact zeros, never garbage
        }
        bias_.setZero();
        for (Index j = 0; j < bias.size(); ++j) bias_[j] = bias(j);
    }

  private:
    Index depth_ = 0, units_ = 0, panels_ = 0;
    // Eigen's aligned storage: panels start on packet boundaries, so the kernel uses aligned loads.
    Eigen::Matrix<Scalar, Eigen::Dynamic, 1> packed_, bias_;
};

// One MR x (NP * NR) register tile over NP adjacent panels:
// z[i, 0..NP*NR) = bias + sum_k a[i, k] * panels[k, ...] for i < MR.
// Few rows give few independent FMA chains (2 per row and panel); more panels per tile keep enough chains in
// flight to hide the FMA latency without changing any element's summation order.
template <class Scalar, int MR, int NP, int Depth, std::size_t... I>
EIGEN_ALWAYS_INLINE void packed_tile(const Scalar* a, Index lda, const PackedWeights<Scalar>& w, Index p0, Scalar* z,
                                     Index ldz, std::index_sequence<I...>) noexcept {
    using namespace Eigen::internal;
    using Packet = typename PackedGemmTraits<Scalar>::Packet;
    constexpr int P = PackedGemmTraits<Scalar>::packet_size;
    constexpr int NR = PackedGemmTraits<Scalar>::nr;
    const Index depth = Depth == Eigen::Dynamic ? w.depth() : Index(Depth);
    const Scalar* panel[NP];
    Packet acc0[NP][MR], acc1[NP][MR];
    for (int q = 0; q < NP; ++q) {
        panel[q] = w.panel(p0 + q);
        const Scalar* bias = w.bias() + (p0 + q) * NR;
        ((acc0[q][I] = pload<Packet>(bias)), ...);
        ((acc1[q][I] = pload<Packet>(bias + P)), ...);
    }
    for (Index k = 0; k < depth; ++k) {
        if constexpr (NP == 1) {
            // Tall tile: broadcast each row's value as it is used (no registers left to hold MR broadcasts).
            const Packet w0 = pload<Packet>(panel[0] + k * NR), w1 = pload<Packet>(panel[0] + k * NR + P);
            ((acc0[0][I] = pmadd(pset1<Packet>(a[static_cast<Index>(I) * lda + k]), w0, acc0[0][I]),
              acc1[0][I] = pmadd(pset1<Packet>(a[static_cast<Index>(I) * lda + k]), w1, acc1[0][I])),
             ...);
        } else {
            Packet av[MR];
            ((av[I] = pset1<Packet>(a[static_cast<Index>(I) * lda + k])), ...);
            for (int q = 0; q < NP; ++q) {
                const Packet w0 = pload<Packet>(panel[q] + k * NR), w1 = pload<Packet>(panel[q] + k * NR + P);
                // Straight-line code over the rows (fold expression): the accumulators stay in registers.
                ((acc0[q][I] = pmadd(av[I], w0, acc0[q][I]), acc1[q][I] = pmadd(av[I], w1, acc1[q][I])), ...);
            }
        }
    }
    for (int q = 0; q < NP; ++q) {
        Scalar* zq = z + q * NR;
        ((pstoreu(zq + static_cast<Index>(I) * ldz, acc0[q][I]),
          pstoreu(zq + static_cast<Index>(I) * ldz + P, acc1[q][I])),
         ...);
    }
}

// MR rows across every panel: groups of NP panels, then single panels for the rest.
template <class Scalar, int MR, int Depth>
EIGEN_ALWAYS_INLINE void packed_rows(const Scalar* a, Index lda, const PackedWeights<Scalar>& w, Scalar* z,
                                     Index ldz) noexcept {
    constexpr int NR = PackedWeights<Scalar>::nr;
    constexpr int NP = MR == 1 ? 4 : MR <= 3 ? 2 : 1;
    Index p = 0;
    for (; p + NP <= w.panels(); p += NP)
        packed_tile<Scalar, MR, NP, Depth>(a, lda, w, p, z + p * NR, ldz, std::make_index_sequence<MR>{});
    if constexpr (NP > 2) {
        for (; p + 2 <= w.panels(); p += 2)
            packed_tile<Scalar, MR, 2, Depth>(a, lda, w, p, z + p * NR, ldz, std::make_index_sequence<MR>{});
    }
    for (; p < w.panels(); ++p)
        packed_tile<Scalar, MR, 1, Depth>(a, lda, w, p, z + p * NR, ldz, std::make_index_sequence<MR>{});
}

// The leftover rows (fewer than MR) dispatch to a tile of exactly that height.
template <class Scalar, int R, int Depth>
void packed_remainder(Index rows, const Scalar* a, Index lda, const PackedWeights<Scalar>& w, Scalar* z,
                      Index ldz) noexcept {
    if constexpr (R > 0) {
        if (rows == R) {
            packed_rows<Scalar, R, Depth>(a, lda, w, z, ldz);
        } else {
            packed_remainder<Scalar, R - 1, Depth>(rows, a, lda, w, z, ldz);
        }
    } else {
        (void)rows, (void)a, (void)lda, (void)w, (void)z, (void)ldz;
    }
}

/// Z[rows, padded_units] (row stride ldz >= padded_units) = bias + A[rows, depth] (row stride lda) · W.
/// Columns U..padded_units of Z receive exact zeros (bias and weight padding are 0). `Depth` fixes w.depth() at
/// compile time (unrolled k loops); Eigen::Dynamic reads it from `w`.
template <class Scalar, int Depth = Eigen::Dynamic>
void packed_gemm(Index rows, const Scalar* a, Index lda, const PackedWeights<Scalar>& w, Scalar* z,
                 Index ldz) noexcept {
    constexpr int MR = PackedGemmTraits<Scalar>::mr;
    Index i = 0;
    for (; i + MR <= rows; i += MR) packed_rows<Scalar, MR, Depth>(a + i * lda, lda, w, z + i * ldz, ldz);
    packed_remainder<Scalar, MR - 1, Depth>(rows - i, a + i * lda, lda, w, z + i * ldz, ldz);
}

// One row across NP adjacent panels with k split S ways (k = s mod S goes to partial sum s): 2 * NP * S
// independent FMA chains, then the partial sums are added in order s = 0..S-1 and the bias last.
template <class Scalar, int NP, int S, int Depth>
EIGEN_ALWAYS_INLINE void packed_row_split(const Scalar* a, const PackedWeights<Scalar>& w, Index p0,
                                          Scalar* z) noexcept {
    using namespace Eigen::internal;
    using Packet = typename PackedGemmTraits<Scalar>::Packet;
    constexpr int P = PackedGemmTraits<Scalar>::packet_size;
    constexpr int NR = PackedGemmTraits<Scalar>::nr;
    const Index depth = Depth == Eigen::Dynamic ? w.depth() : Index(Depth);
    const Index k_main = depth / S * S;
    const Scalar* panel[NP];
    Packet acc[S][NP][2];
    for (int q = 0; q < NP; ++q) panel[q] = w.panel(p0 + q);
    for (int s = 0; s < S; ++s)
        for (int q = 0; q < NP; ++q) acc[s][q][0] = acc[s][q][1] = pset1<Packet>(Scalar(0));
    for (Index k = 0; k < k_main; k += S) {
        for (int s = 0; s < S; ++s) {
            const Packet av = pset1<Packet>(a[k + s]);
            for (int q = 0; q < NP; ++q) {
                acc[s][q][0] = pmadd(av, pload<Packet>(panel[q] + (k + s) * NR), acc[s][q][0]);
                acc[s][q][1] = pmadd(av, pload<Packet>(panel[q] + (k + s) * NR + P), acc[s][q][1]);
            }
        }
    }
    for (Index k = k_main; k < depth; ++k) {
        const Packet av = pset1<Packet>(a[k]);
        for (int q = 0; q < NP; ++q) {
            acc[0][q][0] = pmadd(av, pload<Packet>(panel[q] + k * NR), acc[0][q][0]);
            acc[0][q][1] = pmadd(av, pload<Packet>(panel[q] + k * NR + P), acc[0][q][1]);
        }
    }
    for (int q = 0; q < NP; ++q) {
        for (int s = 1; s < S; ++s) {
            acc[0][q][0] = padd(acc[0][q][0], acc[s][q][0]);
            acc[0][q][1] = padd(acc[0][q][1], acc[s][q][1]);
        }
        const Scalar* bias = w.bias() + (p0 + q) * NR;
        pstoreu(z + q * NR, padd(pload<Packet>(bias), acc[0][q][0]));
        pstoreu(z + q * NR + P, padd(pload<Packet>(bias + P), acc[0][q][1]));
    }
}

/// z[0, padded_units) = bias + a[0, depth) · W for a single row, latency-oriented: a batch of one sample has
/// too few rows to fill the FMA units with plain-k-order chains (2 per panel), so k is split into partial sums
/// (8 chains per group of panels). The summation order differs from packed_gemm's, so use it only where no
/// other row count can occur for the same data (a call whose whole batch is one sample, the streaming step of one
/// sample). `Depth` as for packed_gemm.
template <class Scalar, int Depth = Eigen::Dynamic>
void packed_gemv(const Scalar* a, const PackedWeights<Scalar>& w, Scalar* z) noexcept {
    constexpr int NR = PackedGemmTraits<Scalar>::nr;
    Index p = 0;
    for (; p + 2 <= w.panels(); p += 2) packed_row_split<Scalar, 2, 2, Depth>(a, w, p, z + p * NR);
    if (p < w.panels()) packed_row_split<Scalar, 1, 4, Depth>(a, w, p, z + p * NR);
}

}  // namespace detail
ELMAN_NAMESPACE_END
