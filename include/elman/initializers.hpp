// SPDX-License-Identifier: MIT
// Keras (TF 2.x initializers_v2) weight initializers, selectable by Keras name or built as objects.
#pragma once

#include <elman/config.hpp>
#include <elman/exceptions.hpp>
#include <elman/random.hpp>
#include <elman/shape.hpp>
#include <elman/tensor.hpp>

#include <Eigen/Core>
#include <Eigen/QR>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

ELMAN_NAMESPACE_BEGIN

/// A Keras initializer: its kind, its hyper-parameters and an optional seed. A seeded initializer gives the
/// same values every time it fills a tensor of a given shape (like TF's stateless seeded initializers); an
/// unseeded one draws fresh values. The distributions are Keras'; the random streams are this library's own
/// (bit-reproducing TF's Philox streams is out of scope).
class Initializer {
  public:
    enum class Kind {
        Zeros,
        Ones,
        Constant,
        RandomUniform,
        RandomNormal,
        TruncatedNormal,
        VarianceScaling,
        Orthogonal,
        Identity
    };
    enum class FanMode { FanIn, FanOut, FanAvg };
    enum class Distribution { TruncatedNormal, UntruncatedNormal, Uniform };

    static Initializer zeros() { return Initializer(Kind::Zeros, "Zeros"); }
    static Initializer ones() { return Initializer(Kind::Ones, "Ones"); }
    static Initializer constant(double value = 0.0) {
        Initializer i(Kind::Constant, "Constant");
        i.value_ = value;
        return i;
    }
    static Initializer random_uniform(double minval = -0.05, double maxval = 0.05,
                                      std::optional<std::uint64_t> seed = {}) {
        Initializer i(Kind::RandomUniform, "RandomUniform", seed);
        i.a_ = minval;
        i.b_ = maxval;
        return i;
    }
    static Initializer random_normal(double mean = 0.0, double stddev = 0.05, std::optional<std::uint64_t> seed = {}) {
        Initializer i(Kind::RandomNormal, "RandomNormal", seed);
        i.a_ = mean;
        i.b_ = stddev;
        return i;
    }
    static Initializer truncated_normal(double mean = 0.0, double stddev = 0.05,
                                        std::optional<std::uint64_t> seed = {}) {
        Initializer i(Kind::TruncatedNormal, "TruncatedNormal", seed);
        i.a_ = mean;
        i.b_ = stddev;
        return i;
    }
    /// `mode` is "fan_in", "fan_out" or "fan_avg"; `distribution` "truncated_normal" (alias "normal"),
    /// "untruncated_normal" or "uniform".
    static Initializer variance_scaling(double scale = 1.0, const std::string& mode = "fan_in",
                                        const std::string& distribution = "truncated_normal",
                                        std::optional<std::uint64_t> seed = {}) {
        return variance_scaling_named("VarianceScaling", scale, parse_mode(mode), parse_distribution(distribution),
                                      seed);
    }
    static Initializer glorot_uniform(std::optional<std::uint64_t> seed = {}) {
        return variance_scaling_named("GlorotUniform", 1.0, FanMode::FanAvg, Distribution::Uniform, seed);
    }
    static Initializer glorot_normal(std::optional<std::uint64_t> seed = {}) {
        return variance_scaling_named("GlorotNormal", 1.0, FanMode::FanAvg, Distribution::TruncatedNormal, seed);
    }
    static Initializer he_uniform(std::optional<std::uint64_t> seed = {}) {
        return variance_scaling_named("HeUniform", 2.0, FanMode::FanIn, Distribution::Uniform, seed);
    }
    static Initializer he_normal(std::optional<std::uint64_t> seed = {}) {
        return variance_scaling_named("HeNormal", 2.0, FanMode::FanIn, Distribution::TruncatedNormal, seed);
    }
    static Initializer lecun_uniform(std::optional<std::uint64_t> seed = {}) {
        return variance_scaling_named("LecunUniform", 1.0, FanMode::FanIn, Distribution::Uniform, seed);
    }
    static Initializer lecun_normal(std::optional<std::uint64_t> seed = {}) {
        return variance_scaling_named("LecunNormal", 1.0, FanMode::FanIn, Distribution::TruncatedNormal, seed);
    }
    static Initializer orthogonal(double gain = 1.0, std::optional<std::uint64_t> seed = {}) {
        Initializer i(Kind::Orthogonal, "Orthogonal", seed);
        i.value_ = gain;
        return i;
    }
    static Initializer identity(double gain = 1.0) {
        Initializer i(Kind::Identity, "Identity");
        i.value_ = gain;
        return i;
    }

