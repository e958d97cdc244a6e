// SPDX-License-Identifier: MIT
// io readers on inputs at the sizes where a per-item cost that is not constant shows (issue: a quadratic
// duplicate-key check made a 200k-key object take 30 s): json::parse of an object with N keys and of an array
// of N numbers. Linear time means the time per item (items_per_second) stays flat as N grows.
//   cmake -S . -B _build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DELMAN_BUILD_BENCHMARKS=ON
//   cmake --build _build/bench --target elman_bench_io && _build/bench/benchmarks/elman_bench_io
#include <elman/io/json.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

namespace {

// {"k<scrambled i>": i, ...}: distinct keys in no sorted order.
std::string object_with_keys(std::int64_t n) {
    std::string text = "{";
    for (std::int64_t i = 0; i < n; ++i) {
        text += i ? ", \"k" : "\"k";
        text += std::to_string((i * 7919) % n) + "\": " + std::to_string(i);
    }
    return text + "}";
}

// [0,0,...]: the densest array there is, two bytes per element.
std::string array_of_zeros(std::int64_t n) {
    std::string text = "[0";
    text.reserve(static_cast<std::size_t>(2 * n + 1));
    for (std::int64_t i = 1; i < n; ++i) text += ",0";
    return text + "]";
}

void run(benchmark::State& state, const std::string& text) {
    for (auto _ : state) {
        const elman::io::json::Value v = elman::io::json::parse(text, "bench.json");
        benchmark::DoNotOptimize(v.size());
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}

void BM_JsonObjectKeys(benchmark::State& state) { run(state, object_with_keys(state.range(0))); }
void BM_JsonNumberArray(benchmark::State& state) { run(state, array_of_zeros(state.range(0))); }

}  // namespace

BENCHMARK(BM_JsonObjectKeys)->Arg(25000)->Arg(50000)->Arg(100000)->Arg(200000)->Unit(benchmark::kMillisecond);
// 20M elements = the 40 MB array of the issue.
BENCHMARK(BM_JsonNumberArray)->Arg(1 << 20)->Arg(20 << 20)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
