// SPDX-License-Identifier: MIT
// Translation units built with different configuration macros in one program must each run their own
// definitions: ELMAN_USE_BLAS is part of the ABI namespace (elman::v<version>_blas), ELMAN_HAVE_ZLIB tags the
// .npz readers (io::with_zlib / io::without_zlib). Without the tags the same inline functions would be defined
// differently in different TUs (an ODR violation the linker resolves silently by keeping one definition).
#include <cstdio>
#include <cstring>
#include <string>

#include "probe.hpp"

namespace {
int failures = 0;
void expect(bool ok, const std::string& what) {
    if (!ok) {
        std::printf("FAILED: %s\n", what.c_str());
        ++failures;
    }
}
}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::printf("usage: %s <a deflate-compressed .npz>\n", argv[0]);
        return 2;
    }
    const std::string npz = argv[1];
    const ConfigProbe plain = probe_plain(npz);
    const ConfigProbe blas = probe_blas(npz);
    std::printf("plain: %s, backend %d, npz %s\n", plain.type_name.c_str(), plain.default_backend, plain.npz.c_str());
    std::printf("blas:  %s, backend %d, npz %s\n", blas.type_name.c_str(), blas.default_backend, blas.npz.c_str());
    // Backend::packed == 0, Backend::gemm == 1.
    expect(plain.default_backend == 0 && plain.layer_backend == 0, "the plain TU defaults to the packed backend");
    expect(blas.default_backend == 1 && blas.layer_backend == 1, "the ELMAN_USE_BLAS TU defaults to the gemm backend");
    expect(plain.type_name != blas.type_name, "SimpleRNN<float> must be a different type with ELMAN_USE_BLAS");
    expect(blas.type_name.find("_blas") != std::string::npos, "the ELMAN_USE_BLAS type name carries `_blas`");
    expect(plain.type_name.find("_blas") == std::string::npos, "the plain type name has no `_blas`");
    expect(plain.npz.find("built without zlib") != std::string::npos, "the plain TU reads .npz without zlib");
#if defined(ELMAN_ABI_CONFIG_ZLIB_TU)
    const ConfigProbe zlib = probe_zlib(npz);
    std::printf("zlib:  %s, backend %d, npz %s\n", zlib.type_name.c_str(), zlib.default_backend, zlib.npz.c_str());
    expect(zlib.npz.rfind("arrays: ", 0) == 0, "the ELMAN_HAVE_ZLIB TU decodes the compressed .npz");
    // zlib changes only the .npz readers: the types user code passes between TUs stay the same.
    expect(zlib.type_name == plain.type_name, "ELMAN_HAVE_ZLIB must not change SimpleRNN<float>'s type");
    expect(zlib.default_backend == 0, "the zlib TU defaults to the packed backend");
#else
    std::printf("zlib:  not found by this build; the ELMAN_HAVE_ZLIB half is skipped\n");
#endif
    if (failures == 0) std::printf("each translation unit runs its own configuration\n");
    return failures == 0 ? 0 : 1;
}
