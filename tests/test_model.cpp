// The model runtime (include/elman/model/) against whole tfjs models (tests/data/model/, written by
// tools/model_fixtures/generate.mjs from tfjs-layers 4.22.0), plus summary, layer access and the build-time
// errors. Tolerance: 2e-5 relative to max(1, |expected|), as the SimpleRNN golden tests (float32 reference).
#include "model_cases.hpp"
#include "support.hpp"

#include <elman/io/file.hpp>
#include <elman/io/tfjs_model.hpp>
#include <elman/model/model.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace {

using elman::Index;
using elman::Shape;
using elman::Tensor;
using elman_test::model_dir;
using nlohmann::json;

template <class Scalar>
void run_case(const std::string& name, bool ids_as_int) {
    INFO("case " << name);
    const json c = elman_test::model_case_json(name);
    elman::Model<Scalar> model = elman::io::load_tfjs_model<Scalar>(model_dir + name + "/model.json");
    std::vector<Tensor<Scalar>> outputs;
    for (const json& call : c.at("calls")) {
        if (call.at("reset_before").get<bool>()) model.reset_states();
        std::vector<Tensor<Scalar>> inputs;
        std::vector<Tensor<std::int32_t>> ids;
        for (const json& in : call.at("inputs")) {
            inputs.push_back(elman_test::tensor_from_json<Scalar>(in));
            if (in.at("dtype") == "int32") ids.push_back(elman_test::tensor_from_json<std::int32_t>(in));
        }
        std::vector<elman::ModelInput> views;
        std::size_t next_id = 0;
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            if (ids_as_int && call.at("inputs")[i].at("dtype") == "int32")
                views.emplace_back(ids[next_id++]);
            else
                views.emplace_back(inputs[i]);
        }
        model.predict(views, outputs);
        const json& expected = call.at("outputs");
        REQUIRE(outputs.size() == expected.size());
        for (std::size_t i = 0; i < outputs.size(); ++i) {
            const Tensor<double> e = elman_test::tensor_from_json<double>(expected[i]);
            INFO("output " << i << " shape " << outputs[i].shape().to_string() << " expected "
                           << e.shape().to_string());
            CHECK(elman_test::max_relative_error(outputs[i], e) <= 2e-5);
        }
    }
}

std::string format_error(const std::string& topology, elman::model::InMemoryWeights<float> weights);
std::string format_error(const std::string& topology) {
    return format_error(topology, elman::model::InMemoryWeights<float>("<test weights>"));
}

json parse(const std::string& text) { return json::parse(text); }

elman::io::json::Value config(const std::string& text) { return elman::io::json::parse(text, "<test>"); }

std::string format_error(const std::string& topology, elman::model::InMemoryWeights<float> weights) {
    try {
        elman::Model<float>::from_config(config(topology), weights, "<test>");
    } catch (const elman::io::FormatError& e) {
        return e.what();
    }
    return "no error";
}

const char* dense_seq = R"({"class_name": "Sequential", "config": {"name": "seq", "layers": [
  {"class_name": "Dense", "config": {"name": "d", "units": 2, "activation": "linear", "batch_input_shape": [null, 3]}}]}})";

elman::model::InMemoryWeights<float> dense_weights(Shape kernel = {3, 2}, bool with_bias = true) {
    elman::model::InMemoryWeights<float> w;
    std::vector<Tensor<float>> t{elman_test::random_tensor<float>(kernel, 1)};
    if (with_bias) t.push_back(elman_test::random_tensor<float>(Shape{2}, 2));
    w.set("d", t);
    return w;
}

}  // namespace

TEST_CASE("model: every tfjs fixture model gives tfjs' outputs, float and double") {
    const auto names = elman_test::model_case_names();
    REQUIRE(names.size() >= 20);
    for (const std::string& name : names) {
        run_case<float>(name, false);
        run_case<double>(name, false);
        run_case<float>(name, true);
    }
}

