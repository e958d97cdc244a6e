// SPDX-License-Identifier: MIT
// Keras HDF5 files (TF 2.x `model.save("m.h5")` and `model.save_weights("w.h5")`): load and save one
// SimpleRNN. Needs HDF5's C library (Debian: libhdf5-dev; CMake target elman::hdf5); never part of the
// Eigen-only core or the umbrella header.
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

#include <hdf5.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_set>
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
    /// Gives up ownership: the caller closes the identifier.
    hid_t release() noexcept { return std::exchange(id_, -1); }

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

/// Turns off libhdf5's dynamic filter plugins (HDF5_PLUGIN_PATH) for its lifetime, so a file naming an unknown
/// filter cannot make the process load a shared library; restores the caller's setting afterwards.
class H5NoPlugins {
  public:
    H5NoPlugins() {
        if (H5PLget_loading_state(&state_) >= 0) restore_ = H5PLset_loading_state(0) >= 0;
    }
    ~H5NoPlugins() {
        if (restore_) H5PLset_loading_state(state_);
    }
    H5NoPlugins(const H5NoPlugins&) = delete;
    H5NoPlugins& operator=(const H5NoPlugins&) = delete;

  private:
    unsigned state_ = 0;
    bool restore_ = false;
};

/// What the loader lets libhdf5 do while it walks a file: links are resolved inside the file only. The access
/// property list (used for every link lookup, group and dataset open) carries an external-link callback that
/// refuses the traversal before libhdf5 opens the other file, and remembers its name for the message.
class H5Sandbox {
  public:
    H5Sandbox() {
        // Dataset access lists inherit the link access properties, so one list serves H5Lexists, H5Gopen2
        // and H5Dopen2.
        access_ = H5Id(H5Pcreate(H5P_DATASET_ACCESS), H5Pclose);
        if (access_.valid()) H5Pset_elink_cb(access_.get(), &H5Sandbox::refuse_external_link, &refused_);
    }
    hid_t access() const noexcept { return access_.valid() ? access_.get() : H5P_DEFAULT; }
    /// The file an external link tried to reach since the last call (empty if none), then forgets it.
    std::string take_refused() { return std::exchange(refused_, std::string()); }

  private:
    static herr_t refuse_external_link(const char*, const char*, const char* child_file, const char* child_object,
                                       unsigned*, hid_t, void* data) {
        try {
            *static_cast<std::string*>(data) = std::string(child_file) + ":" + child_object;
        } catch (...) {  // a C callback: nothing may escape it; the traversal is refused either way
        }
        return -1;
    }
    std::string refused_;
    H5Id access_;
};

