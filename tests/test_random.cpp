// elman::Random (include/elman/random.hpp): the same numbers on every platform (known answers of
// splitmix64-seeded xoshiro256**), reseed and copy semantics, and the distributions' ranges and moments with
// bounds of about 5 to 6 standard errors: a correct generator passes them (fixed seeds, so deterministically),
// one whose output is biased, narrowed or correlated by more than a few percent does not.
#include <elman/random.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

namespace {
// Everything a caller can draw, interleaved (normal() keeps a spare value, so the order matters).
std::vector<double> draw_mixed(elman::Random& rng, int n) {
    std::vector<double> out;
    for (int i = 0; i < n; ++i) {
        out.push_back(static_cast<double>(rng.next_u64() >> 11));
        out.push_back(rng.uniform());
        out.push_back(rng.normal());
        out.push_back(rng.uniform(-3.0, 5.0));
        out.push_back(rng.truncated_normal(1.0, 2.0));
    }
    return out;
}
}  // namespace

TEST_CASE("Random: splitmix64-seeded xoshiro256** known answers", "[random]") {
    // Reference values from the published algorithms (Vigna's splitmix64.c and xoshiro256starstar.c), seeded
    // as the header documents: state[i] = splitmix64 outputs 1..4 of the seed.
    struct Known {
        std::uint64_t seed;
        std::array<std::uint64_t, 3> first;
    };
    const Known known[] = {{0u, {0x99ec5f36cb75f2b4u, 0xbf6e1f784956452au, 0x1a5f849d4933e6e0u}},
                           {42u, {0x15780b2e0c2ec716u, 0x6104d9866d113a7eu, 0xae17533239e499a1u}},
                           {0xFFFFFFFFFFFFFFFFu, {0x8f5520d52a7ead08u, 0xc476a018caa1802du, 0x81de31c0d260469eu}}};
    for (const Known& k : known) {
        INFO("seed " << k.seed);
        elman::Random rng(k.seed);
        for (std::uint64_t expected : k.first) CHECK(rng.next_u64() == expected);
    }
    // uniform() is the top 53 bits times 2^-53.
    elman::Random rng(42);
    CHECK(rng.uniform() == static_cast<double>(0x15780b2e0c2ec716u >> 11) * 0x1.0p-53);
    CHECK(rng.uniform() == static_cast<double>(0x6104d9866d113a7eu / 2048) * 0x1.0p-53);
}

TEST_CASE("Random: reseed restarts the sequence, including a pending spare normal", "[random]") {
    elman::Random fresh(7);
    const std::vector<double> expected = draw_mixed(fresh, 200);

    elman::Random rng(123);
    (void)draw_mixed(rng, 3);
    (void)rng.normal();  // an odd number of normals: one spare is pending now
    rng.reseed(7);
    CHECK(draw_mixed(rng, 200) == expected);
    rng.reseed(7);
    CHECK(draw_mixed(rng, 200) == expected);

    // Different seeds, different streams (also neighbouring seeds).
    elman::Random a(7), b(8);
    CHECK(draw_mixed(a, 10) != draw_mixed(b, 10));
}

TEST_CASE("Random: copies continue identically, independently of the original", "[random]") {
    elman::Random original(99);
    (void)draw_mixed(original, 5);
    (void)original.normal();  // spare pending: the copy must carry it
    elman::Random copy = original;
    const std::vector<double> from_copy = draw_mixed(copy, 100);
    CHECK(draw_mixed(original, 100) == from_copy);

    elman::Random assigned(1);
    assigned = original;
    (void)original.next_u64();  // advancing the original does not advance the copy
    elman::Random reference = assigned;
    CHECK(draw_mixed(assigned, 50) == draw_mixed(reference, 50));
}

TEST_CASE("Random: nondeterministic() generators differ", "[random]") {
    elman::Random a = elman::Random::nondeterministic(), b = elman::Random::nondeterministic();
    CHECK(draw_mixed(a, 4) != draw_mixed(b, 4));
}