TEST_CASE("model: summary is Keras' table, Sequential and Functional") {
    auto seq = elman::io::load_tfjs_model<float>(model_dir + "seq_rnn_dense/model.json");
    const json topo = parse(elman::io::read_file(model_dir + "seq_rnn_dense/model.json")).at("modelTopology");
    const std::string rnn = topo["config"]["layers"][0]["config"]["name"];
    const std::string dense = topo["config"]["layers"][1]["config"]["name"];
    const std::string model_name = topo["config"]["name"];
    auto pad = [](std::string s, std::size_t n) {
        return s.substr(0, n) + std::string(n - std::min(n, s.size()), ' ');
    };
    const std::string expected =
        "Model: \"" + model_name + "\"\n" + std::string(65, '_') + "\n" + pad("Layer (type)", 29) +
        pad("Output Shape", 26) + pad("Param #", 10) + "\n" + std::string(65, '=') + "\n" +
        pad(rnn + " (SimpleRNN)", 28) + " " + pad("(None, 4)", 25) + " " + pad("32", 10) + "\n" + std::string(65, '_') +
        "\n" + pad(dense + " (Dense)", 28) + " " + pad("(None, 3)", 25) + " " + pad("15", 10) + "\n" +
        std::string(65, '=') + "\nTotal params: 47\nTrainable params: 47\nNon-trainable params: 0\n" +
        std::string(65, '_') + "\n";
    CHECK(seq.summary() == expected);
    CHECK(seq.count_params() == 47);

    auto func = elman::io::load_tfjs_model<float>(model_dir + "func_multi_io/model.json");
    const std::string s = func.summary();
    CHECK(s.find("Connected to") != std::string::npos);
    CHECK(s.find("seq (InputLayer)") != std::string::npos);
    CHECK(s.find("[(None, 5, 3)]") != std::string::npos);
    CHECK(s.find("seq[0][0]") != std::string::npos);
    CHECK(s.find(std::string(98, '=')) != std::string::npos);
}

TEST_CASE("model: layer access by name, SimpleRNN typed access, stateful reset") {
    auto m = elman::io::load_tfjs_model<float>(model_dir + "seq_stateful/model.json");
    const std::string rnn = m.layer_names().at(0);
    auto& layer = m.simple_rnn(rnn);
    CHECK(layer.units() == 3);
    CHECK(layer.options().stateful);
    CHECK(std::string(layer.activation_name()) == "tanh");
    CHECK(layer.activation().is<elman::Tanh>());
    CHECK_FALSE(layer.activation().is<elman::Relu>());
    CHECK_THROWS_AS(m.simple_rnn(m.layer_names().at(1)), std::invalid_argument);
    CHECK_THROWS_AS(m.layer("nope"), std::invalid_argument);
    Tensor<float> x = elman_test::random_tensor<float>(Shape{2, 4, 2}, 3);
    const auto first = m.predict({x});
    const auto second = m.predict({x});
    CHECK(elman_test::max_relative_error(first[0], second[0]) > 1e-4);  // the state carried over
    CHECK(layer.states().size() == 6);
    m.reset_states();
    CHECK(layer.states().matrix().isZero());
    CHECK(elman_test::max_relative_error(m.predict({x})[0], first[0]) == 0.0);

    auto b = elman::io::load_tfjs_model<double>(model_dir + "bidi_sum/model.json");
    auto& bidi = b.bidirectional(b.layer_names().at(0));
    CHECK(bidi.merge_mode() == elman::model::MergeMode::Sum);
    CHECK(bidi.forward_layer().name().rfind("forward_", 0) == 0);
    CHECK(bidi.backward_layer().options().go_backwards);
}

TEST_CASE("model: predict checks the input count and shapes") {
    auto m = elman::io::load_tfjs_model<float>(model_dir + "func_multi_io/model.json");
    Tensor<float> seq = elman_test::random_tensor<float>(Shape{2, 5, 3}, 4);
    Tensor<float> bad = elman_test::random_tensor<float>(Shape{2, 5}, 5);
    CHECK_THROWS_WITH(m.predict({seq}), Catch::Contains("expects 2 input(s), got 1"));
    CHECK_THROWS_WITH(m.predict({seq, bad}), Catch::Contains("input 1 ('vec') has shape (2, 5), expected (None, 4)"));
    CHECK(m.input_count() == 2);
    CHECK(m.output_count() == 2);
    CHECK(m.output_shape(1) == elman::model::Dims{-1, 3});
}

