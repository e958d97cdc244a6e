// Keras initializers (docs/keras-semantics.md#initializers): names, fans, distributions' moments and limits,
// orthogonality, determinism. Regularizers are in test_regularizers.cpp, constraints in test_constraints.cpp.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <string>

using elman::Index;
using elman::Initializer;
using elman::Shape;

namespace {
struct Moments {
    double mean = 0, stddev = 0, min = 1e300, max = -1e300;
};
Moments moments(const elman::Tensor<double>& t) {
    Moments m;
    for (double v : t.values()) {
        m.mean += v;
        m.min = std::min(m.min, v);
        m.max = std::max(m.max, v);
    }
    m.mean /= double(t.size());
    for (double v : t.values()) m.stddev += (v - m.mean) * (v - m.mean);
    m.stddev = std::sqrt(m.stddev / double(t.size()));
    return m;
}
}  // namespace

TEST_CASE("Initializer names resolve like Keras, unknown names throw", "[initializers]") {
    const std::pair<const char*, const char*> names[] = {{"zeros", "Zeros"},
                                                         {"zero", "Zeros"},
                                                         {"Ones", "Ones"},
                                                         {"one", "Ones"},
                                                         {"constant", "Constant"},
                                                         {"uniform", "RandomUniform"},
                                                         {"random_uniform", "RandomUniform"},
                                                         {"normal", "RandomNormal"},
                                                         {"random_normal", "RandomNormal"},
                                                         {"truncated_normal", "TruncatedNormal"},
                                                         {"variance_scaling", "VarianceScaling"},
                                                         {"orthogonal", "Orthogonal"},
                                                         {"identity", "Identity"},
                                                         {"glorot_uniform", "GlorotUniform"},
                                                         {"glorot_normal", "GlorotNormal"},
                                                         {"he_normal", "HeNormal"},
                                                         {"he_uniform", "HeUniform"},
                                                         {"lecun_normal", "LecunNormal"},
                                                         {"lecun_uniform", "LecunUniform"},
                                                         {"GlorotUniform", "GlorotUniform"}};
    for (const auto& n : names) CHECK(Initializer::from_name(n.first).class_name() == n.second);
    CHECK_THROWS_WITH(Initializer::from_name("foo"), Catch::Contains("Unknown initializer: foo"));
    CHECK_THROWS_WITH(Initializer::from_name("Glorot_Uniform"), Catch::Contains("Unknown initializer"));
    CHECK_THROWS_WITH(Initializer::variance_scaling(0.0), Catch::Contains("`scale` must be positive float"));
    CHECK_THROWS_AS(Initializer::variance_scaling(1.0, "fan_middle"), std::invalid_argument);
    CHECK_THROWS_AS(Initializer::variance_scaling(1.0, "fan_in", "cauchy"), std::invalid_argument);
}

TEST_CASE("Fans follow Keras' _compute_fans", "[initializers]") {
    CHECK(Initializer::compute_fans(Shape{}) == std::make_pair(1.0, 1.0));
    CHECK(Initializer::compute_fans(Shape{7}) == std::make_pair(7.0, 7.0));
    CHECK(Initializer::compute_fans(Shape{3, 5}) == std::make_pair(3.0, 5.0));
    CHECK(Initializer::compute_fans(Shape{2, 3, 4, 5}) == std::make_pair(24.0, 30.0));
}

