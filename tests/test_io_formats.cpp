// Loading the tfjs-produced SimpleRNN models through every format (tfjs model.json + shards, .npz stored and
// compressed, .npy, Keras .h5 full model and weights-only) and checking tfjs' outputs; saving and reloading
// bit for bit; and the hostile files of tests/data/io/bad, each rejected with a message naming the file.
#include "support.hpp"

#include <elman/io/layer_config.hpp>
#include <elman/io/loaded_layer.hpp>
#include <elman/io/npy.hpp>
#include <elman/io/npz.hpp>
#include <elman/io/tfjs.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdio>
#include <string>

using elman_test::load_json;
using elman_test::max_relative_error;
using elman_test::tensor_from_json;

namespace {

const std::string io_dir = std::string(ELMAN_TEST_DATA_DIR) + "/io/";

// The same tolerance as the tfjs golden cases (float32 reference).
constexpr double tolerance = 2e-5;

const nlohmann::json& expected_layer(const std::string& model, const std::string& layer) {
    for (const auto& m : load_json("io/expected.json").at("models"))
        if (m.at("name") == model)
            for (const auto& l : m.at("layers"))
                if (l.at("name") == layer) return l;
    throw std::runtime_error("no expected layer " + model + "/" + layer);
}

template <class Scalar>
void check_weights_exact(const elman::io::LoadedLayer<Scalar>& loaded, const nlohmann::json& expected) {
    REQUIRE(loaded.weights.size() == expected.at("weights").size());
    for (std::size_t i = 0; i < loaded.weights.size(); ++i) {
        const auto e = tensor_from_json<Scalar>(expected.at("weights")[i]);
        REQUIRE(loaded.weights[i].shape() == e.shape());
        CHECK(loaded.weights[i].values() == e.values());
    }
}

// Builds the layer from what was loaded (config from the file, or `fallback`) and runs tfjs' input.
template <class Scalar>
double run_error(const elman::io::LoadedLayer<Scalar>& loaded, const nlohmann::json& expected,
                 const std::optional<elman::io::LayerConfig>& fallback = std::nullopt) {
    const auto input = tensor_from_json<Scalar>(expected.at("input"));
    const auto output = tensor_from_json<double>(expected.at("output"));
    return elman::io::visit_layer(
        loaded, [&](auto& layer) { return max_relative_error(layer(input).output, output); }, fallback);
}

std::string tfjs_path(const std::string& model) { return io_dir + "tfjs/" + model + "/model.json"; }

template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const elman::io::FormatError& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEMPLATE_TEST_CASE("tfjs model.json + shards load and reproduce tfjs outputs", "[io][tfjs]", float, double) {
    struct Case {
        const char* model;
        const char* layer;
    };
    for (Case c : {Case{"tanh_sequences", "simple_rnn"}, Case{"hard_sigmoid_no_bias", "rnn_hs"},
                   Case{"stacked_sharded", "encoder"}, Case{"stacked_sharded", "decoder"}}) {
        INFO(c.model << "/" << c.layer);
        const auto loaded =
            elman::io::load_tfjs<TestType>(tfjs_path(c.model), elman::io::LayerSelector::by_name(c.layer));
        REQUIRE(loaded.config);
        CHECK(loaded.config->options.name == c.layer);
        check_weights_exact(loaded, expected_layer(c.model, c.layer));
        CHECK(run_error(loaded, expected_layer(c.model, c.layer)) <= tolerance);
    }
    // By index among SimpleRNN layers, and the default (the first one).
    CHECK(elman::io::load_tfjs<TestType>(tfjs_path("stacked_sharded"), elman::io::LayerSelector::by_index(1))
              .config->options.name == "decoder");
    CHECK(elman::io::load_tfjs<TestType>(tfjs_path("stacked_sharded")).config->options.name == "encoder");
    const auto hs = elman::io::load_tfjs<TestType>(tfjs_path("hard_sigmoid_no_bias"));
    CHECK(hs.config->activation == "hard_sigmoid");
    CHECK(hs.config->options.go_backwards);
    CHECK_FALSE(hs.config->options.use_bias);
    REQUIRE(hs.config->options.kernel_constraint);
    CHECK(hs.config->options.kernel_constraint->max_value() == 3.0);
}

TEST_CASE("tfjs loader errors name the file and the problem", "[io][tfjs]") {
    const std::string model = elman::io::read_file(tfjs_path("stacked_sharded"));
    const auto shards = [](const std::string& rel) {
        return elman::io::read_file(io_dir + "tfjs/stacked_sharded/" + rel);
    };
    CHECK_THAT(
        error_of([&] {
            elman::io::load_tfjs<float>(tfjs_path("stacked_sharded"), elman::io::LayerSelector::by_name("nope"));
        }),
        Catch::Contains("model.json") && Catch::Contains("no layer 'nope'") && Catch::Contains("'encoder', 'decoder'"));
    CHECK_THAT(error_of([&] {
                   elman::io::load_tfjs<float>(tfjs_path("stacked_sharded"), elman::io::LayerSelector::by_index(2));
               }),
               Catch::Contains("SimpleRNN layer #2"));
    // A shard shorter than the manifest says.
    const auto short_shard = [&](const std::string& rel) {
        std::string s = shards(rel);
        if (rel == "group1-shard5of5.bin") s.resize(s.size() - 4);
        return s;
    };
    CHECK_THAT(error_of([&] {
                   elman::io::read_tfjs<float>(model, "m.json", short_shard,
                                               elman::io::LayerSelector::by_name("decoder"));
               }),
               Catch::Contains("m.json") && Catch::Contains("truncated"));
    // A missing shard: the error names the shard file.
    CHECK_THAT(error_of([&] {
                   elman::io::read_tfjs<float>(model, "m.json", [](const std::string& rel) {
                       return elman::io::read_file("/nonexistent/" + rel);
                   });
               }),
               Catch::Contains("/nonexistent/group1-shard1of5.bin"));
    // Malformed JSON, unsafe paths, float64 weights, a config that disagrees with the weights.
    CHECK_THAT(error_of([&] { elman::io::read_tfjs<float>(model.substr(0, 100), "m.json", shards); }),
               Catch::Contains("m.json: malformed JSON"));
    auto edited = [&](const std::string& from, const std::string& to) {
        std::string m = model;
        const auto pos = m.find(from);
        REQUIRE(pos != std::string::npos);
        return m.replace(pos, from.size(), to);
    };
    CHECK_THAT(error_of([&] {
                   elman::io::read_tfjs<float>(edited("group1-shard1of5.bin", "../../etc/passwd"), "m.json", shards);
               }),
               Catch::Contains("unsafe"));
    CHECK_THAT(error_of([&] {
                   elman::io::read_tfjs<float>(
                       edited("\"shape\":[4,5],\"dtype\":\"float32\"", "\"shape\":[4,5],\"dtype\":\"float64\""),
                       "m.json", shards);
               }),
               Catch::Contains("dtype 'float64'"));
    CHECK_THAT(error_of([&] { elman::io::read_tfjs<float>(edited("\"units\":5", "\"units\":6"), "m.json", shards); }),
               Catch::Contains("units=6"));
    CHECK_THAT(error_of([&] { elman::io::read_tfjs<float>(edited("\"relu\"", "\"mish\""), "m.json", shards); }),
               Catch::Contains("m.json") && Catch::Contains("Unknown activation function: mish"));
    CHECK_THAT(
        error_of([&] { elman::io::read_tfjs<float>(edited("[4,5]", "[4000000000,5000000000]"), "m.json", shards); }),
        Catch::Contains("m.json"));
}

TEMPLATE_TEST_CASE(".npz (np.savez and np.savez_compressed) and .npy weights reproduce tfjs outputs", "[io][npz]",
                   float, double) {
    for (const char* stem : {"tanh_sequences__simple_rnn", "hard_sigmoid_no_bias__rnn_hs", "stacked_sharded__encoder",
                             "stacked_sharded__decoder"}) {
        const std::string s = stem;
        const std::string model = s.substr(0, s.find("__")), layer = s.substr(s.find("__") + 2);
        INFO(stem);
        // The weights carry no config: take it from the tfjs model.json of the same model.
        const auto config =
            elman::io::load_tfjs<TestType>(tfjs_path(model), elman::io::LayerSelector::by_name(layer)).config;
        const auto npz = elman::io::load_npz_weights<TestType>(io_dir + "npz/" + s + ".npz");
        CHECK_FALSE(npz.config);
        check_weights_exact(npz, expected_layer(model, layer));
        CHECK(run_error(npz, expected_layer(model, layer), config) <= tolerance);
#if defined(ELMAN_HAVE_ZLIB)
        const auto compressed = elman::io::load_npz_weights<TestType>(io_dir + "npz/" + s + "_compressed.npz");
        check_weights_exact(compressed, expected_layer(model, layer));
#else
        CHECK_THAT(error_of([&] { elman::io::load_npz_weights<TestType>(io_dir + "npz/" + s + "_compressed.npz"); }),
                   Catch::Contains("deflate-compressed"));
#endif
    }
    const auto& first = expected_layer("tanh_sequences", "simple_rnn");
    check_weights_exact(elman::io::load_npz_weights<TestType>(io_dir + "npz/named.npz"), first);
    elman::io::LoadedLayer<TestType> from_npy;
    for (const char* n : {"kernel", "recurrent_kernel", "bias"})
        from_npy.weights.push_back(elman::io::load_npy<TestType>(io_dir + "npy/" + n + ".npy"));
    check_weights_exact(from_npy, first);
    CHECK(elman::io::load_npy<TestType>(io_dir + "npy/kernel_fortran.npy").values() == from_npy.weights[0].values());
}

TEMPLATE_TEST_CASE("a C++ layer saved to .npz / .npy reloads bit for bit", "[io][npz]", float, double) {
    elman::SimpleRNNOptions o;
    o.input_dim = 3;
    o.kernel_initializer = elman::Initializer::glorot_uniform(7);
    o.recurrent_initializer = elman::Initializer::orthogonal(1.0, 8);
    o.bias_initializer = elman::Initializer::random_uniform(-1, 1, 9);
    elman::SimpleRNN<TestType, elman::Relu> layer(5, o);
    const std::string path = "elman_io_roundtrip_" + std::to_string(sizeof(TestType)) + ".npz";
    elman::io::save_npz(path, layer.get_weights());
    const auto back = elman::io::load_npz_weights<TestType>(path);
    std::remove(path.c_str());
    const auto w = layer.get_weights();
    REQUIRE(back.weights.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) {
        CHECK(back.weights[i].shape() == w[i].shape());
        CHECK(back.weights[i].values() == w[i].values());
    }
    const std::string npy = elman::io::npy_bytes<TestType>(w[0].view());
    CHECK(npy.size() % 64 == std::size_t(w[0].size()) * sizeof(TestType) % 64);
    CHECK(elman::io::read_npy<TestType>(npy, "mem").values() == w[0].values());
}

TEMPLATE_TEST_CASE("npy_bytes writes int32 and int64 arrays that read_npy_array reads back exactly", "[io][npz]",
                   std::int32_t, std::int64_t) {
    elman::Tensor<TestType> t({2, 3});
    for (std::int64_t i = 0; i < t.size(); ++i) t.data()[i] = static_cast<TestType>(i * 1000003 - 2147483);
    const std::string npy = elman::io::npy_bytes<TestType>(t.view());
    const elman::io::NpyDtype d = elman::io::npy_dtype(npy, "mem");
    CHECK(d.kind == 'i');
    CHECK(d.bytes == static_cast<int>(sizeof(TestType)));
    CHECK(d.name == (sizeof(TestType) == 4 ? "int32" : "int64"));
    CHECK(npy.find(sizeof(TestType) == 4 ? "'descr': '<i4'" : "'descr': '<i8'") != std::string::npos);
    const elman::Tensor<TestType> back = elman::io::read_npy_array<TestType>(npy, "mem");
    CHECK(back.shape() == t.shape());
    CHECK(back.values() == t.values());

    // Rank 1 is written as numpy writes it, "(5,)".
    const elman::Tensor<TestType> v({5});
    CHECK(elman::io::npy_bytes<TestType>(v.view()).find("'shape': (5,)") != std::string::npos);
}

TEST_CASE("hostile numpy files are rejected with the file name and the problem", "[io][npz]") {
    const std::string bad = io_dir + "bad/";
    struct Case {
        const char* file;
        const char* message;
    };
    for (Case c : {Case{"float64.npy", "float64"}, Case{"int32.npy", "dtype '<i4'"},
                   Case{"big_endian.npy", "big-endian"}, Case{"truncated.npy", "truncated"},
                   Case{"absurd_shape.npy", "(1073741824, 1073741824)"}, Case{"huge_rank.npy", "rank 6"}}) {
        INFO(c.file);
        CHECK_THAT(error_of([&] { elman::io::load_npy<float>(bad + c.file); }),
                   Catch::Contains(bad + c.file) && Catch::Contains(c.message));
    }
    CHECK(elman::io::load_npy<double>(bad + "float64.npy").size() == 12);  // float64 is fine for a double layer
    for (Case c : {Case{"wrong_count.npz", "found 4"}, Case{"shape_mismatch.npz", "recurrent_kernel must be (4, 4)"},
                   Case{"truncated.npz", "archive"}, Case{"corrupt_crc.npz", "CRC mismatch"}}) {
        INFO(c.file);
        CHECK_THAT(error_of([&] { elman::io::load_npz_weights<float>(bad + c.file); }),
                   Catch::Contains(bad + c.file) && Catch::Contains(c.message));
    }
    CHECK_THAT(error_of([&] { elman::io::load_npy<float>(bad + "does_not_exist.npy"); }),
               Catch::Contains("cannot open"));
    // Every prefix of a valid file fails cleanly (never a crash or an over-read).
    const std::string good = elman::io::read_file(io_dir + "npz/tanh_sequences__simple_rnn.npz");
    for (std::size_t n = 0; n < good.size(); n += 7) {
        CHECK_THROWS_AS(elman::io::read_npz_weights<float>(std::string_view(good).substr(0, n), "prefix"),
                        elman::io::FormatError);
    }
}

TEST_CASE(".npy shapes are read as Python's ast.literal_eval reads the tuple", "[io][npz]") {
    // A version-`major` .npy of zero or more float32 zeros with `shape` spelled as given.
    const auto npy = [](const std::string& shape, std::size_t count, int major = 1) {
        std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
        const std::size_t prefix = major == 1 ? 10 : 12;
        header.append((64 - (prefix + header.size() + 1) % 64) % 64, ' ');
        header += '\n';
        std::string out = "\x93NUMPY";
        out += static_cast<char>(major);
        out += '\0';
        for (std::size_t i = 0; i < prefix - 8; ++i) out += static_cast<char>((header.size() >> (8 * i)) & 0xFF);
        return out + header + std::string(count * 4, '\0');
    };
    const auto shape_of = [&](const std::string& shape, std::size_t count, int major = 1) {
        return elman::io::read_npy<float>(npy(shape, count, major), "s.npy").shape();
    };
    const auto error = [&](const std::string& shape, int major = 1) {
        return error_of([&] { elman::io::read_npy<float>(npy(shape, 0, major), "s.npy"); });
    };
    // Accepted by literal_eval (and so by numpy): all-zero runs, digit groups, spacing, trailing commas, 3L in
    // format 1.0/2.0 headers.
    CHECK(shape_of("(2, 3)", 6) == elman::Shape{2, 3});
    CHECK(shape_of("(00, 3)", 0) == elman::Shape{0, 3});
    CHECK(shape_of("(0_0,)", 0) == elman::Shape{0});
    CHECK(shape_of("(1_0,)", 10) == elman::Shape{10});
    CHECK(shape_of("( 2 ,\n3 , )", 6) == elman::Shape{2, 3});
    CHECK(shape_of("(3,)", 3) == elman::Shape{3});
    CHECK(shape_of("()", 1) == elman::Shape{});
    CHECK(shape_of("(2L, 3L)", 6) == elman::Shape{2, 3});
    CHECK(shape_of("(2L, 3L)", 6, 2) == elman::Shape{2, 3});
    // Refused: SyntaxError in Python 3, or not a tuple of ints.
    CHECK_THAT(error("(02, 3)"), Catch::Contains("s.npy: bad .npy header: shape entry with a leading zero"));
    CHECK_THAT(error("(0_1,)"), Catch::Contains("leading zero"));
    CHECK_THAT(error("(1__0,)"), Catch::Contains("'_' must sit between digits"));
    CHECK_THAT(error("(10_,)"), Catch::Contains("'_' must sit between digits"));
    CHECK_THAT(error("(_1,)"), Catch::Contains("non-negative integers"));
    CHECK_THAT(error("(3)"), Catch::Contains("'shape' (n) is not a tuple"));
    CHECK_THAT(error("(2L, 3L)", 3), Catch::Contains("expected ',' or ')'"));
    CHECK_THAT(error("(2 3,)"), Catch::Contains("expected ',' or ')'"));
    CHECK_THAT(error("(,)"), Catch::Contains("non-negative integers"));
    CHECK_THAT(error("(2,,)"), Catch::Contains("non-negative integers"));
    CHECK_THAT(error("(-1,)"), Catch::Contains("non-negative integers"));
    CHECK_THAT(error("(0x10,)"), Catch::Contains("expected ',' or ')'"));
    CHECK_THAT(error("(2.0,)"), Catch::Contains("expected ',' or ')'"));
    // Strings numpy never writes with escapes or line breaks (Python would read them differently).
    std::string escaped = npy("(1,)", 1);
    escaped.replace(escaped.find("'<f4'"), 5, "'<\\x66'");
    CHECK_THAT(error_of([&] { elman::io::read_npy<float>(escaped, "s.npy"); }),
               Catch::Contains("escape or line break in a header string"));
}
