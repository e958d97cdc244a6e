// SPDX-License-Identifier: MIT
// The recurrence's matrix product with weights packed once: Z = bias + A · W for a few rows of A.
//
// Why not Eigen's GEMM: every Eigen product re-packs its weight operand, and a recurrence multiplies by the same
// [K, U] weights at every timestep. For small batches (B = 1..16) that re-packing costs as much as the arithmetic.
// Here the weights are packed once (at prepare time) into column panels of NR = 2 SIMD vectors:
//
//     panel p = W[:, p*NR .. p*NR+NR)  stored k-major:  Wp[p][k][0..NR)    (last panel zero-padded)
//
// and a register-blocked micro-kernel keeps an MR x NR tile of Z in registers while it walks k, broadcasting one
// A value per row and loading one panel row per k. The bias is the accumulators' starting value (fused bias).
// Each Z element is summed in plain k order (bias first), whatever the batch size, the row block or the thread:
// results are bit-identical for any batch split.
//
// The kernels (detail/simd_kernels.inc) exist once per instruction set (elman/isa.hpp): Eigen's packets for the
// translation unit's own flags, and on x86-64 AVX2+FMA and AVX-512F versions compiled with `target` pragmas. The
// weights are packed for one of them (its vector width sets NR), chosen when they are packed and stored with
// them; packed_gemm / packed_gemv run that kernel. Paths with FMA give bit-identical products (same operations
// in the same order); Eigen's SSE2 packets multiply and add separately, so they differ within float rounding.
#pragma once

#include <elman/config.hpp>
#include <elman/exceptions.hpp>
#include <elman/isa.hpp>

#include <Eigen/Core>

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>  // sysconf: the L2 size
#endif

#include <algorithm>
#include <cstddef>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#if ELMAN_DETAIL_X86_KERNELS
#include <immintrin.h>
#endif