TEST_CASE("Random initializers have Keras' distributions", "[initializers]") {
    const Shape shape{200, 300};  // fan_in 200, fan_out 300, 60000 samples
    auto check = [&](const Initializer& init, double mean, double stddev, double limit) {
        const auto m = moments(init.make<double>(shape));
        INFO(init.class_name());
        CHECK(m.mean == Approx(mean).margin(4 * stddev / std::sqrt(60000.0)));
        CHECK(m.stddev == Approx(stddev).epsilon(0.02));
        CHECK(m.min >= -limit + mean);
        CHECK(m.max <= limit + mean);
    };
    const double u = 1 / std::sqrt(3.0);  // std of U[-1, 1]
    check(Initializer::glorot_uniform(1), 0, std::sqrt(6.0 / 500) * u, std::sqrt(6.0 / 500));
    check(Initializer::glorot_normal(2), 0, std::sqrt(2.0 / 500), 2 * std::sqrt(2.0 / 500) / 0.87962566103423978);
    check(Initializer::he_uniform(3), 0, std::sqrt(6.0 / 200) * u, std::sqrt(6.0 / 200));
    check(Initializer::he_normal(4), 0, std::sqrt(2.0 / 200), 2 * std::sqrt(2.0 / 200) / 0.87962566103423978);
    check(Initializer::lecun_uniform(5), 0, std::sqrt(3.0 / 200) * u, std::sqrt(3.0 / 200));
    check(Initializer::lecun_normal(6), 0, std::sqrt(1.0 / 200), 2 * std::sqrt(1.0 / 200) / 0.87962566103423978);
    check(Initializer::random_uniform(-0.05, 0.05, 7), 0, 0.05 * u, 0.05);
    check(Initializer::random_normal(0.5, 0.05, 8), 0.5, 0.05, 1.0);
    check(Initializer::truncated_normal(0.0, 0.05, 9), 0.0, 0.05 * 0.87962566103423978, 0.1);
    check(Initializer::variance_scaling(2.0, "fan_out", "untruncated_normal", 10), 0, std::sqrt(2.0 / 300), 1.0);
    check(Initializer::variance_scaling(3.0, "fan_avg", "uniform", 11), 0, std::sqrt(3.0 / 250), std::sqrt(9.0 / 250));
}

TEST_CASE("Constant, ones, zeros and identity", "[initializers]") {
    CHECK(Initializer::constant(0.25).make<float>(Shape{2, 2}).values() == std::vector<float>(4, 0.25f));
    CHECK(Initializer::ones().make<double>(Shape{3}).values() == std::vector<double>(3, 1.0));
    CHECK(Initializer::zeros().make<double>(Shape{3}).values() == std::vector<double>(3, 0.0));
    const auto eye = Initializer::identity(2.0).make<double>(Shape{2, 3});
    CHECK(eye.values() == std::vector<double>{2, 0, 0, 0, 2, 0});
    CHECK_THROWS_WITH(Initializer::identity().make<double>(Shape{3}), Catch::Contains("only 2-D shapes"));
}

TEST_CASE("Orthogonal gives orthonormal rows or columns, scaled by gain", "[initializers]") {
    for (const Shape& shape : {Shape{6, 6}, Shape{8, 3}, Shape{3, 8}, Shape{1, 1}}) {
        const auto w = Initializer::orthogonal(1.5, 42).make<double>(shape);
        const auto m = w.matrix();
        const Eigen::MatrixXd gram =
            shape[0] >= shape[1] ? Eigen::MatrixXd(m.transpose() * m) : Eigen::MatrixXd(m * m.transpose());
        INFO(shape.to_string());
        CHECK((gram - 2.25 * Eigen::MatrixXd::Identity(gram.rows(), gram.cols())).cwiseAbs().maxCoeff() < 1e-12);
    }
    // U = 1: +-gain.
    CHECK(std::abs(Initializer::orthogonal(1.0, 3).make<double>(Shape{1, 1})(0)) == 1.0);
    CHECK_THROWS_WITH(Initializer::orthogonal().make<double>(Shape{4}), Catch::Contains("at least two-dimensional"));
}

TEST_CASE("Seeded initializers are deterministic, unseeded ones are not", "[initializers]") {
    for (const char* name : {"glorot_uniform", "orthogonal", "he_normal", "random_normal", "truncated_normal"}) {
        INFO(name);
        CHECK(Initializer::from_name(name, 17).make<float>(Shape{5, 4}).values() ==
              Initializer::from_name(name, 17).make<float>(Shape{5, 4}).values());
        CHECK(Initializer::from_name(name, 17).make<float>(Shape{5, 4}).values() !=
              Initializer::from_name(name, 18).make<float>(Shape{5, 4}).values());
        CHECK(Initializer::from_name(name).make<float>(Shape{5, 4}).values() !=
              Initializer::from_name(name).make<float>(Shape{5, 4}).values());
    }
    // Layers built from seeded initializers are reproducible.
    elman::SimpleRNNOptions o;
    o.input_dim = 3;
    o.kernel_initializer = Initializer::glorot_uniform(1);
    o.recurrent_initializer = Initializer::orthogonal(1.0, 2);
    o.bias_initializer = Initializer::random_uniform(-0.1, 0.1, 3);
    elman::SimpleRNN<float> a(4, o), b(4, o);
    for (std::size_t i = 0; i < 3; ++i) CHECK(a.get_weights()[i].values() == b.get_weights()[i].values());
}
