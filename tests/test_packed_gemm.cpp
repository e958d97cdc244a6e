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

#include <algorithm>
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

// Every path this CPU and build can run; the others are reported once per test case, not silently dropped.
std::vector<elman::Isa> runnable_isas() {
    std::vector<elman::Isa> isas;
    for (elman::Isa isa : {elman::Isa::generic, elman::Isa::avx2, elman::Isa::avx512}) {
        if (elman::isa_supported(isa)) {
            isas.push_back(isa);
        } else {
            WARN("skipping the " << elman::isa_name(isa) << " kernels: not supported by this CPU or build");
        }
    }
    return isas;
}

template <class Scalar>
void run_shapes(Index top_rows, Index bottom_rows, bool with_bias, elman::Isa isa) {
    const Index MR = elman::detail::tile_rows<Scalar>(isa), NR = elman::detail::panel_width<Scalar>(isa);
    const Scalar sentinel = Scalar(-12345.5);
    const Scalar nan = std::numeric_limits<Scalar>::quiet_NaN();
    elman::Random rng(static_cast<std::uint64_t>(1000 * top_rows + 10 * bottom_rows + (with_bias ? 1 : 0)));
    // One object for every U: pack() must repack completely when the shape changes. Every column count up to
    // one panel and one column (each remainder of a last panel), then one column short / exact / one over for 2
    // to 5 panels (the 4-, 2- and 1-panel tile groups and their leftovers) - not all 5 * NR counts, which made this
    // test the longest of a Debug run without reaching another code path.
    std::vector<Index> unit_counts;
    for (Index units = 1; units <= NR + 1; ++units) unit_counts.push_back(units);
    for (Index p = 2; p <= 5; ++p)
        for (Index units : {p * NR - 1, p * NR, p * NR + 1})
            if (units > unit_counts.back()) unit_counts.push_back(units);
    elman::detail::PackedWeights<Scalar> w;
    for (Index units : unit_counts) {
        Case<Scalar> c;
        c.top = random_matrix<Scalar>(rng, top_rows, units);
        c.bottom = random_matrix<Scalar>(rng, bottom_rows, units);
        c.bias = with_bias ? Vector<Scalar>(random_matrix<Scalar>(rng, units, 1)) : Vector<Scalar>(0);
        w.pack(c.top, c.bottom, c.bias, isa);
        REQUIRE(w.isa() == isa);
        REQUIRE(w.nr() == NR);
        const Index depth = c.depth();
        const Index panels = (units + NR - 1) / NR;
        INFO(elman::isa_name(isa) << " kernels, depth " << depth << " (top " << top_rows << ", bottom " << bottom_rows
                                  << "), U " << units << (with_bias ? ", bias" : ", no bias") << ", NR " << NR
                                  << ", MR " << MR);
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

            // Bit identity across panel blockings (every row tile over a block of panels, then the next block).
            for (Index block = 1; block <= 3 && block < panels; ++block) {
                w.set_block_panels(block);
                std::vector<Scalar> blocked(static_cast<std::size_t>(rows * ldz), sentinel);
                elman::detail::packed_gemm(rows, a.data(), lda, w, blocked.data(), ldz);
                for (Index i = 0; i < rows; ++i)
                    if (std::memcmp(blocked.data() + i * ldz, z.data() + i * ldz,
                                    static_cast<std::size_t>(padded) * sizeof(Scalar)) != 0)
                        f.add("row " + std::to_string(i) + " of rows=" + std::to_string(rows) + " with blocks of " +
                              std::to_string(block) + " panels differs bitwise");
            }
            w.set_block_panels(panels);

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
    for (elman::Isa isa : runnable_isas()) {
        for (bool with_bias : {true, false}) {
            run_shapes<TestType>(3, 4, with_bias, isa);    // [x h] stacked: both blocks
            run_shapes<TestType>(0, 5, with_bias, isa);    // no input features (top has zero rows)
            run_shapes<TestType>(6, 0, with_bias, isa);    // no recurrent block (bottom has zero rows)
            run_shapes<TestType>(17, 16, with_bias, isa);  // deeper k loop
            run_shapes<TestType>(0, 0, with_bias, isa);    // depth 0: Z is the bias
        }
    }
}

TEMPLATE_TEST_CASE("packed_gemm: a zero bias and zero weights give exact zeros, and the bias is the start value",
                   "[packed_gemm][detail]", float, double) {
    for (elman::Isa isa : runnable_isas()) {
        INFO(elman::isa_name(isa) << " kernels");
        const Index units = elman::detail::panel_width<TestType>(isa) + 1, depth = 4,
                    rows = elman::detail::tile_rows<TestType>(isa) + 1;
        RowMatrix<TestType> top = RowMatrix<TestType>::Zero(depth, units);
        const RowMatrix<TestType> bottom(0, units);
        Vector<TestType> bias(units);
        for (Index j = 0; j < units; ++j) bias(j) = static_cast<TestType>(0.25 * static_cast<double>(j + 1));
        elman::detail::PackedWeights<TestType> w;
        w.pack(top, bottom, bias, isa);
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
        w.pack(top, bottom, Vector<TestType>(0), isa);
        elman::detail::packed_gemm(rows, a.data(), depth, w, z.data(), w.padded_units());
        for (Index i = 0; i < rows; ++i)
            for (Index j = 0; j < w.padded_units(); ++j)
                CHECK(z[static_cast<std::size_t>(i * w.padded_units() + j)] == (j < units ? TestType(6) : TestType(0)));
    }
}

// The paths that multiply-add with one rounding (avx2, avx512, and generic when Eigen's packets have FMA) sum
// every element in the same order, so their products are bit-identical whatever their vector width; generic SSE2
// packets round the product and the sum separately, so they only match within the tolerance above.
TEMPLATE_TEST_CASE("packed kernels give bit-identical results on every FMA path", "[packed_gemm][detail][isa]", float,
                   double) {
    std::vector<elman::Isa> fma_paths;
    for (elman::Isa isa : runnable_isas()) {
#if !defined(EIGEN_VECTORIZE_FMA)
        if (isa == elman::Isa::generic) continue;
#endif
        fma_paths.push_back(isa);
    }
    if (fma_paths.size() < 2) {
        WARN("fewer than two FMA paths on this CPU and build: nothing to compare");
        return;
    }
    elman::Random rng(77);
    for (Index units : {1, 7, 16, 33, 64, 100}) {
        for (Index depth : {0, 1, 5, 40}) {
            const RowMatrix<TestType> top = random_matrix<TestType>(rng, depth / 2, units),
                                      bottom = random_matrix<TestType>(rng, depth - depth / 2, units);
            const Vector<TestType> bias = random_matrix<TestType>(rng, units, 1);
            const Index rows = 29;  // more than two tiles of every path, with remainders
            const RowMatrix<TestType> a = random_matrix<TestType>(rng, rows, std::max<Index>(depth, 1));
            std::vector<std::vector<TestType>> gemm, gemv;
            for (elman::Isa isa : fma_paths) {
                elman::detail::PackedWeights<TestType> w;
                w.pack(top, bottom, bias, isa);
                std::vector<TestType> z(static_cast<std::size_t>(rows * w.padded_units()));
                elman::detail::packed_gemm(rows, a.data(), a.cols(), w, z.data(), w.padded_units());
                std::vector<TestType> zv(static_cast<std::size_t>(w.padded_units()));
                elman::detail::packed_gemv(a.data(), w, zv.data());
                // Compare the U real columns only (the padding differs in width).
                std::vector<TestType> real, real_v(zv.begin(), zv.begin() + units);
                for (Index i = 0; i < rows; ++i)
                    real.insert(real.end(), z.begin() + i * w.padded_units(), z.begin() + i * w.padded_units() + units);
                gemm.push_back(real);
                gemv.push_back(real_v);
            }
            for (std::size_t p = 1; p < fma_paths.size(); ++p) {
                INFO("U " << units << ", depth " << depth << ": " << elman::isa_name(fma_paths[p]) << " vs "
                          << elman::isa_name(fma_paths[0]));
                CHECK(std::memcmp(gemm[p].data(), gemm[0].data(), gemm[0].size() * sizeof(TestType)) == 0);
                CHECK(std::memcmp(gemv[p].data(), gemv[0].data(), gemv[0].size() * sizeof(TestType)) == 0);
            }
        }
    }
}

// The vector tanh of the x86-64 paths is Eigen's float approximation (FMA variant) evaluated with intrinsics.
TEST_CASE("simd_tanh: Eigen's float tanh on every vector path, the same in every column",
          "[packed_gemm][detail][isa]") {
    const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
    std::vector<float> z;
    for (int i = -4000; i <= 4000; ++i) z.push_back(static_cast<float>(i) * 0.0025f);  // [-10, 10]
    for (float v : {0.0f, -0.0f, 1e-30f, -3e-4f, 3.9e-4f, 4e-4f, 7.9f, 7.99881172180175781f, 8.0f, 20.0f, -20.0f, inf,
                    -inf, nan, std::numeric_limits<float>::denorm_min(), std::numeric_limits<float>::max()})
        z.push_back(v);
    const Index n = static_cast<Index>(z.size());
    bool any = false;
    std::vector<float> first;
    for (elman::Isa isa : runnable_isas()) {
        if (isa == elman::Isa::generic) {
            std::vector<float> unused(z.size());
            CHECK_FALSE(elman::detail::simd_tanh(isa, 1, n, z.data(), n, unused.data(), n));
            continue;
        }
        INFO(elman::isa_name(isa));
        std::vector<float> y(z.size() + 1, -7.0f);  // one sentinel past the end: partial stores stay inside
        REQUIRE(elman::detail::simd_tanh(isa, 1, n, z.data(), n, y.data(), n));
        CHECK(y.back() == -7.0f);
        int bad = 0;
        for (std::size_t i = 0; i < z.size(); ++i) {
            const float want = std::tanh(z[i]);
            const bool ok = std::isnan(z[i]) ? std::isnan(y[i])
                                             : std::abs(y[i] - want) <= 4 * std::numeric_limits<float>::epsilon() *
                                                                            std::max(std::abs(want), 1e-30f);
            if (!ok && bad++ < 5) FAIL_CHECK("tanh(" << z[i] << ") = " << y[i] << ", std::tanh " << want);
            if (std::abs(z[i]) < 4e-4f) CHECK(y[i] == z[i]);  // Eigen returns x itself below 0.0004
        }
        // Every value must come out the same wherever it sits in a row (full vectors and the partial tail).
        for (Index width : {1, 3, 15, 17, 31}) {
            std::vector<float> out(static_cast<std::size_t>(width));
            for (std::size_t i = 0; i + static_cast<std::size_t>(width) <= z.size(); i += 97) {
                elman::detail::simd_tanh(isa, 1, width, z.data() + i, width, out.data(), width);
                for (Index j = 0; j < width; ++j) {
                    const std::size_t at = i + static_cast<std::size_t>(j);
                    if (!std::isnan(z[at]) && !(out[static_cast<std::size_t>(j)] == y[at]) && bad++ < 5)
                        FAIL_CHECK("tanh(" << z[at] << ") at column " << j << " of " << width << " differs");
                }
            }
        }
        if (any) CHECK(std::memcmp(first.data(), y.data(), z.size() * sizeof(float)) == 0);
        first = y;
        any = true;
    }
#if defined(EIGEN_VECTORIZE_FMA)
    // Built for an FMA machine, Eigen's own array tanh evaluates the same formula: identical full vectors.
    if (any) {
        Eigen::ArrayXf eigen = Eigen::Map<const Eigen::ArrayXf>(z.data(), n).tanh();
        const Index full =
            n / Eigen::internal::packet_traits<float>::size * Eigen::internal::packet_traits<float>::size;
        for (Index i = 0; i < full; ++i)
            if (!std::isnan(z[static_cast<std::size_t>(i)])) CHECK(eigen(i) == first[static_cast<std::size_t>(i)]);
    }
#endif
}

// packed_gemm_accumulate continues each element's FMA chain from Z: a product split into k blocks, the first by
// packed_gemm (zero bias) and the rest accumulated in order, is bitwise one packed_gemm over the whole depth,
// for every row count up to 2*MR+1 and every panel remainder. The bias is not read when accumulating.
TEMPLATE_TEST_CASE("packed_gemm_accumulate: k blocks in order give the whole product bit for bit",
                   "[packed_gemm][detail]", float, double) {
    elman::Random rng(91);
    for (elman::Isa isa : runnable_isas()) {
        INFO(elman::isa_name(isa) << " kernels");
        const Index nr = elman::detail::panel_width<TestType>(isa), mr = elman::detail::tile_rows<TestType>(isa);
        for (Index units : {Index(1), nr - 1, nr + 3, 3 * nr}) {
            for (Index block : {1, 3, 8}) {
                const Index depth = 2 * block + 1;  // two full blocks and a remainder
                const RowMatrix<TestType> weights = random_matrix<TestType>(rng, depth, units);
                const RowMatrix<TestType> none(0, units);
                elman::detail::PackedWeights<TestType> whole;
                whole.pack(weights, none, Vector<TestType>(0), isa);
                std::vector<elman::detail::PackedWeights<TestType>> blocks;
                for (Index k = 0; k < depth; k += block) {
                    blocks.emplace_back();
                    const Vector<TestType> ignored = random_matrix<TestType>(rng, units, 1);  // never read
                    blocks.back().pack(weights.middleRows(k, std::min(block, depth - k)), none,
                                       k == 0 ? Vector<TestType>(0) : ignored, isa);
                }
                for (Index rows = 1; rows <= 2 * mr + 1; ++rows) {
                    const RowMatrix<TestType> a = random_matrix<TestType>(rng, rows, depth);
                    const Index ldz = whole.padded_units();
                    std::vector<TestType> expected(static_cast<std::size_t>(rows * ldz)),
                        got(static_cast<std::size_t>(rows * ldz));
                    elman::detail::packed_gemm(rows, a.data(), depth, whole, expected.data(), ldz);
                    for (std::size_t k = 0; k < blocks.size(); ++k) {
                        const TestType* ak = a.data() + static_cast<Index>(k) * block;
                        if (k == 0) {
                            elman::detail::packed_gemm(rows, ak, depth, blocks[k], got.data(), ldz);
                        } else {
                            elman::detail::packed_gemm_accumulate(rows, ak, depth, blocks[k], got.data(), ldz);
                        }
                    }
                    INFO("U " << units << ", k block " << block << ", rows " << rows);
                    CHECK(std::memcmp(got.data(), expected.data(), got.size() * sizeof(TestType)) == 0);
                }
            }
        }
    }
}

TEMPLATE_TEST_CASE("PackedWeights: packing row by row gives pack()'s panels, zero bias and padding",
                   "[packed_gemm][detail]", float, double) {
    elman::Random rng(92);
    for (elman::Isa isa : runnable_isas()) {
        INFO(elman::isa_name(isa) << " kernels");
        const Index nr = elman::detail::panel_width<TestType>(isa);
        for (Index units : {Index(1), nr - 1, nr + 3, 3 * nr}) {
            const Index depth = 5;
            const RowMatrix<TestType> weights = random_matrix<TestType>(rng, depth, units);
            elman::detail::PackedWeights<TestType> whole, rows;
            whole.pack(weights, RowMatrix<TestType>(0, units), Vector<TestType>(0), isa);
            // Storage that held other values first: every padding column and the bias must still come out 0.
            rows.pack(random_matrix<TestType>(rng, depth, units), RowMatrix<TestType>(0, units),
                      Vector<TestType>(random_matrix<TestType>(rng, units, 1)), isa);
            rows.allocate(depth, units, isa);
            rows.reset_rows(depth, units, isa);
            for (Index k = 0; k < depth; ++k) rows.set_row(k, weights.row(k).data());
            INFO("U " << units);
            REQUIRE(rows.panels() == whole.panels());
            CHECK(std::memcmp(rows.bias(), whole.bias(),
                              static_cast<std::size_t>(whole.padded_units()) * sizeof(TestType)) == 0);
            for (Index p = 0; p < whole.panels(); ++p) {
                CHECK(std::memcmp(rows.panel(p), whole.panel(p),
                                  static_cast<std::size_t>(depth * nr) * sizeof(TestType)) == 0);
            }
        }
    }
}
