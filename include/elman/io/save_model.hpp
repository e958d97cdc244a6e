// SPDX-License-Identifier: MIT
// Saving a whole Model back to the files Keras reads: a Keras .h5 (`model.save("m.h5")` layout of tf.keras 2.x,
// or of Keras 3's legacy h5 for a Keras 3 model) and a Keras 3 `.keras` archive. Needs HDF5 (see io/hdf5.hpp).
#pragma once

#include <elman/config.hpp>
#include <elman/io/detail/zip.hpp>
#include <elman/io/error.hpp>
#include <elman/io/file.hpp>
#include <elman/io/hdf5.hpp>
#include <elman/io/json.hpp>
#include <elman/io/keras_file_config.hpp>
#include <elman/io/keras_translate.hpp>
#include <elman/io/keras_zip_model.hpp>
#include <elman/io/model_topology.hpp>
#include <elman/model/layer.hpp>
#include <elman/model/model.hpp>
#include <elman/tensor.hpp>

#include <hdf5.h>

#include <cstddef>
#include <ctime>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

ELMAN_NAMESPACE_BEGIN
namespace io {
namespace detail {

/// The `keras_version` a saved file records: the one the model was read from when it is of the file's
/// Keras generation, else the version whose layout elman writes (2.4.0, the API elman implements; 3.0.0).
inline std::string saved_keras_version(const std::string& origin, bool keras3) {
    const int major = keras_major_version(origin);
    if (keras3 ? major >= 3 : major == 2) return origin;
    return keras3 ? "3.0.0" : "2.4.0";
}

/// `entry` with its keys in order, `key` set (replaced in place, else appended after the others).
inline json::Value with_key(const json::Value& entry, const std::string& key, json::Value value) {
    json::Value out = entry;
    out.set(key, std::move(value));
    return out;
}

/// `entry` without the keys `drop`.
inline json::Value without_keys(const json::Value& entry, std::initializer_list<const char*> drop) {
    json::Value out = json::Value::object();
    for (std::size_t i = 0; i < entry.size(); ++i) {
        bool skip = false;
        for (const char* d : drop) skip = skip || entry.keys()[i] == d;
        if (!skip) out.set(entry.keys()[i], entry[i]);
    }
    return out;
}

/// The model config a saved file stores, as `{"class_name", "config": {"name", "layers", ...}}` (tfjs'
/// `model_config` wrapper removed, a Keras 1 Sequential list given its object form). A Keras 3 file gets Keras
/// 3's form (a Keras 2 config rewritten), a tf.keras 2.x file the Keras 2 form; activation names are spelled
/// for the file's Keras, a Reshape's unknown extent as -1.
template <class Scalar>
json::Value saved_model_config(const Model<Scalar>& model, bool file_keras3, const std::string& target) {
    const json::Value& config = model.config();
    const json::Value* t = config.find("model_config") ? config.find("model_config") : &config;
    json::Value out;
    if (file_keras3 && !model.origin().keras3_semantics) {
        const std::string differs = model.keras3_difference();
        if (!differs.empty())
            throw FormatError(target, differs +
                                          " receives a mask, and Keras 3 merges masks (and masked values) "
                                          "differently from TF 2.x: a Keras 3 file would change the model's "
                                          "numbers; save it as a tf.keras .h5 file");
    }
    if (file_keras3 && !is_keras3_form(config)) {
        std::vector<long long> shape;
        for (const Index d : model.input_shape(0)) shape.push_back(static_cast<long long>(d));
        out = keras3_model_config(config, shape, model.name(), target);
    } else {
        out = json::Value::object();
        for (std::size_t i = 0; i < t->size(); ++i) {
            const std::string& k = t->keys()[i];
            if (k == "config" && (*t)[i].is_array()) {
                json::Value c = json::Value::object();
                c.set("name", json::Value(model.name()));
                c.set("layers", (*t)[i]);
                out.set(k, std::move(c));
            } else {
                out.set(k, (*t)[i]);
            }
        }
    }
    return keras_reshape_targets(file_activations(out, model.origin().keras3_semantics, file_keras3, target));
}

/// A Keras 3 config as a `.keras` archive's config.json holds it: the model and every layer entry a serialized
/// object (`module`, `registered_name`), which Keras 3's legacy h5 leaves off its layer entries.
inline json::Value keras3_archive_config(const json::Value& config) {
    const bool sequential = config.find("class_name")->as_string() == "Sequential";
    json::Value out = json::Value::object();
    out.set("module", json::Value(keras3_model_module(sequential)));
    for (std::size_t i = 0; i < config.size(); ++i) {
        const std::string& k = config.keys()[i];
        if (k != "config" || !config[i].is_object() || !config[i].find("layers")) {
            out.set(k, config[i]);
            continue;
        }
        json::Value layers = json::Value::array();
        for (const json::Value& entry : config[i].find("layers")->items()) {
            if (entry.find("module")) {
                layers.push_back(entry);
                continue;
            }
            json::Value e = json::Value::object();
            e.set("module", json::Value("keras.layers"));
            for (std::size_t j = 0; j < entry.size(); ++j) e.set(entry.keys()[j], entry[j]);
            e.set("registered_name", json::Value());
            layers.push_back(std::move(e));
        }
        out.set(k, with_key(config[i], "layers", std::move(layers)));
    }
    if (!out.find("registered_name")) out.set("registered_name", keras3_model_registered_name(sequential));
    return out;
}

/// A Keras 3 config as Keras 3's legacy h5 `model_config` holds it: `{"class_name", "config"}`, layer entries
/// without `module`, `registered_name` and `build_config` (their dtype policies and initializers keep theirs).
inline json::Value keras3_legacy_h5_config(const json::Value& config) {
    json::Value cfg = *config.find("config");
    if (const json::Value* layers = cfg.find("layers"); layers && layers->is_array()) {
        json::Value plain = json::Value::array();
        for (const json::Value& entry : layers->items())
            plain.push_back(without_keys(entry, {"module", "registered_name", "build_config"}));
        cfg.set("layers", std::move(plain));
    }
    json::Value out = json::Value::object();
    out.set("class_name", *config.find("class_name"));
    out.set("config", std::move(cfg));
    return out;
}

/// The name a Keras .h5 gives one weight (`spec`, as model::WeightSpec spells it) of layer `layer`: tf.keras
/// 2.x scopes a SimpleRNN's weights by its cell (`simple_rnn_1/simple_rnn_cell_1/kernel:0`, the cell numbered
/// as the layer) and ends names in ":0"; Keras 3's legacy h5 prefixes the model name and has no suffix.
inline std::string h5_weight_name(bool keras3, const std::string& model, const std::string& layer,
                                  const std::string& class_name, const std::string& spec) {
    const std::size_t slash = spec.rfind('/');
    const std::string role = slash == std::string::npos ? spec : spec.substr(slash + 1);
    std::string path = layer + "/" + spec;
    if (class_name == "SimpleRNN") {
        std::string cell = "simple_rnn_cell";
        std::size_t end = layer.size(), begin = end;
        while (begin > 0 && layer[begin - 1] >= '0' && layer[begin - 1] <= '9') --begin;
        if (!keras3 && begin < end) cell += "_" + layer.substr(begin);
        path = layer + "/" + cell + "/" + role;
    } else if (class_name == "Bidirectional" && slash != std::string::npos) {
        path = layer + "/" + spec.substr(0, slash) + "/simple_rnn_cell/" + role;
    }
    return keras3 ? model + "/" + path : path + ":0";
}

/// Writes `model.save("m.h5")`'s file to `target`: root attributes keras_version, backend, model_config; the
/// `model_weights` group with layer_names and one group per layer of `model.layers` (weight_names and the
/// datasets they name, float32 as the configs declare), and the empty `top_level_model_weights` group.
template <class Scalar>
void write_keras_h5(const Model<Scalar>& model, const std::string& target) {
    const bool keras3 = model.origin().keras3_semantics || is_keras3_form(model.config());
    json::Value config = saved_model_config(model, keras3, target);
    if (keras3) config = keras3_legacy_h5_config(config);
    // tf.keras 2.4 (h5py 2.10) calls .decode on every string it reads: byte strings, as it wrote them; Keras 3
    // and tf.keras >= 2.5 read either and write str.
    const H5Text text = keras3 ? H5Text::utf8 : H5Text::bytes;
    const std::string version = saved_keras_version(model.origin().keras_version, keras3);
    H5FileWriter file(target);
    h5_write_model_attributes(file.file(), version, json::dump(config), target, text);
    {
        const H5Id root = h5_create_group(file.file(), "model_weights", target);
        std::vector<H5LayerWeights<Scalar>> parts;
        for (const model::Layer<Scalar>* l : model.layers()) {
            H5LayerWeights<Scalar> part;
            part.name = l->name();
            for (const model::WeightSpec& s : l->weight_specs())
                part.weight_names.push_back(h5_weight_name(keras3, model.name(), l->name(), l->class_name(), s.name));
            part.weights = l->get_weights();
            parts.push_back(std::move(part));
        }
        h5_write_layer_weights(root.get(), parts, version, false, target, text);
        const H5Id top = h5_create_group(root.get(), "top_level_model_weights", target);
        h5_write_keras_list(top.get(), "weight_names", {}, target, text);
    }
    file.commit();
}

/// A `vars` group of a Keras 3 weights file: the datasets 0, 1, ... and the `name` attribute of the object
/// they belong to.
template <class Scalar>
void write_vars(hid_t file, const std::string& group, const std::string& name, const std::vector<Tensor<Scalar>>& w,
                std::size_t begin, std::size_t end, const std::string& target) {
    H5Id g = h5_create_group(file, group, target);
    h5_write_strings(g.get(), "name", {name}, true, target, H5Text::utf8);
    for (std::size_t i = begin; i < end; ++i) h5_write_dataset(g.get(), std::to_string(i - begin), w[i], false, target);
}

/// The HDF5 image of a .keras archive's `model.weights.h5` for the Keras 3 config `config`: per layer
/// `layers/<key>` (zip_layers' keys) with the objects Keras 3 saves it as: a SimpleRNN's weights in its `cell`,
/// a TimeDistributed's in its `layer`, a Bidirectional's in `forward_layer/cell` and `backward_layer/cell`.
template <class Scalar>
std::string keras_weights_image(const Model<Scalar>& model, const json::Value& config, const std::string& target) {
    H5FileWriter file(target);
    for (const ZipLayer& zl : zip_layers(config, target)) {
        const model::Layer<Scalar>& l = model.layer(zl.name);
        const std::vector<Tensor<Scalar>> w = l.get_weights();
        const std::string base = "layers/" + zl.key;
        if (zl.class_name == "SimpleRNN") {
            write_vars(file.file(), base + "/vars", zl.name, w, 0, 0, target);
            write_vars(file.file(), base + "/cell/vars", "simple_rnn_cell", w, 0, w.size(), target);
        } else if (zl.class_name == "TimeDistributed") {
            write_vars(file.file(), base + "/vars", zl.name, w, 0, 0, target);
            write_vars(file.file(), base + "/layer/vars", wrapped_layer_name(*zl.config, "layer"), w, 0, w.size(),
                       target);
        } else if (zl.class_name == "Bidirectional") {
            const std::vector<model::WeightSpec> specs = l.weight_specs();
            std::size_t forward = 0;  // forward_<inner>/... first, then backward_<inner>/...
            while (forward < specs.size() && specs[forward].name.compare(0, 8, "forward_") == 0) ++forward;
            write_vars(file.file(), base + "/vars", zl.name, w, 0, 0, target);
            write_vars(file.file(), base + "/backward_layer/vars", bidirectional_part_name(*zl.config, false), w, 0, 0,
                       target);
            write_vars(file.file(), base + "/backward_layer/cell/vars", "simple_rnn_cell", w, forward, w.size(),
                       target);
            write_vars(file.file(), base + "/forward_layer/vars", bidirectional_part_name(*zl.config, true), w, 0, 0,
                       target);
            write_vars(file.file(), base + "/forward_layer/cell/vars", "simple_rnn_cell", w, 0, forward, target);
        } else {
            write_vars(file.file(), base + "/vars", zl.name, w, 0, w.size(), target);
        }
    }
    {
        const H5Id vars = h5_create_group(file.file(), "vars", target);
        h5_write_strings(vars.get(), "name", {model.name()}, true, target, H5Text::utf8);
    }
    return file.take_bytes();
}

/// "YYYY-MM-DD@HH:MM:SS" (UTC), Keras 3's `date_saved`.
inline std::string keras_date_saved() {
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
#if defined(_WIN32)
    gmtime_s(&utc, &now);
#else
    gmtime_r(&now, &utc);
#endif
    char buf[32] = {0};
    std::strftime(buf, sizeof buf, "%Y-%m-%d@%H:%M:%S", &utc);
    return buf;
}

}  // namespace detail

/// Writes `model` to `path` as Keras' `model.save("m.h5")` does, readable by the Keras the model came from and
/// by load_keras_h5_model. A model with TF 2.x semantics gets tf.keras 2.x's layout (`keras_version` 2.x,
/// weights `<layer>/<layer cell>/kernel:0`); a model with Keras 3 semantics, or whose config is in Keras 3's
/// form, Keras 3's legacy h5 layout (a Keras 2 config rewritten in Keras 3's form). Weights are float32, the
/// dtype the configs declare (a double model's weights are rounded). The file is written next to `path` and
/// renamed to it when complete (a failed save leaves `path` as it was). FormatError naming `path` when the model cannot be expressed in that Keras (an
/// activation whose meaning differs: Keras 3's hard_sigmoid in a tf.keras file) or on I/O failure.
template <class Scalar>
void save_keras_h5_model(const Model<Scalar>& model, const std::string& path) {
    detail::write_keras_h5(model, path);
}

/// Writes `model` to `path` as a Keras 3 `.keras` archive (`metadata.json`, `config.json`,
/// `model.weights.h5`, stored), readable by Keras 3's `keras.models.load_model` and load_keras_zip_model. A
/// model read from a Keras 2 file (tf.keras 2.x, Keras 1, tfjs) has its config rewritten in Keras 3's form
/// (module / registered_name keys, DTypePolicy objects, an InputLayer first in a Sequential model, Keras 3
/// inbound nodes); what Keras 3 cannot express is refused with FormatError naming `path` and the layer:
/// TF 2.x's hard_sigmoid (Keras 3's differs) and time_major=True. Written next to `path` and renamed to it
/// when complete.
template <class Scalar>
void save_keras_zip_model(const Model<Scalar>& model, const std::string& path) {
    const json::Value config = detail::keras3_archive_config(detail::saved_model_config(model, true, path));
    json::Value metadata = json::Value::object();
    metadata.set("keras_version", json::Value(detail::saved_keras_version(model.origin().keras_version, true)));
    metadata.set("date_saved", json::Value(detail::keras_date_saved()));
    std::vector<detail::ZipEntry> entries;
    entries.push_back({"metadata.json", json::dump(metadata)});
    entries.push_back({"config.json", json::dump(config)});
    entries.push_back({"model.weights.h5", detail::keras_weights_image(model, config, path)});
    write_file_replacing(path, detail::write_zip(entries, path));
}

/// Saves `model` in the format `path`'s extension names: `.keras` (save_keras_zip_model), `.h5` / `.hdf5`
/// (save_keras_h5_model). std::invalid_argument naming the path for any other extension.
template <class Scalar>
void save_model(const Model<Scalar>& model, const std::string& path) {
    auto ends = [&](const char* ext) { return detail::ends_with(path, ext); };
    if (ends(".keras")) return save_keras_zip_model(model, path);
    if (ends(".h5") || ends(".hdf5")) return save_keras_h5_model(model, path);
    ELMAN_THROW(std::invalid_argument("save_model: '" + path +
                                      "' has no extension elman saves (.keras for Keras 3, .h5 / .hdf5 for Keras' "
                                      "HDF5 layout)"));
}

}  // namespace io
ELMAN_NAMESPACE_END
