// The Dense read-out (include/elman/dense.hpp): forward on 2-D and 3-D inputs, gradients against finite
// differences, written through its Parameters.
#include "support.hpp"

#include <elman/dense.hpp>

#include <catch2/catch.hpp>

#include <stdexcept>

using elman::Index;

TEST_CASE("Dense: forward, gradients against finite differences", "[dense]") {
    elman::Dense<double> dense(3, 2, elman::Initializer::glorot_uniform(9),
                               elman::Initializer::random_uniform(-1, 1, 4));
    elman::Random rng(3);
    elman::Tensor<double> x({2, 4, 3}), gy({2, 4, 2});
    for (auto& v : x.values()) v = rng.uniform(-1, 1);
    for (auto& v : gy.values()) v = rng.uniform(-1, 1);
    const auto y = dense(x);
    REQUIRE(y.shape() == elman::Shape{2, 4, 2});
    CHECK(y(1, 2, 1) == Approx(x(1, 2, 0) * dense.kernel()(0, 1) + x(1, 2, 1) * dense.kernel()(1, 1) +
                               x(1, 2, 2) * dense.kernel()(2, 1) + dense.bias()(1)));
    const auto g = dense.backward(x, gy);
    auto objective = [&] { return (dense(x).matrix().array() * gy.matrix().array()).sum(); };
    auto fd_at = [&](auto write, double saved) {
        const double eps = 1e-6;
        write(saved + eps);
        const double up = objective();
        write(saved - eps);
        const double down = objective();
        write(saved);
        return (up - down) / (2 * eps);
    };
    auto fd_parameter = [&](elman::Parameter<double>& p, Index i) {
        return fd_at([&](double v) { p.modify([&](auto& w) { w.data()[i] = v; }); }, p.value().data()[i]);
    };
    auto fd = [&](double& v) { return fd_at([&](double u) { v = u; }, v); };
    for (Index i = 0; i < dense.kernel().size(); ++i)
        CHECK(g.kernel.data()[i] == Approx(fd_parameter(dense.kernel_parameter(), i)).epsilon(1e-8));
    for (Index i = 0; i < dense.bias().size(); ++i)
        CHECK(g.bias(i) == Approx(fd_parameter(dense.bias_parameter(), i)).epsilon(1e-8));
    for (Index i = 0; i < x.size(); ++i)
        CHECK(g.inputs(i) == Approx(fd(x.values()[static_cast<std::size_t>(i)])).epsilon(1e-8));
    CHECK_THROWS_WITH(dense(elman::Tensor<double>({2, 4})),
                      Catch::Contains("inputs") && Catch::Contains("last dimension 3"));
    CHECK_THROWS_WITH(dense.backward(x, elman::Tensor<double>({2, 4, 3})),
                      Catch::Contains("grad_output") && Catch::Contains("(2, 4, 2)"));
    CHECK_THROWS_AS(elman::Dense<float>(0, 2), std::invalid_argument);
    CHECK_THROWS_WITH(elman::Dense<float>(0, 2), Catch::Contains("input_dim"));
}
