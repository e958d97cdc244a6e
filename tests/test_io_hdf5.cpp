// Keras .h5 files (written by tools/io_fixtures/make_keras_files.py in TF 2.4's exact layout): loading
// through model.save and model.save_weights layouts reproduces tfjs' outputs; a C++ layer saved to .h5
// reloads bit for bit; hostile files are rejected naming the file. Compiled only when HDF5 was found.
#if defined(ELMAN_TEST_WITH_HDF5)
#include "support.hpp"

#include <elman/io/hdf5.hpp>
#include <elman/io/tfjs.hpp>

#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <string>

using elman_test::load_json;
using elman_test::max_relative_error;
using elman_test::tensor_from_json;

namespace {

const std::string h5_dir = std::string(ELMAN_TEST_DATA_DIR) + "/io/";

const nlohmann::json& expected_h5_layer(const std::string& model, const std::string& layer) {
    for (const auto& m : load_json("io/expected.json").at("models"))
        if (m.at("name") == model)
            for (const auto& l : m.at("layers"))
                if (l.at("name") == layer) return l;
    throw std::runtime_error("no expected layer " + model + "/" + layer);
}

template <class F>
std::string h5_error_of(F&& f) {
    try {
        f();
    } catch (const elman::io::FormatError& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEMPLATE_TEST_CASE("Keras .h5 (model.save and save_weights layouts) reproduces tfjs outputs", "[io][hdf5]", float,
                   double) {
    struct Case {
        const char* model;
        const char* layer;
        std::size_t index;
    };
    for (Case c : {Case{"tanh_sequences", "simple_rnn", 0}, Case{"hard_sigmoid_no_bias", "rnn_hs", 0},
                   Case{"stacked_sharded", "encoder", 0}, Case{"stacked_sharded", "decoder", 1}}) {
        INFO(c.model << "/" << c.layer);
        const auto& e = expected_h5_layer(c.model, c.layer);
        const auto input = tensor_from_json<TestType>(e.at("input"));
        const auto output = tensor_from_json<double>(e.at("output"));
        // Full model: uniquified names (simple_rnn_1/simple_rnn_cell_1/kernel:0), config from model_config.
        const auto full = elman::io::load_keras_h5<TestType>(h5_dir + "h5/" + c.model + ".h5",
                                                             elman::io::LayerSelector::by_index(c.index));
        REQUIRE(full.config);
        CHECK(full.config->options.name == std::string(c.layer) + "_1");
        for (std::size_t i = 0; i < full.weights.size(); ++i)
            CHECK(full.weights[i].values() == tensor_from_json<TestType>(e.at("weights")[i]).values());
        const double err =
            elman::io::visit_layer(full, [&](auto& layer) { return max_relative_error(layer(input).output, output); });
        CHECK(err <= 2e-5);
        // Weights only, selected by name; the config comes from elsewhere (here the tfjs model.json).
        const auto weights = elman::io::load_keras_h5<TestType>(h5_dir + "h5/" + c.model + "_weights.h5",
                                                                elman::io::LayerSelector::by_name(c.layer));
        CHECK_FALSE(weights.config);
        const auto config = elman::io::load_tfjs<TestType>(h5_dir + "tfjs/" + c.model + "/model.json",
                                                           elman::io::LayerSelector::by_name(c.layer))
                                .config;
        CHECK(elman::io::visit_layer(
                  weights, [&](auto& layer) { return max_relative_error(layer(input).output, output); }, config) <=
              2e-5);
    }
}

TEMPLATE_TEST_CASE("a C++ layer saved to .h5 reloads bit for bit with its config", "[io][hdf5]", float, double) {
    elman::SimpleRNNOptions o;
    o.input_dim = 3;
    o.name = "trained_rnn";
    o.return_sequences = true;
    o.kernel_initializer = elman::Initializer::glorot_uniform(1);
    o.recurrent_initializer = elman::Initializer::orthogonal(1.0, 2);
    o.bias_initializer = elman::Initializer::random_uniform(-1, 1, 3);
    o.kernel_regularizer = elman::Regularizer::L2(0.01);
    elman::SimpleRNN<TestType, elman::Softsign> layer(4, o);
    for (auto layout : {elman::io::H5Layout::Model, elman::io::H5Layout::Weights}) {
        const std::string path = "elman_io_roundtrip_" + std::to_string(sizeof(TestType)) + ".h5";
        elman::io::save_keras_h5(path, layer, layout);
        const auto back = elman::io::load_keras_h5<TestType>(path);
        std::remove(path.c_str());
        const auto w = layer.get_weights();
        REQUIRE(back.weights.size() == w.size());
        for (std::size_t i = 0; i < w.size(); ++i) CHECK(back.weights[i].values() == w[i].values());
        CHECK(back.config.has_value() == (layout == elman::io::H5Layout::Model));
        if (back.config) {
            CHECK(elman::io::to_config(*back.config) == elman::io::to_config(layer));
            CHECK(back.config->activation == "softsign");
        }
    }
}

TEST_CASE("saving a layer to .h5 replaces the file whole, and a failed save leaves the path as it was", "[io][hdf5]") {
    elman::SimpleRNNOptions o;
    o.input_dim = 2;
    o.name = "replaced";
    elman::SimpleRNN<float> layer(3, o);
    const std::string path = "elman_io_replace.h5";
    {
        std::FILE* f = std::fopen(path.c_str(), "wb");
        REQUIRE(f != nullptr);
        std::fputs("not an HDF5 file", f);
        std::fclose(f);
    }
    elman::io::save_keras_h5(path, layer);
    CHECK(elman::io::load_keras_h5<float>(path).weights.size() == 3);
    CHECK_FALSE(std::filesystem::exists(elman::io::temp_path(path)));
    std::remove(path.c_str());
    // A directory cannot be replaced by a file: the rename fails after the whole file was written.
    const std::string dir = "elman_io_replace_dir.h5";
    std::filesystem::create_directory(dir);
    CHECK_THROWS_WITH(elman::io::save_keras_h5(dir, layer), Catch::Contains(dir) && Catch::Contains("cannot write"));
    CHECK(std::filesystem::is_directory(dir));
    CHECK_FALSE(std::filesystem::exists(elman::io::temp_path(dir)));
    std::filesystem::remove(dir);
}

TEST_CASE("hostile Keras .h5 files are rejected with the file name and the problem", "[io][hdf5]") {
    const std::string bad = h5_dir + "bad/";
    struct Case {
        const char* file;
        const char* message;
    };
    for (Case c : {Case{"h5_float64.h5", "float64"}, Case{"h5_missing_dataset.h5", "missing dataset"},
                   Case{"h5_wrong_shape.h5", "recurrent_kernel must be (4, 4)"},
                   Case{"h5_duplicate_names.h5", "duplicate weight"}, Case{"h5_int_weights.h5", "not floating point"},
                   Case{"h5_bad_config.h5", "malformed JSON"}, Case{"h5_truncated.h5", "h5_truncated.h5"},
                   Case{"float64.npy", "not an HDF5 file"}}) {
        INFO(c.file);
        CHECK_THAT(h5_error_of([&] { elman::io::load_keras_h5<float>(bad + c.file); }),
                   Catch::Contains(bad + c.file) && Catch::Contains(c.message));
    }
    CHECK(elman::io::load_keras_h5<double>(bad + "h5_float64.h5").weights.size() == 3);  // fine for a double layer
    CHECK_THAT(h5_error_of([&] {
                   elman::io::load_keras_h5<float>(h5_dir + "h5/tanh_sequences.h5",
                                                   elman::io::LayerSelector::by_name("dense"));
               }),
               Catch::Contains("no layer 'dense'"));
}
#endif  // ELMAN_TEST_WITH_HDF5
