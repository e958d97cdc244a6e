// The generated Keras files of tests/data/model/keras/ (tools/model_fixtures/make_keras_files.py): where they are,
// their cases and how to load an entry of cases.json, shared by the Keras-file and model-save tests. Needs HDF5.
#pragma once

#include "model_cases.hpp"

#include <elman/io/load_model.hpp>

#include <nlohmann/json.hpp>

#include <fstream>
#include <string>

namespace elman_test {

/// tests/data/model/keras/, with the trailing slash.
inline const std::string keras_dir = model_dir + "keras/";

inline nlohmann::json read_json(const std::string& path) {
    std::ifstream in(path);
    return nlohmann::json::parse(in);
}

/// The calls of case `name` of cases.json: a generated `<name>.json` beside the files (a case tfjs cannot
/// produce), else the tfjs fixture's case.json.
inline nlohmann::json keras_case_json(const std::string& name) {
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".json") == 0) return read_json(keras_dir + name);
    return model_case_json(name);
}

/// The model of one cases.json entry: its file alone, or a weights file with its `config`.
template <class Scalar>
elman::Model<Scalar> load_keras_entry(const nlohmann::json& entry, const elman::io::LoadOptions& options = {}) {
    const std::string file = keras_dir + entry.at("file").get<std::string>();
    if (entry.contains("config"))
        return elman::io::load_model<Scalar>(file, keras_dir + entry.at("config").get<std::string>(), options);
    return elman::io::load_model<Scalar>(file, options);
}

}  // namespace elman_test
