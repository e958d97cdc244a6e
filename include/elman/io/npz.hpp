// SPDX-License-Identifier: MIT
// numpy .npz archives: `np.savez("w.npz", *layer.get_weights())` in, the same layout out.
#pragma once

#include <elman/config.hpp>
#include <elman/io/detail/weight_names.hpp>
#include <elman/io/detail/zip.hpp>
#include <elman/io/error.hpp>
#include <elman/io/file.hpp>
#include <elman/io/load_options.hpp>
#include <elman/io/loaded_layer.hpp>
#include <elman/io/npy.hpp>
#include <elman/tensor.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

ELMAN_NAMESPACE_BEGIN
namespace io {

/// A named array of an .npz archive (name without ".npy").
template <class Scalar>
struct NamedArray {
    std::string name;
    Tensor<Scalar> array;
};

// The readers decode deflated members only with ELMAN_HAVE_ZLIB: tagged like detail::read_zip (io/detail/zip.hpp).
inline namespace ELMAN_IO_ZLIB_ABI_NAMESPACE {

/// Every array of an .npz image, in archive order. Stored members always; deflated ones
/// (np.savez_compressed) when built with ELMAN_HAVE_ZLIB. Errors name `source` and the member; members and
/// arrays over `options.max_array_bytes` are refused (see detail::read_zip for what else is).
template <class Scalar>
std::vector<NamedArray<Scalar>> read_npz(std::string_view bytes, const std::string& source,
                                         const LoadOptions& options = {}) {
    return detail::translate_alloc_failure(source, [&] {
        std::vector<NamedArray<Scalar>> arrays;
        for (detail::ZipEntry& e : detail::read_zip(bytes, source, options)) {
            if (e.name.size() < 5 || e.name.compare(e.name.size() - 4, 4, ".npy") != 0) {
                throw FormatError(source, "member '" + e.name + "' is not a .npy array");
            }
            std::string name = e.name.substr(0, e.name.size() - 4);
            arrays.push_back({name, detail::read_npy_image<Scalar>(e.data, source + " [" + e.name + "]", options)});
            std::string().swap(e.data);  // the member's bytes are not needed once decoded
        }
        return arrays;
    });
}

/// The arrays of the .npz file at `path` (see read_npz).
template <class Scalar>
std::vector<NamedArray<Scalar>> load_npz(const std::string& path, const LoadOptions& options = {}) {
    return detail::translate_alloc_failure(
        path, [&] { return read_npz<Scalar>(read_file(path, options.max_file_bytes), path, options); });
}

/// The weights of one SimpleRNN from an .npz image, in `get_weights()` order: either positional
/// `arr_0, arr_1[, arr_2]` (what `np.savez(f, *layer.get_weights())` writes) or named
/// `kernel, recurrent_kernel[, bias]` (`np.savez(f, kernel=..., ...)`). The result has no config; give one
/// to visit_layer.
template <class Scalar>
LoadedLayer<Scalar> read_npz_weights(std::string_view bytes, const std::string& source,
                                     const LoadOptions& options = {}) {
    std::vector<NamedArray<Scalar>> arrays = read_npz<Scalar>(bytes, source, options);
    LoadedLayer<Scalar> out;
    out.source = source;
    if (arrays.size() != 2 && arrays.size() != 3) {
        throw FormatError(source, "expected 2 or 3 arrays (kernel, recurrent_kernel[, bias]), found " +
                                      std::to_string(arrays.size()));
    }
    bool positional = true;
    for (std::size_t i = 0; i < arrays.size(); ++i) {
        bool found = false;
        for (const auto& a : arrays) found = found || a.name == "arr_" + std::to_string(i);
        positional = positional && found;
    }
    std::vector<std::size_t> order;
    if (positional) {
        for (std::size_t i = 0; i < arrays.size(); ++i)
            for (std::size_t j = 0; j < arrays.size(); ++j)
                if (arrays[j].name == "arr_" + std::to_string(i)) order.push_back(j);
    } else {
        std::vector<std::string> names;
        for (const auto& a : arrays) names.push_back(a.name);
        const detail::WeightSlots s = detail::weight_slots(names, source, "npz");
        order = {s.kernel, s.recurrent_kernel};
        if (s.has_bias) order.push_back(s.bias);
    }
    for (std::size_t j : order) out.weights.push_back(std::move(arrays[j].array));
    detail::check_weights(out);
    return out;
}

/// The weights in the .npz file at `path` (see read_npz_weights).
template <class Scalar>
LoadedLayer<Scalar> load_npz_weights(const std::string& path, const LoadOptions& options = {}) {
    return detail::translate_alloc_failure(
        path, [&] { return read_npz_weights<Scalar>(read_file(path, options.max_file_bytes), path, options); });
}

}  // namespace ELMAN_IO_ZLIB_ABI_NAMESPACE

/// The .npz image `np.savez(f, *arrays)` would write: members arr_0.npy, arr_1.npy, ... (stored).
template <class Scalar>
std::string npz_bytes(const std::vector<Tensor<Scalar>>& arrays, const std::string& target = "<npz>") {
    std::vector<detail::ZipEntry> entries;
    for (std::size_t i = 0; i < arrays.size(); ++i) {
        entries.push_back({"arr_" + std::to_string(i) + ".npy", npy_bytes<Scalar>(arrays[i].view())});
    }
    return detail::write_zip(entries, target);
}

/// Writes `arrays` to `path` like `np.savez(path, *arrays)`. With a layer's `get_weights()`, Python loads it
/// back with `w = np.load(path); layer.set_weights([w[f"arr_{i}"] for i in range(len(w.files))])`.
template <class Scalar>
void save_npz(const std::string& path, const std::vector<Tensor<Scalar>>& arrays) {
    write_file(path, npz_bytes(arrays, path));
}

}  // namespace io
ELMAN_NAMESPACE_END
