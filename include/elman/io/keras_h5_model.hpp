// SPDX-License-Identifier: MIT
// A whole Keras model from an HDF5 file: `model.save("m.h5")` (Keras 1, Keras 2, tf.keras 2.x, Keras 3's legacy
// h5) or `model.save_weights("w.h5")` plus the `model.to_json()` text. Needs HDF5 (see io/hdf5.hpp).
#pragma once

#include <elman/config.hpp>
#include <elman/io/error.hpp>
#include <elman/io/file.hpp>
#include <elman/io/hdf5.hpp>
#include <elman/io/json.hpp>
#include <elman/io/keras_translate.hpp>
#include <elman/io/load_options.hpp>
#include <elman/model/model.hpp>
#include <elman/model/weights.hpp>
#include <elman/tensor.hpp>

#include <hdf5.h>

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

ELMAN_NAMESPACE_BEGIN
namespace io {
namespace detail {

/// The weights of a Keras .h5 weights group (`model_weights` of a model file, the root of a weights file): a
/// layer's weights are the datasets its group's `weight_names` lists, in that order (the order Keras' own
/// loader relies on; the names differ between Keras versions: `simplernn_1_W:0`, `simple_rnn_1/kernel`,
/// `simple_rnn_9/simple_rnn_cell_9/kernel:0`, `sequential/simple_rnn/simple_rnn_cell/kernel`). Every listed
/// group is opened and its `weight_names` read when the provider is made, so a missing group is reported even
/// for a layer the model never asks about; datasets are read when their layer asks.
template <class Scalar>
class H5GroupWeights final : public model::WeightsProvider<Scalar> {
  public:
    H5GroupWeights(H5Reader& reader, hid_t root, const LoadOptions& options) : reader_(reader), options_(options) {
        const std::string& src = reader_.source();
        layer_names_ = h5_read_keras_list(root, "layer_names", src, "the weights group");
        for (const std::string& n : layer_names_) {
            if (groups_.count(n)) throw FormatError(src, "duplicate layer name '" + n + "' in layer_names");
            const std::string missing = "layer_names lists '" + n + "' but there is no such group";
            H5Id g = h5_open(root, n, false, reader_.box(), src, "layer group '" + n + "'", missing);
            if (!g.valid()) throw FormatError(src, missing);
            Group entry;
            entry.weight_names = h5_read_keras_list(g.get(), "weight_names", src, "layer group '" + n + "'");
            entry.id = std::move(g);
            groups_.emplace(n, std::move(entry));
        }
    }

    std::string source() const override { return reader_.source(); }

    std::vector<Tensor<Scalar>> weights(const model::WeightRequest& request) override {
        const auto it = groups_.find(request.layer);
        if (it == groups_.end()) return {};
        requested_.insert(request.layer);
        std::vector<Tensor<Scalar>> out;
        for (const std::string& name : it->second.weight_names)
            out.push_back(h5_read_weight<Scalar>(it->second.id.get(), name, reader_.source(), reader_.size(),
                                                 reader_.box(), options_));
        return out;
    }

    std::vector<std::string> unrequested() const override {
        std::vector<std::string> names;
        for (const std::string& n : layer_names_)
            if (!requested_.count(n) && !groups_.at(n).weight_names.empty()) names.push_back(n);
        return names;
    }

