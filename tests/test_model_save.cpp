// Saving whole models (io/save_model.hpp): every fixture model (the tfjs ones and every generated Keras file)
// saved to .h5 and .keras and read back gives bit-identical outputs; a saved file has the HDF5 tree of the
// generator's file of the same Keras generation (tools/model_fixtures/make_keras_files.py, which writes the
// layouts of the real files); what a Keras version cannot express is refused by name. Needs HDF5.
#include "model_cases.hpp"
#include "support.hpp"
#include "temp_dir.hpp"

#if defined(ELMAN_TEST_WITH_HDF5)
#include "keras_file_cases.hpp"

#include <elman/io/load_model.hpp>
#include <elman/io/save_model.hpp>

#include <hdf5.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace model_save_test {

using elman::Tensor;
using nlohmann::json;

using elman_test::keras_case_json;
using elman_test::keras_dir;
using elman_test::load_keras_entry;
using elman_test::read_json;

/// Every call's inputs of a case (tfjs case.json, or a generated case's expected.json).
template <class Scalar>
std::vector<std::vector<Tensor<Scalar>>> case_inputs(const json& c) {
    std::vector<std::vector<Tensor<Scalar>>> calls;
    for (const json& call : c.at("calls")) {
        calls.emplace_back();
        for (const json& in : call.at("inputs")) calls.back().push_back(elman_test::tensor_from_json<Scalar>(in));
    }
    return calls;
}

/// The outputs of every call in order (with the case's resets), flattened.
template <class Scalar>
std::vector<Tensor<Scalar>> run(elman::Model<Scalar>& model, const json& c) {
    std::vector<Tensor<Scalar>> all;
    const auto inputs = case_inputs<Scalar>(c);
    for (std::size_t k = 0; k < inputs.size(); ++k) {
        if (c.at("calls")[k].at("reset_before").get<bool>()) model.reset_states();
        std::vector<elman::ModelInput> views(inputs[k].begin(), inputs[k].end());
        for (Tensor<Scalar>& t : model.predict(views)) all.push_back(std::move(t));
    }
    return all;
}

template <class Scalar>
bool identical(const std::vector<Tensor<Scalar>>& a, const std::vector<Tensor<Scalar>>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].shape() != b[i].shape()) return false;
        for (elman::Index k = 0; k < a[i].size(); ++k)
            if (!(a[i].data()[k] == b[i].data()[k]) && !(a[i].data()[k] != a[i].data()[k])) return false;
    }
    return true;
}

// ---- an HDF5 file as text: one line per object and attribute, sorted by path ----

std::string attribute_text(hid_t obj, const char* name) {
    const hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    const hid_t type = H5Aget_type(a);
    const hid_t space = H5Aget_space(a);
    const hssize_t n = H5Sget_simple_extent_npoints(space);
    std::string out;
    if (H5Tget_class(type) == H5T_STRING) {
        // Decoded values, whether stored fixed- or variable-length (h5py and elman differ there).
        std::vector<std::string> values = elman::io::detail::h5_read_strings(obj, name, "tree");
        for (const std::string& v : values) {
            std::string shown = v;
            if (std::string(name) == "model_config") shown = json::parse(v).dump();
            out += "\"" + shown + "\" ";
        }
    } else {
        out = "class " + std::to_string(H5Tget_class(type)) + " x" + std::to_string(n);
    }
    H5Sclose(space);
    H5Tclose(type);
    H5Aclose(a);
    return out;
}

struct Tree {
    std::map<std::string, std::string> lines;
    std::vector<std::string> skip_prefixes;
};

herr_t visit_attr(hid_t obj, const char* name, const H5A_info_t*, void* data) {
    auto* p = static_cast<std::pair<Tree*, std::string>*>(data);
    p->first->lines[p->second + "@" + name] = attribute_text(obj, name);
    return 0;
}

