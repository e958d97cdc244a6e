// Google Benchmark suite: SimpleRNN inference over the issue-5 shapes, float and double, 1 and 2 threads,
// both backends, the streaming step, and a training step (forward with trace + backward) per shape, without and
// with dropout = recurrent_dropout = 0.2 (train_step_dropout).
// Counters: GFLOP/s = 2·B·T·U·(F+U) per inference call / time; a training step counts 3x that (the backward
// pass does two products of the forward's size per weight matrix: input/state gradients and weight gradients).
//
//   cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DELMAN_BUILD_BENCHMARKS=ON -DELMAN_BENCH_NATIVE=ON
//   cmake --build build-bench --target elman_bench && build-bench/benchmarks/elman_bench
//
// Peers (oneDNN, PyTorch, OpenBLAS) are measured in the same run by tools/bench/compare.sh, not here.
#include <elman/backward.hpp>
#include <elman/elman.hpp>
#include <elman/stream.hpp>

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace {

using elman::Index;

struct ShapeSpec {
    const char* name;
    Index batch, timesteps, features, units;
};

// The shapes `B T F U`.
constexpr ShapeSpec shapes[] = {
    {"S1", 1, 1, 16, 32},      {"S2", 1, 100, 32, 64},     {"S3", 32, 50, 64, 128},
    {"S4", 64, 100, 256, 256}, {"S5", 256, 100, 256, 512}, {"S6", 16, 200, 128, 1024},
};

double flops(Index b, Index t, Index f, Index u) { return 2.0 * double(b) * double(t) * double(u) * double(f + u); }

// Deterministic values in [-scale, scale] (the peers in tools/bench use the same formula).
template <class Scalar>
std::vector<Scalar> pattern(Index n, std::uint64_t salt, double scale) {
    std::vector<Scalar> v(static_cast<std::size_t>(n));
    for (Index i = 0; i < n; ++i) {
        const auto k = (static_cast<std::uint64_t>(i) * 2654435761u + salt * 97u) % 2001u;
        v[static_cast<std::size_t>(i)] = static_cast<Scalar>((double(k) / 1000.0 - 1.0) * scale);
    }
    return v;
}

template <class Layer>
void set_pattern_weights(Layer& layer, Index f, Index u) {
    using Scalar = typename Layer::scalar_type;
    std::vector<elman::Tensor<Scalar>> w{
        elman::Tensor<Scalar>({f, u}, pattern<Scalar>(f * u, 1, 0.5 / std::sqrt(double(std::max<Index>(f, 1))))),
        elman::Tensor<Scalar>({u, u}, pattern<Scalar>(u * u, 2, 0.5 / std::sqrt(double(u)))),
        elman::Tensor<Scalar>({u}, pattern<Scalar>(u, 3, 0.1))};
    layer.set_weights(w);
}

// Whole-sequence inference call (return_sequences, as the peers produce every output).
template <class Scalar>
void forward(benchmark::State& state, ShapeSpec s, int threads, elman::Backend backend) {
    elman::SimpleRNNOptions o;
    o.return_sequences = true;
    elman::SimpleRNN<Scalar> layer(s.units, o);
    set_pattern_weights(layer, s.features, s.units);
    layer.set_threads(threads);
    layer.set_backend(backend);
    const elman::Tensor<Scalar> x({s.batch, s.timesteps, s.features},
                                  pattern<Scalar>(s.batch * s.timesteps * s.features, 4, 1.0));
    elman::Result<Scalar> result;
    for (auto _ : state) {
        layer.call(x, {}, result);
        benchmark::DoNotOptimize(result.output.data());
        benchmark::ClobberMemory();
    }
    state.counters["GFLOP/s"] = benchmark::Counter(flops(s.batch, s.timesteps, s.features, s.units) * 1e-9,
                                                   benchmark::Counter::kIsIterationInvariantRate);
}

// One training step's differentiation: forward call recording the trace, then backward() from d loss / d output
// (a fixed pattern). The optimizer update is not included (element-wise, negligible next to BPTT).
// `dropout` > 0: the same step with dropout = recurrent_dropout = `dropout` (masks drawn every call).
template <class Scalar>
void train_step(benchmark::State& state, ShapeSpec s, int threads, double dropout = 0.0) {
    elman::SimpleRNNOptions o;
    o.return_sequences = true;
    o.dropout = dropout;
    o.recurrent_dropout = dropout;
    o.seed = 7;
    elman::SimpleRNN<Scalar> layer(s.units, o);
    set_pattern_weights(layer, s.features, s.units);
    layer.set_threads(threads);
    const elman::Tensor<Scalar> x({s.batch, s.timesteps, s.features},
                                  pattern<Scalar>(s.batch * s.timesteps * s.features, 4, 1.0));
    const elman::Tensor<Scalar> grad_output({s.batch, s.timesteps, s.units},
                                            pattern<Scalar>(s.batch * s.timesteps * s.units, 5, 1.0));
    elman::ForwardTrace<Scalar> trace;
    elman::CallArgs<Scalar> args;
    args.training = true;
    args.trace = &trace;
    elman::Result<Scalar> result;
    elman::Gradients<Scalar> gradients;  // reused, as a training loop does
    for (auto _ : state) {
        layer.call(x, args, result);
        elman::backward(layer, trace, result, grad_output, gradients);
        benchmark::DoNotOptimize(gradients.kernel.data());
        benchmark::ClobberMemory();
    }
    state.counters["GFLOP/s"] = benchmark::Counter(3.0 * flops(s.batch, s.timesteps, s.features, s.units) * 1e-9,
                                                   benchmark::Counter::kIsIterationInvariantRate);
}

// One streaming step of S1 (`1 1 16 32`), dynamic or compile-time sizes.
template <class Scalar, int Units, int Features>
void stream_step(benchmark::State& state) {
    elman::SimpleRNNOptions o;
    o.input_dim = 16;
    elman::SimpleRNN<Scalar> layer(32, o);
    set_pattern_weights(layer, 16, 32);
    elman::SimpleRNNStream<Scalar, elman::Tanh, Units, Features> stream(layer);
    const auto x = pattern<Scalar>(16, 4, 1.0);
    for (auto _ : state) {
        benchmark::DoNotOptimize(stream.step(x.data()).data());
        benchmark::ClobberMemory();
    }
    state.counters["GFLOP/s"] =
        benchmark::Counter(flops(1, 1, 16, 32) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

template <class Scalar>
void register_forward(const char* scalar_name) {
    for (const auto& s : shapes) {
        for (int threads : {1, 2}) {
            for (auto backend : {elman::Backend::packed, elman::Backend::gemm}) {
                if (backend == elman::Backend::gemm && threads > 1) continue;  // the gemm path is single-threaded
                const std::string name = std::string("forward/") + scalar_name + "/" + s.name + "/" +
                                         (backend == elman::Backend::packed ? "packed" : "gemm") +
                                         "/threads:" + std::to_string(threads);
                benchmark::RegisterBenchmark(name.c_str(),
                                             [=](benchmark::State& st) { forward<Scalar>(st, s, threads, backend); })
                    ->UseRealTime()
                    ->Unit(benchmark::kMicrosecond);
            }
        }
    }
}

template <class Scalar>
void register_train(const char* scalar_name) {
    for (const auto& s : shapes) {
        for (int threads : {1, 2}) {
            const std::string name = std::string("train_step/") + scalar_name + "/" + s.name +
                                     "/threads:" + std::to_string(threads);
            benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& st) { train_step<Scalar>(st, s, threads); })
                ->UseRealTime()
                ->Unit(benchmark::kMicrosecond);
            const std::string dropout_name = std::string("train_step_dropout/") + scalar_name + "/" + s.name +
                                             "/threads:" + std::to_string(threads);
            benchmark::RegisterBenchmark(dropout_name.c_str(),
                                         [=](benchmark::State& st) { train_step<Scalar>(st, s, threads, 0.2); })
                ->UseRealTime()
                ->Unit(benchmark::kMicrosecond);
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    register_forward<float>("float");
    register_forward<double>("double");
    register_train<float>("float");
    register_train<double>("double");
    benchmark::RegisterBenchmark("stream_step/float/S1/dynamic", stream_step<float, Eigen::Dynamic, Eigen::Dynamic>);
    benchmark::RegisterBenchmark("stream_step/float/S1/fixed", stream_step<float, 32, 16>);
    benchmark::RegisterBenchmark("stream_step/double/S1/dynamic", stream_step<double, Eigen::Dynamic, Eigen::Dynamic>);
    benchmark::RegisterBenchmark("stream_step/double/S1/fixed", stream_step<double, 32, 16>);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
