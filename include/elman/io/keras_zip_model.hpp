// SPDX-License-Identifier: MIT
// A whole Keras 3 model from its native `.keras` archive (metadata.json, config.json, model.weights.h5). Needs
// HDF5 (see io/hdf5.hpp); deflated members need zlib (ELMAN_HAVE_ZLIB), as every ZIP reader of elman.
#pragma once

#include <elman/config.hpp>
#include <elman/io/detail/zip.hpp>
#include <elman/io/error.hpp>
#include <elman/io/file.hpp>
#include <elman/io/hdf5.hpp>
#include <elman/io/json.hpp>
#include <elman/io/keras_translate.hpp>
#include <elman/io/load_options.hpp>
#include <elman/io/model_topology.hpp>
#include <elman/model/model.hpp>
#include <elman/model/weights.hpp>
#include <elman/tensor.hpp>

#include <hdf5.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

ELMAN_NAMESPACE_BEGIN
namespace io {
namespace detail {

/// Keras' `to_snake_case` of a class name: "SimpleRNN" -> "simple_rnn", "TimeDistributed" -> "time_distributed",
/// "InputLayer" -> "input_layer", "SpatialDropout1D" -> "spatial_dropout1d" (an underscore before each capital
/// that starts a capitalised word, then before each capital that follows a lower-case letter, then lower case).
inline std::string keras_snake_case(const std::string& name) {
    auto upper = [](char c) { return std::isupper(static_cast<unsigned char>(c)) != 0; };
    auto lower = [](char c) { return std::islower(static_cast<unsigned char>(c)) != 0; };
    std::string a;  // pass 1: (.)([A-Z][a-z]+) -> \1_\2
    for (std::size_t i = 0; i < name.size(); ++i) {
        if (i > 0 && upper(name[i]) && i + 1 < name.size() && lower(name[i + 1])) a += '_';
        a += name[i];
    }
    std::string b;  // pass 2: ([a-z])([A-Z]) -> \1_\2
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (i > 0 && upper(a[i]) && lower(a[i - 1])) b += '_';
        b += a[i];
    }
    for (char& c : b) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return b;
}

/// The name of the layer a wrapper's config holds under `key` ("layer", "backward_layer"); "" when absent.
inline std::string wrapped_layer_name(const json::Value& config, const char* key) {
    const json::Value* inner = config.find(key);
    const json::Value* cfg = inner && inner->is_object() ? inner->find("config") : nullptr;
    const json::Value* n = cfg ? cfg->find("name") : nullptr;
    return n && n->is_string() ? n->as_string() : std::string();
}

/// The `name` Keras 3 gives the forward or backward layer of a Bidirectional with config `config`:
/// "forward_<layer>" / "backward_<layer>" (a prefix already there is not doubled); a custom `backward_layer`
/// keeps its own name (Keras 3's Bidirectional does not rename it, unlike TF 2.x's).
inline std::string bidirectional_part_name(const json::Value& config, bool forward) {
    const std::string inner = wrapped_layer_name(config, "layer");
    if (!forward)
        if (const json::Value* b = config.find("backward_layer"); b && !b->is_null())
            return wrapped_layer_name(config, "backward_layer");
    const std::string prefix = forward ? "forward_" : "backward_";
    return inner.compare(0, prefix.size(), prefix) == 0 ? inner : prefix + inner;
}

/// One layer of the model as the archive addresses it: `layers/<key>`.
struct ZipLayer {
    std::string key, class_name, name;
    const json::Value* config = nullptr;
};

/// The weights of a Keras 3 `model.weights.h5`: `layers/<key>/.../vars/<i>`, where `<key>` is Keras'
/// snake_case class name made unique with `_1`, `_2`, ... in the order of the model's layers (each class counted
/// separately). Each layer's `vars` groups are read in the order Keras' `layer.weights` lists them; a `name`
/// attribute on a `vars` group (recent Keras 3) must be the name of the layer or cell mapped to it.
template <class Scalar>
class KerasZipWeights final : public model::WeightsProvider<Scalar> {
  public:
    KerasZipWeights(H5Reader& reader, std::vector<ZipLayer> layers, const LoadOptions& options)
        : reader_(reader), options_(options), layers_(std::move(layers)) {
        // Looked up once per layer and once per dataset: maps keep a model with many layers out of O(n^2).
        for (std::size_t i = 0; i < layers_.size(); ++i) {
            by_name_[layers_[i].name] = i;
            by_key_[layers_[i].key] = i;
        }
        walk("/", "", 0);
        // Sorted, so a vars group's datasets are one range found by binary search (one scan of every dataset
        // per layer made a model with many layers quadratic). The datasets below one group stay contiguous.
        std::sort(datasets_.begin(), datasets_.end());
    }

    std::string source() const override { return reader_.source(); }

