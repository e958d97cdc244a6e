// Keras / tfjs SimpleRNN config JSON (docs/keras-semantics.md#config): TF 2.4's exact get_config() text round-trips
// byte for byte, tfjs' spelling and the string forms of initializers, regularizers and constraints read as Keras does,
// every bad config is a FormatError naming the file and what is wrong. The JSON reader's own tests: test_io_json.cpp.
#include <elman/io/json.hpp>
#include <elman/io/layer_config.hpp>
#include <elman/io/loaded_layer.hpp>

#include <catch2/catch.hpp>

#include <optional>
#include <string>

namespace {

namespace io = elman::io;
namespace json = elman::io::json;
using Catch::Contains;
using Catch::StartsWith;

// SimpleRNN(4, input_shape=(5, 3)).get_config() in TF 2.4, as json.dumps writes it.
const std::string keras_default =
    R"({"name": "simple_rnn", "trainable": true, "batch_input_shape": [null, 5, 3], "dtype": "float32", )"
    R"("return_sequences": false, "return_state": false, "go_backwards": false, "stateful": false, "unroll": false, )"
    R"("time_major": false, "units": 4, "activation": "tanh", "use_bias": true, )"
    R"("kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}}, )"
    R"("recurrent_initializer": {"class_name": "Orthogonal", "config": {"gain": 1.0, "seed": null}}, )"
    R"("bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": null, )"
    R"("recurrent_regularizer": null, "bias_regularizer": null, "activity_regularizer": null, )"
    R"("kernel_constraint": null, "recurrent_constraint": null, "bias_constraint": null, "dropout": 0.0, )"
    R"("recurrent_dropout": 0.0})";

// SimpleRNN(3, activation=None, stateful=True, batch_input_shape=(2, 5, 3), zero_output_for_mask=True,
// kernel_regularizer=l2(0.01), ..., kernel_constraint=max_norm(), ...) in TF 2.4: every non-default form.
const std::string keras_full =
    R"({"name": "rnn_full", "trainable": false, "batch_input_shape": [2, 5, 3], "dtype": "float32", )"
    R"("return_sequences": true, "return_state": true, "go_backwards": true, "stateful": true, "unroll": true, )"
    R"("time_major": false, "zero_output_for_mask": true, "units": 3, "activation": "linear", "use_bias": false, )"
    R"("kernel_initializer": {"class_name": "VarianceScaling", "config": {"scale": 2.0, "mode": "fan_out", "distribution": "uniform", "seed": 7}}, )"
    R"("recurrent_initializer": {"class_name": "Identity", "config": {"gain": 0.5}}, )"
    R"("bias_initializer": {"class_name": "RandomUniform", "config": {"minval": -0.05, "maxval": 0.05, "seed": 42}}, )"
    R"("kernel_regularizer": {"class_name": "L2", "config": {"l2": 0.009999999776482582}}, )"
    R"("recurrent_regularizer": {"class_name": "L1L2", "config": {"l1": 0.0010000000474974513, "l2": 0.0}}, )"
    R"("bias_regularizer": {"class_name": "L1", "config": {"l1": 0.10000000149011612}}, )"
    R"("activity_regularizer": {"class_name": "L1L2", "config": {"l1": 0.009999999776482582, "l2": 0.009999999776482582}}, )"
    R"("kernel_constraint": {"class_name": "MaxNorm", "config": {"max_value": 2, "axis": 0}}, )"
    R"("recurrent_constraint": {"class_name": "UnitNorm", "config": {"axis": 1}}, )"
    R"("bias_constraint": {"class_name": "MinMaxNorm", "config": {"min_value": 0.0, "max_value": 1.5, "rate": 0.5, "axis": 0}}, )"
    R"("dropout": 0.25, "recurrent_dropout": 0.5})";

std::string error_of(const std::string& text, const std::string& source = "cfg.json") {
    try {
        io::parse_layer_config(text, source);
    } catch (const io::FormatError& e) {
        return e.what();
    }
    return "(no error)";
}

