// SPDX-License-Identifier: MIT
// Run-time dispatch from a Keras activation name to the matching activation type.
#pragma once

#include <elman/activations.hpp>
#include <elman/config.hpp>
#include <elman/exceptions.hpp>

#include <stdexcept>
#include <string>

ELMAN_NAMESPACE_BEGIN

/// Calls `visitor(Activation{})` with the activation type Keras calls `name` (TF 2.4 names; `"None"` and
/// `""` mean linear, as Keras' `activation=None`) and returns its result. The activation is a template
/// parameter of SimpleRNN, so this is how a name read from a config picks an instantiation:
///
///     elman::visit_activation(name, [&](auto act) { elman::SimpleRNN<float, decltype(act)> rnn(units); ... });
///
/// Throws std::invalid_argument naming the unknown activation.
template <class Visitor>
decltype(auto) visit_activation(const std::string& name, Visitor&& visitor) {
    if (name == "tanh") return visitor(Tanh{});
    if (name == "linear" || name == "None" || name.empty()) return visitor(Linear{});
    if (name == "relu") return visitor(Relu{});
    if (name == "sigmoid") return visitor(Sigmoid{});
    if (name == "hard_sigmoid") return visitor(HardSigmoid{});
    if (name == "elu") return visitor(Elu{});
    if (name == "selu") return visitor(Selu{});
    if (name == "softplus") return visitor(Softplus{});
    if (name == "softsign") return visitor(Softsign{});
    if (name == "swish") return visitor(Swish{});
    if (name == "gelu") return visitor(Gelu{});
    if (name == "exponential") return visitor(Exponential{});
    if (name == "softmax") return visitor(Softmax{});
    ELMAN_THROW(
        std::invalid_argument("Unknown activation function: " + name +
                              ". Expected one of the TF 2.4 names: tanh, linear, relu, sigmoid, hard_sigmoid, elu, "
                              "selu, softplus, softsign, swish, gelu, exponential, softmax."));
}

ELMAN_NAMESPACE_END
