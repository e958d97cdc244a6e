// The golden cases of test_golden.cpp (same JSON files, same tolerances) through every compute path:
// the packed backend on 1 and 3 threads (3 threads must also be bit-identical to 1), the gemm backend (Eigen
// products, or BLAS when built with ELMAN_USE_BLAS), and the streaming step with dynamic and with compile-time
// Units/Features (every call without mask or go_backwards, stepped one timestep at a time).
#include "golden_case.hpp"

#include <elman/stream.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <type_traits>
#include <vector>

using elman::Index;
using elman_test::apply_reset_step;
using elman_test::golden_tolerance;
using elman_test::GoldenCall;
using elman_test::load_json;
using elman_test::max_relative_error;
using elman_test::options_from_config;
using elman_test::set_case_weights;
using elman_test::tensor_from_json;

namespace {

enum class Path { packed_1_thread, packed_3_threads, gemm, fixed_size };

const char* path_name(Path p) {
    switch (p) {
        case Path::packed_1_thread:
            return "packed, 1 thread";
        case Path::packed_3_threads:
            return "packed, 3 threads";
        case Path::gemm:
            return "gemm";
        case Path::fixed_size:
            return "fixed size";
    }
    return "?";
}

struct Counts {
    int calls = 0, streamed = 0;
};

// h_{-1} exactly as the layer picks it (TF 2.4: a stateful layer's non-zero stored state beats initial_state).
template <class Layer, class Scalar>
elman::Tensor<Scalar> initial_state_of(const Layer& layer, const elman::Tensor<Scalar>* initial_state, Index batch) {
    if (layer.stateful() && layer.states().rank() == 2 && layer.states().dim(0) == batch &&
        !(initial_state && layer.states().matrix().isZero(0)))
        return layer.states();
    if (initial_state) return *initial_state;
    return elman::Tensor<Scalar>({batch, layer.units()});
}

// Steps the call's inputs through a stream (compile-time sizes U, F or dynamic); returns (output as the call would
// return it, final state).
template <int U_, int F_, class Layer, class Scalar>
std::pair<elman::Tensor<Scalar>, elman::Tensor<Scalar>> stream_call(const Layer& layer, const elman::Tensor<Scalar>& x,
                                                                    const elman::Tensor<Scalar>& h0) {
    const Index B = x.dim(0), T = x.dim(1), F = x.dim(2), U = layer.units();
    elman::SimpleRNNStream<Scalar, typename Layer::activation_type, U_, F_> stream(layer, std::max<Index>(B, 1));
    elman::Tensor<Scalar> seq({B, T, U}), last({B, U});
    if (B == 0) return {layer.return_sequences() ? seq : last, last};
    stream.reset(h0);
    std::vector<Scalar> frame(static_cast<std::size_t>(B * F));
    for (Index t = 0; t < T; ++t) {
        for (Index b = 0; b < B; ++b)
            for (Index f = 0; f < F; ++f) frame[static_cast<std::size_t>(b * F + f)] = x.data()[(b * T + t) * F + f];
        const auto h = stream.step(frame.data());
        for (Index b = 0; b < B; ++b)
            for (Index u = 0; u < U; ++u) seq.data()[(b * T + t) * U + u] = h(b, u);
    }
    last.matrix() = stream.state();
    return {layer.return_sequences() ? seq : last, last};
}

template <int StreamU = Eigen::Dynamic, int StreamF = Eigen::Dynamic, class Layer>
Counts run_case_with(Layer& layer, const nlohmann::json& c, double tolerance, Path path) {
    using Scalar = typename Layer::scalar_type;
    Counts counts;
    set_case_weights(layer, c);
    layer.set_backend(path == Path::gemm ? elman::Backend::gemm : elman::Backend::packed);
    layer.set_threads(path == Path::packed_3_threads ? 3 : 1);

    for (const auto& step : c.at("steps")) {
        if (apply_reset_step(layer, step)) continue;
        const GoldenCall<Scalar> call(step);
        const auto& inputs = call.inputs;
        const auto args = call.args();
        const auto expected_output = tensor_from_json<double>(step.at("expected_output"));
        const auto expected_state = tensor_from_json<double>(step.at("expected_state"));
        const Index batch = inputs.dim(0);

        // The stream first: it reads the layer's stored state as it is before this call.
        const bool streams = path == Path::packed_1_thread || path == Path::fixed_size;
        if (streams && args.mask.empty() && !layer.go_backwards() && layer.built()) {
            const auto h0 = initial_state_of(layer, call.initial_state ? &*call.initial_state : nullptr, batch);
            const auto streamed = stream_call<StreamU, StreamF>(layer, inputs, h0);
            INFO("streamed call " << counts.calls);
            CHECK(max_relative_error(streamed.first, expected_output) <= tolerance);
            CHECK(max_relative_error(streamed.second, expected_state) <= tolerance);
            ++counts.streamed;
        }

        const auto result = layer(inputs, args);
        INFO("call " << counts.calls);
        CHECK(max_relative_error(result.output, expected_output) <= tolerance);
        if (result.state) CHECK(max_relative_error(*result.state, expected_state) <= tolerance);
        if (path == Path::packed_3_threads && !layer.stateful()) {
            // Same call on one thread: bit-identical.
            Layer single(layer.units(), layer.options(), layer.activation());
            single.set_weights(layer.get_weights());
            CHECK(max_relative_error(single(inputs, args).output, result.output) == 0.0);
        }
        ++counts.calls;
    }
    return counts;
}

// The case's activation as `Act`: elman::Tanh for tanh cases, the run-time KerasActivation for the others (one
// instantiation for every other activation, bit-identical to its typed layer).
template <class Act>
Act make_activation(const nlohmann::json& config) {
    if constexpr (std::is_same<Act, elman::KerasActivation>::value) {
        return elman::KerasActivation(config.at("activation").get<std::string>());
    } else {
        return Act{};
    }
}

// Compile-time stream sizes for the (units, features) pairs of the golden files.
template <class Scalar, class Act, int U, int F>
bool try_fixed(const nlohmann::json& c, double tolerance, Counts& counts) {
    const auto& config = c.at("config");
    if (config.at("units").get<Index>() != U || c.at("weights").at("kernel").at("shape")[0].get<Index>() != F)
        return false;
    elman::SimpleRNN<Scalar, Act> layer(U, options_from_config(config), make_activation<Act>(config));
    counts = run_case_with<U, F>(layer, c, tolerance, Path::fixed_size);
    return true;
}

// Four of the golden files' (units, features) pairs: a single unit and feature, two small shapes and the largest
// one whose unrolled depth (48) is past the split-sum remainder. Each pair instantiates the stream's kernels once
// per instruction set, scalar and activation, so every golden pair would multiply the build time (the ASan build of
// this file alone took over 14 minutes with twelve) without reaching code these four do not.
template <class Scalar, class Act>
bool run_fixed(const nlohmann::json& c, double tolerance, Counts& counts) {
    return try_fixed<Scalar, Act, 1, 1>(c, tolerance, counts) || try_fixed<Scalar, Act, 4, 3>(c, tolerance, counts) ||
           try_fixed<Scalar, Act, 8, 4>(c, tolerance, counts) || try_fixed<Scalar, Act, 32, 16>(c, tolerance, counts);
}

template <class Scalar>
void run_file(const std::string& file, Path path) {
    const auto& data = load_json(file);
    const bool float64_reference = data.at("dtype") == "float64";
    Counts total;
    int fixed_cases = 0;
    for (const auto& c : data.at("cases")) {
        const double tolerance = golden_tolerance(c, float64_reference, std::is_same<Scalar, double>::value);
        INFO("case " << c.at("name").get<std::string>() << " on path " << path_name(path));
        const auto& config = c.at("config");
        const std::string activation = config.at("activation").get<std::string>();
        Counts counts;
        if (path == Path::fixed_size) {
            const bool ran = activation == "tanh" ? run_fixed<Scalar, elman::Tanh>(c, tolerance, counts)
                                                  : run_fixed<Scalar, elman::KerasActivation>(c, tolerance, counts);
            fixed_cases += ran ? 1 : 0;
        } else if (activation == "tanh") {
            elman::SimpleRNN<Scalar> layer(config.at("units").get<Index>(), options_from_config(config));
            counts = run_case_with(layer, c, tolerance, path);
        } else {
            elman::SimpleRNN<Scalar, elman::KerasActivation> layer(
                config.at("units").get<Index>(), options_from_config(config), elman::KerasActivation(activation));
            counts = run_case_with(layer, c, tolerance, path);
        }
        total.calls += counts.calls;
        total.streamed += counts.streamed;
    }
    CHECK(total.calls > 0);
    if (path == Path::packed_1_thread) CHECK(total.streamed > 0);
    if (path == Path::fixed_size) {
        CHECK(fixed_cases > 0);
        CHECK(total.streamed > 0);
    }
}

}  // namespace

TEMPLATE_TEST_CASE("Golden cases pass on every compute path", "[golden][paths]", float, double) {
    for (const char* file : {"golden_tfjs.json", "golden_torch_f64.json"}) {
        for (Path path : {Path::packed_1_thread, Path::packed_3_threads, Path::gemm, Path::fixed_size}) {
            INFO(file << ", " << path_name(path));
            run_file<TestType>(file, path);
        }
    }
}