// `keras_default` with one member replaced (or removed when `value` is empty) / one member added.
std::string with(const std::string& key, const std::string& value) {
    json::Value v = json::parse(keras_default);
    json::Value out = json::Value::object();
    bool replaced = false;
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (v.keys()[i] == key) {
            replaced = true;
            if (!value.empty()) out.set(key, json::parse(value));
        } else {
            out.set(v.keys()[i], v[i]);
        }
    }
    if (!replaced) out.set(key, json::parse(value));
    return json::dump(out);
}

// The config `name` serialises to, for a string form given in `key`.
std::string serialized_as(const std::string& key, const std::string& value) {
    const io::LayerConfig lc = io::parse_layer_config(with(key, value), "cfg.json");
    return json::dump(*io::to_config(lc).find(key));
}

}  // namespace

TEST_CASE("TF 2.4 get_config() JSON round-trips byte for byte", "[io][config]") {
    for (const std::string* text : {&keras_default, &keras_full}) {
        const json::Value parsed = json::parse(*text);
        const io::LayerConfig lc = io::parse_layer_config(parsed, "cfg.json");
        const json::Value back = io::to_config(lc);
        // Key for key, in Keras' order, with the same int/float spelling.
        REQUIRE(back.keys() == parsed.keys());
        for (std::size_t i = 0; i < parsed.size(); ++i) {
            INFO(parsed.keys()[i]);
            CHECK(json::dump(back[i]) == json::dump(parsed[i]));
        }
        CHECK(json::dump(back) == *text);
        // The layer entry form of a model config reads the same.
        const json::Value entry = io::to_layer_json(lc);
        CHECK(json::dump(entry) == R"({"class_name": "SimpleRNN", "config": )" + *text + "}");
        CHECK(json::dump(io::to_config(io::parse_layer_config(entry, "m.json"))) == *text);
    }
}

TEST_CASE("Keras config values land in the layer options", "[io][config]") {
    const io::LayerConfig d = io::parse_layer_config(keras_default, "cfg.json");
    CHECK(d.units == 4);
    CHECK(d.activation == "tanh");
    CHECK(d.options.input_dim == 3);
    CHECK(d.timesteps == 5);
    CHECK(d.options.batch_size == 0);
    CHECK(d.trainable);
    CHECK(d.options.kernel_initializer.class_name() == "GlorotUniform");
    CHECK(d.options.recurrent_initializer.class_name() == "Orthogonal");
    CHECK(!d.options.kernel_regularizer);
    CHECK(!d.options.kernel_constraint);

    const io::LayerConfig f = io::parse_layer_config(keras_full, "cfg.json");
    CHECK(f.units == 3);
    CHECK(f.activation == "linear");
    CHECK(!f.trainable);
    CHECK(f.options.stateful);
    CHECK(f.options.batch_size == 2);
    CHECK(f.options.zero_output_for_mask);
    CHECK(!f.options.use_bias);
    CHECK(f.options.dropout == 0.25);
    CHECK(f.options.recurrent_dropout == 0.5);
    REQUIRE(f.options.kernel_regularizer);
    CHECK(std::string(f.options.kernel_regularizer->class_name()) == "L2");
    CHECK(static_cast<float>(f.options.kernel_regularizer->l2()) == 0.01f);
    REQUIRE(f.options.kernel_constraint);
    CHECK(f.options.kernel_constraint->max_value() == 2.0);
    REQUIRE(f.options.recurrent_constraint);
    CHECK(f.options.recurrent_constraint->axis() == 1);
    CHECK(f.options.bias_initializer.seed() == std::optional<std::uint64_t>(42));
    // The config builds a working layer.
    const elman::Index built = io::visit_layer<float>(f, [](auto& layer) { return layer.input_dim(); });
    CHECK(built == 3);
}