    /// The initializer Keras calls `name` (a name of `initializer_names`), built with its defaults and `seed`
    /// (ignored by the unseeded kinds); empty for any other name.
    static std::optional<Initializer> lookup(const std::string& name, std::optional<std::uint64_t> seed = {});
    /// Resolve a Keras name (class name or snake_case alias, case-sensitive as in Keras; `initializer_names`),
    /// built with defaults. Throws std::invalid_argument for any other name.
    static Initializer from_name(const std::string& name, std::optional<std::uint64_t> seed = {}) {
        if (std::optional<Initializer> i = lookup(name, seed)) return *i;
        ELMAN_THROW(
            std::invalid_argument("Unknown initializer: " + name +
                                  ". Expected a Keras initializer name such as 'glorot_uniform' or 'orthogonal'."));
    }

    Kind kind() const noexcept { return kind_; }
    /// Keras class name used in configs ("GlorotUniform", "Orthogonal", ...).
    const std::string& class_name() const noexcept { return class_name_; }
    const std::optional<std::uint64_t>& seed() const noexcept { return seed_; }
    double scale() const noexcept { return value_; }  ///< VarianceScaling scale
    double gain() const noexcept { return value_; }   ///< Orthogonal / Identity gain
    double value() const noexcept { return value_; }  ///< Constant value
    double minval() const noexcept { return a_; }     ///< RandomUniform
    double maxval() const noexcept { return b_; }     ///< RandomUniform
    double mean() const noexcept { return a_; }       ///< RandomNormal / TruncatedNormal
    double stddev() const noexcept { return b_; }     ///< RandomNormal / TruncatedNormal
    FanMode mode() const noexcept { return mode_; }
    Distribution distribution() const noexcept { return distribution_; }

    /// Fill a row-major buffer of `shape` (rank 1 or 2 for this layer; any rank for fans).
    template <class Scalar>
    void fill(Scalar* data, const Shape& shape) const {
        const Index n = shape.size();
        Random rng = seed_ ? Random(*seed_) : Random::nondeterministic();
        auto set_each = [&](auto draw) {
            for (Index i = 0; i < n; ++i) data[i] = static_cast<Scalar>(draw());
        };
        switch (kind_) {
            case Kind::Zeros:
                set_each([] { return 0.0; });
                return;
            case Kind::Ones:
                set_each([] { return 1.0; });
                return;
            case Kind::Constant:
                set_each([&] { return value_; });
                return;
            case Kind::RandomUniform:
                set_each([&] { return rng.uniform(a_, b_); });
                return;
            case Kind::RandomNormal:
                set_each([&] { return a_ + b_ * rng.normal(); });
                return;
            case Kind::TruncatedNormal:
                set_each([&] { return rng.truncated_normal(a_, b_); });
                return;
            case Kind::VarianceScaling:
                fill_variance_scaling(data, shape, rng);
                return;
            case Kind::Orthogonal:
                fill_orthogonal(data, shape, rng);
                return;
            case Kind::Identity:
                fill_identity(data, shape);
                return;
        }
    }

    template <class Scalar>
    Tensor<Scalar> make(const Shape& shape) const {
        Tensor<Scalar> t(shape);
        fill(t.data(), shape);
        return t;
    }

    /// Keras `_compute_fans`: (fan_in, fan_out) of a weight shape.
    static std::pair<double, double> compute_fans(const Shape& shape) {
        if (shape.rank() == 0) return {1.0, 1.0};
        if (shape.rank() == 1) return {double(shape[0]), double(shape[0])};
        if (shape.rank() == 2) return {double(shape[0]), double(shape[1])};
        double receptive = 1.0;
        for (int i = 0; i < shape.rank() - 2; ++i) receptive *= double(shape[i]);
        return {double(shape[shape.rank() - 2]) * receptive, double(shape[shape.rank() - 1]) * receptive};
    }

  private:
    Initializer(Kind kind, std::string class_name, std::optional<std::uint64_t> seed = {})
        : kind_(kind), class_name_(std::move(class_name)), seed_(seed) {}

