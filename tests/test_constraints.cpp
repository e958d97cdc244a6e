// Keras constraints (docs/keras-semantics.md#constraints): formulas, axis convention, names.
#include <elman/constraints.hpp>

#include <catch2/catch.hpp>

#include <stdexcept>

TEST_CASE("Constraints follow Keras formulas and axis convention", "[constraints]") {
    const Eigen::Matrix2d w = (Eigen::Matrix2d() << 3, 0, 4, 1).finished();  // column norms 5, 1; row norms 3, sqrt(17)
    {
        Eigen::Matrix2d c = w;
        elman::Constraint::max_norm(2.0).apply(c);  // axis 0: per column
        CHECK(c.col(0).norm() == Approx(2.0 * 5 / (5 + 1e-7)));
        CHECK(c.col(1).norm() == Approx(1.0 / (1 + 1e-7)));
    }
    {
        Eigen::Matrix2d c = w;
        elman::Constraint::unit_norm(1).apply(c);  // axis 1: per row
        CHECK(c.row(0).norm() == Approx(1.0));
        CHECK(c.row(1).norm() == Approx(1.0));
    }
    {
        Eigen::Matrix2d c = w;
        elman::Constraint::min_max_norm(2.0, 3.0, 0.5).apply(c);
        CHECK(c.col(0).norm() == Approx(0.5 * 3 + 0.5 * 5).epsilon(1e-6));
        CHECK(c.col(1).norm() == Approx(0.5 * 2 + 0.5 * 1).epsilon(1e-6));
    }
    {
        Eigen::MatrixXd c(1, 3);
        c << -1, 0.5, 0;
        elman::Constraint::non_neg().apply(c);
        CHECK(c(0, 0) == 0.0);
        CHECK(c(0, 1) == 0.5);
    }
    {
        Eigen::RowVectorXd bias(2);
        bias << 3, 4;  // 1-D: the whole vector
        elman::Constraint::unit_norm().apply(bias, true);
        CHECK(bias.norm() == Approx(1.0));
    }
    CHECK(elman::Constraint::from_name("maxnorm").kind() == elman::Constraint::Kind::MaxNorm);
    CHECK(elman::Constraint::from_name("nonneg").kind() == elman::Constraint::Kind::NonNeg);
    CHECK(elman::Constraint::from_name("unit_norm").kind() == elman::Constraint::Kind::UnitNorm);
    CHECK(elman::Constraint::from_name("MinMaxNorm").kind() == elman::Constraint::Kind::MinMaxNorm);
    CHECK_THROWS_WITH(elman::Constraint::from_name("radial"), Catch::Contains("Unknown constraint: radial"));
    Eigen::Matrix2d c = w;
    CHECK_THROWS_AS(elman::Constraint::max_norm(2.0, 3).apply(c), std::invalid_argument);
}