TEST_CASE("None activation and regularizer factors behave like Keras", "[io][config]") {
    // activation None serialises as "linear"; a factor given as 0.01 is stored as float32 and written back so.
    const io::LayerConfig lc = io::parse_layer_config(with("activation", "null"), "cfg.json");
    CHECK(lc.activation == "linear");
    CHECK(json::dump(*io::to_config(lc).find("activation")) == R"("linear")");
    CHECK(serialized_as("kernel_regularizer", R"({"class_name": "L2", "config": {"l2": 0.01}})") ==
          R"({"class_name": "L2", "config": {"l2": 0.009999999776482582}})");
}

TEST_CASE("TensorFlow.js' spelling of a SimpleRNN config reads as Keras'", "[io][config]") {
    // What tfjs-layers' model.save writes: no time_major, integer dropout, camelCase names where tfjs uses them.
    const std::string tfjs =
        R"({"class_name":"SimpleRNN","config":{"name":"rnn_hs","trainable":true,"batch_input_shape":[null,null,4],)"
        R"("dtype":"float32","units":5,"activation":"hardSigmoid","use_bias":true,)"
        R"("kernel_initializer":{"class_name":"VarianceScaling","config":{"scale":1,"mode":"fanAvg","distribution":"truncatedNormal","seed":null}},)"
        R"("recurrent_initializer":{"class_name":"Orthogonal","config":{"gain":1,"seed":null}},)"
        R"("bias_initializer":{"class_name":"Zeros","config":{}},"kernel_regularizer":null,"recurrent_regularizer":null,)"
        R"("bias_regularizer":null,"activity_regularizer":null,"kernel_constraint":"maxNorm","recurrent_constraint":"nonNeg",)"
        R"("bias_constraint":"unitNorm","dropout":0,"recurrent_dropout":0,"return_sequences":true,"return_state":false,)"
        R"("go_backwards":false,"stateful":false,"unroll":false}})";
    const io::LayerConfig lc = io::parse_layer_config(tfjs, "model.json");
    CHECK(lc.activation == "hard_sigmoid");
    CHECK(lc.units == 5);
    CHECK(lc.options.input_dim == 4);
    CHECK(lc.options.return_sequences);
    CHECK(lc.options.kernel_initializer.class_name() == "VarianceScaling");
    CHECK(lc.options.kernel_initializer.mode() == elman::Initializer::FanMode::FanAvg);
    REQUIRE(lc.options.kernel_constraint);
    CHECK(std::string(lc.options.kernel_constraint->class_name()) == "MaxNorm");
    // Written back in Keras' form and order, which Keras reads.
    const std::string keras = json::dump(io::to_config(lc));
    CHECK_THAT(
        keras,
        StartsWith(
            R"({"name": "rnn_hs", "trainable": true, "batch_input_shape": [null, null, 4], "dtype": "float32", "return_sequences": true,)"));
    CHECK_THAT(keras, Contains(R"("activation": "hard_sigmoid")"));
    CHECK_THAT(keras,
               Contains(R"("kernel_constraint": {"class_name": "MaxNorm", "config": {"max_value": 2, "axis": 0}})"));
    CHECK_THAT(keras, Contains(R"("dropout": 0.0, "recurrent_dropout": 0.0})"));
    CHECK(json::dump(io::to_config(io::parse_layer_config(keras, "k.json"))) == keras);
}

