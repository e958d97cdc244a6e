// SPDX-License-Identifier: MIT
// The one JSON-to-JSON step between a model config as a file stores it and the model config readers
// (model/keras_config.hpp, io/layer_config.hpp): Keras 1 layer configs become Keras 2 ones, and under Keras 3
// semantics the activation names that changed meaning are renamed. The readers stay single.
#pragma once

#include <elman/config.hpp>
#include <elman/io/error.hpp>
#include <elman/io/json.hpp>
#include <elman/io/load_options.hpp>

#include <cstddef>
#include <cstdlib>
#include <string>
#include <utility>

ELMAN_NAMESPACE_BEGIN
namespace io {
namespace detail {

/// The major version of a `keras_version` string ("2.12.0" -> 2, "3.9.2" -> 3, "tfjs-layers 4.22.0" -> 0);
/// 0 when it does not start with a number.
inline int keras_major_version(const std::string& version) {
    std::size_t i = 0;
    int major = 0;
    while (i < version.size() && version[i] >= '0' && version[i] <= '9' && major < 1000)
        major = major * 10 + (version[i++] - '0');
    return i == 0 ? 0 : major;
}

/// Whether Keras 3 semantics apply to a file that records `keras_version` (empty: none recorded).
inline bool keras3_semantics(const std::string& keras_version, KerasSemantics semantics) {
    if (semantics == KerasSemantics::keras3) return true;
    if (semantics == KerasSemantics::tf2) return false;
    return keras_major_version(keras_version) >= 3;
}

/// Keras 1 -> Keras 2 renames of one layer class's config keys (Keras 2's own legacy-argument conversion,
/// as far as inference needs it). `nullptr` new name = the key is dropped (it only mattered for training or
/// for Theano's memory layout). Keys not listed pass unchanged; the readers check them.
struct Keras1Rename {
    const char* from;
    const char* to;
};

inline const Keras1Rename* keras1_renames(const std::string& cls, std::size_t& count) {
    static const Keras1Rename rnn[] = {{"output_dim", "units"},
                                       {"init", "kernel_initializer"},
                                       {"inner_init", "recurrent_initializer"},
                                       {"W_regularizer", "kernel_regularizer"},
                                       {"U_regularizer", "recurrent_regularizer"},
                                       {"b_regularizer", "bias_regularizer"},
                                       {"W_constraint", "kernel_constraint"},
                                       {"U_constraint", "recurrent_constraint"},
                                       {"b_constraint", "bias_constraint"},
                                       {"dropout_W", "dropout"},
                                       {"dropout_U", "recurrent_dropout"},
                                       {"consume_less", nullptr},
                                       {"input_dtype", nullptr}};
    static const Keras1Rename dense[] = {{"output_dim", "units"},
                                         {"init", "kernel_initializer"},
                                         {"bias", "use_bias"},
                                         {"W_regularizer", "kernel_regularizer"},
                                         {"b_regularizer", "bias_regularizer"},
                                         {"W_constraint", "kernel_constraint"},
                                         {"b_constraint", "bias_constraint"},
                                         {"input_dtype", nullptr}};
    static const Keras1Rename embedding[] = {{"init", "embeddings_initializer"},
                                             {"W_regularizer", "embeddings_regularizer"},
                                             {"W_constraint", "embeddings_constraint"},
                                             {"dropout", nullptr},  // Keras 1's embedding dropout: training only
                                             {"input_dtype", nullptr}};
    static const Keras1Rename dropout[] = {{"p", "rate"}, {"input_dtype", nullptr}};
    static const Keras1Rename noise[] = {{"sigma", "stddev"}, {"input_dtype", nullptr}};
    // Keras 1's input_dtype is the dtype of the model input a first layer creates (Embedding always sets
    // int32), not of the layer's weights: an InputLayer's dtype, dropped elsewhere.
    static const Keras1Rename input[] = {{"input_dtype", "dtype"}};
    static const Keras1Rename other[] = {{"input_dtype", nullptr}};
    auto out = [&count](const Keras1Rename* table, std::size_t n) {
        count = n;
        return table;
    };
    if (cls == "InputLayer") return out(input, sizeof input / sizeof input[0]);
    if (cls == "SimpleRNN") return out(rnn, sizeof rnn / sizeof rnn[0]);
    if (cls == "Dense") return out(dense, sizeof dense / sizeof dense[0]);
    if (cls == "Embedding") return out(embedding, sizeof embedding / sizeof embedding[0]);
    if (cls == "Dropout" || cls == "SpatialDropout1D" || cls == "GaussianDropout")
        return out(dropout, sizeof dropout / sizeof dropout[0]);
    if (cls == "GaussianNoise") return out(noise, sizeof noise / sizeof noise[0]);
    return out(other, sizeof other / sizeof other[0]);
}

/// Keras 1 layer classes Keras 2 no longer has (their configs cannot be translated into a Keras 2 layer).
inline bool keras1_removed_class(const std::string& cls) {
    for (const char* c : {"Merge", "Highway", "MaxoutDense", "TimeDistributedDense", "AutoEncoder", "SReLU",
                          "LocallyConnected1D", "Convolution1D", "AtrousConvolution1D", "Convolution2D"})
        if (cls == c) return true;
    return false;
}

/// Keras 1 keys that have no Keras 2 counterpart elman could translate them into.
inline bool keras1_untranslatable_key(const std::string& key) {
    for (const char* k : {"W_learning_rate_multiplier", "b_learning_rate_multiplier", "weights", "mode", "concat_axis",
                          "dot_axes", "output_shape", "output_mask", "node_indices", "tensor_indices"})
        if (key == k) return true;
    return false;
}

struct TranslateContext {
    bool keras1 = false;
    bool keras3 = false;
    std::string source;
};

inline json::Value translate_config(const json::Value& v, const TranslateContext& ctx);

/// The activation names a Keras 3 file spells differently from elman's readers: Keras 3's `hard_sigmoid` is
/// relu6(x + 3) / 6, which elman calls `hard_sigmoid_keras3`; Keras 3 serializes swish under its function name
/// `silu`. The one table for reading (file -> elman) and writing (elman -> file).
struct Keras3ActivationName {
    const char* file;
    const char* elman;
};
inline constexpr Keras3ActivationName keras3_activation_names[] = {{"hard_sigmoid", "hard_sigmoid_keras3"},
                                                                   {"silu", "swish"}};

/// A Keras 3 activation value as elman's readers take it (tfjs' `hardSigmoid` is `hard_sigmoid` too).
inline json::Value keras3_activation(const json::Value& v) {
    auto rename = [](const std::string& name) -> std::string {
        const std::string& n = name == "hardSigmoid" ? std::string("hard_sigmoid") : name;
        for (const Keras3ActivationName& a : keras3_activation_names)
            if (n == a.file) return a.elman;
        return name;
    };
    if (v.is_string()) return json::Value(rename(v.as_string()));
    if (v.is_object()) {
        json::Value out = json::Value::object();
        for (std::size_t i = 0; i < v.size(); ++i) {
            const std::string& k = v.keys()[i];
            if (k == "class_name" && v[i].is_string())
                out.set(k, json::Value(rename(v[i].as_string())));
            else
                out.set(k, v[i]);
        }
        return out;
    }
    return v;
}

/// The config object of a layer of class `cls`, translated.
inline json::Value translate_layer_config(const std::string& cls, const json::Value& config,
                                          const TranslateContext& ctx) {
    std::string name = "?";
    if (const json::Value* n = config.find("name"); n && n->is_string()) name = n->as_string();
    std::size_t count = 0;
    const Keras1Rename* renames = ctx.keras1 ? keras1_renames(cls, count) : nullptr;
    json::Value out = json::Value::object();
    for (std::size_t i = 0; i < config.size(); ++i) {
        std::string key = config.keys()[i];
        const json::Value& value = config[i];
        bool drop = false;
        if (ctx.keras1) {
            if (keras1_untranslatable_key(key) && !value.is_null())
                throw FormatError(ctx.source, "layer '" + name + "' (" + cls + "): the Keras 1 key `" + key +
                                                  "` has no Keras 2 equivalent elman can translate it into");
            for (std::size_t r = 0; r < count; ++r) {
                if (key == renames[r].from) {
                    if (renames[r].to)
                        key = renames[r].to;
                    else
                        drop = true;
                    break;
                }
            }
            if (keras1_untranslatable_key(key)) drop = true;  // null: nothing to translate
        }
        if (drop) continue;
        if (ctx.keras1 && cls == "Dense" && key == "input_dim") {
            // Keras 1's Dense(input_dim=n) is Keras 2's batch_input_shape [None, n].
            if (!config.contains("batch_input_shape") && !value.is_null()) {
                json::Value shape = json::Value::array();
                shape.push_back(json::Value());
                shape.push_back(value);
                out.set("batch_input_shape", std::move(shape));
            }
            continue;
        }
        if (ctx.keras3 && key == "activation")
            out.set(key, keras3_activation(value));
        else
            out.set(key, translate_config(value, ctx));
    }
    return out;
}

/// Rebuilds `v` with every layer entry (`{"class_name": C, "config": {...}}` of a layer class) translated.
inline json::Value translate_config(const json::Value& v, const TranslateContext& ctx) {
    if (v.is_array()) {
        json::Value out = json::Value::array();
        for (const json::Value& e : v.items()) out.push_back(translate_config(e, ctx));
        return out;
    }
    if (!v.is_object()) return v;
    const json::Value* cls = v.find("class_name");
    const json::Value* cfg = v.find("config");
    const bool entry = cls && cls->is_string() && cfg && cfg->is_object();
    if (entry && ctx.keras1 && keras1_removed_class(cls->as_string()))
        throw FormatError(ctx.source, "layer class " + cls->as_string() +
                                          " is a Keras 1 class that Keras 2 removed (elman reads Keras 1 files "
                                          "through their Keras 2 equivalents, and this one has none)");
    json::Value out = json::Value::object();
    for (std::size_t i = 0; i < v.size(); ++i) {
        const std::string& k = v.keys()[i];
        if (entry && k == "config")
            out.set(k, translate_layer_config(cls->as_string(), v[i], ctx));
        else
            out.set(k, translate_config(v[i], ctx));
    }
    return out;
}

/// Whether `object_matches` holds for some object anywhere in `v` (`v` itself, array elements, member values).
template <class Predicate>
bool any_object(const json::Value& v, const Predicate& object_matches) {
    if (v.is_object() && object_matches(v)) return true;
    for (const json::Value& e : v.items())
        if (any_object(e, object_matches)) return true;
    return false;
}

/// Keras 1 configs: the version says so, or (no version recorded) a SimpleRNN or Dense config spells its
/// size `output_dim`, which only Keras 1 did.
inline bool looks_like_keras1(const json::Value& v) {
    return any_object(v, [](const json::Value& o) {
        const json::Value* cls = o.find("class_name");
        const json::Value* cfg = o.find("config");
        return cls && cls->is_string() && cfg && cfg->is_object() &&
               (cls->as_string() == "SimpleRNN" || cls->as_string() == "Dense") && cfg->contains("output_dim") &&
               !cfg->contains("units");
    });
}

/// The model config `config` of a file that records `keras_version` (empty when it records none), as the
/// model config readers expect it: Keras 1 keys translated (Keras 1 files), Keras 3 activation names mapped
/// (Keras 3 semantics, see KerasSemantics). Errors name `source`.
inline json::Value translate_model_config(const json::Value& config, const std::string& keras_version,
                                          KerasSemantics semantics, const std::string& source) {
    TranslateContext ctx;
    const int major = keras_major_version(keras_version);
    ctx.keras1 = major == 1 || (keras_version.empty() && looks_like_keras1(config));
    ctx.keras3 = keras3_semantics(keras_version, semantics);
    ctx.source = source;
    if (!ctx.keras1 && !ctx.keras3) return config;
    return translate_config(config, ctx);
}

}  // namespace detail
}  // namespace io
ELMAN_NAMESPACE_END
