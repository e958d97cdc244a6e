// SPDX-License-Identifier: MIT
// Two copies of elman with different versions in one program must not clash: each lives in its own
// inline namespace (elman::v1_0_0, elman::v0_9_0), so every symbol differs and each TU gets its own code.
#include <cstdio>
#include <cstring>
#include <string>

#include "probe.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::printf("usage: %s <current ELMAN_VERSION integer>\n", argv[0]);
        return 2;
    }
    const int expected_current = std::stoi(argv[1]);
    int failures = 0;
    if (current::version() != expected_current || old::version() != 900) {
        std::printf("version probes: current %d (expected %d), old %d (expected 900)\n", current::version(),
                    expected_current, old::version());
        ++failures;
    }
    if (std::strcmp(current::layer_type_name(), old::layer_type_name()) == 0) {
        std::printf("elman::SimpleRNN<float> is the same type (%s) in both copies\n", current::layer_type_name());
        ++failures;
    }
    if (std::strstr(old::layer_type_name(), "v0_9_0") == nullptr) {
        std::printf("the 0.9.0 copy's type name %s lacks its ABI tag v0_9_0\n", old::layer_type_name());
        ++failures;
    }
    if (current::forward() != old::forward()) {
        std::printf("the two copies compute different results: %.17g vs %.17g\n", current::forward(), old::forward());
        ++failures;
    }
    if (failures == 0)
        std::printf("two elman versions coexist: %s / %s\n", current::layer_type_name(), old::layer_type_name());
    return failures == 0 ? 0 : 1;
}
