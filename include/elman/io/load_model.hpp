// SPDX-License-Identifier: MIT
// One entry point for whole Keras models: a .h5 (`model.save`), a Keras 3 .keras archive or a TensorFlow.js
// model.json, chosen by the file's content; and weights-only .h5 files with their model.to_json() text.
// Needs HDF5 (see io/hdf5.hpp).
#pragma once

#include <elman/config.hpp>
#include <elman/io/error.hpp>
#include <elman/io/hdf5.hpp>
#include <elman/io/keras_h5_model.hpp>
#include <elman/io/keras_zip_model.hpp>
#include <elman/io/load_options.hpp>
#include <elman/io/tfjs_model.hpp>
#include <elman/model/model.hpp>

#include <cstddef>
#include <fstream>
#include <string>

ELMAN_NAMESPACE_BEGIN
namespace io {

/// Which whole-model format a file holds, by its first bytes.
enum class ModelFileKind {
    /// `\x89HDF\r\n\x1a\n`: a Keras .h5 file.
    keras_h5,
    /// `PK\x03\x04`: a ZIP archive, a Keras 3 .keras file.
    keras_zip,
    /// Anything else: a TensorFlow.js Layers model.json (a JSON text).
    tfjs,
};

/// The kind of `path` by content (not by extension). FormatError naming the file when it cannot be read.
inline ModelFileKind model_file_kind(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw FormatError(path, "cannot open file");
    char head[8] = {0};
    in.read(head, sizeof head);
    const std::string got(head, static_cast<std::size_t>(in.gcount()));
    if (got == std::string("\x89HDF\r\n\x1a\n", 8)) return ModelFileKind::keras_h5;
    if (got.compare(0, 4, std::string("PK\x03\x04", 4)) == 0) return ModelFileKind::keras_zip;
    return ModelFileKind::tfjs;
}

/// A whole Keras model from `path`, whatever format it is in (chosen by content): a Keras .h5 model file
/// (load_keras_h5_model), a Keras 3 .keras archive (load_keras_zip_model) or a TensorFlow.js model.json
/// (load_tfjs_model). Every problem is a FormatError naming the file; a file in none of the formats says which
/// formats are accepted.
template <class Scalar>
Model<Scalar> load_model(const std::string& path, const LoadOptions& options = {}) {
    switch (model_file_kind(path)) {
        case ModelFileKind::keras_h5:
            return load_keras_h5_model<Scalar>(path, options);
        case ModelFileKind::keras_zip:
            return load_keras_zip_model<Scalar>(path, options);
        case ModelFileKind::tfjs:
            break;
    }
    try {
        return load_tfjs_model<Scalar>(path, options);
    } catch (const FormatError& e) {
        // Not JSON at all: say what the loader accepts rather than only where the JSON parser stopped.
        std::ifstream in(path, std::ios::binary);
        char c = ' ';
        while (in.get(c) && (c == ' ' || c == '\n' || c == '\r' || c == '\t')) {}
        if (in && c != '{')
            throw FormatError(path,
                              "not a model file elman reads (accepted: a Keras .h5 model file, a Keras 3 "
                              ".keras archive, a TensorFlow.js model.json; a weights-only .h5 needs its "
                              "model.to_json() file too)");
        throw;
    }
}

/// A whole model from a weights-only Keras .h5 (`model.save_weights`) and the `model.to_json()` text in
/// `config_path` (load_keras_h5_model). FormatError naming the file when `weights_path` is not HDF5.
template <class Scalar>
Model<Scalar> load_model(const std::string& weights_path, const std::string& config_path,
                         const LoadOptions& options = {}) {
    if (model_file_kind(weights_path) != ModelFileKind::keras_h5)
        throw FormatError(weights_path,
                          "not an HDF5 file: a weights file with a separate config must be a Keras "
                          ".h5 written by model.save_weights (accepted alone: .h5 model files, .keras "
                          "archives, TensorFlow.js model.json)");
    return load_keras_h5_model<Scalar>(weights_path, config_path, options);
}

}  // namespace io
ELMAN_NAMESPACE_END
