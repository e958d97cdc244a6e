// SPDX-License-Identifier: MIT
// A small, portable random generator: the same seed gives the same numbers on every compiler and standard
// library (std::normal_distribution & co. are implementation-defined, so they are not used).
#pragma once

#include <elman/config.hpp>

#include <cmath>
#include <cstdint>
#include <random>

ELMAN_NAMESPACE_BEGIN

/// xoshiro256** seeded through splitmix64, plus the few distributions Keras' initializers and dropout need.
class Random {
  public:
    explicit Random(std::uint64_t seed) noexcept { reseed(seed); }

    /// A generator seeded from std::random_device (Keras' behaviour for an unseeded initializer or dropout).
    static Random nondeterministic() {
        std::random_device device;
        const std::uint64_t seed = (static_cast<std::uint64_t>(device()) << 32) ^ device();
        return Random(seed);
    }

    void reseed(std::uint64_t seed) noexcept {
        for (auto& word : state_) {
            seed += 0x9E3779B97F4A7C15ull;
            std::uint64_t z = seed;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
            word = z ^ (z >> 31);
        }
        has_spare_normal_ = false;
    }

    std::uint64_t next_u64() noexcept {
        const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
        const std::uint64_t t = state_[1] << 17;
        state_[2] ^= state_[0];
        state_[3] ^= state_[1];
        state_[1] ^= state_[2];
        state_[0] ^= state_[3];
        state_[2] ^= t;
        state_[3] = rotl(state_[3], 45);
        return result;
    }

    /// Uniform double in [0, 1) with 53 random bits.
    double uniform() noexcept { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

    /// Uniform double in [lo, hi).
    double uniform(double lo, double hi) noexcept { return lo + (hi - lo) * uniform(); }

    /// Standard normal (Marsaglia's polar method).
    double normal() noexcept {
        if (has_spare_normal_) {
            has_spare_normal_ = false;
            return spare_normal_;
        }
        double u, v, s;
        do {
            u = uniform(-1.0, 1.0);
            v = uniform(-1.0, 1.0);
            s = u * u + v * v;
        } while (s >= 1.0 || s == 0.0);
        const double factor = std::sqrt(-2.0 * std::log(s) / s);
        spare_normal_ = v * factor;
        has_spare_normal_ = true;
        return u * factor;
    }

    /// Normal(mean, stddev) truncated to mean +- 2 stddev by redrawing, as TF's truncated_normal.
    double truncated_normal(double mean, double stddev) noexcept {
        double x;
        do {
            x = normal();
        } while (std::abs(x) > 2.0);
        return mean + stddev * x;
    }

  private:
    static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }

    std::uint64_t state_[4] = {};
    double spare_normal_ = 0.0;
    bool has_spare_normal_ = false;
};

ELMAN_NAMESPACE_END