// libhdf5 1.12 renamed the recursive visit (H5Ovisit3, H5O_info2_t); Debian 12 has 1.10 (H5Ovisit2).
#if H5_VERSION_GE(1, 12, 0)
using ObjectInfo = H5O_info2_t;
#define ELMAN_TEST_H5OVISIT H5Ovisit3
#else
using ObjectInfo = H5O_info_t;
#define ELMAN_TEST_H5OVISIT H5Ovisit2
#endif

herr_t visit_object(hid_t root, const char* name, const ObjectInfo* info, void* data) {
    Tree& tree = *static_cast<Tree*>(data);
    const std::string path = name;
    for (const std::string& s : tree.skip_prefixes)
        if (path.compare(0, s.size(), s) == 0) return 0;
    const hid_t obj = H5Oopen(root, name, H5P_DEFAULT);
    std::string text = info->type == H5O_TYPE_GROUP ? "group" : "dataset";
    if (info->type == H5O_TYPE_DATASET) {
        const hid_t type = H5Dget_type(obj);
        const hid_t space = H5Dget_space(obj);
        hsize_t dims[8] = {0};
        const int rank = H5Sget_simple_extent_dims(space, dims, nullptr);
        text += " f" + std::to_string(8 * H5Tget_size(type)) + " [";
        for (int i = 0; i < rank; ++i) text += (i ? "," : "") + std::to_string(dims[i]);
        text += "]";
        const hssize_t n = H5Sget_simple_extent_npoints(space);
        std::vector<double> values(static_cast<std::size_t>(n));
        if (n > 0) H5Dread(obj, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
        std::ostringstream v;
        v.precision(9);
        for (const double x : values) v << ' ' << x;
        text += v.str();
        H5Sclose(space);
        H5Tclose(type);
    }
    tree.lines[path] = text;
    std::pair<Tree*, std::string> here{&tree, path};
    H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, nullptr, visit_attr, &here);
    H5Oclose(obj);
    return 0;
}

Tree tree_of(hid_t file, std::vector<std::string> skip = {}) {
    Tree t;
    t.skip_prefixes = std::move(skip);
    ELMAN_TEST_H5OVISIT(file, H5_INDEX_NAME, H5_ITER_INC, visit_object, &t, H5O_INFO_BASIC);
    return t;
}

Tree h5_tree(const std::string& path, std::vector<std::string> skip = {}) {
    elman::io::detail::H5Reader r(path);
    return tree_of(r.file(), std::move(skip));
}

/// A .keras archive's members.
std::map<std::string, std::string> members(const std::string& path) {
    std::map<std::string, std::string> out;
    for (auto& e : elman::io::detail::read_zip(elman::io::read_file(path), path, {})) out[e.name] = e.data;
    return out;
}

Tree weights_tree(const std::string& keras_path) {
    elman::io::detail::H5Reader r(members(keras_path).at("model.weights.h5"), keras_path + " [model.weights.h5]");
    return tree_of(r.file(), {"optimizer"});
}

void check_same_tree(const Tree& expected, const Tree& got) {
    for (const auto& [path, text] : expected.lines) {
        INFO("path " << path);
        REQUIRE(got.lines.count(path) == 1);
        CHECK(got.lines.at(path) == text);
    }
    for (const auto& entry : got.lines) {
        INFO("path " << entry.first);
        CHECK(expected.lines.count(entry.first) == 1);
    }
}

/// What no Keras 3 file can hold of a model read with TF 2.x semantics: TF 2.x's hard_sigmoid, a merge layer
/// whose masks Keras 3 combines differently. The message the save gives, or "" when it can be saved.
template <class Scalar>
std::string keras3_refusal(const elman::Model<Scalar>& model) {
    if (model.origin().keras3_semantics) return "";
    if (elman::io::json::dump(model.config()).find("\"hard_sigmoid\"") != std::string::npos)
        return "TF 2.x's hard_sigmoid";
    if (!model.keras3_difference().empty()) return "Keras 3 merges masks (and masked values) differently";
    return "";
}

