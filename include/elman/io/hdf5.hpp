// SPDX-License-Identifier: MIT
// Keras HDF5 files (TF 2.x `model.save("m.h5")` and `model.save_weights("w.h5")`): load and save one
// SimpleRNN. Needs HDF5's C library (Debian: libhdf5-dev; CMake target elman::hdf5); never part of the
// Eigen-only core or the umbrella header.
#pragma once

#include <elman/config.hpp>
#include <elman/io/detail/bytes.hpp>
#include <elman/io/detail/weight_names.hpp>
#include <elman/io/error.hpp>
#include <elman/io/json.hpp>
#include <elman/io/layer_config.hpp>
#include <elman/io/loaded_layer.hpp>
#include <elman/io/model_topology.hpp>
#include <elman/shape.hpp>
#include <elman/tensor.hpp>

#include <hdf5.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

ELMAN_NAMESPACE_BEGIN
namespace io {

/// Which Keras HDF5 layout save_keras_h5 writes.
enum class H5Layout {
    /// `model.save("m.h5")`: a Sequential model config in `model_config` plus weights under `model_weights`;
    /// Keras' `tf.keras.models.load_model` rebuilds the layer from it.
    Model,
    /// `model.save_weights("w.h5")`: the layer groups at the root; Keras' `model.load_weights` reads it into a
    /// model with the same layers.
    Weights,
};

namespace detail {

/// Owns one HDF5 identifier and closes it with the matching H5?close.
class H5Id {
  public:
    H5Id() = default;
    H5Id(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
    H5Id(const H5Id&) = delete;
    H5Id& operator=(const H5Id&) = delete;
    H5Id(H5Id&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = -1; }
    H5Id& operator=(H5Id&& o) noexcept {
        std::swap(id_, o.id_);
        std::swap(close_, o.close_);
        return *this;
    }
    ~H5Id() {
        if (id_ >= 0 && close_) close_(id_);
    }
    hid_t get() const noexcept { return id_; }
    bool valid() const noexcept { return id_ >= 0; }

  private:
    hid_t id_ = -1;
    herr_t (*close_)(hid_t) = nullptr;
};

/// Turns HDF5's own error printing off for its lifetime (failures become FormatErrors instead) and restores
/// the caller's setting afterwards.
class H5Quiet {
  public:
    H5Quiet() {
        H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
        H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    }
    ~H5Quiet() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }
    H5Quiet(const H5Quiet&) = delete;
    H5Quiet& operator=(const H5Quiet&) = delete;