TEST_CASE("string forms of initializers, regularizers and constraints", "[io][config]") {
    CHECK(serialized_as("kernel_initializer", R"("glorot_uniform")") ==
          R"({"class_name": "GlorotUniform", "config": {"seed": null}})");
    CHECK(serialized_as("kernel_initializer", R"("glorotUniform")") ==
          R"({"class_name": "GlorotUniform", "config": {"seed": null}})");
    CHECK(serialized_as("kernel_initializer", R"("he_normal")") ==
          R"({"class_name": "HeNormal", "config": {"seed": null}})");
    CHECK(serialized_as("kernel_initializer", R"("leCunNormal")") ==
          R"({"class_name": "LecunNormal", "config": {"seed": null}})");
    CHECK(serialized_as("recurrent_initializer", R"("orthogonal")") ==
          R"({"class_name": "Orthogonal", "config": {"gain": 1.0, "seed": null}})");
    CHECK(serialized_as("recurrent_initializer", R"("identity")") ==
          R"({"class_name": "Identity", "config": {"gain": 1.0}})");
    CHECK(serialized_as("bias_initializer", R"("ones")") == R"({"class_name": "Ones", "config": {}})");
    CHECK(serialized_as("bias_initializer", R"("Zeros")") == R"({"class_name": "Zeros", "config": {}})");
    CHECK(serialized_as("kernel_regularizer", R"("l2")") ==
          R"({"class_name": "L2", "config": {"l2": 0.009999999776482582}})");
    CHECK(serialized_as("kernel_regularizer", R"("l1")") ==
          R"({"class_name": "L1", "config": {"l1": 0.009999999776482582}})");
    CHECK(serialized_as("kernel_regularizer", R"("l1_l2")") ==
          R"({"class_name": "L1L2", "config": {"l1": 0.009999999776482582, "l2": 0.009999999776482582}})");
    CHECK(serialized_as("kernel_constraint", R"("max_norm")") ==
          R"({"class_name": "MaxNorm", "config": {"max_value": 2, "axis": 0}})");
    CHECK(serialized_as("kernel_constraint", R"("non_neg")") == R"({"class_name": "NonNeg", "config": {}})");
    CHECK(serialized_as("kernel_constraint", R"("unit_norm")") ==
          R"({"class_name": "UnitNorm", "config": {"axis": 0}})");
    CHECK(serialized_as("kernel_constraint", R"("min_max_norm")") ==
          R"({"class_name": "MinMaxNorm", "config": {"min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0}})");
    // A `{"class_name"}` object without `config` means the defaults, as a name does.
    CHECK(serialized_as("kernel_constraint", R"({"class_name": "NonNeg"})") ==
          R"({"class_name": "NonNeg", "config": {}})");
    CHECK(serialized_as("activation", R"("relu")") == R"("relu")");
}