template <class Scalar>
void check_round_trips(elman::Model<Scalar>& model, const json& c, const elman_test::TempDir& dir) {
    const std::vector<Tensor<Scalar>> before = run(model, c);
    for (const char* name : {"saved.h5", "saved.keras"}) {
        INFO("saved as " << name);
        if (std::string(name) == "saved.keras" && !keras3_refusal(model).empty()) {
            CHECK_THROWS_WITH(elman::io::save_model(model, dir.file(name)),
                              Catch::Matchers::Contains(keras3_refusal(model)));
            continue;
        }
        elman::io::save_model(model, dir.file(name));
        elman::Model<Scalar> back = elman::io::load_model<Scalar>(dir.file(name));
        CHECK(back.summary() == model.summary());
        CHECK(identical(run(back, c), before));
        // A .keras file is a Keras 3 one; a .h5 is of the model's own Keras generation.
        const bool keras3_file = std::string(name) == "saved.keras";
        CHECK(back.origin().keras3_semantics == (keras3_file || model.origin().keras3_semantics));
    }
}

std::string save_error(const elman::Model<float>& model, const std::string& path) {
    try {
        elman::io::save_model(model, path);
    } catch (const elman::io::FormatError& e) {
        return e.what();
    }
    return "no error";
}

TEST_CASE("model save: every tfjs fixture model saved as .h5 and .keras reads back with identical outputs") {
    elman_test::TempDir dir("elman_save");
    for (const std::string& name : elman_test::model_case_names()) {
        INFO("case " << name);
        const json c = elman_test::model_case_json(name);
        elman::Model<float> m = elman::io::load_model<float>(elman_test::model_dir + name + "/model.json");
        check_round_trips(m, c, dir);
    }
    elman::Model<double> d = elman::io::load_model<double>(elman_test::model_dir + "bidi_concat/model.json");
    check_round_trips(d, elman_test::model_case_json("bidi_concat"), dir);
}

TEST_CASE("model save: every generated Keras file saved again reads back with identical outputs") {
    elman_test::TempDir dir("elman_save");
    const json entries = read_json(keras_dir + "cases.json");
    REQUIRE(entries.size() >= 43);
    for (const json& entry : entries) {
        INFO("file " << entry.at("file").get<std::string>());
        elman::Model<float> m = load_keras_entry<float>(entry);
        check_round_trips(m, keras_case_json(entry.at("case").get<std::string>()), dir);
    }
}

TEST_CASE("model save: a saved .h5 has the HDF5 tree of the generator's file of its Keras generation") {
    elman_test::TempDir dir("elman_save");
    int compared = 0;
    for (const std::string& name : elman_test::model_case_names()) {
        for (const char* era : {".tf2.h5", ".k3.h5"}) {
            const std::string fixture = keras_dir + name + era;
            if (!std::filesystem::exists(fixture)) continue;
            INFO("fixture " << fixture);
            elman::Model<float> m = elman::io::load_model<float>(fixture);
            elman::io::save_keras_h5_model(m, dir.file("saved.h5"));
            check_same_tree(h5_tree(fixture), h5_tree(dir.file("saved.h5")));
            ++compared;
        }
    }
    CHECK(compared >= 16);
}