TEST_CASE("Random: uniform() lies in 0 <= u < 1 with 53-bit resolution and is flat", "[random]") {
    elman::Random rng(2024);
    constexpr int n = 640000, bins = 64;
    std::array<int, bins> counts{};
    double min = 1.0, max = 0.0, sum = 0.0, lag_sum = 0.0, previous = rng.uniform();
    int odd_mantissa = 0, not_integer = 0;
    for (int i = 0; i < n; ++i) {
        const double u = rng.uniform();
        min = std::min(min, u);
        max = std::max(max, u);
        sum += u;
        lag_sum += (u - 0.5) * (previous - 0.5);
        previous = u;
        ++counts[static_cast<std::size_t>(std::min(bins - 1, static_cast<int>(u * bins)))];
        const double scaled = std::ldexp(u, 53);
        if (scaled != std::floor(scaled)) ++not_integer;
        if (std::fmod(scaled, 2.0) == 1.0) ++odd_mantissa;
    }
    CHECK(min >= 0.0);
    CHECK(max < 1.0);
    CHECK(min < 1e-4);  // about 1/n: the range is really [0, 1), not a narrower one
    CHECK(max > 1.0 - 1e-4);
    CHECK(not_integer == 0);             // multiples of 2^-53
    CHECK(odd_mantissa > n / 2 - 5000);  // the lowest of the 53 bits is random too
    CHECK(odd_mantissa < n / 2 + 5000);
    // Mean 1/2 +- 5 standard errors (sd of U[0,1) is 1/sqrt(12)).
    CHECK(std::abs(sum / n - 0.5) < 5.0 / std::sqrt(12.0 * n));
    // Lag-1 correlation (variance 1/144 per product): |r| < 5 / sqrt(n).
    CHECK(std::abs(lag_sum / n * 12.0) < 5.0 / std::sqrt(double(n)));
    // Chi-square with 63 degrees of freedom: mean 63, sd sqrt(126) ~ 11.2; 63 + 6 sd ~ 130.
    double chi2 = 0.0;
    const double expected = double(n) / bins;
    for (int c : counts) chi2 += (c - expected) * (c - expected) / expected;
    CHECK(chi2 < 130.0);

    // Every bit of next_u64 is balanced: 1/2 +- 6 standard errors.
    std::array<int, 64> ones{};
    constexpr int m = 100000;
    for (int i = 0; i < m; ++i) {
        const std::uint64_t x = rng.next_u64();
        for (std::size_t bit = 0; bit < 64; ++bit) ones[bit] += static_cast<int>((x >> bit) & 1u);
    }
    for (std::size_t bit = 0; bit < 64; ++bit) {
        INFO("bit " << bit);
        CHECK(std::abs(ones[bit] / double(m) - 0.5) < 6.0 * 0.5 / std::sqrt(double(m)));
    }
}

TEST_CASE("Random: uniform(lo, hi) lies in lo <= u < hi", "[random]") {
    elman::Random rng(5);
    double min = 1e300, max = -1e300;
    for (int i = 0; i < 100000; ++i) {
        const double u = rng.uniform(-0.25, 0.75);
        min = std::min(min, u);
        max = std::max(max, u);
    }
    CHECK(min >= -0.25);
    CHECK(max < 0.75);
    CHECK(min < -0.25 + 1e-3);
    CHECK(max > 0.75 - 1e-3);
}

TEST_CASE("Random: normal() and truncated_normal() have the right moments", "[random]") {
    elman::Random rng(31337);
    constexpr int n = 400000;
    double sum = 0.0, sum2 = 0.0, sum3 = 0.0;
    int within_one = 0;
    for (int i = 0; i < n; ++i) {
        const double x = rng.normal();
        sum += x;
        sum2 += x * x;
        sum3 += x * x * x;
        if (std::abs(x) < 1.0) ++within_one;
    }
    const double mean = sum / n, var = sum2 / n - mean * mean;
    CHECK(std::abs(mean) < 5.0 / std::sqrt(double(n)));
    CHECK(std::abs(var - 1.0) < 5.0 * std::sqrt(2.0 / n));  // var of x^2 is 2
    CHECK(std::abs(sum3 / n) < 5.0 * std::sqrt(15.0 / n));  // symmetric: E x^3 = 0, var of x^3 is 15
    const double p = 0.682689492137086;                     // P(|x| < 1)
    CHECK(std::abs(within_one / double(n) - p) < 5.0 * std::sqrt(p * (1 - p) / n));

    // Truncated to mean +- 2 sd by redrawing: sd of the truncated standard normal is 0.8796256610342398.
    double tsum = 0.0, tsum2 = 0.0, tmin = 1e300, tmax = -1e300;
    for (int i = 0; i < n; ++i) {
        const double x = rng.truncated_normal(3.0, 0.5);
        tsum += x;
        tsum2 += x * x;
        tmin = std::min(tmin, x);
        tmax = std::max(tmax, x);
    }
    const double tmean = tsum / n, tsd = std::sqrt(tsum2 / n - tmean * tmean);
    CHECK(tmin >= 3.0 - 1.0);
    CHECK(tmax <= 3.0 + 1.0);
    CHECK(tmin < 2.0 + 0.01);  // the whole truncated range is used
    CHECK(tmax > 4.0 - 0.01);
    CHECK(std::abs(tmean - 3.0) < 5.0 * 0.5 * 0.88 / std::sqrt(double(n)));
    CHECK(std::abs(tsd - 0.5 * 0.8796256610342398) < 0.003);  // ~6 standard errors
}
