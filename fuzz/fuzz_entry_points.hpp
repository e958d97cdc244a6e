// SPDX-License-Identifier: MIT
// The entry points the libFuzzer targets in fuzz/ drive, shared with tests/test_io_fuzz_corpus.cpp, which replays
// every committed corpus and regression input through exactly the same code in the default test suite.
//
// Contract checked by every entry point: a parser either succeeds or throws elman::io::FormatError. Any other
// exception escapes (libFuzzer reports it as a crash; the replay test fails), and so does a violated round-trip
// property (thrown as std::logic_error). Memory errors and UB are left to the sanitizers.
#pragma once

#include <elman/io/json.hpp>
#include <elman/io/layer_config.hpp>
#include <elman/io/loaded_layer.hpp>
#include <elman/io/npy.hpp>
#include <elman/io/npz.hpp>
#include <elman/io/tfjs.hpp>
#include <elman/io/detail/zip.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

namespace elman_fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return size == 0 ? std::string_view() : std::string_view(reinterpret_cast<const char*>(data), size);
}

[[noreturn]] inline void property_failed(const std::string& what) {
    throw std::logic_error("fuzz property violated: " + what);
}

/// json::parse; on success dump() must parse back to an equal value (compact and indented).
inline void json_parse(const std::uint8_t* data, std::size_t size) {
    elman::io::json::Value v;
    try {
        v = elman::io::json::parse(as_text(data, size), "<fuzz json>");
    } catch (const elman::io::FormatError&) {
        return;
    }
    for (const int indent : {-1, 2}) {
        const std::string text = elman::io::json::dump(v, indent);
        elman::io::json::Value again;
        try {
            again = elman::io::json::parse(text, "<fuzz json dump>");
        } catch (const elman::io::FormatError& e) {
            property_failed(std::string("dump() wrote JSON that parse() rejects: ") + e.what());
        }
        if (again != v) property_failed("dump() then parse() changed the value: " + text);
    }
}

/// parse_layer_config on JSON text; on success to_config must read back to the same config, and the layer
/// must be constructible (without an input dimension, so nothing large is allocated) or rejected with
/// FormatError.
inline void layer_config(const std::uint8_t* data, std::size_t size) {
    using namespace elman::io;
    LayerConfig lc;
    try {
        lc = parse_layer_config(as_text(data, size), "<fuzz config>");
    } catch (const FormatError&) {
        return;
    }
    const json::Value first = to_config(lc);
    LayerConfig back;
    try {
        back = parse_layer_config(first, "<fuzz config round trip>");
    } catch (const FormatError& e) {
        property_failed(std::string("to_config() wrote a config parse_layer_config() rejects: ") + e.what());
    }
    const json::Value second = to_config(back);
    if (second != first) {
        property_failed("to_config(parse_layer_config(to_config(c))) != to_config(c): " + json::dump(first) + " vs " +
                        json::dump(second));
    }
    LayerConfig build = lc;
    build.options.input_dim = 0;
    try {
        visit_layer<float>(
            build, [](auto& layer) { (void)layer.units(); }, "<fuzz config>");
    } catch (const FormatError&) {}
}

/// read_npy as float and double; a float32 array read back from npy_bytes() must be bit-identical.
inline void npy(const std::uint8_t* data, std::size_t size) {
    using namespace elman::io;
    const std::string_view bytes = as_text(data, size);
    try {
        (void)read_npy<double>(bytes, "<fuzz npy>");
    } catch (const FormatError&) {}
    elman::Tensor<float> t;
    try {
        t = read_npy<float>(bytes, "<fuzz npy>");
    } catch (const FormatError&) {
        return;
    }
    const std::string image = npy_bytes<float>(t.view());
    elman::Tensor<float> again;
    try {
        again = read_npy<float>(image, "<fuzz npy round trip>");
    } catch (const FormatError& e) {
        property_failed(std::string("npy_bytes() wrote an image read_npy() rejects: ") + e.what());
    }
    // An empty tensor may have null data(), and memcmp on a null pointer is UB even for zero bytes.
    if (again.shape() != t.shape() ||
        (t.size() > 0 &&
         std::memcmp(again.data(), t.data(), static_cast<std::size_t>(t.size()) * sizeof(float)) != 0)) {
        property_failed("npy round trip changed the array");
    }
}

/// The ZIP reader, read_npz and read_npz_weights (float and double).
inline void npz(const std::uint8_t* data, std::size_t size) {
    using namespace elman::io;
    const std::string_view bytes = as_text(data, size);
    try {
        const auto entries = detail::read_zip(bytes, "<fuzz zip>");
        // Whatever read back must survive a write/read cycle unchanged.
        const std::string image = detail::write_zip(entries, "<fuzz zip>");
        const auto again = detail::read_zip(image, "<fuzz zip round trip>");
        if (again.size() != entries.size()) property_failed("zip round trip changed the entry count");
        for (std::size_t i = 0; i < again.size(); ++i) {
            if (again[i].name != entries[i].name || again[i].data != entries[i].data) {
                property_failed("zip round trip changed entry '" + entries[i].name + "'");
            }
        }
    } catch (const FormatError&) {}
    // read_npz_weights reads through read_npz, so the float call below covers read_npz<float> as well.
    try {
        (void)read_npz_weights<double>(bytes, "<fuzz npz>");
    } catch (const FormatError&) {}
    try {
        const LoadedLayer<float> w = read_npz_weights<float>(bytes, "<fuzz npz>");
        // Weights only: build a layer of the stored size with a fallback config (kernel [F,U], F and U are
        // bounded by the input size, so this allocates nothing large).
        LayerConfig fallback;
        fallback.units = w.weights.at(0).shape()[1];
        fallback.activation = "tanh";
        fallback.options.use_bias = w.weights.size() == 3;
        visit_layer(
            w, [](auto& layer) { (void)layer.units(); }, fallback);
    } catch (const FormatError&) {}
}

/// Splits a tfjs fuzz input: model.json text up to the first NUL byte, then the concatenated shard bytes.
/// The first shard requested gets all of them and every later one nothing, which is the same byte stream
/// for the reader (tfjs concatenates a group's shards anyway).
inline void tfjs(const std::uint8_t* data, std::size_t size) {
    using namespace elman::io;
    const std::string_view all = as_text(data, size);
    const std::size_t nul = all.find('\0');
    const std::string_view model_json = all.substr(0, nul);
    const std::string_view shards = nul == std::string_view::npos ? std::string_view() : all.substr(nul + 1);
    for (const bool as_double : {false, true}) {
        bool served = false;
        const auto reader = [&](const std::string&) {
            if (served) return std::string();
            served = true;
            return std::string(shards);
        };
        try {
            if (as_double) {
                (void)read_tfjs<double>(model_json, "<fuzz model.json>", reader);
            } else {
                const LoadedLayer<float> loaded = read_tfjs<float>(model_json, "<fuzz model.json>", reader);
                // The weights agree with the config (checked by the reader), so building the layer cannot
                // allocate more than the shards hold.
                visit_layer(loaded, [](auto& layer) { (void)layer.units(); });
            }
        } catch (const FormatError&) {}
    }
}

}  // namespace elman_fuzz
