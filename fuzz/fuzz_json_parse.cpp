// SPDX-License-Identifier: MIT
// libFuzzer target: elman_fuzz::json_parse (see fuzz_entry_points.hpp). Build with -DELMAN_BUILD_FUZZERS=ON (clang).
#include "fuzz_entry_points.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    elman_fuzz::json_parse(data, size);
    return 0;
}