    static Initializer variance_scaling_named(const char* class_name, double scale, FanMode mode, Distribution dist,
                                              std::optional<std::uint64_t> seed) {
        if (!(scale > 0.0)) {
            ELMAN_THROW(std::invalid_argument("`scale` must be positive float. Got: " + std::to_string(scale)));
        }
        Initializer i(Kind::VarianceScaling, class_name, seed);
        i.value_ = scale;
        i.mode_ = mode;
        i.distribution_ = dist;
        return i;
    }
    static FanMode parse_mode(const std::string& mode) {
        if (mode == "fan_in") return FanMode::FanIn;
        if (mode == "fan_out") return FanMode::FanOut;
        if (mode == "fan_avg") return FanMode::FanAvg;
        ELMAN_THROW(std::invalid_argument(
            "Invalid `mode` argument: expected one of {'fan_in', 'fan_out', 'fan_avg'}, got '" + mode + "'"));
    }
    static Distribution parse_distribution(const std::string& d) {
        if (d == "truncated_normal" || d == "normal") return Distribution::TruncatedNormal;
        if (d == "untruncated_normal") return Distribution::UntruncatedNormal;
        if (d == "uniform") return Distribution::Uniform;
        ELMAN_THROW(std::invalid_argument(
            "Invalid `distribution` argument: expected one of {'normal', 'truncated_normal', 'untruncated_normal', "
            "'uniform'}, got '" +
            d + "'"));
    }

    template <class Scalar>
    void fill_variance_scaling(Scalar* data, const Shape& shape, Random& rng) const {
        const auto fans = compute_fans(shape);
        const double n = mode_ == FanMode::FanIn    ? fans.first
                         : mode_ == FanMode::FanOut ? fans.second
                                                    : (fans.first + fans.second) / 2.0;
        const double s = value_ / std::max(1.0, n);
        const Index count = shape.size();
        for (Index i = 0; i < count; ++i) {
            double v = 0.0;
            switch (distribution_) {
                // 0.879... is the std of a unit normal truncated to +-2, so the result has std sqrt(s).
                case Distribution::TruncatedNormal:
                    v = rng.truncated_normal(0.0, std::sqrt(s) / 0.87962566103423978);
                    break;
                case Distribution::UntruncatedNormal:
                    v = std::sqrt(s) * rng.normal();
                    break;
                case Distribution::Uniform: {
                    const double limit = std::sqrt(3.0 * s);
                    v = rng.uniform(-limit, limit);
                    break;
                }
            }
            data[i] = static_cast<Scalar>(v);
        }
    }

    template <class Scalar>
    void fill_orthogonal(Scalar* data, const Shape& shape, Random& rng) const {
        if (shape.rank() < 2) {
            ELMAN_THROW(std::invalid_argument(
                "Orthogonal initializer: the tensor to initialize must be at least two-dimensional, "
                "got shape " +
                shape.to_string()));
        }
        const Index cols = shape[shape.rank() - 1];
        const Index rows = cols == 0 ? 0 : shape.size() / cols;
        if (rows == 0 || cols == 0) return;
        const Index big = std::max(rows, cols), small = std::min(rows, cols);
        Eigen::MatrixXd a(big, small);
        for (Index j = 0; j < small; ++j)
            for (Index i = 0; i < big; ++i) a(i, j) = rng.normal();
        Eigen::HouseholderQR<Eigen::MatrixXd> qr(a);
        Eigen::MatrixXd q = qr.householderQ() * Eigen::MatrixXd::Identity(big, small);
        const Eigen::MatrixXd r = qr.matrixQR().topRows(small).template triangularView<Eigen::Upper>();
        for (Index j = 0; j < small; ++j) {
            const double d = r(j, j);
            q.col(j) *= d > 0 ? 1.0 : (d < 0 ? -1.0 : 0.0);
        }
        Eigen::Map<RowMajorMatrix<Scalar>> out(data, rows, cols);
        if (rows < cols) {
            out = (value_ * q.transpose()).template cast<Scalar>();
        } else {
            out = (value_ * q).template cast<Scalar>();
        }
    }

    template <class Scalar>
    void fill_identity(Scalar* data, const Shape& shape) const {
        if (shape.rank() != 2) {
            ELMAN_THROW(std::invalid_argument("Identity initializer: only 2-D shapes are supported, got shape " +
                                              shape.to_string()));
        }
        Eigen::Map<RowMajorMatrix<Scalar>> out(data, shape[0], shape[1]);
        out.setIdentity();
        out *= static_cast<Scalar>(value_);
    }

    Kind kind_;
    std::string class_name_;
    std::optional<std::uint64_t> seed_;
    double value_ = 0.0;  // constant value / VS scale / gain
    double a_ = 0.0, b_ = 0.0;
    FanMode mode_ = FanMode::FanIn;
    Distribution distribution_ = Distribution::TruncatedNormal;
};

/// One Keras name of an initializer and the initializer it means, built with its defaults and a seed.
struct InitializerName {
    const char* name;
    Initializer (*make)(std::optional<std::uint64_t> seed);
};