TEST_CASE("model: Keras 2 Sequential without InputLayer, ReLU options, Softmax axis, Keras 3 nodes") {
    // ReLU(max_value=1.5, negative_slope=0.5, threshold=0.25): TF 2.4 backend.relu values worked by hand.
    const std::string relu = R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
      {"class_name": "ReLU", "config": {"name": "r", "trainable": true, "dtype": "float32", "batch_input_shape": [null, 5],
       "max_value": 1.5, "negative_slope": 0.5, "threshold": 0.25}}]}})";
    elman::model::InMemoryWeights<double> none;
    auto m = elman::Model<double>::from_config(config(relu), none, "<test>");
    Tensor<double> x(Shape{1, 5}, {-1.0, 0.0, 0.25, 1.0, 3.0});
    const auto y = m.predict({x})[0];
    CHECK(y(0, 0) == Approx(-0.625));  // 0 - 0.5 * (0.25 - -1)
    CHECK(y(0, 1) == Approx(-0.125));
    CHECK(y(0, 2) == Approx(0.0));  // not > threshold
    CHECK(y(0, 3) == Approx(1.0));
    CHECK(y(0, 4) == Approx(1.5));

    const std::string softmax = R"({"class_name": "Functional", "config": {"name": "f", "layers": [
      {"class_name": "InputLayer", "name": "in", "config": {"name": "in", "batch_shape": [null, 2, 3], "dtype": "float32",
       "sparse": false}, "inbound_nodes": []},
      {"class_name": "Softmax", "name": "sm", "config": {"name": "sm", "axis": 1},
       "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 2, 3],
        "dtype": "float32", "keras_history": ["in", 0, 0]}}], "kwargs": {"mask": null}}]}],
      "input_layers": [["in", 0, 0]], "output_layers": [["sm", 0, 0]]}})";
    auto s = elman::Model<double>::from_config(config(softmax), none, "<test>");
    Tensor<double> z(Shape{1, 2, 3}, {0.0, 1.0, 2.0, 1.0, 1.0, 0.0});
    const auto p = s.predict({z})[0];
    CHECK(p(0, 0, 0) == Approx(1.0 / (1.0 + std::exp(1.0))));
    CHECK(p(0, 1, 0) == Approx(std::exp(1.0) / (1.0 + std::exp(1.0))));
    CHECK(p(0, 0, 1) == Approx(0.5));

    auto w = dense_weights();
    auto d = elman::Model<float>::from_config(config(dense_seq), w, "<test>");
    CHECK(d.layer_names() == std::vector<std::string>{"d"});
    CHECK(d.input_name(0) == "d_input");
}

