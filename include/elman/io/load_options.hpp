// SPDX-License-Identifier: MIT
// Limits every elman loader applies to a file before trusting what it claims, and the one place that turns an
// allocation failure caused by a file into the loaders' error type.
#pragma once

#include <elman/config.hpp>
#include <elman/io/error.hpp>
#include <elman/io/file.hpp>

#include <cstddef>
#include <new>
#include <string>
#include <utility>

ELMAN_NAMESPACE_BEGIN
namespace io {

/// Which Keras' inference semantics a whole-model loader gives the model where Keras versions differ
/// (docs/keras-semantics.md, "Keras 3"): today `hard_sigmoid` (TF 2.x: clip(0.2 x + 0.5, 0, 1); Keras 3:
/// relu6(x + 3) / 6) and Keras 3's name `silu` for swish.
enum class KerasSemantics {
    /// The file's `keras_version` decides (the root attribute of a .h5, `metadata.json` of a .keras; a
    /// TensorFlow.js model is TF 2.x): 3.x and later are Keras 3, everything else TF 2.x.
    from_file,
    /// TF 2.x (tf.keras 2.4) semantics whatever the file says.
    tf2,
    /// Keras 3 semantics whatever the file says.
    keras3,
};

/// Limits for the loaders (load_npy, load_npz, load_npz_weights, load_tfjs, load_keras_h5 and their read_*
/// forms), each an optional last argument. A file that exceeds a limit is refused with FormatError before the
/// memory is allocated, so the defaults bound what a hostile file can make the process allocate; raise them
/// only for files you trust.
struct LoadOptions {
    /// Largest single array (or ZIP member, or HDF5 dataset) in bytes, measured as the file declares it:
    /// elements x element width, or a ZIP member's uncompressed size. SimpleRNN weights are far smaller; 1 GiB
    /// is the default.
    std::size_t max_array_bytes = std::size_t(1) << 30;
    /// Largest file read into memory, and the total of the tfjs weight shards read (per manifest group in
    /// read_tfjs; for the whole model in load_tfjs, which also stops reading a shard at the remaining budget).
    std::size_t max_file_bytes = io::max_file_bytes;
    /// Whole-model loaders (load_model, load_keras_h5_model, load_keras_zip_model, load_tfjs_model): whose
    /// semantics an activation name gets; see KerasSemantics.
    KerasSemantics semantics = KerasSemantics::from_file;
};

namespace detail {

/// Runs `load()` and turns std::bad_alloc (a file that needs more memory than the process may have, once
/// the limits allowed it) into FormatError naming `source`; every other exception passes unchanged.
template <class Load>
decltype(auto) translate_alloc_failure(const std::string& source, Load&& load) {
    try {
        return std::forward<Load>(load)();
    } catch (const std::bad_alloc&) {
        throw FormatError(source,
                          "out of memory while loading (the file needs more memory than is available; "
                          "see io::LoadOptions for the limits)");
    }
}

}  // namespace detail
}  // namespace io
ELMAN_NAMESPACE_END
