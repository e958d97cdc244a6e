// SPDX-License-Identifier: MIT
// Run-time dispatch from a Keras activation name to the matching activation type.
#pragma once

#include <elman/activations.hpp>
#include <elman/config.hpp>
#include <elman/exceptions.hpp>

#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>

ELMAN_NAMESPACE_BEGIN

/// The activations a Keras name can select, in the order error messages list them. The one list of names:
/// each type's `keras_name` is its name (plus `"None"` and `""` for Linear, as Keras' `activation=None`);
/// visit_activation and the config reader (io/layer_config.hpp) both resolve names through it.
using KerasActivations = std::tuple<Tanh, Linear, Relu, Sigmoid, HardSigmoid, Elu, Selu, Softplus, Softsign, Swish,
                                    Gelu, Exponential, Softmax>;

namespace detail {

template <class Activation>
bool activation_has_name(const std::string& name) {
    if (std::is_same<Activation, Linear>::value && (name == "None" || name.empty())) return true;
    return name == Activation::keras_name;
}

template <class... Activations>
std::string activation_name_list(std::tuple<Activations...>*) {
    std::string list;
    ((list += (list.empty() ? "" : ", ") + std::string(Activations::keras_name)), ...);
    return list;
}

template <class Visitor, class First, class... Rest>
decltype(auto) visit_activation_in(const std::string& name, Visitor& visitor, std::tuple<First, Rest...>*) {
    if (activation_has_name<First>(name)) return visitor(First{});
    if constexpr (sizeof...(Rest) > 0) {
        return visit_activation_in(name, visitor, static_cast<std::tuple<Rest...>*>(nullptr));
    } else {
        ELMAN_THROW(std::invalid_argument("Unknown activation function: " + name +
                                          ". Expected one of the TF 2.4 names: " +
                                          activation_name_list(static_cast<KerasActivations*>(nullptr)) + "."));
    }
}

}  // namespace detail

/// Calls `visitor(Activation{})` with the activation type Keras calls `name` (TF 2.4 names, KerasActivations;
/// `"None"` and `""` mean linear, as Keras' `activation=None`) and returns its result. The activation is a
/// template parameter of SimpleRNN, so this is how a name read from a config picks an instantiation:
///
///     elman::visit_activation(name, [&](auto act) { elman::SimpleRNN<float, decltype(act)> rnn(units); ... });
///
/// Throws std::invalid_argument naming the unknown activation.
template <class Visitor>
decltype(auto) visit_activation(const std::string& name, Visitor&& visitor) {
    return detail::visit_activation_in(name, visitor, static_cast<KerasActivations*>(nullptr));
}

/// The canonical Keras name of the activation `name` selects ("None" and "" give "linear"). Throws
/// std::invalid_argument naming an unknown activation, as visit_activation.
inline std::string canonical_activation_name(const std::string& name) {
    return visit_activation(name, [](auto activation) { return std::string(decltype(activation)::keras_name); });
}

ELMAN_NAMESPACE_END