TEST_CASE("model: unsupported classes, bad weights and bad graphs are refused at build time") {
    const std::string lstm = R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
      {"class_name": "LSTM", "config": {"name": "lstm_1", "units": 2, "batch_input_shape": [null, 3, 2]}}]}})";
    const std::string e1 = format_error(lstm);
    CHECK(e1.find("<test>: layer 'lstm_1' has class LSTM, which the model runtime does not support") == 0);
    CHECK(e1.find("supported: InputLayer, SimpleRNN") != std::string::npos);

    CHECK(format_error(dense_seq, dense_weights({3, 2}, false)).find("layer 'd' (Dense): expected 2 weights") !=
          std::string::npos);
    CHECK(format_error(dense_seq, dense_weights({4, 2})).find("weight 'kernel' has shape (4, 2), expected (3, 2)") !=
          std::string::npos);
    CHECK(format_error(dense_seq).find("layer 'd' (Dense): no weights stored") != std::string::npos);
    auto extra = dense_weights();
    extra.set("ghost", {Tensor<float>(Shape{1})});
    CHECK(format_error(dense_seq, extra).find("include layer(s) 'ghost', which the model does not have") !=
          std::string::npos);

    const std::string unknown_ref = R"({"class_name": "Functional", "config": {"name": "f", "layers": [
      {"class_name": "InputLayer", "name": "in", "config": {"name": "in", "batch_input_shape": [null, 3]}, "inbound_nodes": []},
      {"class_name": "Dense", "name": "d", "config": {"name": "d", "units": 2}, "inbound_nodes": [[["nowhere", 0, 0, {}]]]}],
      "input_layers": [["in", 0, 0]], "output_layers": [["d", 0, 0]]}})";
    CHECK(format_error(unknown_ref, dense_weights())
              .find("layer 'd' refers to layer 'nowhere', which the model does not have") != std::string::npos);

    const std::string unknown_key = R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
      {"class_name": "Dense", "config": {"name": "d", "units": 2, "batch_input_shape": [null, 3], "frobnicate": 1}}]}})";
    CHECK(format_error(unknown_key, dense_weights()).find("unknown key `frobnicate`") != std::string::npos);

    const std::string masked_flatten = R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
      {"class_name": "Masking", "config": {"name": "m", "mask_value": 0, "batch_input_shape": [null, 3, 2]}},
      {"class_name": "Flatten", "config": {"name": "f"}}]}})";
    CHECK(format_error(masked_flatten).find("layer 'f' (Flatten): does not support masking") != std::string::npos);

    const std::string init_state = R"({"class_name": "Functional", "config": {"name": "f", "layers": [
      {"class_name": "InputLayer", "name": "in", "config": {"name": "in", "batch_input_shape": [null, 3]}, "inbound_nodes": []},
      {"class_name": "Dense", "name": "d", "config": {"name": "d", "units": 2},
       "inbound_nodes": [[["in", 0, 0, {"training": true}]]]}],
      "input_layers": [["in", 0, 0]], "output_layers": [["d", 0, 0]]}})";
    CHECK(format_error(init_state, dense_weights()).find("call argument `training`") != std::string::npos);

    CHECK_THROWS_AS(elman::io::load_tfjs_model<float>(model_dir + "missing/model.json"), elman::io::FormatError);
}

TEST_CASE("model: dtype policies that keep float32 / float64 load; quantized and 16-bit ones are refused") {
    auto dense_with_dtype = [](const std::string& dtype) {
        return R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
          {"class_name": "Dense", "config": {"name": "d", "units": 2, "batch_input_shape": [null, 3], "dtype": )" +
               dtype + "}}]}}";
    };
    for (const std::string ok :
         {R"("float32")", R"("float64")", "null",
          R"({"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null})",
          R"({"class_name": "Policy", "config": {"name": "float32"}})"}) {
        INFO(ok);
        auto w = dense_weights();
        CHECK_NOTHROW(elman::Model<float>::from_config(config(dense_with_dtype(ok)), w, "<test>"));
    }
    struct Refused {
        const char* dtype;
        const char* message;
    };
    for (
        const Refused& c : std::vector<Refused>{
            {R"({"module": "keras", "class_name": "QuantizedDTypePolicy", "config": {"mode": "int8", "source_name": "float32"}})",
             "`dtype` is a QuantizedDTypePolicy (a quantized layer: int8 / float8 weights with scales)"},
            {R"({"class_name": "QuantizedFloat8DTypePolicy", "config": {"mode": "float8", "source_name": "float32"}})",
             "is a QuantizedFloat8DTypePolicy (a quantized layer"},
            {R"({"class_name": "Policy", "config": {"name": "mixed_float16"}})",
             "`dtype` is 'mixed_float16': the layer computes in 16-bit floats"},
            {R"("bfloat16")", "`dtype` is 'bfloat16': the layer computes in 16-bit floats"},
            {R"({"class_name": "DTypePolicyMap", "config": {}})", "not a dtype policy elman knows"},
            {R"({"class_name": "DTypePolicy", "config": {"name": "float32", "extra": 1}})", "unknown key `extra`"},
            {"7", "`dtype` must be a dtype name or a dtype policy, got a number"}}) {
        INFO(c.dtype);
        CHECK_THAT(format_error(dense_with_dtype(c.dtype), dense_weights()), Catch::Contains(c.message));
    }
}
