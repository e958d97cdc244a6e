// BPTT gradients against TensorFlow.js (tests/data/golden_tfjs_grad.json, tools/golden_grad/generate.mjs): tf.grads
// through a tfjs-ops recurrence with TF 2.4 semantics, cross-checked against the tfjs SimpleRNN layer's own
// gradients wherever tfjs and TF 2.4 agree (the case notes say which cases are ops-only: gelu/exponential,
// zero_output_for_mask, fixed dropout masks, and leading masked steps with an initial state).
//
// The loss is sum(grad_output * output) + sum(grad_state * state), so backward() with those upstream gradients
// must reproduce tfjs' gradients. Every case runs for float and double.
// Tolerance: 2e-5 relative to max(1, |expected|) (the reference is float32 arithmetic with another summation
// order; gradients sum over batch and time).
#include "golden_case.hpp"

#include <elman/backward.hpp>

#include <catch2/catch.hpp>

#include <string>

using elman_test::GoldenCall;
using elman_test::load_json;
using elman_test::max_relative_error;
using elman_test::options_from_config;
using elman_test::set_case_weights;
using elman_test::tensor_from_json;

namespace {

constexpr double kTolerance = 2e-5;

// An Eigen matrix or vector (Keras orientation) against a JSON tensor with the same element order.
template <class Derived>
double matrix_error(const Eigen::MatrixBase<Derived>& actual, const nlohmann::json& expected) {
    const auto e = tensor_from_json<double>(expected);
    const auto a = elman::Tensor<double>::from_matrix(actual.template cast<double>());
    if (a.size() != e.size()) return INFINITY;
    return max_relative_error(a.data(), e.data(), a.size());
}

template <class Layer>
void check_layer(Layer& layer, const nlohmann::json& c) {
    using Scalar = typename Layer::scalar_type;
    set_case_weights(layer, c);

    const GoldenCall<Scalar> call(c);
    const auto& inputs = call.inputs;
    elman::ForwardTrace<Scalar> trace;
    auto args = call.args();
    args.trace = &trace;
    if (!c.at("dropout_seed").is_null()) {
        args.training = true;
        layer.seed_dropout(c.at("dropout_seed").get<std::uint64_t>());
    }
    const auto result = layer(inputs, args);

    // The generator reproduced elman::Random's dropout masks for this seed; make sure they are the ones used.
    for (const char* key : {"dropout_mask", "recurrent_dropout_mask"}) {
        const auto& recorded = std::string(key) == "dropout_mask" ? trace.dropout_mask : trace.recurrent_dropout_mask;
        if (c.at(key).is_null()) {
            CHECK(recorded.size() == 0);
        } else {
            const auto expected = tensor_from_json<double>(c.at(key));
            INFO(key << ": the layer's dropout mask drawing changed; regenerate the golden gradients");
            CHECK(matrix_error(recorded, c.at(key)) < 1e-6);
            CHECK(recorded.size() == expected.size());
        }
    }

    const auto& ex = c.at("expected");
    CHECK(max_relative_error(result.output, tensor_from_json<double>(ex.at("output"))) < kTolerance);
    CHECK(max_relative_error(elman::Tensor<Scalar>::from_matrix(trace.states.bottomRows(trace.batch)),
                             tensor_from_json<double>(ex.at("state"))) < kTolerance);

    const auto grad_output = tensor_from_json<Scalar>(c.at("grad_output"));
    elman::Tensor<Scalar> grad_state;
    std::optional<elman::TensorView<const Scalar>> gs;
    if (!c.at("grad_state").is_null()) {
        grad_state = tensor_from_json<Scalar>(c.at("grad_state"));
        gs = grad_state.view();
    }
    const auto g = elman::backward(layer, trace, result, grad_output.view(), gs);
    CHECK(matrix_error(g.kernel, ex.at("grad_kernel")) < kTolerance);
    CHECK(matrix_error(g.recurrent_kernel, ex.at("grad_recurrent_kernel")) < kTolerance);
    if (ex.at("grad_bias").is_null()) {
        CHECK(g.bias.size() == 0);
    } else {
        CHECK(matrix_error(g.bias, ex.at("grad_bias")) < kTolerance);
    }
    CHECK(max_relative_error(g.inputs, tensor_from_json<double>(ex.at("grad_inputs"))) < kTolerance);
    CHECK(max_relative_error(g.initial_state, tensor_from_json<double>(ex.at("grad_initial_state"))) < kTolerance);
}

/// tanh cases on the typed default layer, every other activation through KerasActivation (one instantiation).
template <class Scalar>
void run_case(const nlohmann::json& c) {
    const auto& cfg = c.at("config");
    const auto units = cfg.at("units").get<elman::Index>();
    const auto activation = cfg.at("activation").get<std::string>();
    if (activation == "tanh") {
        elman::SimpleRNN<Scalar> layer(units, options_from_config(cfg));
        check_layer(layer, c);
    } else {
        elman::SimpleRNN<Scalar, elman::KerasActivation> layer(units, options_from_config(cfg),
                                                               elman::KerasActivation(activation));
        check_layer(layer, c);
    }
}

}  // namespace

TEMPLATE_TEST_CASE("backward matches TensorFlow.js gradients (golden_tfjs_grad.json)", "[backward][golden]", float,
                   double) {
    const auto& doc = load_json("golden_tfjs_grad.json");
    REQUIRE(doc.at("cases").size() >= 90);
    for (const auto& c : doc.at("cases")) {
        INFO("case " << c.at("name").get<std::string>() << " (" << c.at("note").get<std::string>() << ")");
        run_case<TestType>(c);
    }
}
