// SPDX-License-Identifier: MIT
// TensorFlow.js Layers format: model.json (Keras model config + weights manifest) and its binary shards.
#pragma once

#include <elman/config.hpp>
#include <elman/io/detail/bytes.hpp>
#include <elman/io/detail/weight_names.hpp>
#include <elman/io/error.hpp>
#include <elman/io/file.hpp>
#include <elman/io/json.hpp>
#include <elman/io/layer_config.hpp>
#include <elman/io/load_options.hpp>
#include <elman/io/loaded_layer.hpp>
#include <elman/io/model_topology.hpp>
#include <elman/shape.hpp>
#include <elman/tensor.hpp>

#include <cstddef>
#include <exception>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_set>
#include <utility>
#include <vector>

ELMAN_NAMESPACE_BEGIN
namespace io {

/// Supplies the bytes of a weight shard named in the manifest (a path relative to model.json). read_tfjs takes
/// any callable `std::string(const std::string&)` (a lambda is passed straight through, without the type erasure
/// of std::function, which made g++ 12 -O1 with sanitizers warn -Wmaybe-uninitialized inside <functional>);
/// this alias remains for code that wants to store a reader.
using ShardReader = std::function<std::string(const std::string& relative_path)>;

namespace detail {

/// Whether `path` lies strictly below `folder`, comparing whole components (so /m/a is not inside /m/ab). Both
/// must be canonical.
inline bool path_is_inside(const std::filesystem::path& path, const std::filesystem::path& folder) {
    auto p = path.begin();
    for (auto f = folder.begin(); f != folder.end(); ++f, ++p) {
        if (f->empty()) continue;  // a trailing separator
        if (p == path.end() || *p != *f) return false;
    }
    return p != path.end();
}

/// One weight decoded from a tfjs `weightsManifest`.
template <class Scalar>
struct ManifestWeight {
    std::string name;
    Tensor<Scalar> value;
};

/// The one walk over a tfjs `weightsManifest` (every tfjs loader uses it): the groups' shards are concatenated
/// in order (tfjs splits the byte stream anywhere) and each weight's bytes follow the previous one's. Decodes the
/// weights whose name `wanted(name)` selects, in manifest order, reading only the shards of groups that hold one.
/// Refuses unsafe or repeated shard paths, quantized or non-float32 selected weights, shard totals over
/// `options.max_file_bytes` (checked before each append), selected weights over `options.max_array_bytes` and
/// shards whose sizes do not add up, each with a FormatError naming `source`.
template <class Scalar, class ReadShard, class Wanted>
std::vector<ManifestWeight<Scalar>> read_manifest_weights(const json::Value* manifest, const std::string& source,
                                                          ReadShard& read_shard, const LoadOptions& options,
                                                          Wanted&& wanted) {
    if (!manifest || !manifest->is_array()) throw FormatError(source, "no `weightsManifest` list");
    std::vector<ManifestWeight<Scalar>> out;
    // Every shard path of the manifest, checked once up front: a path listed twice would make its bytes count
    // twice (tfjs concatenates the list), which no writer does and which multiplies what a small folder costs.
    std::unordered_set<std::string_view> shard_paths;
    for (const json::Value& group : manifest->items()) {
        const json::Value* paths = group.find("paths");
        if (!paths || !paths->is_array()) continue;  // reported with the group below
        for (const json::Value& p : paths->items()) {
            if (!p.is_string() || p.as_string().empty() || p.as_string()[0] == '/' ||
                p.as_string().find("..") != std::string::npos) {
                throw FormatError(source, "weightsManifest has an unsafe or invalid shard path");
            }
            if (!shard_paths.insert(p.as_string()).second)
                throw FormatError(source, "weightsManifest lists shard '" + p.as_string() + "' more than once");
        }
    }
    for (const json::Value& group : manifest->items()) {
        const json::Value* paths = group.find("paths");
        const json::Value* weights = group.find("weights");
        if (!paths || !paths->is_array() || !weights || !weights->is_array()) {
            throw FormatError(source, "a weightsManifest group lacks `paths` or `weights` lists");
        }
        // The group's byte stream: its shards in order.
        std::string data;
        bool loaded = false;
        std::size_t offset = 0;
        for (const json::Value& spec : weights->items()) {
            const json::Value* name = spec.find("name");
            const json::Value* shape = spec.find("shape");
            const json::Value* dtype = spec.find("dtype");
            if (!name || !name->is_string() || !shape || !shape->is_array()) {
                throw FormatError(source, "a weight spec lacks a string `name` or a `shape` list");
            }
            const std::string& wname = name->as_string();
            const std::string dt = dtype && dtype->is_string() ? dtype->as_string() : "";
            if (spec.contains("quantization"))
                throw FormatError(source, "weight '" + wname + "' is quantized; save the model unquantized");
            if (shape->size() > static_cast<std::size_t>(Shape::max_rank)) {
                throw FormatError(source, "weight '" + wname + "' has rank " + std::to_string(shape->size()));
            }
            Index extents[Shape::max_rank] = {0, 0, 0, 0};
            for (std::size_t i = 0; i < shape->size(); ++i) {
                const json::Value& e = (*shape)[i];
                if (!e.is_integer() || e.as_integer() < 0 || e.as_integer() > (1LL << 40)) {
                    throw FormatError(source, "weight '" + wname + "' has an invalid shape entry");
                }
                extents[i] = static_cast<Index>(e.as_integer());
            }
            Shape s;
            switch (shape->size()) {
                case 0:
                    break;
                case 1:
                    s = Shape{extents[0]};
                    break;
                case 2:
                    s = Shape{extents[0], extents[1]};
                    break;
                case 3:
                    s = Shape{extents[0], extents[1], extents[2]};
                    break;
                default:
                    s = Shape{extents[0], extents[1], extents[2], extents[3]};
                    break;
            }
            std::size_t width = 4;  // float32, int32 and bool (1 byte) are tfjs' weight dtypes
            if (dt == "bool")
                width = 1;
            else if (dt != "float32" && dt != "int32")
                throw FormatError(source, "weight '" + wname + "' has unsupported dtype '" + dt + "'");
            Index count = 0;
            try {
                count = s.size();
            } catch (const std::exception&) {
                throw FormatError(source, "weight '" + wname + "' has an overflowing shape " + s.to_string());
            }
            const bool mine = wanted(wname);
            if (mine && !loaded) {
                for (const json::Value& p : paths->items()) {
                    const std::string shard = read_shard(p.as_string());
                    if (shard.size() > options.max_file_bytes - data.size()) {
                        throw FormatError(source, "weight shards exceed the size limit of " +
                                                      std::to_string(options.max_file_bytes) +
                                                      " bytes (io::LoadOptions::max_file_bytes)");
                    }
                    data += shard;
                }
                loaded = true;
            }
            if (static_cast<std::size_t>(count) > (std::size_t(1) << 40) / width) {
                throw FormatError(source, "weight '" + wname + "' is absurdly large");
            }
            const std::size_t bytes = static_cast<std::size_t>(count) * width;
            if (mine && bytes > options.max_array_bytes) {
                throw FormatError(
                    source, "weight '" + wname + "' of shape " + s.to_string() + " is larger than the limit of " +
                                std::to_string(options.max_array_bytes) + " bytes (io::LoadOptions::max_array_bytes)");
            }
            if (mine) {
                if (dt != "float32")
                    throw FormatError(source, "weight '" + wname + "' has dtype '" + dt + "', expected float32");
                if (offset + bytes > data.size()) {
                    throw FormatError(source, "weight shards hold " + std::to_string(data.size()) +
                                                  " bytes but weight '" + wname + "' needs bytes " +
                                                  std::to_string(offset) + ".." + std::to_string(offset + bytes) +
                                                  " (truncated shard?)");
                }
                Tensor<Scalar> t(s);
                detail::decode_floats(reinterpret_cast<const unsigned char*>(data.data() + offset),
                                      static_cast<std::size_t>(count), 4, true, t.data(), source,
                                      "weight '" + wname + "'");
                out.push_back(ManifestWeight<Scalar>{wname, std::move(t)});
            }
            offset += bytes;
        }
        if (loaded && offset != data.size()) {
            throw FormatError(source, "weight shards hold " + std::to_string(data.size()) +
                                          " bytes but the manifest describes " + std::to_string(offset));
        }
    }
    return out;
}

template <class Scalar, class ReadShard>
LoadedLayer<Scalar> read_tfjs_layer(std::string_view model_json, const std::string& source, ReadShard& read_shard,
                                    const LayerSelector& selector, const LoadOptions& options) {
    const json::Value root = json::parse(model_json, source);
    if (!root.is_object()) throw FormatError(source, "model.json must hold a JSON object");
    const json::Value* topology = root.find("modelTopology");
    if (!topology) throw FormatError(source, "no `modelTopology` (not a tfjs Layers model.json)");
    if (const json::Value* fmt = root.find("format"); fmt && fmt->is_string() && fmt->as_string() != "layers-model") {
        throw FormatError(source, "format is \"" + fmt->as_string() +
                                      "\", expected \"layers-model\" (a graph model has no Keras layers)");
    }
    const FoundLayer found = find_simple_rnn_layer(*topology, selector, source);
    LoadedLayer<Scalar> out;
    out.source = source;
    out.config = parse_layer_config(*found.entry, source);

    const std::string prefix = found.name + "/";
    std::vector<std::string> names;
    std::vector<Tensor<Scalar>> tensors;
    for (ManifestWeight<Scalar>& w : read_manifest_weights<Scalar>(
             root.find("weightsManifest"), source, read_shard, options,
             [&](const std::string& n) { return n.compare(0, prefix.size(), prefix) == 0; })) {
        names.push_back(std::move(w.name));
        tensors.push_back(std::move(w.value));
    }
    if (names.empty()) throw FormatError(source, "weightsManifest has no weights for layer '" + found.name + "'");
    const detail::WeightSlots slots = detail::weight_slots(names, source, found.name);
    out.weights.push_back(std::move(tensors[slots.kernel]));
    out.weights.push_back(std::move(tensors[slots.recurrent_kernel]));
    if (slots.has_bias) out.weights.push_back(std::move(tensors[slots.bias]));
    detail::check_weights(out);
    return out;
}

/// Reads the shards of the folder holding a `model.json`, the way every tfjs file loader must: a shard whose real
/// path (symlinks resolved) lies outside the folder is refused, so is a shard that resolves to the same file as
/// one already read, and all shards together may not exceed `options.max_file_bytes`.
class FolderShardReader {
  public:
    FolderShardReader(const std::string& model_json_path, const LoadOptions& options)
        : model_json_path_(model_json_path), options_(options) {
        namespace fs = std::filesystem;
        const std::size_t slash = model_json_path.find_last_of('/');
        dir_ = slash == std::string::npos ? std::string() : model_json_path.substr(0, slash + 1);
        std::error_code ec;
        folder_ = fs::canonical(dir_.empty() ? fs::path(".") : fs::path(dir_), ec);
        if (ec) throw FormatError(model_json_path, "cannot resolve the model's folder: " + ec.message());
    }