ELMAN_NAMESPACE_BEGIN
namespace detail {

/// What a kernel reads of a PackedWeights: panels and bias (64-byte aligned), sizes, and how many adjacent panels
/// a product with several row tiles takes at a time (a block that fits in half the L2 cache).
template <class Scalar>
struct PackedView {
    const Scalar* panels;
    const Scalar* bias;
    Index depth, panel_count;
    Index block_panels;
};

/// The L2 cache of the CPU this runs on, in bytes (glibc's sysconf, read once; 1 MiB where it says nothing, the
/// smallest L2 of the x86-64 server cores this library is measured on).
inline std::size_t l2_cache_bytes() noexcept {
    static const std::size_t bytes = [] {
        long l2 = 0;
#if defined(_SC_LEVEL2_CACHE_SIZE)
        l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
#endif
        return l2 >= (64L << 10) ? static_cast<std::size_t>(l2) : std::size_t(1) << 20;
    }();
    return bytes;
}

/// Panels per block for weights of `depth` rows and panels of `nr` columns: as many as fit in half of L2.
template <class Scalar>
Index panels_per_l2_block(Index depth, Index nr) noexcept {
    const std::size_t panel_bytes = static_cast<std::size_t>(std::max<Index>(depth, 1) * nr) * sizeof(Scalar);
    return std::max<Index>(1, static_cast<Index>(l2_cache_bytes() / 2 / panel_bytes));
}

// ---- generic: Eigen's packets for this translation unit's flags ------------------------------------------------
namespace generic_kernels {
template <class Scalar>
struct Ops {
    using V = typename Eigen::internal::packet_traits<Scalar>::type;
    static constexpr int size = Eigen::internal::packet_traits<Scalar>::size;
    static constexpr int registers = EIGEN_ARCH_DEFAULT_NUMBER_OF_REGISTERS;
    static EIGEN_ALWAYS_INLINE V load(const Scalar* p) noexcept { return Eigen::internal::pload<V>(p); }
    static EIGEN_ALWAYS_INLINE V loadu(const Scalar* p) noexcept { return Eigen::internal::ploadu<V>(p); }
    static EIGEN_ALWAYS_INLINE void storeu(Scalar* p, V v) noexcept { Eigen::internal::pstoreu(p, v); }
    static EIGEN_ALWAYS_INLINE V set1(Scalar s) noexcept { return Eigen::internal::pset1<V>(s); }
    static EIGEN_ALWAYS_INLINE V zero() noexcept { return Eigen::internal::pset1<V>(Scalar(0)); }
    static EIGEN_ALWAYS_INLINE V add(V a, V b) noexcept { return Eigen::internal::padd(a, b); }
    static EIGEN_ALWAYS_INLINE V fmadd(V a, V b, V c) noexcept { return Eigen::internal::pmadd(a, b, c); }
};
// The float activation kernel is not instantiated on this path: the generic path keeps Eigen's own tanh.
#include <elman/detail/simd_kernels.inc>
}  // namespace generic_kernels

#if ELMAN_DETAIL_X86_KERNELS
// ---- AVX2 + FMA ---------------------------------------------------------------------------------------------
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif
namespace avx2_kernels {
template <class Scalar>
struct Ops;
template <>
struct Ops<float> {
    using V = __m256;
    static constexpr int size = 8, registers = 16;
    static EIGEN_ALWAYS_INLINE V load(const float* p) noexcept { return _mm256_load_ps(p); }
    static EIGEN_ALWAYS_INLINE V loadu(const float* p) noexcept { return _mm256_loadu_ps(p); }
    static EIGEN_ALWAYS_INLINE void storeu(float* p, V v) noexcept { _mm256_storeu_ps(p, v); }
    static EIGEN_ALWAYS_INLINE V set1(float s) noexcept { return _mm256_set1_ps(s); }
    static EIGEN_ALWAYS_INLINE V zero() noexcept { return _mm256_setzero_ps(); }
    static EIGEN_ALWAYS_INLINE V add(V a, V b) noexcept { return _mm256_add_ps(a, b); }
    static EIGEN_ALWAYS_INLINE V mul(V a, V b) noexcept { return _mm256_mul_ps(a, b); }
    static EIGEN_ALWAYS_INLINE V div(V a, V b) noexcept { return _mm256_div_ps(a, b); }
    static EIGEN_ALWAYS_INLINE V fmadd(V a, V b, V c) noexcept { return _mm256_fmadd_ps(a, b, c); }
    // Operands swapped as in Eigen's pmin / pmax: the result is `a` when either is NaN.
    static EIGEN_ALWAYS_INLINE V min(V a, V b) noexcept { return _mm256_min_ps(b, a); }
    static EIGEN_ALWAYS_INLINE V max(V a, V b) noexcept { return _mm256_max_ps(b, a); }
    static EIGEN_ALWAYS_INLINE V abs(V a) noexcept { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
    static EIGEN_ALWAYS_INLINE V select_lt(V a, V b, V yes, V no) noexcept {
        return _mm256_blendv_ps(no, yes, _mm256_cmp_ps(a, b, _CMP_LT_OQ));
    }
    static EIGEN_ALWAYS_INLINE __m256i first(int n) noexcept {
        return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    }
    static EIGEN_ALWAYS_INLINE V load_partial(const float* p, int n) noexcept {
        return _mm256_maskload_ps(p, first(n));
    }
    static EIGEN_ALWAYS_INLINE void store_partial(float* p, int n, V v) noexcept {
        _mm256_maskstore_ps(p, first(n), v);
    }
};
template <>
struct Ops<double> {
    using V = __m256d;
    static constexpr int size = 4, registers = 16;
    static EIGEN_ALWAYS_INLINE V load(const double* p) noexcept { return _mm256_load_pd(p); }
    static EIGEN_ALWAYS_INLINE V loadu(const double* p) noexcept { return _mm256_loadu_pd(p); }
    static EIGEN_ALWAYS_INLINE void storeu(double* p, V v) noexcept { _mm256_storeu_pd(p, v); }
    static EIGEN_ALWAYS_INLINE V set1(double s) noexcept { return _mm256_set1_pd(s); }
    static EIGEN_ALWAYS_INLINE V zero() noexcept { return _mm256_setzero_pd(); }
    static EIGEN_ALWAYS_INLINE V add(V a, V b) noexcept { return _mm256_add_pd(a, b); }
    static EIGEN_ALWAYS_INLINE V fmadd(V a, V b, V c) noexcept { return _mm256_fmadd_pd(a, b, c); }
};
#include <elman/detail/simd_kernels.inc>
}  // namespace avx2_kernels
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

// ---- AVX-512F -----------------------------------------------------------------------------------------------
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx2,fma")
#endif
namespace avx512_kernels {
template <class Scalar>
struct Ops;
template <>
struct Ops<float> {
    using V = __m512;
    static constexpr int size = 16, registers = 32;
    static EIGEN_ALWAYS_INLINE V load(const float* p) noexcept { return _mm512_load_ps(p); }
    static EIGEN_ALWAYS_INLINE V loadu(const float* p) noexcept { return _mm512_loadu_ps(p); }
    static EIGEN_ALWAYS_INLINE void storeu(float* p, V v) noexcept { _mm512_storeu_ps(p, v); }
    static EIGEN_ALWAYS_INLINE V set1(float s) noexcept { return _mm512_set1_ps(s); }
    static EIGEN_ALWAYS_INLINE V zero() noexcept { return _mm512_setzero_ps(); }
    static EIGEN_ALWAYS_INLINE V add(V a, V b) noexcept { return _mm512_add_ps(a, b); }
    static EIGEN_ALWAYS_INLINE V mul(V a, V b) noexcept { return _mm512_mul_ps(a, b); }
    static EIGEN_ALWAYS_INLINE V div(V a, V b) noexcept { return _mm512_div_ps(a, b); }
    static EIGEN_ALWAYS_INLINE V fmadd(V a, V b, V c) noexcept { return _mm512_fmadd_ps(a, b, c); }
    // Operands swapped as in Eigen's pmin / pmax: the result is `a` when either is NaN. The zero-masked forms
    // with a full mask are the same instruction; the plain ones pass _mm512_undefined_ps(), which g++ 12 reports
    // as maybe-uninitialized once inlined.
    static EIGEN_ALWAYS_INLINE V min(V a, V b) noexcept { return _mm512_maskz_min_ps(0xffff, b, a); }
    static EIGEN_ALWAYS_INLINE V max(V a, V b) noexcept { return _mm512_maskz_max_ps(0xffff, b, a); }
    static EIGEN_ALWAYS_INLINE V abs(V a) noexcept { return _mm512_abs_ps(a); }
    static EIGEN_ALWAYS_INLINE V select_lt(V a, V b, V yes, V no) noexcept {
        return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_LT_OQ), no, yes);
    }
    static EIGEN_ALWAYS_INLINE __mmask16 first(int n) noexcept {
        return static_cast<__mmask16>((1u << static_cast<unsigned>(n)) - 1u);
    }
    static EIGEN_ALWAYS_INLINE V load_partial(const float* p, int n) noexcept {
        return _mm512_maskz_loadu_ps(first(n), p);
    }
    static EIGEN_ALWAYS_INLINE void store_partial(float* p, int n, V v) noexcept {
        _mm512_mask_storeu_ps(p, first(n), v);
    }
};
template <>
struct Ops<double> {
    using V = __m512d;
    static constexpr int size = 8, registers = 32;
    static EIGEN_ALWAYS_INLINE V load(const double* p) noexcept { return _mm512_load_pd(p); }
    static EIGEN_ALWAYS_INLINE V loadu(const double* p) noexcept { return _mm512_loadu_pd(p); }
    static EIGEN_ALWAYS_INLINE void storeu(double* p, V v) noexcept { _mm512_storeu_pd(p, v); }
    static EIGEN_ALWAYS_INLINE V set1(double s) noexcept { return _mm512_set1_pd(s); }
    static EIGEN_ALWAYS_INLINE V zero() noexcept { return _mm512_setzero_pd(); }
    static EIGEN_ALWAYS_INLINE V add(V a, V b) noexcept { return _mm512_add_pd(a, b); }
    static EIGEN_ALWAYS_INLINE V fmadd(V a, V b, V c) noexcept { return _mm512_fmadd_pd(a, b, c); }
};
#include <elman/detail/simd_kernels.inc>
}  // namespace avx512_kernels
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#endif  // ELMAN_DETAIL_X86_KERNELS

