// The plumbing every golden-data test shares: a case's layer options, weights and call arguments, and the
// tolerance table. Cases come from tests/data/golden_*.json (generators in tools/golden*/).
#pragma once

#include "support.hpp"

#include <elman/elman.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace elman_test {

/// SimpleRNNOptions from a case's "config". The weights come from the case, so the initializers are zeros
/// (no random draws). Keys only some files carry (zero_output_for_mask, dropout rates, stateful) are optional.
inline elman::SimpleRNNOptions options_from_config(const nlohmann::json& config) {
    elman::SimpleRNNOptions o;
    o.use_bias = config.at("use_bias").get<bool>();
    o.return_sequences = config.at("return_sequences").get<bool>();
    o.return_state = config.at("return_state").get<bool>();
    o.go_backwards = config.at("go_backwards").get<bool>();
    o.stateful = config.value("stateful", false);
    o.zero_output_for_mask = config.value("zero_output_for_mask", false);
    o.dropout = config.value("dropout", 0.0);
    o.recurrent_dropout = config.value("recurrent_dropout", 0.0);
    o.kernel_initializer = elman::Initializer::zeros();
    o.recurrent_initializer = elman::Initializer::zeros();
    return o;
}

/// Tolerance relative to max(1, |expected|) for a forward golden case:
///   tfjs (float32 reference):  2e-5 for float and double (the reference itself is float32; TF/tfjs use other
///                              summation orders and tanh approximations); 1e-4 for long sequences (T > 100,
///                              rounding accumulates) and the "growth" category (large values)
///   float64 reference (torch): double 1e-12; float 2e-5, 1e-4 for T > 100
inline double golden_tolerance(const nlohmann::json& c, bool float64_reference, bool scalar_is_double) {
    elman::Index longest = 0;
    for (const auto& step : c.at("steps"))
        if (step.at("op") == "call") longest = std::max(longest, step.at("inputs").at("shape")[1].get<elman::Index>());
    if (float64_reference) {
        if (scalar_is_double) return 1e-12;
        return longest > 100 ? 1e-4 : 2e-5;
    }
    if (c.value("category", "") == "growth" || longest > 100) return 1e-4;
    return 2e-5;
}

/// layer.set_weights from the case's "weights" (kernel, recurrent_kernel, bias or null).
template <class Layer>
void set_case_weights(Layer& layer, const nlohmann::json& c) {
    using Scalar = typename Layer::scalar_type;
    const auto& w = c.at("weights");
    std::vector<elman::Tensor<Scalar>> weights{tensor_from_json<Scalar>(w.at("kernel")),
                                               tensor_from_json<Scalar>(w.at("recurrent_kernel"))};
    if (!w.at("bias").is_null()) weights.push_back(tensor_from_json<Scalar>(w.at("bias")));
    layer.set_weights(weights);
}

/// A "reset_states" step (with or without "states") applied to `layer`; false when `step` is something else.
template <class Layer>
bool apply_reset_step(Layer& layer, const nlohmann::json& step) {
    using Scalar = typename Layer::scalar_type;
    if (step.at("op") != "reset_states") return false;
    if (step.contains("states")) {
        layer.reset_states(tensor_from_json<Scalar>(step.at("states")));
    } else {
        layer.reset_states();
    }
    return true;
}

/// One golden call's arguments, owned here: "inputs", and "mask" / "initial_state" (null = none).
/// args() returns CallArgs viewing them, so a GoldenCall stays where it is (no copies or moves).
template <class Scalar>
struct GoldenCall {
    explicit GoldenCall(const nlohmann::json& j) : inputs(tensor_from_json<Scalar>(j.at("inputs"))) {
        if (!j.at("mask").is_null()) mask = tensor_from_json<double>(j.at("mask"));
        if (!j.at("initial_state").is_null()) initial_state = tensor_from_json<Scalar>(j.at("initial_state"));
    }
    GoldenCall(const GoldenCall&) = delete;
    GoldenCall& operator=(const GoldenCall&) = delete;

    elman::CallArgs<Scalar> args() const {
        elman::CallArgs<Scalar> a;
        if (mask) a.mask = *mask;
        if (initial_state) a.initial_state = initial_state->view();
        return a;
    }

    elman::Tensor<Scalar> inputs;
    std::optional<elman::Tensor<double>> mask;
    std::optional<elman::Tensor<Scalar>> initial_state;
};

}  // namespace elman_test
