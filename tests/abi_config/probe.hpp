// SPDX-License-Identifier: MIT
// Shared by the translation units of the configuration-ABI test; included after elman (and io/npz.hpp).
// Each TU is built with different configuration macros (ELMAN_USE_BLAS, ELMAN_HAVE_ZLIB) and reports what
// its own copy of the same inline code does.
#pragma once

#include <string>

#if defined(__GNUC__) || defined(__clang__)
#define ELMAN_ABI_PROBE_NOINLINE __attribute__((noinline))
#else
#define ELMAN_ABI_PROBE_NOINLINE
#endif

#ifdef ELMAN_NAMESPACE_BEGIN
ELMAN_NAMESPACE_BEGIN
// Same tokens in every TU, but its meaning depends on ELMAN_USE_BLAS: without the `_blas` ABI suffix two TUs
// that disagree would define one entity two ways (the linker would keep one, and a TU would see the other's).
ELMAN_ABI_PROBE_NOINLINE inline int abi_config_probe_default_backend() { return static_cast<int>(default_backend); }
ELMAN_NAMESPACE_END

/// What io::load_npz<float> (an inline template whose body depends on ELMAN_HAVE_ZLIB) makes of a
/// compressed .npz: "arrays: <n>" or "error: <message>". `static`: this helper is each TU's own, so only
/// elman's templates are shared between the TUs (and only their ABI tags keep them apart).
static std::string abi_config_probe_npz(const std::string& path) {
    try {
        return "arrays: " + std::to_string(elman::io::load_npz<float>(path).size());
    } catch (const elman::io::FormatError& e) {
        return std::string("error: ") + e.what();
    }
}
#endif

struct ConfigProbe {
    int default_backend;    // static_cast<int>(elman::default_backend) as this TU sees it
    int layer_backend;      // a fresh SimpleRNN's backend()
    std::string type_name;  // typeid(elman::SimpleRNN<float>).name()
    std::string npz;        // abi_config_probe_npz on a compressed .npz
};

ConfigProbe probe_plain(const std::string& compressed_npz);
ConfigProbe probe_blas(const std::string& compressed_npz);
ConfigProbe probe_zlib(const std::string& compressed_npz);
