// The machine's FMA peak, measured: THREADS threads each run 12 independent FMA chains (enough to hide the FMA
// latency on every current x86 core) on the widest vectors the compiler targets, for ~0.5 s.
//   fma_peak THREADS   ->   gflops=<total GFLOP/s> isa=<avx512|avx2>
#include <immintrin.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#if defined(__AVX512F__)
using V = __m512;
static inline V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
static inline V set1(float x) { return _mm512_set1_ps(x); }
static inline float sum(V v) { return _mm512_reduce_add_ps(v); }
static const char* isa = "avx512";
#else
using V = __m256;
static inline V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
static inline V set1(float x) { return _mm256_set1_ps(x); }
static inline float sum(V v) {
    alignas(32) float f[8];
    _mm256_store_ps(f, v);
    return f[0] + f[1] + f[2] + f[3] + f[4] + f[5] + f[6] + f[7];
}
static const char* isa = "avx2";
#endif

static double run(long iters, float* sink) {
    V acc[12];
    for (int j = 0; j < 12; ++j) acc[j] = set1(1.0f + float(j) * 1e-7f);
    const V m = set1(0.9999999f), c = set1(1e-7f);
    const auto t0 = std::chrono::steady_clock::now();
    for (long i = 0; i < iters; ++i) {
#pragma GCC unroll 12
        for (int j = 0; j < 12; ++j) acc[j] = fma(acc[j], m, c);
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    float total = 0;
    for (int j = 0; j < 12; ++j) total += sum(acc[j]);
    *sink = total;
    return s;
}

int main(int argc, char** argv) {
    const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
    const long iters = 60000000;
    const double flops_per_iter = 12.0 * 2.0 * double(sizeof(V) / sizeof(float));
    std::vector<double> seconds(static_cast<std::size_t>(threads));
    std::vector<float> sinks(static_cast<std::size_t>(threads));
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&, t] { seconds[std::size_t(t)] = run(iters, &sinks[std::size_t(t)]); });
    for (auto& th : pool) th.join();
    double total = 0;
    for (int t = 0; t < threads; ++t) total += flops_per_iter * double(iters) / seconds[std::size_t(t)];
    std::printf("gflops=%.2f isa=%s sink=%g\n", total * 1e-9, isa, double(sinks[0]));
}