    std::string operator()(const std::string& rel) {
        namespace fs = std::filesystem;
        std::error_code ec;
        const fs::path real = fs::canonical(folder_ / rel, ec);
        if (ec) throw FormatError(dir_ + rel, "cannot open for reading: " + ec.message());
        if (!path_is_inside(real, folder_)) {
            throw FormatError(model_json_path_, "weight shard '" + rel + "' resolves to " + real.string() +
                                                    ", outside the model's folder " + folder_.string() +
                                                    " (a symlink?)");
        }
        if (!read_already_.insert(real.string()).second) {
            throw FormatError(model_json_path_,
                              "weight shard '" + rel + "' is the same file as another shard of the manifest");
        }
        if (consumed_ >= options_.max_file_bytes)
            throw FormatError(model_json_path_, "weight shards exceed the size limit (io::LoadOptions)");
        std::string bytes = read_file(real.string(), options_.max_file_bytes - consumed_);
        consumed_ += bytes.size();
        return bytes;
    }

  private:
    std::string model_json_path_, dir_;
    LoadOptions options_;
    std::filesystem::path folder_;
    std::unordered_set<std::string> read_already_;
    std::size_t consumed_ = 0;
};

}  // namespace detail

/// Reads one SimpleRNN layer from a tfjs `model.json` text and its shards. The manifest's groups are
/// concatenated in order (tfjs splits the byte stream into shards anywhere); each weight's bytes follow the
/// previous one's. The layer's weights are found by name prefix `<layer>/` and ordered by role. Only
/// float32 weights are accepted (tfjs' quantized or int weights throw). Every inconsistency (missing or
/// unsafe shard paths, a shard path listed twice anywhere in the manifest, shard sizes that do not add up,
/// shapes that disagree with the config) throws FormatError naming `source`. Only the shards of groups that
/// hold the layer's weights are read; their total may not exceed `options.max_file_bytes` (checked before
/// each shard is appended) and no weight may exceed `options.max_array_bytes`.
template <class Scalar, class ReadShard>
LoadedLayer<Scalar> read_tfjs(std::string_view model_json, const std::string& source, ReadShard&& read_shard,
                              const LayerSelector& selector = {}, const LoadOptions& options = {}) {
    return detail::translate_alloc_failure(
        source, [&] { return detail::read_tfjs_layer<Scalar>(model_json, source, read_shard, selector, options); });
}

/// Reads one SimpleRNN layer from a tfjs model directory's `model.json` (shards resolved next to it). A shard
/// whose real path (symlinks resolved) lies outside the folder holding model.json is refused, and so is a
/// shard that resolves to the same file as one already read; see read_tfjs for the rest.
template <class Scalar>
LoadedLayer<Scalar> load_tfjs(const std::string& model_json_path, const LayerSelector& selector = {},
                              const LoadOptions& options = {}) {
    return detail::translate_alloc_failure(model_json_path, [&] {
        detail::FolderShardReader read_shard(model_json_path, options);
        return read_tfjs<Scalar>(read_file(model_json_path, std::size_t(64) << 20), model_json_path, read_shard,
                                 selector, options);
    });
}

}  // namespace io
ELMAN_NAMESPACE_END
