// SPDX-License-Identifier: MIT
// A consumer program: builds with nothing but elman's headers (multi-header or single header) and Eigen,
// checks one SimpleRNN forward pass against a hand-written recurrence and the version macros.
//
//   c++ -std=c++17 -I single_include -I /usr/include/eigen3 tests/vendored/main.cpp
//
// The CMake consumer projects (tests/cmake_import, tests/cmake_subdir) compile this file too, with
// EXPECTED_ELMAN_VERSION set to the version their find_package()/add_subdirectory() reported.
#include <elman/elman.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#define ELMAN_CONSUMER_STR_IMPL(x) #x
#define ELMAN_CONSUMER_STR(x) ELMAN_CONSUMER_STR_IMPL(x)

int main() {
    const std::string version = std::to_string(ELMAN_VERSION_MAJOR) + "." + std::to_string(ELMAN_VERSION_MINOR) + "." +
                                std::to_string(ELMAN_VERSION_PATCH);
#ifdef EXPECTED_ELMAN_VERSION
    if (version != EXPECTED_ELMAN_VERSION) {
        std::printf("header version %s differs from the package version %s\n", version.c_str(), EXPECTED_ELMAN_VERSION);
        return 1;
    }
#endif
    // The version, plus `_blas` when ELMAN_USE_BLAS changes the inline definitions (config.hpp).
#if defined(ELMAN_USE_BLAS)
    const std::string abi_suffix = "_blas";
#else
    const std::string abi_suffix;
#endif
    if (std::strcmp(ELMAN_CONSUMER_STR(ELMAN_ABI_NAMESPACE),
                    ("v" + std::to_string(ELMAN_VERSION_MAJOR) + "_" + std::to_string(ELMAN_VERSION_MINOR) + "_" +
                     std::to_string(ELMAN_VERSION_PATCH) + abi_suffix)
                        .c_str()) != 0) {
        std::printf("ABI namespace %s does not match version %s\n", ELMAN_CONSUMER_STR(ELMAN_ABI_NAMESPACE),
                    version.c_str());
        return 1;
    }

    // Two units, one feature, three time steps, batch of one; tanh(x W + h U + b) by hand.
    const std::vector<double> kernel{0.5, -0.3};                // [1, 2]
    const std::vector<double> recurrent{0.25, 0.1, -0.2, 0.4};  // [2, 2], row-major
    const std::vector<double> bias{0.1, -0.05};                 // [2]
    const std::vector<double> xs{1.0, -2.0, 0.5};

    elman::SimpleRNN<double> rnn(2);
    rnn.set_weights(std::vector<elman::Tensor<double>>{elman::Tensor<double>({1, 2}, kernel),
                                                       elman::Tensor<double>({2, 2}, recurrent),
                                                       elman::Tensor<double>({2}, bias)});
    const elman::Tensor<double> inputs({1, 3, 1}, xs);
    const auto output = rnn(inputs).output;

    double h[2] = {0.0, 0.0};
    for (double x : xs) {
        double next[2];
        for (int j = 0; j < 2; ++j) {
            next[j] = std::tanh(x * kernel[j] + h[0] * recurrent[0 * 2 + j] + h[1] * recurrent[1 * 2 + j] + bias[j]);
        }
        h[0] = next[0];
        h[1] = next[1];
    }
    if (output.shape().to_string() != "(1, 2)" || std::abs(output(0, 0) - h[0]) > 1e-12 ||
        std::abs(output(0, 1) - h[1]) > 1e-12) {
        std::printf("unexpected output %s [%.17g, %.17g], expected [%.17g, %.17g]\n",
                    output.shape().to_string().c_str(), output(0, 0), output(0, 1), h[0], h[1]);
        return 1;
    }
    std::printf("elman %s (%s): SimpleRNN output [%.6f, %.6f] as expected\n", version.c_str(),
                ELMAN_CONSUMER_STR(ELMAN_ABI_NAMESPACE), output(0, 0), output(0, 1));
    return 0;
}