    std::vector<Tensor<Scalar>> weights(const model::WeightRequest& request) override {
        const auto found = by_name_.find(request.layer);
        if (found == by_name_.end()) return {};
        const ZipLayer* layer = &layers_[found->second];
        const std::string base = "layers/" + layer->key;
        check_name(base + "/vars", layer->name);
        std::vector<Tensor<Scalar>> out;
        const std::string& cls = layer->class_name;
        if (cls == "SimpleRNN") {
            read_vars(base + "/cell/vars", "simple_rnn_cell", out);
        } else if (cls == "TimeDistributed") {
            read_vars(base + "/layer/vars", wrapped_layer_name(*layer->config, "layer"), out);
        } else if (cls == "Bidirectional") {
            // Keras walks the attributes alphabetically (backward_layer first); `layer.weights` lists the
            // forward layer first, and so does the request.
            check_name(base + "/forward_layer/vars", bidirectional_part_name(*layer->config, true));
            read_vars(base + "/forward_layer/cell/vars", "simple_rnn_cell", out);
            check_name(base + "/backward_layer/vars", bidirectional_part_name(*layer->config, false));
            read_vars(base + "/backward_layer/cell/vars", "simple_rnn_cell", out);
        } else {
            read_vars(base + "/vars", layer->name, out);
        }
        return out;
    }

    std::vector<std::string> unrequested() const override {
        std::vector<std::string> names;
        for (const std::string& d : datasets_) {
            if (used_.count(d)) continue;
            std::string who = d.substr(0, d.find('/'));
            if (who == "layers") {
                const std::string key = d.substr(7, d.find('/', 7) - 7);
                const auto found = by_key_.find(key);
                who = found == by_key_.end() ? key : layers_[found->second].name;
            }
            if (names.empty() || names.back() != who) names.push_back(who);
        }
        return names;
    }

  private:
    /// Every dataset below `path` (except the optimizer's state), through hard and soft links only.
    void walk(const std::string& path, const std::string& prefix, int depth) {
        const std::string& src = reader_.source();
        if (depth > 32) throw FormatError(src, "groups nested more than 32 deep at '" + path + "'");
        H5Id g = h5_open(reader_.file(), path, false, reader_.box(), src, "group '" + path + "'",
                         "missing group '" + path + "'");
        if (!g.valid()) throw FormatError(src, "cannot open group '" + path + "'");
        H5G_info_t info;
        if (H5Gget_info(g.get(), &info) < 0) throw FormatError(src, "cannot inspect group '" + path + "'");
        for (hsize_t i = 0; i < info.nlinks; ++i) {
            if (++links_ > 100000) throw FormatError(src, "more than 100000 links in the weights file");
            char buf[1024] = {0};
            const ssize_t len = H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, buf, sizeof buf,
                                                   reader_.box().access());
            if (len < 0 || static_cast<std::size_t>(len) >= sizeof buf)
                throw FormatError(src, "cannot read a link name in group '" + path + "'");
            const std::string name(buf, static_cast<std::size_t>(len));
            const std::string child = prefix.empty() ? name : prefix + "/" + name;
            if (child == "optimizer") continue;  // training state, never needed for inference
            H5L_info_t link;
            if (H5Lget_info(g.get(), name.c_str(), &link, reader_.box().access()) < 0)
                throw FormatError(src, "cannot inspect the link '" + child + "'");
            if (link.type != H5L_TYPE_HARD && link.type != H5L_TYPE_SOFT)
                throw FormatError(src, "'" + child + "' is " +
                                           (link.type == H5L_TYPE_EXTERNAL ? "an external" : "a user-defined") +
                                           " link (refused: elman reads nothing outside the file)");
            H5Id obj(H5Oopen(g.get(), name.c_str(), reader_.box().access()), H5Oclose);
            if (!obj.valid()) {
                const std::string refused = reader_.box().take_refused();
                throw FormatError(
                    src, "cannot open '" + child + "'" +
                             (refused.empty() ? std::string() : " (an external link to " + refused + ", refused)"));
            }
            const H5I_type_t type = H5Iget_type(obj.get());
            if (type == H5I_GROUP) {
                walk("/" + child, child, depth + 1);
            } else if (type == H5I_DATASET) {
                datasets_.push_back(child);
            }
        }
    }

    void check_name(const std::string& group, const std::string& expected) {
        if (H5Lexists(reader_.file(), group.c_str(), reader_.box().access()) <= 0) return;
        H5Id g = h5_open(reader_.file(), group, false, reader_.box(), reader_.source(), "group '" + group + "'",
                         "missing group '" + group + "'");
        if (!g.valid() || !h5_has_attr(g.get(), "name")) return;
        const std::vector<std::string> name = h5_read_strings(g.get(), "name", reader_.source());
        if (name.size() != 1 || name[0] != expected)
            throw FormatError(reader_.source(), "'" + group + "' is named '" + (name.empty() ? "" : name[0]) +
                                                    "' but the model config maps it to '" + expected +
                                                    "' (the weights belong to another model?)");
    }