/// Every name Keras resolves to an initializer (TF 2.4 `keras.initializers`: the v2 class names, their
/// snake_case aliases and the compatibility aliases zero, one, uniform, normal). The one list:
/// `Initializer::from_name` and the config reader (io/layer_config.hpp) both resolve names through it.
inline constexpr InitializerName initializer_names[] = {
    {"Zeros", [](std::optional<std::uint64_t>) { return Initializer::zeros(); }},
    {"zeros", [](std::optional<std::uint64_t>) { return Initializer::zeros(); }},
    {"zero", [](std::optional<std::uint64_t>) { return Initializer::zeros(); }},
    {"Ones", [](std::optional<std::uint64_t>) { return Initializer::ones(); }},
    {"ones", [](std::optional<std::uint64_t>) { return Initializer::ones(); }},
    {"one", [](std::optional<std::uint64_t>) { return Initializer::ones(); }},
    {"Constant", [](std::optional<std::uint64_t>) { return Initializer::constant(); }},
    {"constant", [](std::optional<std::uint64_t>) { return Initializer::constant(); }},
    {"RandomUniform", [](std::optional<std::uint64_t> s) { return Initializer::random_uniform(-0.05, 0.05, s); }},
    {"random_uniform", [](std::optional<std::uint64_t> s) { return Initializer::random_uniform(-0.05, 0.05, s); }},
    {"uniform", [](std::optional<std::uint64_t> s) { return Initializer::random_uniform(-0.05, 0.05, s); }},
    {"RandomNormal", [](std::optional<std::uint64_t> s) { return Initializer::random_normal(0.0, 0.05, s); }},
    {"random_normal", [](std::optional<std::uint64_t> s) { return Initializer::random_normal(0.0, 0.05, s); }},
    {"normal", [](std::optional<std::uint64_t> s) { return Initializer::random_normal(0.0, 0.05, s); }},
    {"TruncatedNormal", [](std::optional<std::uint64_t> s) { return Initializer::truncated_normal(0.0, 0.05, s); }},
    {"truncated_normal", [](std::optional<std::uint64_t> s) { return Initializer::truncated_normal(0.0, 0.05, s); }},
    {"VarianceScaling",
     [](std::optional<std::uint64_t> s) {
         return Initializer::variance_scaling(1.0, "fan_in", "truncated_normal", s);
     }},
    {"variance_scaling",
     [](std::optional<std::uint64_t> s) {
         return Initializer::variance_scaling(1.0, "fan_in", "truncated_normal", s);
     }},
    {"Orthogonal", [](std::optional<std::uint64_t> s) { return Initializer::orthogonal(1.0, s); }},
    {"orthogonal", [](std::optional<std::uint64_t> s) { return Initializer::orthogonal(1.0, s); }},
    {"Identity", [](std::optional<std::uint64_t>) { return Initializer::identity(); }},
    {"identity", [](std::optional<std::uint64_t>) { return Initializer::identity(); }},
    {"GlorotUniform", [](std::optional<std::uint64_t> s) { return Initializer::glorot_uniform(s); }},
    {"glorot_uniform", [](std::optional<std::uint64_t> s) { return Initializer::glorot_uniform(s); }},
    {"GlorotNormal", [](std::optional<std::uint64_t> s) { return Initializer::glorot_normal(s); }},
    {"glorot_normal", [](std::optional<std::uint64_t> s) { return Initializer::glorot_normal(s); }},
    {"HeNormal", [](std::optional<std::uint64_t> s) { return Initializer::he_normal(s); }},
    {"he_normal", [](std::optional<std::uint64_t> s) { return Initializer::he_normal(s); }},
    {"HeUniform", [](std::optional<std::uint64_t> s) { return Initializer::he_uniform(s); }},
    {"he_uniform", [](std::optional<std::uint64_t> s) { return Initializer::he_uniform(s); }},
    {"LecunNormal", [](std::optional<std::uint64_t> s) { return Initializer::lecun_normal(s); }},
    {"lecun_normal", [](std::optional<std::uint64_t> s) { return Initializer::lecun_normal(s); }},
    {"LecunUniform", [](std::optional<std::uint64_t> s) { return Initializer::lecun_uniform(s); }},
    {"lecun_uniform", [](std::optional<std::uint64_t> s) { return Initializer::lecun_uniform(s); }},
};

inline std::optional<Initializer> Initializer::lookup(const std::string& name, std::optional<std::uint64_t> seed) {
    for (const InitializerName& n : initializer_names)
        if (name == n.name) return n.make(seed);
    return std::nullopt;
}

ELMAN_NAMESPACE_END
