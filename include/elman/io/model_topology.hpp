// SPDX-License-Identifier: MIT
// Finding one SimpleRNN layer in a Keras / TensorFlow.js model config (Sequential, Functional or a bare layer).
#pragma once

#include <elman/config.hpp>
#include <elman/io/error.hpp>
#include <elman/io/json.hpp>

#include <string>
#include <vector>

ELMAN_NAMESPACE_BEGIN
namespace io {

/// Which SimpleRNN layer of a model to load: by Keras layer name, or by position among the model's SimpleRNN
/// layers (0 = the first SimpleRNN, whatever other layers come before it). Default: the first one.
struct LayerSelector {
    /// Keras layer name (e.g. "simple_rnn_1"); empty = select by `index`.
    std::string name{};
    /// Position among the SimpleRNN layers when `name` is empty.
    std::size_t index = 0;

    static LayerSelector by_name(std::string n) { return LayerSelector{std::move(n), 0}; }
    static LayerSelector by_index(std::size_t i) { return LayerSelector{{}, i}; }
    std::string describe() const {
        return name.empty() ? "SimpleRNN layer #" + std::to_string(index) : "layer '" + name + "'";
    }
};

/// A layer entry found in a model config.
struct FoundLayer {
    /// `{"class_name": "SimpleRNN", "config": {...}}` (points into the parsed model config).
    const json::Value* entry = nullptr;
    std::string name;
};

namespace detail {

/// The `layers` list of a model config, accepting every form Keras and tfjs write:
/// `{"class_name": "Sequential"|"Functional"|"Model", "config": {"layers": [...]}}`, Keras 1's Sequential
/// config that is the list itself, and tfjs-converter's `{"model_config": {...}}` wrapper.
inline const json::Value& model_layers(const json::Value& topology, const std::string& source) {
    const json::Value* t = &topology;
    if (const json::Value* mc = t->find("model_config")) t = mc;
    if (!t->is_object()) throw FormatError(source, "model config must be a JSON object, got " + t->describe());
    const json::Value* cls = t->find("class_name");
    const json::Value* cfg = t->find("config");
    if (!cls || !cls->is_string()) throw FormatError(source, "model config has no string `class_name`");
    if (!cfg) throw FormatError(source, "model config has no `config`");
    if (cfg->is_array()) return *cfg;
    const json::Value* layers = cfg->find("layers");
    if (!layers || !layers->is_array()) {
        throw FormatError(source, "model config of class \"" + cls->as_string() + "\" has no `layers` list");
    }
    return *layers;
}

inline std::string layer_name(const json::Value& entry) {
    if (const json::Value* n = entry.find("name"); n && n->is_string()) return n->as_string();
    if (const json::Value* c = entry.find("config")) {
        if (const json::Value* n = c->find("name"); n && n->is_string()) return n->as_string();
    }
    return {};
}

}  // namespace detail

/// Names of the SimpleRNN layers of a model config (or of a bare SimpleRNN layer entry), in model order.
inline std::vector<std::string> simple_rnn_layer_names(const json::Value& topology, const std::string& source) {
    std::vector<std::string> names;
    if (const json::Value* cls = topology.find("class_name");
        cls && cls->is_string() && cls->as_string() == "SimpleRNN") {
        names.push_back(detail::layer_name(topology));
        return names;
    }
    for (const json::Value& entry : detail::model_layers(topology, source).items()) {
        const json::Value* cls = entry.find("class_name");
        if (cls && cls->is_string() && cls->as_string() == "SimpleRNN") names.push_back(detail::layer_name(entry));
    }
    return names;
}

/// The selected SimpleRNN layer entry of a model config. Throws FormatError naming the source when it is not
/// there, listing the SimpleRNN layers the model has; selecting a non-SimpleRNN layer by name says which
/// class it is.
inline FoundLayer find_simple_rnn_layer(const json::Value& topology, const LayerSelector& selector,
                                        const std::string& source) {
    if (const json::Value* cls = topology.find("class_name");
        cls && cls->is_string() && cls->as_string() == "SimpleRNN") {
        FoundLayer f{&topology, detail::layer_name(topology)};
        if ((!selector.name.empty() && selector.name != f.name) || (selector.name.empty() && selector.index != 0)) {
            throw FormatError(
                source, "the config describes the single SimpleRNN layer '" + f.name + "', not " + selector.describe());
        }
        return f;
    }
    const json::Value& layers = detail::model_layers(topology, source);
    std::size_t rnn_index = 0;
    std::string available;
    for (const json::Value& entry : layers.items()) {
        if (!entry.is_object()) throw FormatError(source, "model config: a `layers` entry is not an object");
        const json::Value* cls = entry.find("class_name");
        if (!cls || !cls->is_string())
            throw FormatError(source, "model config: a layer entry has no string `class_name`");
        const std::string name = detail::layer_name(entry);
        const bool is_rnn = cls->as_string() == "SimpleRNN";
        if (!selector.name.empty() && name == selector.name) {
            if (!is_rnn) {
                throw FormatError(source, "layer '" + name + "' is a " + cls->as_string() + ", not a SimpleRNN");
            }
            return {&entry, name};
        }
        if (!is_rnn) continue;
        if (selector.name.empty() && rnn_index == selector.index) return {&entry, name};
        available += (available.empty() ? "'" : ", '") + name + "'";
        ++rnn_index;
    }
    throw FormatError(source, "model has no " + selector.describe() + " (its SimpleRNN layers: " +
                                  (available.empty() ? std::string("none") : available) + ")");
}

}  // namespace io
ELMAN_NAMESPACE_END