    /// The datasets `0`, `1`, ... of a `vars` group, in that order.
    void read_vars(const std::string& group, const std::string& expected_name, std::vector<Tensor<Scalar>>& out) {
        if (H5Lexists(reader_.file(), group.c_str(), reader_.box().access()) <= 0) return;
        check_name(group, expected_name);
        const std::string prefix = group + "/";
        const auto first = std::lower_bound(datasets_.begin(), datasets_.end(), prefix);
        auto last = first;
        while (last != datasets_.end() && last->compare(0, prefix.size(), prefix) == 0) ++last;
        const std::size_t count = static_cast<std::size_t>(last - first);
        for (std::size_t i = 0; i < count; ++i) {
            const std::string path = prefix + std::to_string(i);
            if (!std::binary_search(first, last, path))
                throw FormatError(reader_.source(), "'" + group + "' holds " + std::to_string(count) +
                                                        " datasets but no '" + std::to_string(i) +
                                                        "' (expected 0 .. n-1)");
            out.push_back(h5_read_weight<Scalar>(reader_.file(), path, reader_.source(), reader_.size(), reader_.box(),
                                                 options_));
            used_.insert(path);
        }
    }

    H5Reader& reader_;
    const LoadOptions& options_;
    std::vector<ZipLayer> layers_;
    std::map<std::string, std::size_t> by_name_, by_key_;  // index into layers_ (the last of equal names)
    std::vector<std::string> datasets_;                    // sorted
    std::set<std::string> used_;
    std::size_t links_ = 0;
};

/// The archive's layers in the order Keras saves them, with their keys: a Sequential model's `layers` without
/// its InputLayer (Keras 3's Sequential.layers leaves it out), a Functional model's every layer.
inline std::vector<ZipLayer> zip_layers(const json::Value& config, const std::string& source) {
    const json::Value& layers = model_layers(config, source);
    const json::Value* cls = config.find("class_name");
    const bool sequential = cls && cls->is_string() && cls->as_string() == "Sequential";
    std::map<std::string, int> used;
    std::vector<ZipLayer> out;
    for (const json::Value& entry : layers.items()) {
        const json::Value* c = entry.find("class_name");
        const json::Value* cfg = entry.find("config");
        if (!c || !c->is_string() || !cfg || !cfg->is_object()) continue;  // the model reader reports it
        if (sequential && c->as_string() == "InputLayer") continue;
        ZipLayer l;
        l.class_name = c->as_string();
        l.name = layer_name(entry);
        l.config = cfg;
        l.key = keras_snake_case(l.class_name);
        const auto it = used.find(l.key);
        if (it == used.end())
            used.emplace(l.key, 0);
        else
            l.key += "_" + std::to_string(++it->second);
        out.push_back(std::move(l));
    }
    return out;
}

}  // namespace detail

/// A whole model from a Keras 3 `.keras` archive: `config.json` (the model config), `metadata.json`
/// (`keras_version`, which decides the semantics unless `options.semantics` does) and `model.weights.h5`,
/// opened from memory with every check of the .h5 loaders. Weights stored for no layer of the model are an error
/// (except the optimizer's state), so are `vars` groups whose `name` disagrees with the layer mapped to them,
/// missing or corrupt members, and anything the model runtime refuses; all as FormatError naming the file.
template <class Scalar>
Model<Scalar> load_keras_zip_model(const std::string& path, const LoadOptions& options = {}) {
    return detail::translate_alloc_failure(path, [&] {
        const std::string bytes = read_file(path, options.max_file_bytes);
        std::vector<detail::ZipEntry> entries = detail::read_zip(bytes, path, options);
        const detail::ZipEntry* metadata = nullptr;
        const detail::ZipEntry* config_entry = nullptr;
        const detail::ZipEntry* weights_entry = nullptr;
        for (const detail::ZipEntry& e : entries) {
            if (e.name == "metadata.json")
                metadata = &e;
            else if (e.name == "config.json")
                config_entry = &e;
            else if (e.name == "model.weights.h5")
                weights_entry = &e;
            else if (e.name.compare(0, 7, "assets/") != 0 || e.data.size() > 0)
                throw FormatError(path, "unexpected archive member '" + e.name +
                                            "' (a .keras file holds metadata.json, config.json and model.weights.h5)");
        }
        for (const auto& [entry, name] : {std::pair{metadata, "metadata.json"}, std::pair{config_entry, "config.json"},
                                          std::pair{weights_entry, "model.weights.h5"}})
            if (!entry) throw FormatError(path, std::string("no `") + name + "` in the archive (not a .keras file?)");
        const json::Value meta = json::parse(metadata->data, path + " [metadata.json]");
        std::string version;
        if (const json::Value* v = meta.find("keras_version"); v && v->is_string()) version = v->as_string();
        if (version.empty()) throw FormatError(path, "metadata.json records no `keras_version`");
        const std::string config_source = path + " [config.json]";
        const json::Value config = detail::translate_model_config(json::parse(config_entry->data, config_source),
                                                                  version, options.semantics, config_source);
        detail::H5Reader reader(weights_entry->data, path + " [model.weights.h5]");
        detail::KerasZipWeights<Scalar> weights(reader, detail::zip_layers(config, config_source), options);
        return Model<Scalar>::from_config(config, weights, config_source,
                                          ModelOrigin{version, detail::keras3_semantics(version, options.semantics)});
    });
}

}  // namespace io
ELMAN_NAMESPACE_END