/// One HDF5 file open read-only with the loaders' protections for as long as it lives: libhdf5's error printing
/// and filter plugins off, links resolved through H5Sandbox, no cache of externally linked files. Either a file on
/// disk (the POSIX driver whatever the environment) or an image in memory (the core driver over a copy of the
/// bytes, as a .keras archive's `model.weights.h5`); `size()` is what h5_check_storage measures datasets against.
class H5Reader {
  public:
    /// Opens `path`; FormatError naming it when it is not HDF5 or cannot be opened.
    explicit H5Reader(const std::string& path) : source_(path) {
        if (H5Fis_hdf5(path.c_str()) <= 0) throw FormatError(path, "not an HDF5 file (or unreadable)");
        H5Id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
        if (!fapl.valid() || H5Pset_fapl_sec2(fapl.get()) < 0 || H5Pset_elink_file_cache_size(fapl.get(), 0) < 0)
            throw FormatError(path, "cannot set up HDF5 file access");
        file_ = H5Id(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose);
        if (!file_.valid()) throw FormatError(path, "cannot open HDF5 file (truncated or corrupt?)");
        H5Fget_filesize(file_.get(), &size_);
    }
    /// Opens the HDF5 image `bytes` (copied by libhdf5; nothing is written anywhere). `source` names it in
    /// messages.
    H5Reader(std::string_view bytes, std::string source) : source_(std::move(source)) {
        static const char magic[] = "\x89HDF\r\n\x1a\n";
        if (bytes.size() < 8 || bytes.compare(0, 8, std::string_view(magic, 8)) != 0)
            throw FormatError(source_, "not an HDF5 image (no HDF5 signature at the start)");
        H5Id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
        if (!fapl.valid() || H5Pset_fapl_core(fapl.get(), std::size_t(1) << 20, 0) < 0 ||
            H5Pset_file_image(fapl.get(), const_cast<char*>(bytes.data()), bytes.size()) < 0 ||
            H5Pset_elink_file_cache_size(fapl.get(), 0) < 0)
            throw FormatError(source_, "cannot set up HDF5 access to the image");
        file_ = H5Id(H5Fopen(source_.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose);
        if (!file_.valid()) throw FormatError(source_, "cannot open the HDF5 image (truncated or corrupt?)");
        size_ = bytes.size();
    }
    H5Reader(const H5Reader&) = delete;
    H5Reader& operator=(const H5Reader&) = delete;

    hid_t file() const noexcept { return file_.get(); }
    hsize_t size() const noexcept { return size_; }
    H5Sandbox& box() noexcept { return box_; }
    const std::string& source() const noexcept { return source_; }

  private:
    H5Quiet quiet_;
    H5NoPlugins no_plugins_;
    H5Sandbox box_;
    std::string source_;
    H5Id file_;  // closed first, while errors are still quiet
    hsize_t size_ = 0;
};

/// Opens the group or dataset at `path` below `loc` link by link: hard and soft links only (a soft link names a
/// path in the same file), never an external or user-defined link, which could make libhdf5 read other files.
/// `missing` is the problem reported when a link does not exist.
inline void h5_check_links(hid_t loc, const std::string& path, H5Sandbox& box, const std::string& source,
                           const std::string& what, const std::string& missing) {
    for (std::size_t end = path.find('/', 1);; end = path.find('/', end + 1)) {
        const std::string prefix = path.substr(0, end);
        if (!prefix.empty() && prefix != "/") {
            if (H5Lexists(loc, prefix.c_str(), box.access()) <= 0) {
                const std::string refused = box.take_refused();
                if (!refused.empty())
                    throw FormatError(source, what + " is reached through an external link to " + refused +
                                                  " (refused: elman reads nothing outside the file)");
                // H5Lexists fails for a missing intermediate group too; both mean the same to the user.
                throw FormatError(source, missing);
            }
            H5L_info_t info;
            if (H5Lget_info(loc, prefix.c_str(), &info, box.access()) < 0)
                throw FormatError(source, "cannot inspect the link '" + prefix + "' to " + what);
            if (info.type != H5L_TYPE_HARD && info.type != H5L_TYPE_SOFT) {
                throw FormatError(source, what + ": '" + prefix + "' is " +
                                              (info.type == H5L_TYPE_EXTERNAL ? "an external" : "a user-defined") +
                                              " link (refused: elman reads nothing outside the file)");
            }
        }
        if (end == std::string::npos) break;
    }
}

/// H5Gopen2 / H5Dopen2 of `path` below `loc` after h5_check_links; soft links that lead on to an external link
/// fail inside libhdf5 (the sandbox's callback) and are reported as such.
inline H5Id h5_open(hid_t loc, const std::string& path, bool dataset, H5Sandbox& box, const std::string& source,
                    const std::string& what, const std::string& missing) {
    h5_check_links(loc, path, box, source, what, missing);
    H5Id id = dataset ? H5Id(H5Dopen2(loc, path.c_str(), box.access()), H5Dclose)
                      : H5Id(H5Gopen2(loc, path.c_str(), box.access()), H5Gclose);
    if (!id.valid()) {
        const std::string refused = box.take_refused();
        if (!refused.empty())
            throw FormatError(source, what + " is reached through an external link to " + refused +
                                          " (refused: elman reads nothing outside the file)");
    }
    return id;
}

inline bool h5_has_attr(hid_t obj, const std::string& name) { return H5Aexists(obj, name.c_str()) > 0; }

/// A string attribute (scalar or 1-D, fixed-length or variable-length, as different h5py versions write).
inline std::vector<std::string> h5_read_strings(hid_t obj, const std::string& name, const std::string& source) {
    H5Id attr(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose);
    if (!attr.valid()) throw FormatError(source, "cannot open attribute '" + name + "'");
    H5Id type(H5Aget_type(attr.get()), H5Tclose);
    H5Id space(H5Aget_space(attr.get()), H5Sclose);
    if (!type.valid() || !space.valid()) throw FormatError(source, "cannot inspect attribute '" + name + "'");
    const hssize_t n = H5Sget_simple_extent_npoints(space.get());
    if (H5Tget_class(type.get()) != H5T_STRING) {
        // Keras (2.1 to 2.12, and Keras 3's legacy h5) writes an empty list as an empty float64 array: h5py
        // stores `np.array([])`. An empty array of any type is the empty list.
        if (n == 0) return {};
        throw FormatError(source, "attribute '" + name + "' is not a string attribute");
    }
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

/// The bytes a dataset's storage may expand to: stored data 1:1, deflate at most 1032:1 (zlib's bound).
inline constexpr std::uint64_t h5_deflate_ratio = 1032;

/// Refuses a dataset whose data would come from outside the file (external storage; virtual datasets are refused
/// by h5_read_weight before their extent is asked for), through
/// a filter other than the built-in deflate / shuffle / fletcher32, or whose declared size exceeds the cap or
/// what its stored bytes can hold (a small file declaring a huge chunked dataset whose chunks were never
/// written, which libhdf5 would fill with the fill value).
inline void h5_check_storage(hid_t ds, std::uint64_t declared, hsize_t file_size, const LoadOptions& options,
                             const std::string& source, const std::string& what) {
    H5Id dcpl(H5Dget_create_plist(ds), H5Pclose);
    if (!dcpl.valid()) throw FormatError(source, "cannot inspect the storage of " + what);
    const H5D_layout_t layout = H5Pget_layout(dcpl.get());
    if (layout != H5D_CONTIGUOUS && layout != H5D_CHUNKED && layout != H5D_COMPACT)
        throw FormatError(source, what + " has a storage layout other than contiguous, chunked or compact");
    if (const int external = H5Pget_external_count(dcpl.get()); external != 0) {
        char name[256] = {0};
        off_t offset = 0;
        hsize_t size = 0;
        if (external > 0) H5Pget_external(dcpl.get(), 0, sizeof name - 1, name, &offset, &size);
        throw FormatError(source, what + " keeps its data in the external file '" + name +
                                      "' (refused: elman reads nothing outside the file)");
    }
    bool deflated = false;
    const int filters = H5Pget_nfilters(dcpl.get());
    for (int i = 0; i < filters; ++i) {
        unsigned flags = 0, config = 0;
        std::size_t n_values = 0;
        const H5Z_filter_t id =
            H5Pget_filter2(dcpl.get(), static_cast<unsigned>(i), &flags, &n_values, nullptr, 0, nullptr, &config);
        if (id == H5Z_FILTER_DEFLATE)
            deflated = true;
        else if (id != H5Z_FILTER_SHUFFLE && id != H5Z_FILTER_FLETCHER32)
            throw FormatError(source, what + " uses HDF5 filter " + std::to_string(id) +
                                          " (only the built-in deflate, shuffle and fletcher32 are read)");
    }
    if (filters < 0) throw FormatError(source, "cannot inspect the filters of " + what);
    if (declared > options.max_array_bytes) {
        throw FormatError(source, what + " declares " + std::to_string(declared) + " bytes, more than the limit of " +
                                      std::to_string(options.max_array_bytes) + " (io::LoadOptions::max_array_bytes)");
    }
    if (layout == H5D_COMPACT) return;  // in the object header, which libhdf5 has already read and checked
    const std::uint64_t stored = H5Dget_storage_size(ds);
    const std::uint64_t can_hold = deflated ? stored * h5_deflate_ratio + 1024 : stored;
    if (declared > file_size || stored > file_size || declared > can_hold) {
        if (declared > file_size && layout == H5D_CONTIGUOUS)
            throw FormatError(source, what + " is larger than the file (truncated?)");
        throw FormatError(source, what + " declares " + std::to_string(declared) + " bytes but only " +
                                      std::to_string(stored) + " are stored in a file of " + std::to_string(file_size) +
                                      " bytes (unwritten chunks or a hostile file)");
    }
}

template <class Scalar>
Tensor<Scalar> h5_read_weight(hid_t group, const std::string& path, const std::string& source, hsize_t file_size,
                              H5Sandbox& box, const LoadOptions& options) {
    const std::string what = "dataset '" + path + "'";
    H5Id ds = h5_open(group, path, true, box, source, what, "missing " + what + " (named in weight_names)");
    if (!ds.valid()) throw FormatError(source, "cannot open " + what);
    H5Id type(H5Dget_type(ds.get()), H5Tclose);
    if (!type.valid()) throw FormatError(source, "cannot inspect " + what);
    if (H5Tget_class(type.get()) != H5T_FLOAT)
        throw FormatError(source, what + " is not floating point (expected float32)");
    const std::size_t width = H5Tget_size(type.get());
    if (width == 8 && !std::is_same<Scalar, double>::value) {
        throw FormatError(source, what + " holds float64 values but the layer is float32 (Keras stores float32)");
    }
    if (width != 4 && width != 8)
        throw FormatError(source, what + " holds " + std::to_string(8 * width) + "-bit floats; expected float32");
    // The layout first: a virtual dataset's extent may depend on its sources, which must not be opened.
    H5Id dcpl(H5Dget_create_plist(ds.get()), H5Pclose);
    if (dcpl.valid() && H5Pget_layout(dcpl.get()) == H5D_VIRTUAL)
        throw FormatError(source, what + " is a virtual dataset (its data lives in other datasets or files; refused)");
    H5Id space(H5Dget_space(ds.get()), H5Sclose);
    if (!space.valid()) throw FormatError(source, "cannot inspect " + what);
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
    std::uint64_t count = 1;
    for (int i = 0; i < rank; ++i) {
        if (dims[i] > (hsize_t(1) << 40) || (dims[i] != 0 && count > (std::uint64_t(1) << 40) / dims[i])) {
            throw FormatError(source, what + " has an absurd shape " + shape.to_string());
        }
        count *= dims[i];
    }
    h5_check_storage(ds.get(), count * width, file_size, options, source, what + " of shape " + shape.to_string());
    Tensor<Scalar> t(shape);
    const hid_t mem = std::is_same<Scalar, double>::value ? H5T_NATIVE_DOUBLE : H5T_NATIVE_FLOAT;
    if (count > 0 && H5Dread(ds.get(), mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.data()) < 0) {
        throw FormatError(source, "cannot read " + what + " (corrupt or truncated file)");
    }
    return t;
}

/// How a string attribute is stored: fixed-length byte strings (numpy 'S' arrays: what h5py makes of the
/// byte lists Keras 1 / 2.1 and elman's single-layer saver write) or variable-length UTF-8 (what h5py makes of
/// Python str: tf.keras 2.x and Keras 3 files).
enum class H5Text { bytes, utf8 };

inline void h5_write_strings(hid_t obj, const std::string& name, const std::vector<std::string>& values, bool scalar,
                             const std::string& target, H5Text text = H5Text::bytes) {
    const hsize_t n = values.size();
    H5Id space(scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, nullptr), H5Sclose);
    H5Id type(H5Tcopy(H5T_C_S1), H5Tclose);
    bool ok = false;
    if (text == H5Text::utf8) {
        H5Tset_size(type.get(), H5T_VARIABLE);
        H5Tset_cset(type.get(), H5T_CSET_UTF8);
        std::vector<const char*> ptrs;
        for (const std::string& v : values) ptrs.push_back(v.c_str());
        H5Id attr(H5Acreate2(obj, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
        ok = attr.valid() && H5Awrite(attr.get(), type.get(), ptrs.data()) >= 0;
    } else {
        std::size_t size = 1;
        for (const std::string& v : values) size = std::max(size, v.size());
        H5Tset_size(type.get(), size);
        H5Tset_strpad(type.get(), H5T_STR_NULLPAD);
        std::vector<char> buf(values.size() * size, '\0');
        for (std::size_t i = 0; i < values.size(); ++i)
            std::memcpy(buf.data() + i * size, values[i].data(), values[i].size());
        H5Id attr(H5Acreate2(obj, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
        ok = attr.valid() && H5Awrite(attr.get(), type.get(), buf.data()) >= 0;
    }
    if (!ok) throw FormatError(target, "cannot write attribute '" + name + "'");
}

/// Keras' `save_attributes_to_hdf5_group` limit: an attribute larger than this is split into `name0`,
/// `name1`, ... (an HDF5 object header holds at most 64 KiB), as np.array_split splits it.
inline constexpr std::size_t h5_attribute_limit = 64512;

/// A list of names as Keras' `save_attributes_to_hdf5_group` stores it: split into chunks when the numpy
/// array's size passes h5_attribute_limit (a str array counts 8 bytes per item, a bytes array its width); an
/// empty list is an empty float64 array (what h5py makes of an empty numpy list).
inline void h5_write_keras_list(hid_t obj, const std::string& name, const std::vector<std::string>& values,
                                const std::string& target, H5Text text = H5Text::bytes) {
    if (values.empty()) {
        const hsize_t zero = 0;
        H5Id space(H5Screate_simple(1, &zero, nullptr), H5Sclose);
        H5Id attr(H5Acreate2(obj, name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
        if (!attr.valid()) throw FormatError(target, "cannot write attribute '" + name + "'");
        return;
    }
    std::size_t width = 8;  // numpy object array: one pointer per item
    if (text == H5Text::bytes) {
        width = 1;
        for (const std::string& v : values) width = std::max(width, v.size());
    }
    std::size_t chunks = 1;
    while ((values.size() + chunks - 1) / chunks * width > h5_attribute_limit && chunks < values.size()) ++chunks;
    if ((values.size() + chunks - 1) / chunks * width > h5_attribute_limit)
        throw FormatError(target, "attribute '" + name + "': a name longer than " + std::to_string(h5_attribute_limit) +
                                      " bytes cannot be stored");
    if (chunks == 1) return h5_write_strings(obj, name, values, false, target, text);
    // np.array_split: the first (n % chunks) chunks hold one item more.
    std::size_t begin = 0;
    for (std::size_t c = 0; c < chunks; ++c) {
        const std::size_t count = values.size() / chunks + (c < values.size() % chunks ? 1 : 0);
        const std::vector<std::string> part(values.begin() + static_cast<std::ptrdiff_t>(begin),
                                            values.begin() + static_cast<std::ptrdiff_t>(begin + count));
        h5_write_strings(obj, name + std::to_string(c), part, false, target, text);
        begin += count;
    }
}

/// Creates the group `path` below `loc` (and any missing parents).
inline H5Id h5_create_group(hid_t loc, const std::string& path, const std::string& target) {
    H5Id lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
    H5Pset_create_intermediate_group(lcpl.get(), 1);
    H5Id g(H5Gcreate2(loc, path.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    if (!g.valid()) throw FormatError(target, "cannot create group '" + path + "'");
    return g;
}

/// Writes `t` as the dataset `path` below `loc` (missing parent groups created), stored as little-endian
/// float64 when `as_double`, else float32 (libhdf5 rounds double values to float).
template <class Scalar>
void h5_write_dataset(hid_t loc, const std::string& path, const Tensor<Scalar>& t, bool as_double,
                      const std::string& target) {
    hsize_t dims[Shape::max_rank] = {0, 0, 0, 0};
    for (int d = 0; d < t.rank(); ++d) dims[d] = static_cast<hsize_t>(t.dim(d));
    H5Id space(t.rank() == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(t.rank(), dims, nullptr), H5Sclose);
    H5Id lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
    H5Pset_create_intermediate_group(lcpl.get(), 1);
    H5Id ds(H5Dcreate2(loc, path.c_str(), as_double ? H5T_IEEE_F64LE : H5T_IEEE_F32LE, space.get(), lcpl.get(),
                       H5P_DEFAULT, H5P_DEFAULT),
            H5Dclose);
    const hid_t mem = std::is_same<Scalar, double>::value ? H5T_NATIVE_DOUBLE : H5T_NATIVE_FLOAT;
    if (!ds.valid() || (t.size() > 0 && H5Dwrite(ds.get(), mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.data()) < 0))
        throw FormatError(target, "cannot write dataset '" + path + "'");
}

/// One layer's part of a Keras HDF5 weights layout: the layer's group name, its `weight_names` and the
/// weights in that order.
template <class Scalar>
struct H5LayerWeights {
    std::string name;
    std::vector<std::string> weight_names;
    std::vector<Tensor<Scalar>> weights;
};

/// The attributes Keras' `model.save` puts on the file itself: `keras_version`, `backend` and `model_config` (the
/// model's JSON text).
inline void h5_write_model_attributes(hid_t file, const std::string& keras_version, const std::string& model_config,
                                      const std::string& target, H5Text text) {
    h5_write_strings(file, "keras_version", {keras_version}, true, target, text);
    h5_write_strings(file, "backend", {"tensorflow"}, true, target, text);
    h5_write_strings(file, "model_config", {model_config}, true, target, text);
}

/// The weights of `layers` below `root` (the file for `save_weights`, its `model_weights` group for
/// `model.save`) as Keras' `save_weights_to_hdf5_group` writes them: the `layer_names`, `backend` and
/// `keras_version` attributes, then per layer a group with its `weight_names` and one dataset per name, float64
/// when `as_double`, else float32.
template <class Scalar>
void h5_write_layer_weights(hid_t root, const std::vector<H5LayerWeights<Scalar>>& layers,
                            const std::string& keras_version, bool as_double, const std::string& target, H5Text text) {
    std::vector<std::string> names;
    for (const H5LayerWeights<Scalar>& l : layers) names.push_back(l.name);
    h5_write_keras_list(root, "layer_names", names, target, text);
    h5_write_strings(root, "backend", {"tensorflow"}, true, target, text);
    h5_write_strings(root, "keras_version", {keras_version}, true, target, text);
    for (const H5LayerWeights<Scalar>& l : layers) {
        const H5Id g = h5_create_group(root, l.name, target);
        h5_write_keras_list(g.get(), "weight_names", l.weight_names, target, text);
        for (std::size_t i = 0; i < l.weights.size(); ++i)
            h5_write_dataset(g.get(), l.weight_names[i], l.weights[i], as_double, target);
    }
}

/// An HDF5 file the savers write: created as temp_path(target) and, once complete, either renamed to
/// `target` (commit) or read back and removed (take_bytes, a .keras archive's `model.weights.h5`); removed if
/// the save fails, so a failed save leaves no partial target behind. The 1.8 file format (readable by every
/// libhdf5 since 2008, h5py included) stores attributes larger than an object header holds, such as the
/// model_config of a model with thousands of layers.
class H5FileWriter {
  public:
    explicit H5FileWriter(std::string target) : target_(std::move(target)), temp_(temp_path(target_)) {
        H5Id fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
        // H5F_CLOSE_SEMI: closing fails while a group or dataset is still open, instead of leaving the file
        // open (and unwritten) until it closes.
        if (!fapl.valid() || H5Pset_fapl_sec2(fapl.get()) < 0 ||
            H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V18, H5F_LIBVER_V18) < 0 ||
            H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_SEMI) < 0)
            throw FormatError(target_, "cannot set up HDF5 file access");
        file_ = H5Id(H5Fcreate(temp_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose);
        if (!file_.valid()) throw FormatError(target_, "cannot create the HDF5 file '" + temp_ + "'");
    }
    H5FileWriter(const H5FileWriter&) = delete;
    H5FileWriter& operator=(const H5FileWriter&) = delete;
    ~H5FileWriter() {
        if (done_) return;
        file_ = H5Id();
        std::remove(temp_.c_str());
    }
    hid_t file() const noexcept { return file_.get(); }

    /// Closes the file and renames it to the target (replacing it).
    void commit() {
        close();
        replace_file(temp_, target_);
        done_ = true;
    }
    /// Closes the file and returns its bytes; the file is removed.
    std::string take_bytes() {
        close();
        std::string bytes = read_file(temp_);
        std::remove(temp_.c_str());
        done_ = true;
        return bytes;
    }

  private:
    void close() {
        if (H5Fclose(file_.get()) < 0) throw FormatError(target_, "cannot write the HDF5 file (disk full?)");
        file_.release();
    }
    H5Quiet quiet_;
    std::string target_, temp_;
    H5Id file_;  // closed first, while errors are still quiet
    bool done_ = false;
};

}  // namespace detail

/// Loads one SimpleRNN's config and weights from a Keras .h5 file. Full-model files (`model.save`) give the
/// config from `model_config` and select the layer by name or SimpleRNN index (LayerSelector); weights-only
/// files (`model.save_weights`) have no config, and the index counts layers that hold weights. Weights are
/// found through `layer_names` / `weight_names` and matched by role (kernel, recurrent_kernel, bias), so
/// uniquified names like `simple_rnn_1/simple_rnn_cell_1/kernel:0` load. Every problem (not HDF5, truncated,
/// missing groups/datasets, duplicate names, non-float or float64-into-float data, shapes that disagree)
/// throws FormatError naming the file. Nothing outside the file is read: external links, external storage,
/// virtual datasets, filters other than deflate / shuffle / fletcher32 (and so filter plugins) are refused, and
/// a dataset may not declare more than `options.max_array_bytes` or more than its stored bytes can hold.
template <class Scalar>
LoadedLayer<Scalar> load_keras_h5(const std::string& path, const LayerSelector& selector = {},
                                  const LoadOptions& options = {}) {
    return detail::translate_alloc_failure(path, [&] {
        detail::H5Reader reader(path);
        detail::H5Sandbox& box = reader.box();
        const hid_t file_id = reader.file();
        const hsize_t file_size = reader.size();

        LoadedLayer<Scalar> out;
        out.source = path;
        std::string layer;
        const bool full_model = detail::h5_has_attr(file_id, "model_config");
        const bool nested = H5Lexists(file_id, "model_weights", box.access()) > 0;
        detail::H5Id root = detail::h5_open(file_id, nested ? "model_weights" : "/", false, box, path,
                                            "the weights group", "no weights group");
        if (!root.valid()) throw FormatError(path, "cannot open the weights group");
        const std::vector<std::string> layer_names =
            detail::h5_read_keras_list(root.get(), "layer_names", path, "the weights group");
        {
            std::unordered_set<std::string_view> seen;
            seen.reserve(layer_names.size());
            for (const std::string& n : layer_names)
                if (!seen.insert(n).second) throw FormatError(path, "duplicate layer name '" + n + "' in layer_names");
        }
        if (full_model) {
            const std::vector<std::string> text = detail::h5_read_strings(file_id, "model_config", path);
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
            const std::string missing = "layer_names lists '" + n + "' but there is no such group";
            detail::H5Id g = detail::h5_open(root.get(), n, false, box, path, "layer group '" + n + "'", missing);
            if (!g.valid()) throw FormatError(path, missing);
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
        detail::H5Id g = detail::h5_open(root.get(), layer, false, box, path, "layer group '" + layer + "'",
                                         "no layer group '" + layer + "'");
        if (!g.valid()) throw FormatError(path, "cannot open layer group '" + layer + "'");
        auto weight = [&](std::size_t slot) {
            return detail::h5_read_weight<Scalar>(g.get(), weight_names[slot], path, file_size, box, options);
        };
        out.weights.push_back(weight(slots.kernel));
        out.weights.push_back(weight(slots.recurrent_kernel));
        if (slots.has_bias) out.weights.push_back(weight(slots.bias));
        detail::check_weights(out);
        return out;
    });
}

/// Writes a built layer to `path` in Keras' TF 2.x HDF5 layout (docs/keras-semantics.md#hdf5), with its weights as
/// little-endian float32 (float layer) or float64 (double layer) datasets named `<layer>/<layer>_cell/<role>:0`.
/// H5Layout::Model also stores a Sequential `model_config` (the layer with its `batch_input_shape`), so
/// `tf.keras.models.load_model(path)` works without any Python code. The file is written next to `path` and
/// renamed to it when complete (a failed save leaves `path` as it was). Throws FormatError on I/O failure,
/// std::invalid_argument for an unbuilt layer or a custom activation.
template <class Layer>
void save_keras_h5(const std::string& path, const Layer& layer, H5Layout layout = H5Layout::Model) {
    using Scalar = typename Layer::scalar_type;
    if (!layer.built()) throw std::invalid_argument("save_keras_h5: layer '" + layer.name() + "' is not built");
    const LayerConfig lc = layer_config(layer);
    const std::string keras_version = "2.4.0";
    detail::H5LayerWeights<Scalar> part;
    part.name = lc.options.name;
    part.weights = layer.get_weights();
    const char* roles[] = {"kernel", "recurrent_kernel", "bias"};
    for (std::size_t i = 0; i < part.weights.size(); ++i)
        part.weight_names.push_back(part.name + "/" + part.name + "_cell/" + roles[i] + ":0");
    detail::H5FileWriter file(path);
    detail::H5Id model_weights;
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
        detail::h5_write_model_attributes(file.file(), keras_version, json::dump(model), path, detail::H5Text::bytes);
        model_weights = detail::h5_create_group(file.file(), "model_weights", path);
    }
    // The weights go into `model_weights` for a whole model, into the file itself for weights only.
    const hid_t root = model_weights.valid() ? model_weights.get() : file.file();
    detail::h5_write_layer_weights<Scalar>(root, {part}, keras_version, std::is_same<Scalar, double>::value, path,
                                           detail::H5Text::bytes);
    model_weights = detail::H5Id();  // closed before the file (H5F_CLOSE_SEMI)
    file.commit();
}

}  // namespace io
ELMAN_NAMESPACE_END