TEST_CASE("model save: a .keras saved from any generation has the generator's weights layout and Keras 3 config") {
    elman_test::TempDir dir("elman_save");
    int compared = 0;
    for (const std::string& name : elman_test::model_case_names()) {
        const std::string fixture = keras_dir + name + ".keras";
        if (!std::filesystem::exists(fixture)) continue;
        const json generated = json::parse(members(fixture).at("config.json"));
        for (const std::string& source : {fixture, keras_dir + name + ".tf2.h5", keras_dir + name + ".k1.h5",
                                          elman_test::model_dir + name + "/model.json"}) {
            if (!std::filesystem::exists(source)) continue;
            INFO("from " << source);
            elman::Model<float> m = elman::io::load_model<float>(source);
            elman::io::save_keras_zip_model(m, dir.file("saved.keras"));
            Tree expected_tree = weights_tree(fixture);
            if (source.find(".k1.") != std::string::npos)
                expected_tree.lines.erase("vars@name");  // Keras 1 models are unnamed
            Tree got = weights_tree(dir.file("saved.keras"));
            if (source.find(".k1.") != std::string::npos) got.lines.erase("vars@name");
            check_same_tree(expected_tree, got);
            const auto saved_members = members(dir.file("saved.keras"));
            CHECK(saved_members.size() == 3);
            const json meta = json::parse(saved_members.at("metadata.json"));
            CHECK(meta.at("keras_version").get<std::string>().substr(0, 2) == "3.");
            const json config = json::parse(saved_members.at("config.json"));
            if (source == fixture) CHECK(config == generated);     // a Keras 3 config is written back as read
            CHECK(config.at("module") == generated.at("module"));  // keras / keras.src.models.functional
            CHECK(config.at("registered_name") == generated.at("registered_name"));
            CHECK(config.at("class_name") == generated.at("class_name"));
            const json& layers = config.at("config").at("layers");
            const json& want = generated.at("config").at("layers");
            REQUIRE(layers.size() == want.size());
            for (std::size_t i = 0; i < layers.size(); ++i) {
                CHECK(layers[i].at("class_name") == want[i].at("class_name"));
                CHECK(layers[i].at("module") == "keras.layers");
                CHECK(!layers[i].at("config").contains("time_major"));
                CHECK(!layers[i].at("config").contains("batch_input_shape"));
                if (layers[i].at("class_name") == "InputLayer")
                    CHECK(layers[i].at("config").at("batch_shape") == want[i].at("config").at("batch_shape"));
                else
                    CHECK(layers[i].at("config").at("dtype").at("class_name") == "DTypePolicy");
                if (config.at("class_name") == "Functional") {
                    CHECK(layers[i].at("name") == want[i].at("name"));
                    CHECK(layers[i].at("inbound_nodes").size() == want[i].at("inbound_nodes").size());
                }
            }
            ++compared;
        }
    }
    CHECK(compared >= 30);
}

