// SPDX-License-Identifier: MIT
// The streaming step's product for few rows: z = bias + v · W, latency-bound rather than throughput-bound.
//
// One sample's step is a vector-matrix product of a few thousand FMAs. Accumulating it in plain k order gives
// one dependency chain per output packet, so the FMA latency (4 cycles) and not the FMA units set the pace.
// This kernel splits k into S interleaved partial sums per packet (S * C independent chains), then adds the
// partial sums; rows are independent. Weights are row-major with Upad (a multiple of the packet size, zero
// padded) columns, so every load is a whole packet. Input and state are read where they are (no concatenation).
#pragma once

#include <elman/config.hpp>

#include <Eigen/Core>

#include <cstddef>
#include <utility>

ELMAN_NAMESPACE_BEGIN
namespace detail {

template <class Scalar>
using StepPacket = typename Eigen::internal::packet_traits<Scalar>::type;

template <class Scalar>
constexpr int step_packet_size() {
    return Eigen::internal::packet_traits<Scalar>::size;
}

// Adds v[0, depth) · W[:, j0 .. j0 + C*P) into the S x C accumulators, k split S ways.
template <class Scalar, int C, int S, int K, std::size_t... J>
EIGEN_ALWAYS_INLINE void step_accumulate(StepPacket<Scalar> (&acc)[S][C], const Scalar* v, Index depth, const Scalar* w,
                                         Index ldw, std::index_sequence<J...>) noexcept {
    using namespace Eigen::internal;
    using Packet = StepPacket<Scalar>;
    constexpr int P = step_packet_size<Scalar>();
    const Index k_end = K == Eigen::Dynamic ? depth : Index(K);
    const Index k_main = k_end / S * S;
    for (Index k = 0; k < k_main; k += S) {
        for (int s = 0; s < S; ++s) {
            const Packet a = pset1<Packet>(v[k + s]);
            const Scalar* wk = w + (k + s) * ldw;
            ((acc[s][J] = pmadd(a, ploadu<Packet>(wk + static_cast<Index>(J) * P), acc[s][J])), ...);
        }
    }
    for (Index k = k_main; k < k_end; ++k) {
        const Packet a = pset1<Packet>(v[k]);
        const Scalar* wk = w + k * ldw;
        ((acc[0][J] = pmadd(a, ploadu<Packet>(wk + static_cast<Index>(J) * P), acc[0][J])), ...);
    }
}

// z[j0 .. j0 + C*P) = bias + x · Wx + h · Wh for C packets of one row.
template <class Scalar, int C, int S, int KX, int KH, std::size_t... J>
EIGEN_ALWAYS_INLINE void step_chunk(const Scalar* x, Index kx, const Scalar* wx, const Scalar* h, Index kh,
                                    const Scalar* wh, Index ldw, const Scalar* bias, Scalar* z,
                                    std::index_sequence<J...> columns) noexcept {
    using namespace Eigen::internal;
    using Packet = StepPacket<Scalar>;
    constexpr int P = step_packet_size<Scalar>();
    Packet acc[S][C];
    for (int s = 0; s < S; ++s) ((acc[s][J] = pset1<Packet>(Scalar(0))), ...);
    step_accumulate<Scalar, C, S, KX>(acc, x, kx, wx, ldw, columns);
    step_accumulate<Scalar, C, S, KH>(acc, h, kh, wh, ldw, columns);
    for (int s = 1; s < S; ++s) ((acc[0][J] = padd(acc[0][J], acc[s][J])), ...);
    ((pstoreu(z + static_cast<Index>(J) * P, padd(ploadu<Packet>(bias + static_cast<Index>(J) * P), acc[0][J]))), ...);
}

/// z[0, Upad) = bias + x[0, kx) · Wx + h[0, kh) · Wh for one row, without copying x and h together.
/// Wx [kx, Upad] and Wh [kh, Upad] are row-major with row stride Upad (zero-padded columns), bias has Upad
/// entries. `KX` / `KH` fix the depths at compile time (then kx / kh are ignored), unrolling the loops.
template <class Scalar, int KX = Eigen::Dynamic, int KH = Eigen::Dynamic>
void step_row(const Scalar* x, Index kx, const Scalar* wx, const Scalar* h, Index kh, const Scalar* wh, Index upad,
              const Scalar* bias, Scalar* z) noexcept {
    constexpr int P = step_packet_size<Scalar>();
    constexpr int C = 4;  // packets per chunk: 4 * S accumulators stay within 16 registers
    Index j = 0;
    for (; j + C * P <= upad; j += C * P) {
        step_chunk<Scalar, C, 2, KX, KH>(x, kx, wx + j, h, kh, wh + j, upad, bias + j, z + j,
                                         std::make_index_sequence<C>{});
    }
    // Narrow tails: fewer packets, so split k further to keep enough chains in flight.
    const Index left = (upad - j) / P;
    if (left == 3) {
        step_chunk<Scalar, 3, 2, KX, KH>(x, kx, wx + j, h, kh, wh + j, upad, bias + j, z + j,
                                         std::make_index_sequence<3>{});
    } else if (left == 2) {
        step_chunk<Scalar, 2, 4, KX, KH>(x, kx, wx + j, h, kh, wh + j, upad, bias + j, z + j,
                                         std::make_index_sequence<2>{});
    } else if (left == 1) {
        step_chunk<Scalar, 1, 4, KX, KH>(x, kx, wx + j, h, kh, wh + j, upad, bias + j, z + j,
                                         std::make_index_sequence<1>{});
    }
}

}  // namespace detail
ELMAN_NAMESPACE_END
