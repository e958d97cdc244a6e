// Two translation units (this one and test_odr_b.cpp) include the umbrella header and zip.hpp (tests/odr_probe.hpp)
// and are linked into one binary: a header function defined without `inline` fails to link, and entities that
// must be unique per program (inline functions, function-local statics, inline variables) must have the same
// address in both (fmt's ranges-odr-test idea). Both run the layer on the same weights and must match an
// independent reference.
#include "odr_probe.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

TEST_CASE("odr: inline functions and variables have one address across translation units", "[odr]") {
    const elman_odr::Probe a = elman_odr::make_probe(), b = elman_odr::probe_in_b();
    CHECK(a.crc32 == b.crc32);
    CHECK(a.expected_shape_string == b.expected_shape_string);
    CHECK(a.packed_gemm == b.packed_gemm);
    CHECK(a.initializer_from_name == b.initializer_from_name);
    CHECK(a.next_u64 == b.next_u64);
    CHECK(a.default_backend == b.default_backend);
    CHECK(a.constraint_epsilon == b.constraint_epsilon);
    CHECK(a.selu_alpha == b.selu_alpha);
}

TEST_CASE("odr: both translation units compute the layer the same way, and correctly", "[odr]") {
    const elman::Index batch = 2, steps = 4, features = 5, units = 3;
    elman::Random rng(11);
    auto random = [&](elman::Shape shape) {
        elman::Tensor<double> t(shape);
        for (double& v : t.values()) v = rng.uniform(-1.0, 1.0);
        return t;
    };
    const std::vector<elman::Tensor<double>> weights = {random({features, units}), random({units, units}),
                                                        random({units})};
    const elman::Tensor<double> inputs = random({batch, steps, features});

    const std::vector<double> a = elman_odr::forward(weights, inputs);
    const std::vector<double> b = elman_odr::forward_in_b(weights, inputs);
    REQUIRE(a.size() == static_cast<std::size_t>(batch * steps * units));
    CHECK(a == b);  // same code on the same numbers: bit for bit

    // h_t = tanh(x_t W + h_{t-1} U + b), h_0 = 0, written out here.
    const auto W = weights[0].matrix(), U = weights[1].matrix();
    double worst = 0.0;
    for (elman::Index s = 0; s < batch; ++s) {
        std::vector<double> h(static_cast<std::size_t>(units), 0.0), next(h);
        for (elman::Index t = 0; t < steps; ++t) {
            for (elman::Index j = 0; j < units; ++j) {
                double z = weights[2](j);
                for (elman::Index f = 0; f < features; ++f) z += inputs(s, t, f) * W(f, j);
                for (elman::Index k = 0; k < units; ++k) z += h[static_cast<std::size_t>(k)] * U(k, j);
                next[static_cast<std::size_t>(j)] = std::tanh(z);
            }
            h = next;
            for (elman::Index j = 0; j < units; ++j)
                worst = std::max(worst, std::abs(a[static_cast<std::size_t>((s * steps + t) * units + j)] -
                                                 h[static_cast<std::size_t>(j)]));
        }
    }
    CHECK(worst < 1e-12);
}