TEST_CASE("bad configs are FormatErrors naming the file and the problem", "[io][config]") {
    CHECK_THAT(error_of(with("activation", R"("mish")")), StartsWith("cfg.json: ") && Contains("mish"));
    CHECK_THAT(error_of(with("activation", "3")), StartsWith("cfg.json: ") && Contains("activation"));
    CHECK_THAT(error_of(with("colour", R"("blue")")), StartsWith("cfg.json: ") && Contains("unknown key `colour`"));
    CHECK_THAT(error_of(with("units", R"("4")")), Contains("`units` must be an integer, got a string"));
    CHECK_THAT(error_of(with("units", "4.5")), Contains("`units` must be an integer"));
    CHECK_THAT(error_of(with("units", "0")), Contains("`units` must be a positive integer"));
    CHECK_THAT(error_of(with("units", "-3")), Contains("`units` must be a positive integer"));
    CHECK_THAT(error_of(with("units", "1e400")), Contains("`units` must be an integer"));
    CHECK_THAT(error_of(with("units", "")), Contains("missing `units`"));
    CHECK_THAT(error_of(with("use_bias", "1")), Contains("`use_bias` must be true or false, got a number"));
    CHECK_THAT(error_of(with("return_sequences", R"("yes")")), Contains("`return_sequences` must be true or false"));
    CHECK_THAT(error_of(with("dropout", R"("0.5")")), Contains("`dropout` must be a number, got a string"));
    CHECK_THAT(error_of(with("name", "7")), Contains("`name` must be a string"));
    CHECK_THAT(error_of(with("dtype", "7")), Contains("`dtype` must be a dtype name or a dtype policy, got a number"));
    CHECK_THAT(error_of(with("dtype", R"({"class_name": "QuantizedDTypePolicy", "config": {"mode": "int8"}})")),
               Contains("`dtype` is a QuantizedDTypePolicy (a quantized layer"));
    CHECK_THAT(error_of(with("dtype", R"("mixed_float16")")), Contains("computes in 16-bit floats"));
    CHECK(io::parse_layer_config(with("dtype", R"({"class_name": "DTypePolicy", "config": {"name": "float64"}})"),
                                 "cfg.json")
              .dtype == "float64");
    CHECK_THAT(error_of(with("batch_input_shape", "[null, 3]")),
               Contains("`batch_input_shape` must be a list of 3 extents"));
    CHECK_THAT(error_of(with("batch_input_shape", "[null, 5, -3]")),
               Contains("`batch_input_shape` has an invalid extent -3"));
    CHECK_THAT(error_of(with("kernel_initializer", "5")), Contains("`kernel_initializer` must be a name or"));
    CHECK_THAT(error_of(with("kernel_initializer", R"("fancy")")), Contains("kernel_initializer") && Contains("fancy"));
    CHECK_THAT(
        error_of(with("kernel_initializer", R"({"class_name": "GlorotUniform", "config": {"seed": null, "gain": 2}})")),
        Contains("unknown key `gain`"));
    CHECK_THAT(error_of(with("kernel_initializer", R"({"config": {}})")), Contains("missing or empty `class_name`"));
    CHECK_THAT(error_of(with("kernel_regularizer", R"({"class_name": "L3", "config": {}})")),
               Contains("unknown regularizer"));
    CHECK_THAT(error_of(with("kernel_regularizer", R"({"class_name": "L2", "config": {"l2": "big"}})")),
               Contains("`l2` must be a number, got a string"));
    CHECK_THAT(error_of(with("kernel_regularizer", R"({"class_name": "L2", "config": {"l2": NaN}})")),
               Contains("kernel_regularizer"));
    CHECK_THAT(error_of(with("kernel_constraint", R"({"class_name": "MaxNorm", "config": {"axis": 5}})")),
               Contains("`axis` must be -2, -1, 0 or 1"));
    CHECK_THAT(error_of(with("bias_constraint", R"("radial")")), Contains("bias_constraint"));
    CHECK_THAT(error_of(R"({"class_name": "LSTM", "config": {"units": 3}})"), Contains("expected \"SimpleRNN\""));
    CHECK_THAT(error_of(R"({"class_name": "SimpleRNN"})"), Contains("missing `config`"));
    CHECK_THAT(error_of("[1, 2]"), StartsWith("cfg.json: ") && Contains("expected a JSON object, got an array"));
    CHECK_THAT(error_of(R"({"units": 4,})"), StartsWith("cfg.json: malformed JSON at byte 12"));
    CHECK_THAT(error_of(R"({"units": 4, "units": 5})"), Contains("duplicate key \"units\""));
    // Sizes no SimpleRNN has are refused before anything is allocated.
    CHECK_THAT(error_of(with("batch_input_shape", "[null, null, 2000000000]")), Contains("more than the limit"));
    CHECK_THAT(error_of(with("units", "100000")), Contains("more than the limit"));
    CHECK_THAT(error_of(with("stateful", "true").replace(keras_default.find("[null, 5, 3]"), 12, "[2000000000, 5, 3]")),
               Contains("state values exceed the limit"));
}

TEST_CASE("every truncation of a config is a clean JSON error", "[io][config][json]") {
    for (std::size_t n = 0; n < keras_full.size(); ++n) {
        INFO(n);
        CHECK_THROWS_AS(io::parse_layer_config(keras_full.substr(0, n), "cut.json"), io::FormatError);
    }
    CHECK_THAT(error_of(keras_default.substr(0, 30), "t.json"),
               StartsWith("t.json: malformed JSON at byte 30: unterminated string"));
    CHECK_THAT(error_of(keras_default.substr(0, 40), "t.json"),
               StartsWith("t.json: malformed JSON at byte 40: unexpected end of input inside an object"));
}

