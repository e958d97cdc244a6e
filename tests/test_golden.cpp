// Golden cases produced by real Keras implementations (TensorFlow.js layers, PyTorch float64), committed under
// tests/data with the generators in tools/. Every case runs for float and double.
//
// Tolerances: elman_test::golden_tolerance (tests/golden_case.hpp).
// Cases where TF 2.4 and tfjs differ carry the TF 2.4 value (see tests/data/README.md); the case notes say which.
#include "golden_case.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <type_traits>

using elman_test::apply_reset_step;
using elman_test::golden_tolerance;
using elman_test::GoldenCall;
using elman_test::load_json;
using elman_test::max_relative_error;
using elman_test::options_from_config;
using elman_test::set_case_weights;
using elman_test::tensor_from_json;

namespace {

struct CaseOutcome {
    double worst = 0.0;
    int calls = 0;
};

template <class Layer>
CaseOutcome run_steps(Layer& layer, const nlohmann::json& c, double tolerance) {
    using Scalar = typename Layer::scalar_type;
    CaseOutcome outcome;
    const auto& config = c.at("config");
    set_case_weights(layer, c);
    for (const auto& step : c.at("steps")) {
        if (apply_reset_step(layer, step)) continue;
        const GoldenCall<Scalar> call(step);
        elman::ForwardTrace<Scalar> trace;
        auto args = call.args();
        args.trace = &trace;  // the trace's last state block is the final state, whatever return_state says
        const auto result = layer(call.inputs, args);
        const auto expected_output = tensor_from_json<double>(step.at("expected_output"));
        const auto expected_state = tensor_from_json<double>(step.at("expected_state"));
        const double out_err = max_relative_error(result.output, expected_output);
        elman::Tensor<Scalar> final_state({trace.batch, trace.units});
        final_state.matrix() = trace.states.bottomRows(trace.batch);
        const double state_err = max_relative_error(final_state, expected_state);
        INFO("call " << outcome.calls << ": output error " << out_err << ", state error " << state_err << ", tolerance "
                     << tolerance);
        CHECK(out_err <= tolerance);
        CHECK(state_err <= tolerance);
        CHECK(result.state.has_value() == config.at("return_state").get<bool>());
        if (result.state) CHECK(max_relative_error(*result.state, final_state) == 0.0);
        if (config.at("stateful").get<bool>()) CHECK(max_relative_error(layer.states(), final_state) == 0.0);
        outcome.worst = std::max({outcome.worst, out_err, state_err});
        ++outcome.calls;
    }
    return outcome;
}

/// tanh cases on the typed default layer `SimpleRNN<Scalar>`, every other activation through KerasActivation
/// (bit-identical to its typed layer, and one instantiation instead of one per activation).
template <class Scalar>
CaseOutcome run_case(const nlohmann::json& c, double tolerance) {
    const auto& config = c.at("config");
    const auto units = config.at("units").get<elman::Index>();
    const auto activation = config.at("activation").get<std::string>();
    if (activation == "tanh") {
        elman::SimpleRNN<Scalar> layer(units, options_from_config(config));
        return run_steps(layer, c, tolerance);
    }
    elman::SimpleRNN<Scalar, elman::KerasActivation> layer(units, options_from_config(config),
                                                           elman::KerasActivation(activation));
    return run_steps(layer, c, tolerance);
}

template <class Scalar>
void run_file(const std::string& file) {
    const auto& data = load_json(file);
    const bool float64_reference = data.at("dtype") == "float64";
    REQUIRE(data.at("cases").size() > 0);
    double worst = 0.0;
    int calls = 0;
    for (const auto& c : data.at("cases")) {
        const double tolerance = golden_tolerance(c, float64_reference, std::is_same<Scalar, double>::value);
        INFO("case " << c.at("name").get<std::string>() << ": " << c.value("note", ""));
        const auto outcome = run_case<Scalar>(c, tolerance);
        worst = std::max(worst, outcome.worst);
        calls += outcome.calls;
    }
    CHECK(calls > 0);
    WARN(file << " with " << (std::is_same<Scalar, double>::value ? "double" : "float") << ": " << calls
              << " calls, worst relative error " << worst);
}

}  // namespace

TEMPLATE_TEST_CASE("SimpleRNN matches TensorFlow.js golden cases (TF 2.4 semantics)", "[golden][tfjs]", float, double) {
    run_file<TestType>("golden_tfjs.json");
}

TEMPLATE_TEST_CASE("SimpleRNN matches PyTorch float64 golden cases", "[golden][torch]", float, double) {
    run_file<TestType>("golden_torch_f64.json");
}
