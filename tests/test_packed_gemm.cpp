// Unit test of the packed micro-kernel (include/elman/detail/packed_gemm.hpp): PackedWeights::pack,
// packed_gemm and packed_gemv against a naive double-precision product, over every row count up to 2*MR+1,
// every panel remainder and 1..5 panels (so the 4/2/1-panel groupings of packed_rows are all taken), with and
// without bias, with an empty top or bottom block and with strides larger than minimal. Also the header's
// claims: padding columns are exact zeros, nothing outside Z[rows, padded_units) is written, nothing outside
// A[rows, depth] is read, and a row's packed_gemm result is bitwise the same whatever rows it is computed with.
//
// Tolerance: every element is a sum of depth + 1 terms (bias and depth products). Any summation order gives
// |fl(sum) - sum| <= gamma_n * sum|terms| with n = depth + 1 (+1 for a rounded, unfused product) and
// gamma_n = n u / (1 - n u), u = eps / 2. The double reference is exact for float inputs and within the same
// bound for double inputs, so (depth + 2) * eps * sum|terms| bounds the difference; a kernel that drops or
// repeats a single term is off by about |a_k w_k|, far outside it.
#include <elman/detail/packed_gemm.hpp>
#include <elman/random.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace {

using elman::Index;

template <class Scalar>
using RowMatrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class Scalar>
using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;

// Counts mismatches and keeps the first few descriptions, so one failing shape reports once, readably.
struct Failures {
    int count = 0;
    std::string first;
    void add(const std::string& what) {
        if (count++ < 5) first += what + "\n";
    }
};

template <class Scalar>
RowMatrix<Scalar> random_matrix(elman::Random& rng, Index rows, Index cols) {
    RowMatrix<Scalar> m(rows, cols);
    for (Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<Scalar>(rng.uniform(-1.0, 1.0));
    return m;
}

// A and its reference result for one packed weight set.
template <class Scalar>
struct Case {
    RowMatrix<Scalar> top, bottom;  // W = [top; bottom], [depth, U]
    Vector<Scalar> bias;            // U entries or empty
    Index depth() const { return top.rows() + bottom.rows(); }
    Index units() const { return top.cols(); }
    double w(Index k, Index j) const {
        return static_cast<double>(k < top.rows() ? top(k, j) : bottom(k - top.rows(), j));
    }
    double b(Index j) const { return bias.size() == 0 ? 0.0 : static_cast<double>(bias(j)); }
};

// Checks row `i` of z (U + padding columns) against the naive product of row i of a.
template <class Scalar>
void check_row(const Case<Scalar>& c, const Scalar* a_row, const Scalar* z_row, Index padded, Failures& f,
               const std::string& where) {
    const double eps = static_cast<double>(std::numeric_limits<Scalar>::epsilon());
    for (Index j = 0; j < c.units(); ++j) {
        double ref = c.b(j), magnitude = std::abs(c.b(j));
        for (Index k = 0; k < c.depth(); ++k) {
            ref += static_cast<double>(a_row[k]) * c.w(k, j);
            magnitude += std::abs(static_cast<double>(a_row[k]) * c.w(k, j));
        }
        const double tol = static_cast<double>(c.depth() + 2) * eps * magnitude;
        const double got = static_cast<double>(z_row[j]);
        if (!(std::abs(got - ref) <= tol)) {
            std::ostringstream s;
            s << where << " column " << j << ": got " << got << ", naive " << ref << ", tolerance " << tol;
            f.add(s.str());
        }
    }
    for (Index j = c.units(); j < padded; ++j) {
        if (!(z_row[j] == Scalar(0))) {
            std::ostringstream s;
            s << where << " padding column " << j << " is " << z_row[j] << ", not 0";
            f.add(s.str());
        }
    }
}

template <class Scalar>
void run_shapes(Index top_rows, Index bottom_rows, bool with_bias) {
    using Traits = elman::detail::PackedGemmTraits<Scalar>;
    constexpr Index MR = Traits::mr, NR = Traits::nr;
    const Scalar sentinel = Scalar(-12345.5);
    const Scalar nan = std::numeric_limits<Scalar>::quiet_NaN();
    elman::Random rng(static_cast<std::uint64_t>(1000 * top_rows + 10 * bottom_rows + (with_bias ? 1 : 0)));
    // One object for every U: pack() must repack completely when the shape changes.
    elman::detail::PackedWeights<Scalar> w;
    for (Index units = 1; units <= 5 * NR; ++units) {
        Case<Scalar> c;
        c.top = random_matrix<Scalar>(rng, top_rows, units);
        c.bottom = random_matrix<Scalar>(rng, bottom_rows, units);
        c.bias = with_bias ? Vector<Scalar>(random_matrix<Scalar>(rng, units, 1)) : Vector<Scalar>(0);
        w.pack(c.top, c.bottom, c.bias);
        const Index depth = c.depth();
        const Index panels = (units + NR - 1) / NR;
        INFO("depth " << depth << " (top " << top_rows << ", bottom " << bottom_rows << "), U " << units
                      << (with_bias ? ", bias" : ", no bias") << ", NR " << NR << ", MR " << MR);
        REQUIRE(w.depth() == depth);
        REQUIRE(w.units() == units);
        REQUIRE(w.panels() == panels);
        REQUIRE(w.padded_units() == panels * NR);
        const Index padded = w.padded_units();
        const Index lda = depth + 3, ldz = padded + 3;  // both larger than minimal (and ldz not packet-aligned)

        Failures f;
        for (Index rows = 1; rows <= 2 * MR + 1; ++rows) {
            // A's columns past depth are NaN: reading them would poison the result.
            std::vector<Scalar> a(static_cast<std::size_t>(rows * lda), nan);
            for (Index i = 0; i < rows; ++i)
                for (Index k = 0; k < depth; ++k)
                    a[static_cast<std::size_t>(i * lda + k)] = static_cast<Scalar>(rng.uniform(-1.0, 1.0));
            // One spare row after Z and the ldz slack must keep the sentinel.
            std::vector<Scalar> z(static_cast<std::size_t>((rows + 1) * ldz), sentinel);
            elman::detail::packed_gemm(rows, a.data(), lda, w, z.data(), ldz);
            for (Index i = 0; i < rows; ++i)
                check_row(c, a.data() + i * lda, z.data() + i * ldz, padded, f,
                          "packed_gemm rows=" + std::to_string(rows) + " row " + std::to_string(i));
            for (Index i = 0; i <= rows; ++i)
                for (Index j = i < rows ? padded : 0; j < ldz; ++j)
                    if (!(z[static_cast<std::size_t>(i * ldz + j)] == sentinel))
                        f.add("packed_gemm rows=" + std::to_string(rows) + " wrote outside Z at (" + std::to_string(i) +
                              ", " + std::to_string(j) + ")");

            // Bit identity across row blockings: each row alone, and every split into [0, s) + [s, rows).
            std::vector<Scalar> alone(static_cast<std::size_t>(rows * ldz), sentinel);
            for (Index i = 0; i < rows; ++i)
                elman::detail::packed_gemm(1, a.data() + i * lda, lda, w, alone.data() + i * ldz, ldz);
            for (Index i = 0; i < rows; ++i)
                if (std::memcmp(alone.data() + i * ldz, z.data() + i * ldz,
                                static_cast<std::size_t>(padded) * sizeof(Scalar)) != 0)
                    f.add("row " + std::to_string(i) +
                          " computed alone differs bitwise from rows=" + std::to_string(rows));
            for (Index s = 1; s < rows; ++s) {
                std::vector<Scalar> split(static_cast<std::size_t>(rows * ldz), sentinel);
                elman::detail::packed_gemm(s, a.data(), lda, w, split.data(), ldz);
                elman::detail::packed_gemm(rows - s, a.data() + s * lda, lda, w, split.data() + s * ldz, ldz);
                for (Index i = 0; i < rows; ++i)
                    if (std::memcmp(split.data() + i * ldz, z.data() + i * ldz,
                                    static_cast<std::size_t>(padded) * sizeof(Scalar)) != 0)
                        f.add("row " + std::to_string(i) + " of rows=" + std::to_string(rows) + " split at " +
                              std::to_string(s) + " differs bitwise");
            }

            if (rows == 1) {
                // packed_gemv: another summation order, so only the tolerance, padding and bounds claims.
                std::vector<Scalar> zv(static_cast<std::size_t>(ldz), sentinel);
                elman::detail::packed_gemv(a.data(), w, zv.data());
                check_row(c, a.data(), zv.data(), padded, f, "packed_gemv");
                for (Index j = padded; j < ldz; ++j)
                    if (!(zv[static_cast<std::size_t>(j)] == sentinel))
                        f.add("packed_gemv wrote past padded_units at " + std::to_string(j));
            }
        }
        INFO(f.first);
        CHECK(f.count == 0);
    }
}

}  // namespace

