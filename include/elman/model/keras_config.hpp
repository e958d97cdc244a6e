// SPDX-License-Identifier: MIT
// Keras / TensorFlow.js model config JSON (Sequential and Functional) -> the model runtime's layer graph.
#pragma once

#include <elman/config.hpp>
#include <elman/io/error.hpp>
#include <elman/io/json.hpp>
#include <elman/io/layer_config.hpp>
#include <elman/io/model_topology.hpp>
#include <elman/model/core_layers.hpp>
#include <elman/model/graph.hpp>
#include <elman/model/layer.hpp>
#include <elman/model/merge_layers.hpp>
#include <elman/model/recurrent_layers.hpp>
#include <elman/model/reshape_layers.hpp>
#include <elman/model/weights.hpp>
#include <elman/shape.hpp>
#include <elman/simple_rnn_options.hpp>
#include <elman/tensor.hpp>

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

ELMAN_NAMESPACE_BEGIN
namespace model {

/// The layer classes a model config may contain, in the order error messages list them.
inline const char* supported_classes() {
    return "InputLayer, SimpleRNN, Bidirectional(SimpleRNN), Dense, TimeDistributed(Dense), Activation, Softmax, "
           "ReLU, Dropout, SpatialDropout1D, GaussianNoise, GaussianDropout, AlphaDropout, ActivityRegularization, "
           "Embedding, Masking, Flatten, Reshape, RepeatVector, Permute, Concatenate, Add, Subtract, Multiply, "
           "Average, Maximum, Minimum";
}

namespace detail {

using io::FormatError;
using io::detail::ConfigReader;
namespace json = io::json;

/// A list of extents (integers; null = unknown, stored as -1) as Dims.
inline Dims dims_of(ConfigReader& r, const std::string& key, const json::Value& v) {
    if (!v.is_array()) r.fail_key(key, "must be a list of extents, got " + v.describe());
    if (v.size() > static_cast<std::size_t>(Shape::max_rank))
        r.fail_key(key, "has rank " + std::to_string(v.size()) + ", more than " + std::to_string(Shape::max_rank));
    Dims d;
    for (const json::Value& e : v.items()) {
        if (e.is_null()) {
            d.push_back(-1);
            continue;
        }
        const long long n = r.integer(key, e);
        if (n < -1 || n > (1LL << 31)) r.fail_key(key, "has an invalid extent " + std::to_string(n));
        d.push_back(static_cast<Index>(n));
    }
    return d;
}

/// The keys every Keras layer config may carry; the input shape (Keras `batch_input_shape`, Keras 3
/// `batch_shape`, with `batch_size`) is returned for the first layer of a Sequential model.
struct BaseKeys {
    std::string name;
    bool trainable = true;
    std::optional<Dims> batch_input_shape;
};

inline BaseKeys read_base(ConfigReader& r, const std::string& fallback_name) {
    BaseKeys b;
    b.name = r.get_string("name", fallback_name);
    if (b.name.empty()) r.fail_key("name", "must not be empty");
    b.trainable = r.get_bool("trainable", true);
    io::detail::read_dtype(r, "");
    for (const char* key : {"batch_input_shape", "batch_shape"})
        if (const json::Value* s = r.get(key); s && !s->is_null()) b.batch_input_shape = dims_of(r, key, *s);
    if (const json::Value* s = r.get("input_shape"); s && !s->is_null()) {
        Dims d = dims_of(r, "input_shape", *s);
        d.insert(d.begin(), -1);
        b.batch_input_shape = d;
    }
    if (const json::Value* bs = r.get("batch_size"); bs && !bs->is_null() && b.batch_input_shape)
        (*b.batch_input_shape)[0] = static_cast<Index>(r.integer("batch_size", *bs));
    return b;
}

/// Keys that only matter in training (initializers, regularizers, constraints, seeds); read and ignored.
inline void ignore_training_keys(ConfigReader& r) {
    for (const char* k : {"kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer",
                          "activity_regularizer", "kernel_constraint", "bias_constraint", "embeddings_initializer",
                          "embeddings_regularizer", "embeddings_constraint", "seed", "noise_shape"})
        r.ignore(k);
}

/// Keras 3 keys that change the computation when set (LoRA); refused unless null.
inline void refuse_if_set(ConfigReader& r, const char* key) {
    if (const json::Value* v = r.get(key); v && !v->is_null())
        r.fail_key(key, "is set; that variant of the layer is not supported");
}

/// The computation keys of a Dense config (bare or inside TimeDistributed).
struct DenseKeys {
    Index units = 0;
    std::string activation;
    bool use_bias = true;
};

inline DenseKeys read_dense_keys(ConfigReader& r) {
    DenseKeys k;
    const long long units = r.get_integer("units", 0);
    if (units <= 0 || units > (1LL << 24)) r.fail_key("units", "must be a positive integer");
    k.units = static_cast<Index>(units);
    k.activation = io::detail::read_activation(r, "activation", "linear");
    k.use_bias = r.get_bool("use_bias", true);
    ignore_training_keys(r);
    refuse_if_set(r, "lora_rank");
    r.ignore("lora_alpha");
    refuse_if_set(r, "quantization_config");
    return k;
}

/// `{"class_name", "config", ...}` of a layer entry: the class and the config object.
struct Entry {
    std::string class_name;
    const json::Value* config = nullptr;
    std::string name;
};

inline Entry entry_of(const json::Value& v, const std::string& source, const std::string& what) {
    if (!v.is_object()) throw FormatError(source, what + " is not a JSON object");
    Entry e;
    const json::Value* cls = v.find("class_name");
    if (!cls || !cls->is_string()) throw FormatError(source, what + " has no string `class_name`");
    e.class_name = cls->as_string();
    e.config = v.find("config");
    if (!e.config || !e.config->is_object()) throw FormatError(source, what + " has no `config` object");
    if (const json::Value* n = e.config->find("name"); n && n->is_string()) e.name = n->as_string();
    if (const json::Value* n = v.find("name"); n && n->is_string()) e.name = n->as_string();
    return e;
}

/// A SimpleRNN config through the one SimpleRNN config reader (io/layer_config.hpp).
template <class Scalar>
typename BidirectionalLayer<Scalar>::Direction rnn_direction(const json::Value& entry, const std::string& source) {
    const io::LayerConfig lc = io::parse_layer_config(entry, source);
    return {lc.units, lc.activation, lc.options};
}

inline std::optional<Dims> rnn_input_shape(const json::Value& config) {
    const json::Value* s = config.find("batch_input_shape");
    if (!s || !s->is_array()) return std::nullopt;
    Dims d;
    for (const json::Value& e : s->items()) d.push_back(e.is_integer() ? static_cast<Index>(e.as_integer()) : -1);
    return d;
}

/// One layer from its entry; `input_shape` receives a declared batch input shape (Sequential's first layer).
template <class Scalar>
std::unique_ptr<Layer<Scalar>> make_layer(const json::Value& entry_json, const std::string& source,
                                          std::optional<Dims>& input_shape) {
    const Entry e = entry_of(entry_json, source, "a `layers` entry");
    const std::string& cls = e.class_name;
    const std::string context = "layer '" + e.name + "' (" + cls + ")";
    try {
        if (cls == "SimpleRNN") {
            auto d = rnn_direction<Scalar>(entry_json, source);
            input_shape = rnn_input_shape(*e.config);
            return std::make_unique<SimpleRNNLayer<Scalar>>(d.units, d.activation, d.options);
        }
        ConfigReader r(*e.config, source, context);
        const BaseKeys base = read_base(r, e.name);
        input_shape = base.batch_input_shape;
        std::unique_ptr<Layer<Scalar>> layer;
        if (cls == "InputLayer") {
            if (r.get_bool("sparse", false)) r.fail_key("sparse", "is true; sparse inputs are not supported");
            if (r.get_bool("ragged", false)) r.fail_key("ragged", "is true; ragged inputs are not supported");
            r.ignore("optional");
            if (!base.batch_input_shape) r.fail("missing `batch_input_shape`");
            layer = std::make_unique<InputLayer<Scalar>>(base.name, *base.batch_input_shape);
        } else if (cls == "Dense") {
            const DenseKeys k = read_dense_keys(r);
            layer = std::make_unique<DenseLayer<Scalar>>(base.name, "Dense", k.units, k.activation, k.use_bias,
                                                         base.trainable);
        } else if (cls == "TimeDistributed") {
            const json::Value* inner = r.get("layer");
            if (!inner) r.fail("missing `layer`");
            const Entry ie = entry_of(*inner, source, context + ": `layer`");
            if (ie.class_name != "Dense")
                r.fail("wraps a " + ie.class_name + "; only TimeDistributed(Dense) is supported");
            ConfigReader ir(*ie.config, source, context + ": Dense `layer`");
            read_base(ir, ie.name);
            const DenseKeys k = read_dense_keys(ir);
            ir.finish();
            layer = std::make_unique<DenseLayer<Scalar>>(base.name, "TimeDistributed", k.units, k.activation,
                                                         k.use_bias, base.trainable);
        } else if (cls == "Bidirectional") {
            const json::Value* inner = r.get("layer");
            if (!inner) r.fail("missing `layer`");
            const Entry ie = entry_of(*inner, source, context + ": `layer`");
            if (ie.class_name != "SimpleRNN")
                r.fail("wraps a " + ie.class_name + "; only Bidirectional(SimpleRNN) is supported");
            auto fwd = rnn_direction<Scalar>(*inner, source);
            typename BidirectionalLayer<Scalar>::Direction bwd = fwd;
            bwd.options.go_backwards = !fwd.options.go_backwards;
            if (const json::Value* b = r.get("backward_layer"); b && !b->is_null()) {
                const Entry be = entry_of(*b, source, context + ": `backward_layer`");
                if (be.class_name != "SimpleRNN")
                    r.fail("`backward_layer` is a " + be.class_name + ", not a SimpleRNN");
                bwd = rnn_direction<Scalar>(*b, source);
            }
            input_shape = rnn_input_shape(*ie.config);
            if (!input_shape) input_shape = base.batch_input_shape;
            fwd.options.name = "forward_" + fwd.options.name;
            bwd.options.name = "backward_" + bwd.options.name;
            MergeMode mode = MergeMode::Concat;
            if (const json::Value* m = r.get("merge_mode")) {
                if (m->is_null()) {
                    mode = MergeMode::None;
                } else if (!m->is_string()) {
                    r.fail_key("merge_mode", "must be a string or null");
                } else {
                    const std::string& s = m->as_string();
                    if (s == "concat")
                        mode = MergeMode::Concat;
                    else if (s == "sum")
                        mode = MergeMode::Sum;
                    else if (s == "mul")
                        mode = MergeMode::Mul;
                    else if (s == "ave")
                        mode = MergeMode::Ave;
                    else
                        r.fail_key("merge_mode", "is \"" + s + "\"; expected concat, sum, mul, ave or null");
                }
            }
            layer = std::make_unique<BidirectionalLayer<Scalar>>(base.name, fwd, bwd, mode, base.trainable);
        } else if (cls == "Activation") {
            const std::string act = io::detail::read_activation(r, "activation", "");
            if (act.empty()) r.fail("missing `activation`");
            layer = std::make_unique<ActivationLayer<Scalar>>(base.name, act, base.trainable);
        } else if (cls == "Softmax") {
            const json::Value* a = r.get("axis");
            const long long axis = a ? r.integer("axis", *a) : -1;
            layer = std::make_unique<SoftmaxLayer<Scalar>>(base.name, static_cast<int>(axis), base.trainable);
        } else if (cls == "ReLU") {
            std::optional<double> max_value;
            if (const json::Value* m = r.get("max_value"); m && !m->is_null()) {
                if (!m->is_number()) r.fail_key("max_value", "must be a number or null");
                max_value = m->as_number();
                if (*max_value < 0) r.fail_key("max_value", "must be >= 0");
            }
            const double slope = r.get_number("negative_slope", 0.0);
            if (slope < 0) r.fail_key("negative_slope", "must be >= 0");
            const double threshold = r.get_number("threshold", 0.0);
            layer = std::make_unique<ReluLayer<Scalar>>(base.name, max_value, slope, threshold, base.trainable);
        } else if (cls == "Dropout" || cls == "SpatialDropout1D" || cls == "GaussianDropout" || cls == "AlphaDropout") {
            r.get_number("rate", 0.0);
            ignore_training_keys(r);
            layer = std::make_unique<IdentityLayer<Scalar>>(base.name, cls, base.trainable);
        } else if (cls == "GaussianNoise") {
            r.get_number("stddev", 0.0);
            ignore_training_keys(r);
            layer = std::make_unique<IdentityLayer<Scalar>>(base.name, cls, base.trainable);
        } else if (cls == "ActivityRegularization") {
            r.get_number("l1", 0.0);
            r.get_number("l2", 0.0);
            layer = std::make_unique<IdentityLayer<Scalar>>(base.name, cls, base.trainable);
        } else if (cls == "Masking") {
            layer = std::make_unique<MaskingLayer<Scalar>>(base.name, r.get_number("mask_value", 0.0), base.trainable);
        } else if (cls == "Embedding") {
            const long long in = r.get_integer("input_dim", 0), out = r.get_integer("output_dim", 0);
            if (in <= 0 || out <= 0 || in * out > io::max_config_values)
                r.fail("`input_dim` and `output_dim` must be positive (and their product <= " +
                       std::to_string(io::max_config_values) + ")");
            const bool mask_zero = r.get_bool("mask_zero", false);
            ignore_training_keys(r);
            refuse_if_set(r, "lora_rank");
            r.ignore("lora_alpha");
            if (r.get_bool("sparse", false)) r.fail_key("sparse", "is true; sparse embeddings are not supported");
            std::optional<Index> length;
            if (const json::Value* l = r.get("input_length"); l && !l->is_null()) {
                if (l->is_array()) r.fail_key("input_length", "must be an integer");
                length = static_cast<Index>(r.integer("input_length", *l));
            }
            if (length && !input_shape) input_shape = Dims{-1, *length};
            layer = std::make_unique<EmbeddingLayer<Scalar>>(base.name, static_cast<Index>(in), static_cast<Index>(out),
                                                             mask_zero, base.trainable);
        } else if (cls == "Flatten") {
            const std::string df = r.get_string("data_format", "channels_last");
            if (df != "channels_last") r.fail_key("data_format", "is \"" + df + "\"; only channels_last is supported");
            layer = std::make_unique<FlattenLayer<Scalar>>(base.name, cls, base.trainable);
        } else if (cls == "Reshape") {
            const json::Value* t = r.get("target_shape");
            if (!t) r.fail("missing `target_shape`");
            layer = std::make_unique<ReshapeLayer<Scalar>>(base.name, dims_of(r, "target_shape", *t), base.trainable);
        } else if (cls == "RepeatVector") {
            const long long n = r.get_integer("n", 0);
            if (n <= 0 || n > (1LL << 31)) r.fail_key("n", "must be a positive integer");
            layer = std::make_unique<RepeatVectorLayer<Scalar>>(base.name, static_cast<Index>(n), base.trainable);
        } else if (cls == "Permute") {
            const json::Value* d = r.get("dims");
            if (!d) r.fail("missing `dims`");
            const Dims dims = dims_of(r, "dims", *d);
            layer = std::make_unique<PermuteLayer<Scalar>>(base.name, std::vector<int>(dims.begin(), dims.end()),
                                                           base.trainable);
        } else if (cls == "Concatenate") {
            const json::Value* a = r.get("axis");
            const long long axis = a ? r.integer("axis", *a) : -1;
            layer = std::make_unique<ConcatenateLayer<Scalar>>(base.name, static_cast<int>(axis), base.trainable);
        } else if (cls == "Add" || cls == "Subtract" || cls == "Multiply" || cls == "Average" || cls == "Maximum" ||
                   cls == "Minimum") {
            const MergeOp op = cls == "Add"        ? MergeOp::Add
                               : cls == "Subtract" ? MergeOp::Subtract
                               : cls == "Multiply" ? MergeOp::Multiply
                               : cls == "Average"  ? MergeOp::Average
                               : cls == "Maximum"  ? MergeOp::Maximum
                                                   : MergeOp::Minimum;
            layer = std::make_unique<ElementwiseMergeLayer<Scalar>>(base.name, cls, op, base.trainable);
        } else {
            throw FormatError(
                source, "layer '" + e.name + "' has class " + cls +
                            ", which the model runtime does not support (supported: " + supported_classes() + ")");
        }
        r.finish();
        return layer;
    } catch (const std::invalid_argument& ex) {
        throw FormatError(source, ex.what());
    }
}

/// Every `["name", node_index, tensor_index(, kwargs)]` of one inbound node, in Keras 2 / tfjs form or as
/// Keras 3's `{"args": [... {"class_name": "__keras_tensor__", "config": {"keras_history": [...]}} ...],
/// "kwargs": {...}}`. Call kwargs that would change the computation (a `mask`, `initial_state`,
/// `training=True`, ...) are refused.
struct InboundRef {
    std::string layer;
    std::size_t node = 0, tensor = 0;
};

inline void check_kwargs(const json::Value& kwargs, const std::string& source, const std::string& layer) {
    if (kwargs.is_null()) return;
    if (!kwargs.is_object()) throw FormatError(source, "layer '" + layer + "': inbound node kwargs are not an object");
    for (std::size_t i = 0; i < kwargs.size(); ++i) {
        const std::string& k = kwargs.keys()[i];
        const json::Value& v = kwargs[i];
        if (v.is_null() || (k == "training" && v.is_bool() && !v.as_bool())) continue;
        throw FormatError(source, "layer '" + layer + "': call argument `" + k +
                                      "` in inbound_nodes is not supported (the model runtime calls layers on their "
                                      "inputs only)");
    }
}

inline InboundRef ref_of(const json::Value& v, const std::string& source, const std::string& layer) {
    if (!v.is_array() || v.size() < 3 || !v[0].is_string() || !v[1].is_integer() || !v[2].is_integer() ||
        v[1].as_integer() < 0 || v[2].as_integer() < 0)
        throw FormatError(source,
                          "layer '" + layer + "': an inbound tensor is not [\"layer name\", node_index, tensor_index]");
    if (v.size() > 3) check_kwargs(v[3], source, layer);
    return {v[0].as_string(), static_cast<std::size_t>(v[1].as_integer()), static_cast<std::size_t>(v[2].as_integer())};
}

inline void collect_keras3(const json::Value& v, std::vector<InboundRef>& out, const std::string& source,
                           const std::string& layer) {
    if (v.is_array()) {
        for (const json::Value& x : v.items()) collect_keras3(x, out, source, layer);
        return;
    }
    if (!v.is_object()) return;
    const json::Value* cls = v.find("class_name");
    if (!cls || !cls->is_string() || cls->as_string() != "__keras_tensor__")
        throw FormatError(source, "layer '" + layer + "': a call argument in inbound_nodes is not a tensor");
    const json::Value* cfg = v.find("config");
    const json::Value* hist = cfg ? cfg->find("keras_history") : nullptr;
    if (!hist) throw FormatError(source, "layer '" + layer + "': a __keras_tensor__ has no keras_history");
    out.push_back(ref_of(*hist, source, layer));
}

inline std::vector<InboundRef> node_refs(const json::Value& node, const std::string& source, const std::string& layer) {
    std::vector<InboundRef> refs;
    if (node.is_object()) {
        if (const json::Value* a = node.find("args")) collect_keras3(*a, refs, source, layer);
        if (const json::Value* k = node.find("kwargs")) check_kwargs(*k, source, layer);
        return refs;
    }
    if (!node.is_array()) throw FormatError(source, "layer '" + layer + "': an inbound node is not a list");
    for (const json::Value& t : node.items()) refs.push_back(ref_of(t, source, layer));
    return refs;
}

/// Model-level `input_layers` / `output_layers`: a list of refs, or a single ref.
inline std::vector<InboundRef> io_refs(const json::Value* v, const std::string& source, const char* key) {
    if (!v || !v->is_array()) throw FormatError(source, std::string("model config has no `") + key + "` list");
    std::vector<InboundRef> refs;
    if (v->size() > 0 && (*v)[0].is_string()) {
        refs.push_back(ref_of(*v, source, key));
        return refs;
    }
    for (const json::Value& r : v->items()) refs.push_back(ref_of(r, source, key));
    return refs;
}

/// Builds the graph from a model config: creates the layers, resolves and orders the nodes, runs each layer's
/// build on its input specs and allocates the value slots. Weights are loaded separately (load_weights).
template <class Scalar>
Graph<Scalar> build_graph(const json::Value& topology, const std::string& source) {
    // The one reader of the model config's wrapper forms (model_topology.hpp) checks class_name and config.
    const json::Value* layers = &io::detail::model_layers(topology, source);
    const json::Value* t = topology.find("model_config") ? topology.find("model_config") : &topology;
    const json::Value* cfg = t->find("config");
    Graph<Scalar> g;
    const std::string model_class = t->find("class_name")->as_string();
    const bool sequential = model_class == "Sequential";
    if (!sequential && model_class != "Functional" && model_class != "Model")
        throw FormatError(source, "model class is " + model_class + "; expected Sequential, Functional or Model");
    g.class_name = sequential ? "Sequential" : "Functional";
    if (const json::Value* n = cfg->find("name"); n && n->is_string()) g.name = n->as_string();
    if (g.name.empty()) g.name = sequential ? "sequential" : "model";

    std::map<std::string, std::size_t> by_name;
    std::vector<std::vector<std::vector<InboundRef>>> inbound;  // [layer][node] -> refs
    auto add_layer = [&](std::unique_ptr<Layer<Scalar>> layer) {
        if (by_name.count(layer->name())) throw FormatError(source, "two layers are named '" + layer->name() + "'");
        by_name[layer->name()] = g.layers.size();
        g.layers.push_back(std::move(layer));
        inbound.emplace_back();
        return g.layers.size() - 1;
    };
    std::vector<InboundRef> model_inputs, model_outputs;
    if (sequential) {
        std::string previous;
        for (std::size_t i = 0; i < layers->size(); ++i) {
            std::optional<Dims> shape;
            auto layer = make_layer<Scalar>((*layers)[i], source, shape);
            const bool is_input = layer->class_name() == "InputLayer";
            if (previous.empty() && !is_input) {
                if (!shape)
                    throw FormatError(source, "the first layer '" + layer->name() +
                                                  "' of the Sequential model declares no input shape "
                                                  "(batch_input_shape); the model cannot be built");
                const std::string in_name = layer->name() + "_input";
                add_layer(std::make_unique<InputLayer<Scalar>>(in_name, *shape));
                inbound.back().emplace_back();
                previous = in_name;
                model_inputs.push_back({in_name, 0, 0});
            } else if (is_input && !previous.empty()) {
                throw FormatError(source, "InputLayer '" + layer->name() + "' is not the first layer");
            }
            const std::string name = layer->name();
            add_layer(std::move(layer));
            if (is_input) {
                inbound.back().emplace_back();
                model_inputs.push_back({name, 0, 0});
            } else {
                inbound.back().push_back({InboundRef{previous, 0, 0}});
            }
            previous = name;
        }
        if (previous.empty()) throw FormatError(source, "the Sequential model has no layers");
        model_outputs.push_back({previous, 0, 0});
    } else {
        for (std::size_t i = 0; i < layers->size(); ++i) {
            std::optional<Dims> shape;
            const json::Value& entry = (*layers)[i];
            auto layer = make_layer<Scalar>(entry, source, shape);
            const std::string name = layer->name();
            const bool is_input = layer->class_name() == "InputLayer";
            add_layer(std::move(layer));
            const json::Value* nodes = entry.find("inbound_nodes");
            if (is_input) {
                inbound.back().emplace_back();
                continue;
            }
            if (!nodes || !nodes->is_array())
                throw FormatError(source, "layer '" + name + "' has no `inbound_nodes` list");
            if (nodes->size() == 0) throw FormatError(source, "layer '" + name + "' is not connected to the model");
            for (const json::Value& n : nodes->items()) inbound.back().push_back(node_refs(n, source, name));
        }
        model_inputs = io_refs(cfg->find("input_layers"), source, "input_layers");
        model_outputs = io_refs(cfg->find("output_layers"), source, "output_layers");
    }

    // Resolve references and order the nodes: a node runs once all its inputs exist.
    std::vector<std::vector<std::vector<std::size_t>>> node_values(g.layers.size());  // [layer][node] -> values
    auto find_layer = [&](const InboundRef& r, const std::string& user) -> std::size_t {
        const auto it = by_name.find(r.layer);
        if (it == by_name.end())
            throw FormatError(source, user + " refers to layer '" + r.layer + "', which the model does not have");
        if (r.node >= inbound[it->second].size())
            throw FormatError(source, user + " refers to node " + std::to_string(r.node) + " of layer '" + r.layer +
                                          "', which has " + std::to_string(inbound[it->second].size()) + " node(s)");
        return it->second;
    };
    for (std::size_t l = 0; l < g.layers.size(); ++l) node_values[l].resize(inbound[l].size());
    std::size_t remaining = 0;
    for (const auto& nodes : inbound) remaining += nodes.size();
    std::vector<std::vector<bool>> done(g.layers.size());
    for (std::size_t l = 0; l < g.layers.size(); ++l) done[l].assign(inbound[l].size(), false);
    while (remaining > 0) {
        bool progress = false;
        for (std::size_t l = 0; l < g.layers.size(); ++l) {
            for (std::size_t k = 0; k < inbound[l].size(); ++k) {
                if (done[l][k]) continue;
                bool ready = true;
                std::vector<TensorSpec> in_specs;
                typename Graph<Scalar>::Node node;
                node.layer = l;
                node.node_index = k;
                for (const InboundRef& r : inbound[l][k]) {
                    const std::size_t src = find_layer(r, "layer '" + g.layers[l]->name() + "'");
                    if (!done[src][r.node]) {
                        ready = false;
                        break;
                    }
                    const auto& outs = node_values[src][r.node];
                    if (r.tensor >= outs.size())
                        throw FormatError(source, "layer '" + g.layers[l]->name() + "' uses output " +
                                                      std::to_string(r.tensor) + " of layer '" + r.layer +
                                                      "', which has " + std::to_string(outs.size()) + " output(s)");
                    node.inbound.push_back({src, r.node, r.tensor});
                    node.inputs.push_back(outs[r.tensor]);
                    in_specs.push_back(g.specs[outs[r.tensor]]);
                }
                if (!ready) continue;
                std::vector<TensorSpec> out_specs;
                try {
                    out_specs = g.layers[l]->build(in_specs);
                } catch (const std::invalid_argument& ex) {
                    throw FormatError(source, ex.what());
                }
                if (sequential && out_specs.size() != 1)
                    throw FormatError(source,
                                      "layer '" + g.layers[l]->name() +
                                          "' has several outputs; a Sequential model needs one output per layer");
                for (const TensorSpec& s : out_specs) {
                    node.outputs.push_back(g.specs.size());
                    node_values[l][k].push_back(g.specs.size());
                    g.specs.push_back(s);
                }
                g.nodes.push_back(std::move(node));
                done[l][k] = true;
                --remaining;
                progress = true;
            }
        }
        if (!progress) throw FormatError(source, "the model graph has a cycle");
    }
    for (const InboundRef& r : model_inputs) {
        const std::size_t l = find_layer(r, "input_layers");
        if (g.layers[l]->class_name() != "InputLayer")
            throw FormatError(source, "model input '" + r.layer + "' is not an InputLayer");
        g.inputs.push_back(node_values[l][r.node].at(r.tensor));
        g.input_layers.push_back(l);
    }
    for (const InboundRef& r : model_outputs) {
        const std::size_t l = find_layer(r, "output_layers");
        const auto& outs = node_values[l][r.node];
        if (r.tensor >= outs.size())
            throw FormatError(source, "output_layers refers to output " + std::to_string(r.tensor) + " of layer '" +
                                          r.layer + "', which has " + std::to_string(outs.size()) + " output(s)");
        g.outputs.push_back(outs[r.tensor]);
    }
    g.values.resize(g.specs.size());
    g.finish();
    return g;
}

/// Asks `provider` for every layer's weights, checks count and shapes and sets them; then refuses weights the
/// model has no layer for. Every problem is an io::FormatError naming the provider's source and the layer.
template <class Scalar>
void load_weights(Graph<Scalar>& g, WeightsProvider<Scalar>& provider) {
    const std::string source = provider.source();
    for (auto& layer : g.layers) {
        WeightRequest req{layer->name(), layer->class_name(), layer->weight_specs()};
        if (req.expected.empty()) continue;
        std::vector<Tensor<Scalar>> w = provider.weights(req);
        auto expected_list = [&] {
            std::string s;
            for (const WeightSpec& spec : req.expected)
                s += (s.empty() ? "" : ", ") + spec.name + " " + spec.shape.to_string();
            return s;
        };
        const std::string who = "layer '" + layer->name() + "' (" + layer->class_name() + ")";
        if (w.empty()) throw FormatError(source, who + ": no weights stored (expected " + expected_list() + ")");
        if (w.size() != req.expected.size())
            throw FormatError(source, who + ": expected " + std::to_string(req.expected.size()) + " weights (" +
                                          expected_list() + "), found " + std::to_string(w.size()));
        for (std::size_t i = 0; i < w.size(); ++i) {
            if (w[i].shape() != req.expected[i].shape)
                throw FormatError(source, who + ": weight '" + req.expected[i].name + "' has shape " +
                                              w[i].shape().to_string() + ", expected " +
                                              req.expected[i].shape.to_string());
        }
        try {
            layer->set_weights(std::move(w));
        } catch (const std::invalid_argument& ex) {
            throw FormatError(source, who + ": " + ex.what());
        }
    }
    const std::vector<std::string> extra = provider.unrequested();
    if (!extra.empty()) {
        std::string list;
        for (const std::string& n : extra) list += (list.empty() ? "'" : ", '") + n + "'";
        throw FormatError(source, "the weights include layer(s) " + list + ", which the model does not have");
    }
}

}  // namespace detail
}  // namespace model
ELMAN_NAMESPACE_END
