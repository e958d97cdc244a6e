// elman-predict (cli/elman_predict.cpp) run as a program: outputs against the tfjs fixtures' expected values
// (tests/data/model/, the same data test_model.cpp checks in process), --double, --all-outputs, integer inputs,
// --summary, and the exit status and one-line message of every kind of failure.
#include "model_cases.hpp"
#include "support.hpp"
#include "temp_dir.hpp"

#if defined(ELMAN_PREDICT_EXE)

#include <elman/io/file.hpp>
#include <elman/io/npy.hpp>
#include <elman/io/tfjs_model.hpp>

#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using elman::Tensor;
using elman_test::model_dir;
using nlohmann::json;

struct Run {
    int status = -1;
    std::string out, err;
};

/// Runs elman-predict with `args` (each quoted), capturing stdout and stderr.
Run predict_cli(const elman_test::TempDir& dir, const std::vector<std::string>& args) {
    std::string command = "'" + std::string(ELMAN_PREDICT_EXE) + "'";
    for (const std::string& a : args) command += " '" + a + "'";
    command += " >'" + dir.file("stdout.txt") + "' 2>'" + dir.file("stderr.txt") + "'";
    const int raw = std::system(command.c_str());
    Run r;
    REQUIRE(raw != -1);
    REQUIRE(WIFEXITED(raw));
    r.status = WEXITSTATUS(raw);
    r.out = elman::io::read_file(dir.file("stdout.txt"));
    r.err = elman::io::read_file(dir.file("stderr.txt"));
    return r;
}

/// Writes the inputs of the case's first call as .npy files (float32; int32 where the fixture has ids) and
/// returns their paths.
std::vector<std::string> write_inputs(const elman_test::TempDir& dir, const json& call) {
    std::vector<std::string> paths;
    for (const json& in : call.at("inputs")) {
        const std::string path = dir.file("input_" + std::to_string(paths.size()) + ".npy");
        if (in.at("dtype") == "int32") {
            elman::io::save_npy(path, elman_test::tensor_from_json<std::int32_t>(in));
        } else {
            elman::io::save_npy(path, elman_test::tensor_from_json<float>(in));
        }
        paths.push_back(path);
    }
    return paths;
}

template <class Scalar>
void check_output(const std::string& path, const json& expected) {
    INFO("output file " << path);
    const std::string bytes = elman::io::read_file(path);
    CHECK(elman::io::npy_dtype(bytes, path).bytes == static_cast<int>(sizeof(Scalar)));
    const Tensor<Scalar> got = elman::io::read_npy_array<Scalar>(bytes, path);
    const Tensor<double> want = elman_test::tensor_from_json<double>(expected);
    REQUIRE(got.shape() == want.shape());
    CHECK(elman_test::max_relative_error(got, want) <= 2e-5);
}

}  // namespace

TEST_CASE("elman-predict: a tfjs model's first output, in float32 and with --double in float64", "[cli]") {
    elman_test::TempDir dir("elman_cli");
    for (const char* name : {"seq_rnn_dense", "seq_embedding", "bidi_concat"}) {
        INFO("case " << name);
        const json call = elman_test::model_case_json(name).at("calls").at(0);
        std::vector<std::string> args = {model_dir + name + "/model.json", dir.file("out.npy")};
        for (const std::string& p : write_inputs(dir, call)) args.push_back(p);
        Run r = predict_cli(dir, args);
        INFO("stderr: " << r.err);
        REQUIRE(r.status == 0);
        CHECK(r.err.empty());
        check_output<float>(dir.file("out.npy"), call.at("outputs").at(0));

        args.insert(args.begin(), "--double");
        r = predict_cli(dir, args);
        REQUIRE(r.status == 0);
        check_output<double>(dir.file("out.npy"), call.at("outputs").at(0));
    }
}

TEST_CASE("elman-predict: a weights-only Keras .h5 runs with --config and, without it, says to pass --config",
          "[cli]") {
    elman_test::TempDir dir("elman_cli");
    const json call = elman_test::model_case_json("bidi_concat").at("calls").at(0);
    const std::string weights = model_dir + "keras/bidi_concat.k21.h5";
    std::vector<std::string> args = {"--config", model_dir + "keras/bidi_concat.k21.json", weights,
                                     dir.file("out.npy")};
    for (const std::string& p : write_inputs(dir, call)) args.push_back(p);
    Run r = predict_cli(dir, args);
    INFO("stderr: " << r.err);
    REQUIRE(r.status == 0);
    check_output<float>(dir.file("out.npy"), call.at("outputs").at(0));

    args.erase(args.begin(), args.begin() + 2);
    r = predict_cli(dir, args);
    CHECK(r.status == 1);
    CHECK_THAT(r.err, Catch::StartsWith("elman-predict: " + weights + ": a weights-only .h5") &&
                          Catch::Contains("with --config CONFIG.json"));
}