  private:
    struct Group {
        H5Id id;
        std::vector<std::string> weight_names;
    };
    H5Reader& reader_;
    const LoadOptions& options_;
    std::vector<std::string> layer_names_;
    std::map<std::string, Group> groups_;
    std::set<std::string> requested_;
};

/// The `keras_version` string attribute of `obj`, or "" when there is none.
inline std::string h5_keras_version(hid_t obj, const std::string& source) {
    if (!h5_has_attr(obj, "keras_version")) return "";
    const std::vector<std::string> v = h5_read_strings(obj, "keras_version", source);
    return v.empty() ? std::string() : v[0];
}

template <class Scalar>
Model<Scalar> keras_h5_model(H5Reader& reader, hid_t weights_root, const json::Value& config,
                             const std::string& keras_version, const std::string& config_source,
                             const LoadOptions& options) {
    const json::Value translated = translate_model_config(config, keras_version, options.semantics, config_source);
    H5GroupWeights<Scalar> weights(reader, weights_root, options);
    return Model<Scalar>::from_config(translated, weights, config_source,
                                      ModelOrigin{keras_version, keras3_semantics(keras_version, options.semantics)});
}

}  // namespace detail

/// A whole model saved by Keras' `model.save("m.h5")`: the model config from the root attribute `model_config`,
/// the weights from the `model_weights` group (`layer_names`, each layer's `weight_names`, in that order). Keras
/// 1 configs are translated to Keras 2 (io/keras_translate.hpp); the file's `keras_version` decides the semantics
/// unless `options.semantics` does. Everything the model runtime refuses, and everything the single-layer loader
/// refuses (external links or storage, virtual datasets, unknown filters, oversize datasets, float64 data into a
/// float model), throws FormatError naming the file; so does running out of memory.
template <class Scalar>
Model<Scalar> load_keras_h5_model(const std::string& path, const LoadOptions& options = {}) {
    return detail::translate_alloc_failure(path, [&] {
        detail::H5Reader reader(path);
        if (!detail::h5_has_attr(reader.file(), "model_config"))
            throw FormatError(path,
                              "no `model_config` attribute: a weights-only file (model.save_weights) needs "
                              "the model config too (load_keras_h5_model(weights_path, config_path))");
        const std::vector<std::string> text = detail::h5_read_strings(reader.file(), "model_config", path);
        if (text.size() != 1) throw FormatError(path, "model_config must be a single string");
        const std::string config_source = path + " [model_config]";
        const json::Value config = json::parse(text[0], config_source);
        detail::H5Id root = detail::h5_open(reader.file(), "model_weights", false, reader.box(), path,
                                            "the weights group", "no `model_weights` group");
        if (!root.valid()) throw FormatError(path, "cannot open the `model_weights` group");
        std::string version = detail::h5_keras_version(reader.file(), path);
        if (version.empty()) version = detail::h5_keras_version(root.get(), path);
        return detail::keras_h5_model<Scalar>(reader, root.get(), config, version, config_source, options);
    });
}

/// A whole model from `model.save_weights("w.h5")` (the layer groups at the root, `layer_names` on the root) and
/// the `model.to_json()` text in `config_path`. Keras 2.1 stores the `weight_names` of a layer without weights as
/// an empty float64 array; that loads. The semantics come from the weights file's `keras_version` (or the JSON's
/// `keras_version`) unless `options.semantics` decides. Errors as the one-file form, naming the file concerned.
template <class Scalar>
Model<Scalar> load_keras_h5_model(const std::string& weights_path, const std::string& config_path,
                                  const LoadOptions& options = {}) {
    return detail::translate_alloc_failure(weights_path, [&] {
        const json::Value config = json::parse(read_file(config_path, std::size_t(64) << 20), config_path);
        detail::H5Reader reader(weights_path);
        detail::H5Id root = detail::h5_open(reader.file(), "/", false, reader.box(), weights_path, "the weights group",
                                            "no root group");
        if (!root.valid()) throw FormatError(weights_path, "cannot open the root group");
        if (H5Lexists(reader.file(), "model_weights", reader.box().access()) > 0 &&
            !detail::h5_has_attr(root.get(), "layer_names"))
            throw FormatError(weights_path,
                              "a whole-model file (model.save): load it with load_keras_h5_model(path) alone");
        std::string version = detail::h5_keras_version(reader.file(), weights_path);
        if (version.empty())
            if (const json::Value* v = config.find("keras_version"); v && v->is_string()) version = v->as_string();
        return detail::keras_h5_model<Scalar>(reader, root.get(), config, version, config_path, options);
    });
}

}  // namespace io
ELMAN_NAMESPACE_END
