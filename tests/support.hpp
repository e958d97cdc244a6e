// Shared helpers for the test suite: golden-data loading and tolerant comparisons.
#pragma once

#include <elman/elman.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace elman_test {

/// Every name of KerasActivations, in its order.
inline std::vector<std::string> keras_activation_names() {
    std::vector<std::string> names;
    std::apply([&](auto... activation) { (names.emplace_back(decltype(activation)::keras_name), ...); },
               elman::KerasActivations{});
    return names;
}

inline const nlohmann::json& load_json(const std::string& file) {
    static std::vector<std::pair<std::string, nlohmann::json>> cache;
    for (const auto& entry : cache)
        if (entry.first == file) return entry.second;
    std::ifstream in(std::string(ELMAN_TEST_DATA_DIR) + "/" + file);
    if (!in) throw std::runtime_error("cannot open test data file " + file);
    cache.emplace_back(file, nlohmann::json::parse(in));
    return cache.back().second;
}

/// A tensor of uniform [lo, hi) values from a seeded generator (deterministic across platforms).
template <class Scalar>
elman::Tensor<Scalar> random_tensor(elman::Shape shape, std::uint64_t seed, double lo = -1.0, double hi = 1.0) {
    elman::Tensor<Scalar> t(shape);
    elman::Random rng(seed);
    for (auto& v : t.values()) v = static_cast<Scalar>(rng.uniform(lo, hi));
    return t;
}

/// Seeded random weights in Keras layout for a layer over `features` inputs (kernel in [-1, 1), recurrent kernel
/// in [-0.5, 0.5), bias in [-0.3, 0.3)); builds the layer when it is not built yet.
template <class Scalar, class Act>
void randomize_weights(elman::SimpleRNN<Scalar, Act>& layer, elman::Index features, std::uint64_t seed) {
    std::vector<elman::Tensor<Scalar>> w{random_tensor<Scalar>({features, layer.units()}, seed),
                                         random_tensor<Scalar>({layer.units(), layer.units()}, seed + 1, -0.5, 0.5)};
    if (layer.use_bias()) w.push_back(random_tensor<Scalar>({layer.units()}, seed + 2, -0.3, 0.3));
    layer.set_weights(w);
}

/// What `layer` computes for `x` and `args` without anything it cached between calls: the result of a freshly
/// made layer with its options, weights, threads and backend (and, for a stateful layer, `stored` as its state).
template <class Scalar, class Act>
elman::Result<Scalar> fresh_call(const elman::SimpleRNN<Scalar, Act>& layer, const elman::Tensor<Scalar>& x,
                                 const elman::CallArgs<Scalar>& args = {},
                                 const elman::Tensor<Scalar>* stored = nullptr) {
    elman::SimpleRNN<Scalar, Act> fresh(layer.units(), layer.options());
    fresh.set_weights(layer.get_weights());
    fresh.set_threads(layer.threads());
    fresh.set_backend(layer.backend());
    if (stored) fresh.reset_states(*stored);
    return fresh(x, args);
}

template <class Scalar>
elman::Tensor<Scalar> tensor_from_json(const nlohmann::json& j) {
    elman::Shape shape;
    const auto& dims = j.at("shape");
    if (dims.size() == 1) shape = {dims[0].get<elman::Index>()};
    if (dims.size() == 2) shape = {dims[0].get<elman::Index>(), dims[1].get<elman::Index>()};
    if (dims.size() == 3)
        shape = {dims[0].get<elman::Index>(), dims[1].get<elman::Index>(), dims[2].get<elman::Index>()};
    std::vector<Scalar> values;
    values.reserve(j.at("data").size());
    for (const auto& v : j.at("data")) values.push_back(static_cast<Scalar>(v.get<double>()));
    return elman::Tensor<Scalar>(shape, std::move(values));
}

/// Largest |a - e| / max(1, |e|) over two same-shaped buffers (infinity when shapes differ or a value is NaN).
template <class A, class E>
double max_relative_error(const A* actual, const E* expected, elman::Index n) {
    double worst = 0.0;
    for (elman::Index i = 0; i < n; ++i) {
        const double a = static_cast<double>(actual[i]), e = static_cast<double>(expected[i]);
        const double err = std::abs(a - e) / std::max(1.0, std::abs(e));
        if (std::isnan(err)) return INFINITY;
        worst = std::max(worst, err);
    }
    return worst;
}

template <class Scalar, class Other>
double max_relative_error(const elman::Tensor<Scalar>& actual, const elman::Tensor<Other>& expected) {
    if (actual.shape() != expected.shape()) return INFINITY;
    return max_relative_error(actual.data(), expected.data(), actual.size());
}

}  // namespace elman_test
