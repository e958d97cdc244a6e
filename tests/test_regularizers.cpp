// Keras regularizers (docs/keras-semantics.md#regularizers): names, float32 factors, penalties and their gradients.
#include <elman/regularizers.hpp>

#include <catch2/catch.hpp>

#include <cmath>

TEST_CASE("Regularizers: Keras names, float32 factors, no 1/2 factor, gradients", "[regularizers]") {
    CHECK(elman::Regularizer::from_name("l1").l1() == double(0.01f));
    CHECK(elman::Regularizer::from_name("l2").l2() == double(0.01f));
    CHECK(elman::Regularizer::from_name("l1_l2").l1() == double(0.01f));
    CHECK(elman::Regularizer::from_name("L1L2").l1() == 0.0);
    CHECK(elman::Regularizer::from_name("L1L2").l2() == 0.0);
    CHECK_THROWS_WITH(elman::Regularizer::from_name("l3"), Catch::Contains("Unknown regularizer: l3"));
    CHECK_THROWS_WITH(elman::Regularizer::L2(std::nan("")),
                      Catch::Contains("not a valid regularization penalty number"));
    CHECK_THROWS_AS(elman::Regularizer::L1(INFINITY), std::invalid_argument);
    Eigen::MatrixXd w(2, 2);
    w << 1, -2, 0, 3;
    const auto reg = elman::Regularizer::L1L2(0.5, 0.25);
    CHECK(reg(w) == Approx(0.5 * 6 + 0.25 * 14));
    Eigen::MatrixXd g = Eigen::MatrixXd::Zero(2, 2);
    reg.add_gradient(w, g);
    Eigen::MatrixXd expected(2, 2);
    expected << 0.5 + 0.5, -0.5 - 1.0, 0.0, 0.5 + 1.5;
    CHECK(g.isApprox(expected));
}
