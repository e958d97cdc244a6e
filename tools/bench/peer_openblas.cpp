// OpenBLAS peer: the straightforward BLAS formulation. One sgemm for every timestep's input projection
// (P = X·W, rows b*T+t), then per step one sgemm accumulating H_{t-1}·U into P's rows of step t in place
// (ldc = T*U), then tanh (Eigen's vectorised one) on those rows, which are H_t. No copies at all.
#include "peer_common.hpp"

#include <Eigen/Core>
#include <cblas.h>

extern "C" void openblas_set_num_threads(int);
extern "C" char* openblas_get_corename(void);

int main(int argc, char** argv) {
    const auto a = peer::parse(argc, argv);
    const peer::Problem p(a);
    openblas_set_num_threads(a.threads);
    std::fprintf(stderr, "openblas core: %s\n", openblas_get_corename());
    const int B = int(a.B), T = int(a.T), F = int(a.F), U = int(a.U);
    std::vector<float> P(static_cast<std::size_t>(a.B * a.T * a.U));
    using Strided = Eigen::Map<Eigen::Array<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>, 0, Eigen::OuterStride<>>;
    auto call = [&] {
        for (long r = 0; r < a.B * a.T; ++r) std::copy(p.bias.begin(), p.bias.end(), P.begin() + r * U);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B * T, U, F, 1.0f, p.x.data(), F, p.kernel.data(), U,
                    1.0f, P.data(), U);
        for (int t = 0; t < T; ++t) {
            float* rows = P.data() + static_cast<long>(t) * U;
            if (t > 0) {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, U, U, 1.0f, rows - U, T * U,
                            p.recurrent.data(), U, 1.0f, rows, T * U);
            }
            Strided h(rows, B, U, Eigen::OuterStride<>(static_cast<long>(T) * U));
            h = h.tanh();
        }
    };
    peer::time_calls(a, call);
    peer::dump_last(a, [&](long b, long u) { return P[static_cast<std::size_t>((b * a.T + a.T - 1) * a.U + u)]; });
}