/// Columns per panel of weights packed for `isa`: two of its vectors.
template <class Scalar>
constexpr Index panel_width(Isa isa) noexcept {
    switch (isa) {
#if ELMAN_DETAIL_X86_KERNELS
        case Isa::avx2:
            return avx2_kernels::Tile<Scalar>::nr;
        case Isa::avx512:
            return avx512_kernels::Tile<Scalar>::nr;
#else
        case Isa::avx2:
        case Isa::avx512:
#endif
        case Isa::generic:
            break;
    }
    return generic_kernels::Tile<Scalar>::nr;
}

/// Rows of the throughput kernel's register tile for `isa` (what the tests must cover: 1 .. 2*MR+1 rows).
template <class Scalar>
constexpr Index tile_rows(Isa isa) noexcept {
    switch (isa) {
#if ELMAN_DETAIL_X86_KERNELS
        case Isa::avx2:
            return avx2_kernels::Tile<Scalar>::mr;
        case Isa::avx512:
            return avx512_kernels::Tile<Scalar>::mr;
#else
        case Isa::avx2:
        case Isa::avx512:
#endif
        case Isa::generic:
            break;
    }
    return generic_kernels::Tile<Scalar>::mr;
}

/// std::allocator with 64-byte (cache line, one AVX-512 vector) alignment: every panel row load of every path
/// is then aligned and none splits a cache line.
template <class T>
struct CacheLineAllocator {
    using value_type = T;
    static constexpr std::align_val_t alignment{64};
    CacheLineAllocator() noexcept = default;
    template <class U>
    CacheLineAllocator(const CacheLineAllocator<U>&) noexcept {}
    T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), alignment)); }
    void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, alignment); }
    template <class U>
    bool operator==(const CacheLineAllocator<U>&) const noexcept {
        return true;
    }
    template <class U>
    bool operator!=(const CacheLineAllocator<U>&) const noexcept {
        return false;
    }
};