TEST_CASE("model save: semantics survive the round trip, and what a Keras version cannot say is refused") {
    using Catch::Matchers::Contains;
    elman_test::TempDir dir("elman_save");
    const json c = read_json(keras_dir + "k3_hard_sigmoid.expected.json");
    // Keras 3's hard_sigmoid: a Keras 3 legacy .h5 and a .keras keep Keras 3's meaning.
    elman::Model<float> k3 = elman::io::load_model<float>(keras_dir + "k3_hard_sigmoid.keras");
    check_round_trips(k3, c, dir);
    elman::io::save_keras_h5_model(k3, dir.file("k3.h5"));
    {
        elman::io::detail::H5Reader r(dir.file("k3.h5"));
        const json meta = json::parse(members(keras_dir + "k3_hard_sigmoid.keras").at("metadata.json"));
        CHECK(elman::io::detail::h5_read_strings(r.file(), "keras_version", "t").at(0) == meta.at("keras_version"));
        const std::string config = elman::io::detail::h5_read_strings(r.file(), "model_config", "t").at(0);
        CHECK_THAT(config, Contains("\"hard_sigmoid\"") && !Contains("hard_sigmoid_keras3"));
    }
    // The same file read with TF 2.x semantics has TF 2.x's hard_sigmoid, which no Keras 3 file can hold.
    elman::io::LoadOptions tf2;
    tf2.semantics = elman::io::KerasSemantics::tf2;
    elman::Model<float> forced = elman::io::load_model<float>(keras_dir + "k3_hard_sigmoid.keras", tf2);
    for (const char* name : {"refused.keras", "refused.h5"}) {
        INFO(name);
        CHECK_THAT(save_error(forced, dir.file(name)),
                   Contains(name) && Contains("TF 2.x's hard_sigmoid") && Contains("has no Keras 3 name"));
        CHECK(!std::filesystem::exists(dir.file(name)));  // nothing written
    }
    // A tf.keras model read with Keras 3 semantics is saved as a Keras 3 file.
    elman::io::LoadOptions k3_semantics;
    k3_semantics.semantics = elman::io::KerasSemantics::keras3;
    elman::Model<float> up = elman::io::load_model<float>(keras_dir + "seq_rnn_dense.tf2.h5", k3_semantics);
    elman::io::save_keras_h5_model(up, dir.file("up.h5"));
    CHECK(elman::io::load_model<float>(dir.file("up.h5")).origin().keras3_semantics);
    CHECK(elman::io::load_model<float>(dir.file("up.h5")).origin().keras_version == "3.0.0");
    // A tf.keras file keeps its version; a Keras 1 file becomes a tf.keras 2.4 one.
    elman::io::save_model(elman::io::load_model<float>(keras_dir + "seq_rnn_dense.tf2.h5"), dir.file("tf2.h5"));
    CHECK(elman::io::load_model<float>(dir.file("tf2.h5")).origin().keras_version == "2.12.0");
    elman::io::save_model(elman::io::load_model<float>(keras_dir + "seq_rnn_dense.k1.h5"), dir.file("k1.h5"));
    CHECK(elman::io::load_model<float>(dir.file("k1.h5")).origin().keras_version == "2.4.0");

    CHECK_THROWS_WITH(elman::io::save_model(k3, dir.file("model.json")),
                      Contains("model.json") && Contains(".keras for Keras 3"));
    CHECK_THAT(save_error(k3, dir.file("no/such/dir/m.keras")), Contains("no/such/dir/m.keras"));
}

TEST_CASE("model save: what Keras' constructors refuse is rewritten, and each Keras gets its string types") {
    elman_test::TempDir dir("elman_save");
    // seq_reshape_family (tfjs): Reshape [3, null], SpatialDropout1D with tf.keras' extra keys.
    elman::Model<float> m = elman::io::load_model<float>(elman_test::model_dir + "seq_reshape_family/model.json");
    elman::io::save_model(m, dir.file("r.keras"));
    elman::io::save_model(m, dir.file("r.h5"));
    const json k3 = json::parse(members(dir.file("r.keras")).at("config.json"));
    elman::io::detail::H5Reader r(dir.file("r.h5"));
    const json k2 = json::parse(elman::io::detail::h5_read_strings(r.file(), "model_config", "t").at(0));
    for (const json* config : {&k3, &k2}) {
        int seen = 0;
        for (const json& l : config->at("config").at("layers")) {
            if (l.at("class_name") == "Reshape") {
                CHECK(l.at("config").at("target_shape") == json::array({3, -1}));  // tfjs' null is Keras' -1
                ++seen;
            }
            if (config == &k3 && l.at("class_name") == "SpatialDropout1D") {
                for (const auto& item : l.at("config").items())
                    CHECK((item.key() == "rate" || item.key() == "seed" || item.key() == "name" ||
                           item.key() == "dtype"));
                ++seen;
            }
        }
        CHECK(seen == (config == &k3 ? 2 : 1));
    }
    // tf.keras 2.4 decodes byte strings; Keras 3 writes str (variable-length UTF-8).
    auto variable_length = [](hid_t obj, const char* name) {
        const hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
        const hid_t t = H5Aget_type(a);
        const bool v = H5Tis_variable_str(t) > 0;
        H5Tclose(t);
        H5Aclose(a);
        return v;
    };
    CHECK(!variable_length(r.file(), "model_config"));
    elman::io::save_keras_h5_model(elman::io::load_model<float>(keras_dir + "seq_rnn_dense.k3.h5"), dir.file("k3.h5"));
    elman::io::detail::H5Reader r3(dir.file("k3.h5"));
    CHECK(variable_length(r3.file(), "model_config"));
    // A converted Functional model keeps Keras 2's list-form inbound nodes (Keras 3 reads them; its dict form
    // needs tensor shapes a config does not carry), under Keras 3's Functional class path.
    elman::io::save_model(elman::io::load_model<float>(keras_dir + "func_multi_io.tf2.h5"), dir.file("f.keras"));
    const json f = json::parse(members(dir.file("f.keras")).at("config.json"));
    CHECK(f.at("module") == "keras.src.models.functional");
    CHECK(f.at("registered_name") == "Functional");
    for (const json& l : f.at("config").at("layers"))
        for (const json& node : l.at("inbound_nodes")) CHECK(node.is_array());
}

