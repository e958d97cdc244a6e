// SPDX-License-Identifier: MIT
// A SimpleRNN read from a file (config + weights in Keras order) and the factory that turns it into a layer.
#pragma once

#include <elman/activation_registry.hpp>
#include <elman/config.hpp>
#include <elman/io/error.hpp>
#include <elman/io/layer_config.hpp>
#include <elman/shape.hpp>
#include <elman/simple_rnn.hpp>
#include <elman/tensor.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

ELMAN_NAMESPACE_BEGIN
namespace io {

/// What a loader found for one SimpleRNN layer.
template <class Scalar>
struct LoadedLayer {
    /// The layer's Keras config; empty for formats that store weights only (.npz / .npy).
    std::optional<LayerConfig> config{};
    /// `[kernel [F,U], recurrent_kernel [U,U], bias [U]]` (no bias without use_bias): `get_weights()` order.
    std::vector<Tensor<Scalar>> weights{};
    /// The file it came from, for messages.
    std::string source{};
};

namespace detail {

/// Checks the weights against the config before any layer is touched, so a mismatch names the file.
template <class Scalar>
void check_weights(const LoadedLayer<Scalar>& loaded) {
    const std::string& src = loaded.source;
    const auto& w = loaded.weights;
    if (w.size() != 2 && w.size() != 3) {
        throw FormatError(
            src, "expected 2 or 3 weight arrays (kernel, recurrent_kernel[, bias]), found " + std::to_string(w.size()));
    }
    const Shape& k = w[0].shape();
    if (k.rank() != 2) throw FormatError(src, "kernel must be 2-D [features, units], found shape " + k.to_string());
    const Index units = k[1];
    if (w[1].shape() != Shape{units, units}) {
        throw FormatError(src, "recurrent_kernel must be " + Shape{units, units}.to_string() + " to match the kernel " +
                                   k.to_string() + ", found " + w[1].shape().to_string());
    }
    if (w.size() == 3 && w[2].shape() != Shape{units}) {
        throw FormatError(src, "bias must be " + Shape{units}.to_string() + ", found " + w[2].shape().to_string());
    }
    if (!loaded.config) return;
    const LayerConfig& c = *loaded.config;
    const std::string layer = "layer '" + c.options.name + "': ";
    if (units != c.units) {
        throw FormatError(
            src, layer + "config has units=" + std::to_string(c.units) + " but the kernel is " + k.to_string());
    }
    if (c.options.input_dim > 0 && k[0] != c.options.input_dim) {
        throw FormatError(src, layer + "config has input dimension " + std::to_string(c.options.input_dim) +
                                   " but the kernel is " + k.to_string());
    }
    if ((w.size() == 3) != c.options.use_bias) {
        throw FormatError(src, layer + "config has use_bias=" + (c.options.use_bias ? "true" : "false") + " but " +
                                   std::to_string(w.size()) + " weight arrays are stored");
    }
}

}  // namespace detail

/// Builds `SimpleRNN<Scalar, KerasActivation>` for the activation named in `config` and returns
/// `visitor(layer)`. The weights are not built yet unless the config has an input dimension; then they come from
/// the config's initializers. Throws FormatError naming `source` for an activation this library does not have
/// (and for any std::invalid_argument of the construction or the visitor).
/// (One layer type for every activation name; `layer.activation().is<elman::Tanh>()` tells which it is.)
template <class Scalar, class Visitor>
decltype(auto) visit_layer(const LayerConfig& config, Visitor&& visitor, const std::string& source = "<config>") {
    try {
        SimpleRNN<Scalar, KerasActivation> layer(config.units, config.options, KerasActivation(config.activation));
        return visitor(layer);
    } catch (const FormatError&) {
        throw;
    } catch (const std::invalid_argument& e) {
        throw FormatError(source, e.what());
    }
}

/// Builds the layer a loader found (config + weights) and returns `visitor(layer)`; the layer already holds
/// the stored weights. Without a stored config (.npz / .npy) `fallback` supplies units, activation and
/// options; its `units` must then match the kernel. Weight/config mismatches throw FormatError.
template <class Scalar, class Visitor>
decltype(auto) visit_layer(const LoadedLayer<Scalar>& loaded, Visitor&& visitor,
                           const std::optional<LayerConfig>& fallback = std::nullopt) {
    const LayerConfig* config = loaded.config ? &*loaded.config : (fallback ? &*fallback : nullptr);
    if (!config) {
        throw FormatError(loaded.source,
                          "the file stores weights only; pass a LayerConfig (units, activation, options)");
    }
    if (loaded.config) {
        detail::check_weights(loaded);
    } else {
        LoadedLayer<Scalar> probe;
        probe.config = *config;
        probe.source = loaded.source;
        probe.weights = loaded.weights;
        detail::check_weights(probe);
    }
    LayerConfig build = *config;
    build.options.input_dim = 0;  // the stored kernel builds the layer; no initializer runs for nothing
    return visit_layer<Scalar>(
        build,
        [&](auto& layer) -> decltype(auto) {
            try {
                layer.set_weights(loaded.weights);
            } catch (const std::invalid_argument& e) {
                throw FormatError(loaded.source, e.what());
            }
            return visitor(layer);
        },
        loaded.source);
}

}  // namespace io
ELMAN_NAMESPACE_END