/// Weights `W [K, U]` packed into zero-padded panels plus the bias padded to the panel width, for one kernel.
template <class Scalar>
class PackedWeights {
  public:
    /// The kernel family these panels were packed for (elman::active_isa() unless pack() was given one).
    Isa isa() const noexcept { return isa_; }
    /// Columns per panel (two vectors of isa()).
    Index nr() const noexcept { return nr_; }
    Index depth() const noexcept { return depth_; }
    Index units() const noexcept { return units_; }
    Index panels() const noexcept { return panels_; }
    /// Row stride of a Z buffer this product writes: U rounded up to whole panels.
    Index padded_units() const noexcept { return panels_ * nr_; }
    const Scalar* panel(Index p) const noexcept { return bias() + padded_units() + p * depth_ * nr_; }
    const Scalar* bias() const noexcept { return storage_.data(); }
    /// Adjacent panels a product with several row tiles runs every row tile over before it moves on (set by
    /// pack(): what fits in half of L2); set_block_panels overrides it until the next pack (tests, tuning). The
    /// results do not depend on it.
    Index block_panels() const noexcept { return block_panels_; }
    void set_block_panels(Index n) noexcept { block_panels_ = std::max<Index>(1, n); }
    PackedView<Scalar> view() const noexcept { return {panel(0), bias(), depth_, panels_, block_panels_}; }

    /// Allocates the storage for weights of `depth` rows and `units` columns packed for `isa`, so that a later
    /// pack() of that shape does not allocate (packing inside worker threads, which must not throw).
    void allocate(Index depth, Index units, Isa isa) {
        storage_.resize(static_cast<std::size_t>(padded_units_for(units, isa) * (depth + 1)));
    }

    /// padded_units() of weights with `units` columns packed for `isa`: whole panels.
    static constexpr Index padded_units_for(Index units, Isa isa) noexcept {
        const Index nr = panel_width<Scalar>(isa);
        return (units + nr - 1) / nr * nr;
    }

    /// Packs the stacked weights: rows [0, top.rows()) from `top`, the next rows from `bottom` (either may have
    /// zero rows), so `[x h] · [W; U]` is one product. `bias` has U entries or is empty (no bias). Packs for
    /// elman::active_isa() (which throws std::runtime_error for an unusable ELMAN_ISA setting).
    template <class Top, class Bottom, class Bias>
    void pack(const Eigen::MatrixBase<Top>& top, const Eigen::MatrixBase<Bottom>& bottom,
              const Eigen::MatrixBase<Bias>& bias) {
        pack(top, bottom, bias, active_isa());
    }