TEST_CASE("model save: Keras 3 merge-layer masks, Keras 1 input_dtype, tfjs names and custom backward layers") {
    using Catch::Matchers::Contains;
    // func_shared_merge: Concatenate(-1) and the element-wise merges of masked sequences. Keras 3 ORs the masks
    // (TF 2.x ANDs them): refused under Keras 3 semantics rather than given TF 2.x's numbers.
    elman::io::LoadOptions k3;
    k3.semantics = elman::io::KerasSemantics::keras3;
    std::string error;
    try {
        elman::io::load_model<float>(elman_test::model_dir + "func_shared_merge/model.json", k3);
    } catch (const elman::io::FormatError& e) {
        error = e.what();
    }
    CHECK_THAT(error, Contains("func_shared_merge") && Contains("layer 'concatenate_Concatenate2' (Concatenate)") &&
                          Contains("Keras 3 merges masks"));
    // func_concat_time: Concatenate along time, whose masks both Kerases concatenate: loads under Keras 3.
    CHECK(elman::io::load_model<float>(elman_test::model_dir + "func_concat_time/model.json", k3).keras3_difference() ==
          "");

    // Keras 1's input_dtype is the model input's dtype: an InputLayer keeps it, a layer drops it.
    const auto translated =
        elman::io::detail::translate_model_config(elman::io::json::parse(R"({"class_name": "Sequential", "config": [
            {"class_name": "Embedding", "config": {"name": "e", "input_dim": 5, "output_dim": 2,
             "input_dtype": "int32", "batch_input_shape": [null, 3]}}]})",
                                                                         "k1"),
                                                  "1.2.2", elman::io::KerasSemantics::from_file, "k1");
    const auto& e = elman::io::detail::model_layers(translated, "k1")[0];
    CHECK(!e.find("config")->contains("dtype"));
    CHECK(!e.find("config")->contains("input_dtype"));

    // tfjs' camelCase hardSigmoid is TF 2.x's hard_sigmoid: written as hard_sigmoid for tf.keras, refused for
    // Keras 3.
    const auto config = elman::io::json::parse(
        R"({"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": {"name": "d",
            "units": 1, "activation": "hardSigmoid"}}]}})",
        "tfjs");
    CHECK(elman::io::json::dump(elman::io::detail::file_activations(config, false, false, "t"))
              .find("\"hard_sigmoid\"") != std::string::npos);
    CHECK_THROWS_WITH(elman::io::detail::file_activations(config, false, true, "t"),
                      Contains("layer 'd'") && Contains("TF 2.x's hard_sigmoid"));

    // Keras 3 keeps a custom backward layer's name; it renames only the forward copy and a generated backward one.
    const auto bidi = elman::io::json::parse(
        R"({"layer": {"class_name": "SimpleRNN", "config": {"name": "rnn"}},
            "backward_layer": {"class_name": "SimpleRNN", "config": {"name": "mine"}}})",
        "b");
    CHECK(elman::io::detail::bidirectional_part_name(bidi, true) == "forward_rnn");
    CHECK(elman::io::detail::bidirectional_part_name(bidi, false) == "mine");
    const auto plain =
        elman::io::json::parse(R"({"layer": {"class_name": "SimpleRNN", "config": {"name": "rnn"}}})", "b");
    CHECK(elman::io::detail::bidirectional_part_name(plain, false) == "backward_rnn");
}

