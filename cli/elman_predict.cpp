// SPDX-License-Identifier: MIT
// elman-predict: run a Keras model file on .npy inputs from the command line (docs/model.md, "elman-predict").
//
//   elman-predict [--double] [--config CONFIG.json] [--all-outputs DIR] MODEL OUTPUT.npy INPUT.npy [INPUT2.npy ...]
//   elman-predict [--config CONFIG.json] --summary MODEL
//
// Exit status: 0 success, 1 any error while loading or running (one line on stderr naming the file and the
// problem), 2 a usage error.
#include <elman/io/load_model.hpp>
#include <elman/io/npy.hpp>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <iostream>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace {

const char* const usage_text =
    "usage: elman-predict [--double] [--config CONFIG.json] [--all-outputs DIR] MODEL OUTPUT.npy INPUT.npy "
    "[INPUT2.npy ...]\n"
    "       elman-predict [--config CONFIG.json] --summary MODEL\n"
    "\n"
    "Runs the Keras model MODEL (.h5 from model.save, .keras, or a TensorFlow.js model.json; a weights-only .h5\n"
    "from model.save_weights with --config, the model.to_json() text) on the inputs, given in the model's input\n"
    "order as float32, float64, int32 or int64 .npy files, and writes the first output to OUTPUT.npy: float32, or\n"
    "float64 with --double (which also computes in double). --all-outputs DIR also writes every output i as\n"
    "DIR/output_<i>.npy. --summary prints the model's layer table instead.\n";

struct Arguments {
    bool use_double = false;
    bool summary = false;
    std::optional<std::string> config;
    std::optional<std::string> all_outputs;
    std::vector<std::string> positional;
};

struct UsageError {
    std::string message;
};

Arguments parse_arguments(int argc, char** argv) {
    Arguments a;
    bool options_done = false;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&](const char* option) {
            if (i + 1 >= argc) throw UsageError{std::string(option) + " needs a value"};
            return std::string(argv[++i]);
        };
        if (options_done || arg.empty() || arg[0] != '-' || arg == "-") {
            a.positional.push_back(arg);
        } else if (arg == "--") {
            options_done = true;
        } else if (arg == "--double") {
            a.use_double = true;
        } else if (arg == "--summary") {
            a.summary = true;
        } else if (arg == "--config") {
            a.config = value("--config");
        } else if (arg == "--all-outputs") {
            a.all_outputs = value("--all-outputs");
        } else {
            throw UsageError{"unknown option " + arg};
        }
    }
    if (a.summary) {
        if (a.positional.size() != 1) throw UsageError{"--summary takes exactly one MODEL"};
        if (a.all_outputs) throw UsageError{"--all-outputs does not go with --summary"};
    } else if (a.positional.size() < 3) {
        throw UsageError{"expected MODEL OUTPUT.npy INPUT.npy [INPUT2.npy ...]"};
    }
    return a;
}

/// One input file decoded with its own dtype (the model converts to its Scalar).
using InputArray = std::variant<elman::Tensor<float>, elman::Tensor<double>, elman::Tensor<std::int32_t>,
                                elman::Tensor<std::int64_t>>;

InputArray read_input(const std::string& path) {
    const std::string bytes = elman::io::read_file(path, elman::io::LoadOptions{}.max_file_bytes);
    const elman::io::NpyDtype d = elman::io::npy_dtype(bytes, path);
    if (d.kind == 'f' && d.bytes == 4) return elman::io::read_npy_array<float>(bytes, path);
    if (d.kind == 'f' && d.bytes == 8) return elman::io::read_npy_array<double>(bytes, path);
    if (d.kind == 'i' && d.bytes == 4) return elman::io::read_npy_array<std::int32_t>(bytes, path);
    if (d.kind == 'i' && d.bytes == 8) return elman::io::read_npy_array<std::int64_t>(bytes, path);
    throw elman::io::FormatError(path, "array has dtype " + d.name +
                                           "; model inputs must be float32, float64, int32 or int64");
}

template <class Scalar>
elman::Model<Scalar> load(const Arguments& a) {
    const std::string& model = a.positional[0];
    if (a.config) return elman::io::load_model<Scalar>(model, *a.config);
    try {
        return elman::io::load_model<Scalar>(model);
    } catch (const elman::io::FormatError& e) {
        // The library's message names its two-argument call; a command-line user needs the option instead.
        if (e.source() == model && e.problem().find("weights-only") != std::string::npos)
            throw elman::io::FormatError(model, "a weights-only .h5 (model.save_weights, no `model_config`): pass "
                                                "its model.to_json() text with --config CONFIG.json");
        throw;
    }
}

/// (None, 5, 3) as Keras prints a shape.
std::string dims_text(const elman::model::Dims& dims) {
    std::string s = "(";
    for (std::size_t i = 0; i < dims.size(); ++i)
        s += (i ? ", " : "") + (dims[i] < 0 ? std::string("None") : std::to_string(dims[i]));
    return s + (dims.size() == 1 ? ",)" : ")");
}

template <class Scalar>
int run(const Arguments& a) {
    elman::Model<Scalar> model = load<Scalar>(a);
    if (a.summary) {
        std::cout << model.summary();
        return 0;
    }
    const std::vector<std::string> input_paths(a.positional.begin() + 2, a.positional.end());
    if (input_paths.size() != model.input_count()) {
        std::string names;
        for (std::size_t i = 0; i < model.input_count(); ++i)
            names += (i ? ", " : "") + model.input_name(i) + " " + dims_text(model.input_shape(i));
        throw elman::io::FormatError(a.positional[0], "the model takes " + std::to_string(model.input_count()) +
                                                          " input(s) (" + names + "), " +
                                                          std::to_string(input_paths.size()) + " given");
    }
    std::vector<InputArray> arrays;
    arrays.reserve(input_paths.size());
    for (const std::string& p : input_paths) arrays.push_back(read_input(p));
    std::vector<elman::ModelInput> inputs;
    for (const InputArray& array : arrays)
        std::visit([&](const auto& t) { inputs.emplace_back(t.view()); }, array);
    std::vector<elman::Tensor<Scalar>> outputs;
    try {
        model.predict(inputs, outputs);
    } catch (const std::invalid_argument& e) {
        // A shape that does not fit the model: name the input file the message is about.
        std::string what = e.what();
        for (std::size_t i = 0; i < model.input_count(); ++i) {
            if (what.find("'" + model.input_name(i) + "'") != std::string::npos)
                throw elman::io::FormatError(input_paths[i], what);
        }
        throw elman::io::FormatError(a.positional[0], what);
    }
    elman::io::save_npy(a.positional[1], outputs.at(0));
    if (a.all_outputs) {
        for (std::size_t i = 0; i < outputs.size(); ++i)
            elman::io::save_npy(*a.all_outputs + "/output_" + std::to_string(i) + ".npy", outputs[i]);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Arguments a;
    try {
        for (int i = 1; i < argc; ++i) {
            if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
                std::cout << usage_text;
                return 0;
            }
        }
        a = parse_arguments(argc, argv);
    } catch (const UsageError& e) {
        std::cerr << "elman-predict: " << e.message << "\n" << usage_text;
        return 2;
    }
    try {
        return a.use_double ? run<double>(a) : run<float>(a);
    } catch (const std::exception& e) {
        // io::FormatError messages start with the file they are about.
        std::string what = e.what();
        for (char& c : what)
            if (c == '\n') c = ' ';
        std::cerr << "elman-predict: " << what << "\n";
        return 1;
    }
}
