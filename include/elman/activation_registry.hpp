// SPDX-License-Identifier: MIT
// Run-time dispatch from a Keras activation name to the matching activation type.
#pragma once

#include <elman/activations.hpp>
#include <elman/config.hpp>
#include <elman/exceptions.hpp>

#include <Eigen/Core>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

ELMAN_NAMESPACE_BEGIN

/// The activations a Keras name can select, in the order error messages list them. The one list of names:
/// each type's `keras_name` is its name (plus `"None"` and `""` for Linear, as Keras' `activation=None`);
/// visit_activation and the config reader (io/layer_config.hpp) both resolve names through it.
using KerasActivations = std::tuple<Tanh, Linear, Relu, Sigmoid, HardSigmoid, Elu, Selu, Softplus, Softsign, Swish,
                                    Gelu, Exponential, Softmax, HardSigmoidKeras3>;

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

/// The position in KerasActivations of the activation Keras calls `name`; throws std::invalid_argument.
template <std::size_t... I>
std::size_t activation_index(const std::string& name, std::index_sequence<I...>) {
    std::size_t index = sizeof...(I);
    // The first match wins (the tuple order), as it would in a chain of ifs.
    ((index == sizeof...(I) && activation_has_name<std::tuple_element_t<I, KerasActivations>>(name) ? index = I : 0),
     ...);
    if (index == sizeof...(I)) {
        ELMAN_THROW(std::invalid_argument("Unknown activation function: " + name +
                                          ". Expected one of the Keras names elman knows: " +
                                          activation_name_list(static_cast<KerasActivations*>(nullptr)) + "."));
    }
    return index;
}

template <std::size_t I, class Visitor>
decltype(auto) visit_activation_at(std::size_t index, Visitor& visitor) {
    if constexpr (I + 1 == std::tuple_size<KerasActivations>::value) {
        return visitor(std::tuple_element_t<I, KerasActivations>{});
    } else {
        if (index == I) return visitor(std::tuple_element_t<I, KerasActivations>{});
        return visit_activation_at<I + 1>(index, visitor);
    }
}

template <std::size_t... I>
const char* activation_name_at(std::size_t index, std::index_sequence<I...>) noexcept {
    static constexpr const char* names[] = {std::tuple_element_t<I, KerasActivations>::keras_name...};
    return names[index];
}

template <class Activation, std::size_t... I>
constexpr std::size_t activation_position(std::index_sequence<I...>) noexcept {
    std::size_t index = sizeof...(I);
    ((std::is_same<Activation, std::tuple_element_t<I, KerasActivations>>::value ? index = I : 0), ...);
    return index;
}

}  // namespace detail

/// An activation chosen at run time: any one of KerasActivations behind a single type, for layers whose
/// activation comes from a config (the model runtime, the loaders). `SimpleRNN<Scalar, KerasActivation>` is one
/// instantiation of the layer for every Keras name, where `SimpleRNN<Scalar, A>` would be one per activation; the
/// arithmetic is the typed activation's, picked once per block of rows, so the results are bit-identical to
/// `SimpleRNN<Scalar, A>` (float tanh included, which runs on the layer's SIMD kernel either way).
class KerasActivation {
  public:
    /// tanh, SimpleRNN's default.
    KerasActivation() noexcept = default;
    /// The activation Keras calls `name` (TF 2.4 names; "None" and "" mean linear). Throws std::invalid_argument
    /// naming an unknown activation and listing the known ones.
    explicit KerasActivation(const std::string& name)
        : index_(detail::activation_index(name, std::make_index_sequence<count>{})) {}

    /// The run-time form of the typed activation `Activation` (one of KerasActivations).
    template <class Activation>
    static KerasActivation of() noexcept {
        constexpr std::size_t index = detail::activation_position<Activation>(std::make_index_sequence<count>{});
        static_assert(index < count, "KerasActivation::of<A>: A is not one of KerasActivations");
        KerasActivation a;
        a.index_ = index;
        return a;
    }

    /// The canonical Keras name ("linear" for "None").
    const char* name() const noexcept { return detail::activation_name_at(index_, std::make_index_sequence<count>{}); }
    /// Whether this is the typed activation `Activation`.
    template <class Activation>
    bool is() const noexcept {
        return index_ == detail::activation_position<Activation>(std::make_index_sequence<count>{});
    }
    /// Returns `visitor(A{})` for the typed activation A this holds (the visitor must return one type for all).
    template <class Visitor>
    decltype(auto) visit(Visitor&& visitor) const {
        return detail::visit_activation_at<0>(index_, visitor);
    }

    /// The activation interface of activations.hpp, forwarded to the typed activation.
    template <class Z, class Y>
    void forward(const Eigen::ArrayBase<Z>& z, Y&& y) const {
        visit([&](auto activation) { activation.forward(z, y); });
    }
    template <class Z, class Y, class G, class GZ>
    void backward(const Eigen::ArrayBase<Z>& z, const Eigen::ArrayBase<Y>& y, const Eigen::ArrayBase<G>& gy,
                  GZ&& gz) const {
        visit([&](auto activation) { activation.backward(z, y, gy, gz); });
    }

    friend bool operator==(const KerasActivation& a, const KerasActivation& b) noexcept { return a.index_ == b.index_; }
    friend bool operator!=(const KerasActivation& a, const KerasActivation& b) noexcept { return !(a == b); }

  private:
    static constexpr std::size_t count = std::tuple_size<KerasActivations>::value;
    std::size_t index_ = 0;  // KerasActivations starts with Tanh
};

/// Calls `visitor(Activation{})` with the activation type Keras calls `name` (TF 2.4 names, KerasActivations;
/// `"None"` and `""` mean linear, as Keras' `activation=None`) and returns its result. For a layer, prefer
/// `SimpleRNN<Scalar, KerasActivation>` (one instantiation for every name); this is for code that needs the type:
///
///     elman::visit_activation(name, [&](auto act) { elman::SimpleRNN<float, decltype(act)> rnn(units); ... });
///
/// Throws std::invalid_argument naming the unknown activation.
template <class Visitor>
decltype(auto) visit_activation(const std::string& name, Visitor&& visitor) {
    return KerasActivation(name).visit(visitor);
}

/// The canonical Keras name of the activation `name` selects ("None" and "" give "linear"). Throws
/// std::invalid_argument naming an unknown activation, as visit_activation.
inline std::string canonical_activation_name(const std::string& name) { return KerasActivation(name).name(); }

ELMAN_NAMESPACE_END