/// A Sequential model of `n` Dense(1) layers with long names (layer_names beyond one HDF5 attribute), or one
/// SimpleRNN with time_major=True.
elman::Model<float> in_memory(const std::string& text, const std::map<std::string, std::vector<Tensor<float>>>& w) {
    elman::model::InMemoryWeights<float> weights;
    for (const auto& [name, tensors] : w) weights.set(name, tensors);
    return elman::Model<float>::from_config(elman::io::json::parse(text, "config"), weights, "config");
}

Tensor<float> filled(elman::Shape s, float v) {
    Tensor<float> t(s);
    for (elman::Index i = 0; i < t.size(); ++i) t.data()[i] = v;
    return t;
}

TEST_CASE("model save: layer_names larger than one HDF5 attribute are chunked as Keras does") {
    elman_test::TempDir dir("elman_save");
    std::string layers;
    std::map<std::string, std::vector<Tensor<float>>> w;
    const int n = 3000;  // 3000 byte strings of 32 bytes (a tf.keras file): 96 kB, two attribute chunks
    for (int i = 0; i < n; ++i) {
        std::string name = "dense_layer_with_a_long_name_" + std::to_string(10000 + i).substr(1);
        layers += std::string(i ? "," : "") + R"({"class_name": "Dense", "config": {"name": ")" + name +
                  R"(", "units": 1, "activation": "linear")" + (i ? "" : R"(, "batch_input_shape": [null, 1])") + "}}";
        w[name] = {filled(elman::Shape{1, 1}, 1.0f), filled(elman::Shape{1}, 0.5f)};
    }
    elman::Model<float> m =
        in_memory(R"({"class_name": "Sequential", "config": {"name": "deep", "layers": [)" + layers + "]}}", w);
    elman::io::save_keras_h5_model(m, dir.file("deep.h5"));
    {
        elman::io::detail::H5Reader r(dir.file("deep.h5"));
        const hid_t g = H5Gopen2(r.file(), "model_weights", H5P_DEFAULT);
        CHECK(H5Aexists(g, "layer_names0") > 0);
        CHECK(H5Aexists(g, "layer_names1") > 0);
        CHECK(H5Aexists(g, "layer_names") == 0);
        H5Gclose(g);
    }
    elman::Model<float> back = elman::io::load_model<float>(dir.file("deep.h5"));
    CHECK(back.layer_names() == m.layer_names());
    Tensor<float> x = filled(elman::Shape{2, 1}, 1.0f);
    CHECK(back.predict({x})[0].data()[0] == static_cast<float>(1.0 + 0.5 * n));
}

TEST_CASE("model save: time_major=True has no Keras 3 form") {
    using Catch::Matchers::Contains;
    elman_test::TempDir dir("elman_save");
    elman::Model<float> m = in_memory(
        R"({"class_name": "Sequential", "config": {"name": "tm", "layers": [{"class_name": "SimpleRNN", "config":
            {"name": "rnn", "units": 2, "time_major": true, "batch_input_shape": [null, 3, 1]}}]}})",
        {{"rnn", {filled(elman::Shape{1, 2}, 0.5f), filled(elman::Shape{2, 2}, 0.0f), filled(elman::Shape{2}, 0.0f)}}});
    CHECK_THAT(save_error(m, dir.file("tm.keras")), Contains("layer 'rnn'") && Contains("time_major=True"));
    elman::io::save_keras_h5_model(m, dir.file("tm.h5"));  // tf.keras 2.x has it
    Tensor<float> x = filled(elman::Shape{4, 3, 1}, 1.0f);
    CHECK(identical(elman::io::load_model<float>(dir.file("tm.h5")).predict({x}), m.predict({x})));
}

}  // namespace model_save_test

#endif
