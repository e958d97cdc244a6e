// SPDX-License-Identifier: MIT
// The model config a saved file stores, made from the config a Model was built from: activation names in the
// spelling of the file's Keras version, and Keras 2 configs (tf.keras 2.x, tfjs, translated Keras 1) rewritten
// in Keras 3's form when the file is a Keras 3 one. The writing-side twin of io/keras_translate.hpp.
#pragma once

#include <elman/config.hpp>
#include <elman/io/error.hpp>
#include <elman/io/json.hpp>
#include <elman/io/keras_translate.hpp>
#include <elman/io/layer_config.hpp>
#include <elman/io/model_topology.hpp>

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

ELMAN_NAMESPACE_BEGIN
namespace io {
namespace detail {

/// Keras 3 writes a config in its own form: serialized objects carry `module` (a layer's dtype policy and
/// initializers even in Keras 3's legacy h5, whose layer entries lack it), an InputLayer has `batch_shape`,
/// Functional inbound nodes are `{"args": [...], "kwargs": {...}}`. Keras 2 configs have none of these.
inline bool is_keras3_form(const json::Value& v) {
    return any_object(v,
                      [](const json::Value& o) { return o.find("module") || o.find("batch_shape") || o.find("args"); });
}

/// Rewrites the `activation` of every layer config (wrapped layers included) through `rename(name, layer)`.
template <class Rename>
json::Value map_activations(const json::Value& v, const Rename& rename, const std::string& layer = "?") {
    if (v.is_array()) {
        json::Value out = json::Value::array();
        for (const json::Value& e : v.items()) out.push_back(map_activations(e, rename, layer));
        return out;
    }
    if (!v.is_object()) return v;
    std::string here = layer;
    if (const json::Value* n = v.find("name"); n && n->is_string()) here = n->as_string();
    json::Value out = json::Value::object();
    for (std::size_t i = 0; i < v.size(); ++i) {
        const std::string& k = v.keys()[i];
        if (k == "activation" && v[i].is_string()) {
            out.set(k, json::Value(rename(v[i].as_string(), here)));
        } else if (k == "activation" && v[i].is_object()) {
            json::Value a = v[i];
            if (const json::Value* c = a.find("class_name"); c && c->is_string())
                a.set("class_name", json::Value(rename(c->as_string(), here)));
            out.set(k, std::move(a));
        } else {
            out.set(k, map_activations(v[i], rename, here));
        }
    }
    return out;
}

/// The activation names of `config` (built with Keras 3 semantics or not) as a file of the other kind or the
/// same kind spells them. A name the file cannot express is refused naming the layer: TF 2.x's hard_sigmoid
/// (clip(0.2 x + 0.5, 0, 1)) has no Keras 3 name, Keras 3's (relu6(x + 3) / 6) no TF 2.x one.
inline json::Value file_activations(const json::Value& config, bool model_keras3, bool file_keras3,
                                    const std::string& target) {
    return map_activations(config, [&](const std::string& spelled, const std::string& layer) -> std::string {
        const std::string name = keras_spelling(spelled);  // tfjs' hardSigmoid is hard_sigmoid
        if (!file_keras3) {
            if (name == "hard_sigmoid_keras3")
                throw FormatError(target, "layer '" + layer +
                                              "': Keras 3's hard_sigmoid (relu6(x + 3) / 6) has no TF 2.x name; "
                                              "save the model as a Keras 3 file (.keras)");
            return name;
        }
        if (!model_keras3 && name == "hard_sigmoid")
            throw FormatError(target, "layer '" + layer +
                                          "': TF 2.x's hard_sigmoid (clip(0.2 x + 0.5, 0, 1)) has no Keras 3 name "
                                          "(Keras 3's hard_sigmoid is relu6(x + 3) / 6); save the model as a "
                                          "tf.keras .h5 file");
        for (const Keras3ActivationName& a : keras3_activation_names)
            if (name == a.elman) return a.file;
        return name;
    });
}

/// What both Kerases read but tfjs spells its own way, in Keras' spelling: a Reshape's unknown extent is -1
/// (tfjs writes null, on which tf.keras' and Keras 3's Reshape fail).
inline json::Value keras_reshape_targets(const json::Value& v) {
    if (v.is_array()) {
        json::Value out = json::Value::array();
        for (const json::Value& e : v.items()) out.push_back(keras_reshape_targets(e));
        return out;
    }
    if (!v.is_object()) return v;
    const json::Value* cls = v.find("class_name");
    const bool reshape = cls && cls->is_string() && cls->as_string() == "Reshape";
    json::Value out = json::Value::object();
    for (std::size_t i = 0; i < v.size(); ++i) {
        const std::string& k = v.keys()[i];
        if (reshape && k == "config" && v[i].is_object()) {
            json::Value cfg = json::Value::object();
            for (std::size_t j = 0; j < v[i].size(); ++j) {
                const std::string& ck = v[i].keys()[j];
                if (ck == "target_shape" && v[i][j].is_array()) {
                    json::Value target = json::Value::array();
                    for (const json::Value& d : v[i][j].items()) target.push_back(d.is_null() ? json::Value(-1) : d);
                    cfg.set(ck, std::move(target));
                } else {
                    cfg.set(ck, v[i][j]);
                }
            }
            out.set(k, std::move(cfg));
        } else {
            out.set(k, keras_reshape_targets(v[i]));
        }
    }
    return out;
}

/// `{"module": m, "class_name": c, "config": cfg, "registered_name": null}`, Keras 3's serialized object.
inline json::Value keras3_object(const std::string& module, const std::string& class_name, json::Value config) {
    json::Value out = json::Value::object();
    out.set("module", json::Value(module));
    out.set("class_name", json::Value(class_name));
    out.set("config", std::move(config));
    out.set("registered_name", json::Value());
    return out;
}

inline json::Value keras3_dtype_policy(const json::Value* dtype) {
    std::string name = "float32";
    if (dtype && dtype->is_string()) name = dtype->as_string();
    if (dtype && dtype->is_object())
        if (const json::Value* c = dtype->find("config"))
            if (const json::Value* n = c->find("name"); n && n->is_string()) name = n->as_string();
    json::Value cfg = json::Value::object();
    cfg.set("name", json::Value(name));
    return keras3_object("keras", "DTypePolicy", std::move(cfg));
}

/// An initializer / regularizer / constraint `{"class_name", "config"}` in Keras 3's form. tf.keras 2.x and
/// tfjs write VarianceScaling's truncated normal as "normal", which Keras 3 no longer accepts.
inline json::Value keras3_component(const json::Value& v, const std::string& module) {
    const json::Value* cls = v.find("class_name");
    if (!v.is_object() || !cls || !cls->is_string() || v.find("module")) return v;
    json::Value cfg = json::Value::object();
    if (const json::Value* c = v.find("config"); c && c->is_object()) {
        for (std::size_t i = 0; i < c->size(); ++i) {
            const std::string& k = c->keys()[i];
            const bool normal = cls->as_string() == "VarianceScaling" && k == "distribution" && (*c)[i].is_string() &&
                                (*c)[i].as_string() == "normal";
            cfg.set(k, normal ? json::Value("truncated_normal") : (*c)[i]);
        }
    }
    return keras3_object(module, cls->as_string(), std::move(cfg));
}

/// An InputLayer's config as Keras 3 serializes it.
inline json::Value keras3_input_config(json::Value batch_shape, json::Value dtype, json::Value sparse,
                                       json::Value ragged, const std::string& name) {
    json::Value cfg = json::Value::object();
    cfg.set("batch_shape", std::move(batch_shape));
    cfg.set("dtype", std::move(dtype));
    cfg.set("sparse", std::move(sparse));
    cfg.set("ragged", std::move(ragged));
    cfg.set("name", json::Value(name));
    return cfg;
}

/// Where Keras 3 finds a model class: Sequential as keras.Sequential; Functional, which has no keras.* export,
/// by its module path and registered name.
inline const char* keras3_model_module(bool sequential) { return sequential ? "keras" : "keras.src.models.functional"; }
inline json::Value keras3_model_registered_name(bool sequential) {
    return sequential ? json::Value() : json::Value("Functional");
}

inline bool ends_with(const std::string& s, const char* suffix) {
    const std::string x(suffix);
    return s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0;
}

/// One Keras 2 layer entry in Keras 3's form. Input-shape keys leave the layer (Keras 3 carries the shape on
/// an InputLayer only); `time_major` and `implementation`, which Keras 3's constructors refuse, are dropped
/// when they have their only meaning there (time_major=true cannot be written). Functional entries keep their
/// name and get Keras 3 inbound nodes.
inline json::Value keras3_layer(const json::Value& entry, bool functional, const std::string& target) {
    const std::string cls = entry.find("class_name")->as_string();
    const json::Value& c = *entry.find("config");
    const std::string name = layer_name(entry);
    json::Value cfg = json::Value::object();
    if (cls == "InputLayer") {
        const json::Value* shape = c.find("batch_shape") ? c.find("batch_shape") : c.find("batch_input_shape");
        const json::Value* dtype = c.find("dtype");
        const json::Value* sparse = c.find("sparse");
        const json::Value* ragged = c.find("ragged");
        cfg = keras3_input_config(shape ? *shape : json::Value(),
                                  dtype && dtype->is_string() ? *dtype : json::Value("float32"),
                                  sparse && sparse->is_bool() ? *sparse : json::Value(false),
                                  ragged && ragged->is_bool() ? *ragged : json::Value(false), name);
    } else {
        for (std::size_t i = 0; i < c.size(); ++i) {
            const std::string& k = c.keys()[i];
            const json::Value& v = c[i];
            if (k == "batch_input_shape" || k == "input_shape" || k == "batch_size" || k == "input_length" ||
                k == "implementation" || k == "enable_caching_device" || (k == "input_dim" && cls != "Embedding"))
                continue;
            // Keras 3's SpatialDropout1D(rate, seed, name, dtype) takes no other argument.
            if (cls == "SpatialDropout1D" && k != "rate" && k != "seed" && k != "name" && k != "dtype") continue;
            if (k == "time_major") {
                if (v.is_bool() && v.as_bool())
                    throw FormatError(target, "layer '" + name + "' (" + cls +
                                                  "): time_major=True has no Keras 3 equivalent; save the model "
                                                  "as a tf.keras .h5 file");
                continue;
            }
            if (k == "dtype")
                cfg.set(k, keras3_dtype_policy(&v));
            else if ((k == "layer" || k == "backward_layer") && v.is_object() && v.find("class_name") &&
                     v.find("config"))
                cfg.set(k, keras3_layer(v, false, target));
            else if (ends_with(k, "_initializer"))
                cfg.set(k, keras3_component(v, "keras.initializers"));
            else if (ends_with(k, "_regularizer"))
                cfg.set(k, keras3_component(v, "keras.regularizers"));
            else if (ends_with(k, "_constraint"))
                cfg.set(k, keras3_component(v, "keras.constraints"));
            else
                cfg.set(k, v);
        }
        if (!cfg.find("dtype")) cfg.set("dtype", keras3_dtype_policy(nullptr));
    }
    json::Value out = keras3_object("keras.layers", cls, std::move(cfg));
    if (!functional) return out;
    // Keras 3 writes `{"args": [__keras_tensor__ with its shape], "kwargs"}` nodes; the Keras 2 list form it
    // still reads (functional.deserialize_node's legacy case) needs no tensor shapes, which a config lacks.
    out.set("name", json::Value(name));
    const json::Value* in = entry.find("inbound_nodes");
    out.set("inbound_nodes", in ? *in : json::Value::array());
    return out;
}

/// A Keras 2 model config (`Sequential` with or without an InputLayer, `Functional` / `Model`) in Keras 3's
/// form. A Sequential model gets the InputLayer Keras 3 requires, of shape `input_shape` (batch first, -1 for
/// None), unless it has one.
inline json::Value keras3_model_config(const json::Value& topology, const std::vector<long long>& input_shape,
                                       const std::string& model_name, const std::string& target) {
    const json::Value* t = topology.find("model_config") ? topology.find("model_config") : &topology;
    const bool sequential = t->find("class_name")->as_string() == "Sequential";
    const json::Value& layers = model_layers(topology, target);
    json::Value out_layers = json::Value::array();
    json::Value shape = json::Value::array();
    for (const long long d : input_shape) shape.push_back(d < 0 ? json::Value() : json::Value(d));
    if (sequential) {
        const json::Value* first = layers.size() ? layers[0].find("class_name") : nullptr;
        if (!first || first->as_string() != "InputLayer")
            out_layers.push_back(
                keras3_object("keras.layers", "InputLayer",
                              keras3_input_config(shape, json::Value("float32"), json::Value(false), json::Value(false),
                                                  layer_name(layers[0]) + "_input")));
    }
    for (const json::Value& entry : layers.items()) out_layers.push_back(keras3_layer(entry, !sequential, target));
    json::Value cfg = json::Value::object();
    cfg.set("name", json::Value(model_name));
    cfg.set("trainable", json::Value(true));
    if (sequential) cfg.set("dtype", keras3_dtype_policy(nullptr));
    cfg.set("layers", std::move(out_layers));
    if (!sequential) {
        const json::Value* c = t->find("config");
        for (const char* k : {"input_layers", "output_layers"})
            if (const json::Value* v = c->find(k)) cfg.set(k, *v);
    }
    json::Value out =
        keras3_object(keras3_model_module(sequential), sequential ? "Sequential" : "Functional", std::move(cfg));
    out.set("registered_name", keras3_model_registered_name(sequential));
    if (sequential) {
        json::Value build = json::Value::object();
        build.set("input_shape", std::move(shape));
        out.set("build_config", std::move(build));
    }
    return out;
}

}  // namespace detail
}  // namespace io
ELMAN_NAMESPACE_END