    /// As above, for the kernels of `isa`; throws std::invalid_argument when !isa_supported(isa).
    template <class Top, class Bottom, class Bias>
    void pack(const Eigen::MatrixBase<Top>& top, const Eigen::MatrixBase<Bottom>& bottom,
              const Eigen::MatrixBase<Bias>& bias, Isa isa) {
        if (!isa_supported(isa)) {
            ELMAN_THROW(std::invalid_argument(std::string("PackedWeights::pack: isa ") + isa_name(isa) +
                                              " is not supported by this CPU and build"));
        }
        using PanelMap = Eigen::Map<Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;
        const Index units = top.rows() > 0 ? top.cols() : bottom.cols();
        const Index depth = top.rows() + bottom.rows();
        // No-op when the shapes did not change (every call repacks).
        storage_.resize(static_cast<std::size_t>(padded_units_for(units, isa) * (depth + 1)));
        set_shape(depth, units, isa);
        const Index nr = nr_;
        Scalar* packed = storage_.data() + padded_units();
        for (Index p = 0; p < panels_; ++p) {
            const Index cols = std::min<Index>(nr, units_ - p * nr);
            PanelMap dst(packed + p * depth_ * nr, depth_, nr);
            dst.topLeftCorner(top.rows(), cols) = top.middleCols(p * nr, cols);
            dst.bottomLeftCorner(bottom.rows(), cols) = bottom.middleCols(p * nr, cols);
            dst.rightCols(nr - cols).setZero();  // padding columns: exact zeros, never garbage
        }
        for (Index j = 0; j < bias.size(); ++j) storage_[static_cast<std::size_t>(j)] = bias(j);
    }

    /// Packing row by row, for operands built one row at a time (backward's reduction blocks): shapes storage
    /// from allocate(depth, units, isa) for weights of that size with a zero bias; each row is then written by
    /// set_row(). Allocates nothing, so it can run in worker threads; rows not written hold stale values.
    void reset_rows(Index depth, Index units, Isa isa) noexcept {
        ELMAN_ASSERT(storage_.size() == static_cast<std::size_t>(padded_units_for(units, isa) * (depth + 1)));
        set_shape(depth, units, isa);
    }

    /// Row k (< depth()) of the weights from units() contiguous values; the padding columns get exact zeros.
    void set_row(Index k, const Scalar* values) noexcept {
        for (Index p = 0; p < panels_; ++p) {
            Scalar* packed = storage_.data() + padded_units() + (p * depth_ + k) * nr_;
            const Index cols = std::min<Index>(nr_, units_ - p * nr_);
            std::copy_n(values + p * nr_, cols, packed);
            std::fill(packed + cols, packed + nr_, Scalar(0));
        }
    }

  private:
    // The layout: the bias block first (a whole number of panel widths, so the panels stay 64-byte aligned),
    // zeroed here, then the panels. storage_ must already have the size.
    void set_shape(Index depth, Index units, Isa isa) noexcept {
        isa_ = isa;
        nr_ = panel_width<Scalar>(isa);
        units_ = units;
        depth_ = depth;
        panels_ = padded_units_for(units, isa) / nr_;
        block_panels_ = panels_per_l2_block<Scalar>(depth, nr_);
        std::fill_n(storage_.data(), padded_units(), Scalar(0));
    }

    Isa isa_ = Isa::generic;
    Index nr_ = panel_width<Scalar>(Isa::generic), depth_ = 0, units_ = 0, panels_ = 0, block_panels_ = 1;
    std::vector<Scalar, CacheLineAllocator<Scalar>> storage_;  // [bias (padded_units) | panels]
};

