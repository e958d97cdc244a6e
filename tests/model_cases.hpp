// The model fixtures of tests/data/model/ (tools/model_fixtures/): where they are and how to read them, shared by
// the model, Keras-file and CLI tests.
#pragma once

#include <nlohmann/json.hpp>

#include <fstream>
#include <string>
#include <vector>

namespace elman_test {

/// tests/data/model/, with the trailing slash.
inline const std::string model_dir = std::string(ELMAN_TEST_DATA_DIR) + "/model/";

/// The names of the tfjs fixture models, one per line of cases.txt.
inline std::vector<std::string> model_case_names() {
    std::ifstream in(model_dir + "cases.txt");
    std::vector<std::string> names;
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) names.push_back(line);
    return names;
}

/// The `case.json` of fixture model `name` (its calls: inputs and Keras' outputs).
inline nlohmann::json model_case_json(const std::string& name) {
    std::ifstream in(model_dir + name + "/case.json");
    return nlohmann::json::parse(in);
}

}  // namespace elman_test
