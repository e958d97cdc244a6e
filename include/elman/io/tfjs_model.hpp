// SPDX-License-Identifier: MIT
// A whole TensorFlow.js Layers model (model.json + weight shards) as an elman::Model.
#pragma once

#include <elman/config.hpp>
#include <elman/io/error.hpp>
#include <elman/io/file.hpp>
#include <elman/io/json.hpp>
#include <elman/io/keras_translate.hpp>
#include <elman/io/load_options.hpp>
#include <elman/io/tfjs.hpp>
#include <elman/model/model.hpp>
#include <elman/model/weights.hpp>
#include <elman/shape.hpp>
#include <elman/tensor.hpp>

#include <algorithm>
#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

ELMAN_NAMESPACE_BEGIN
namespace io {

/// The weights of a tfjs `weightsManifest`, decoded: every weight's full name ("dense/kernel",
/// "bidirectional/forward_simple_rnn/kernel") and tensor, in manifest order (tfjs writes `model.weights` order).
/// As a model::WeightsProvider it answers a layer's request with the weights named "<layer>/...": in the order
/// of the requested names when all of them are stored, else in manifest order (the runtime then reports the
/// mismatch).
template <class Scalar>
class TfjsWeights final : public model::WeightsProvider<Scalar> {
  public:
    TfjsWeights(std::string source, std::vector<std::pair<std::string, Tensor<Scalar>>> weights)
        : source_(std::move(source)), weights_(std::move(weights)) {
        // Weight indices sorted by name: a layer's weights (`<layer>/...`) are one range found by binary search
        // (one scan of the whole manifest per layer made a model with many layers quadratic).
        by_name_.resize(weights_.size());
        for (std::size_t i = 0; i < by_name_.size(); ++i) by_name_[i] = i;
        std::sort(by_name_.begin(), by_name_.end(),
                  [&](std::size_t a, std::size_t b) { return weights_[a].first < weights_[b].first; });
    }

    const std::vector<std::pair<std::string, Tensor<Scalar>>>& stored() const noexcept { return weights_; }

    std::string source() const override { return source_; }
    std::vector<Tensor<Scalar>> weights(const model::WeightRequest& request) override {
        const std::string prefix = request.layer + "/";
        auto it = std::lower_bound(by_name_.begin(), by_name_.end(), prefix,
                                   [&](std::size_t i, const std::string& p) { return weights_[i].first < p; });
        std::vector<std::size_t> mine;
        for (; it != by_name_.end() && weights_[*it].first.compare(0, prefix.size(), prefix) == 0; ++it)
            mine.push_back(*it);
        std::sort(mine.begin(), mine.end());  // manifest order
        std::vector<std::size_t> order;
        for (const model::WeightSpec& spec : request.expected) {
            for (std::size_t i : mine)
                if (weights_[i].first == prefix + spec.name) order.push_back(i);
        }
        if (order.size() != request.expected.size() || order.size() != mine.size()) order = mine;
        std::vector<Tensor<Scalar>> out;
        for (std::size_t i : order) {
            out.push_back(weights_[i].second);
            used_.insert(i);
        }
        return out;
    }
    std::vector<std::string> unrequested() const override {
        std::vector<std::string> names;
        for (std::size_t i = 0; i < weights_.size(); ++i)
            if (!used_.count(i)) names.push_back(weights_[i].first.substr(0, weights_[i].first.find('/')));
        return names;
    }

  private:
    std::string source_;
    std::vector<std::pair<std::string, Tensor<Scalar>>> weights_;
    std::vector<std::size_t> by_name_;  // indices into weights_, sorted by name
    std::set<std::size_t> used_;
};

/// Decodes every weight of a tfjs `weightsManifest` through the tfjs loaders' one manifest walk
/// (detail::read_manifest_weights: unsafe, repeated or oversized shards, non-float32 weights and sizes that do not
/// add up throw FormatError naming `source`).
template <class Scalar, class ReadShard>
TfjsWeights<Scalar> read_tfjs_weights(const json::Value& manifest, const std::string& source, ReadShard&& read_shard,
                                      const LoadOptions& options = {}) {
    std::vector<std::pair<std::string, Tensor<Scalar>>> out;
    for (detail::ManifestWeight<Scalar>& w : detail::read_manifest_weights<Scalar>(
             &manifest, source, read_shard, options, [](const std::string&) { return true; }))
        out.emplace_back(std::move(w.name), std::move(w.value));
    return TfjsWeights<Scalar>(source, std::move(out));
}

/// A whole tfjs Layers model from its `model.json` text and shards (read through `read_shard(relative path)`).
/// Everything the model runtime refuses (unsupported classes, config keys, graphs) and every manifest problem
/// throws FormatError naming `source`; so does running out of memory while loading.
template <class Scalar, class ReadShard>
Model<Scalar> read_tfjs_model(std::string_view model_json, const std::string& source, ReadShard&& read_shard,
                              const LoadOptions& options = {}) {
    return detail::translate_alloc_failure(source, [&] {
        const json::Value root = json::parse(model_json, source);
        if (!root.is_object()) throw FormatError(source, "model.json must hold a JSON object");
        if (const json::Value* fmt = root.find("format"); fmt && fmt->is_string() && fmt->as_string() != "layers-model")
            throw FormatError(source, "format is \"" + fmt->as_string() +
                                          "\", expected \"layers-model\" (a graph model has no Keras layers)");
        const json::Value* topology = root.find("modelTopology");
        if (!topology) throw FormatError(source, "no `modelTopology` (not a tfjs Layers model.json)");
        const json::Value* manifest = root.find("weightsManifest");
        if (!manifest) throw FormatError(source, "no `weightsManifest` list");
        TfjsWeights<Scalar> weights = read_tfjs_weights<Scalar>(*manifest, source, read_shard, options);
        // tfjs follows TF 2.x; options.semantics may ask for Keras 3's meaning of the names that changed.
        const json::Value config = detail::translate_model_config(*topology, "tfjs", options.semantics, source);
        return Model<Scalar>::from_config(config, weights, source,
                                          ModelOrigin{"tfjs", detail::keras3_semantics("tfjs", options.semantics)});
    });
}

/// A whole tfjs Layers model from the path of its `model.json`, its shards read from the same folder with the
/// checks of load_tfjs (no shard outside the folder, none twice, totals within `options`).
template <class Scalar>
Model<Scalar> load_tfjs_model(const std::string& model_json_path, const LoadOptions& options = {}) {
    return detail::translate_alloc_failure(model_json_path, [&] {
        detail::FolderShardReader read_shard(model_json_path, options);
        return read_tfjs_model<Scalar>(read_file(model_json_path, std::size_t(64) << 20), model_json_path, read_shard,
                                       options);
    });
}

}  // namespace io
ELMAN_NAMESPACE_END
