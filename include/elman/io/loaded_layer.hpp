// SPDX-License-Identifier: MIT
// A SimpleRNN read from a file (config + weights in Keras order) and the factory that turns it into a layer.
#pragma once

#include <elman/activation_registry.hpp>
#include <elman/config.hpp>
#include <elman/io/error.hpp>
#include <elman/io/layer_config.hpp>
#include <elman/simple_rnn.hpp>
#include <elman/tensor.hpp>

#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
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

inline bool host_is_little_endian() noexcept {
    const std::uint16_t probe = 1;
    unsigned char first = 0;
    std::memcpy(&first, &probe, 1);
    return first == 1;
}

/// Decodes `count` IEEE floats of `bytes_per_value` (4 or 8) bytes in the given byte order into `out`.
/// Float32 data fills float or double exactly; float64 data is accepted only for a double layer, since
/// narrowing would silently change the weights.
template <class Scalar>
void decode_floats(const unsigned char* bytes, std::size_t count, int bytes_per_value, bool little_endian, Scalar* out,
                   const std::string& source, const std::string& what) {
    if (bytes_per_value == 8 && !std::is_same<Scalar, double>::value) {
        throw FormatError(source, what +
                                      " holds float64 values but the layer is float32; convert the weights "
                                      "with .astype('float32') (as Keras stores them) or load into a double layer");
    }
    if (bytes_per_value != 4 && bytes_per_value != 8) {
        throw FormatError(source,
                          what + " holds " + std::to_string(8 * bytes_per_value) + "-bit floats; expected float32");
    }
    const bool swap = little_endian != host_is_little_endian();
    unsigned char buf[8];
    for (std::size_t i = 0; i < count; ++i) {
        const unsigned char* p = bytes + i * static_cast<std::size_t>(bytes_per_value);
        for (int b = 0; b < bytes_per_value; ++b) buf[b] = swap ? p[bytes_per_value - 1 - b] : p[b];
        if (bytes_per_value == 4) {
            float f;
            std::memcpy(&f, buf, 4);
            out[i] = static_cast<Scalar>(f);
        } else {
            double d;
            std::memcpy(&d, buf, 8);
            out[i] = static_cast<Scalar>(d);
        }
    }
}

/// Position of kernel, recurrent_kernel and bias in a list of weight names such as
/// "simple_rnn_1/simple_rnn_cell_1/kernel:0" (Keras .h5) or "encoder/kernel" (tfjs): matched by the last
/// path component without the ":0" suffix, never by a hard-coded path, so uniquified names load.
struct WeightSlots {
    std::size_t kernel = 0, recurrent_kernel = 0, bias = 0;
    bool has_bias = false;
};

inline std::string weight_role(const std::string& name) {
    std::string base = name.substr(name.find_last_of('/') == std::string::npos ? 0 : name.find_last_of('/') + 1);
    const std::size_t colon = base.find(':');
    if (colon != std::string::npos) base.resize(colon);
    return base;
}

inline WeightSlots weight_slots(const std::vector<std::string>& names, const std::string& source,
                                const std::string& layer) {
    WeightSlots s;
    bool have_k = false, have_r = false;
    for (std::size_t i = 0; i < names.size(); ++i) {
        const std::string role = weight_role(names[i]);
        bool* seen = role == "kernel"             ? &have_k
                     : role == "recurrent_kernel" ? &have_r
                     : role == "bias"             ? &s.has_bias
                                                  : nullptr;
        if (!seen) {
            throw FormatError(source, "layer '" + layer + "': unexpected weight '" + names[i] +
                                          "' (a SimpleRNN has kernel, recurrent_kernel and bias)");
        }
        if (*seen) throw FormatError(source, "layer '" + layer + "': duplicate weight '" + names[i] + "'");
        *seen = true;
        (role == "kernel" ? s.kernel : role == "recurrent_kernel" ? s.recurrent_kernel : s.bias) = i;
    }
    if (!have_k) throw FormatError(source, "layer '" + layer + "': missing weight 'kernel'");
    if (!have_r) throw FormatError(source, "layer '" + layer + "': missing weight 'recurrent_kernel'");
    return s;
}

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

/// Builds `SimpleRNN<Scalar, A>` for the activation named in `config` and returns `visitor(layer)` (the
/// visitor must return the same type for every activation, e.g. void or a result tensor). The weights are
/// not built yet unless the config has an input dimension; then they come from the config's initializers.
/// Throws FormatError naming `source` for an activation this library does not have.
template <class Scalar, class Visitor>
decltype(auto) visit_layer(const LayerConfig& config, Visitor&& visitor, const std::string& source = "<config>") {
    try {
        return visit_activation(config.activation, [&](auto activation) -> decltype(auto) {
            SimpleRNN<Scalar, decltype(activation)> layer(config.units, config.options);
            return visitor(layer);
        });
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