TEST_CASE("elman-predict: --all-outputs writes every output of a two-input, two-output model", "[cli]") {
    elman_test::TempDir dir("elman_cli");
    const json call = elman_test::model_case_json("func_multi_io").at("calls").at(0);
    std::vector<std::string> args = {"--all-outputs", dir.path.string(), model_dir + "func_multi_io/model.json",
                                     dir.file("first.npy")};
    for (const std::string& p : write_inputs(dir, call)) args.push_back(p);
    const Run r = predict_cli(dir, args);
    INFO("stderr: " << r.err);
    REQUIRE(r.status == 0);
    REQUIRE(call.at("outputs").size() == 2);
    check_output<float>(dir.file("first.npy"), call.at("outputs").at(0));
    check_output<float>(dir.file("output_0.npy"), call.at("outputs").at(0));
    check_output<float>(dir.file("output_1.npy"), call.at("outputs").at(1));
}

TEST_CASE("elman-predict: --summary prints the model's summary", "[cli]") {
    elman_test::TempDir dir("elman_cli");
    const std::string model = model_dir + "func_multi_io/model.json";
    const Run r = predict_cli(dir, {"--summary", model});
    REQUIRE(r.status == 0);
    CHECK(r.out == elman::io::load_tfjs_model<float>(model).summary());
}

TEST_CASE("elman-predict: usage errors exit with 2, load and input errors with 1 and one line naming the file",
          "[cli]") {
    elman_test::TempDir dir("elman_cli");
    const std::string model = model_dir + "seq_rnn_dense/model.json";
    const json call = elman_test::model_case_json("seq_rnn_dense").at("calls").at(0);
    const std::vector<std::string> inputs = write_inputs(dir, call);

    for (const std::vector<std::string>& args :
         std::vector<std::vector<std::string>>{{},
                                               {model},
                                               {model, dir.file("o.npy")},
                                               {"--frobnicate", model, dir.file("o.npy"), inputs[0]},
                                               {"--config"},
                                               {"--summary"},
                                               {"--summary", model, inputs[0]}}) {
        const Run r = predict_cli(dir, args);
        INFO("args: " << args.size() << " stderr: " << r.err);
        CHECK(r.status == 2);
        CHECK_THAT(r.err, Catch::StartsWith("elman-predict: ") && Catch::Contains("usage: elman-predict"));
    }
    {
        const Run r = predict_cli(dir, {"--help"});
        CHECK(r.status == 0);
        CHECK_THAT(r.out, Catch::StartsWith("usage: elman-predict [--double] [--config CONFIG.json]"));
    }

    auto one_line_error = [&](const std::vector<std::string>& args, const std::string& file,
                              const std::string& problem) {
        const Run r = predict_cli(dir, args);
        INFO("stderr: " << r.err);
        CHECK(r.status == 1);
        CHECK_THAT(r.err, Catch::StartsWith("elman-predict: " + file + ": ") && Catch::Contains(problem));
        CHECK(r.err.find('\n') == r.err.size() - 1);
    };
    const std::string missing = dir.file("missing.json");
    one_line_error({missing, dir.file("o.npy"), inputs[0]}, missing, "");
    one_line_error({model, dir.file("o.npy"), inputs[0], inputs[0]}, model, "the model takes 1 input(s)");
    one_line_error({model, dir.file("o.npy"), dir.file("absent.npy")}, dir.file("absent.npy"), "");

    // An input of the wrong shape is reported against its file.
    const std::string wrong_shape = dir.file("wrong_shape.npy");
    elman::io::save_npy(wrong_shape, Tensor<float>({2, 5, 7}));
    one_line_error({model, dir.file("o.npy"), wrong_shape}, wrong_shape, "has shape");

    // A dtype that is neither float nor int32/int64.
    const std::string bools = dir.file("bools.npy");
    std::string header = "{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }";
    header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
    header += '\n';
    std::string bytes = std::string("\x93NUMPY\x01\x00", 8);
    bytes += static_cast<char>(header.size());
    bytes += '\0';
    bytes += header + std::string("\x01\x00", 2);
    elman::io::write_file(bools, bytes);
    one_line_error({model, dir.file("o.npy"), bools}, bools, "dtype |b1; model inputs must be float32");

    // Not a model file at all.
    one_line_error({inputs[0], dir.file("o.npy"), inputs[0]}, inputs[0], "");
}

#endif  // ELMAN_PREDICT_EXE