TEMPLATE_TEST_CASE("packed_gemm and packed_gemv match a naive double product for every tile shape",
                   "[packed_gemm][detail]", float, double) {
    for (bool with_bias : {true, false}) {
        run_shapes<TestType>(3, 4, with_bias);    // [x h] stacked: both blocks
        run_shapes<TestType>(0, 5, with_bias);    // no input features (top has zero rows)
        run_shapes<TestType>(6, 0, with_bias);    // no recurrent block (bottom has zero rows)
        run_shapes<TestType>(17, 16, with_bias);  // deeper k loop
        run_shapes<TestType>(0, 0, with_bias);    // depth 0: Z is the bias
    }
}

TEMPLATE_TEST_CASE("packed_gemm: a zero bias and zero weights give exact zeros, and the bias is the start value",
                   "[packed_gemm][detail]", float, double) {
    using Traits = elman::detail::PackedGemmTraits<TestType>;
    const Index units = Traits::nr + 1, depth = 4, rows = Traits::mr + 1;
    RowMatrix<TestType> top = RowMatrix<TestType>::Zero(depth, units);
    const RowMatrix<TestType> bottom(0, units);
    Vector<TestType> bias(units);
    for (Index j = 0; j < units; ++j) bias(j) = static_cast<TestType>(0.25 * static_cast<double>(j + 1));
    elman::detail::PackedWeights<TestType> w;
    w.pack(top, bottom, bias);
    std::vector<TestType> a(static_cast<std::size_t>(rows * depth), TestType(3));
    std::vector<TestType> z(static_cast<std::size_t>(rows * w.padded_units()), TestType(-1));
    elman::detail::packed_gemm(rows, a.data(), depth, w, z.data(), w.padded_units());
    for (Index i = 0; i < rows; ++i) {
        for (Index j = 0; j < w.padded_units(); ++j) {
            INFO("row " << i << " column " << j);
            CHECK(z[static_cast<std::size_t>(i * w.padded_units() + j)] == (j < units ? bias(j) : TestType(0)));
        }
    }
    // Exactly representable products: the result must be exact too.
    top.setConstant(TestType(0.5));
    w.pack(top, bottom, Vector<TestType>(0));
    elman::detail::packed_gemm(rows, a.data(), depth, w, z.data(), w.padded_units());
    for (Index i = 0; i < rows; ++i)
        for (Index j = 0; j < w.padded_units(); ++j)
            CHECK(z[static_cast<std::size_t>(i * w.padded_units() + j)] == (j < units ? TestType(6) : TestType(0)));
}
