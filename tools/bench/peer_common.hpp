// Shared by the peer programs of compare.py: the command line, the deterministic data (the same formula as
// benchmarks/bench_simple_rnn.cpp, peer_torch.py and peer_onnxruntime.js), the timing loop and the output dump.
//
//   <peer> B T F U THREADS REPS [DUMP_FILE]
// prints `median_seconds=<s>` for REPS timed calls after one warm-up call; with DUMP_FILE it also writes the
// last timestep's outputs [B, U] as raw float32 (compare.py checks every peer against elman with them).
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace peer {

struct Args {
    long B = 0, T = 0, F = 0, U = 0;
    int threads = 1, reps = 1;
    std::string dump;
};

inline Args parse(int argc, char** argv) {
    if (argc < 7) {
        std::fprintf(stderr, "usage: %s B T F U THREADS REPS [DUMP_FILE]\n", argv[0]);
        std::exit(2);
    }
    Args a;
    a.B = std::atol(argv[1]);
    a.T = std::atol(argv[2]);
    a.F = std::atol(argv[3]);
    a.U = std::atol(argv[4]);
    a.threads = std::atoi(argv[5]);
    a.reps = std::atoi(argv[6]);
    if (argc > 7) a.dump = argv[7];
    if (a.B < 1 || a.T < 1 || a.F < 1 || a.U < 1 || a.threads < 1 || a.reps < 1) {
        std::fprintf(stderr, "%s: every size, THREADS and REPS must be >= 1\n", argv[0]);
        std::exit(2);
    }
    return a;
}

/// Values in [-scale, scale]: ((i * 2654435761 + salt * 97) mod 2001) / 1000 - 1, times scale, in double.
inline std::vector<float> pattern(long n, std::uint64_t salt, double scale) {
    std::vector<float> v(static_cast<std::size_t>(n));
    for (long i = 0; i < n; ++i) {
        const auto k = (static_cast<std::uint64_t>(i) * 2654435761u + salt * 97u) % 2001u;
        v[static_cast<std::size_t>(i)] = static_cast<float>((double(k) / 1000.0 - 1.0) * scale);
    }
    return v;
}

/// The layer every peer computes: kernel [F, U], recurrent kernel [U, U], bias [U] (Keras layout), x [B, T, F].
struct Problem {
    std::vector<float> kernel, recurrent, bias, x;
    explicit Problem(const Args& a)
        : kernel(pattern(a.F * a.U, 1, 0.5 / std::sqrt(double(a.F)))),
          recurrent(pattern(a.U * a.U, 2, 0.5 / std::sqrt(double(a.U)))), bias(pattern(a.U, 3, 0.1)),
          x(pattern(a.B * a.T * a.F, 4, 1.0)) {}
};

/// Runs `call` once to warm up, then REPS times; prints the median wall time.
template <class Call>
void time_calls(const Args& a, Call&& call) {
    call();
    std::vector<double> seconds;
    for (int r = 0; r < a.reps; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        call();
        seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(seconds.begin(), seconds.end());
    std::printf("median_seconds=%.9g\n", seconds[seconds.size() / 2]);
}

/// Writes the [B, U] outputs of the last timestep; `at(b, u)` reads them from the peer's own layout.
template <class At>
void dump_last(const Args& a, At&& at) {
    if (a.dump.empty()) return;
    std::vector<float> out(static_cast<std::size_t>(a.B * a.U));
    for (long b = 0; b < a.B; ++b)
        for (long u = 0; u < a.U; ++u) out[static_cast<std::size_t>(b * a.U + u)] = at(b, u);
    std::FILE* f = std::fopen(a.dump.c_str(), "wb");
    if (!f || std::fwrite(out.data(), sizeof(float), out.size(), f) != out.size()) {
        std::fprintf(stderr, "cannot write %s\n", a.dump.c_str());
        std::exit(1);
    }
    std::fclose(f);
}

}  // namespace peer
