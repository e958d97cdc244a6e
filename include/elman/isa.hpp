// SPDX-License-Identifier: MIT
// Which SIMD kernels run: chosen at run time from what the CPU and the OS support, so a program built without
// -march (plain x86-64, SSE2 only) still gets the AVX2+FMA or AVX-512 kernels on a CPU that has them.
//
// Paths (elman::Isa):
//   generic  Eigen's packets for whatever the translation unit was compiled for (-march, NEON on aarch64, SSE2
//            on plain x86-64): the only path on other architectures, other compilers, or with ELMAN_ISA=generic.
//   avx2     AVX2 + FMA, 8 floats / 4 doubles per vector, 6-row register tiles (16 vector registers).
//   avx512   AVX-512F, 16 floats / 8 doubles per vector, 12-row register tiles (32 vector registers).
// The avx2 and avx512 kernels are compiled with GCC/Clang `target` attributes on x86-64 (no compiler flag
// needed). Detection uses __builtin_cpu_supports, which also checks that the OS saves the AVX / AVX-512 register
// state (XGETBV), and runs once per process.
//
// Forcing a path:
//   - Environment variable ELMAN_ISA=generic|avx2|avx512, read once, at the first packing of weights (the
//     first call of a layer, the construction of a stream) or the first active_isa(). A path the CPU or the
//     build lacks, or another value, makes that first use throw std::runtime_error naming the variable.
//   - Compile-time macro ELMAN_ISA=generic|avx2|avx512 (e.g. -DELMAN_ISA=avx2): pins the path and ignores the
//     environment. With `generic` no target-attributed code is compiled at all (today's fixed-ISA build, also
//     for toolchains without `target`). The macro is part of the ABI namespace, so translation units built
//     with different settings do not share inline definitions.
// The path is stored with each set of packed weights (the panel width follows the kernel's vector width), so
// a pack and the kernel that reads it never disagree.
#pragma once

#include <elman/config.hpp>
#include <elman/exceptions.hpp>

#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

ELMAN_NAMESPACE_BEGIN

/// A family of SIMD kernels (see the top of this header).
enum class Isa { generic, avx2, avx512 };

/// "generic", "avx2" or "avx512".
inline const char* isa_name(Isa isa) noexcept {
    switch (isa) {
        case Isa::avx2:
            return "avx2";
        case Isa::avx512:
            return "avx512";
        case Isa::generic:
            break;
    }
    return "generic";
}

namespace detail {

/// Whether this build contains the path's kernels (the generic path always).
constexpr bool isa_compiled(Isa isa) noexcept {
    switch (isa) {
        case Isa::avx2:
        case Isa::avx512:
            return ELMAN_DETAIL_X86_KERNELS != 0;
        case Isa::generic:
            break;
    }
    return true;
}

/// What CPUID and the OS allow, ignoring what this build contains.
inline bool cpu_supports(Isa isa) noexcept {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    switch (isa) {
        case Isa::avx2:
            return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        case Isa::avx512:
            return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        case Isa::generic:
            break;
    }
    return true;
#else
    return isa == Isa::generic;
#endif
}

inline Isa best_isa() noexcept {
    for (Isa isa : {Isa::avx512, Isa::avx2})
        if (isa_compiled(isa) && cpu_supports(isa)) return isa;
    return Isa::generic;
}

[[noreturn]] inline void throw_isa_unavailable(const std::string& what) {
    std::string supported;
    for (Isa isa : {Isa::generic, Isa::avx2, Isa::avx512}) {
        if (isa_compiled(isa) && cpu_supports(isa))
            supported += std::string(supported.empty() ? "" : ", ") + isa_name(isa);
    }
    ELMAN_THROW(std::runtime_error("elman: " + what + "; this CPU and build support: " + supported));
}

inline Isa choose_isa() {
#if defined(ELMAN_ISA)
    constexpr Isa pinned = ELMAN_DETAIL_PINNED_ISA;
    if (!cpu_supports(pinned))
        throw_isa_unavailable(std::string("the build pins ELMAN_ISA=") + isa_name(pinned) + ", which this CPU lacks");
    return pinned;
#else
    const char* env = std::getenv("ELMAN_ISA");
    if (env == nullptr || *env == '\0') return best_isa();
    for (Isa isa : {Isa::generic, Isa::avx2, Isa::avx512}) {
        if (std::strcmp(env, isa_name(isa)) != 0) continue;
        if (!isa_compiled(isa) || !cpu_supports(isa))
            throw_isa_unavailable(std::string("environment variable ELMAN_ISA=") + env + " names a path this " +
                                  (isa_compiled(isa) ? "CPU lacks" : "build does not contain"));
        return isa;
    }
    throw_isa_unavailable(std::string("environment variable ELMAN_ISA=\"") + env +
                          "\" is not one of generic, avx2, avx512");
#endif
}

}  // namespace detail

/// True when this build contains the path's kernels and the CPU (and OS) can run them.
inline bool isa_supported(Isa isa) noexcept { return detail::isa_compiled(isa) && detail::cpu_supports(isa); }

/// The path every set of weights packed from now on uses: the best one the CPU supports, unless ELMAN_ISA (the
/// macro, else the environment variable) forces one. Decided once per process; throws std::runtime_error (on
/// every call, until fixed) when the forced path is unavailable or ELMAN_ISA has another value.
inline Isa active_isa() {
    static const Isa isa = detail::choose_isa();
    return isa;
}

ELMAN_NAMESPACE_END