TEST_CASE("the config reader accepts exactly the API's names (one table per kind)", "[io][config]") {
    // Every name of initializers.hpp / regularizers.hpp / constraints.hpp / the activation registry reads, as a
    // string and as a {"class_name", "config": {}} object, into what the API's from_name builds.
    for (const elman::InitializerName& n : elman::initializer_names) {
        INFO(n.name);
        const std::string cls = n.make(std::nullopt).class_name();
        CHECK(io::parse_layer_config(with("kernel_initializer", "\"" + std::string(n.name) + "\""), "cfg.json")
                  .options.kernel_initializer.class_name() == cls);
        CHECK(io::parse_layer_config(
                  with("kernel_initializer", R"({"class_name": ")" + std::string(n.name) + R"(", "config": {}})"),
                  "cfg.json")
                  .options.kernel_initializer.class_name() == cls);
    }
    for (const elman::RegularizerName& n : elman::regularizer_names) {
        INFO(n.name);
        const elman::Regularizer expected = n.make();
        for (const std::string& form :
             {"\"" + std::string(n.name) + "\"", R"({"class_name": ")" + std::string(n.name) + R"(", "config": {}})"}) {
            const io::LayerConfig lc = io::parse_layer_config(with("kernel_regularizer", form), "cfg.json");
            REQUIRE(lc.options.kernel_regularizer);
            CHECK(std::string(lc.options.kernel_regularizer->class_name()) == expected.class_name());
            CHECK(lc.options.kernel_regularizer->l1() == expected.l1());
            CHECK(lc.options.kernel_regularizer->l2() == expected.l2());
        }
    }
    for (const elman::ConstraintName& n : elman::constraint_names) {
        INFO(n.name);
        const elman::Constraint expected = n.make();
        for (const std::string& form :
             {"\"" + std::string(n.name) + "\"", R"({"class_name": ")" + std::string(n.name) + R"(", "config": {}})"}) {
            const io::LayerConfig lc = io::parse_layer_config(with("kernel_constraint", form), "cfg.json");
            REQUIRE(lc.options.kernel_constraint);
            CHECK(lc.options.kernel_constraint->kind() == expected.kind());
            CHECK(lc.options.kernel_constraint->max_value() == expected.max_value());
        }
    }
    for (const char* name : {"tanh", "linear", "relu", "sigmoid", "hard_sigmoid", "elu", "selu", "softplus", "softsign",
                             "swish", "gelu", "exponential", "softmax"}) {
        INFO(name);
        CHECK(io::parse_layer_config(with("activation", "\"" + std::string(name) + "\""), "cfg.json").activation ==
              name);
    }
    CHECK(io::parse_layer_config(with("activation", R"("None")"), "cfg.json").activation == "linear");
}

TEST_CASE("aliases in the object form mean what Keras' deserialize makes of them", "[io][config]") {
    // Keras resolves {"class_name": "l1_l2", "config": {...}} to the function l1_l2(l1=0.01, l2=0.01): a missing
    // factor keeps that function's default, unlike the class L1L2 (0.0).
    CHECK(serialized_as("kernel_regularizer", R"({"class_name": "l1_l2", "config": {"l1": 0.5}})") ==
          R"({"class_name": "L1L2", "config": {"l1": 0.5, "l2": 0.009999999776482582}})");
    CHECK(serialized_as("kernel_regularizer", R"({"class_name": "L1L2", "config": {"l1": 0.5}})") ==
          R"({"class_name": "L1L2", "config": {"l1": 0.5, "l2": 0.0}})");
    // Keras' compatibility aliases (zero, one, uniform, normal) are class names in the object form too.
    CHECK(serialized_as("kernel_initializer", R"({"class_name": "uniform", "config": {"minval": -1.0}})") ==
          R"({"class_name": "RandomUniform", "config": {"minval": -1.0, "maxval": 0.05, "seed": null}})");
    CHECK(serialized_as("kernel_initializer", R"({"class_name": "normal", "config": {"seed": 3}})") ==
          R"({"class_name": "RandomNormal", "config": {"mean": 0.0, "stddev": 0.05, "seed": 3}})");
    CHECK(serialized_as("kernel_constraint", R"({"class_name": "maxnorm", "config": {"max_value": 3}})") ==
          R"({"class_name": "MaxNorm", "config": {"max_value": 3, "axis": 0}})");
}
