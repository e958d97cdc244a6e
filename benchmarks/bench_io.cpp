// SPDX-License-Identifier: MIT
// io readers on inputs at the sizes where a per-item cost that is not constant shows (issue: a quadratic
// duplicate-key check made a 200k-key object take 30 s): json::parse of an object with N keys and of an array
// of N numbers, and a tfjs model of N Dense layers (the model loaders looked each layer's weights up in the whole
// manifest). Linear time means the time per item (items_per_second) stays flat as N grows. BM_ZipStoredMember reads
// an archive of one stored member of N bytes (np.savez's layout), whose pace is the CRC-32 every member is checked
// with: bytes_per_second is the reader's throughput.
//   cmake -S . -B _build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DELMAN_BUILD_BENCHMARKS=ON
//   cmake --build _build/bench --target elman_bench_io && _build/bench/benchmarks/elman_bench_io
#include <elman/io/detail/zip.hpp>
#include <elman/io/json.hpp>
#include <elman/io/tfjs_model.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
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

// A tfjs Sequential model.json of n Dense(1) layers and its one shard (kernel 1, bias 0 per layer).
std::string tfjs_dense_stack(std::int64_t n) {
    std::string layers, weights;
    for (std::int64_t i = 0; i < n; ++i) {
        const std::string name = "d" + std::to_string(i);
        layers += std::string(i ? ", " : "") + R"({"class_name": "Dense", "config": {"name": ")" + name +
                  R"(", "units": 1, "activation": "linear", "use_bias": true)" +
                  (i ? "" : R"(, "batch_input_shape": [null, 1])") + "}}";
        weights += std::string(i ? ", " : "") + R"({"name": ")" + name + R"(/kernel", "shape": [1, 1], "dtype": "float32"}, )" +
                   R"({"name": ")" + name + R"(/bias", "shape": [1], "dtype": "float32"})";
    }
    return R"({"format": "layers-model", "modelTopology": {"class_name": "Sequential", "config": {"name": "s", "layers": [)" +
           layers + R"(]}}, "weightsManifest": [{"paths": ["weights.bin"], "weights": [)" + weights + "]}]}";
}

void BM_TfjsModelLayers(benchmark::State& state) {
    const std::string text = tfjs_dense_stack(state.range(0));
    std::string shard(static_cast<std::size_t>(8 * state.range(0)), '\0');
    const float kernel_then_bias[2] = {1.0f, 0.0f};
    for (std::int64_t i = 0; i < state.range(0); ++i)
        std::memcpy(&shard[static_cast<std::size_t>(8 * i)], kernel_then_bias, 8);
    for (auto _ : state) {
        auto model = elman::io::read_tfjs_model<float>(text, "bench/model.json",
                                                       [&](const std::string&) { return shard; });
        benchmark::DoNotOptimize(model.count_params());
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_ZipStoredMember(benchmark::State& state) {
    elman::io::detail::ZipEntry member;
    member.name = "arr_0.npy";
    member.data.resize(static_cast<std::size_t>(state.range(0)));
    for (std::size_t i = 0; i < member.data.size(); ++i) member.data[i] = static_cast<char>(i * 2654435761u >> 24);
    const std::string archive = elman::io::detail::write_zip({member}, "bench.npz");
    for (auto _ : state) {
        const auto entries = elman::io::detail::read_zip(archive, "bench.npz");
        benchmark::DoNotOptimize(entries.front().data.data());
    }
    state.SetBytesProcessed(state.iterations() * state.range(0));
}

}  // namespace

BENCHMARK(BM_JsonObjectKeys)->Arg(25000)->Arg(50000)->Arg(100000)->Arg(200000)->Unit(benchmark::kMillisecond);
// 20M elements = the 40 MB array of the issue.
BENCHMARK(BM_JsonNumberArray)->Arg(1 << 20)->Arg(20 << 20)->Unit(benchmark::kMillisecond);

BENCHMARK(BM_TfjsModelLayers)->Arg(2000)->Arg(8000)->Arg(32000)->Unit(benchmark::kMillisecond);

BENCHMARK(BM_ZipStoredMember)->Arg(1 << 20)->Arg(64 << 20)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
