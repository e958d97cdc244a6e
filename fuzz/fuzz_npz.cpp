// SPDX-License-Identifier: MIT
// libFuzzer target: elman_fuzz::npz (see fuzz_entry_points.hpp). Build with -DELMAN_BUILD_FUZZERS=ON (clang).
#include "fuzz_entry_points.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    elman_fuzz::npz(data, size);
    return 0;
}