// The throughput kernel of `isa`: Z = bias + A · W, or Z += A · W when Accumulate.
template <class Scalar, int Depth, bool Accumulate>
void packed_gemm_on(Isa isa, Index rows, const Scalar* a, Index lda, const PackedView<Scalar>& w, Scalar* z,
                    Index ldz) noexcept {
    switch (isa) {
#if ELMAN_DETAIL_X86_KERNELS
        case Isa::avx512:
            return avx512_kernels::gemm<Scalar, Depth, Accumulate>(rows, a, lda, w, z, ldz);
        case Isa::avx2:
            return avx2_kernels::gemm<Scalar, Depth, Accumulate>(rows, a, lda, w, z, ldz);
#else
        case Isa::avx512:
        case Isa::avx2:
#endif
        case Isa::generic:
            break;
    }
    generic_kernels::gemm<Scalar, Depth, Accumulate>(rows, a, lda, w, z, ldz);
}

/// Z[rows, padded_units] (row stride ldz >= padded_units) = bias + A[rows, depth] (row stride lda) · W, on the
/// kernel `w` was packed for. Columns U..padded_units of Z receive exact zeros (bias and weight padding are 0).
/// `Depth` fixes w.depth() at compile time (unrolled k loops); Eigen::Dynamic reads it from `w`.
template <class Scalar, int Depth = Eigen::Dynamic>
void packed_gemm(Index rows, const Scalar* a, Index lda, const PackedWeights<Scalar>& w, Scalar* z,
                 Index ldz) noexcept {
    packed_gemm_on<Scalar, Depth, false>(w.isa(), rows, a, lda, w.view(), z, ldz);
}

/// Z += A[rows, depth] · W (the bias is not used): one k block of a product whose depth is split into several
/// packed blocks. Each element continues its FMA chain from the value in Z, so the blocks taken in order sum
/// every element in plain k order, like one packed_gemm over the whole depth, whatever the row split.
template <class Scalar>
void packed_gemm_accumulate(Index rows, const Scalar* a, Index lda, const PackedWeights<Scalar>& w, Scalar* z,
                            Index ldz) noexcept {
    packed_gemm_on<Scalar, Eigen::Dynamic, true>(w.isa(), rows, a, lda, w.view(), z, ldz);
}

/// z[0, padded_units) = bias + a[0, depth) · W for a single row, latency-oriented: a batch of one sample has
/// too few rows to fill the FMA units with plain-k-order chains (2 per panel), so k is split into partial sums
/// (k mod 4 partial sums: 8 chains per panel). The summation order differs from packed_gemm's, so use it only where no
/// other row count can occur for the same data (a call whose whole batch is one sample, the streaming step of one
/// sample). `Depth` as for packed_gemm.
template <class Scalar, int Depth = Eigen::Dynamic>
void packed_gemv(const Scalar* a, const PackedWeights<Scalar>& w, Scalar* z) noexcept {
    switch (w.isa()) {
#if ELMAN_DETAIL_X86_KERNELS
        case Isa::avx512:
            return avx512_kernels::gemv<Scalar, Depth>(a, w.view(), z);
        case Isa::avx2:
            return avx2_kernels::gemv<Scalar, Depth>(a, w.view(), z);
#else
        case Isa::avx512:
        case Isa::avx2:
#endif
        case Isa::generic:
            break;
    }
    generic_kernels::gemv<Scalar, Depth>(a, w.view(), z);
}

/// y = tanh(z) for a float [rows, cols] block (row strides ldz, ldy) on the vector tanh of `isa`, Eigen's float
/// approximation evaluated with FMA. Returns false (and writes nothing) on the generic path, where Eigen's own
/// array tanh is the implementation.
inline bool simd_tanh(Isa isa, Index rows, Index cols, const float* z, Index ldz, float* y, Index ldy) noexcept {
    switch (isa) {
#if ELMAN_DETAIL_X86_KERNELS
        case Isa::avx512:
            avx512_kernels::tanh_rows<float>(rows, cols, z, ldz, y, ldy);
            return true;
        case Isa::avx2:
            avx2_kernels::tanh_rows<float>(rows, cols, z, ldz, y, ldy);
            return true;
#else
        case Isa::avx512:
        case Isa::avx2:
#endif
        case Isa::generic:
            break;
    }
    (void)rows, (void)cols, (void)z, (void)ldz, (void)y, (void)ldy;
    return false;
}

}  // namespace detail
ELMAN_NAMESPACE_END
