// Whole Keras model files (io/load_model.hpp) against the tfjs fixtures they were made from: every file of
// tests/data/model/keras/ (written by tools/model_fixtures/make_keras_files.py in the layouts of tf.keras 2.x,
// Keras 2.1 weights-only + to_json, Keras 1, Keras 3 legacy h5 and Keras 3 .keras) gives the tfjs outputs of its
// case, float and double, and the broken variants give the loaders' FormatErrors. Needs HDF5.
#include "model_cases.hpp"
#include "support.hpp"

#if defined(ELMAN_TEST_WITH_HDF5)
#include "keras_file_cases.hpp"

#include <elman/io/load_model.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace {

using elman::Tensor;
using nlohmann::json;

using elman_test::keras_case_json;
using elman_test::keras_dir;
using elman_test::load_keras_entry;
using elman_test::read_json;

/// The largest relative error of the model's outputs against the case's (every call in order).
template <class Scalar>
double case_error(elman::Model<Scalar>& model, const json& c) {
    double worst = 0;
    std::vector<Tensor<Scalar>> outputs;
    for (const json& call : c.at("calls")) {
        if (call.at("reset_before").get<bool>()) model.reset_states();
        std::vector<Tensor<Scalar>> inputs;
        for (const json& in : call.at("inputs")) inputs.push_back(elman_test::tensor_from_json<Scalar>(in));
        std::vector<elman::ModelInput> views(inputs.begin(), inputs.end());
        model.predict(views, outputs);
        const json& expected = call.at("outputs");
        REQUIRE(outputs.size() == expected.size());
        for (std::size_t i = 0; i < outputs.size(); ++i)
            worst = std::max(
                worst, elman_test::max_relative_error(outputs[i], elman_test::tensor_from_json<double>(expected[i])));
    }
    return worst;
}

std::string load_error(const std::string& file) {
    try {
        elman::io::load_model<float>(keras_dir + file);
    } catch (const elman::io::FormatError& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("keras files: every generated .h5 / .keras file gives the outputs of its case, float and double") {
    const json entries = read_json(keras_dir + "cases.json");
    REQUIRE(entries.size() >= 43);
    for (const json& entry : entries) {
        INFO("file " << entry.at("file").get<std::string>());
        const json c = keras_case_json(entry.at("case").get<std::string>());
        elman::Model<float> f = load_keras_entry<float>(entry);
        CHECK(case_error(f, c) <= 2e-5);
        elman::Model<double> d = load_keras_entry<double>(entry);
        CHECK(case_error(d, c) <= 2e-5);
    }
}

TEST_CASE("keras files: Keras 3 hard_sigmoid is relu6(x + 3) / 6, unless TF 2.x semantics are asked for") {
    const json c = keras_case_json("k3_hard_sigmoid.expected.json");
    for (const char* file : {"k3_hard_sigmoid.keras", "k3_hard_sigmoid.k3.h5"}) {
        INFO(file);
        const json entry = {{"file", file}};
        elman::Model<double> from_file = load_keras_entry<double>(entry);
        CHECK(case_error(from_file, c) <= 1e-12);
        elman::io::LoadOptions tf2;
        tf2.semantics = elman::io::KerasSemantics::tf2;
        elman::Model<double> forced = load_keras_entry<double>(entry, tf2);
        CHECK(case_error(forced, c) > 1e-3);  // TF 2.4's clip(0.2 x + 0.5, 0, 1) differs
    }
    // And a TF 2.x file read with Keras 3 semantics changes meaning the same way (its hard_sigmoid only).
    elman::io::LoadOptions k3;
    k3.semantics = elman::io::KerasSemantics::keras3;
    elman::Model<float> m = load_keras_entry<float>(json{{"file", "seq_rnn_dense.tf2.h5"}}, k3);
    CHECK(case_error(m, keras_case_json("seq_rnn_dense")) <= 2e-5);  // no hard_sigmoid in it: unchanged
}

TEST_CASE("keras files: load_model chooses the format by content and names the file in every error") {
    using Catch::Matchers::Contains;
    CHECK_THAT(load_error("err_unsupported_class.h5"), Contains("err_unsupported_class.h5") &&
                                                           Contains("class Conv1D") &&
                                                           Contains("supported: InputLayer, SimpleRNN"));
    CHECK_THAT(load_error("err_weight_count.h5"), Contains("expected 2 weights") && Contains("found 1"));
    CHECK_THAT(load_error("err_weight_shape.h5"), Contains("has shape (3, 4), expected (4, 3)"));
    CHECK_THAT(load_error("err_missing_group.h5"), Contains("layer_names lists 'dense_Dense1' but there is no such"));
    CHECK_THAT(load_error("err_float64.h5"), Contains("holds float64 values but the layer is float32"));
    CHECK_THAT(load_error("err_keras1_merge.h5"), Contains("Merge is a Keras 1 class"));
    CHECK_THAT(load_error("err_vars_name.keras"),
               Contains("err_vars_name.keras") && Contains("is named 'another_dense'"));
    CHECK_THAT(load_error("err_unrequested.keras"), Contains("the weights include layer(s) 'dense_1'"));
    CHECK_THAT(load_error("err_missing_member.keras"), Contains("no `model.weights.h5` in the archive"));
    CHECK_THAT(load_error("err_corrupt_member.keras"), Contains("CRC mismatch"));
    CHECK_THAT(load_error("err_not_a_model.txt"),
               Contains("err_not_a_model.txt") && Contains("accepted: a Keras .h5 model file"));
    CHECK_THAT(load_error("no_such_file.h5"), Contains("no_such_file.h5"));
    // A float64 weight loads into a double model.
    CHECK_NOTHROW(elman::io::load_model<double>(keras_dir + "err_float64.h5"));
    // The weights-only form needs an HDF5 weights file; the one-file form refuses a weights-only file.
    try {
        elman::io::load_model<float>(keras_dir + "seq_rnn_dense.k21.json", keras_dir + "seq_rnn_dense.k21.json");
        FAIL("no error");
    } catch (const elman::io::FormatError& e) {
        CHECK_THAT(e.what(), Contains("not an HDF5 file"));
    }
    CHECK_THAT(load_error("seq_rnn_dense.k21.h5"), Contains("no `model_config` attribute"));
}

TEST_CASE("keras files: Keras 3 archive keys are Keras' snake_case class names") {
    using elman::io::detail::keras_snake_case;
    CHECK(keras_snake_case("SimpleRNN") == "simple_rnn");
    CHECK(keras_snake_case("TimeDistributed") == "time_distributed");
    CHECK(keras_snake_case("InputLayer") == "input_layer");
    CHECK(keras_snake_case("Dense") == "dense");
    CHECK(keras_snake_case("ReLU") == "re_lu");
    CHECK(keras_snake_case("SpatialDropout1D") == "spatial_dropout1d");
}
#endif