  private:
    H5E_auto2_t func_ = nullptr;
    void* data_ = nullptr;
};

inline bool h5_has_attr(hid_t obj, const std::string& name) { return H5Aexists(obj, name.c_str()) > 0; }

/// A string attribute (scalar or 1-D, fixed-length or variable-length, as different h5py versions write).
inline std::vector<std::string> h5_read_strings(hid_t obj, const std::string& name, const std::string& source) {
    H5Id attr(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose);
    if (!attr.valid()) throw FormatError(source, "cannot open attribute '" + name + "'");
    H5Id type(H5Aget_type(attr.get()), H5Tclose);
    H5Id space(H5Aget_space(attr.get()), H5Sclose);
    if (!type.valid() || !space.valid() || H5Tget_class(type.get()) != H5T_STRING) {
        throw FormatError(source, "attribute '" + name + "' is not a string attribute");
    }
    const hssize_t n = H5Sget_simple_extent_npoints(space.get());
    if (n < 0 || n > 1000000) throw FormatError(source, "attribute '" + name + "' has an invalid element count");
    std::vector<std::string> out;
    const std::size_t count = static_cast<std::size_t>(n);
    if (H5Tis_variable_str(type.get()) > 0) {
        H5Id mem(H5Tcopy(H5T_C_S1), H5Tclose);
        H5Tset_size(mem.get(), H5T_VARIABLE);
        H5Tset_cset(mem.get(), H5Tget_cset(type.get()));
        std::vector<char*> ptrs(count, nullptr);
        if (H5Aread(attr.get(), mem.get(), ptrs.data()) < 0)
            throw FormatError(source, "cannot read attribute '" + name + "'");
        for (char* p : ptrs) out.emplace_back(p ? p : "");
        H5Dvlen_reclaim(mem.get(), space.get(), H5P_DEFAULT, ptrs.data());
        return out;
    }
    const std::size_t size = H5Tget_size(type.get());
    if (size == 0 || size > (std::size_t(64) << 20) || count * size > (std::size_t(64) << 20)) {
        throw FormatError(source, "attribute '" + name + "' is too large");
    }
    H5Id mem(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mem.get(), size);
    H5Tset_strpad(mem.get(), H5T_STR_NULLPAD);
    std::vector<char> buf(count * size, '\0');
    if (H5Aread(attr.get(), mem.get(), buf.data()) < 0)
        throw FormatError(source, "cannot read attribute '" + name + "'");
    for (std::size_t i = 0; i < count; ++i) {
        const char* p = buf.data() + i * size;
        std::size_t len = 0;
        while (len < size && p[len] != '\0') ++len;
        out.emplace_back(p, len);
    }
    return out;
}

/// Keras' `load_attributes_from_hdf5_group`: `name`, or the chunks `name0`, `name1`, ... it splits large
/// attributes into.
inline std::vector<std::string> h5_read_keras_list(hid_t obj, const std::string& name, const std::string& source,
                                                   const std::string& where) {
    if (h5_has_attr(obj, name)) return h5_read_strings(obj, name, source);
    std::vector<std::string> out;
    for (int chunk = 0; h5_has_attr(obj, name + std::to_string(chunk)); ++chunk) {
        for (std::string& s : h5_read_strings(obj, name + std::to_string(chunk), source)) out.push_back(std::move(s));
    }
    if (out.empty() && !h5_has_attr(obj, name + "0"))
        throw FormatError(source, where + " has no '" + name + "' attribute (not a Keras file?)");
    return out;
}

template <class Scalar>
Tensor<Scalar> h5_read_weight(hid_t group, const std::string& path, const std::string& source, hsize_t file_size) {
    const std::string what = "dataset '" + path + "'";
    if (H5Lexists(group, path.c_str(), H5P_DEFAULT) <= 0) {
        // H5Lexists fails for a missing intermediate group too; both mean the same to the user.
        throw FormatError(source, "missing " + what + " (named in weight_names)");
    }
    H5Id ds(H5Dopen2(group, path.c_str(), H5P_DEFAULT), H5Dclose);
    if (!ds.valid()) throw FormatError(source, "cannot open " + what);
    H5Id type(H5Dget_type(ds.get()), H5Tclose);
    H5Id space(H5Dget_space(ds.get()), H5Sclose);
    if (!type.valid() || !space.valid()) throw FormatError(source, "cannot inspect " + what);
    if (H5Tget_class(type.get()) != H5T_FLOAT)
        throw FormatError(source, what + " is not floating point (expected float32)");
    const std::size_t width = H5Tget_size(type.get());
    if (width == 8 && !std::is_same<Scalar, double>::value) {
        throw FormatError(source, what + " holds float64 values but the layer is float32 (Keras stores float32)");
    }
    if (width != 4 && width != 8)
        throw FormatError(source, what + " holds " + std::to_string(8 * width) + "-bit floats; expected float32");
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (rank < 0 || rank > Shape::max_rank)
        throw FormatError(source, what + " has unsupported rank " + std::to_string(rank));
    hsize_t dims[Shape::max_rank] = {0, 0, 0, 0};
    H5Sget_simple_extent_dims(space.get(), dims, nullptr);
    Shape shape;
    switch (rank) {
        case 0:
            break;
        case 1:
            shape = Shape{Index(dims[0])};
            break;
        case 2:
            shape = Shape{Index(dims[0]), Index(dims[1])};
            break;
        case 3:
            shape = Shape{Index(dims[0]), Index(dims[1]), Index(dims[2])};
            break;
        default:
            shape = Shape{Index(dims[0]), Index(dims[1]), Index(dims[2]), Index(dims[3])};
            break;
    }
    hsize_t count = 1;
    for (int i = 0; i < rank; ++i) {
        if (dims[i] > (hsize_t(1) << 32) || (dims[i] != 0 && count > (hsize_t(1) << 28) / dims[i])) {
            throw FormatError(source, what + " has an absurd shape " + shape.to_string());
        }
        count *= dims[i];
    }
    // Uncompressed storage cannot exceed the file; compressed chunks are bounded by the element cap above.
    H5Id dcpl(H5Dget_create_plist(ds.get()), H5Pclose);
    if (dcpl.valid() && H5Pget_layout(dcpl.get()) == H5D_CONTIGUOUS && count * width > file_size) {
        throw FormatError(source, what + " of shape " + shape.to_string() + " is larger than the file (truncated?)");
    }
    Tensor<Scalar> t(shape);
    const hid_t mem = std::is_same<Scalar, double>::value ? H5T_NATIVE_DOUBLE : H5T_NATIVE_FLOAT;
    if (count > 0 && H5Dread(ds.get(), mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.data()) < 0) {
        throw FormatError(source, "cannot read " + what + " (corrupt or truncated file)");
    }
    return t;
}

inline void h5_write_strings(hid_t obj, const std::string& name, const std::vector<std::string>& values, bool scalar,
                             const std::string& target) {
    std::size_t size = 1;
    for (const std::string& v : values) size = std::max(size, v.size());
    H5Id type(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(type.get(), size);
    H5Tset_strpad(type.get(), H5T_STR_NULLPAD);  // numpy 'S' arrays, as h5py stores Keras' byte lists
    const hsize_t n = values.size();
    H5Id space(scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, nullptr), H5Sclose);
    std::vector<char> buf(values.size() * size, '\0');
    for (std::size_t i = 0; i < values.size(); ++i)
        std::memcpy(buf.data() + i * size, values[i].data(), values[i].size());
    H5Id attr(H5Acreate2(obj, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    if (!attr.valid() || H5Awrite(attr.get(), type.get(), buf.data()) < 0) {
        throw FormatError(target, "cannot write attribute '" + name + "'");
    }
}

}  // namespace detail

/// Loads one SimpleRNN's config and weights from a Keras .h5 file. Full-model files (`model.save`) give the
/// config from `model_config` and select the layer by name or SimpleRNN index (LayerSelector); weights-only
/// files (`model.save_weights`) have no config, and the index counts layers that hold weights. Weights are
/// found through `layer_names` / `weight_names` and matched by role (kernel, recurrent_kernel, bias), so
/// uniquified names like `simple_rnn_1/simple_rnn_cell_1/kernel:0` load. Every problem (not HDF5, truncated,
/// missing groups/datasets, duplicate names, non-float or float64-into-float data, shapes that disagree)
/// throws FormatError naming the file.
template <class Scalar>
LoadedLayer<Scalar> load_keras_h5(const std::string& path, const LayerSelector& selector = {}) {
    detail::H5Quiet quiet;
    if (H5Fis_hdf5(path.c_str()) <= 0) throw FormatError(path, "not an HDF5 file (or unreadable)");
    detail::H5Id file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    if (!file.valid()) throw FormatError(path, "cannot open HDF5 file (truncated or corrupt?)");
    hsize_t file_size = 0;
    H5Fget_filesize(file.get(), &file_size);

    LoadedLayer<Scalar> out;
    out.source = path;
    std::string layer;
    const bool full_model = detail::h5_has_attr(file.get(), "model_config");
    const bool nested = H5Lexists(file.get(), "model_weights", H5P_DEFAULT) > 0;
    detail::H5Id root(H5Gopen2(file.get(), nested ? "model_weights" : "/", H5P_DEFAULT), H5Gclose);
    if (!root.valid()) throw FormatError(path, "cannot open the weights group");
    const std::vector<std::string> layer_names =
        detail::h5_read_keras_list(root.get(), "layer_names", path, "the weights group");
    for (std::size_t i = 0; i < layer_names.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
            if (layer_names[i] == layer_names[j])
                throw FormatError(path, "duplicate layer name '" + layer_names[i] + "' in layer_names");
    if (full_model) {
        const std::vector<std::string> text = detail::h5_read_strings(file.get(), "model_config", path);
        if (text.size() != 1) throw FormatError(path, "model_config must be a single string");
        const json::Value config = json::parse(text[0], path + " [model_config]");
        const FoundLayer found = find_simple_rnn_layer(config, selector, path + " [model_config]");
        out.config = parse_layer_config(*found.entry, path + " [model_config]");
        layer = found.name;
        bool listed = false;
        for (const std::string& n : layer_names) listed = listed || n == layer;
        if (!listed) throw FormatError(path, "layer '" + layer + "' of model_config has no entry in layer_names");
    }
    std::vector<std::string> weight_names;
    std::size_t weighted = 0;
    for (const std::string& n : layer_names) {
        if (full_model && n != layer) continue;
        if (!full_model && !selector.name.empty() && n != selector.name) continue;
        detail::H5Id g(H5Gopen2(root.get(), n.c_str(), H5P_DEFAULT), H5Gclose);
        if (!g.valid()) throw FormatError(path, "layer_names lists '" + n + "' but there is no such group");
        std::vector<std::string> names =
            detail::h5_read_keras_list(g.get(), "weight_names", path, "layer group '" + n + "'");
        if (names.empty()) continue;
        if (!full_model && selector.name.empty() && weighted++ != selector.index) continue;
        layer = n;
        weight_names = std::move(names);
        break;
    }
    if (layer.empty() || weight_names.empty()) {
        throw FormatError(path, "no weights for " + selector.describe() +
                                    " (layers in the file: " + std::to_string(layer_names.size()) + ")");
    }
    const detail::WeightSlots slots = detail::weight_slots(weight_names, path, layer);
    detail::H5Id g(H5Gopen2(root.get(), layer.c_str(), H5P_DEFAULT), H5Gclose);
    out.weights.push_back(detail::h5_read_weight<Scalar>(g.get(), weight_names[slots.kernel], path, file_size));
    out.weights.push_back(
        detail::h5_read_weight<Scalar>(g.get(), weight_names[slots.recurrent_kernel], path, file_size));
    if (slots.has_bias)
        out.weights.push_back(detail::h5_read_weight<Scalar>(g.get(), weight_names[slots.bias], path, file_size));
    detail::check_weights(out);
    return out;
}

/// Writes a built layer to `path` in Keras' TF 2.x HDF5 layout (docs/keras-semantics.md#hdf5), with its weights as
/// little-endian float32 (float layer) or float64 (double layer) datasets named `<layer>/<layer>_cell/<role>:0`.
/// H5Layout::Model also stores a Sequential `model_config` (the layer with its `batch_input_shape`), so
/// `tf.keras.models.load_model(path)` works without any Python code. Throws FormatError on I/O failure,
/// std::invalid_argument for an unbuilt layer or a custom activation.
template <class Layer>
void save_keras_h5(const std::string& path, const Layer& layer, H5Layout layout = H5Layout::Model) {
    using Scalar = typename Layer::scalar_type;
    if (!layer.built()) throw std::invalid_argument("save_keras_h5: layer '" + layer.name() + "' is not built");
    const LayerConfig lc = layer_config(layer);
    const std::vector<Tensor<Scalar>> weights = layer.get_weights();
    detail::H5Quiet quiet;
    detail::H5Id file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
    if (!file.valid()) throw FormatError(path, "cannot create HDF5 file");
    hid_t root_id = file.get();
    detail::H5Id group_holder;
    if (layout == H5Layout::Model) {
        json::Value layers = json::Value::array();
        json::Value input_config = json::Value::object();
        json::Value shape = json::Value::array();
        shape.push_back(lc.options.batch_size > 0 ? json::Value(static_cast<long long>(lc.options.batch_size))
                                                  : json::Value());
        shape.push_back(lc.timesteps > 0 ? json::Value(static_cast<long long>(lc.timesteps)) : json::Value());
        shape.push_back(static_cast<long long>(layer.input_dim()));
        input_config.set("batch_input_shape", std::move(shape));
        input_config.set("dtype", lc.dtype);
        input_config.set("sparse", false);
        input_config.set("ragged", false);
        input_config.set("name", lc.options.name + "_input");
        layers.push_back(detail::serialized("InputLayer", std::move(input_config)));
        layers.push_back(to_layer_json(lc));
        json::Value model_cfg = json::Value::object();
        model_cfg.set("name", "sequential");
        model_cfg.set("layers", std::move(layers));
        const json::Value model = detail::serialized("Sequential", std::move(model_cfg));
        detail::h5_write_strings(file.get(), "keras_version", {"2.4.0"}, true, path);
        detail::h5_write_strings(file.get(), "backend", {"tensorflow"}, true, path);
        detail::h5_write_strings(file.get(), "model_config", {json::dump(model)}, true, path);
        group_holder =
            detail::H5Id(H5Gcreate2(file.get(), "model_weights", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
        if (!group_holder.valid()) throw FormatError(path, "cannot create group 'model_weights'");
        root_id = group_holder.get();
    }
    detail::h5_write_strings(root_id, "layer_names", {lc.options.name}, false, path);
    detail::h5_write_strings(root_id, "backend", {"tensorflow"}, true, path);
    detail::h5_write_strings(root_id, "keras_version", {"2.4.0"}, true, path);
    detail::H5Id g(H5Gcreate2(root_id, lc.options.name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    if (!g.valid()) throw FormatError(path, "cannot create group '" + lc.options.name + "'");
    const char* roles[] = {"kernel", "recurrent_kernel", "bias"};
    std::vector<std::string> names;
    for (std::size_t i = 0; i < weights.size(); ++i) {
        names.push_back(lc.options.name + "/" + lc.options.name + "_cell/" + roles[i] + ":0");
    }
    detail::h5_write_strings(g.get(), "weight_names", names, false, path);
    detail::H5Id lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
    H5Pset_create_intermediate_group(lcpl.get(), 1);
    const bool is_double = std::is_same<Scalar, double>::value;
    for (std::size_t i = 0; i < weights.size(); ++i) {
        hsize_t dims[Shape::max_rank];
        for (int d = 0; d < weights[i].rank(); ++d) dims[d] = static_cast<hsize_t>(weights[i].dim(d));
        detail::H5Id space(H5Screate_simple(weights[i].rank(), dims, nullptr), H5Sclose);
        detail::H5Id ds(H5Dcreate2(g.get(), names[i].c_str(), is_double ? H5T_IEEE_F64LE : H5T_IEEE_F32LE, space.get(),
                                   lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
                        H5Dclose);
        if (!ds.valid() || H5Dwrite(ds.get(), is_double ? H5T_NATIVE_DOUBLE : H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL,
                                    H5P_DEFAULT, weights[i].data()) < 0) {
            throw FormatError(path, "cannot write dataset '" + names[i] + "'");
        }
    }
    if (H5Fflush(file.get(), H5F_SCOPE_GLOBAL) < 0) throw FormatError(path, "cannot flush HDF5 file");
}

}  // namespace io
ELMAN_NAMESPACE_END
