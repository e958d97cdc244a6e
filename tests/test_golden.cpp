// Golden cases produced by real Keras implementations (TensorFlow.js layers, PyTorch float64), committed under
// tests/data with the generators in tools/. Every case runs for float and double.
//
// Tolerances (relative to max(1, |expected|)), one table:
//   tfjs (float32 reference):   float 2e-5, double 2e-5   (the reference itself is float32; TF/tfjs use other
//                               summation orders and tanh approximations)
//     long (T=300) / growth:    1e-4                      (rounding accumulates over the sequence / large values)
//   torch float64 reference:    double 1e-12, float 2e-5  (T=500: float 1e-4)
// Cases where TF 2.4 and tfjs differ carry the TF 2.4 value (see tests/data/README.md); the case notes say which.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <type_traits>

using elman_test::load_json;
using elman_test::max_relative_error;
using elman_test::tensor_from_json;

namespace {

elman::SimpleRNNOptions options_from_config(const nlohmann::json& config) {
    elman::SimpleRNNOptions o;
    o.use_bias = config.at("use_bias").get<bool>();
    o.return_sequences = config.at("return_sequences").get<bool>();
    o.return_state = config.at("return_state").get<bool>();
    o.go_backwards = config.at("go_backwards").get<bool>();
    o.stateful = config.at("stateful").get<bool>();
    o.kernel_initializer = elman::Initializer::zeros();  // every case sets its weights
    o.recurrent_initializer = elman::Initializer::zeros();
    return o;
}

double tolerance_for(const nlohmann::json& c, bool float64_reference, bool scalar_is_double) {
    const std::string category = c.value("category", "");
    elman::Index longest = 0;
    for (const auto& step : c.at("steps"))
        if (step.at("op") == "call") longest = std::max(longest, step.at("inputs").at("shape")[1].get<elman::Index>());
    if (float64_reference) {
        if (scalar_is_double) return 1e-12;
        return longest > 100 ? 1e-4 : 2e-5;
    }
    if (category == "growth" || longest > 100) return 1e-4;
    return 2e-5;
}

struct CaseOutcome {
    double worst = 0.0;
    int calls = 0;
};

template <class Scalar>
CaseOutcome run_case(const nlohmann::json& c, double tolerance) {
    CaseOutcome outcome;
    const auto& config = c.at("config");
    const auto units = config.at("units").get<elman::Index>();
    elman::visit_activation(config.at("activation").get<std::string>(), [&](auto activation) {
        using Act = decltype(activation);
        elman::SimpleRNN<Scalar, Act> layer(units, options_from_config(config));
        const auto& w = c.at("weights");
        std::vector<elman::Tensor<Scalar>> weights{tensor_from_json<Scalar>(w.at("kernel")),
                                                   tensor_from_json<Scalar>(w.at("recurrent_kernel"))};
        if (!w.at("bias").is_null()) weights.push_back(tensor_from_json<Scalar>(w.at("bias")));
        layer.set_weights(weights);

        for (const auto& step : c.at("steps")) {
            const std::string op = step.at("op");
            if (op == "reset_states") {
                if (step.contains("states")) {
                    layer.reset_states(tensor_from_json<Scalar>(step.at("states")));
                } else {
                    layer.reset_states();
                }
                continue;
            }
            const auto inputs = tensor_from_json<Scalar>(step.at("inputs"));
            elman::Tensor<double> mask;
            elman::Tensor<Scalar> initial_state;
            elman::ForwardTrace<Scalar> trace;
            typename elman::SimpleRNN<Scalar, Act>::Args args;
            args.trace = &trace;  // the trace's last state block is the final state, whatever return_state says
            if (!step.at("mask").is_null()) {
                mask = tensor_from_json<double>(step.at("mask"));
                args.mask = mask;
            }
            if (!step.at("initial_state").is_null()) {
                initial_state = tensor_from_json<Scalar>(step.at("initial_state"));
                args.initial_state = initial_state.view();
            }
            const auto result = layer(inputs, args);
            const auto expected_output = tensor_from_json<double>(step.at("expected_output"));
            const auto expected_state = tensor_from_json<double>(step.at("expected_state"));
            const double out_err = max_relative_error(result.output, expected_output);
            elman::Tensor<Scalar> final_state({trace.batch, trace.units});
            final_state.matrix() = trace.states.bottomRows(trace.batch);
            const double state_err = max_relative_error(final_state, expected_state);
            INFO("call " << outcome.calls << ": output error " << out_err << ", state error " << state_err
                         << ", tolerance " << tolerance);
            CHECK(out_err <= tolerance);
            CHECK(state_err <= tolerance);
            CHECK(result.state.has_value() == config.at("return_state").get<bool>());
            if (result.state) CHECK(max_relative_error(*result.state, final_state) == 0.0);
            if (config.at("stateful").get<bool>())
                CHECK(max_relative_error(elman::Tensor<Scalar>::from_matrix(layer.states()), final_state) == 0.0);
            outcome.worst = std::max({outcome.worst, out_err, state_err});
            ++outcome.calls;
        }
    });
    return outcome;
}

template <class Scalar>
void run_file(const std::string& file) {
    const auto& data = load_json(file);
    const bool float64_reference = data.at("dtype") == "float64";
    REQUIRE(data.at("cases").size() > 0);
    double worst = 0.0;
    int calls = 0;
    for (const auto& c : data.at("cases")) {
        const double tolerance = tolerance_for(c, float64_reference, std::is_same<Scalar, double>::value);
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
