// SPDX-License-Identifier: MIT
// elman 1.0.0 -- Keras SimpleRNN (TF 2.4 semantics) as a header-only C++17 library on Eigen 3.4.
// Copyright (c) 2026 The elman authors. MIT License, see LICENSE in the elman repository.
//
// GENERATED FILE, DO NOT EDIT. Produced by tools/amalgamate.py from include/elman/elman.hpp;
// rerun `python3 tools/amalgamate.py` after changing any header. Requires only Eigen and the
// C++17 standard library: `c++ -std=c++17 -I single_include -I /usr/include/eigen3 main.cpp`.
#pragma once

// Umbrella header: everything elman offers. `#include <elman/elman.hpp>` and use `elman::SimpleRNN`.

// #include <elman/activation_registry.hpp>
// Run-time dispatch from a Keras activation name to the matching activation type.

// #include <elman/activations.hpp>
// Keras 2.4 activations as policy types for SimpleRNN's `Activation` template parameter.
//
// An activation is a (possibly stateful) functor type with:
//   static constexpr const char* keras_name;                 // name used in Keras configs
//   template <class Z, class Y> void forward(const Eigen::ArrayBase<Z>& z, Y&& y) const;
//       y = act(z) for a [rows, units] array block; y never aliases z.
//   template <class Z, class Y, class G, class GZ> void backward(z, y, gy, gz) const;
//       vector-Jacobian product: gz = (d act / d z)^T gy, rows independent; gz never aliases gy.
// Element-wise activations derive from `ElementwiseActivation<Self>` and only write
//   template <class Z, class Y, class D> void derivative(const Eigen::ArrayBase<Z>& z, const Eigen::ArrayBase<Y>& y, D&& d) const;
// which gets `d = act'(z)` given z and y = act(z). Everything runs through Eigen array expressions, so it
// vectorises; a user functor written the same way (see README, "Custom activations") is a first-class citizen.

// #include <elman/config.hpp>
// Namespace and ABI macros shared by every elman header.

// #include <elman/version.hpp>
// The one place the library version is written; CMake reads these three lines.

#define ELMAN_VERSION_MAJOR 1
#define ELMAN_VERSION_MINOR 0
#define ELMAN_VERSION_PATCH 0

#define ELMAN_VERSION (ELMAN_VERSION_MAJOR * 10000 + ELMAN_VERSION_MINOR * 100 + ELMAN_VERSION_PATCH)

#include <Eigen/Core>

// Everything lives in `elman` plus an inline namespace tagged with the version, so two vendored
// copies of different versions can be linked into one program without ODR clashes, while user code
// still spells `elman::SimpleRNN`.
//
// Configuration macros that change inline definitions are part of the tag too, so two translation units
// built with different settings get different symbols (each runs its own code) instead of an ODR violation:
//   ELMAN_USE_BLAS   (backend.hpp: default_backend, hence every SimpleRNN)   -> suffix `_blas`, e.g. v1_0_0_blas
//   ELMAN_ISA        (isa.hpp: the pinned SIMD path)   -> suffix `_isa_generic`, `_isa_avx2` or `_isa_avx512`
// ELMAN_HAVE_ZLIB changes only the .npz readers; they carry their own inline namespace (io/detail/zip.hpp),
// so the rest of the library, and the types user code passes around, stay the same with and without zlib.
#if defined(ELMAN_USE_BLAS)
#define ELMAN_DETAIL_ABI_BLAS _blas
#else
#define ELMAN_DETAIL_ABI_BLAS
#endif
// -DELMAN_ISA=generic|avx2|avx512 is a bare token: mapped to a number here, anything else is an error.
#define ELMAN_DETAIL_ISA_ID_generic 1
#define ELMAN_DETAIL_ISA_ID_avx2 2
#define ELMAN_DETAIL_ISA_ID_avx512 3
#define ELMAN_DETAIL_ISA_ID_IMPL(name) ELMAN_DETAIL_ISA_ID_##name
#define ELMAN_DETAIL_ISA_ID(name) ELMAN_DETAIL_ISA_ID_IMPL(name)
#if !defined(ELMAN_ISA)
#define ELMAN_DETAIL_ABI_ISA
#elif ELMAN_DETAIL_ISA_ID(ELMAN_ISA) == 1
#define ELMAN_DETAIL_ABI_ISA _isa_generic
#define ELMAN_DETAIL_PINNED_ISA ::elman::Isa::generic
#elif ELMAN_DETAIL_ISA_ID(ELMAN_ISA) == 2
#define ELMAN_DETAIL_ABI_ISA _isa_avx2
#define ELMAN_DETAIL_PINNED_ISA ::elman::Isa::avx2
#elif ELMAN_DETAIL_ISA_ID(ELMAN_ISA) == 3
#define ELMAN_DETAIL_ABI_ISA _isa_avx512
#define ELMAN_DETAIL_PINNED_ISA ::elman::Isa::avx512
#else
#error "ELMAN_ISA must be generic, avx2 or avx512 (e.g. -DELMAN_ISA=avx2), or left undefined"
#endif
// The x86-64 kernels need GCC/Clang `target` attributes; ELMAN_ISA=generic leaves them out.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) &&                                                \
    !(defined(ELMAN_ISA) && ELMAN_DETAIL_ISA_ID(ELMAN_ISA) == 1)
#define ELMAN_DETAIL_X86_KERNELS 1
#else
#define ELMAN_DETAIL_X86_KERNELS 0
#endif
#if defined(ELMAN_ISA) && ELMAN_DETAIL_ISA_ID(ELMAN_ISA) != 1 && !ELMAN_DETAIL_X86_KERNELS
#error "ELMAN_ISA=avx2 and ELMAN_ISA=avx512 need GCC or Clang on x86-64"
#endif

#define ELMAN_DETAIL_CONCAT_IMPL(a, b, c, blas, isa) v##a##_##b##_##c##blas##isa
#define ELMAN_DETAIL_CONCAT(a, b, c, blas, isa) ELMAN_DETAIL_CONCAT_IMPL(a, b, c, blas, isa)
#define ELMAN_ABI_NAMESPACE                                                                                            \
    ELMAN_DETAIL_CONCAT(ELMAN_VERSION_MAJOR, ELMAN_VERSION_MINOR, ELMAN_VERSION_PATCH, ELMAN_DETAIL_ABI_BLAS,          \
                        ELMAN_DETAIL_ABI_ISA)

#define ELMAN_NAMESPACE_BEGIN                                                                                          \
    namespace elman {                                                                                                  \
    inline namespace ELMAN_ABI_NAMESPACE {
#define ELMAN_NAMESPACE_END                                                                                            \
    }                                                                                                                  \
    }

ELMAN_NAMESPACE_BEGIN

/// Index type used for every size and extent (Eigen's signed index).
using Index = Eigen::Index;

ELMAN_NAMESPACE_END

#include <Eigen/Core>
#include <unsupported/Eigen/SpecialFunctions>

#include <cmath>
#include <limits>
#include <type_traits>
#include <utility>

ELMAN_NAMESPACE_BEGIN

/// CRTP base giving element-wise activations their backward pass from `derivative`.
template <class Derived>
struct ElementwiseActivation {
    static constexpr bool elementwise = true;

    template <class Z, class Y, class G, class GZ>
    void backward(const Eigen::ArrayBase<Z>& z, const Eigen::ArrayBase<Y>& y, const Eigen::ArrayBase<G>& gy,
                  GZ&& gz) const {
        static_cast<const Derived&>(*this).derivative(z, y, gz);
        gz *= gy;
    }
};

/// Keras `linear` (and `activation=None`): identity.
struct Linear : ElementwiseActivation<Linear> {
    static constexpr const char* keras_name = "linear";
    template <class Z, class Y>
    void forward(const Eigen::ArrayBase<Z>& z, Y&& y) const {
        y = z;
    }
    template <class Z, class Y, class D>
    void derivative(const Eigen::ArrayBase<Z>&, const Eigen::ArrayBase<Y>&, D&& d) const {
        d.setOnes();
    }
};

/// Keras `tanh` (SimpleRNN's default).
struct Tanh : ElementwiseActivation<Tanh> {
    static constexpr const char* keras_name = "tanh";
    template <class Z, class Y>
    void forward(const Eigen::ArrayBase<Z>& z, Y&& y) const {
        y = z.tanh();
    }
    template <class Z, class Y, class D>
    void derivative(const Eigen::ArrayBase<Z>&, const Eigen::ArrayBase<Y>& y, D&& d) const {
        using S = typename Y::Scalar;
        d = S(1) - y.square();
    }
};

/// Keras `relu` with its defaults (alpha 0, no cap, threshold 0): max(z, 0) as TF's CPU kernel computes it, so
/// NaN stays NaN (and -0 stays -0). Derivative 0 at z = 0 and for NaN, as TF's ReluGrad (gy * (z > 0)).
struct Relu : ElementwiseActivation<Relu> {
    static constexpr const char* keras_name = "relu";
    template <class Z, class Y>
    void forward(const Eigen::ArrayBase<Z>& z, Y&& y) const {
        using S = typename Z::Scalar;
        y = (z < S(0)).select(S(0), z);
    }
    template <class Z, class Y, class D>
    void derivative(const Eigen::ArrayBase<Z>& z, const Eigen::ArrayBase<Y>&, D&& d) const {
        using S = typename Z::Scalar;
        d = (z > S(0)).template cast<S>();
    }
};

/// Keras `sigmoid`: 1 / (1 + exp(-z)).
struct Sigmoid : ElementwiseActivation<Sigmoid> {
    static constexpr const char* keras_name = "sigmoid";
    template <class Z, class Y>
    void forward(const Eigen::ArrayBase<Z>& z, Y&& y) const {
        y = z.logistic();
    }
    template <class Z, class Y, class D>
    void derivative(const Eigen::ArrayBase<Z>&, const Eigen::ArrayBase<Y>& y, D&& d) const {
        using S = typename Y::Scalar;
        d = y * (S(1) - y);
    }
};

/// Keras `hard_sigmoid` as defined in TF 2.4: clip(0.2 z + 0.5, 0, 1) (Keras 3 changed it to relu6(z+3)/6);
/// NaN stays NaN, as through TF's minimum/maximum. Derivative 0.2 on [-2.5, 2.5] including the knees (as TF's
/// clip gradient), 0 outside and for NaN (TF's minimum/maximum gradients pass nothing to a NaN input).
struct HardSigmoid : ElementwiseActivation<HardSigmoid> {
    static constexpr const char* keras_name = "hard_sigmoid";
    template <class Z, class Y>
    void forward(const Eigen::ArrayBase<Z>& z, Y&& y) const {
        using S = typename Z::Scalar;
        // Comparisons rather than Eigen's min/max, whose NaN handling is unspecified: NaN fails both and passes.
        const auto x = S(0.2) * z + S(0.5);
        y = (x < S(0)).select(S(0), (x > S(1)).select(S(1), x));
    }
    template <class Z, class Y, class D>
    void derivative(const Eigen::ArrayBase<Z>& z, const Eigen::ArrayBase<Y>&, D&& d) const {
        using S = typename Z::Scalar;
        d = S(0.2) * (z >= S(-2.5) && z <= S(2.5)).template cast<S>();
    }
};

/// Keras 3's `hard_sigmoid`: relu6(z + 3) / 6 = clip(z / 6 + 1/2, 0, 1) (TF 2.4's is HardSigmoid above). Keras
/// configs call both "hard_sigmoid"; the model loaders select this one for files written by Keras 3
/// (io::KerasSemantics), and it is also reachable by elman's own name "hard_sigmoid_keras3". NaN stays NaN;
/// derivative 1/6 on [-3, 3] including the knees, 0 outside and for NaN (as HardSigmoid).
struct HardSigmoidKeras3 : ElementwiseActivation<HardSigmoidKeras3> {
    static constexpr const char* keras_name = "hard_sigmoid_keras3";
    template <class Z, class Y>
    void forward(const Eigen::ArrayBase<Z>& z, Y&& y) const {
        using S = typename Z::Scalar;
        const auto x = z / S(6) + S(0.5);
        y = (x < S(0)).select(S(0), (x > S(1)).select(S(1), x));
    }
    template <class Z, class Y, class D>
    void derivative(const Eigen::ArrayBase<Z>& z, const Eigen::ArrayBase<Y>&, D&& d) const {
        using S = typename Z::Scalar;
        d = (S(1) / S(6)) * (z >= S(-3) && z <= S(3)).template cast<S>();
    }
};

/// Keras `elu` with alpha 1: z for z > 0, exp(z) - 1 otherwise (NaN stays NaN). The derivative is TF's EluGrad,
/// computed from the output: y + 1 where y < 0, else 1 (so 1 at z = 0 and for NaN, as TF).
struct Elu : ElementwiseActivation<Elu> {
    static constexpr const char* keras_name = "elu";
    template <class Z, class Y>
    void forward(const Eigen::ArrayBase<Z>& z, Y&& y) const {
        using S = typename Z::Scalar;
        y = (z > S(0)).select(z, z.exp() - S(1));
    }
    template <class Z, class Y, class D>
    void derivative(const Eigen::ArrayBase<Z>&, const Eigen::ArrayBase<Y>& y, D&& d) const {
        using S = typename Y::Scalar;
        d = (y < S(0)).select(y + S(1), S(1));
    }
};

/// Keras `selu` with the self-normalising constants of Klambauer et al. (NaN stays NaN). The derivative is TF's
/// SeluGrad, computed from the output: y + scale * alpha where y < 0, else scale (so scale at z = 0 and for NaN).
struct Selu : ElementwiseActivation<Selu> {
    static constexpr const char* keras_name = "selu";
    static constexpr double alpha = 1.6732632423543772848170429916717;
    static constexpr double scale = 1.0507009873554804934193349852946;
    template <class Z, class Y>
    void forward(const Eigen::ArrayBase<Z>& z, Y&& y) const {
        using S = typename Z::Scalar;
        y = (z > S(0)).select(S(scale) * z, S(scale * alpha) * (z.exp() - S(1)));
    }
    template <class Z, class Y, class D>
    void derivative(const Eigen::ArrayBase<Z>&, const Eigen::ArrayBase<Y>& y, D&& d) const {
        using S = typename Y::Scalar;
        d = (y < S(0)).select(y + S(scale * alpha), S(scale));
    }
};

/// Keras `softplus`: log(1 + exp(z)) with TF's cut-offs (z itself above -log(eps)-2, exp(z) below log(eps)+2),
/// which keeps it finite and exact in the tails.
struct Softplus : ElementwiseActivation<Softplus> {
    static constexpr const char* keras_name = "softplus";
    template <class S>
    static S threshold() {
        return std::log(std::numeric_limits<S>::epsilon()) + S(2);
    }
    template <class Z, class Y>
    void forward(const Eigen::ArrayBase<Z>& z, Y&& y) const {
        using S = typename Z::Scalar;
        const S t = threshold<S>();
        y = (z > -t).select(z, (z < t).select(z.exp(), z.exp().log1p()));
    }
    template <class Z, class Y, class D>
    void derivative(const Eigen::ArrayBase<Z>& z, const Eigen::ArrayBase<Y>&, D&& d) const {
        d = z.logistic();
    }
};

/// Keras `softsign`: z / (1 + |z|).
struct Softsign : ElementwiseActivation<Softsign> {
    static constexpr const char* keras_name = "softsign";
    template <class Z, class Y>
    void forward(const Eigen::ArrayBase<Z>& z, Y&& y) const {
        using S = typename Z::Scalar;
        y = z / (S(1) + z.abs());
    }
    template <class Z, class Y, class D>
    void derivative(const Eigen::ArrayBase<Z>& z, const Eigen::ArrayBase<Y>&, D&& d) const {
        using S = typename Z::Scalar;
        d = (S(1) + z.abs()).square().inverse();
    }
};

/// Keras `swish` (TF 2.4 maps it to tf.nn.silu, beta 1): z * sigmoid(z).
struct Swish : ElementwiseActivation<Swish> {
    static constexpr const char* keras_name = "swish";
    template <class Z, class Y>
    void forward(const Eigen::ArrayBase<Z>& z, Y&& y) const {
        y = z * z.logistic();
    }
    template <class Z, class Y, class D>
    void derivative(const Eigen::ArrayBase<Z>& z, const Eigen::ArrayBase<Y>&, D&& d) const {
        using S = typename Z::Scalar;
        d = z.logistic() * (S(1) + z * (S(1) - z.logistic()));
    }
};

/// Keras `gelu`, exact (erf) form as TF 2.4's default `approximate=False`: 0.5 z (1 + erf(z / sqrt 2)).
struct Gelu : ElementwiseActivation<Gelu> {
    static constexpr const char* keras_name = "gelu";
    template <class Z, class Y>
    void forward(const Eigen::ArrayBase<Z>& z, Y&& y) const {
        using S = typename Z::Scalar;
        y = S(0.5) * z * (S(1) + (z * S(0.70710678118654752440)).erf());
    }
    template <class Z, class Y, class D>
    void derivative(const Eigen::ArrayBase<Z>& z, const Eigen::ArrayBase<Y>&, D&& d) const {
        using S = typename Z::Scalar;
        // Phi(z) + z * phi(z)
        d = S(0.5) * (S(1) + (z * S(0.70710678118654752440)).erf()) +
            z * (S(-0.5) * z.square()).exp() * S(0.39894228040143267794);
    }
};

/// Keras `exponential`: exp(z).
struct Exponential : ElementwiseActivation<Exponential> {
    static constexpr const char* keras_name = "exponential";
    template <class Z, class Y>
    void forward(const Eigen::ArrayBase<Z>& z, Y&& y) const {
        y = z.exp();
    }
    template <class Z, class Y, class D>
    void derivative(const Eigen::ArrayBase<Z>&, const Eigen::ArrayBase<Y>& y, D&& d) const {
        d = y;
    }
};

/// Keras `softmax` over the units axis of each [B, U] row (not element-wise: backward is the Jacobian
/// product gz = y * (gy - sum(gy * y))).
struct Softmax {
    static constexpr const char* keras_name = "softmax";
    static constexpr bool elementwise = false;
    template <class Z, class Y>
    void forward(const Eigen::ArrayBase<Z>& z, Y&& y) const {
        // Row by row with scalar reductions: no temporaries, no heap.
        for (Index r = 0; r < z.rows(); ++r) {
            const auto max = z.row(r).maxCoeff();
            y.row(r) = (z.row(r) - max).exp();
            y.row(r) /= y.row(r).sum();
        }
    }
    template <class Z, class Y, class G, class GZ>
    void backward(const Eigen::ArrayBase<Z>&, const Eigen::ArrayBase<Y>& y, const Eigen::ArrayBase<G>& gy,
                  GZ&& gz) const {
        for (Index r = 0; r < y.rows(); ++r) {
            const auto dot = (gy.row(r) * y.row(r)).sum();
            gz.row(r) = y.row(r) * (gy.row(r) - dot);
        }
    }
};

namespace detail {
template <class A, class = void>
struct has_keras_name : std::false_type {};
template <class A>
struct has_keras_name<A, std::void_t<decltype(A::keras_name)>> : std::true_type {};
template <class A, class = void>
struct has_name_member : std::false_type {};
template <class A>
struct has_name_member<A, std::void_t<decltype(std::declval<const A&>().name())>> : std::true_type {};
}  // namespace detail

/// The Keras name of an activation type; "custom" for user functors without `keras_name`.
template <class Activation>
constexpr const char* activation_name() {
    if constexpr (detail::has_keras_name<Activation>::value) {
        return Activation::keras_name;
    } else {
        return "custom";
    }
}

/// The Keras name of an activation object: its own `name()` where it has one (an activation chosen at run time,
/// KerasActivation), else its type's activation_name().
template <class Activation>
const char* activation_name(const Activation& activation) noexcept {
    if constexpr (detail::has_name_member<Activation>::value) {
        return activation.name();
    } else {
        (void)activation;
        return activation_name<Activation>();
    }
}

ELMAN_NAMESPACE_END
// #include <elman/config.hpp>
// #include <elman/exceptions.hpp>
// How the library reports errors: ELMAN_THROW and ELMAN_ASSERT, the two override points.

// #include <elman/config.hpp>

#include <cassert>
#include <cstdio>
#include <cstdlib>

/// 1 when the translation unit is compiled with exceptions (the default), 0 with -fno-exceptions.
#if !defined(ELMAN_HAS_EXCEPTIONS)
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#define ELMAN_HAS_EXCEPTIONS 1
#else
#define ELMAN_HAS_EXCEPTIONS 0
#endif
#endif

ELMAN_NAMESPACE_BEGIN
namespace detail {
/// What ELMAN_THROW does without exceptions: the message on stderr, then std::abort().
[[noreturn]] inline void abort_with(const char* message) noexcept {
    std::fputs("elman: ", stderr);
    std::fputs(message, stderr);
    std::fputc('\n', stderr);
    std::abort();
}
}  // namespace detail
ELMAN_NAMESPACE_END

/// Every error the library detects goes through `ELMAN_THROW(exception_object)`. With exceptions it throws the
/// object (std::invalid_argument, std::logic_error, std::length_error, io::FormatError, as documented at each
/// function); compiled with -fno-exceptions it prints the object's what() and aborts. Define ELMAN_THROW before
/// including any elman header to route errors elsewhere (it must not return). Every translation unit of a
/// program must see the same definition.
#if !defined(ELMAN_THROW)
#if ELMAN_HAS_EXCEPTIONS
#define ELMAN_THROW(exception) throw exception
#else
#define ELMAN_THROW(exception) ::elman::detail::abort_with((exception).what())
#endif
#endif

/// Internal invariants (never input errors; those throw). Defaults to assert(); define it to change that.
#if !defined(ELMAN_ASSERT)
#define ELMAN_ASSERT(condition) assert(condition)
#endif

#include <Eigen/Core>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

ELMAN_NAMESPACE_BEGIN

/// The activations a Keras name can select, in the order error messages list them. The one list of names:
/// each type's `keras_name` is its name (plus `"None"` and `""` for Linear, as Keras' `activation=None`);
/// visit_activation and the config reader (io/layer_config.hpp) both resolve names through it.
using KerasActivations = std::tuple<Tanh, Linear, Relu, Sigmoid, HardSigmoid, Elu, Selu, Softplus, Softsign, Swish,
                                    Gelu, Exponential, Softmax, HardSigmoidKeras3>;

namespace detail {

template <class Activation>
bool activation_has_name(const std::string& name) {
    if (std::is_same<Activation, Linear>::value && (name == "None" || name.empty())) return true;
    return name == Activation::keras_name;
}

template <class... Activations>
std::string activation_name_list(std::tuple<Activations...>*) {
    std::string list;
    ((list += (list.empty() ? "" : ", ") + std::string(Activations::keras_name)), ...);
    return list;
}

/// The position in KerasActivations of the activation Keras calls `name`; throws std::invalid_argument.
template <std::size_t... I>
std::size_t activation_index(const std::string& name, std::index_sequence<I...>) {
    std::size_t index = sizeof...(I);
    // The first match wins (the tuple order), as it would in a chain of ifs.
    ((index == sizeof...(I) && activation_has_name<std::tuple_element_t<I, KerasActivations>>(name) ? index = I : 0),
     ...);
    if (index == sizeof...(I)) {
        ELMAN_THROW(std::invalid_argument("Unknown activation function: " + name +
                                          ". Expected one of the Keras names elman knows: " +
                                          activation_name_list(static_cast<KerasActivations*>(nullptr)) + "."));
    }
    return index;
}

template <std::size_t I, class Visitor>
decltype(auto) visit_activation_at(std::size_t index, Visitor& visitor) {
    if constexpr (I + 1 == std::tuple_size<KerasActivations>::value) {
        return visitor(std::tuple_element_t<I, KerasActivations>{});
    } else {
        if (index == I) return visitor(std::tuple_element_t<I, KerasActivations>{});
        return visit_activation_at<I + 1>(index, visitor);
    }
}

template <std::size_t... I>
const char* activation_name_at(std::size_t index, std::index_sequence<I...>) noexcept {
    static constexpr const char* names[] = {std::tuple_element_t<I, KerasActivations>::keras_name...};
    return names[index];
}

template <class Activation, std::size_t... I>
constexpr std::size_t activation_position(std::index_sequence<I...>) noexcept {
    std::size_t index = sizeof...(I);
    ((std::is_same<Activation, std::tuple_element_t<I, KerasActivations>>::value ? index = I : 0), ...);
    return index;
}

}  // namespace detail

/// An activation chosen at run time: any one of KerasActivations behind a single type, for layers whose
/// activation comes from a config (the model runtime, the loaders). `SimpleRNN<Scalar, KerasActivation>` is one
/// instantiation of the layer for every Keras name, where `SimpleRNN<Scalar, A>` would be one per activation; the
/// arithmetic is the typed activation's, picked once per block of rows, so the results are bit-identical to
/// `SimpleRNN<Scalar, A>` (float tanh included, which runs on the layer's SIMD kernel either way).
class KerasActivation {
  public:
    /// tanh, SimpleRNN's default.
    KerasActivation() noexcept = default;
    /// The activation Keras calls `name` (TF 2.4 names; "None" and "" mean linear). Throws std::invalid_argument
    /// naming an unknown activation and listing the known ones.
    explicit KerasActivation(const std::string& name)
        : index_(detail::activation_index(name, std::make_index_sequence<count>{})) {}

    /// The run-time form of the typed activation `Activation` (one of KerasActivations).
    template <class Activation>
    static KerasActivation of() noexcept {
        constexpr std::size_t index = detail::activation_position<Activation>(std::make_index_sequence<count>{});
        static_assert(index < count, "KerasActivation::of<A>: A is not one of KerasActivations");
        KerasActivation a;
        a.index_ = index;
        return a;
    }

    /// The canonical Keras name ("linear" for "None").
    const char* name() const noexcept { return detail::activation_name_at(index_, std::make_index_sequence<count>{}); }
    /// Whether this is the typed activation `Activation`.
    template <class Activation>
    bool is() const noexcept {
        return index_ == detail::activation_position<Activation>(std::make_index_sequence<count>{});
    }
    /// Returns `visitor(A{})` for the typed activation A this holds (the visitor must return one type for all).
    template <class Visitor>
    decltype(auto) visit(Visitor&& visitor) const {
        return detail::visit_activation_at<0>(index_, visitor);
    }

    /// The activation interface of activations.hpp, forwarded to the typed activation.
    template <class Z, class Y>
    void forward(const Eigen::ArrayBase<Z>& z, Y&& y) const {
        visit([&](auto activation) { activation.forward(z, y); });
    }
    template <class Z, class Y, class G, class GZ>
    void backward(const Eigen::ArrayBase<Z>& z, const Eigen::ArrayBase<Y>& y, const Eigen::ArrayBase<G>& gy,
                  GZ&& gz) const {
        visit([&](auto activation) { activation.backward(z, y, gy, gz); });
    }

    friend bool operator==(const KerasActivation& a, const KerasActivation& b) noexcept { return a.index_ == b.index_; }
    friend bool operator!=(const KerasActivation& a, const KerasActivation& b) noexcept { return !(a == b); }

  private:
    static constexpr std::size_t count = std::tuple_size<KerasActivations>::value;
    std::size_t index_ = 0;  // KerasActivations starts with Tanh
};

/// Calls `visitor(Activation{})` with the activation type Keras calls `name` (TF 2.4 names, KerasActivations;
/// `"None"` and `""` mean linear, as Keras' `activation=None`) and returns its result. For a layer, prefer
/// `SimpleRNN<Scalar, KerasActivation>` (one instantiation for every name); this is for code that needs the type:
///
///     elman::visit_activation(name, [&](auto act) { elman::SimpleRNN<float, decltype(act)> rnn(units); ... });
///
/// Throws std::invalid_argument naming the unknown activation.
template <class Visitor>
decltype(auto) visit_activation(const std::string& name, Visitor&& visitor) {
    return KerasActivation(name).visit(visitor);
}

/// The canonical Keras name of the activation `name` selects ("None" and "" give "linear"). Throws
/// std::invalid_argument naming an unknown activation, as visit_activation.
inline std::string canonical_activation_name(const std::string& name) { return KerasActivation(name).name(); }

ELMAN_NAMESPACE_END
// #include <elman/activations.hpp>
// #include <elman/config.hpp>
// #include <elman/constraints.hpp>
// Keras weight constraints (MaxNorm, NonNeg, UnitNorm, MinMaxNorm), applied by optimizers after each update.

// #include <elman/config.hpp>
// #include <elman/exceptions.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>

ELMAN_NAMESPACE_BEGIN

/// A Keras constraint. `axis` is the reduction axis of Keras' norm: for a 2-D weight `[rows, cols]` axis 0
/// normalises each column (each output unit of `kernel [F,U]`), axis 1 each row; for the 1-D bias, axis 0
/// (or -1) means the whole vector.
class Constraint {
  public:
    enum class Kind { MaxNorm, NonNeg, UnitNorm, MinMaxNorm };
    static constexpr double epsilon = 1e-7;  // backend.epsilon()

    static Constraint max_norm(double max_value = 2.0, int axis = 0) {
        Constraint c(Kind::MaxNorm, "MaxNorm", axis);
        c.max_value_ = max_value;
        return c;
    }
    static Constraint non_neg() { return Constraint(Kind::NonNeg, "NonNeg", 0); }
    static Constraint unit_norm(int axis = 0) { return Constraint(Kind::UnitNorm, "UnitNorm", axis); }
    static Constraint min_max_norm(double min_value = 0.0, double max_value = 1.0, double rate = 1.0, int axis = 0) {
        Constraint c(Kind::MinMaxNorm, "MinMaxNorm", axis);
        c.min_value_ = min_value;
        c.max_value_ = max_value;
        c.rate_ = rate;
        return c;
    }
    /// The constraint Keras calls `name` (a name of `constraint_names`), with Keras' defaults; empty for any
    /// other name.
    static std::optional<Constraint> lookup(const std::string& name);
    /// Keras names and aliases: MaxNorm/max_norm/maxnorm, NonNeg/non_neg/nonneg, UnitNorm/unit_norm/unitnorm,
    /// MinMaxNorm/min_max_norm (`constraint_names`). Throws std::invalid_argument for any other name.
    static Constraint from_name(const std::string& name) {
        if (std::optional<Constraint> c = lookup(name)) return *c;
        ELMAN_THROW(std::invalid_argument("Unknown constraint: " + name +
                                          ". Expected one of 'max_norm', 'non_neg', 'unit_norm', 'min_max_norm'."));
    }

    Kind kind() const noexcept { return kind_; }
    const char* class_name() const noexcept { return class_name_; }
    int axis() const noexcept { return axis_; }
    double max_value() const noexcept { return max_value_; }
    double min_value() const noexcept { return min_value_; }
    double rate() const noexcept { return rate_; }

    /// w <- c(w) in place. `w` is a 2-D weight (or a single-row/column 1-D weight with `is_vector`).
    template <class Derived>
    void apply(Eigen::MatrixBase<Derived>& w, bool is_vector = false) const {
        using S = typename Derived::Scalar;
        if (kind_ == Kind::NonNeg) {
            w.derived().array() *= (w.derived().array() >= S(0)).template cast<S>();
            return;
        }
        if (is_vector) {
            if (axis_ != 0 && axis_ != -1) {
                ELMAN_THROW(std::invalid_argument("Constraint axis " + std::to_string(axis_) +
                                                  " is out of range for a 1-D weight"));
            }
            w.derived() *= scale_for(static_cast<S>(w.derived().norm()));
            return;
        }
        if (axis_ == 0 || axis_ == -2) {
            for (Index j = 0; j < w.cols(); ++j) w.col(j) *= scale_for(static_cast<S>(w.col(j).norm()));
        } else if (axis_ == 1 || axis_ == -1) {
            for (Index i = 0; i < w.rows(); ++i) w.row(i) *= scale_for(static_cast<S>(w.row(i).norm()));
        } else {
            ELMAN_THROW(std::invalid_argument("Constraint axis " + std::to_string(axis_) +
                                              " is out of range for a 2-D weight"));
        }
    }

  private:
    Constraint(Kind kind, const char* name, int axis) : kind_(kind), class_name_(name), axis_(axis) {}

    template <class S>
    S scale_for(S norm) const {
        const S eps = static_cast<S>(epsilon);
        switch (kind_) {
            case Kind::MaxNorm:
                return std::min(std::max(norm, S(0)), static_cast<S>(max_value_)) / (eps + norm);
            case Kind::UnitNorm:
                return S(1) / (eps + norm);
            case Kind::MinMaxNorm: {
                const S clipped = std::min(std::max(norm, static_cast<S>(min_value_)), static_cast<S>(max_value_));
                const S desired = static_cast<S>(rate_) * clipped + (S(1) - static_cast<S>(rate_)) * norm;
                return desired / (eps + norm);
            }
            case Kind::NonNeg:
                break;
        }
        return S(1);
    }

    Kind kind_;
    const char* class_name_;
    int axis_ = 0;
    double max_value_ = 2.0, min_value_ = 0.0, rate_ = 1.0;
};

/// One Keras name of a constraint and the constraint it means, built with Keras' defaults.
struct ConstraintName {
    const char* name;
    Constraint (*make)();
};

/// Every name Keras resolves to a constraint (TF 2.4 `keras.constraints`: class names, snake_case functions and
/// the legacy lowercase aliases). The one list: `Constraint::from_name` and the config reader
/// (io/layer_config.hpp) both resolve names through it.
inline constexpr ConstraintName constraint_names[] = {
    {"MaxNorm", [] { return Constraint::max_norm(); }},
    {"max_norm", [] { return Constraint::max_norm(); }},
    {"maxnorm", [] { return Constraint::max_norm(); }},
    {"NonNeg", [] { return Constraint::non_neg(); }},
    {"non_neg", [] { return Constraint::non_neg(); }},
    {"nonneg", [] { return Constraint::non_neg(); }},
    {"UnitNorm", [] { return Constraint::unit_norm(); }},
    {"unit_norm", [] { return Constraint::unit_norm(); }},
    {"unitnorm", [] { return Constraint::unit_norm(); }},
    {"MinMaxNorm", [] { return Constraint::min_max_norm(); }},
    {"min_max_norm", [] { return Constraint::min_max_norm(); }},
};

inline std::optional<Constraint> Constraint::lookup(const std::string& name) {
    for (const ConstraintName& n : constraint_names)
        if (name == n.name) return n.make();
    return std::nullopt;
}

ELMAN_NAMESPACE_END
// #include <elman/dense.hpp>
// A linear read-out layer (Keras `Dense(units)` with activation=None) with its backward pass, for training
// SimpleRNN models end to end.

// #include <elman/config.hpp>
// #include <elman/exceptions.hpp>
// #include <elman/initializers.hpp>
// Keras (TF 2.x initializers_v2) weight initializers, selectable by Keras name or built as objects.

// #include <elman/config.hpp>
// #include <elman/exceptions.hpp>
// #include <elman/random.hpp>
// A small, portable random generator: the same seed gives the same numbers on every compiler and standard
// library (std::normal_distribution & co. are implementation-defined, so they are not used).

// #include <elman/config.hpp>

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
// #include <elman/shape.hpp>
// A small fixed-capacity shape (rank <= 4) printed the way numpy/Keras print shapes.

// #include <elman/config.hpp>
// #include <elman/exceptions.hpp>

#include <algorithm>
#include <array>
#include <initializer_list>
#include <limits>
#include <stdexcept>
#include <string>

ELMAN_NAMESPACE_BEGIN

/// Shape of a row-major tensor, e.g. `{batch, timesteps, features}`. Holds at most `max_rank` extents so
/// views can be built without touching the heap.
class Shape {
  public:
    static constexpr int max_rank = 4;

    Shape() = default;
    Shape(std::initializer_list<Index> extents) : dims_{}, rank_(static_cast<int>(extents.size())) {
        if (extents.size() > static_cast<std::size_t>(max_rank)) {
            ELMAN_THROW(std::invalid_argument("elman::Shape: rank " + std::to_string(extents.size()) +
                                              " exceeds the supported maximum of " + std::to_string(max_rank)));
        }
        std::copy(extents.begin(), extents.end(), dims_.begin());
    }

    int rank() const noexcept { return rank_; }
    Index operator[](int axis) const noexcept { return dims_[static_cast<std::size_t>(axis)]; }
    Index& operator[](int axis) noexcept { return dims_[static_cast<std::size_t>(axis)]; }

    /// Product of the extents; throws std::length_error when it does not fit an Index (absurd sizes).
    Index size() const {
        Index total = 1;
        for (int i = 0; i < rank_; ++i) {
            const Index e = (*this)[i];
            if (e < 0) {
                ELMAN_THROW(std::invalid_argument("elman::Shape: negative extent in shape " + to_string()));
            }
            // Every call computes this, so no integer division (tens of cycles) on the way.
            if (multiply_overflows(total, e, total)) {
                ELMAN_THROW(std::length_error("elman::Shape: element count of shape " + to_string() + " overflows"));
            }
        }
        return total;
    }

    /// numpy-style text: "(2, 5, 3)", "(4,)" for rank 1, "()" for rank 0.
    std::string to_string() const {
        std::string s = "(";
        for (int i = 0; i < rank_; ++i) {
            if (i) s += ", ";
            s += std::to_string((*this)[i]);
        }
        if (rank_ == 1) s += ",";
        return s + ")";
    }

    // Extents past the rank are always zero, so whole arrays compare; extent by extent (std::array's == is a
    // memcmp call, a visible part of a small call that compares shapes).
    friend bool operator==(const Shape& a, const Shape& b) noexcept {
        static_assert(max_rank == 4, "operator== compares four extents");
        return a.rank_ == b.rank_ && a.dims_[0] == b.dims_[0] && a.dims_[1] == b.dims_[1] && a.dims_[2] == b.dims_[2] &&
               a.dims_[3] == b.dims_[3];
    }
    friend bool operator!=(const Shape& a, const Shape& b) noexcept { return !(a == b); }

  private:
    static bool multiply_overflows(Index a, Index b, Index& product) noexcept {
#if defined(__GNUC__) || defined(__clang__)
        return __builtin_mul_overflow(a, b, &product);
#else
        if (b != 0 && a > std::numeric_limits<Index>::max() / b) return true;
        product = a * b;
        return false;
#endif
    }

    std::array<Index, max_rank> dims_{};
    int rank_ = 0;
};

ELMAN_NAMESPACE_END
// #include <elman/tensor.hpp>
// Row-major tensors: an owning `Tensor` and a non-owning `TensorView`, the layout numpy and Keras use.

// #include <elman/config.hpp>
// #include <elman/exceptions.hpp>
// #include <elman/shape.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <type_traits>
#include <vector>

ELMAN_NAMESPACE_BEGIN

template <class Scalar>
using RowMajorMatrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Non-owning view of a contiguous row-major buffer with a shape. `T` may be const-qualified.
/// Building a view never copies: pass a numpy-like buffer as `TensorView<const float>(ptr, {B, T, F})`.
template <class T>
class TensorView {
  public:
    using value_type = std::remove_const_t<T>;

    TensorView() = default;
    TensorView(T* data, Shape shape) : data_(data), shape_(shape), size_(shape.size()) {
        if (data_ == nullptr && size_ != 0) {
            ELMAN_THROW(std::invalid_argument("elman::TensorView: null data pointer for shape " + shape_.to_string()));
        }
    }
    /// A mutable view converts to a const view.
    template <class U, class = std::enable_if_t<std::is_same<const U, T>::value && !std::is_same<U, T>::value>>
    TensorView(const TensorView<U>& other) noexcept : data_(other.data()), shape_(other.shape()), size_(other.size()) {}

    /// View of a row-major Eigen matrix as `{rows / timesteps, timesteps, cols}`: the natural way to hand a
    /// `[B*T, F]` matrix (rows ordered b*T+t) to the layer without copying.
    template <class Derived>
    static TensorView from_rows(const Eigen::PlainObjectBase<Derived>& m, Index timesteps) {
        static_assert(static_cast<int>(Derived::IsRowMajor) || Derived::ColsAtCompileTime == 1,
                      "from_rows needs a row-major matrix");
        if (timesteps <= 0 || m.rows() % timesteps != 0) {
            ELMAN_THROW(std::invalid_argument("elman::TensorView::from_rows: timesteps=" + std::to_string(timesteps) +
                                              " does not divide rows=" + std::to_string(m.rows())));
        }
        return TensorView(m.data(), {m.rows() / timesteps, timesteps, m.cols()});
    }

    T* data() const noexcept { return data_; }
    const Shape& shape() const noexcept { return shape_; }
    int rank() const noexcept { return shape_.rank(); }
    Index dim(int axis) const noexcept { return shape_[axis]; }
    /// Element count (computed once, when the view is made: calls read it many times).
    Index size() const noexcept { return size_; }

    /// The tensor as a row-major matrix `[prod(shape[:-1]), shape[-1]]` (rank >= 1).
    Eigen::Map<
        std::conditional_t<std::is_const<T>::value, const RowMajorMatrix<value_type>, RowMajorMatrix<value_type>>>
    matrix() const {
        const int rank = shape_.rank();
        if (rank == 0) return {data_, size_, 1};
        Index rows = 1;  // the product of the leading extents (no division: calls map their operands every time)
        for (int axis = 0; axis + 1 < rank; ++axis) rows *= shape_[axis];
        return {data_, rows, shape_[rank - 1]};
    }

  private:
    template <class>
    friend class Tensor;
    // For Tensor::view(): the owner's element count is already known, and a default Tensor (rank 0, no
    // elements) has a null buffer that the checking constructor would refuse.
    TensorView(T* data, Shape shape, Index size) noexcept : data_(data), shape_(shape), size_(size) {}

    T* data_ = nullptr;
    Shape shape_;
    Index size_ = 0;
};

/// Owning row-major tensor (Keras weights, layer outputs). Element (i, j, k) of a `[d0, d1, d2]` tensor is
/// `data()[(i * d1 + j) * d2 + k]`, exactly numpy's C order.
template <class Scalar>
class Tensor {
  public:
    Tensor() = default;
    explicit Tensor(Shape shape) : shape_(shape), data_(static_cast<std::size_t>(shape.size()), Scalar(0)) {}
    Tensor(Shape shape, std::vector<Scalar> values) : shape_(shape), data_(std::move(values)) {
        if (static_cast<Index>(data_.size()) != shape_.size()) {
            ELMAN_THROW(std::invalid_argument("elman::Tensor: " + std::to_string(data_.size()) +
                                              " values do not fill shape " + shape_.to_string()));
        }
    }
    /// Copy of any view (e.g. to keep a caller's buffer).
    template <class T>
    explicit Tensor(const TensorView<T>& view) : shape_(view.shape()), data_(view.data(), view.data() + view.size()) {}
    /// Copy of an Eigen matrix with the same shape ([rows, cols]); any storage order.
    template <class Derived>
    static Tensor from_matrix(const Eigen::MatrixBase<Derived>& m) {
        Tensor t({m.rows(), m.cols()});
        t.matrix() = m.template cast<Scalar>();
        return t;
    }
    /// Copy of an Eigen vector as a rank-1 tensor (e.g. a Keras bias).
    template <class Derived>
    static Tensor from_vector(const Eigen::MatrixBase<Derived>& v) {
        Tensor t({v.size()});
        std::copy(v.derived().data(), v.derived().data() + v.size(), t.data_.begin());
        return t;
    }

    const Shape& shape() const noexcept { return shape_; }
    int rank() const noexcept { return shape_.rank(); }
    Index dim(int axis) const noexcept { return shape_[axis]; }
    Index size() const noexcept { return static_cast<Index>(data_.size()); }
    Scalar* data() noexcept { return data_.data(); }
    const Scalar* data() const noexcept { return data_.data(); }
    std::vector<Scalar>& values() noexcept { return data_; }
    const std::vector<Scalar>& values() const noexcept { return data_; }

    Scalar& operator()(Index i) { return data_[static_cast<std::size_t>(i)]; }
    Scalar operator()(Index i) const { return data_[static_cast<std::size_t>(i)]; }
    Scalar& operator()(Index i, Index j) { return data_[offset(i, j)]; }
    Scalar operator()(Index i, Index j) const { return data_[offset(i, j)]; }
    Scalar& operator()(Index i, Index j, Index k) { return data_[offset(i, j, k)]; }
    Scalar operator()(Index i, Index j, Index k) const { return data_[offset(i, j, k)]; }

    TensorView<Scalar> view() noexcept { return {data_.data(), shape_, size()}; }
    TensorView<const Scalar> view() const noexcept { return {data_.data(), shape_, size()}; }
    operator TensorView<const Scalar>() const noexcept { return view(); }

    /// Row-major matrix map `[prod(shape[:-1]), shape[-1]]`: `[B,U]` as is, `[B,T,U]` as rows b*T+t.
    Eigen::Map<RowMajorMatrix<Scalar>> matrix() { return view().matrix(); }
    Eigen::Map<const RowMajorMatrix<Scalar>> matrix() const { return view().matrix(); }

    /// Reshape in place (same element count; storage reused when possible).
    void resize(const Shape& shape) {
        // Repeated calls of one shape end here. (A default tensor has rank 0 and no element; resizing it to rank 0
        // gives it its one element.)
        if (shape == shape_ && (shape.rank() > 0 || !data_.empty())) return;
        const auto n = static_cast<std::size_t>(shape.size());
        data_.resize(n);
        shape_ = shape;
    }

  private:
    std::size_t offset(Index i, Index j) const { return static_cast<std::size_t>(i * shape_[1] + j); }
    std::size_t offset(Index i, Index j, Index k) const {
        return static_cast<std::size_t>((i * shape_[1] + j) * shape_[2] + k);
    }

    Shape shape_;
    std::vector<Scalar> data_;
};

ELMAN_NAMESPACE_END

#include <Eigen/Core>
#include <Eigen/QR>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

ELMAN_NAMESPACE_BEGIN

/// A Keras initializer: its kind, its hyper-parameters and an optional seed. A seeded initializer gives the
/// same values every time it fills a tensor of a given shape (like TF's stateless seeded initializers); an
/// unseeded one draws fresh values. The distributions are Keras'; the random streams are this library's own
/// (bit-reproducing TF's Philox streams is out of scope).
class Initializer {
  public:
    enum class Kind {
        Zeros,
        Ones,
        Constant,
        RandomUniform,
        RandomNormal,
        TruncatedNormal,
        VarianceScaling,
        Orthogonal,
        Identity
    };
    enum class FanMode { FanIn, FanOut, FanAvg };
    enum class Distribution { TruncatedNormal, UntruncatedNormal, Uniform };

    static Initializer zeros() { return Initializer(Kind::Zeros, "Zeros"); }
    static Initializer ones() { return Initializer(Kind::Ones, "Ones"); }
    static Initializer constant(double value = 0.0) {
        Initializer i(Kind::Constant, "Constant");
        i.value_ = value;
        return i;
    }
    static Initializer random_uniform(double minval = -0.05, double maxval = 0.05,
                                      std::optional<std::uint64_t> seed = {}) {
        Initializer i(Kind::RandomUniform, "RandomUniform", seed);
        i.a_ = minval;
        i.b_ = maxval;
        return i;
    }
    static Initializer random_normal(double mean = 0.0, double stddev = 0.05, std::optional<std::uint64_t> seed = {}) {
        Initializer i(Kind::RandomNormal, "RandomNormal", seed);
        i.a_ = mean;
        i.b_ = stddev;
        return i;
    }
    static Initializer truncated_normal(double mean = 0.0, double stddev = 0.05,
                                        std::optional<std::uint64_t> seed = {}) {
        Initializer i(Kind::TruncatedNormal, "TruncatedNormal", seed);
        i.a_ = mean;
        i.b_ = stddev;
        return i;
    }
    /// `mode` is "fan_in", "fan_out" or "fan_avg"; `distribution` "truncated_normal" (alias "normal"),
    /// "untruncated_normal" or "uniform".
    static Initializer variance_scaling(double scale = 1.0, const std::string& mode = "fan_in",
                                        const std::string& distribution = "truncated_normal",
                                        std::optional<std::uint64_t> seed = {}) {
        return variance_scaling_named("VarianceScaling", scale, parse_mode(mode), parse_distribution(distribution),
                                      seed);
    }
    static Initializer glorot_uniform(std::optional<std::uint64_t> seed = {}) {
        return variance_scaling_named("GlorotUniform", 1.0, FanMode::FanAvg, Distribution::Uniform, seed);
    }
    static Initializer glorot_normal(std::optional<std::uint64_t> seed = {}) {
        return variance_scaling_named("GlorotNormal", 1.0, FanMode::FanAvg, Distribution::TruncatedNormal, seed);
    }
    static Initializer he_uniform(std::optional<std::uint64_t> seed = {}) {
        return variance_scaling_named("HeUniform", 2.0, FanMode::FanIn, Distribution::Uniform, seed);
    }
    static Initializer he_normal(std::optional<std::uint64_t> seed = {}) {
        return variance_scaling_named("HeNormal", 2.0, FanMode::FanIn, Distribution::TruncatedNormal, seed);
    }
    static Initializer lecun_uniform(std::optional<std::uint64_t> seed = {}) {
        return variance_scaling_named("LecunUniform", 1.0, FanMode::FanIn, Distribution::Uniform, seed);
    }
    static Initializer lecun_normal(std::optional<std::uint64_t> seed = {}) {
        return variance_scaling_named("LecunNormal", 1.0, FanMode::FanIn, Distribution::TruncatedNormal, seed);
    }
    static Initializer orthogonal(double gain = 1.0, std::optional<std::uint64_t> seed = {}) {
        Initializer i(Kind::Orthogonal, "Orthogonal", seed);
        i.value_ = gain;
        return i;
    }
    static Initializer identity(double gain = 1.0) {
        Initializer i(Kind::Identity, "Identity");
        i.value_ = gain;
        return i;
    }

    /// The initializer Keras calls `name` (a name of `initializer_names`), built with its defaults and `seed`
    /// (ignored by the unseeded kinds); empty for any other name.
    static std::optional<Initializer> lookup(const std::string& name, std::optional<std::uint64_t> seed = {});
    /// Resolve a Keras name (class name or snake_case alias, case-sensitive as in Keras; `initializer_names`),
    /// built with defaults. Throws std::invalid_argument for any other name.
    static Initializer from_name(const std::string& name, std::optional<std::uint64_t> seed = {}) {
        if (std::optional<Initializer> i = lookup(name, seed)) return *i;
        ELMAN_THROW(
            std::invalid_argument("Unknown initializer: " + name +
                                  ". Expected a Keras initializer name such as 'glorot_uniform' or 'orthogonal'."));
    }

    Kind kind() const noexcept { return kind_; }
    /// Keras class name used in configs ("GlorotUniform", "Orthogonal", ...).
    const std::string& class_name() const noexcept { return class_name_; }
    const std::optional<std::uint64_t>& seed() const noexcept { return seed_; }
    double scale() const noexcept { return value_; }  ///< VarianceScaling scale
    double gain() const noexcept { return value_; }   ///< Orthogonal / Identity gain
    double value() const noexcept { return value_; }  ///< Constant value
    double minval() const noexcept { return a_; }     ///< RandomUniform
    double maxval() const noexcept { return b_; }     ///< RandomUniform
    double mean() const noexcept { return a_; }       ///< RandomNormal / TruncatedNormal
    double stddev() const noexcept { return b_; }     ///< RandomNormal / TruncatedNormal
    FanMode mode() const noexcept { return mode_; }
    Distribution distribution() const noexcept { return distribution_; }

    /// Fill a row-major buffer of `shape` (rank 1 or 2 for this layer; any rank for fans).
    template <class Scalar>
    void fill(Scalar* data, const Shape& shape) const {
        const Index n = shape.size();
        Random rng = seed_ ? Random(*seed_) : Random::nondeterministic();
        auto set_each = [&](auto draw) {
            for (Index i = 0; i < n; ++i) data[i] = static_cast<Scalar>(draw());
        };
        switch (kind_) {
            case Kind::Zeros:
                set_each([] { return 0.0; });
                return;
            case Kind::Ones:
                set_each([] { return 1.0; });
                return;
            case Kind::Constant:
                set_each([&] { return value_; });
                return;
            case Kind::RandomUniform:
                set_each([&] { return rng.uniform(a_, b_); });
                return;
            case Kind::RandomNormal:
                set_each([&] { return a_ + b_ * rng.normal(); });
                return;
            case Kind::TruncatedNormal:
                set_each([&] { return rng.truncated_normal(a_, b_); });
                return;
            case Kind::VarianceScaling:
                fill_variance_scaling(data, shape, rng);
                return;
            case Kind::Orthogonal:
                fill_orthogonal(data, shape, rng);
                return;
            case Kind::Identity:
                fill_identity(data, shape);
                return;
        }
    }

    template <class Scalar>
    Tensor<Scalar> make(const Shape& shape) const {
        Tensor<Scalar> t(shape);
        fill(t.data(), shape);
        return t;
    }

    /// Keras `_compute_fans`: (fan_in, fan_out) of a weight shape.
    static std::pair<double, double> compute_fans(const Shape& shape) {
        if (shape.rank() == 0) return {1.0, 1.0};
        if (shape.rank() == 1) return {double(shape[0]), double(shape[0])};
        if (shape.rank() == 2) return {double(shape[0]), double(shape[1])};
        double receptive = 1.0;
        for (int i = 0; i < shape.rank() - 2; ++i) receptive *= double(shape[i]);
        return {double(shape[shape.rank() - 2]) * receptive, double(shape[shape.rank() - 1]) * receptive};
    }

  private:
    Initializer(Kind kind, std::string class_name, std::optional<std::uint64_t> seed = {})
        : kind_(kind), class_name_(std::move(class_name)), seed_(seed) {}

    static Initializer variance_scaling_named(const char* class_name, double scale, FanMode mode, Distribution dist,
                                              std::optional<std::uint64_t> seed) {
        if (!(scale > 0.0)) {
            ELMAN_THROW(std::invalid_argument("`scale` must be positive float. Got: " + std::to_string(scale)));
        }
        Initializer i(Kind::VarianceScaling, class_name, seed);
        i.value_ = scale;
        i.mode_ = mode;
        i.distribution_ = dist;
        return i;
    }
    static FanMode parse_mode(const std::string& mode) {
        if (mode == "fan_in") return FanMode::FanIn;
        if (mode == "fan_out") return FanMode::FanOut;
        if (mode == "fan_avg") return FanMode::FanAvg;
        ELMAN_THROW(std::invalid_argument(
            "Invalid `mode` argument: expected one of {'fan_in', 'fan_out', 'fan_avg'}, got '" + mode + "'"));
    }
    static Distribution parse_distribution(const std::string& d) {
        if (d == "truncated_normal" || d == "normal") return Distribution::TruncatedNormal;
        if (d == "untruncated_normal") return Distribution::UntruncatedNormal;
        if (d == "uniform") return Distribution::Uniform;
        ELMAN_THROW(std::invalid_argument(
            "Invalid `distribution` argument: expected one of {'normal', 'truncated_normal', 'untruncated_normal', "
            "'uniform'}, got '" +
            d + "'"));
    }

    template <class Scalar>
    void fill_variance_scaling(Scalar* data, const Shape& shape, Random& rng) const {
        const auto fans = compute_fans(shape);
        const double n = mode_ == FanMode::FanIn    ? fans.first
                         : mode_ == FanMode::FanOut ? fans.second
                                                    : (fans.first + fans.second) / 2.0;
        const double s = value_ / std::max(1.0, n);
        const Index count = shape.size();
        for (Index i = 0; i < count; ++i) {
            double v = 0.0;
            switch (distribution_) {
                // 0.879... is the std of a unit normal truncated to +-2, so the result has std sqrt(s).
                case Distribution::TruncatedNormal:
                    v = rng.truncated_normal(0.0, std::sqrt(s) / 0.87962566103423978);
                    break;
                case Distribution::UntruncatedNormal:
                    v = std::sqrt(s) * rng.normal();
                    break;
                case Distribution::Uniform: {
                    const double limit = std::sqrt(3.0 * s);
                    v = rng.uniform(-limit, limit);
                    break;
                }
            }
            data[i] = static_cast<Scalar>(v);
        }
    }

    template <class Scalar>
    void fill_orthogonal(Scalar* data, const Shape& shape, Random& rng) const {
        if (shape.rank() < 2) {
            ELMAN_THROW(std::invalid_argument(
                "Orthogonal initializer: the tensor to initialize must be at least two-dimensional, "
                "got shape " +
                shape.to_string()));
        }
        const Index cols = shape[shape.rank() - 1];
        const Index rows = cols == 0 ? 0 : shape.size() / cols;
        if (rows == 0 || cols == 0) return;
        const Index big = std::max(rows, cols), small = std::min(rows, cols);
        Eigen::MatrixXd a(big, small);
        for (Index j = 0; j < small; ++j)
            for (Index i = 0; i < big; ++i) a(i, j) = rng.normal();
        Eigen::HouseholderQR<Eigen::MatrixXd> qr(a);
        Eigen::MatrixXd q = qr.householderQ() * Eigen::MatrixXd::Identity(big, small);
        const Eigen::MatrixXd r = qr.matrixQR().topRows(small).template triangularView<Eigen::Upper>();
        for (Index j = 0; j < small; ++j) {
            const double d = r(j, j);
            q.col(j) *= d > 0 ? 1.0 : (d < 0 ? -1.0 : 0.0);
        }
        Eigen::Map<RowMajorMatrix<Scalar>> out(data, rows, cols);
        if (rows < cols) {
            out = (value_ * q.transpose()).template cast<Scalar>();
        } else {
            out = (value_ * q).template cast<Scalar>();
        }
    }

    template <class Scalar>
    void fill_identity(Scalar* data, const Shape& shape) const {
        if (shape.rank() != 2) {
            ELMAN_THROW(std::invalid_argument("Identity initializer: only 2-D shapes are supported, got shape " +
                                              shape.to_string()));
        }
        Eigen::Map<RowMajorMatrix<Scalar>> out(data, shape[0], shape[1]);
        out.setIdentity();
        out *= static_cast<Scalar>(value_);
    }

    Kind kind_;
    std::string class_name_;
    std::optional<std::uint64_t> seed_;
    double value_ = 0.0;  // constant value / VS scale / gain
    double a_ = 0.0, b_ = 0.0;
    FanMode mode_ = FanMode::FanIn;
    Distribution distribution_ = Distribution::TruncatedNormal;
};

/// One Keras name of an initializer and the initializer it means, built with its defaults and a seed.
struct InitializerName {
    const char* name;
    Initializer (*make)(std::optional<std::uint64_t> seed);
};

/// Every name Keras resolves to an initializer (TF 2.4 `keras.initializers`: the v2 class names, their
/// snake_case aliases and the compatibility aliases zero, one, uniform, normal). The one list:
/// `Initializer::from_name` and the config reader (io/layer_config.hpp) both resolve names through it.
inline constexpr InitializerName initializer_names[] = {
    {"Zeros", [](std::optional<std::uint64_t>) { return Initializer::zeros(); }},
    {"zeros", [](std::optional<std::uint64_t>) { return Initializer::zeros(); }},
    {"zero", [](std::optional<std::uint64_t>) { return Initializer::zeros(); }},
    {"Ones", [](std::optional<std::uint64_t>) { return Initializer::ones(); }},
    {"ones", [](std::optional<std::uint64_t>) { return Initializer::ones(); }},
    {"one", [](std::optional<std::uint64_t>) { return Initializer::ones(); }},
    {"Constant", [](std::optional<std::uint64_t>) { return Initializer::constant(); }},
    {"constant", [](std::optional<std::uint64_t>) { return Initializer::constant(); }},
    {"RandomUniform", [](std::optional<std::uint64_t> s) { return Initializer::random_uniform(-0.05, 0.05, s); }},
    {"random_uniform", [](std::optional<std::uint64_t> s) { return Initializer::random_uniform(-0.05, 0.05, s); }},
    {"uniform", [](std::optional<std::uint64_t> s) { return Initializer::random_uniform(-0.05, 0.05, s); }},
    {"RandomNormal", [](std::optional<std::uint64_t> s) { return Initializer::random_normal(0.0, 0.05, s); }},
    {"random_normal", [](std::optional<std::uint64_t> s) { return Initializer::random_normal(0.0, 0.05, s); }},
    {"normal", [](std::optional<std::uint64_t> s) { return Initializer::random_normal(0.0, 0.05, s); }},
    {"TruncatedNormal", [](std::optional<std::uint64_t> s) { return Initializer::truncated_normal(0.0, 0.05, s); }},
    {"truncated_normal", [](std::optional<std::uint64_t> s) { return Initializer::truncated_normal(0.0, 0.05, s); }},
    {"VarianceScaling",
     [](std::optional<std::uint64_t> s) {
         return Initializer::variance_scaling(1.0, "fan_in", "truncated_normal", s);
     }},
    {"variance_scaling",
     [](std::optional<std::uint64_t> s) {
         return Initializer::variance_scaling(1.0, "fan_in", "truncated_normal", s);
     }},
    {"Orthogonal", [](std::optional<std::uint64_t> s) { return Initializer::orthogonal(1.0, s); }},
    {"orthogonal", [](std::optional<std::uint64_t> s) { return Initializer::orthogonal(1.0, s); }},
    {"Identity", [](std::optional<std::uint64_t>) { return Initializer::identity(); }},
    {"identity", [](std::optional<std::uint64_t>) { return Initializer::identity(); }},
    {"GlorotUniform", [](std::optional<std::uint64_t> s) { return Initializer::glorot_uniform(s); }},
    {"glorot_uniform", [](std::optional<std::uint64_t> s) { return Initializer::glorot_uniform(s); }},
    {"GlorotNormal", [](std::optional<std::uint64_t> s) { return Initializer::glorot_normal(s); }},
    {"glorot_normal", [](std::optional<std::uint64_t> s) { return Initializer::glorot_normal(s); }},
    {"HeNormal", [](std::optional<std::uint64_t> s) { return Initializer::he_normal(s); }},
    {"he_normal", [](std::optional<std::uint64_t> s) { return Initializer::he_normal(s); }},
    {"HeUniform", [](std::optional<std::uint64_t> s) { return Initializer::he_uniform(s); }},
    {"he_uniform", [](std::optional<std::uint64_t> s) { return Initializer::he_uniform(s); }},
    {"LecunNormal", [](std::optional<std::uint64_t> s) { return Initializer::lecun_normal(s); }},
    {"lecun_normal", [](std::optional<std::uint64_t> s) { return Initializer::lecun_normal(s); }},
    {"LecunUniform", [](std::optional<std::uint64_t> s) { return Initializer::lecun_uniform(s); }},
    {"lecun_uniform", [](std::optional<std::uint64_t> s) { return Initializer::lecun_uniform(s); }},
};

inline std::optional<Initializer> Initializer::lookup(const std::string& name, std::optional<std::uint64_t> seed) {
    for (const InitializerName& n : initializer_names)
        if (name == n.name) return n.make(seed);
    return std::nullopt;
}

ELMAN_NAMESPACE_END
// #include <elman/parameter.hpp>
// One trainable weight in Keras layout whose every write is seen by the caches built from it.

// #include <elman/config.hpp>
// #include <elman/exceptions.hpp>
// #include <elman/tensor.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

ELMAN_NAMESPACE_BEGIN

namespace detail {
// Stamps are unique across the process, so a cache that recorded one can never mistake another weight's (or a
// copy's later) contents for the ones it was built from.
inline std::uint64_t next_weight_stamp() noexcept {
    static std::atomic<std::uint64_t> counter{0};
    return counter.fetch_add(1, std::memory_order_relaxed) + 1;
}

/// The stamps of the N parameters a derived copy (packed weights) was built from. `refresh(now, build)` runs
/// `build` unless the copy was built from exactly these stamps; while it runs the copy counts as invalid, so a
/// build that throws (bad_alloc) never leaves a copy that looks current.
template <std::size_t N>
class DerivedStamps {
  public:
    template <class Build>
    void refresh(const std::uint64_t (&now)[N], Build&& build) {
        if (valid_ && std::equal(now, now + N, stamps_)) return;
        valid_ = false;
        build();
        std::copy(now, now + N, stamps_);
        valid_ = true;
    }

  private:
    std::uint64_t stamps_[N] = {};
    bool valid_ = false;
};
}  // namespace detail

/// A weight stored in Keras' layout as a row-major matrix (`[rows, cols]`; a 1-D Keras weight such as a bias is
/// one row `[1, n]`), readable at any time and writable only through `assign` or `modify`. Each write gives the
/// parameter a new `stamp()`, so derived data (the packed copy a SimpleRNN multiplies with) is rebuilt exactly
/// when the values may have changed, whoever changed them and however long they kept a handle.
template <class Scalar>
class Parameter {
  public:
    using Matrix = RowMajorMatrix<Scalar>;
    using Map = Eigen::Map<Matrix>;

    Parameter() = default;
    Parameter(Index rows, Index cols, bool is_vector = false) : value_(rows, cols), is_vector_(is_vector) {}
    Parameter(const Parameter&) = default;
    Parameter& operator=(const Parameter&) = default;
    /// A moved-from parameter is empty (0 x 0) with a new stamp.
    Parameter(Parameter&& other) noexcept
        : value_(std::move(other.value_)), is_vector_(other.is_vector_), stamp_(other.stamp_) {
        other.reset();
    }
    Parameter& operator=(Parameter&& other) noexcept {
        if (this != &other) {
            value_ = std::move(other.value_);
            is_vector_ = other.is_vector_;
            stamp_ = other.stamp_;
            other.reset();
        }
        return *this;
    }

    const Matrix& value() const noexcept { return value_; }
    Index rows() const noexcept { return value_.rows(); }
    Index cols() const noexcept { return value_.cols(); }
    Index size() const noexcept { return value_.size(); }
    /// True for a 1-D Keras weight (stored as one row); constraints use Keras' axis convention accordingly.
    bool is_vector() const noexcept { return is_vector_; }
    /// Changes with every write (unique across the process).
    std::uint64_t stamp() const noexcept { return stamp_; }

    /// value := `values` (same shape; the caller checks it, a mismatch is a programming error).
    template <class Derived>
    void assign(const Eigen::DenseBase<Derived>& values) {
        ELMAN_ASSERT(values.rows() == rows() && values.cols() == cols());
        value_ = values;
        touch();
    }

    /// Calls `f(Map)` with a writable view of the values (shape fixed) and marks them changed (also when `f`
    /// throws half-way). The view is valid inside `f` only.
    template <class F>
    void modify(F&& f) {
        touch();
        Map view(value_.data(), value_.rows(), value_.cols());
        std::forward<F>(f)(view);
    }

    /// New shape, uninitialised values (building a layer).
    void resize(Index rows, Index cols) {
        value_.resize(rows, cols);
        touch();
    }

  private:
    void touch() noexcept { stamp_ = detail::next_weight_stamp(); }
    void reset() noexcept {
        value_.resize(0, 0);
        touch();
    }

    Matrix value_;
    bool is_vector_ = false;
    std::uint64_t stamp_ = detail::next_weight_stamp();
};

ELMAN_NAMESPACE_END
// #include <elman/shape.hpp>
// #include <elman/tensor.hpp>
// #include <elman/train/variable.hpp>
// A trainable weight paired with its gradient and constraint, as an optimizer updates it.

// #include <elman/config.hpp>
// #include <elman/constraints.hpp>
// #include <elman/exceptions.hpp>
// #include <elman/parameter.hpp>
// #include <elman/tensor.hpp>

#include <Eigen/Core>

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

ELMAN_NAMESPACE_BEGIN

/// One trainable weight as an optimizer sees it: the layer's Parameter (written only through `update`, so the
/// layer sees every change), the gradient matrix, and the Keras constraint applied right after each update.
///
/// A Variable refers to the parameter and to the gradient *object* (not its buffer): the natural training loop
/// builds the list once and reuses it for every step, with `grads = backward(...)` reassigned in between. The
/// layer and the gradient object must outlive the Variable and stay where they are (not moved); the gradient's
/// shape is checked against the weight's at every update.
template <class Scalar>
class Variable {
  public:
    using Matrix = RowMajorMatrix<Scalar>;
    using Array = Eigen::Map<Eigen::Array<Scalar, Eigen::Dynamic, 1>>;
    using ConstArray = Eigen::Map<const Eigen::Array<Scalar, Eigen::Dynamic, 1>>;

    /// Throws std::invalid_argument naming `name` when the shapes differ.
    Variable(std::string name, Parameter<Scalar>& parameter, const Matrix& gradient,
             std::optional<Constraint> constraint = std::nullopt)
        : name_(std::move(name)), parameter_(&parameter), gradient_(&gradient), constraint_(std::move(constraint)) {
        check_shapes();
    }

    const std::string& name() const noexcept { return name_; }
    Index size() const noexcept { return parameter_->size(); }
    const Parameter<Scalar>& parameter() const noexcept { return *parameter_; }
    const Matrix& gradient() const noexcept { return *gradient_; }

    /// Calls `f(w, g)` with the weight and its gradient as flat arrays (element-wise updates do not depend on
    /// the order), then applies the constraint; the weight is marked changed. Throws std::invalid_argument when
    /// the gradient's shape no longer matches the weight's.
    template <class F>
    void update(F&& f) const {
        check_shapes();
        const Matrix& gradient = *gradient_;
        parameter_->modify([&](typename Parameter<Scalar>::Map& w) {
            Array wa(w.data(), w.size());
            const ConstArray ga(gradient.data(), gradient.size());
            f(wa, ga);
            if (constraint_) constraint_->apply(w, parameter_->is_vector());
        });
    }

  private:
    void check_shapes() const {
        if (gradient_->rows() != parameter_->rows() || gradient_->cols() != parameter_->cols()) {
            ELMAN_THROW(std::invalid_argument(
                "Variable '" + name_ + "': gradient shape (" + std::to_string(gradient_->rows()) + ", " +
                std::to_string(gradient_->cols()) + ") does not match the weight shape (" +
                std::to_string(parameter_->rows()) + ", " + std::to_string(parameter_->cols()) + ")"));
        }
    }

    std::string name_;
    Parameter<Scalar>* parameter_;
    const Matrix* gradient_;
    std::optional<Constraint> constraint_;
};

ELMAN_NAMESPACE_END

#include <Eigen/Core>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

ELMAN_NAMESPACE_BEGIN

/// Gradients of a loss with respect to a Dense layer's weights and its input.
template <class Scalar>
struct DenseGradients {
    RowMajorMatrix<Scalar> kernel;  ///< `[in, units]`
    RowMajorMatrix<Scalar> bias;    ///< `[1, units]`
    Tensor<Scalar> inputs;          ///< shaped like the forward input
};

/// Keras `Dense(units, activation=None, use_bias=True)`: `y = x · kernel + bias` over the last axis, so a
/// `[B, U]` last output gives `[B, units]` and a `[B, T, U]` sequence gives `[B, T, units]`. Weights use
/// Keras' layout: kernel `[in, units]`, bias `[units]` (a `[1, units]` row), row-major like every weight.
template <class Scalar = float>
class Dense {
  public:
    using RowMatrix = RowMajorMatrix<Scalar>;

    /// Builds kernel `[input_dim, units]` and bias `[units]` with Keras' defaults (glorot_uniform, zeros) unless
    /// other initializers are given. Throws std::invalid_argument for non-positive sizes.
    Dense(Index input_dim, Index units, Initializer kernel_initializer = Initializer::glorot_uniform(),
          Initializer bias_initializer = Initializer::zeros(), std::string name = "dense")
        : name_(std::move(name)) {
        if (input_dim <= 0 || units <= 0) {
            ELMAN_THROW(std::invalid_argument("Dense '" + name_ + "': `input_dim` and `units` must be positive, got " +
                                              std::to_string(input_dim) + " and " + std::to_string(units)));
        }
        kernel_.resize(input_dim, units);
        kernel_.modify([&](auto& w) { kernel_initializer.fill(w.data(), Shape{input_dim, units}); });
        bias_.resize(1, units);
        bias_.modify([&](auto& w) { bias_initializer.fill(w.data(), Shape{units}); });
    }

    const std::string& name() const noexcept { return name_; }
    Index input_dim() const noexcept { return kernel_.rows(); }
    Index units() const noexcept { return kernel_.cols(); }
    const RowMatrix& kernel() const noexcept { return kernel_.value(); }
    const RowMatrix& bias() const noexcept { return bias_.value(); }
    /// The weights as Parameters (written through `modify` / `assign`, as optimizers do).
    Parameter<Scalar>& kernel_parameter() noexcept { return kernel_; }
    Parameter<Scalar>& bias_parameter() noexcept { return bias_; }

    /// `y = x · kernel + bias` for `x` of rank 2 or 3 whose last extent is input_dim.
    Tensor<Scalar> operator()(TensorView<const Scalar> x) const {
        Tensor<Scalar> y;
        (*this)(x, y);
        return y;
    }

    /// Same, writing into `y` (resized in place, so repeated calls of one shape reuse its storage). `y` must not
    /// be `x`'s buffer.
    void operator()(TensorView<const Scalar> x, Tensor<Scalar>& y) const {
        check_input(x);
        y.resize(out_shape(x.shape()));
        auto ym = y.matrix();
        ym.noalias() = x.matrix() * kernel();
        ym.rowwise() += bias().row(0);
    }

    /// Gradients given the forward input `x` and d loss / d y `grad_output` (shaped like the output).
    DenseGradients<Scalar> backward(TensorView<const Scalar> x, TensorView<const Scalar> grad_output) const {
        check_input(x);
        const Shape expected = out_shape(x.shape());
        if (grad_output.shape() != expected) {
            ELMAN_THROW(std::invalid_argument("Dense '" + name_ + "': `grad_output` has shape " +
                                              grad_output.shape().to_string() + ", expected " + expected.to_string()));
        }
        DenseGradients<Scalar> g;
        const auto gy = grad_output.matrix();
        g.kernel.noalias() = x.matrix().transpose() * gy;
        g.bias = gy.colwise().sum();
        g.inputs.resize(x.shape());
        g.inputs.matrix().noalias() = gy * kernel().transpose();
        return g;
    }

  private:
    void check_input(const TensorView<const Scalar>& x) const {
        if (x.rank() < 2 || x.rank() > 3 || x.dim(x.rank() - 1) != input_dim()) {
            ELMAN_THROW(std::invalid_argument("Dense '" + name_ + "': `inputs` has shape " + x.shape().to_string() +
                                              ", expected rank 2 or 3 with last dimension " +
                                              std::to_string(input_dim())));
        }
    }
    Shape out_shape(Shape s) const {
        s[s.rank() - 1] = units();
        return s;
    }

    std::string name_;
    Parameter<Scalar> kernel_;
    Parameter<Scalar> bias_{0, 0, true};
};

/// A Dense layer's weights paired with their gradients (kernel, bias), for an optimizer's apply_gradients.
template <class Scalar>
std::vector<Variable<Scalar>> trainable_variables(Dense<Scalar>& layer, const DenseGradients<Scalar>& grads) {
    std::vector<Variable<Scalar>> vars;
    vars.emplace_back(layer.name() + "/kernel", layer.kernel_parameter(), grads.kernel);
    vars.emplace_back(layer.name() + "/bias", layer.bias_parameter(), grads.bias);
    return vars;
}

ELMAN_NAMESPACE_END
// #include <elman/exceptions.hpp>
// #include <elman/initializers.hpp>
// #include <elman/isa.hpp>
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

// #include <elman/config.hpp>
// #include <elman/exceptions.hpp>

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
// #include <elman/mask.hpp>
// A read-only view of a Keras timestep mask of any arithmetic dtype (non-zero = keep the step).

// #include <elman/config.hpp>
// #include <elman/exceptions.hpp>
// #include <elman/shape.hpp>
// #include <elman/tensor.hpp>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <type_traits>

ELMAN_NAMESPACE_BEGIN

/// Keras casts a mask of any dtype to bool; this view does the same without copying. Shape `[B, T]`
/// (or `[B, T, 1]`, also accepted by Keras); with `time_major` layers, `[T, B]`. The layer checks the shape
/// against its inputs; the view itself refuses only a null `data` for a non-empty shape (as TensorView does).
class MaskView {
  public:
    MaskView() = default;

    /// Throws std::invalid_argument when `data` is null and `shape` has elements.
    template <class T, class = std::enable_if_t<std::is_arithmetic<T>::value>>
    MaskView(const T* data, Shape shape) : data_(data), shape_(shape), element_size_(sizeof(T)), read_(&read_as<T>) {
        if (data_ == nullptr && shape_.size() != 0) throw_null(shape_);
    }
    /// `MaskView(nullptr, shape)`: a null pointer of no particular dtype; valid only for an empty shape (a mask
    /// of zero elements), otherwise std::invalid_argument as above.
    MaskView(std::nullptr_t, Shape shape) : shape_(shape), read_(&read_as<bool>) {
        if (shape_.size() != 0) throw_null(shape_);
    }

    template <class T, class = std::enable_if_t<std::is_arithmetic<std::remove_const_t<T>>::value>>
    MaskView(const TensorView<T>& view)
        : MaskView(static_cast<const std::remove_const_t<T>*>(view.data()), view.shape()) {}

    template <class T, class = std::enable_if_t<std::is_arithmetic<T>::value>>
    MaskView(const Tensor<T>& tensor) : MaskView(tensor.data(), tensor.shape()) {}

    const Shape& shape() const noexcept { return shape_; }
    bool empty() const noexcept { return read_ == nullptr; }

    /// The viewed memory: first byte and length (to detect a mask that aliases a buffer being written).
    const void* data() const noexcept { return data_; }
    std::size_t bytes() const noexcept { return data_ ? static_cast<std::size_t>(shape_.size()) * element_size_ : 0; }

    /// Whether flat element `i` (row-major) keeps its step.
    bool keep(Index i) const noexcept { return read_(data_, i); }

  private:
    [[noreturn]] static void throw_null(const Shape& shape) {
        ELMAN_THROW(std::invalid_argument("elman::MaskView: `data` is a null pointer for a mask of shape " +
                                          shape.to_string()));
    }

    template <class T>
    static bool read_as(const void* data, Index i) noexcept {
        return static_cast<const T*>(data)[i] != T(0);
    }

    const void* data_ = nullptr;
    Shape shape_;
    std::size_t element_size_ = 0;
    bool (*read_)(const void*, Index) noexcept = nullptr;
};

ELMAN_NAMESPACE_END
// #include <elman/parameter.hpp>
// #include <elman/random.hpp>
// #include <elman/regularizers.hpp>
// Keras weight/activity regularizers: L1, L2 and L1L2 (no 1/2 factor, factors stored as float32 like Keras).

// #include <elman/config.hpp>
// #include <elman/exceptions.hpp>

#include <Eigen/Core>

#include <cmath>
#include <optional>
#include <stdexcept>
#include <string>

ELMAN_NAMESPACE_BEGIN

/// penalty(w) = l1 * sum|w| + l2 * sum w^2. Construct with the Keras-named factories.
class Regularizer {
  public:
    /// Keras `L1(l1=0.01)` / `'l1'`.
    static Regularizer L1(double l1 = 0.01) { return Regularizer("L1", check(l1), 0.0); }
    /// Keras `L2(l2=0.01)` / `'l2'`.
    static Regularizer L2(double l2 = 0.01) { return Regularizer("L2", 0.0, check(l2)); }
    /// Keras class `L1L2(l1=0.0, l2=0.0)` (zero defaults; the string 'L1L2' resolves here).
    static Regularizer L1L2(double l1 = 0.0, double l2 = 0.0) { return Regularizer("L1L2", check(l1), check(l2)); }
    /// Keras function `l1_l2(l1=0.01, l2=0.01)` (the string 'l1_l2').
    static Regularizer l1_l2(double l1 = 0.01, double l2 = 0.01) { return L1L2(l1, l2); }

    /// The regularizer Keras calls `name` (a name of `regularizer_names`), with that name's defaults ('l1_l2'
    /// is 0.01 / 0.01, the class 'L1L2' 0 / 0); empty for any other name.
    static std::optional<Regularizer> lookup(const std::string& name);
    /// Keras names: 'l1', 'L1', 'l2', 'L2', 'l1_l2', 'L1L2' (`regularizer_names`). Throws std::invalid_argument
    /// for any other name.
    static Regularizer from_name(const std::string& name) {
        if (std::optional<Regularizer> r = lookup(name)) return *r;
        ELMAN_THROW(
            std::invalid_argument("Unknown regularizer: " + name + ". Expected one of 'l1', 'l2', 'l1_l2', 'L1L2'."));
    }

    /// Factors as Keras stores them (cast to float32).
    double l1() const noexcept { return l1_; }
    double l2() const noexcept { return l2_; }
    /// Keras class name used in configs: "L1", "L2" or "L1L2".
    const char* class_name() const noexcept { return class_name_; }

    /// The penalty on a weight tensor (a zero factor's term is skipped, as in Keras).
    template <class Derived>
    typename Derived::Scalar operator()(const Eigen::DenseBase<Derived>& w) const {
        using S = typename Derived::Scalar;
        S total(0);
        if (l1_ != 0.0) total += static_cast<S>(l1_) * w.derived().array().abs().sum();
        if (l2_ != 0.0) total += static_cast<S>(l2_) * w.derived().array().square().sum();
        return total;
    }

    /// Adds d penalty / d w to `grad` (l1 * sign(w) with sign(0) = 0, plus 2 * l2 * w).
    template <class Derived, class GradDerived>
    void add_gradient(const Eigen::DenseBase<Derived>& w, Eigen::DenseBase<GradDerived>& grad) const {
        using S = typename Derived::Scalar;
        if (l1_ != 0.0) grad.derived().array() += static_cast<S>(l1_) * w.derived().array().sign();
        if (l2_ != 0.0) grad.derived().array() += static_cast<S>(2.0 * l2_) * w.derived().array();
    }

  private:
    Regularizer(const char* class_name, double l1, double l2)
        : l1_(static_cast<double>(static_cast<float>(l1))), l2_(static_cast<double>(static_cast<float>(l2))),
          class_name_(class_name) {}

    static double check(double factor) {
        if (!std::isfinite(factor)) {
            ELMAN_THROW(
                std::invalid_argument("Value: " + std::to_string(factor) +
                                      " is not a valid regularization penalty number, expected an int or float value"));
        }
        return factor;
    }

    double l1_ = 0.0, l2_ = 0.0;
    const char* class_name_ = "L1L2";
};

/// One Keras name of a regularizer and the regularizer it means, built with that name's defaults.
struct RegularizerName {
    const char* name;
    Regularizer (*make)();
};

/// Every name Keras resolves to a regularizer (TF 2.4 `keras.regularizers`: the classes, their aliases `l1`/`l2`
/// and the function `l1_l2`, whose defaults differ from the class `L1L2`'s). The one list:
/// `Regularizer::from_name` and the config reader (io/layer_config.hpp) both resolve names through it.
inline constexpr RegularizerName regularizer_names[] = {
    {"l1", [] { return Regularizer::L1(); }},       {"L1", [] { return Regularizer::L1(); }},
    {"l2", [] { return Regularizer::L2(); }},       {"L2", [] { return Regularizer::L2(); }},
    {"l1_l2", [] { return Regularizer::l1_l2(); }}, {"L1L2", [] { return Regularizer::L1L2(); }},
};

inline std::optional<Regularizer> Regularizer::lookup(const std::string& name) {
    for (const RegularizerName& n : regularizer_names)
        if (name == n.name) return n.make();
    return std::nullopt;
}

ELMAN_NAMESPACE_END
// #include <elman/shape.hpp>
// #include <elman/simple_rnn.hpp>
// SimpleRNN: tf.keras.layers.SimpleRNN (TF 2.4) on Eigen.

// #include <elman/activations.hpp>
// #include <elman/backend.hpp>
// Which matrix-product code a SimpleRNN call runs on.

// #include <elman/config.hpp>

ELMAN_NAMESPACE_BEGIN

/// The compute path of SimpleRNN's whole-sequence call (`layer.set_backend(...)`). Both compute the same layer;
/// they differ in summation order only (so results agree to rounding, not bit for bit).
enum class Backend {
    /// Weights packed into SIMD panels (kept between calls, repacked when a weight is written); one fused
    /// product `[h~_{t-1} x~_t] · [U; W] + b` per step (detail/packed_gemm.hpp). Summation order does not depend
    /// on the batch size or thread count, so calls (dropout training calls included) split across threads.
    packed,
    /// Eigen products: all timesteps' input projection in one GEMM, then one GEMM per step; one thread. With
    /// `EIGEN_USE_BLAS` (CMake `ELMAN_USE_BLAS=ON`) those products run on the linked BLAS.
    gemm,
};

/// The default backend: `gemm` when compiled with `ELMAN_USE_BLAS` defined (the user asked for BLAS), else `packed`.
#if defined(ELMAN_USE_BLAS)
inline constexpr Backend default_backend = Backend::gemm;
#else
inline constexpr Backend default_backend = Backend::packed;
#endif

ELMAN_NAMESPACE_END
// #include <elman/config.hpp>
// #include <elman/detail/backward_engine.hpp>
// Backpropagation through time on the packed kernels and the layer's threads: the compute side of backward().
//
// With gz_p = d loss / d z_p (z_p the pre-activation of processed step p) the gradients are
//     d h~_{p-1} = gz_p · Uᵀ,   d x~_t = gz_p · Wᵀ           (per step, in reverse: the sequential part)
//     d U = Σ_p h~_{p-1}ᵀ gz_p,  d W = Σ_p x~_tᵀ gz_p,  d b = Σ_p gz_p   (reductions over all B·T rows)
// Three phases, each split across the layer's threads:
//  1. the reverse recurrence per batch slice (samples are independent): one packed product per step,
//     gz · [Uᵀ Wᵀ], gives the state gradient and the input gradient together (the forward's [h x] · [U; W]
//     mirrored); gz of every step is stored transposed, `[U, T·B]`, the operand of phase 3, and added to its
//     sample's bias sum (d b = Σ_b Σ_p gz_p,b, summed over the samples in order once the slices are done);
//  2. (same pass) the reduction's other operand S = [h~ x~], one row per (step, sample), packed in k blocks;
//  3. [dU; dW]ᵀ = gzᵀ · S, split by rows of the result, each block summed over the k blocks in order.
// Every element is summed in an order fixed by the data's shape alone (the packed kernels' plain k order, each
// sample's steps in reverse, then the samples), so the gradients are bit-identical for any thread count.

// #include <elman/config.hpp>
// #include <elman/detail/batch_split.hpp>
// Running independent batch slices of a recurrence on several threads: persistent workers (SlicePool).

// #include <elman/config.hpp>
// #include <elman/exceptions.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

ELMAN_NAMESPACE_BEGIN
namespace detail {

/// Number of slices `batch` rows are split into for `threads` threads: never more slices than rows.
inline Index slice_count(Index batch, int threads) noexcept {
    return std::max<Index>(1, std::min<Index>(batch, threads));
}

/// First row of slice `s` of `count` near-equal slices of `batch` rows (slice s is [begin(s), begin(s+1))).
inline Index slice_begin(Index batch, Index count, Index s) noexcept {
    if (count == 1) return batch * s;  // one slice, the usual case: no divisions
    return batch / count * s + std::min(s, batch % count);
}

/// One spin-wait iteration: tells the core we are spinning (x86 `pause`, Arm `yield`), else does nothing.
inline void spin_pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield" ::: "memory");
#endif
}

/// Worker threads that stay alive between calls and run the slices of each call: `run(count, body)` runs
/// `body(s)` for s in [0, count), slice 0 on the caller and slice s on worker s-1. Workers are started on the
/// first run that needs them and joined by the destructor (or `stop()`). Between calls a worker spins briefly
/// (so back-to-back calls do not pay a wake-up), then sleeps on a condition variable.
///
/// A pool belongs to one owner object: copying gives an empty pool (the copy starts its own workers when it
/// first needs them), copy-assignment keeps the target's workers, moving transfers them. `run` must not be
/// called concurrently on one pool (the owner's call is not const). If the system refuses a thread, its slices
/// run on the caller instead (same result, less parallelism).
class SlicePool {
  public:
    SlicePool() = default;
    SlicePool(const SlicePool&) noexcept {}
    SlicePool& operator=(const SlicePool&) noexcept { return *this; }
    SlicePool(SlicePool&& other) noexcept : state_(std::move(other.state_)) {}
    SlicePool& operator=(SlicePool&& other) noexcept {
        if (this != &other) {
            stop();
            state_ = std::move(other.state_);
        }
        return *this;
    }
    ~SlicePool() { stop(); }

    /// Worker threads currently running.
    std::size_t workers() const noexcept { return state_ ? state_->threads.size() : 0; }

    /// Joins every worker (the next run starts them again).
    void stop() noexcept {
        if (!state_) return;
        {
            std::lock_guard<std::mutex> lock(state_->mutex);
            state_->stopping = true;
        }
        state_->wake.notify_all();
        for (auto& t : state_->threads) t.join();
        state_.reset();
    }

    /// Runs `body(s)` for every s in [0, count) and returns when all have finished. `body` must not throw;
    /// may throw std::bad_alloc only before any slice has started.
    template <class Body>
    void run(Index count, Body& body) {
        if (count <= 1) {
            if (count == 1) body(Index{0});
            return;
        }
        const std::size_t wanted = static_cast<std::size_t>(count - 1);
        if (!state_) state_ = std::make_unique<State>();
        State& st = *state_;
        while (st.threads.size() < wanted && !st.refused) {
            const std::size_t id = st.threads.size();
            // A new worker must wait for the next job, not run the last one again.
            const unsigned long seen = st.generation.load(std::memory_order_relaxed);
#if ELMAN_HAS_EXCEPTIONS
            try {
                st.threads.emplace_back([&st, id, seen] { worker(st, id, seen); });
            } catch (const std::system_error&) {
                st.refused = true;  // run the missing slices on the caller from now on
            }
#else
            st.threads.emplace_back([&st, id, seen] { worker(st, id, seen); });
#endif
        }
        const std::size_t started = st.threads.size();
        {
            std::lock_guard<std::mutex> lock(st.mutex);
            st.fn = [](void* ctx, Index s) noexcept { (*static_cast<Body*>(ctx))(s); };
            st.ctx = &body;
            st.count = count;
            st.pending.store(started, std::memory_order_relaxed);
            st.generation.fetch_add(1, std::memory_order_release);
        }
        st.wake.notify_all();
        body(Index{0});
        for (Index s = static_cast<Index>(started) + 1; s < count; ++s) body(s);  // slices without a worker
        // Wait for the workers: spin a little, then sleep.
        const auto spin_until = std::chrono::steady_clock::now() + spin_time;
        for (unsigned i = 1; st.pending.load(std::memory_order_acquire) != 0; ++i) {
            spin_pause();
            if (i % 64 == 0 && std::chrono::steady_clock::now() > spin_until) {
                std::unique_lock<std::mutex> lock(st.done_mutex);
                st.done.wait(lock, [&st] { return st.pending.load(std::memory_order_acquire) == 0; });
                break;
            }
        }
    }

  private:
    static constexpr std::chrono::microseconds spin_time{50};

    struct State {
        std::vector<std::thread> threads;
        bool refused = false;  // the system refused a thread once: do not retry on every call
        // The current job, written under `mutex` before `generation` is bumped (release).
        std::mutex mutex;
        std::condition_variable wake;
        bool stopping = false;
        void (*fn)(void*, Index) noexcept = nullptr;
        void* ctx = nullptr;
        Index count = 0;
        std::atomic<unsigned long> generation{0};
        // Workers still running the current job; the one that brings it to 0 notifies `done`.
        std::atomic<std::size_t> pending{0};
        std::mutex done_mutex;
        std::condition_variable done;
    };

    static void worker(State& st, std::size_t id, unsigned long seen) noexcept {
        for (;;) {
            // Wait for a new job: spin a little, then sleep.
            const auto spin_until = std::chrono::steady_clock::now() + spin_time;
            bool have_job = false;
            for (unsigned i = 1; i % 64 != 0 || std::chrono::steady_clock::now() <= spin_until; ++i) {
                if (st.generation.load(std::memory_order_acquire) != seen) {
                    have_job = true;
                    break;
                }
                spin_pause();
            }
            void (*fn)(void*, Index) noexcept = nullptr;
            void* ctx = nullptr;
            Index count = 0;
            {
                std::unique_lock<std::mutex> lock(st.mutex);
                if (!have_job) {
                    st.wake.wait(lock,
                                 [&] { return st.stopping || st.generation.load(std::memory_order_acquire) != seen; });
                }
                if (st.stopping) return;
                seen = st.generation.load(std::memory_order_acquire);
                fn = st.fn;
                ctx = st.ctx;
                count = st.count;
            }
            const Index slice = static_cast<Index>(id) + 1;
            if (slice < count) fn(ctx, slice);
            if (st.pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
                std::lock_guard<std::mutex> lock(st.done_mutex);
                st.done.notify_one();
            }
        }
    }

    std::unique_ptr<State> state_;
};

}  // namespace detail
ELMAN_NAMESPACE_END
// #include <elman/detail/packed_gemm.hpp>
// The recurrence's matrix product with weights packed once: Z = bias + A · W for a few rows of A.
//
// Why not Eigen's GEMM: every Eigen product re-packs its weight operand, and a recurrence multiplies by the same
// [K, U] weights at every timestep. For small batches (B = 1..16) that re-packing costs as much as the arithmetic.
// Here the weights are packed once (at prepare time) into column panels of NR = 2 SIMD vectors:
//
//     panel p = W[:, p*NR .. p*NR+NR)  stored k-major:  Wp[p][k][0..NR)    (last panel zero-padded)
//
// and a register-blocked micro-kernel keeps an MR x NR tile of Z in registers while it walks k, broadcasting one
// A value per row and loading one panel row per k. The bias is the accumulators' starting value (fused bias).
// Each Z element is summed in plain k order (bias first), whatever the batch size, the row block or the thread:
// results are bit-identical for any batch split.
//
// The kernels (detail/simd_kernels.inc) exist once per instruction set (elman/isa.hpp): Eigen's packets for the
// translation unit's own flags, and on x86-64 AVX2+FMA and AVX-512F versions compiled with `target` pragmas. The
// weights are packed for one of them (its vector width sets NR), chosen when they are packed and stored with
// them; packed_gemm / packed_gemv run that kernel. Paths with FMA give bit-identical products (same operations
// in the same order); Eigen's SSE2 packets multiply and add separately, so they differ within float rounding.

// #include <elman/config.hpp>
// #include <elman/exceptions.hpp>
// #include <elman/isa.hpp>

#include <Eigen/Core>

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>  // sysconf: the L2 size
#endif

#include <algorithm>
#include <cstddef>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#if ELMAN_DETAIL_X86_KERNELS
#include <immintrin.h>
#endif

ELMAN_NAMESPACE_BEGIN
namespace detail {

/// What a kernel reads of a PackedWeights: panels and bias (64-byte aligned), sizes, and how many adjacent panels
/// a product with several row tiles takes at a time (a block that fits in half the L2 cache).
template <class Scalar>
struct PackedView {
    const Scalar* panels;
    const Scalar* bias;
    Index depth, panel_count;
    Index block_panels;
};

/// The L2 cache of the CPU this runs on, in bytes (glibc's sysconf, read once; 1 MiB where it says nothing, the
/// smallest L2 of the x86-64 server cores this library is measured on).
inline std::size_t l2_cache_bytes() noexcept {
    static const std::size_t bytes = [] {
        long l2 = 0;
#if defined(_SC_LEVEL2_CACHE_SIZE)
        l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
#endif
        return l2 >= (64L << 10) ? static_cast<std::size_t>(l2) : std::size_t(1) << 20;
    }();
    return bytes;
}

/// Panels per block for weights of `depth` rows and panels of `nr` columns: as many as fit in half of L2.
template <class Scalar>
Index panels_per_l2_block(Index depth, Index nr) noexcept {
    const std::size_t panel_bytes = static_cast<std::size_t>(std::max<Index>(depth, 1) * nr) * sizeof(Scalar);
    return std::max<Index>(1, static_cast<Index>(l2_cache_bytes() / 2 / panel_bytes));
}

// ---- generic: Eigen's packets for this translation unit's flags ------------------------------------------------
namespace generic_kernels {
template <class Scalar>
struct Ops {
    using V = typename Eigen::internal::packet_traits<Scalar>::type;
    static constexpr int size = Eigen::internal::packet_traits<Scalar>::size;
    static constexpr int registers = EIGEN_ARCH_DEFAULT_NUMBER_OF_REGISTERS;
    static EIGEN_ALWAYS_INLINE V load(const Scalar* p) noexcept { return Eigen::internal::pload<V>(p); }
    static EIGEN_ALWAYS_INLINE V loadu(const Scalar* p) noexcept { return Eigen::internal::ploadu<V>(p); }
    static EIGEN_ALWAYS_INLINE void storeu(Scalar* p, V v) noexcept { Eigen::internal::pstoreu(p, v); }
    static EIGEN_ALWAYS_INLINE V set1(Scalar s) noexcept { return Eigen::internal::pset1<V>(s); }
    static EIGEN_ALWAYS_INLINE V zero() noexcept { return Eigen::internal::pset1<V>(Scalar(0)); }
    static EIGEN_ALWAYS_INLINE V add(V a, V b) noexcept { return Eigen::internal::padd(a, b); }
    static EIGEN_ALWAYS_INLINE V fmadd(V a, V b, V c) noexcept { return Eigen::internal::pmadd(a, b, c); }
};
// The float activation kernel is not instantiated on this path: the generic path keeps Eigen's own tanh.
// #include <elman/detail/simd_kernels.inc>
// The SIMD kernels, written once against a vector-operations policy `Ops<Scalar>` and included once per
// instruction set by detail/packed_gemm.hpp, each time inside that ISA's namespace (which defines `Ops`) and,
// for the x86-64 paths, inside a `target` pragma region: every function here then gets that ISA's code
// generation without any compiler flag. No include guard on purpose; never include this file elsewhere.
//
// Ops<Scalar> provides: `V` (vector type), `size` (lanes), `registers` (vector registers of the ISA), and
// load (aligned) / storeu / set1 / zero / add / fmadd(a, b, c) = a * b + c with one rounding where the ISA has
// FMA. The float activation kernels also use mul / div / min / max / abs / select_lt and the partial
// load / store of the first n lanes (n < size), which touch no memory past those lanes.

template <class Scalar>
struct Tile {
    using O = Ops<Scalar>;
    static constexpr int packet = O::size;
    /// Columns per panel: two vectors, so each broadcast A value feeds two independent FMAs.
    static constexpr int nr = 2 * packet;
    /// Rows per register tile: 2*MR accumulators + 2 weight vectors + 1 broadcast must fit the register file.
    static constexpr int mr = O::registers >= 32 ? 12 : 6;
};

// Keeps a loaded weight vector in a register for the MR FMAs that use it. Without this, GCC 12 tuning for the
// build machine (-march=native on a Zen 5) folds the load into every one of those FMAs: a 4-row tile then
// issues 12 loads per 8 FMAs and becomes load-bound (S6, whose 16 rows leave a 4-row tile, ran 10% slower than
// the same kernel built without -march).
template <class V>
EIGEN_ALWAYS_INLINE void keep_in_register(V& v) noexcept {
    if constexpr (sizeof(V) >= 16) {
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
        __asm__("" : "+v"(v));
#elif (defined(__GNUC__) || defined(__clang__)) && defined(__aarch64__)
        __asm__("" : "+w"(v));
#endif
    }
    (void)v;
}

// One MR x (NP * NR) register tile over NP adjacent panels:
// z[i, 0..NP*NR) = bias + sum_k a[i, k] * panels[k, ...] for i < MR.
// Few rows give few independent FMA chains (2 per row and panel); more panels per tile keep enough chains in
// flight to hide the FMA latency without changing any element's summation order.
template <class Scalar, int MR, int NP, int Depth, bool Accumulate, std::size_t... I>
EIGEN_ALWAYS_INLINE void packed_tile(const Scalar* a, Index lda, const PackedView<Scalar>& w, Index p0, Scalar* z,
                                     Index ldz, std::index_sequence<I...>) noexcept {
    using O = Ops<Scalar>;
    using V = typename O::V;
    constexpr int P = Tile<Scalar>::packet, NR = Tile<Scalar>::nr;
    const Index depth = Depth == Eigen::Dynamic ? w.depth : Index(Depth);
    const Scalar* panel[NP];
    V acc0[NP][MR], acc1[NP][MR];
    for (int q = 0; q < NP; ++q) {
        panel[q] = w.panels + (p0 + q) * w.depth * NR;
        if constexpr (Accumulate) {
            // Continuing the sums already in Z: each element's FMA chain goes on in k order across k blocks.
            const Scalar* zq = z + q * NR;
            ((acc0[q][I] = O::loadu(zq + static_cast<Index>(I) * ldz)), ...);
            ((acc1[q][I] = O::loadu(zq + static_cast<Index>(I) * ldz + P)), ...);
        } else {
            const Scalar* bias = w.bias + (p0 + q) * NR;
            ((acc0[q][I] = O::load(bias)), ...);
            ((acc1[q][I] = O::load(bias + P)), ...);
        }
    }
    for (Index k = 0; k < depth; ++k) {
        if constexpr (NP == 1) {
            // Tall tile: broadcast each row's value as it is used (no registers left to hold MR broadcasts).
            V w0 = O::load(panel[0] + k * NR), w1 = O::load(panel[0] + k * NR + P);
            if constexpr (MR > 1) keep_in_register(w0), keep_in_register(w1);
            ((acc0[0][I] = O::fmadd(O::set1(a[static_cast<Index>(I) * lda + k]), w0, acc0[0][I]),
              acc1[0][I] = O::fmadd(O::set1(a[static_cast<Index>(I) * lda + k]), w1, acc1[0][I])),
             ...);
        } else {
            V av[MR];
            ((av[I] = O::set1(a[static_cast<Index>(I) * lda + k])), ...);
            for (int q = 0; q < NP; ++q) {
                V w0 = O::load(panel[q] + k * NR), w1 = O::load(panel[q] + k * NR + P);
                if constexpr (MR > 1) keep_in_register(w0), keep_in_register(w1);
                // Straight-line code over the rows (fold expression): the accumulators stay in registers.
                ((acc0[q][I] = O::fmadd(av[I], w0, acc0[q][I]), acc1[q][I] = O::fmadd(av[I], w1, acc1[q][I])), ...);
            }
        }
    }
    for (int q = 0; q < NP; ++q) {
        Scalar* zq = z + q * NR;
        ((O::storeu(zq + static_cast<Index>(I) * ldz, acc0[q][I]),
          O::storeu(zq + static_cast<Index>(I) * ldz + P, acc1[q][I])),
         ...);
    }
}

// MR rows across every panel: groups of NP panels, then single panels for the rest. A tile needs about 8
// independent FMA chains (2 FMA units of latency 4) and has 2 * MR * NP; a thin remainder tile (the 4 rows
// left of 16 = 12 + 4, S6's batch) therefore spans two panels where the register file holds 2 * 2 * MR
// accumulators besides the weights and broadcasts: on Zen 5, 4 rows of a [512, 256] product run at 243
// instead of 206 GFLOP/s, and 16 rows at 241 instead of 232.
template <class Scalar, int MR, int Depth, bool Accumulate>
EIGEN_ALWAYS_INLINE void packed_rows(const Scalar* a, Index lda, const PackedView<Scalar>& w, Scalar* z,
                                     Index ldz) noexcept {
    constexpr int NR = Tile<Scalar>::nr;
    constexpr bool wide_remainder = MR <= 5 && Ops<Scalar>::registers >= 32;
    constexpr int NP = MR == 1 ? 4 : (MR <= 3 || wide_remainder) ? 2 : 1;
    Index p = 0;
    for (; p + NP <= w.panel_count; p += NP)
        packed_tile<Scalar, MR, NP, Depth, Accumulate>(a, lda, w, p, z + p * NR, ldz, std::make_index_sequence<MR>{});
    if constexpr (NP > 2) {
        for (; p + 2 <= w.panel_count; p += 2)
            packed_tile<Scalar, MR, 2, Depth, Accumulate>(a, lda, w, p, z + p * NR, ldz,
                                                          std::make_index_sequence<MR>{});
    }
    for (; p < w.panel_count; ++p)
        packed_tile<Scalar, MR, 1, Depth, Accumulate>(a, lda, w, p, z + p * NR, ldz, std::make_index_sequence<MR>{});
}

// The leftover rows (fewer than MR) dispatch to a tile of exactly that height.
template <class Scalar, int R, int Depth, bool Accumulate>
EIGEN_ALWAYS_INLINE void packed_remainder(Index rows, const Scalar* a, Index lda, const PackedView<Scalar>& w,
                                          Scalar* z, Index ldz) noexcept {
    if constexpr (R > 0) {
        if (rows == R) {
            packed_rows<Scalar, R, Depth, Accumulate>(a, lda, w, z, ldz);
        } else {
            packed_remainder<Scalar, R - 1, Depth, Accumulate>(rows, a, lda, w, z, ldz);
        }
    } else {
        (void)rows, (void)a, (void)lda, (void)w, (void)z, (void)ldz;
    }
}

/// Z = bias + A · W, see packed_gemm in packed_gemm.hpp. With more rows than one register tile, the panels are
/// taken a block at a time (w.block_panels, sized for L2) and every row tile runs over a block before the next:
/// weights larger than L2 then come from memory once per product instead of once per row tile (S5's
/// [768, 512] and S6's [1152, 1024] float weights exceed a 1-2 MiB L2). Each element's summation order is the
/// same whatever the blocking.
template <class Scalar, int Depth, bool Accumulate = false>
void gemm(Index rows, const Scalar* a, Index lda, const PackedView<Scalar>& w, Scalar* z, Index ldz) noexcept {
    constexpr int MR = Tile<Scalar>::mr, NR = Tile<Scalar>::nr;
    const Index block = rows > MR ? std::max<Index>(w.block_panels, 1) : w.panel_count;
    for (Index p0 = 0; p0 < w.panel_count; p0 += block) {
        PackedView<Scalar> wb = w;
        wb.panels = w.panels + p0 * w.depth * NR;
        wb.bias = w.bias + p0 * NR;
        wb.panel_count = std::min(block, w.panel_count - p0);
        Scalar* zb = z + p0 * NR;
        Index i = 0;
        for (; i + MR <= rows; i += MR)
            packed_rows<Scalar, MR, Depth, Accumulate>(a + i * lda, lda, wb, zb + i * ldz, ldz);
        packed_remainder<Scalar, MR - 1, Depth, Accumulate>(rows - i, a + i * lda, lda, wb, zb + i * ldz, ldz);
    }
}

// One row across NP adjacent panels with k split S ways (k = s mod S goes to partial sum s): 2 * NP * S
// independent FMA chains, then the partial sums are added in order s = 0..S-1 and the bias last.
template <class Scalar, int NP, int S, int Depth>
EIGEN_ALWAYS_INLINE void packed_row_split(const Scalar* a, const PackedView<Scalar>& w, Index p0, Scalar* z) noexcept {
    using O = Ops<Scalar>;
    using V = typename O::V;
    constexpr int P = Tile<Scalar>::packet, NR = Tile<Scalar>::nr;
    const Index depth = Depth == Eigen::Dynamic ? w.depth : Index(Depth);
    const Index k_main = depth / S * S;
    const Scalar* panel[NP];
    V acc[S][NP][2];
    for (int q = 0; q < NP; ++q) panel[q] = w.panels + (p0 + q) * w.depth * NR;
    for (int s = 0; s < S; ++s)
        for (int q = 0; q < NP; ++q) acc[s][q][0] = acc[s][q][1] = O::zero();
    for (Index k = 0; k < k_main; k += S) {
        for (int s = 0; s < S; ++s) {
            const V av = O::set1(a[k + s]);
            for (int q = 0; q < NP; ++q) {
                acc[s][q][0] = O::fmadd(av, O::load(panel[q] + (k + s) * NR), acc[s][q][0]);
                acc[s][q][1] = O::fmadd(av, O::load(panel[q] + (k + s) * NR + P), acc[s][q][1]);
            }
        }
    }
    for (Index k = k_main; k < depth; ++k) {
        const V av = O::set1(a[k]);
        for (int q = 0; q < NP; ++q) {
            acc[0][q][0] = O::fmadd(av, O::load(panel[q] + k * NR), acc[0][q][0]);
            acc[0][q][1] = O::fmadd(av, O::load(panel[q] + k * NR + P), acc[0][q][1]);
        }
    }
    for (int q = 0; q < NP; ++q) {
        for (int s = 1; s < S; ++s) {
            acc[0][q][0] = O::add(acc[0][q][0], acc[s][q][0]);
            acc[0][q][1] = O::add(acc[0][q][1], acc[s][q][1]);
        }
        const Scalar* bias = w.bias + (p0 + q) * NR;
        O::storeu(z + q * NR, O::add(O::load(bias), acc[0][q][0]));
        O::storeu(z + q * NR + P, O::add(O::load(bias + P), acc[0][q][1]));
    }
}

/// z = bias + a · W for one row, see packed_gemv in packed_gemm.hpp. Every column is split the same way (S = 4:
/// 8 chains for a single panel, enough for two FMA units of latency 4) whichever panel group holds it, so all
/// paths with FMA sum each element identically whatever their width. Pairs of panels (16 accumulators) where
/// the register file holds them, single panels (8) on 16-register ISAs.
template <class Scalar, int Depth>
void gemv(const Scalar* a, const PackedView<Scalar>& w, Scalar* z) noexcept {
    constexpr int NR = Tile<Scalar>::nr;
    Index p = 0;
    if constexpr (Ops<Scalar>::registers >= 32)
        for (; p + 2 <= w.panel_count; p += 2) packed_row_split<Scalar, 2, 4, Depth>(a, w, p, z + p * NR);
    for (; p < w.panel_count; ++p) packed_row_split<Scalar, 1, 4, Depth>(a, w, p, z + p * NR);
}

// Eigen's float tanh (generic_fast_tanh_float, the FMA variant) operation for operation: clamp, odd/even
// rational approximation, and x itself for |x| < 0.0004. min(a, b) returns a when either is NaN (Eigen's
// pmin), so NaN propagates.
template <class O>
EIGEN_ALWAYS_INLINE typename O::V tanh_vector(typename O::V a_x) noexcept {
    using V = typename O::V;
    const V x = O::max(O::min(a_x, O::set1(7.99881172180175781f)), O::set1(-7.99881172180175781f));
    const V x2 = O::mul(x, x);
    V p = O::fmadd(x2, O::set1(-2.76076847742355e-16f), O::set1(2.00018790482477e-13f));
    p = O::fmadd(x2, p, O::set1(-8.60467152213735e-11f));
    p = O::fmadd(x2, p, O::set1(5.12229709037114e-08f));
    p = O::fmadd(x2, p, O::set1(1.48572235717979e-05f));
    p = O::fmadd(x2, p, O::set1(6.37261928875436e-04f));
    p = O::fmadd(x2, p, O::set1(4.89352455891786e-03f));
    p = O::mul(x, p);
    V q = O::fmadd(x2, O::set1(1.19825839466702e-06f), O::set1(1.18534705686654e-04f));
    q = O::fmadd(x2, q, O::set1(2.26843463243900e-03f));
    q = O::fmadd(x2, q, O::set1(4.89352518554385e-03f));
    return O::select_lt(O::abs(a_x), O::set1(0.0004f), x, O::div(p, q));
}

/// y[i, j] = tanh(z[i, j]) for a [rows, cols] block (row strides ldz, ldy). Every element goes through the same
/// vector formula, the last partial vector of a row included, so a value does not depend on its column.
/// A template only so that paths without the float activation operations never instantiate it.
template <class Scalar>
void tanh_rows(Index rows, Index cols, const Scalar* z, Index ldz, Scalar* y, Index ldy) noexcept {
    static_assert(std::is_same<Scalar, float>::value, "tanh_rows: float only");
    using O = Ops<Scalar>;
    constexpr int P = O::size;
    for (Index i = 0; i < rows; ++i) {
        const float* zi = z + i * ldz;
        float* yi = y + i * ldy;
        Index j = 0;
        for (; j + P <= cols; j += P) O::storeu(yi + j, tanh_vector<O>(O::loadu(zi + j)));
        if (j < cols) {
            const int n = static_cast<int>(cols - j);
            O::store_partial(yi + j, n, tanh_vector<O>(O::load_partial(zi + j, n)));
        }
    }
}
}  // namespace generic_kernels

#if ELMAN_DETAIL_X86_KERNELS
// ---- AVX2 + FMA ---------------------------------------------------------------------------------------------
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif
namespace avx2_kernels {
template <class Scalar>
struct Ops;
template <>
struct Ops<float> {
    using V = __m256;
    static constexpr int size = 8, registers = 16;
    static EIGEN_ALWAYS_INLINE V load(const float* p) noexcept { return _mm256_load_ps(p); }
    static EIGEN_ALWAYS_INLINE V loadu(const float* p) noexcept { return _mm256_loadu_ps(p); }
    static EIGEN_ALWAYS_INLINE void storeu(float* p, V v) noexcept { _mm256_storeu_ps(p, v); }
    static EIGEN_ALWAYS_INLINE V set1(float s) noexcept { return _mm256_set1_ps(s); }
    static EIGEN_ALWAYS_INLINE V zero() noexcept { return _mm256_setzero_ps(); }
    static EIGEN_ALWAYS_INLINE V add(V a, V b) noexcept { return _mm256_add_ps(a, b); }
    static EIGEN_ALWAYS_INLINE V mul(V a, V b) noexcept { return _mm256_mul_ps(a, b); }
    static EIGEN_ALWAYS_INLINE V div(V a, V b) noexcept { return _mm256_div_ps(a, b); }
    static EIGEN_ALWAYS_INLINE V fmadd(V a, V b, V c) noexcept { return _mm256_fmadd_ps(a, b, c); }
    // Operands swapped as in Eigen's pmin / pmax: the result is `a` when either is NaN.
    static EIGEN_ALWAYS_INLINE V min(V a, V b) noexcept { return _mm256_min_ps(b, a); }
    static EIGEN_ALWAYS_INLINE V max(V a, V b) noexcept { return _mm256_max_ps(b, a); }
    static EIGEN_ALWAYS_INLINE V abs(V a) noexcept { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
    static EIGEN_ALWAYS_INLINE V select_lt(V a, V b, V yes, V no) noexcept {
        return _mm256_blendv_ps(no, yes, _mm256_cmp_ps(a, b, _CMP_LT_OQ));
    }
    static EIGEN_ALWAYS_INLINE __m256i first(int n) noexcept {
        return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    }
    static EIGEN_ALWAYS_INLINE V load_partial(const float* p, int n) noexcept {
        return _mm256_maskload_ps(p, first(n));
    }
    static EIGEN_ALWAYS_INLINE void store_partial(float* p, int n, V v) noexcept {
        _mm256_maskstore_ps(p, first(n), v);
    }
};
template <>
struct Ops<double> {
    using V = __m256d;
    static constexpr int size = 4, registers = 16;
    static EIGEN_ALWAYS_INLINE V load(const double* p) noexcept { return _mm256_load_pd(p); }
    static EIGEN_ALWAYS_INLINE V loadu(const double* p) noexcept { return _mm256_loadu_pd(p); }
    static EIGEN_ALWAYS_INLINE void storeu(double* p, V v) noexcept { _mm256_storeu_pd(p, v); }
    static EIGEN_ALWAYS_INLINE V set1(double s) noexcept { return _mm256_set1_pd(s); }
    static EIGEN_ALWAYS_INLINE V zero() noexcept { return _mm256_setzero_pd(); }
    static EIGEN_ALWAYS_INLINE V add(V a, V b) noexcept { return _mm256_add_pd(a, b); }
    static EIGEN_ALWAYS_INLINE V fmadd(V a, V b, V c) noexcept { return _mm256_fmadd_pd(a, b, c); }
};
// #include <elman/detail/simd_kernels.inc>
// The SIMD kernels, written once against a vector-operations policy `Ops<Scalar>` and included once per
// instruction set by detail/packed_gemm.hpp, each time inside that ISA's namespace (which defines `Ops`) and,
// for the x86-64 paths, inside a `target` pragma region: every function here then gets that ISA's code
// generation without any compiler flag. No include guard on purpose; never include this file elsewhere.
//
// Ops<Scalar> provides: `V` (vector type), `size` (lanes), `registers` (vector registers of the ISA), and
// load (aligned) / storeu / set1 / zero / add / fmadd(a, b, c) = a * b + c with one rounding where the ISA has
// FMA. The float activation kernels also use mul / div / min / max / abs / select_lt and the partial
// load / store of the first n lanes (n < size), which touch no memory past those lanes.

template <class Scalar>
struct Tile {
    using O = Ops<Scalar>;
    static constexpr int packet = O::size;
    /// Columns per panel: two vectors, so each broadcast A value feeds two independent FMAs.
    static constexpr int nr = 2 * packet;
    /// Rows per register tile: 2*MR accumulators + 2 weight vectors + 1 broadcast must fit the register file.
    static constexpr int mr = O::registers >= 32 ? 12 : 6;
};

// Keeps a loaded weight vector in a register for the MR FMAs that use it. Without this, GCC 12 tuning for the
// build machine (-march=native on a Zen 5) folds the load into every one of those FMAs: a 4-row tile then
// issues 12 loads per 8 FMAs and becomes load-bound (S6, whose 16 rows leave a 4-row tile, ran 10% slower than
// the same kernel built without -march).
template <class V>
EIGEN_ALWAYS_INLINE void keep_in_register(V& v) noexcept {
    if constexpr (sizeof(V) >= 16) {
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
        __asm__("" : "+v"(v));
#elif (defined(__GNUC__) || defined(__clang__)) && defined(__aarch64__)
        __asm__("" : "+w"(v));
#endif
    }
    (void)v;
}

// One MR x (NP * NR) register tile over NP adjacent panels:
// z[i, 0..NP*NR) = bias + sum_k a[i, k] * panels[k, ...] for i < MR.
// Few rows give few independent FMA chains (2 per row and panel); more panels per tile keep enough chains in
// flight to hide the FMA latency without changing any element's summation order.
template <class Scalar, int MR, int NP, int Depth, bool Accumulate, std::size_t... I>
EIGEN_ALWAYS_INLINE void packed_tile(const Scalar* a, Index lda, const PackedView<Scalar>& w, Index p0, Scalar* z,
                                     Index ldz, std::index_sequence<I...>) noexcept {
    using O = Ops<Scalar>;
    using V = typename O::V;
    constexpr int P = Tile<Scalar>::packet, NR = Tile<Scalar>::nr;
    const Index depth = Depth == Eigen::Dynamic ? w.depth : Index(Depth);
    const Scalar* panel[NP];
    V acc0[NP][MR], acc1[NP][MR];
    for (int q = 0; q < NP; ++q) {
        panel[q] = w.panels + (p0 + q) * w.depth * NR;
        if constexpr (Accumulate) {
            // Continuing the sums already in Z: each element's FMA chain goes on in k order across k blocks.
            const Scalar* zq = z + q * NR;
            ((acc0[q][I] = O::loadu(zq + static_cast<Index>(I) * ldz)), ...);
            ((acc1[q][I] = O::loadu(zq + static_cast<Index>(I) * ldz + P)), ...);
        } else {
            const Scalar* bias = w.bias + (p0 + q) * NR;
            ((acc0[q][I] = O::load(bias)), ...);
            ((acc1[q][I] = O::load(bias + P)), ...);
        }
    }
    for (Index k = 0; k < depth; ++k) {
        if constexpr (NP == 1) {
            // Tall tile: broadcast each row's value as it is used (no registers left to hold MR broadcasts).
            V w0 = O::load(panel[0] + k * NR), w1 = O::load(panel[0] + k * NR + P);
            if constexpr (MR > 1) keep_in_register(w0), keep_in_register(w1);
            ((acc0[0][I] = O::fmadd(O::set1(a[static_cast<Index>(I) * lda + k]), w0, acc0[0][I]),
              acc1[0][I] = O::fmadd(O::set1(a[static_cast<Index>(I) * lda + k]), w1, acc1[0][I])),
             ...);
        } else {
            V av[MR];
            ((av[I] = O::set1(a[static_cast<Index>(I) * lda + k])), ...);
            for (int q = 0; q < NP; ++q) {
                V w0 = O::load(panel[q] + k * NR), w1 = O::load(panel[q] + k * NR + P);
                if constexpr (MR > 1) keep_in_register(w0), keep_in_register(w1);
                // Straight-line code over the rows (fold expression): the accumulators stay in registers.
                ((acc0[q][I] = O::fmadd(av[I], w0, acc0[q][I]), acc1[q][I] = O::fmadd(av[I], w1, acc1[q][I])), ...);
            }
        }
    }
    for (int q = 0; q < NP; ++q) {
        Scalar* zq = z + q * NR;
        ((O::storeu(zq + static_cast<Index>(I) * ldz, acc0[q][I]),
          O::storeu(zq + static_cast<Index>(I) * ldz + P, acc1[q][I])),
         ...);
    }
}

// MR rows across every panel: groups of NP panels, then single panels for the rest. A tile needs about 8
// independent FMA chains (2 FMA units of latency 4) and has 2 * MR * NP; a thin remainder tile (the 4 rows
// left of 16 = 12 + 4, S6's batch) therefore spans two panels where the register file holds 2 * 2 * MR
// accumulators besides the weights and broadcasts: on Zen 5, 4 rows of a [512, 256] product run at 243
// instead of 206 GFLOP/s, and 16 rows at 241 instead of 232.
template <class Scalar, int MR, int Depth, bool Accumulate>
EIGEN_ALWAYS_INLINE void packed_rows(const Scalar* a, Index lda, const PackedView<Scalar>& w, Scalar* z,
                                     Index ldz) noexcept {
    constexpr int NR = Tile<Scalar>::nr;
    constexpr bool wide_remainder = MR <= 5 && Ops<Scalar>::registers >= 32;
    constexpr int NP = MR == 1 ? 4 : (MR <= 3 || wide_remainder) ? 2 : 1;
    Index p = 0;
    for (; p + NP <= w.panel_count; p += NP)
        packed_tile<Scalar, MR, NP, Depth, Accumulate>(a, lda, w, p, z + p * NR, ldz, std::make_index_sequence<MR>{});
    if constexpr (NP > 2) {
        for (; p + 2 <= w.panel_count; p += 2)
            packed_tile<Scalar, MR, 2, Depth, Accumulate>(a, lda, w, p, z + p * NR, ldz,
                                                          std::make_index_sequence<MR>{});
    }
    for (; p < w.panel_count; ++p)
        packed_tile<Scalar, MR, 1, Depth, Accumulate>(a, lda, w, p, z + p * NR, ldz, std::make_index_sequence<MR>{});
}

// The leftover rows (fewer than MR) dispatch to a tile of exactly that height.
template <class Scalar, int R, int Depth, bool Accumulate>
EIGEN_ALWAYS_INLINE void packed_remainder(Index rows, const Scalar* a, Index lda, const PackedView<Scalar>& w,
                                          Scalar* z, Index ldz) noexcept {
    if constexpr (R > 0) {
        if (rows == R) {
            packed_rows<Scalar, R, Depth, Accumulate>(a, lda, w, z, ldz);
        } else {
            packed_remainder<Scalar, R - 1, Depth, Accumulate>(rows, a, lda, w, z, ldz);
        }
    } else {
        (void)rows, (void)a, (void)lda, (void)w, (void)z, (void)ldz;
    }
}

/// Z = bias + A · W, see packed_gemm in packed_gemm.hpp. With more rows than one register tile, the panels are
/// taken a block at a time (w.block_panels, sized for L2) and every row tile runs over a block before the next:
/// weights larger than L2 then come from memory once per product instead of once per row tile (S5's
/// [768, 512] and S6's [1152, 1024] float weights exceed a 1-2 MiB L2). Each element's summation order is the
/// same whatever the blocking.
template <class Scalar, int Depth, bool Accumulate = false>
void gemm(Index rows, const Scalar* a, Index lda, const PackedView<Scalar>& w, Scalar* z, Index ldz) noexcept {
    constexpr int MR = Tile<Scalar>::mr, NR = Tile<Scalar>::nr;
    const Index block = rows > MR ? std::max<Index>(w.block_panels, 1) : w.panel_count;
    for (Index p0 = 0; p0 < w.panel_count; p0 += block) {
        PackedView<Scalar> wb = w;
        wb.panels = w.panels + p0 * w.depth * NR;
        wb.bias = w.bias + p0 * NR;
        wb.panel_count = std::min(block, w.panel_count - p0);
        Scalar* zb = z + p0 * NR;
        Index i = 0;
        for (; i + MR <= rows; i += MR)
            packed_rows<Scalar, MR, Depth, Accumulate>(a + i * lda, lda, wb, zb + i * ldz, ldz);
        packed_remainder<Scalar, MR - 1, Depth, Accumulate>(rows - i, a + i * lda, lda, wb, zb + i * ldz, ldz);
    }
}

// One row across NP adjacent panels with k split S ways (k = s mod S goes to partial sum s): 2 * NP * S
// independent FMA chains, then the partial sums are added in order s = 0..S-1 and the bias last.
template <class Scalar, int NP, int S, int Depth>
EIGEN_ALWAYS_INLINE void packed_row_split(const Scalar* a, const PackedView<Scalar>& w, Index p0, Scalar* z) noexcept {
    using O = Ops<Scalar>;
    using V = typename O::V;
    constexpr int P = Tile<Scalar>::packet, NR = Tile<Scalar>::nr;
    const Index depth = Depth == Eigen::Dynamic ? w.depth : Index(Depth);
    const Index k_main = depth / S * S;
    const Scalar* panel[NP];
    V acc[S][NP][2];
    for (int q = 0; q < NP; ++q) panel[q] = w.panels + (p0 + q) * w.depth * NR;
    for (int s = 0; s < S; ++s)
        for (int q = 0; q < NP; ++q) acc[s][q][0] = acc[s][q][1] = O::zero();
    for (Index k = 0; k < k_main; k += S) {
        for (int s = 0; s < S; ++s) {
            const V av = O::set1(a[k + s]);
            for (int q = 0; q < NP; ++q) {
                acc[s][q][0] = O::fmadd(av, O::load(panel[q] + (k + s) * NR), acc[s][q][0]);
                acc[s][q][1] = O::fmadd(av, O::load(panel[q] + (k + s) * NR + P), acc[s][q][1]);
            }
        }
    }
    for (Index k = k_main; k < depth; ++k) {
        const V av = O::set1(a[k]);
        for (int q = 0; q < NP; ++q) {
            acc[0][q][0] = O::fmadd(av, O::load(panel[q] + k * NR), acc[0][q][0]);
            acc[0][q][1] = O::fmadd(av, O::load(panel[q] + k * NR + P), acc[0][q][1]);
        }
    }
    for (int q = 0; q < NP; ++q) {
        for (int s = 1; s < S; ++s) {
            acc[0][q][0] = O::add(acc[0][q][0], acc[s][q][0]);
            acc[0][q][1] = O::add(acc[0][q][1], acc[s][q][1]);
        }
        const Scalar* bias = w.bias + (p0 + q) * NR;
        O::storeu(z + q * NR, O::add(O::load(bias), acc[0][q][0]));
        O::storeu(z + q * NR + P, O::add(O::load(bias + P), acc[0][q][1]));
    }
}

/// z = bias + a · W for one row, see packed_gemv in packed_gemm.hpp. Every column is split the same way (S = 4:
/// 8 chains for a single panel, enough for two FMA units of latency 4) whichever panel group holds it, so all
/// paths with FMA sum each element identically whatever their width. Pairs of panels (16 accumulators) where
/// the register file holds them, single panels (8) on 16-register ISAs.
template <class Scalar, int Depth>
void gemv(const Scalar* a, const PackedView<Scalar>& w, Scalar* z) noexcept {
    constexpr int NR = Tile<Scalar>::nr;
    Index p = 0;
    if constexpr (Ops<Scalar>::registers >= 32)
        for (; p + 2 <= w.panel_count; p += 2) packed_row_split<Scalar, 2, 4, Depth>(a, w, p, z + p * NR);
    for (; p < w.panel_count; ++p) packed_row_split<Scalar, 1, 4, Depth>(a, w, p, z + p * NR);
}

// Eigen's float tanh (generic_fast_tanh_float, the FMA variant) operation for operation: clamp, odd/even
// rational approximation, and x itself for |x| < 0.0004. min(a, b) returns a when either is NaN (Eigen's
// pmin), so NaN propagates.
template <class O>
EIGEN_ALWAYS_INLINE typename O::V tanh_vector(typename O::V a_x) noexcept {
    using V = typename O::V;
    const V x = O::max(O::min(a_x, O::set1(7.99881172180175781f)), O::set1(-7.99881172180175781f));
    const V x2 = O::mul(x, x);
    V p = O::fmadd(x2, O::set1(-2.76076847742355e-16f), O::set1(2.00018790482477e-13f));
    p = O::fmadd(x2, p, O::set1(-8.60467152213735e-11f));
    p = O::fmadd(x2, p, O::set1(5.12229709037114e-08f));
    p = O::fmadd(x2, p, O::set1(1.48572235717979e-05f));
    p = O::fmadd(x2, p, O::set1(6.37261928875436e-04f));
    p = O::fmadd(x2, p, O::set1(4.89352455891786e-03f));
    p = O::mul(x, p);
    V q = O::fmadd(x2, O::set1(1.19825839466702e-06f), O::set1(1.18534705686654e-04f));
    q = O::fmadd(x2, q, O::set1(2.26843463243900e-03f));
    q = O::fmadd(x2, q, O::set1(4.89352518554385e-03f));
    return O::select_lt(O::abs(a_x), O::set1(0.0004f), x, O::div(p, q));
}

/// y[i, j] = tanh(z[i, j]) for a [rows, cols] block (row strides ldz, ldy). Every element goes through the same
/// vector formula, the last partial vector of a row included, so a value does not depend on its column.
/// A template only so that paths without the float activation operations never instantiate it.
template <class Scalar>
void tanh_rows(Index rows, Index cols, const Scalar* z, Index ldz, Scalar* y, Index ldy) noexcept {
    static_assert(std::is_same<Scalar, float>::value, "tanh_rows: float only");
    using O = Ops<Scalar>;
    constexpr int P = O::size;
    for (Index i = 0; i < rows; ++i) {
        const float* zi = z + i * ldz;
        float* yi = y + i * ldy;
        Index j = 0;
        for (; j + P <= cols; j += P) O::storeu(yi + j, tanh_vector<O>(O::loadu(zi + j)));
        if (j < cols) {
            const int n = static_cast<int>(cols - j);
            O::store_partial(yi + j, n, tanh_vector<O>(O::load_partial(zi + j, n)));
        }
    }
}
}  // namespace avx2_kernels
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

// ---- AVX-512F -----------------------------------------------------------------------------------------------
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx2,fma")
#endif
namespace avx512_kernels {
template <class Scalar>
struct Ops;
template <>
struct Ops<float> {
    using V = __m512;
    static constexpr int size = 16, registers = 32;
    static EIGEN_ALWAYS_INLINE V load(const float* p) noexcept { return _mm512_load_ps(p); }
    static EIGEN_ALWAYS_INLINE V loadu(const float* p) noexcept { return _mm512_loadu_ps(p); }
    static EIGEN_ALWAYS_INLINE void storeu(float* p, V v) noexcept { _mm512_storeu_ps(p, v); }
    static EIGEN_ALWAYS_INLINE V set1(float s) noexcept { return _mm512_set1_ps(s); }
    static EIGEN_ALWAYS_INLINE V zero() noexcept { return _mm512_setzero_ps(); }
    static EIGEN_ALWAYS_INLINE V add(V a, V b) noexcept { return _mm512_add_ps(a, b); }
    static EIGEN_ALWAYS_INLINE V mul(V a, V b) noexcept { return _mm512_mul_ps(a, b); }
    static EIGEN_ALWAYS_INLINE V div(V a, V b) noexcept { return _mm512_div_ps(a, b); }
    static EIGEN_ALWAYS_INLINE V fmadd(V a, V b, V c) noexcept { return _mm512_fmadd_ps(a, b, c); }
    // Operands swapped as in Eigen's pmin / pmax: the result is `a` when either is NaN. The zero-masked forms
    // with a full mask are the same instruction; the plain ones pass _mm512_undefined_ps(), which g++ 12 reports
    // as maybe-uninitialized once inlined.
    static EIGEN_ALWAYS_INLINE V min(V a, V b) noexcept { return _mm512_maskz_min_ps(0xffff, b, a); }
    static EIGEN_ALWAYS_INLINE V max(V a, V b) noexcept { return _mm512_maskz_max_ps(0xffff, b, a); }
    static EIGEN_ALWAYS_INLINE V abs(V a) noexcept { return _mm512_abs_ps(a); }
    static EIGEN_ALWAYS_INLINE V select_lt(V a, V b, V yes, V no) noexcept {
        return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_LT_OQ), no, yes);
    }
    static EIGEN_ALWAYS_INLINE __mmask16 first(int n) noexcept {
        return static_cast<__mmask16>((1u << static_cast<unsigned>(n)) - 1u);
    }
    static EIGEN_ALWAYS_INLINE V load_partial(const float* p, int n) noexcept {
        return _mm512_maskz_loadu_ps(first(n), p);
    }
    static EIGEN_ALWAYS_INLINE void store_partial(float* p, int n, V v) noexcept {
        _mm512_mask_storeu_ps(p, first(n), v);
    }
};
template <>
struct Ops<double> {
    using V = __m512d;
    static constexpr int size = 8, registers = 32;
    static EIGEN_ALWAYS_INLINE V load(const double* p) noexcept { return _mm512_load_pd(p); }
    static EIGEN_ALWAYS_INLINE V loadu(const double* p) noexcept { return _mm512_loadu_pd(p); }
    static EIGEN_ALWAYS_INLINE void storeu(double* p, V v) noexcept { _mm512_storeu_pd(p, v); }
    static EIGEN_ALWAYS_INLINE V set1(double s) noexcept { return _mm512_set1_pd(s); }
    static EIGEN_ALWAYS_INLINE V zero() noexcept { return _mm512_setzero_pd(); }
    static EIGEN_ALWAYS_INLINE V add(V a, V b) noexcept { return _mm512_add_pd(a, b); }
    static EIGEN_ALWAYS_INLINE V fmadd(V a, V b, V c) noexcept { return _mm512_fmadd_pd(a, b, c); }
};
// #include <elman/detail/simd_kernels.inc>
// The SIMD kernels, written once against a vector-operations policy `Ops<Scalar>` and included once per
// instruction set by detail/packed_gemm.hpp, each time inside that ISA's namespace (which defines `Ops`) and,
// for the x86-64 paths, inside a `target` pragma region: every function here then gets that ISA's code
// generation without any compiler flag. No include guard on purpose; never include this file elsewhere.
//
// Ops<Scalar> provides: `V` (vector type), `size` (lanes), `registers` (vector registers of the ISA), and
// load (aligned) / storeu / set1 / zero / add / fmadd(a, b, c) = a * b + c with one rounding where the ISA has
// FMA. The float activation kernels also use mul / div / min / max / abs / select_lt and the partial
// load / store of the first n lanes (n < size), which touch no memory past those lanes.

template <class Scalar>
struct Tile {
    using O = Ops<Scalar>;
    static constexpr int packet = O::size;
    /// Columns per panel: two vectors, so each broadcast A value feeds two independent FMAs.
    static constexpr int nr = 2 * packet;
    /// Rows per register tile: 2*MR accumulators + 2 weight vectors + 1 broadcast must fit the register file.
    static constexpr int mr = O::registers >= 32 ? 12 : 6;
};

// Keeps a loaded weight vector in a register for the MR FMAs that use it. Without this, GCC 12 tuning for the
// build machine (-march=native on a Zen 5) folds the load into every one of those FMAs: a 4-row tile then
// issues 12 loads per 8 FMAs and becomes load-bound (S6, whose 16 rows leave a 4-row tile, ran 10% slower than
// the same kernel built without -march).
template <class V>
EIGEN_ALWAYS_INLINE void keep_in_register(V& v) noexcept {
    if constexpr (sizeof(V) >= 16) {
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
        __asm__("" : "+v"(v));
#elif (defined(__GNUC__) || defined(__clang__)) && defined(__aarch64__)
        __asm__("" : "+w"(v));
#endif
    }
    (void)v;
}

// One MR x (NP * NR) register tile over NP adjacent panels:
// z[i, 0..NP*NR) = bias + sum_k a[i, k] * panels[k, ...] for i < MR.
// Few rows give few independent FMA chains (2 per row and panel); more panels per tile keep enough chains in
// flight to hide the FMA latency without changing any element's summation order.
template <class Scalar, int MR, int NP, int Depth, bool Accumulate, std::size_t... I>
EIGEN_ALWAYS_INLINE void packed_tile(const Scalar* a, Index lda, const PackedView<Scalar>& w, Index p0, Scalar* z,
                                     Index ldz, std::index_sequence<I...>) noexcept {
    using O = Ops<Scalar>;
    using V = typename O::V;
    constexpr int P = Tile<Scalar>::packet, NR = Tile<Scalar>::nr;
    const Index depth = Depth == Eigen::Dynamic ? w.depth : Index(Depth);
    const Scalar* panel[NP];
    V acc0[NP][MR], acc1[NP][MR];
    for (int q = 0; q < NP; ++q) {
        panel[q] = w.panels + (p0 + q) * w.depth * NR;
        if constexpr (Accumulate) {
            // Continuing the sums already in Z: each element's FMA chain goes on in k order across k blocks.
            const Scalar* zq = z + q * NR;
            ((acc0[q][I] = O::loadu(zq + static_cast<Index>(I) * ldz)), ...);
            ((acc1[q][I] = O::loadu(zq + static_cast<Index>(I) * ldz + P)), ...);
        } else {
            const Scalar* bias = w.bias + (p0 + q) * NR;
            ((acc0[q][I] = O::load(bias)), ...);
            ((acc1[q][I] = O::load(bias + P)), ...);
        }
    }
    for (Index k = 0; k < depth; ++k) {
        if constexpr (NP == 1) {
            // Tall tile: broadcast each row's value as it is used (no registers left to hold MR broadcasts).
            V w0 = O::load(panel[0] + k * NR), w1 = O::load(panel[0] + k * NR + P);
            if constexpr (MR > 1) keep_in_register(w0), keep_in_register(w1);
            ((acc0[0][I] = O::fmadd(O::set1(a[static_cast<Index>(I) * lda + k]), w0, acc0[0][I]),
              acc1[0][I] = O::fmadd(O::set1(a[static_cast<Index>(I) * lda + k]), w1, acc1[0][I])),
             ...);
        } else {
            V av[MR];
            ((av[I] = O::set1(a[static_cast<Index>(I) * lda + k])), ...);
            for (int q = 0; q < NP; ++q) {
                V w0 = O::load(panel[q] + k * NR), w1 = O::load(panel[q] + k * NR + P);
                if constexpr (MR > 1) keep_in_register(w0), keep_in_register(w1);
                // Straight-line code over the rows (fold expression): the accumulators stay in registers.
                ((acc0[q][I] = O::fmadd(av[I], w0, acc0[q][I]), acc1[q][I] = O::fmadd(av[I], w1, acc1[q][I])), ...);
            }
        }
    }
    for (int q = 0; q < NP; ++q) {
        Scalar* zq = z + q * NR;
        ((O::storeu(zq + static_cast<Index>(I) * ldz, acc0[q][I]),
          O::storeu(zq + static_cast<Index>(I) * ldz + P, acc1[q][I])),
         ...);
    }
}

// MR rows across every panel: groups of NP panels, then single panels for the rest. A tile needs about 8
// independent FMA chains (2 FMA units of latency 4) and has 2 * MR * NP; a thin remainder tile (the 4 rows
// left of 16 = 12 + 4, S6's batch) therefore spans two panels where the register file holds 2 * 2 * MR
// accumulators besides the weights and broadcasts: on Zen 5, 4 rows of a [512, 256] product run at 243
// instead of 206 GFLOP/s, and 16 rows at 241 instead of 232.
template <class Scalar, int MR, int Depth, bool Accumulate>
EIGEN_ALWAYS_INLINE void packed_rows(const Scalar* a, Index lda, const PackedView<Scalar>& w, Scalar* z,
                                     Index ldz) noexcept {
    constexpr int NR = Tile<Scalar>::nr;
    constexpr bool wide_remainder = MR <= 5 && Ops<Scalar>::registers >= 32;
    constexpr int NP = MR == 1 ? 4 : (MR <= 3 || wide_remainder) ? 2 : 1;
    Index p = 0;
    for (; p + NP <= w.panel_count; p += NP)
        packed_tile<Scalar, MR, NP, Depth, Accumulate>(a, lda, w, p, z + p * NR, ldz, std::make_index_sequence<MR>{});
    if constexpr (NP > 2) {
        for (; p + 2 <= w.panel_count; p += 2)
            packed_tile<Scalar, MR, 2, Depth, Accumulate>(a, lda, w, p, z + p * NR, ldz,
                                                          std::make_index_sequence<MR>{});
    }
    for (; p < w.panel_count; ++p)
        packed_tile<Scalar, MR, 1, Depth, Accumulate>(a, lda, w, p, z + p * NR, ldz, std::make_index_sequence<MR>{});
}

// The leftover rows (fewer than MR) dispatch to a tile of exactly that height.
template <class Scalar, int R, int Depth, bool Accumulate>
EIGEN_ALWAYS_INLINE void packed_remainder(Index rows, const Scalar* a, Index lda, const PackedView<Scalar>& w,
                                          Scalar* z, Index ldz) noexcept {
    if constexpr (R > 0) {
        if (rows == R) {
            packed_rows<Scalar, R, Depth, Accumulate>(a, lda, w, z, ldz);
        } else {
            packed_remainder<Scalar, R - 1, Depth, Accumulate>(rows, a, lda, w, z, ldz);
        }
    } else {
        (void)rows, (void)a, (void)lda, (void)w, (void)z, (void)ldz;
    }
}

/// Z = bias + A · W, see packed_gemm in packed_gemm.hpp. With more rows than one register tile, the panels are
/// taken a block at a time (w.block_panels, sized for L2) and every row tile runs over a block before the next:
/// weights larger than L2 then come from memory once per product instead of once per row tile (S5's
/// [768, 512] and S6's [1152, 1024] float weights exceed a 1-2 MiB L2). Each element's summation order is the
/// same whatever the blocking.
template <class Scalar, int Depth, bool Accumulate = false>
void gemm(Index rows, const Scalar* a, Index lda, const PackedView<Scalar>& w, Scalar* z, Index ldz) noexcept {
    constexpr int MR = Tile<Scalar>::mr, NR = Tile<Scalar>::nr;
    const Index block = rows > MR ? std::max<Index>(w.block_panels, 1) : w.panel_count;
    for (Index p0 = 0; p0 < w.panel_count; p0 += block) {
        PackedView<Scalar> wb = w;
        wb.panels = w.panels + p0 * w.depth * NR;
        wb.bias = w.bias + p0 * NR;
        wb.panel_count = std::min(block, w.panel_count - p0);
        Scalar* zb = z + p0 * NR;
        Index i = 0;
        for (; i + MR <= rows; i += MR)
            packed_rows<Scalar, MR, Depth, Accumulate>(a + i * lda, lda, wb, zb + i * ldz, ldz);
        packed_remainder<Scalar, MR - 1, Depth, Accumulate>(rows - i, a + i * lda, lda, wb, zb + i * ldz, ldz);
    }
}

// One row across NP adjacent panels with k split S ways (k = s mod S goes to partial sum s): 2 * NP * S
// independent FMA chains, then the partial sums are added in order s = 0..S-1 and the bias last.
template <class Scalar, int NP, int S, int Depth>
EIGEN_ALWAYS_INLINE void packed_row_split(const Scalar* a, const PackedView<Scalar>& w, Index p0, Scalar* z) noexcept {
    using O = Ops<Scalar>;
    using V = typename O::V;
    constexpr int P = Tile<Scalar>::packet, NR = Tile<Scalar>::nr;
    const Index depth = Depth == Eigen::Dynamic ? w.depth : Index(Depth);
    const Index k_main = depth / S * S;
    const Scalar* panel[NP];
    V acc[S][NP][2];
    for (int q = 0; q < NP; ++q) panel[q] = w.panels + (p0 + q) * w.depth * NR;
    for (int s = 0; s < S; ++s)
        for (int q = 0; q < NP; ++q) acc[s][q][0] = acc[s][q][1] = O::zero();
    for (Index k = 0; k < k_main; k += S) {
        for (int s = 0; s < S; ++s) {
            const V av = O::set1(a[k + s]);
            for (int q = 0; q < NP; ++q) {
                acc[s][q][0] = O::fmadd(av, O::load(panel[q] + (k + s) * NR), acc[s][q][0]);
                acc[s][q][1] = O::fmadd(av, O::load(panel[q] + (k + s) * NR + P), acc[s][q][1]);
            }
        }
    }
    for (Index k = k_main; k < depth; ++k) {
        const V av = O::set1(a[k]);
        for (int q = 0; q < NP; ++q) {
            acc[0][q][0] = O::fmadd(av, O::load(panel[q] + k * NR), acc[0][q][0]);
            acc[0][q][1] = O::fmadd(av, O::load(panel[q] + k * NR + P), acc[0][q][1]);
        }
    }
    for (int q = 0; q < NP; ++q) {
        for (int s = 1; s < S; ++s) {
            acc[0][q][0] = O::add(acc[0][q][0], acc[s][q][0]);
            acc[0][q][1] = O::add(acc[0][q][1], acc[s][q][1]);
        }
        const Scalar* bias = w.bias + (p0 + q) * NR;
        O::storeu(z + q * NR, O::add(O::load(bias), acc[0][q][0]));
        O::storeu(z + q * NR + P, O::add(O::load(bias + P), acc[0][q][1]));
    }
}

/// z = bias + a · W for one row, see packed_gemv in packed_gemm.hpp. Every column is split the same way (S = 4:
/// 8 chains for a single panel, enough for two FMA units of latency 4) whichever panel group holds it, so all
/// paths with FMA sum each element identically whatever their width. Pairs of panels (16 accumulators) where
/// the register file holds them, single panels (8) on 16-register ISAs.
template <class Scalar, int Depth>
void gemv(const Scalar* a, const PackedView<Scalar>& w, Scalar* z) noexcept {
    constexpr int NR = Tile<Scalar>::nr;
    Index p = 0;
    if constexpr (Ops<Scalar>::registers >= 32)
        for (; p + 2 <= w.panel_count; p += 2) packed_row_split<Scalar, 2, 4, Depth>(a, w, p, z + p * NR);
    for (; p < w.panel_count; ++p) packed_row_split<Scalar, 1, 4, Depth>(a, w, p, z + p * NR);
}

// Eigen's float tanh (generic_fast_tanh_float, the FMA variant) operation for operation: clamp, odd/even
// rational approximation, and x itself for |x| < 0.0004. min(a, b) returns a when either is NaN (Eigen's
// pmin), so NaN propagates.
template <class O>
EIGEN_ALWAYS_INLINE typename O::V tanh_vector(typename O::V a_x) noexcept {
    using V = typename O::V;
    const V x = O::max(O::min(a_x, O::set1(7.99881172180175781f)), O::set1(-7.99881172180175781f));
    const V x2 = O::mul(x, x);
    V p = O::fmadd(x2, O::set1(-2.76076847742355e-16f), O::set1(2.00018790482477e-13f));
    p = O::fmadd(x2, p, O::set1(-8.60467152213735e-11f));
    p = O::fmadd(x2, p, O::set1(5.12229709037114e-08f));
    p = O::fmadd(x2, p, O::set1(1.48572235717979e-05f));
    p = O::fmadd(x2, p, O::set1(6.37261928875436e-04f));
    p = O::fmadd(x2, p, O::set1(4.89352455891786e-03f));
    p = O::mul(x, p);
    V q = O::fmadd(x2, O::set1(1.19825839466702e-06f), O::set1(1.18534705686654e-04f));
    q = O::fmadd(x2, q, O::set1(2.26843463243900e-03f));
    q = O::fmadd(x2, q, O::set1(4.89352518554385e-03f));
    return O::select_lt(O::abs(a_x), O::set1(0.0004f), x, O::div(p, q));
}

/// y[i, j] = tanh(z[i, j]) for a [rows, cols] block (row strides ldz, ldy). Every element goes through the same
/// vector formula, the last partial vector of a row included, so a value does not depend on its column.
/// A template only so that paths without the float activation operations never instantiate it.
template <class Scalar>
void tanh_rows(Index rows, Index cols, const Scalar* z, Index ldz, Scalar* y, Index ldy) noexcept {
    static_assert(std::is_same<Scalar, float>::value, "tanh_rows: float only");
    using O = Ops<Scalar>;
    constexpr int P = O::size;
    for (Index i = 0; i < rows; ++i) {
        const float* zi = z + i * ldz;
        float* yi = y + i * ldy;
        Index j = 0;
        for (; j + P <= cols; j += P) O::storeu(yi + j, tanh_vector<O>(O::loadu(zi + j)));
        if (j < cols) {
            const int n = static_cast<int>(cols - j);
            O::store_partial(yi + j, n, tanh_vector<O>(O::load_partial(zi + j, n)));
        }
    }
}
}  // namespace avx512_kernels
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#endif  // ELMAN_DETAIL_X86_KERNELS

/// Columns per panel of weights packed for `isa`: two of its vectors.
template <class Scalar>
constexpr Index panel_width(Isa isa) noexcept {
    switch (isa) {
#if ELMAN_DETAIL_X86_KERNELS
        case Isa::avx2:
            return avx2_kernels::Tile<Scalar>::nr;
        case Isa::avx512:
            return avx512_kernels::Tile<Scalar>::nr;
#else
        case Isa::avx2:
        case Isa::avx512:
#endif
        case Isa::generic:
            break;
    }
    return generic_kernels::Tile<Scalar>::nr;
}

/// Rows of the throughput kernel's register tile for `isa` (what the tests must cover: 1 .. 2*MR+1 rows).
template <class Scalar>
constexpr Index tile_rows(Isa isa) noexcept {
    switch (isa) {
#if ELMAN_DETAIL_X86_KERNELS
        case Isa::avx2:
            return avx2_kernels::Tile<Scalar>::mr;
        case Isa::avx512:
            return avx512_kernels::Tile<Scalar>::mr;
#else
        case Isa::avx2:
        case Isa::avx512:
#endif
        case Isa::generic:
            break;
    }
    return generic_kernels::Tile<Scalar>::mr;
}

/// std::allocator with 64-byte (cache line, one AVX-512 vector) alignment: every panel row load of every path
/// is then aligned and none splits a cache line.
template <class T>
struct CacheLineAllocator {
    using value_type = T;
    static constexpr std::align_val_t alignment{64};
    CacheLineAllocator() noexcept = default;
    template <class U>
    CacheLineAllocator(const CacheLineAllocator<U>&) noexcept {}
    T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), alignment)); }
    void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, alignment); }
    template <class U>
    bool operator==(const CacheLineAllocator<U>&) const noexcept {
        return true;
    }
    template <class U>
    bool operator!=(const CacheLineAllocator<U>&) const noexcept {
        return false;
    }
};

/// Weights `W [K, U]` packed into zero-padded panels plus the bias padded to the panel width, for one kernel.
template <class Scalar>
class PackedWeights {
  public:
    /// The kernel family these panels were packed for (elman::active_isa() unless pack() was given one).
    Isa isa() const noexcept { return isa_; }
    /// Columns per panel (two vectors of isa()).
    Index nr() const noexcept { return nr_; }
    Index depth() const noexcept { return depth_; }
    Index units() const noexcept { return units_; }
    Index panels() const noexcept { return panels_; }
    /// Row stride of a Z buffer this product writes: U rounded up to whole panels.
    Index padded_units() const noexcept { return panels_ * nr_; }
    const Scalar* panel(Index p) const noexcept { return bias() + padded_units() + p * depth_ * nr_; }
    const Scalar* bias() const noexcept { return storage_.data(); }
    /// Adjacent panels a product with several row tiles runs every row tile over before it moves on (set by
    /// pack(): what fits in half of L2); set_block_panels overrides it until the next pack (tests, tuning). The
    /// results do not depend on it.
    Index block_panels() const noexcept { return block_panels_; }
    void set_block_panels(Index n) noexcept { block_panels_ = std::max<Index>(1, n); }
    PackedView<Scalar> view() const noexcept { return {panel(0), bias(), depth_, panels_, block_panels_}; }

    /// Allocates the storage for weights of `depth` rows and `units` columns packed for `isa`, so that a later
    /// pack() of that shape does not allocate (packing inside worker threads, which must not throw).
    void allocate(Index depth, Index units, Isa isa) {
        storage_.resize(static_cast<std::size_t>(padded_units_for(units, isa) * (depth + 1)));
    }

    /// padded_units() of weights with `units` columns packed for `isa`: whole panels.
    static constexpr Index padded_units_for(Index units, Isa isa) noexcept {
        const Index nr = panel_width<Scalar>(isa);
        return (units + nr - 1) / nr * nr;
    }

    /// Packs the stacked weights: rows [0, top.rows()) from `top`, the next rows from `bottom` (either may have
    /// zero rows), so `[x h] · [W; U]` is one product. `bias` has U entries or is empty (no bias). Packs for
    /// elman::active_isa() (which throws std::runtime_error for an unusable ELMAN_ISA setting).
    template <class Top, class Bottom, class Bias>
    void pack(const Eigen::MatrixBase<Top>& top, const Eigen::MatrixBase<Bottom>& bottom,
              const Eigen::MatrixBase<Bias>& bias) {
        pack(top, bottom, bias, active_isa());
    }

    /// As above, for the kernels of `isa`; throws std::invalid_argument when !isa_supported(isa).
    template <class Top, class Bottom, class Bias>
    void pack(const Eigen::MatrixBase<Top>& top, const Eigen::MatrixBase<Bottom>& bottom,
              const Eigen::MatrixBase<Bias>& bias, Isa isa) {
        if (!isa_supported(isa)) {
            ELMAN_THROW(std::invalid_argument(std::string("PackedWeights::pack: isa ") + isa_name(isa) +
                                              " is not supported by this CPU and build"));
        }
        using PanelMap = Eigen::Map<Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;
        const Index units = top.rows() > 0 ? top.cols() : bottom.cols();
        const Index depth = top.rows() + bottom.rows();
        // No-op when the shapes did not change (every call repacks).
        storage_.resize(static_cast<std::size_t>(padded_units_for(units, isa) * (depth + 1)));
        set_shape(depth, units, isa);
        const Index nr = nr_;
        Scalar* packed = storage_.data() + padded_units();
        for (Index p = 0; p < panels_; ++p) {
            const Index cols = std::min<Index>(nr, units_ - p * nr);
            PanelMap dst(packed + p * depth_ * nr, depth_, nr);
            dst.topLeftCorner(top.rows(), cols) = top.middleCols(p * nr, cols);
            dst.bottomLeftCorner(bottom.rows(), cols) = bottom.middleCols(p * nr, cols);
            dst.rightCols(nr - cols).setZero();  // padding columns: exact zeros, never garbage
        }
        for (Index j = 0; j < bias.size(); ++j) storage_[static_cast<std::size_t>(j)] = bias(j);
    }

    /// Packing row by row, for operands built one row at a time (backward's reduction blocks): shapes storage
    /// from allocate(depth, units, isa) for weights of that size with a zero bias; each row is then written by
    /// set_row(). Allocates nothing, so it can run in worker threads; rows not written hold stale values.
    void reset_rows(Index depth, Index units, Isa isa) noexcept {
        ELMAN_ASSERT(storage_.size() == static_cast<std::size_t>(padded_units_for(units, isa) * (depth + 1)));
        set_shape(depth, units, isa);
    }

    /// Row k (< depth()) of the weights from units() contiguous values; the padding columns get exact zeros.
    void set_row(Index k, const Scalar* values) noexcept {
        for (Index p = 0; p < panels_; ++p) {
            Scalar* packed = storage_.data() + padded_units() + (p * depth_ + k) * nr_;
            const Index cols = std::min<Index>(nr_, units_ - p * nr_);
            std::copy_n(values + p * nr_, cols, packed);
            std::fill(packed + cols, packed + nr_, Scalar(0));
        }
    }

  private:
    // The layout: the bias block first (a whole number of panel widths, so the panels stay 64-byte aligned),
    // zeroed here, then the panels. storage_ must already have the size.
    void set_shape(Index depth, Index units, Isa isa) noexcept {
        isa_ = isa;
        nr_ = panel_width<Scalar>(isa);
        units_ = units;
        depth_ = depth;
        panels_ = padded_units_for(units, isa) / nr_;
        block_panels_ = panels_per_l2_block<Scalar>(depth, nr_);
        std::fill_n(storage_.data(), padded_units(), Scalar(0));
    }

    Isa isa_ = Isa::generic;
    Index nr_ = panel_width<Scalar>(Isa::generic), depth_ = 0, units_ = 0, panels_ = 0, block_panels_ = 1;
    std::vector<Scalar, CacheLineAllocator<Scalar>> storage_;  // [bias (padded_units) | panels]
};

// The throughput kernel of `isa`: Z = bias + A · W, or Z += A · W when Accumulate.
template <class Scalar, int Depth, bool Accumulate>
void packed_gemm_on(Isa isa, Index rows, const Scalar* a, Index lda, const PackedView<Scalar>& w, Scalar* z,
                    Index ldz) noexcept {
    switch (isa) {
#if ELMAN_DETAIL_X86_KERNELS
        case Isa::avx512:
            return avx512_kernels::gemm<Scalar, Depth, Accumulate>(rows, a, lda, w, z, ldz);
        case Isa::avx2:
            return avx2_kernels::gemm<Scalar, Depth, Accumulate>(rows, a, lda, w, z, ldz);
#else
        case Isa::avx512:
        case Isa::avx2:
#endif
        case Isa::generic:
            break;
    }
    generic_kernels::gemm<Scalar, Depth, Accumulate>(rows, a, lda, w, z, ldz);
}

/// Z[rows, padded_units] (row stride ldz >= padded_units) = bias + A[rows, depth] (row stride lda) · W, on the
/// kernel `w` was packed for. Columns U..padded_units of Z receive exact zeros (bias and weight padding are 0).
/// `Depth` fixes w.depth() at compile time (unrolled k loops); Eigen::Dynamic reads it from `w`.
template <class Scalar, int Depth = Eigen::Dynamic>
void packed_gemm(Index rows, const Scalar* a, Index lda, const PackedWeights<Scalar>& w, Scalar* z,
                 Index ldz) noexcept {
    packed_gemm_on<Scalar, Depth, false>(w.isa(), rows, a, lda, w.view(), z, ldz);
}

/// Z += A[rows, depth] · W (the bias is not used): one k block of a product whose depth is split into several
/// packed blocks. Each element continues its FMA chain from the value in Z, so the blocks taken in order sum
/// every element in plain k order, like one packed_gemm over the whole depth, whatever the row split.
template <class Scalar>
void packed_gemm_accumulate(Index rows, const Scalar* a, Index lda, const PackedWeights<Scalar>& w, Scalar* z,
                            Index ldz) noexcept {
    packed_gemm_on<Scalar, Eigen::Dynamic, true>(w.isa(), rows, a, lda, w.view(), z, ldz);
}

/// z[0, padded_units) = bias + a[0, depth) · W for a single row, latency-oriented: a batch of one sample has
/// too few rows to fill the FMA units with plain-k-order chains (2 per panel), so k is split into partial sums
/// (k mod 4 partial sums: 8 chains per panel). The summation order differs from packed_gemm's, so use it only where no
/// other row count can occur for the same data (a call whose whole batch is one sample, the streaming step of one
/// sample). `Depth` as for packed_gemm.
template <class Scalar, int Depth = Eigen::Dynamic>
void packed_gemv(const Scalar* a, const PackedWeights<Scalar>& w, Scalar* z) noexcept {
    switch (w.isa()) {
#if ELMAN_DETAIL_X86_KERNELS
        case Isa::avx512:
            return avx512_kernels::gemv<Scalar, Depth>(a, w.view(), z);
        case Isa::avx2:
            return avx2_kernels::gemv<Scalar, Depth>(a, w.view(), z);
#else
        case Isa::avx512:
        case Isa::avx2:
#endif
        case Isa::generic:
            break;
    }
    generic_kernels::gemv<Scalar, Depth>(a, w.view(), z);
}

/// y = tanh(z) for a float [rows, cols] block (row strides ldz, ldy) on the vector tanh of `isa`, Eigen's float
/// approximation evaluated with FMA. Returns false (and writes nothing) on the generic path, where Eigen's own
/// array tanh is the implementation.
inline bool simd_tanh(Isa isa, Index rows, Index cols, const float* z, Index ldz, float* y, Index ldy) noexcept {
    switch (isa) {
#if ELMAN_DETAIL_X86_KERNELS
        case Isa::avx512:
            avx512_kernels::tanh_rows<float>(rows, cols, z, ldz, y, ldy);
            return true;
        case Isa::avx2:
            avx2_kernels::tanh_rows<float>(rows, cols, z, ldz, y, ldy);
            return true;
#else
        case Isa::avx512:
        case Isa::avx2:
#endif
        case Isa::generic:
            break;
    }
    (void)rows, (void)cols, (void)z, (void)ldz, (void)y, (void)ldy;
    return false;
}

}  // namespace detail
ELMAN_NAMESPACE_END
// #include <elman/detail/prefetch.hpp>
// Software prefetch of strided row runs.

// #include <elman/config.hpp>

ELMAN_NAMESPACE_BEGIN
namespace detail {

/// Asks for `rows` runs of `cols` values, `stride` values apart, to be brought into cache (for writing when
/// `for_write`). For the per-step rows of a batch-major sequence: short runs a whole sequence apart, which the
/// hardware prefetchers do not follow from DRAM. A hint only: no effect on results; nothing on other compilers.
template <class Scalar>
inline void prefetch_rows(const Scalar* at, Index rows, Index cols, Index stride, bool for_write = false) noexcept {
#if defined(__GNUC__) || defined(__clang__)
    constexpr Index line = 64 / static_cast<Index>(sizeof(Scalar));
    for (Index i = 0; i < rows; ++i) {
        const Scalar* row = at + i * stride;
        for (Index j = 0; j < cols; j += line) {
            if (for_write) {
                __builtin_prefetch(row + j, 1);
            } else {
                __builtin_prefetch(row + j);
            }
        }
    }
#else
    (void)at, (void)rows, (void)cols, (void)stride, (void)for_write;
#endif
}

}  // namespace detail
ELMAN_NAMESPACE_END
// #include <elman/detail/recurrence.hpp>
// The recurrence: one loop over the timesteps of a batch slice, for every call path (whole sequences on any
// product, training calls with dropout, traces for backpropagation, and the streaming step).
//
// Per processed step p (source step t = p, or T-1-p with go_backwards) and row i of the slice:
//     z_i   = b + x~_t,i · W + h~_i · U           (the product policy: packed panels or Eigen/BLAS)
//     c_i   = act(z_i)
//     h_i   = mask keeps (b, t) ? c_i : h_i                  (select, never blend: NaN-safe)
//     y_i   = mask keeps (b, t) ? c_i : (zero_output_for_mask ? 0 : y_i)   (the output carry, from zero)
// where x~ is the input after input dropout (applied by the caller, once per call) and h~ = h ⊙ the recurrent
// dropout mask (only inside the product: the carried state is not masked). Slices touch only their own rows of
// the state, output and trace, so they run concurrently; a slice's numbers do not depend on the others.

// #include <elman/activation_registry.hpp>
// #include <elman/activations.hpp>
// #include <elman/config.hpp>
// #include <elman/detail/packed_gemm.hpp>
// #include <elman/detail/prefetch.hpp>
// #include <elman/detail/resize.hpp>
// Resizing per-call buffers that usually already have the right size.

// #include <elman/config.hpp>

#include <Eigen/Core>

ELMAN_NAMESPACE_BEGIN
namespace detail {

/// `m.resize(rows, cols)` unless `m` already has that size. Eigen's resize checks the element count for
/// overflow with an integer division on every call, even when nothing changes; per-call workspaces of a small
/// call are resized several times per call, where those divisions are a visible part of its time.
template <class Derived>
void fit(Eigen::PlainObjectBase<Derived>& m, Index rows, Index cols) {
    if (m.rows() != rows || m.cols() != cols) m.resize(rows, cols);
}

}  // namespace detail
ELMAN_NAMESPACE_END
// #include <elman/detail/sequence_layout.hpp>
// Where step t of sample b lives in a [B*T, ·] (batch-major) or [T*B, ·] (time-major) row-major buffer.

// #include <elman/config.hpp>

ELMAN_NAMESPACE_BEGIN
namespace detail {

/// The one row formula of the library: inputs, masks, returned sequences, traces and gradients all index
/// their rows through it.
struct SequenceLayout {
    Index batch = 0, timesteps = 0;
    bool time_major = false;

    /// Row of (sample b, step t).
    Index row(Index b, Index t) const noexcept { return time_major ? t * batch + b : b * timesteps + t; }
    /// Row of (sample 0, step t) and the distance between consecutive samples' rows of one step.
    Index first_row(Index t) const noexcept { return time_major ? t * batch : t; }
    Index sample_stride() const noexcept { return time_major ? 1 : timesteps; }
};

}  // namespace detail
ELMAN_NAMESPACE_END
// #include <elman/exceptions.hpp>
// #include <elman/mask.hpp>
// #include <elman/simple_rnn_call.hpp>
// The call arguments, the typed result and the recorded forward pass of SimpleRNN.

// #include <elman/config.hpp>
// #include <elman/mask.hpp>
// #include <elman/tensor.hpp>

#include <Eigen/Core>

#include <optional>

ELMAN_NAMESPACE_BEGIN

template <class Scalar>
struct ForwardTrace;

/// Keras' call arguments: `layer(inputs, mask=None, training=None, initial_state=None)`.
template <class Scalar>
struct CallArgs {
    /// `[B, T]` (or `[B, T, 1]`) timestep mask of any arithmetic dtype; non-zero keeps a step. Empty = none.
    MaskView mask{};
    /// Training call: applies dropout / recurrent_dropout. Keras' `None` is inference, as a bare eager call.
    bool training = false;
    /// `[B, U]` state before the first processed step (so with go_backwards it feeds source step T-1).
    std::optional<TensorView<const Scalar>> initial_state{};
    /// When set, the call records what backpropagation needs into this trace.
    ForwardTrace<Scalar>* trace = nullptr;
};

/// What a call returns. `output` is the last output `[B, U]`, or the whole sequence `[B, T, U]` (in processing
/// order) with `return_sequences`; `state` is the final state `[B, U]`, present exactly when `return_state`.
template <class Scalar>
struct Result {
    Tensor<Scalar> output;
    std::optional<Tensor<Scalar>> state;
};

/// Everything a call computed that backpropagation through time needs, in processing order p = 0..T-1
/// (source step s(p) = p, or T-1-p with go_backwards). Row blocks are `[B, U]` per step: rows p*B .. p*B+B-1.
template <class Scalar>
struct ForwardTrace {
    using Matrix = RowMajorMatrix<Scalar>;
    Index batch = 0, timesteps = 0, features = 0, units = 0;
    bool go_backwards = false;
    bool time_major = false;
    bool return_sequences = false;
    bool zero_output_for_mask = false;
    /// Inputs after input dropout, in source layout `[B*T, F]` (rows b*T+t, or t*B+b when time_major).
    Matrix inputs;
    /// `[(T+1)*B, U]`: block p is h_{p-1}, the state entering step p (block 0 = initial state); block T is the final state.
    Matrix states;
    /// `[T*B, U]`: pre-activations z_p = x~ W + b + h~_{p-1} U.
    Matrix preactivations;
    /// `[T*B, U]`: cell outputs c_p = act(z_p) (computed for masked rows too).
    Matrix activations;
    /// `[T, B]` step mask in processing order (1 = step taken); empty when the call had no mask.
    Eigen::Array<bool, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> step_mask;
    /// `[B, F]` input-dropout and `[B, U]` recurrent-dropout multipliers; empty when not applied.
    Matrix dropout_mask;
    Matrix recurrent_dropout_mask;
};

ELMAN_NAMESPACE_END
// #include <elman/tensor.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <type_traits>

ELMAN_NAMESPACE_BEGIN
namespace detail {

/// Everything one call's loop reads and writes, shared by all slices (each touches only its rows).
template <class Scalar>
struct RecurrenceIO {
    SequenceLayout layout;
    Index features = 0, units = 0;
    bool go_backwards = false, return_sequences = false, zero_output_for_mask = false;
    /// `[B*T, F]` rows in `layout` order, after input dropout.
    const Scalar* inputs = nullptr;
    /// Step mask (`layout` order), or null.
    const MaskView* mask = nullptr;
    /// `[B, U]` recurrent-dropout multipliers, or null.
    const RowMajorMatrix<Scalar>* recurrent_dropout = nullptr;
    /// `[B, U]` row-major h_{-1}, or null for zeros (read straight into each slice's state: no per-call copy).
    const Scalar* initial_state = nullptr;
    /// `[B, U]`: the final state on exit, or null when nobody reads it.
    RowMajorMatrix<Scalar>* state = nullptr;
    /// The returned output: `[B, U]`, or the sequence in processing order laid out like the inputs.
    Scalar* output = nullptr;
    /// Records what backpropagation needs (sized by the caller), or null.
    ForwardTrace<Scalar>* trace = nullptr;
};

/// Row stride that keeps every row of a buffer on the same offset from a packet boundary, so Eigen splits each
/// row into the same packet and scalar parts: activations whose packet and scalar versions round differently
/// (exp, logistic) then give bit-identical rows whatever slice or thread computed them.
template <class Scalar>
constexpr Index packet_padded(Index n) noexcept {
    constexpr Index p = Eigen::internal::packet_traits<Scalar>::size;
    return (n + p - 1) / p * p;
}

/// Buffers of one slice (members of the caller, so repeated calls of one shape do not allocate).
template <class Scalar>
struct SliceWorkspace {
    using Matrix = RowMajorMatrix<Scalar>;
    Matrix stacked;    // [rows, stride]: h~ in columns [0, U), x~_t in [U, U+F) (packed product operand)
    Matrix z;          // [rows, padded U]: pre-activations
    Matrix candidate;  // [rows, padded U]: act(z), only with a mask
    Matrix state;      // [rows, padded U]: h when it cannot live in `stacked` (recurrent dropout, Eigen product)
    Matrix carry;      // [rows, U]: the output carry, only with a mask
    Matrix dropped;    // [rows, U]: h~ for the Eigen product with recurrent dropout

    /// Sizes every buffer the loop uses (the only allocation of a call; a no-op for an unchanged shape).
    void prepare(Index rows, Index features, Index units, Index z_columns, bool masked, bool recurrent_dropout) {
        fit(stacked, rows, packet_padded<Scalar>(units + features));
        fit(z, rows, z_columns);
        fit(state, rows, packet_padded<Scalar>(units));
        if (recurrent_dropout) fit(dropped, rows, units);
        if (masked) {
            fit(candidate, rows, z_columns);
            carry.setZero(rows, units);  // Keras: the output carry starts at zero, not at h_{-1}
        }
    }
};

template <class Scalar>
using StridedRows = Eigen::Map<RowMajorMatrix<Scalar>, 0, Eigen::OuterStride<>>;

/// dst rows := src rows, or zeros when src is null. Plain loops: a small call copies a few short rows, where
/// Eigen's block assignment spends more on its alignment bookkeeping than on the copy.
template <class Scalar>
void copy_rows(const Scalar* src, Index src_stride, Scalar* dst, Index dst_stride, Index rows, Index cols) noexcept {
    for (Index i = 0; i < rows; ++i) {
        if (src) {
            std::copy_n(src + i * src_stride, cols, dst + i * dst_stride);
        } else {
            std::fill_n(dst + i * dst_stride, cols, Scalar(0));
        }
    }
}

/// The fused product on packed weights `[U; W]` (recurrent rows first, matching the `[h~ x~]` operand):
/// z = b + [h~ x~] · [U; W]. `Depth` = U + F when known at compile time (the streaming step's unrolled loop).
template <class Scalar, int Depth = Eigen::Dynamic>
struct PackedProduct {
    const PackedWeights<Scalar>* weights = nullptr;
    /// The whole batch is one sample: the latency kernel (split sums) instead of the throughput kernel.
    bool single_sample = false;

    static constexpr bool state_fits_operand = true;
    Index z_columns() const noexcept { return weights->padded_units(); }
    /// The instruction set of the kernels this product runs (the activation follows it).
    Isa isa() const noexcept { return weights->isa(); }

    // Inlined into every step variant: a one-sample step calling it lost ~15% (Zen 5), which g++ chose once the
    // step had three instantiations.
    EIGEN_ALWAYS_INLINE void operator()(const RecurrenceIO<Scalar>& io, SliceWorkspace<Scalar>& ws, Index b0,
                                        Index rows, Index t, const StridedRows<Scalar>& h) const noexcept {
        const Index F = io.features, U = io.units, K = ws.stacked.cols();
        Scalar* operand = ws.stacked.data();
        // Plain std::copy_n: with one sample these copies are a visible part of a step, and Eigen's block
        // assignment spends more on alignment bookkeeping than on the copy.
        for (Index i = 0; F > 0 && i < rows; ++i)
            std::copy_n(io.inputs + io.layout.row(b0 + i, t) * F, F, operand + i * K + U);
        if (io.recurrent_dropout) {
            StridedRows<Scalar>(operand, rows, U, Eigen::OuterStride<>(K)) =
                h.cwiseProduct(io.recurrent_dropout->middleRows(b0, rows));
        }
        if (single_sample) {
            packed_gemv<Scalar, Depth>(operand, *weights, ws.z.data());
        } else {
            packed_gemm<Scalar, Depth>(rows, operand, K, *weights, ws.z.data(), ws.z.cols());
        }
    }
};

/// Eigen (or BLAS) products: the caller computes the input projection P = x~ · W + b of every step in one
/// GEMM; each step adds h~ · U. Eigen's summation order may depend on the row count, so one slice only.
template <class Scalar>
struct EigenProduct {
    const RowMajorMatrix<Scalar>* recurrent_kernel = nullptr;
    const RowMajorMatrix<Scalar>* projection = nullptr;  // [B*T, U] in the inputs' layout

    static constexpr bool state_fits_operand = false;
    Index z_columns() const noexcept { return packet_padded<Scalar>(recurrent_kernel->cols()); }
    static constexpr Isa isa() noexcept { return Isa::generic; }

    void operator()(const RecurrenceIO<Scalar>& io, SliceWorkspace<Scalar>& ws, Index b0, Index rows, Index t,
                    const StridedRows<Scalar>& h) const noexcept {
        const Index U = io.units;
        StridedRows<Scalar> z(ws.z.data(), rows, U, Eigen::OuterStride<>(ws.z.cols()));
        if (io.recurrent_dropout) {
            ws.dropped = h.cwiseProduct(io.recurrent_dropout->middleRows(b0, rows));
            z.noalias() = ws.dropped * *recurrent_kernel;
        } else {
            z.noalias() = h * *recurrent_kernel;
        }
        const Eigen::Map<const RowMajorMatrix<Scalar>, 0, Eigen::OuterStride<>> projected(
            projection->data() + io.layout.row(b0, t) * U, rows, U,
            Eigen::OuterStride<>(io.layout.sample_stride() * U));
        z += projected;
    }
};

/// Where a slice keeps h: in the product's operand when nothing else must be multiplied in (no copy per step),
/// else in its own buffer.
template <class Scalar, class Product>
StridedRows<Scalar> state_rows(const RecurrenceIO<Scalar>& io, SliceWorkspace<Scalar>& ws, Index rows) noexcept {
    if (Product::state_fits_operand && !io.recurrent_dropout)
        return StridedRows<Scalar>(ws.stacked.data(), rows, io.units, Eigen::OuterStride<>(ws.stacked.cols()));
    return StridedRows<Scalar>(ws.state.data(), rows, io.units, Eigen::OuterStride<>(ws.state.cols()));
}

/// y = act(z) for rows of z. float tanh (the default activation) runs on the product's instruction set, so a
/// build without -march does not fall back to SSE2 for it; everything else is the activation's own Eigen code.
/// An activation chosen at run time picks its typed one here, once per block, so it takes the same paths.
template <class Scalar, class Activation, class Z, class Y>
EIGEN_ALWAYS_INLINE void activate(const Activation& act, Isa isa, const Z& z, Y& y) noexcept {
    if constexpr (std::is_same<Activation, KerasActivation>::value) {
        act.visit([&](auto typed) { activate<Scalar>(typed, isa, z, y); });
    } else {
        if constexpr (std::is_same<Activation, Tanh>::value && std::is_same<Scalar, float>::value) {
            if (simd_tanh(isa, z.rows(), z.cols(), z.data(), z.outerStride(), y.data(), y.outerStride())) return;
        }
        act.forward(z.array(), y.array());
    }
}

/// Whether a step may have more to do than z = product, h = act(z). The branches a variant rules out are
/// compiled out: in the general step they cost a one-sample step ~10 ns of 67 (Zen 4), mostly registers spilled
/// around them.
///   any:      trace, mask and recurrent dropout possible.
///   sequence: none of those (the usual inference call); any timestep count, returned sequences, go_backwards.
///   none:     `sequence` with one timestep and no sequence output (the streaming step).
enum class StepExtras { any, sequence, none };

/// One processed step p of rows [b0, b0 + rows) with the state in `h`.
template <StepExtras Extras = StepExtras::any, class Scalar, class Activation, class Product>
void recurrence_step(const RecurrenceIO<Scalar>& io, const Activation& act, const Product& product,
                     SliceWorkspace<Scalar>& ws, Index b0, Index rows, StridedRows<Scalar>& h, Index p) noexcept {
    constexpr bool plain = Extras == StepExtras::none, extras = Extras == StepExtras::any;
    const Index B = io.layout.batch, T = io.layout.timesteps, U = io.units;
    const Index t = io.go_backwards ? T - 1 - p : p;
    ELMAN_ASSERT(extras || (!io.trace && !io.mask && !io.recurrent_dropout));
    ELMAN_ASSERT(!plain || (!io.return_sequences && T == 1));
    ForwardTrace<Scalar>* trace = extras ? io.trace : nullptr;
    if (!plain && rows > 1 && io.layout.sample_stride() > 1 && p + 1 < T) {
        // The next step's input rows (read by the packed product's operand copy) and output rows, while this
        // step computes: batch-major, each is a short run a whole sequence away from the next sample's. One
        // sample's or time-major rows follow the current ones in memory, which the hardware prefetchers track.
        const Index stride = io.layout.sample_stride(), t_next = io.go_backwards ? t - 1 : t + 1;
        if (Product::state_fits_operand && io.features > 0)
            prefetch_rows(io.inputs + io.layout.row(b0, t_next) * io.features, rows, io.features, stride * io.features);
        if (io.return_sequences) prefetch_rows(io.output + io.layout.row(b0, p + 1) * U, rows, U, stride * U, true);
    }
    if (trace) trace->states.middleRows(p * B + b0, rows) = h;
    product(io, ws, b0, rows, t, h);
    const StridedRows<Scalar> z(ws.z.data(), rows, U, Eigen::OuterStride<>(ws.z.cols()));
    if (trace) trace->preactivations.middleRows(p * B + b0, rows) = z;
    const bool masked = extras && io.mask != nullptr;
    if (masked) {
        StridedRows<Scalar> candidate(ws.candidate.data(), rows, U, Eigen::OuterStride<>(ws.candidate.cols()));
        activate<Scalar>(act, product.isa(), z, candidate);
        if (trace) trace->activations.middleRows(p * B + b0, rows) = candidate;
        for (Index i = 0; i < rows; ++i) {
            const bool keep = io.mask->keep(io.layout.row(b0 + i, t));
            if (trace) trace->step_mask(p, b0 + i) = keep;
            if (keep) {
                h.row(i) = candidate.row(i);
                ws.carry.row(i) = candidate.row(i);
            } else if (io.zero_output_for_mask) {
                ws.carry.row(i).setZero();
            }
        }
    } else {
        // The product has read h: overwrite it in place. One row is contiguous: a plain map spares Eigen's
        // per-row alignment bookkeeping, a visible part of a one-sample step.
        if (rows == 1) {
            Eigen::Map<RowMajorMatrix<Scalar>> h_row(h.data(), 1, U);
            activate<Scalar>(act, product.isa(), Eigen::Map<const RowMajorMatrix<Scalar>>(z.data(), 1, U), h_row);
        } else {
            activate<Scalar>(act, product.isa(), z, h);
        }
        if (trace) trace->activations.middleRows(p * B + b0, rows) = h;
    }
    if (!plain && io.return_sequences) {
        // The output rows of step p are one sample stride apart (batch- or time-major alike).
        Scalar* out = io.output + io.layout.row(b0, p) * U;
        const Index out_stride = io.layout.sample_stride() * U;
        if (masked) {
            copy_rows<Scalar>(ws.carry.data(), ws.carry.cols(), out, out_stride, rows, U);
        } else {
            copy_rows<Scalar>(h.data(), h.outerStride(), out, out_stride, rows, U);
        }
    }
}

/// Rows [b0, b0 + rows) of the batch through every timestep: loads h_{-1} from io.initial_state, runs the steps,
/// stores the final state, the last output and the trace's final block. `ws` must have been prepared.
template <class Scalar, class Activation, class Product>
void run_slice(const RecurrenceIO<Scalar>& io, const Activation& act, const Product& product,
               SliceWorkspace<Scalar>& ws, Index b0, Index rows) noexcept {
    const Index B = io.layout.batch, T = io.layout.timesteps, U = io.units;
    StridedRows<Scalar> h = state_rows<Scalar, Product>(io, ws, rows);
    copy_rows(io.initial_state ? io.initial_state + b0 * U : nullptr, U, h.data(), h.outerStride(), rows, U);
    if (io.trace || io.mask || io.recurrent_dropout) {
        for (Index p = 0; p < T; ++p) recurrence_step(io, act, product, ws, b0, rows, h, p);
    } else {
        for (Index p = 0; p < T; ++p) recurrence_step<StepExtras::sequence>(io, act, product, ws, b0, rows, h, p);
    }
    if (io.trace) io.trace->states.middleRows(T * B + b0, rows) = h;
    if (io.state) copy_rows<Scalar>(h.data(), h.outerStride(), io.state->data() + b0 * U, U, rows, U);
    if (!io.return_sequences) {
        Eigen::Map<RowMajorMatrix<Scalar>> out(io.output + b0 * U, rows, U);
        if (io.mask) {
            out = ws.carry;
        } else {
            out = h;
        }
    }
}

}  // namespace detail
ELMAN_NAMESPACE_END
// #include <elman/detail/resize.hpp>
// #include <elman/detail/sequence_layout.hpp>
// #include <elman/parameter.hpp>
// #include <elman/simple_rnn_call.hpp>
// #include <elman/simple_rnn_weights.hpp>
// The weights of a SimpleRNN in Keras' layout: build, get_weights, set_weights.

// #include <elman/config.hpp>
// #include <elman/exceptions.hpp>
// #include <elman/initializers.hpp>
// #include <elman/parameter.hpp>
// #include <elman/shape.hpp>
// #include <elman/tensor.hpp>

#include <Eigen/Core>

#include <stdexcept>
#include <string>
#include <vector>

ELMAN_NAMESPACE_BEGIN

/// kernel `[F, U]` (row i = input feature i), recurrent_kernel `[U, U]` and, with use_bias, bias `[U]` (stored
/// as a `[1, U]` row): Keras' layout, row-major, so values move to and from Keras arrays unchanged. Every write
/// goes through a Parameter and changes its stamp (see parameter.hpp). A moved-from object is unbuilt.
template <class Scalar>
class SimpleRNNWeights {
  public:
    SimpleRNNWeights(Index units, bool use_bias) : units_(units), use_bias_(use_bias), bias_(0, 0, true) {}
    SimpleRNNWeights(const SimpleRNNWeights&) = default;
    SimpleRNNWeights& operator=(const SimpleRNNWeights&) = default;
    SimpleRNNWeights(SimpleRNNWeights&& other) noexcept
        : units_(other.units_), use_bias_(other.use_bias_), input_dim_(other.input_dim_), built_(other.built_),
          kernel_(std::move(other.kernel_)), recurrent_kernel_(std::move(other.recurrent_kernel_)),
          bias_(std::move(other.bias_)) {
        other.unbuild();
    }
    SimpleRNNWeights& operator=(SimpleRNNWeights&& other) noexcept {
        if (this != &other) {
            units_ = other.units_;
            use_bias_ = other.use_bias_;
            input_dim_ = other.input_dim_;
            built_ = other.built_;
            kernel_ = std::move(other.kernel_);
            recurrent_kernel_ = std::move(other.recurrent_kernel_);
            bias_ = std::move(other.bias_);
            other.unbuild();
        }
        return *this;
    }

    Index units() const noexcept { return units_; }
    bool use_bias() const noexcept { return use_bias_; }
    bool built() const noexcept { return built_; }
    /// Input features the weights were built for (0 before build; Keras allows building with 0).
    Index input_dim() const noexcept { return input_dim_; }

    const Parameter<Scalar>& kernel() const noexcept { return kernel_; }
    const Parameter<Scalar>& recurrent_kernel() const noexcept { return recurrent_kernel_; }
    const Parameter<Scalar>& bias() const noexcept { return bias_; }
    /// Writable parameters (their writes are tracked; shapes cannot change through them).
    Parameter<Scalar>& kernel() noexcept { return kernel_; }
    Parameter<Scalar>& recurrent_kernel() noexcept { return recurrent_kernel_; }
    Parameter<Scalar>& bias() noexcept { return bias_; }

    /// Allocates the weights for `input_dim` features and fills them with the initializers (Keras `build`).
    void build(Index input_dim, const Initializer& kernel_init, const Initializer& recurrent_init,
               const Initializer& bias_init) {
        allocate(input_dim);
        kernel_.modify([&](auto& w) { kernel_init.fill(w.data(), Shape{input_dim, units_}); });
        recurrent_kernel_.modify([&](auto& w) { recurrent_init.fill(w.data(), Shape{units_, units_}); });
        if (use_bias_) bias_.modify([&](auto& w) { bias_init.fill(w.data(), Shape{units_}); });
    }

    /// Keras `get_weights()`: `[kernel, recurrent_kernel, bias]` (bias only with use_bias); empty before build.
    std::vector<Tensor<Scalar>> get() const {
        std::vector<Tensor<Scalar>> weights;
        if (!built_) return weights;
        weights.push_back(Tensor<Scalar>::from_matrix(kernel_.value()));
        weights.push_back(Tensor<Scalar>::from_matrix(recurrent_kernel_.value()));
        if (use_bias_) weights.push_back(Tensor<Scalar>::from_vector(bias_.value()));
        return weights;
    }

    /// Feature count the kernel in `weights` implies (the built one once built), after checking count and
    /// shapes with Keras' messages; `layer` names the layer in them. Changes nothing.
    Index check(const std::vector<TensorView<const Scalar>>& weights, const std::string& layer) const {
        const std::size_t expected = use_bias_ ? 3u : 2u;
        if (weights.size() != expected) {
            ELMAN_THROW(std::invalid_argument("You called `set_weights(weights)` on layer \"" + layer +
                                              "\" with a weight list of length " + std::to_string(weights.size()) +
                                              ", but the layer was expecting " + std::to_string(expected) +
                                              " weights."));
        }
        const Index features = built_ ? input_dim_ : (weights[0].rank() == 2 ? weights[0].dim(0) : -1);
        check_shape(layer, Shape{features, units_}, weights[0].shape());
        check_shape(layer, Shape{units_, units_}, weights[1].shape());
        if (use_bias_) check_shape(layer, Shape{units_}, weights[2].shape());
        return features;
    }

    /// Keras `set_weights(weights)` after `check` passed (builds an unbuilt object from the kernel's shape).
    void set_checked(const std::vector<TensorView<const Scalar>>& weights) {
        if (!built_) allocate(weights[0].dim(0));
        kernel_.assign(weights[0].matrix());
        recurrent_kernel_.assign(weights[1].matrix());
        if (use_bias_) bias_.assign(Eigen::Map<const RowMajorMatrix<Scalar>>(weights[2].data(), 1, units_));
    }

  private:
    void allocate(Index input_dim) {
        Shape({input_dim, units_}).size();  // throws std::length_error for absurd sizes
        kernel_.resize(input_dim, units_);
        recurrent_kernel_.resize(units_, units_);
        bias_.resize(use_bias_ ? 1 : 0, use_bias_ ? units_ : 0);
        input_dim_ = input_dim;
        built_ = true;
    }
    void unbuild() noexcept {
        input_dim_ = 0;
        built_ = false;
    }
    static void check_shape(const std::string& layer, const Shape& expected, const Shape& provided) {
        if (expected != provided || expected[0] < 0) {
            ELMAN_THROW(std::invalid_argument("SimpleRNN '" + layer + "': layer weight shape " +
                                              (expected[0] < 0 ? std::string("(F, U)") : expected.to_string()) +
                                              " not compatible with provided weight shape " + provided.to_string()));
        }
    }

    Index units_;
    bool use_bias_;
    Index input_dim_ = 0;
    bool built_ = false;
    Parameter<Scalar> kernel_, recurrent_kernel_, bias_;
};

ELMAN_NAMESPACE_END
// #include <elman/tensor.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cstdint>
#include <vector>

ELMAN_NAMESPACE_BEGIN
namespace detail {

/// Where backward writes (sized by the caller): weight gradients in Keras layout, the input gradient in the
/// call's input layout, the initial-state gradient `[B, U]`.
template <class Scalar>
struct BackwardOutputs {
    RowMajorMatrix<Scalar>* kernel = nullptr;            // [F, U]
    RowMajorMatrix<Scalar>* recurrent_kernel = nullptr;  // [U, U]
    RowMajorMatrix<Scalar>* bias = nullptr;              // [1, U], or null without use_bias
    Scalar* inputs = nullptr;                            // [B*T, F] in the trace's layout
    Scalar* initial_state = nullptr;                     // [B, U]
};

/// The gradients backward() starts from, row-major: d loss / d output (the Result's shape) and d loss / d final
/// state `[B, U]` (null = zero), both already including the activity regularizer's share.
template <class Scalar>
struct UpstreamGradients {
    const Scalar* output = nullptr;
    const Scalar* state = nullptr;
};

template <class Scalar>
class BackwardEngine {
  public:
    using RowMatrix = RowMajorMatrix<Scalar>;

    /// Rows of S per packed k block of the reduction: a block's panel (k_block x two vectors) stays in L1 while
    /// a row tile of the result walks it.
    static constexpr Index k_block = 256;

    /// Runs phases 1-3 for one call's trace (validated by the caller) on up to `threads` threads of `pool`.
    /// Throws std::bad_alloc only before any output is written.
    template <class Activation>
    void run(const SimpleRNNWeights<Scalar>& weights, const Activation& act, const ForwardTrace<Scalar>& trace,
             const UpstreamGradients<Scalar>& upstream, SlicePool& pool, int threads,
             const BackwardOutputs<Scalar>& out) {
        const Index B = trace.batch, T = trace.timesteps, F = trace.features, U = trace.units;
        const Index rows_total = T * B;
        const bool use_bias = out.bias != nullptr;
        const Index s_cols = U + F;
        refresh_step_weights(weights);

        // Every allocation happens here, before any thread starts: the slice bodies cannot throw.
        const Index count = slice_count(B, threads);
        slices_.resize(static_cast<std::size_t>(count));
        const bool masked = trace.step_mask.size() != 0;
        for (auto& ws : slices_) ws.prepare(B / count + 1, U, step_weights_.padded_units(), s_cols, masked, use_bias);
        // Row stride of gzᵀ: whole cache lines, and never a multiple of 4 KiB, where the reduction's row tile
        // (a dozen rows read together) would fall into one L1 set.
        constexpr Index line = 64 / static_cast<Index>(sizeof(Scalar));
        gz_stride_ = (rows_total + line - 1) / line * line;
        if (gz_stride_ * static_cast<Index>(sizeof(Scalar)) % 4096 == 0) gz_stride_ += line;
        fit(gz_transposed_, U, gz_stride_);
        const Index blocks = (rows_total + k_block - 1) / k_block;
        reduction_blocks_.resize(static_cast<std::size_t>(blocks));
        for (Index k = 0; k < blocks; ++k) {
            reduction_blocks_[static_cast<std::size_t>(k)].allocate(std::min(k_block, rows_total - k * k_block), s_cols,
                                                                    step_weights_.isa());
        }
        const Index ld_result = PackedWeights<Scalar>::padded_units_for(s_cols, step_weights_.isa());
        fit(result_transposed_, U, ld_result);

        const Context ctx{trace, upstream, out, SequenceLayout{B, T, trace.time_major}, use_bias};
        auto phases_1_2 = [&](Index c) noexcept {
            const Index b0 = slice_begin(B, count, c);
            reverse_slice(ctx, act, slices_[static_cast<std::size_t>(c)], b0, slice_begin(B, count, c + 1) - b0);
            for (Index k = c; k < blocks; k += count)
                pack_reduction_block(ctx, slices_[static_cast<std::size_t>(c)], k);
        };
        pool.run(count, phases_1_2);

        auto phase_3 = [&](Index c) noexcept {
            const Index r0 = slice_begin(U, count, c), rows = slice_begin(U, count, c + 1) - r0;
            if (rows == 0) return;
            Scalar* z = result_transposed_.data() + r0 * ld_result;
            for (Index k = 0; k < blocks; ++k) {
                const PackedWeights<Scalar>& block = reduction_blocks_[static_cast<std::size_t>(k)];
                const Scalar* a = gz_transposed_.data() + r0 * gz_stride_ + k * k_block;
                if (k == 0) {
                    packed_gemm(rows, a, gz_stride_, block, z, ld_result);  // from the zero bias
                } else {
                    packed_gemm_accumulate(rows, a, gz_stride_, block, z, ld_result);
                }
            }
        };
        pool.run(count, phase_3);

        const auto result = result_transposed_.leftCols(s_cols);
        out.recurrent_kernel->noalias() = result.leftCols(U).transpose();
        out.kernel->noalias() = result.middleCols(U, F).transpose();
        if (use_bias) {
            out.bias->setZero();
            for (Index c = 0; c < count; ++c) {
                const Index rows = slice_begin(B, count, c + 1) - slice_begin(B, count, c);
                for (Index i = 0; i < rows; ++i)
                    *out.bias += slices_[static_cast<std::size_t>(c)].bias_sums.row(i).head(U);
            }
        }
    }

  private:
    struct Context {
        const ForwardTrace<Scalar>& trace;
        const UpstreamGradients<Scalar>& upstream;
        const BackwardOutputs<Scalar>& out;
        SequenceLayout layout;
        bool use_bias;
    };

    // Buffers of one slice; rows are padded to whole packets so every row splits into the same packet and
    // scalar parts (element-wise results then do not depend on the slice, see packet_padded).
    struct SliceBuffers {
        RowMatrix gh;         // d loss / d h_p
        RowMatrix gy;         // d loss / d y_p (the output carry), masked calls only
        RowMatrix gc;         // d loss / d c_p, masked calls only
        RowMatrix gz;         // d loss / d z_p: the step product's operand
        RowMatrix product;    // gz · [Uᵀ Wᵀ]
        RowMatrix s_row;      // one row of S before packing
        RowMatrix bias_sums;  // Σ_p gz_p of each sample (with a bias)

        void prepare(Index rows, Index units, Index product_columns, Index s_cols, bool masked, bool use_bias) {
            const Index padded = packet_padded<Scalar>(units);
            fit(gh, rows, padded);
            if (masked) {  // without a mask y_p = c_p = h_p: gz comes straight from gh and the output gradient
                fit(gy, rows, padded);
                fit(gc, rows, padded);
            }
            fit(gz, rows, padded);
            fit(product, rows, product_columns);
            fit(s_row, 1, s_cols);
            if (use_bias) fit(bias_sums, rows, padded);
        }
    };

    // [Uᵀ Wᵀ] packed, repacked when any weight changed since (stamps change on every write).
    void refresh_step_weights(const SimpleRNNWeights<Scalar>& w) {
        const std::uint64_t stamps[2] = {w.kernel().stamp(), w.recurrent_kernel().stamp()};
        step_stamps_.refresh(stamps, [&] {
            const auto& W = w.kernel().value();
            const auto& Uk = w.recurrent_kernel().value();
            fit(transposed_, Uk.rows(), Uk.rows() + W.rows());
            transposed_.leftCols(Uk.rows()) = Uk.transpose();
            transposed_.rightCols(W.rows()) = W.transpose();
            step_weights_.pack(transposed_, RowMatrix(0, transposed_.cols()), RowMatrix());
        });
    }

    // Phase 1 for rows [b0, b0 + rows): the reverse recurrence, the input gradient and gzᵀ.
    template <class Activation>
    void reverse_slice(const Context& ctx, const Activation& act, SliceBuffers& ws, Index b0, Index rows) noexcept {
        using ConstRows = Eigen::Map<const RowMatrix, 0, Eigen::OuterStride<>>;
        const ForwardTrace<Scalar>& trace = ctx.trace;
        const Index B = trace.batch, T = trace.timesteps, F = trace.features, U = trace.units;
        const SequenceLayout& layout = ctx.layout;
        const bool masked = trace.step_mask.size() != 0;
        const bool input_dropout = trace.dropout_mask.size() != 0;
        const bool recurrent_dropout = trace.recurrent_dropout_mask.size() != 0;
        auto block = [rows](RowMatrix& m, Index cols) {
            return StridedRows<Scalar>(m.data(), rows, cols, Eigen::OuterStride<>(m.cols()));
        };
        auto gh = block(ws.gh, U), gy = block(ws.gy, U), gc = block(ws.gc, U), gz = block(ws.gz, U);
        auto product = block(ws.product, U + F);
        auto bias_sums = block(ws.bias_sums, U);
        if (ctx.use_bias) bias_sums.setZero();
        // d loss / d h_p, read in place: the upstream state gradient, then (without a mask, where every step
        // passes it on whole) the left columns of the previous product; with a mask, the gh buffer.
        const Scalar* gh_at = ws.gh.data();
        Index gh_stride = ws.gh.cols();
        if (ctx.upstream.state && !masked) {
            gh_at = ctx.upstream.state + b0 * U;
            gh_stride = U;
        } else if (ctx.upstream.state) {
            gh = Eigen::Map<const RowMatrix>(ctx.upstream.state + b0 * U, rows, U);
        } else {
            gh.setZero();
        }
        if (masked) gy.setZero();
        // d loss / d y_p from the caller, or null where the step's output was not returned.
        const Scalar* g_out = ctx.upstream.output;
        const Index g_out_stride = trace.return_sequences ? layout.sample_stride() * U : U;
        auto output_gradient = [&](Index p) -> const Scalar* {
            if (trace.return_sequences) return g_out + layout.row(b0, p) * U;
            return p == T - 1 ? g_out + b0 * U : nullptr;
        };
        for (Index p = T - 1; p >= 0; --p) {
            const Index t = trace.go_backwards ? T - 1 - p : p;
            const auto z = trace.preactivations.middleRows(p * B + b0, rows).array();
            const auto c = trace.activations.middleRows(p * B + b0, rows).array();
            const Scalar* g_step = output_gradient(p);
            if (trace.return_sequences && p > 0) prefetch_rows(output_gradient(p - 1), rows, U, g_out_stride);
            if (!masked) {
                // y_p = c_p = h_p, so gc = gy + gh in one pass with the activation's derivative.
                const ConstRows gh_in(gh_at, rows, U, Eigen::OuterStride<>(gh_stride));
                if (g_step) {
                    act.backward(z, c,
                                 ConstRows(g_step, rows, U, Eigen::OuterStride<>(g_out_stride)).array() + gh_in.array(),
                                 gz.array());
                } else {
                    act.backward(z, c, gh_in.array(), gz.array());
                }
            } else {
                if (g_step) gy += ConstRows(g_step, rows, U, Eigen::OuterStride<>(g_out_stride));
                gc = gy + gh;
                for (Index i = 0; i < rows; ++i)
                    if (!trace.step_mask(p, b0 + i)) gc.row(i).setZero();
                act.backward(z, c, gc.array(), gz.array());
                // tf.where's gradient: exact zeros for the discarded branch, even where act' is not finite.
                for (Index i = 0; i < rows; ++i)
                    if (!trace.step_mask(p, b0 + i)) gz.row(i).setZero();
            }
            transpose_into(gz.data(), gz.outerStride(), rows, U, gz_transposed_.data() + p * B + b0, gz_stride_);
            if (ctx.use_bias) bias_sums += gz;

            // [d h~_{p-1}  d x~_t] = gz · [Uᵀ Wᵀ]
            if (B == 1) {
                packed_gemv(ws.gz.data(), step_weights_, ws.product.data());
            } else {
                packed_gemm(rows, ws.gz.data(), ws.gz.cols(), step_weights_, ws.product.data(), ws.product.cols());
            }
            for (Index i = 0; i < rows; ++i) {
                Scalar* gx = ctx.out.inputs + layout.row(b0 + i, t) * F;
                const Scalar* from = product.data() + i * product.outerStride() + U;
                if (input_dropout) {
                    const Scalar* keep = trace.dropout_mask.data() + (b0 + i) * F;
                    for (Index f = 0; f < F; ++f) gx[f] = from[f] * keep[f];
                } else {
                    std::copy_n(from, F, gx);
                }
            }
            auto gh_prev = product.leftCols(U);
            if (recurrent_dropout) gh_prev.array() *= trace.recurrent_dropout_mask.middleRows(b0, rows).array();

            if (!masked) {
                gh_at = ws.product.data();
                gh_stride = ws.product.cols();
                continue;
            }
            for (Index i = 0; i < rows; ++i) {
                if (trace.step_mask(p, b0 + i)) {
                    gh.row(i) = gh_prev.row(i);
                    gy.row(i).setZero();  // y_p = c_p did not depend on y_{p-1}
                } else if (trace.zero_output_for_mask) {
                    gy.row(i).setZero();  // the masked output was the constant 0
                }
                // else: masked, h_p = h_{p-1} and y_p = y_{p-1}: gradients pass through unchanged.
            }
        }
        // The gy left here reaches the constant-zero output carry y_{-1}: dropped.
        // With a mask gh_at never leaves the gh buffer, so it is the state gradient on both paths.
        Eigen::Map<RowMatrix>(ctx.out.initial_state + b0 * U, rows, U) =
            ConstRows(gh_at, rows, U, Eigen::OuterStride<>(gh_stride));
    }

    // dst[j · ld_dst + i] = src[i · ld_src + j] in square tiles, so the source lines a tile reads stay in L1
    // while it is written column by column (a plain column walk misses L1 once a slice's gz exceeds it).
    static void transpose_into(const Scalar* src, Index ld_src, Index rows, Index cols, Scalar* dst,
                               Index ld_dst) noexcept {
        constexpr Index tile = 16;
        for (Index i0 = 0; i0 < rows; i0 += tile) {
            const Index i1 = std::min(rows, i0 + tile);
            for (Index j0 = 0; j0 < cols; j0 += tile) {
                const Index j1 = std::min(cols, j0 + tile);
                for (Index j = j0; j < j1; ++j)
                    for (Index i = i0; i < i1; ++i) dst[j * ld_dst + i] = src[i * ld_src + j];
            }
        }
    }

    // Phase 2: rows [k·k_block, ...) of S = [h~ x~] (row p·B + b: the state entering step p times the
    // recurrent-dropout mask and the input of that step after dropout), packed row by row.
    void pack_reduction_block(const Context& ctx, SliceBuffers& ws, Index k) noexcept {
        const ForwardTrace<Scalar>& trace = ctx.trace;
        const Index B = trace.batch, T = trace.timesteps, F = trace.features, U = trace.units;
        const bool recurrent_dropout = trace.recurrent_dropout_mask.size() != 0;
        const Index first = k * k_block, n = std::min(k_block, T * B - first);
        PackedWeights<Scalar>& packed = reduction_blocks_[static_cast<std::size_t>(k)];
        packed.reset_rows(n, ws.s_row.cols(), step_weights_.isa());
        for (Index r = 0; r < n; ++r) {
            const Index row = first + r, p = row / B, b = row % B;
            const Index t = trace.go_backwards ? T - 1 - p : p;
            auto s = ws.s_row.row(0);
            if (recurrent_dropout) {
                s.head(U) = trace.states.row(row).cwiseProduct(trace.recurrent_dropout_mask.row(b));
            } else {
                s.head(U) = trace.states.row(row);
            }
            s.segment(U, F) = trace.inputs.row(ctx.layout.row(b, t));
            packed.set_row(r, ws.s_row.data());
        }
    }

    std::vector<SliceBuffers> slices_;
    RowMatrix transposed_;  // [Uᵀ Wᵀ] before packing
    PackedWeights<Scalar> step_weights_;
    DerivedStamps<2> step_stamps_;
    RowMatrix gz_transposed_;  // [U, gz_stride_ >= T·B]: gz of every step, column p·B + b
    Index gz_stride_ = 0;
    RowMatrix result_transposed_;  // [U, padded(U + F)]: [dU; dW]ᵀ
    std::vector<PackedWeights<Scalar>> reduction_blocks_;
};

}  // namespace detail
ELMAN_NAMESPACE_END
// #include <elman/detail/call_validation.hpp>
// Checks of a SimpleRNN call's arguments, before anything is changed (Keras' messages where Keras has one).

// #include <elman/config.hpp>
// #include <elman/detail/errors.hpp>
// Helpers that build the library's exception messages (who, argument name, expected vs. actual).

// #include <elman/config.hpp>
// #include <elman/exceptions.hpp>
// #include <elman/shape.hpp>

#include <stdexcept>
#include <string>

ELMAN_NAMESPACE_BEGIN
namespace detail {

/// "(None, None, 8)"-style text for an expected shape where unknown extents are negative.
inline std::string expected_shape_string(std::initializer_list<Index> dims) {
    std::string s = "(";
    bool first = true;
    for (Index d : dims) {
        if (!first) s += ", ";
        first = false;
        s += d < 0 ? std::string("None") : std::to_string(d);
    }
    if (dims.size() == 1) s += ",";
    return s + ")";
}

[[noreturn]] inline void throw_shape_error(const std::string& layer, const char* argument, const std::string& expected,
                                           const Shape& found, const std::string& extra = {}) {
    ELMAN_THROW(std::invalid_argument(
        "SimpleRNN '" + layer + "': `" + argument + "` has an incompatible shape: expected shape=" + expected +
        ", found shape=" + found.to_string() + (extra.empty() ? "" : " (" + extra + ")")));
}

/// std::invalid_argument "<kind> '<name>': `<argument>` <what>", e.g. kind "SimpleRNN" or "SimpleRNNStream".
[[noreturn]] inline void throw_invalid(const char* kind, const std::string& name, const char* argument,
                                       const std::string& what) {
    ELMAN_THROW(std::invalid_argument(std::string(kind) + " '" + name + "': `" + argument + "` " + what));
}

/// The same for a SimpleRNN layer named `layer`.
[[noreturn]] inline void throw_invalid(const std::string& layer, const char* argument, const std::string& what) {
    throw_invalid("SimpleRNN", layer, argument, what);
}

}  // namespace detail
ELMAN_NAMESPACE_END
// #include <elman/exceptions.hpp>
// #include <elman/mask.hpp>
// #include <elman/shape.hpp>
// #include <elman/simple_rnn_call.hpp>
// #include <elman/simple_rnn_options.hpp>
// Constructor arguments of SimpleRNN, under their Keras names.

// #include <elman/config.hpp>
// #include <elman/constraints.hpp>
// #include <elman/initializers.hpp>
// #include <elman/regularizers.hpp>

#include <cstdint>
#include <optional>
#include <string>

ELMAN_NAMESPACE_BEGIN

/// Every `tf.keras.layers.SimpleRNN` argument except `units` and `activation` (those are the constructor's
/// first argument and the class' template parameter). Defaults are Keras'. With C++20 designated
/// initializers: `SimpleRNN<float> rnn(4, {.return_sequences = true, .return_state = true});`
struct SimpleRNNOptions {
    bool use_bias = true;
    Initializer kernel_initializer = Initializer::glorot_uniform();
    Initializer recurrent_initializer = Initializer::orthogonal();
    Initializer bias_initializer = Initializer::zeros();
    std::optional<Regularizer> kernel_regularizer{};
    std::optional<Regularizer> recurrent_regularizer{};
    std::optional<Regularizer> bias_regularizer{};
    std::optional<Regularizer> activity_regularizer{};
    std::optional<Constraint> kernel_constraint{};
    std::optional<Constraint> recurrent_constraint{};
    std::optional<Constraint> bias_constraint{};
    /// Fraction of input features dropped in training calls; clipped to [0, 1] as Keras does (NaN -> 0).
    double dropout = 0.0;
    /// Fraction of recurrent units dropped in training calls; clipped like `dropout`.
    double recurrent_dropout = 0.0;
    bool return_sequences = false;
    bool return_state = false;
    bool go_backwards = false;
    bool stateful = false;
    /// Keras' performance switch; accepted and reported, results are identical either way (see README).
    bool unroll = false;
    /// Keras hidden kwarg: inputs/outputs are `[T, B, ...]` instead of `[B, T, ...]`.
    bool time_major = false;
    /// Keras hidden kwarg: masked positions of the output are 0 instead of the previous output.
    bool zero_output_for_mask = false;
    /// Keras `input_dim` / last entry of `input_shape`: builds the weights at construction when > 0.
    Index input_dim = 0;
    /// Keras `batch_size` / first entry of `batch_input_shape`: the static batch a stateful layer needs
    /// before its first call (0 = unknown; a stateful layer then takes it from its first call).
    Index batch_size = 0;
    /// Keras layer name, used in error messages and configs.
    std::string name = "simple_rnn";
    /// Seed of the dropout masks (TF 2.4 has none; Keras 3's `seed`). Unset = nondeterministic.
    std::optional<std::uint64_t> seed{};
};

ELMAN_NAMESPACE_END
// #include <elman/tensor.hpp>

#include <algorithm>
#include <stdexcept>
#include <string>

ELMAN_NAMESPACE_BEGIN
namespace detail {

/// Extents of a call: `[B, T, F]` whatever the layout.
struct CallShape {
    Index batch, timesteps, features;
};

/// What validation needs to know of the layer besides its options.
struct CallFacts {
    bool built = false;
    Index input_dim = 0;       // features the weights were built for
    Index stateful_batch = 0;  // batch a stateful layer is bound to (0 = unknown)
};

/// The batch size a stateful layer is bound to, or -1 (not stateful, or not known yet).
inline Index bound_batch(const SimpleRNNOptions& options, const CallFacts& facts) noexcept {
    return options.stateful && facts.stateful_batch > 0 ? facts.stateful_batch : -1;
}

/// What is wrong with a call's `inputs`.
enum class InputsProblem { rank, negative_extent, features, no_timesteps, stateful_batch, stateful_no_batch };

// The messages of validate_call's failed checks, each built out of line: every call runs the checks, and the
// string building inlined beside them made the checks' own code slower (a larger frame, spills).
[[noreturn]] EIGEN_DONT_INLINE inline void throw_inputs_error(InputsProblem problem, const SimpleRNNOptions& options,
                                                              const CallFacts& facts, const Shape& shape) {
    const std::string& name = options.name;
    if (problem == InputsProblem::rank) {
        ELMAN_THROW(std::invalid_argument(
            "SimpleRNN '" + name + "': `inputs` must have rank 3 (" +
            (options.time_major ? "[timesteps, batch, features]" : "[batch, timesteps, features]") +
            "), expected ndim=3, found ndim=" + std::to_string(shape.rank()) +
            ". Full shape received: " + shape.to_string()));
    }
    const Index b = bound_batch(options, facts);
    const Index f = facts.built ? facts.input_dim : -1;
    const std::string expected =
        options.time_major ? expected_shape_string({-1, b, f}) : expected_shape_string({b, -1, f});
    std::string what;
    switch (problem) {
        case InputsProblem::negative_extent:
            what = "negative extent";
            break;
        case InputsProblem::features:
            what = "feature dimension must equal the built input_dim " + std::to_string(facts.input_dim);
            break;
        case InputsProblem::no_timesteps:
            what = "timesteps must be >= 1: Keras cannot run a RNN over an empty sequence";
            break;
        case InputsProblem::stateful_batch:
            what = "a stateful layer keeps its batch size " + std::to_string(b);
            break;
        default:
            what = "a stateful layer needs batch >= 1";
            break;
    }
    throw_shape_error(name, "inputs", expected, shape, what);
}

[[noreturn]] EIGEN_DONT_INLINE inline void throw_mask_error(const std::string& name, Index d0, Index d1,
                                                            const Shape& mask) {
    throw_shape_error(name, "mask", expected_shape_string({d0, d1}), mask,
                      "one flag per sample and timestep; [B, T, 1] is accepted too");
}

[[noreturn]] EIGEN_DONT_INLINE inline void throw_initial_state_error(const std::string& name, const Shape& expected,
                                                                     const Shape& state) {
    throw_shape_error(name, "initial_state", expected.to_string(), state, "one state row of `units` values per sample");
}

[[noreturn]] EIGEN_DONT_INLINE inline void throw_training_rate_error(const SimpleRNNOptions& options) {
    throw_invalid(options.name, options.dropout >= 1.0 ? "dropout" : "recurrent_dropout",
                  "rate must be a scalar tensor or a float in the range [0, 1), got 1 (a training call cannot drop "
                  "every unit)");
}

/// Throws std::invalid_argument (std::length_error for overflowing sizes) naming the argument, expected vs.
/// actual shape, when `inputs`, `args.mask`, `args.initial_state` or a training call's dropout rate cannot be
/// run by a layer with `options`, `units` and `facts`. Returns the call's extents.
template <class Scalar>
CallShape validate_call(const SimpleRNNOptions& options, Index units, const CallFacts& facts,
                        const TensorView<const Scalar>& inputs, const CallArgs<Scalar>& args) {
    const Shape& shape = inputs.shape();
    if (shape.rank() != 3) throw_inputs_error(InputsProblem::rank, options, facts, shape);
    const Index batch = options.time_major ? shape[1] : shape[0];
    const Index timesteps = options.time_major ? shape[0] : shape[1];
    const Index features = shape[2];
    auto fail = [&](InputsProblem problem) { throw_inputs_error(problem, options, facts, shape); };
    if (batch < 0 || timesteps < 0 || features < 0) fail(InputsProblem::negative_extent);
    if (facts.built && features != facts.input_dim) fail(InputsProblem::features);
    if (timesteps == 0) fail(InputsProblem::no_timesteps);
    const Index bound = bound_batch(options, facts);
    if (bound > 0 && batch != bound) fail(InputsProblem::stateful_batch);
    if (options.stateful && batch == 0) fail(InputsProblem::stateful_no_batch);
    // Sizes of everything the call allocates; throws std::length_error on overflow.
    Shape({batch, timesteps, std::max(features, units)}).size();
    if (features > 0 && !facts.built) Shape({features, units}).size();

    if (!args.mask.empty()) {
        const Shape& m = args.mask.shape();
        const Index d0 = options.time_major ? timesteps : batch, d1 = options.time_major ? batch : timesteps;
        const bool ok =
            (m.rank() == 2 && m[0] == d0 && m[1] == d1) || (m.rank() == 3 && m[0] == d0 && m[1] == d1 && m[2] == 1);
        if (!ok) throw_mask_error(options.name, d0, d1, m);
    }
    if (args.initial_state) {
        const Shape expected{batch, units};
        if (args.initial_state->shape() != expected)
            throw_initial_state_error(options.name, expected, args.initial_state->shape());
    }
    if (args.training && (options.dropout >= 1.0 || options.recurrent_dropout >= 1.0))
        throw_training_rate_error(options);
    return {batch, timesteps, features};
}

}  // namespace detail
ELMAN_NAMESPACE_END
// #include <elman/detail/errors.hpp>
// #include <elman/detail/sequence_engine.hpp>
// Runs one whole-sequence SimpleRNN call: dropout masks, product choice, workspaces, threads, trace.

// #include <elman/backend.hpp>
// #include <elman/config.hpp>
// #include <elman/detail/batch_split.hpp>
// #include <elman/detail/call_validation.hpp>
// #include <elman/detail/packed_gemm.hpp>
// #include <elman/detail/recurrence.hpp>
// #include <elman/detail/resize.hpp>
// #include <elman/detail/sequence_layout.hpp>
// #include <elman/exceptions.hpp>
// #include <elman/mask.hpp>
// #include <elman/parameter.hpp>
// #include <elman/random.hpp>
// #include <elman/simple_rnn_call.hpp>
// #include <elman/simple_rnn_weights.hpp>
// #include <elman/tensor.hpp>

#include <Eigen/Core>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

ELMAN_NAMESPACE_BEGIN
namespace detail {

/// The loop-shaping options of a call (a subset of SimpleRNNOptions, after the layer's normalisation).
struct SequenceFlags {
    bool go_backwards = false, return_sequences = false, time_major = false, zero_output_for_mask = false;
    double dropout = 0.0, recurrent_dropout = 0.0;
    /// Whether the caller reads final_state() after the call (return_state or stateful); otherwise the last
    /// state is not stored.
    bool final_state = true;

    friend bool operator==(const SequenceFlags& a, const SequenceFlags& b) noexcept {
        return a.go_backwards == b.go_backwards && a.return_sequences == b.return_sequences &&
               a.time_major == b.time_major && a.zero_output_for_mask == b.zero_output_for_mask &&
               a.dropout == b.dropout && a.recurrent_dropout == b.recurrent_dropout && a.final_state == b.final_state;
    }
};

/// Whether the byte ranges [a, a + n) and [b, b + m) share memory (no ordering assumption between unrelated
/// objects).
inline bool overlaps(const void* a, std::size_t n, const void* b, std::size_t m) noexcept {
    if (n == 0 || m == 0 || a == nullptr || b == nullptr) return false;
    const auto a0 = reinterpret_cast<std::uintptr_t>(a), b0 = reinterpret_cast<std::uintptr_t>(b);
    return a0 < b0 + m && b0 < a0 + n;
}

/// The compute side of a SimpleRNN: its workspaces, the packed weights cache, threads and backend. Copies
/// start with the same settings and their own workers; a copy keeps the cache (it stays valid: the copied
/// weights carry the same stamps).
template <class Scalar>
class SequenceEngine {
  public:
    using RowMatrix = RowMajorMatrix<Scalar>;

    void set_threads(int threads) {
        if (threads < threads_) pool_.stop();  // idle workers are not kept for a smaller count
        threads_ = threads;
    }
    int threads() const noexcept { return threads_; }
    void set_backend(Backend backend) noexcept { backend_ = backend; }
    Backend backend() const noexcept { return backend_; }

    /// Runs the recurrence over `inputs` (validated, shape `s`) from h_{-1} = `initial` (`[B, U]` row-major
    /// values, null = zeros), writing `result.output`. Afterwards `final_state()` holds the last state when
    /// `flags.final_state`.
    /// Throws std::invalid_argument for a mask that aliases `result` and std::bad_alloc, both before any
    /// result, trace or generator state is changed.
    template <class Activation>
    void run(const SimpleRNNWeights<Scalar>& weights, const Activation& act, const SequenceFlags& flags,
             const TensorView<const Scalar>& inputs, const CallArgs<Scalar>& args, const CallShape& s,
             const Scalar* initial, Random& rng, Result<Scalar>& result) {
        if (backend_ == Backend::packed) {
            refresh_packed(weights);
            // A plain call like the last one (the usual loop of small calls): everything is sized, only the
            // recurrence runs. Every other call takes the general path, which also prepares for the next.
            if (prepared_.repeats(s, flags, threads_, packed_.padded_units(), result.output.shape()) &&
                plain_call(args, flags) && !aliases_result(inputs.data(), bytes(inputs.size()), result) &&
                !(initial && aliases_result(initial, bytes(s.batch * weights.units()), result))) {
                // Updated in place, field by field: a fresh copy of the whole struct would be written with wide
                // stores and read back field by field at once, which stalls store forwarding.
                RecurrenceIO<Scalar>& io = prepared_.io;
                io.inputs = inputs.data();
                io.initial_state = initial;
                io.output = result.output.data();
                io.state = flags.final_state ? &state_ : nullptr;
                run_slices(io, act, PackedProduct<Scalar>{&packed_, s.batch == 1}, slice_count(s.batch, threads_));
                return;
            }
        }
        run_general(weights, act, flags, inputs, args, s, initial, rng, result);
    }

    /// h after the last step of the last call that asked for it (SequenceFlags::final_state), `[B, U]`.
    const RowMatrix& final_state() const noexcept { return state_; }

    /// The workers, shared with backward() (which runs on a const layer; the pool is not observable state).
    SlicePool& pool() const noexcept { return pool_; }

  private:
    /// A call whose loop is the plain recurrence (no trace, mask or dropout in effect): the only kind a repeat
    /// runs, and the only kind run_general() prepares a repeat for.
    static bool plain_call(const CallArgs<Scalar>& args, const SequenceFlags& flags) noexcept {
        return !args.trace && args.mask.empty() &&
               !(args.training && (flags.dropout > 0.0 || flags.recurrent_dropout > 0.0));
    }

    static std::size_t bytes(Index n) noexcept { return static_cast<std::size_t>(n) * sizeof(Scalar); }

    /// Whether the `n` bytes at `p` share memory with the output or state being written.
    static bool aliases_result(const void* p, std::size_t n, const Result<Scalar>& result) noexcept {
        return overlaps(p, n, result.output.data(), bytes(result.output.size())) ||
               (result.state && overlaps(p, n, result.state->data(), bytes(result.state->size())));
    }

    /// Every call but a repeat of a prepared plain one: copies aliased operands, draws dropout masks, starts
    /// the trace, sizes the output and workspaces, then runs the recurrence. Out of line: a repeated small
    /// call does not pay for its frame.
    template <class Activation>
    EIGEN_DONT_INLINE void run_general(const SimpleRNNWeights<Scalar>& weights, const Activation& act,
                                       const SequenceFlags& flags, TensorView<const Scalar> inputs,
                                       const CallArgs<Scalar>& args, const CallShape& s, const Scalar* initial,
                                       Random& rng, Result<Scalar>& result) {
        const Index B = s.batch, T = s.timesteps, F = s.features, U = weights.units();
        const SequenceLayout layout{B, T, flags.time_major};
        const bool input_dropout = args.training && flags.dropout > 0.0;
        const bool recurrent_dropout = args.training && flags.recurrent_dropout > 0.0;
        ForwardTrace<Scalar>* trace = args.trace;
        prepared_ = {};  // the workspaces are about to change

        // Operands that share memory with the result (a stacked-layer loop reusing one Result) or with the trace
        // are read from copies: resizing those may free them, and the call would overwrite them while reading.
        auto aliased = [&](const void* p, std::size_t n) {
            auto hits = [&](const RowMatrix& m) { return overlaps(p, n, m.data(), bytes(m.size())); };
            return aliases_result(p, n, result) ||
                   (trace &&
                    (hits(trace->inputs) || hits(trace->states) || hits(trace->preactivations) ||
                     hits(trace->activations) || hits(trace->dropout_mask) || hits(trace->recurrent_dropout_mask)));
        };
        if (aliased(inputs.data(), bytes(inputs.size()))) {
            aliased_inputs_.assign(inputs.data(), inputs.data() + inputs.size());
            inputs = TensorView<const Scalar>(aliased_inputs_.data(), inputs.shape());
        }
        // A mask cannot be copied without knowing its dtype's meaning to the caller: refuse one that aliases.
        if (!args.mask.empty() && aliased(args.mask.data(), args.mask.bytes())) {
            ELMAN_THROW(std::invalid_argument(
                "SimpleRNN: `mask` shares memory with the Result or ForwardTrace being written; pass a mask that "
                "does not view the result's output or state or the trace"));
        }
        if (initial && aliased(initial, bytes(B * U))) {
            aliased_initial_.assign(initial, initial + B * U);
            initial = aliased_initial_.data();
        }

        // Dropout masks: drawn once per call (in one order, whatever the threads), reused at every timestep.
        if (input_dropout) draw_mask(dropout_mask_, B, F, flags.dropout, rng);
        if (recurrent_dropout) draw_mask(recurrent_dropout_mask_, B, U, flags.recurrent_dropout, rng);

        // x~ = inputs after input dropout, applied once for the whole call (into the trace when there is one).
        const Eigen::Map<const RowMatrix> x = inputs.matrix();
        const Scalar* operand = inputs.data();
        if (trace) begin_trace(*trace, flags, s, U, args, input_dropout, recurrent_dropout);
        if (input_dropout || trace) {
            RowMatrix& dropped = trace ? trace->inputs : dropped_inputs_;
            fit(dropped, x.rows(), F);
            // On the call's threads, each copying its own samples: for a large input this copy costs as much
            // as several steps.
            const Index count = backend_ == Backend::packed ? slice_count(B, threads_) : 1;
            auto copy_slice = [&](Index c) noexcept {
                for (Index b = slice_begin(B, count, c); b < slice_begin(B, count, c + 1); ++b) {
                    for (Index t = 0; t < T; ++t) {
                        const Index row = layout.row(b, t);
                        if (input_dropout) {
                            dropped.row(row) = x.row(row).cwiseProduct(dropout_mask_.row(b));
                        } else {
                            dropped.row(row) = x.row(row);
                        }
                    }
                }
            };
            pool_.run(count, copy_slice);
            operand = dropped.data();
        }

        result.output.resize(flags.return_sequences ? (flags.time_major ? Shape{T, B, U} : Shape{B, T, U})
                                                    : Shape{B, U});
        if (flags.final_state) fit(state_, B, U);  // written by the slices at their last step

        RecurrenceIO<Scalar> io;
        io.layout = layout;
        io.features = F;
        io.units = U;
        io.go_backwards = flags.go_backwards;
        io.return_sequences = flags.return_sequences;
        io.zero_output_for_mask = flags.zero_output_for_mask;
        io.inputs = operand;
        io.mask = args.mask.empty() ? nullptr : &args.mask;
        io.recurrent_dropout = recurrent_dropout ? &recurrent_dropout_mask_ : nullptr;
        io.initial_state = initial;
        io.state = flags.final_state ? &state_ : nullptr;
        io.output = result.output.data();
        io.trace = trace;

        if (backend_ == Backend::packed) {
            const Index count = slice_count(B, threads_);
            prepare_slices(io, packed_.padded_units(), count);
            if (plain_call(args, flags))
                prepared_.set(s, flags, threads_, packed_.padded_units(), result.output.shape(), io);
            run_slices(io, act, PackedProduct<Scalar>{&packed_, B == 1}, count);
        } else {
            const Eigen::Map<const RowMatrix> dropped(operand, x.rows(), F);
            projection_.noalias() = dropped * weights.kernel().value();
            if (weights.use_bias()) projection_.rowwise() += weights.bias().value().row(0);
            EigenProduct<Scalar> product{&weights.recurrent_kernel().value(), &projection_};
            prepare_slices(io, product.z_columns(), 1);
            run_slices(io, act, product, 1);
        }
    }

    /// What the last plain call (packed, no trace, mask or dropout) left sized: the slices' workspaces, the
    /// final state, an output of shape `output`; and its loop operands `io`, whose per-call pointers (inputs,
    /// initial state, output, final state) every repeat sets, so a copy of the engine holds a valid one. Only
    /// run_general() resizes any of those, and it clears this first.
    struct PreparedCall {
        bool valid = false;
        CallShape shape{0, 0, 0};
        SequenceFlags flags{};
        int threads = 0;
        Index z_columns = 0;
        Shape output{};
        RecurrenceIO<Scalar> io{};

        void set(const CallShape& s, const SequenceFlags& f, int t, Index z, const Shape& out,
                 const RecurrenceIO<Scalar>& operands) noexcept {
            *this = {true, s, f, t, z, out, operands};
            io.inputs = io.initial_state = nullptr;
            io.output = nullptr;
            io.state = nullptr;
        }
        bool repeats(const CallShape& s, const SequenceFlags& f, int t, Index z, const Shape& out) const noexcept {
            return valid && s.batch == shape.batch && s.timesteps == shape.timesteps && s.features == shape.features &&
                   t == threads && z == z_columns && f == flags && out == output;
        }
    };

    // Every allocation of the slices happens here, before any thread starts: the slice bodies cannot throw.
    void prepare_slices(const RecurrenceIO<Scalar>& io, Index z_columns, Index count) {
        const Index B = io.layout.batch;
        slices_.resize(static_cast<std::size_t>(count));
        for (Index c = 0; c < count; ++c) {
            slices_[static_cast<std::size_t>(c)].prepare(slice_begin(B, count, c + 1) - slice_begin(B, count, c),
                                                         io.features, io.units, z_columns, io.mask != nullptr,
                                                         io.recurrent_dropout != nullptr);
        }
    }

    /// Runs the prepared slices.
    template <class Activation, class Product>
    void run_slices(const RecurrenceIO<Scalar>& io, const Activation& act, const Product& product, Index count) {
        const Index B = io.layout.batch;
        if (count == 1) {  // no pool, no call through the body
            run_slice(io, act, product, slices_[0], 0, B);
            return;
        }
        auto body = [&](Index c) noexcept {
            const Index b0 = slice_begin(B, count, c);
            run_slice(io, act, product, slices_[static_cast<std::size_t>(c)], b0, slice_begin(B, count, c + 1) - b0);
        };
        pool_.run(count, body);
    }

    // Repacks [U; W] and the bias when any of them changed since the last pack (stamps change on every write).
    void refresh_packed(const SimpleRNNWeights<Scalar>& w) {
        const std::uint64_t stamps[3] = {w.kernel().stamp(), w.recurrent_kernel().stamp(), w.bias().stamp()};
        packed_stamps_.refresh(
            stamps, [&] { packed_.pack(w.recurrent_kernel().value(), w.kernel().value(), w.bias().value()); });
    }

    static void draw_mask(RowMatrix& mask, Index rows, Index cols, double rate, Random& rng) {
        fit(mask, rows, cols);
        const Scalar kept = static_cast<Scalar>(1.0 / (1.0 - rate));
        for (Index i = 0; i < rows; ++i)
            for (Index j = 0; j < cols; ++j) mask(i, j) = rng.uniform() >= rate ? kept : Scalar(0);
    }

    void begin_trace(ForwardTrace<Scalar>& trace, const SequenceFlags& flags, const CallShape& s, Index U,
                     const CallArgs<Scalar>& args, bool input_dropout, bool recurrent_dropout) const {
        const Index B = s.batch, T = s.timesteps;
        trace.batch = B;
        trace.timesteps = T;
        trace.features = s.features;
        trace.units = U;
        trace.go_backwards = flags.go_backwards;
        trace.time_major = flags.time_major;
        trace.return_sequences = flags.return_sequences;
        trace.zero_output_for_mask = flags.zero_output_for_mask;
        fit(trace.states, (T + 1) * B, U);
        fit(trace.preactivations, T * B, U);
        fit(trace.activations, T * B, U);
        trace.step_mask.resize(args.mask.empty() ? 0 : T, args.mask.empty() ? 0 : B);
        if (input_dropout) {
            trace.dropout_mask = dropout_mask_;
        } else {
            trace.dropout_mask.resize(0, 0);
        }
        if (recurrent_dropout) {
            trace.recurrent_dropout_mask = recurrent_dropout_mask_;
        } else {
            trace.recurrent_dropout_mask.resize(0, 0);
        }
    }

    int threads_ = 1;
    Backend backend_ = default_backend;
    PreparedCall prepared_;  // the last plain call's set-up
    // Per-call buffers (members so repeated calls of one shape do not allocate).
    RowMatrix state_, projection_, dropped_inputs_, dropout_mask_, recurrent_dropout_mask_;
    std::vector<Scalar> aliased_inputs_, aliased_initial_;
    std::vector<SliceWorkspace<Scalar>> slices_;
    // The packed [U; W] and bias as of the recorded stamps.
    PackedWeights<Scalar> packed_;
    DerivedStamps<3> packed_stamps_;
    // Persistent workers for set_threads > 1 (not copied: a copy starts its own when it needs them).
    mutable SlicePool pool_;
};

}  // namespace detail
ELMAN_NAMESPACE_END
// #include <elman/detail/stored_state.hpp>
// The state a stateful SimpleRNN keeps between calls.

// #include <elman/config.hpp>
// #include <elman/tensor.hpp>

#include <utility>

ELMAN_NAMESPACE_BEGIN
namespace detail {

/// `[B, U]` state of a stateful layer, absent until the batch size is known. A moved-from object is absent.
template <class Scalar>
class StoredState {
  public:
    StoredState() = default;
    StoredState(const StoredState&) = default;
    StoredState& operator=(const StoredState&) = default;
    StoredState(StoredState&& other) noexcept : value_(std::move(other.value_)), exists_(other.exists_) {
        other.clear();
    }
    StoredState& operator=(StoredState&& other) noexcept {
        if (this != &other) {
            value_ = std::move(other.value_);
            exists_ = other.exists_;
            other.clear();
        }
        return *this;
    }

    bool exists() const noexcept { return exists_; }
    /// Batch size of the stored state (0 while absent).
    Index batch() const noexcept { return exists_ ? value_.dim(0) : 0; }
    const Tensor<Scalar>& value() const noexcept { return value_; }
    /// Whether the state is absent or all zeros (TF 2.4's "no state yet" test for an explicit initial_state).
    bool is_zero() const noexcept {
        for (Index i = 0; i < value_.size(); ++i)
            if (value_.data()[i] != Scalar(0)) return false;
        return true;
    }

    void set_zero(Index batch, Index units) {
        value_.resize(Shape{batch, units});
        value_.matrix().setZero();
        exists_ = true;
    }
    /// value := `state` (shape already checked: `[batch(), U]`).
    template <class Derived>
    void assign(const Eigen::MatrixBase<Derived>& state) {
        value_.matrix() = state;
    }

  private:
    void clear() noexcept {
        value_ = Tensor<Scalar>();
        exists_ = false;
    }

    Tensor<Scalar> value_;
    bool exists_ = false;
};

}  // namespace detail
ELMAN_NAMESPACE_END
// #include <elman/exceptions.hpp>
// #include <elman/random.hpp>
// #include <elman/shape.hpp>
// #include <elman/simple_rnn_call.hpp>
// #include <elman/simple_rnn_options.hpp>
// #include <elman/simple_rnn_weights.hpp>
// #include <elman/tensor.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

ELMAN_NAMESPACE_BEGIN

namespace detail {
struct BackwardAccess;  // backward() (train/backward.hpp) reaches the layer's weights and compute side through it
}  // namespace detail

/// The Elman recurrence `h_t = act(x_t · W + b + h_{t-1} · U)` over `[batch, timesteps, features]` inputs, with
/// every behaviour of Keras' SimpleRNN: masking (select, output carry starting at zero), go_backwards (the
/// returned sequence stays in processing order), initial_state, dropout / recurrent_dropout in training calls,
/// stateful layers with reset_states, return_sequences and return_state (docs/keras-semantics.md).
///
/// Layout rule of the whole library: weights and weight gradients are row-major Eigen matrices in Keras'
/// layout (kernel `[F, U]`, row i = input feature i; recurrent_kernel `[U, U]`; bias `[U]` stored as a `[1, U]`
/// row); data (inputs, outputs, states, input gradients) are `Tensor`s in numpy order.
///
/// Errors: invalid arguments throw std::invalid_argument (std::logic_error for calls that make no sense in the
/// layer's state, std::length_error for sizes that overflow) naming the argument and the expected vs. actual
/// shape; a call that throws leaves weights and stored state exactly as they were.
///
/// Lifetimes and threads: a layer is a value (copy it freely; a copy has its own workspaces and workers). A
/// moved-from layer is unbuilt and refuses calls (std::logic_error) until a layer is assigned to it. One layer
/// must not be used from two threads at once (its call writes its workspaces and stored state): give each thread
/// its own copy, or a SimpleRNNStream each. Inputs and initial_state may alias the Result being written (the
/// stacked-layer loop `layer.call(r.output, args, r)` works); a mask that views the Result is refused
/// (std::invalid_argument).
///
/// Performance: `set_threads(n)` splits the batch across n threads (bit-identical to one thread, dropout calls
/// included); `set_backend(...)` picks the product (backend.hpp); `SimpleRNNStream` (stream.hpp) steps one
/// timestep at a time without allocating; docs/performance.md has the measurements.
///
/// @tparam Scalar      float or double.
/// @tparam Activation  one of the types in activations.hpp (Keras names) or a user functor with the same shape.
template <class Scalar = float, class Activation = Tanh>
class SimpleRNN {
    static_assert(std::is_floating_point<Scalar>::value, "SimpleRNN: Scalar must be a floating-point type");

  public:
    using scalar_type = Scalar;
    using activation_type = Activation;
    using Options = SimpleRNNOptions;
    using Weights = SimpleRNNWeights<Scalar>;
    using RowMatrix = RowMajorMatrix<Scalar>;

    /// Keras `SimpleRNN(units, activation, **options)`. `units` must be positive. Dropout rates are clipped to
    /// [0, 1] (NaN -> 0). Weights are built here when `options.input_dim > 0`, else on the first call.
    explicit SimpleRNN(Index units, Options options = {}, Activation activation = {})
        : options_(std::move(options)), activation_(std::move(activation)), weights_(units, options_.use_bias),
          rng_(options_.seed ? Random(*options_.seed) : Random::nondeterministic()) {
        if (units <= 0)
            detail::throw_invalid(options_.name, "units", "must be a positive integer, got " + std::to_string(units));
        Shape({units, units}).size();  // throws std::length_error for absurd unit counts
        options_.dropout = clip_rate(options_.dropout);
        options_.recurrent_dropout = clip_rate(options_.recurrent_dropout);
        if (options_.batch_size < 0)
            detail::throw_invalid(options_.name, "batch_size",
                                  "must be >= 0, got " + std::to_string(options_.batch_size));
        if (options_.input_dim < 0)
            detail::throw_invalid(options_.name, "input_dim",
                                  "must be >= 0, got " + std::to_string(options_.input_dim));
        if (options_.input_dim > 0) build(options_.input_dim);
    }

    // ---- configuration (Keras names) -------------------------------------------------------------------------
    Index units() const noexcept { return weights_.units(); }
    const Options& options() const noexcept { return options_; }
    const Activation& activation() const noexcept { return activation_; }
    const char* activation_name() const noexcept { return elman::activation_name(activation_); }
    const std::string& name() const noexcept { return options_.name; }
    bool use_bias() const noexcept { return options_.use_bias; }
    double dropout() const noexcept { return options_.dropout; }
    double recurrent_dropout() const noexcept { return options_.recurrent_dropout; }
    bool return_sequences() const noexcept { return options_.return_sequences; }
    bool return_state() const noexcept { return options_.return_state; }
    bool go_backwards() const noexcept { return options_.go_backwards; }
    bool stateful() const noexcept { return options_.stateful; }
    bool unroll() const noexcept { return options_.unroll; }
    bool time_major() const noexcept { return options_.time_major; }

    /// Reseed the dropout-mask generator (for reproducible training runs).
    void seed_dropout(std::uint64_t seed) noexcept { rng_.reseed(seed); }

    // ---- weights ------------------------------------------------------------------------------------------------
    bool built() const noexcept { return weights_.built(); }
    /// Input feature count the weights were built for (0 before build).
    Index input_dim() const noexcept { return weights_.input_dim(); }

    /// Keras `build`: creates kernel `[F, U]`, recurrent_kernel `[U, U]` and bias `[U]` with the initializers.
    /// Weights are built once; building again with another `input_dim` throws.
    void build(Index input_dim) {
        require_not_moved_from();
        if (built()) {
            if (input_dim != weights_.input_dim()) {
                detail::throw_invalid(options_.name, "input_dim",
                                      "does not match the built weights: expected " +
                                          std::to_string(weights_.input_dim()) + ", got " + std::to_string(input_dim));
            }
            return;
        }
        if (input_dim < 0)
            detail::throw_invalid(options_.name, "input_dim", "must be >= 0, got " + std::to_string(input_dim));
        Weights fresh(units(), options_.use_bias);
        fresh.build(input_dim, options_.kernel_initializer, options_.recurrent_initializer, options_.bias_initializer);
        weights_ = std::move(fresh);
        after_build();
    }

    /// kernel `[F, U]`, recurrent_kernel `[U, U]`, bias `[1, U]` (0 x 0 without use_bias), row-major.
    const RowMatrix& kernel() const noexcept { return weights_.kernel().value(); }
    const RowMatrix& recurrent_kernel() const noexcept { return weights_.recurrent_kernel().value(); }
    const RowMatrix& bias() const noexcept { return weights_.bias().value(); }
    /// The weights as Parameters: writes through them (`weights().kernel().modify(...)`, optimizers) are seen by
    /// the next call, however long the reference is kept.
    const Weights& weights() const noexcept { return weights_; }
    Weights& weights() noexcept { return weights_; }

    /// Keras `get_weights()`: `[kernel, recurrent_kernel, bias]` (bias only with use_bias) as numpy-order
    /// tensors; empty before the layer is built.
    std::vector<Tensor<Scalar>> get_weights() const { return weights_.get(); }

    /// Keras `set_weights(weights)`: same order, count and shapes as get_weights, checked before anything is
    /// changed. On a layer that is not built yet, the kernel's first dimension builds it (where Keras would
    /// refuse), so Keras arrays can be loaded straight into a fresh layer.
    void set_weights(const std::vector<TensorView<const Scalar>>& weights) {
        require_not_moved_from();
        weights_.check(weights, options_.name);
        const bool was_built = built();
        weights_.set_checked(weights);
        if (!was_built) after_build();
    }
    void set_weights(const std::vector<Tensor<Scalar>>& weights) {
        set_weights(std::vector<TensorView<const Scalar>>(weights.begin(), weights.end()));
    }

    /// Sum of the kernel, recurrent and bias regularizer penalties on the current weights (Keras `layer.losses`
    /// without the activity term); 0 before build.
    Scalar regularization_loss() const {
        Scalar total(0);
        if (!built()) return total;
        if (options_.kernel_regularizer) total += (*options_.kernel_regularizer)(kernel());
        if (options_.recurrent_regularizer) total += (*options_.recurrent_regularizer)(recurrent_kernel());
        if (options_.bias_regularizer && options_.use_bias) total += (*options_.bias_regularizer)(bias());
        return total;
    }

    /// Keras' activity regularization of a call's result: the penalty of every returned tensor divided by its
    /// first dimension (the batch, or T for time-major sequences, as Keras does). 0 without a regularizer.
    Scalar activity_regularization_loss(const Result<Scalar>& result) const {
        if (!options_.activity_regularizer) return Scalar(0);
        auto term = [&](const Tensor<Scalar>& t) {
            return t.dim(0) == 0 ? Scalar(0)
                                 : (*options_.activity_regularizer)(t.matrix()) / static_cast<Scalar>(t.dim(0));
        };
        return term(result.output) + (result.state ? term(*result.state) : Scalar(0));
    }

    // ---- call -----------------------------------------------------------------------------------------------------
    /// Keras `layer(inputs, mask=, training=, initial_state=)`. `inputs` is `[B, T, F]` row-major (`[T, B, F]` when
    /// time_major), viewed without copying. Builds the weights on the first call.
    Result<Scalar> operator()(const TensorView<const Scalar>& inputs, const CallArgs<Scalar>& args = {}) {
        Result<Scalar> result;
        call(inputs, args, result);
        return result;
    }
    Result<Scalar> call(const TensorView<const Scalar>& inputs, const CallArgs<Scalar>& args = {}) {
        return (*this)(inputs, args);
    }

    /// Same as operator(), writing into `result` so repeated calls of one shape reuse its buffers. A plain
    /// inference call (no mask, trace or dropout) with the previous call's shapes into a Result of the same
    /// shape only runs the recurrence: nothing is sized again.
    void call(const TensorView<const Scalar>& inputs, const CallArgs<Scalar>& args, Result<Scalar>& result) {
        require_not_moved_from();
        const detail::CallShape s = detail::validate_call(
            options_, units(), detail::CallFacts{built(), input_dim(), stateful_batch()}, inputs, args);
        // ---- nothing below throws (except std::bad_alloc) ----
        if (!built()) build(s.features);
        if (options_.stateful && !state_.exists()) state_.set_zero(s.batch, units());
        // TF 2.4: a stored state with any non-zero entry wins over an explicit initial_state.
        const Scalar* initial = args.initial_state ? args.initial_state->data() : nullptr;
        if (options_.stateful && !(args.initial_state && state_.is_zero())) initial = state_.value().data();
        engine_.run(weights_, activation_, flags(), inputs, args, s, initial, rng_, result);
        const auto& final_state = engine_.final_state();
        if (options_.return_state) {
            if (!result.state) result.state.emplace();
            result.state->resize(Shape{final_state.rows(), units()});
            result.state->matrix() = final_state;
        } else {
            result.state.reset();
        }
        if (options_.stateful) state_.assign(final_state);
    }

    // ---- stateful -------------------------------------------------------------------------------------------------
    /// The stored state `[B, U]` of a stateful layer (an empty tensor before it exists).
    const Tensor<Scalar>& states() const noexcept { return state_.value(); }

    /// Keras `reset_states()`: stored state := zeros. Throws std::logic_error when the layer is not stateful or
    /// its batch size is still unknown.
    void reset_states() { state_.set_zero(require_stateful_batch(), units()); }

    /// Keras `reset_states(states)`: stored state := `states` (`[B, U]` exactly). As in Keras, if the state
    /// buffer does not exist yet it is created as zeros and `states` is ignored.
    void reset_states(TensorView<const Scalar> states) { reset_states(std::vector<TensorView<const Scalar>>{states}); }

    /// List form of `reset_states(states)` (Keras accepts a 1-element list; any other count is an error).
    void reset_states(const std::vector<TensorView<const Scalar>>& states) {
        const Index batch = require_stateful_batch();
        if (!state_.exists()) {
            state_.set_zero(batch, units());
            return;
        }
        if (states.size() != 1) {
            ELMAN_THROW(std::invalid_argument("Layer " + options_.name + " expects 1 states, but it received " +
                                              std::to_string(states.size()) + " state values."));
        }
        const Shape expected{batch, units()};
        if (states[0].shape() != expected) {
            ELMAN_THROW(std::invalid_argument("State 0 is incompatible with layer " + options_.name +
                                              ": expected shape=" + expected.to_string() +
                                              ", found shape=" + states[0].shape().to_string()));
        }
        state_.assign(states[0].matrix());
    }

    // ---- performance controls ---------------------------------------------------------------------------------
    /// Threads a whole-sequence call may use (default 1). The batch is split into `threads` near-equal row
    /// slices: the caller runs the first, persistent worker threads the others (started by the first call that
    /// needs them, kept between calls, joined when the layer is destroyed or the thread count is lowered; a
    /// copy of the layer starts its own). A call with batch B uses min(B, threads) threads. With the packed
    /// backend results are bit-identical to one thread (its sums do not depend on the slice); the gemm backend
    /// runs on one thread (Eigen's/BLAS' summation order may depend on the row count). Throws
    /// std::invalid_argument for n < 1.
    void set_threads(int threads) {
        if (threads < 1)
            detail::throw_invalid(options_.name, "threads", "must be >= 1, got " + std::to_string(threads));
        engine_.set_threads(threads);
    }
    int threads() const noexcept { return engine_.threads(); }

    /// Compute path of whole-sequence calls (see backend.hpp); `default_backend` unless changed.
    void set_backend(Backend backend) noexcept { engine_.set_backend(backend); }
    Backend backend() const noexcept { return engine_.backend(); }

  private:
    // Marks the source of a move: its weights and state are gone, so its calls are refused.
    struct MovedFrom {
        bool moved = false;
        MovedFrom() = default;
        MovedFrom(const MovedFrom&) noexcept {}
        MovedFrom(MovedFrom&& other) noexcept : moved(other.moved) { other.moved = true; }
        MovedFrom& operator=(const MovedFrom&) noexcept {
            moved = false;
            return *this;
        }
        MovedFrom& operator=(MovedFrom&& other) noexcept {
            if (this != &other) {
                moved = other.moved;
                other.moved = true;
            }
            return *this;
        }
    };

    void require_not_moved_from() const {
        if (moved_from_.moved) {
            ELMAN_THROW(std::logic_error("SimpleRNN '" + options_.name +
                                         "': this layer was moved from; assign a layer to it before using it"));
        }
    }

    static double clip_rate(double rate) {
        if (std::isnan(rate)) return 0.0;  // Python's max(0., nan) is 0
        return std::min(1.0, std::max(0.0, rate));
    }

    void after_build() {
        if (options_.stateful && options_.batch_size > 0 && !state_.exists())
            state_.set_zero(options_.batch_size, units());
    }

    detail::SequenceFlags flags() const noexcept {
        return {options_.go_backwards,
                options_.return_sequences,
                options_.time_major,
                options_.zero_output_for_mask,
                options_.dropout,
                options_.recurrent_dropout,
                options_.return_state || options_.stateful};
    }

    Index stateful_batch() const noexcept { return state_.exists() ? state_.batch() : options_.batch_size; }

    Index require_stateful_batch() const {
        if (!options_.stateful)
            ELMAN_THROW(std::logic_error("SimpleRNN '" + options_.name + "': Layer must be stateful."));
        const Index batch = stateful_batch();
        if (batch <= 0) {
            ELMAN_THROW(
                std::logic_error("SimpleRNN '" + options_.name +
                                 "': If a RNN is stateful, it needs to know its batch size. Pass "
                                 "`options.batch_size` (Keras `batch_input_shape`) or call the layer once first."));
        }
        return batch;
    }

    Options options_;
    Activation activation_;
    Weights weights_;
    detail::StoredState<Scalar> state_;
    Random rng_;
    detail::SequenceEngine<Scalar> engine_;
    // backward() counts as a call of the layer (not concurrently with another call on it): its workspaces
    // and packed transposed weights are a cache, hence mutable for the const layer backward() receives.
    mutable detail::BackwardEngine<Scalar> backward_engine_;
    MovedFrom moved_from_;

    friend struct detail::BackwardAccess;
};

ELMAN_NAMESPACE_END
// #include <elman/simple_rnn_call.hpp>
// #include <elman/simple_rnn_options.hpp>
// #include <elman/simple_rnn_weights.hpp>
// #include <elman/stream.hpp>
// Real-time stepping: one timestep per call, no heap allocation after construction.

// #include <elman/config.hpp>
// #include <elman/detail/errors.hpp>
// #include <elman/detail/packed_gemm.hpp>
// #include <elman/detail/recurrence.hpp>
// #include <elman/exceptions.hpp>
// #include <elman/simple_rnn.hpp>
// #include <elman/tensor.hpp>

#include <Eigen/Core>

#include <stdexcept>
#include <string>

ELMAN_NAMESPACE_BEGIN

/// Steps a built SimpleRNN one timestep at a time for `batch` samples: what a stateful Keras layer does when it
/// is called on `[batch, 1, F]` inputs over and over, as an audio or control loop needs it.
///
///     elman::SimpleRNN<float> rnn(32, {.input_dim = 16});        // weights from set_weights / training
///     elman::SimpleRNNStream<float> stream(rnn);                   // allocates and packs here, once
///     for (;;) { const auto h = stream.step(frame); ... }          // noexcept, never allocates
///
/// `step` returns a view of h_t `[batch, U]` (valid until the next step or reset), which is also the layer's
/// output for that step. Each step is one step of the layer's recurrence (detail/recurrence.hpp) on the same
/// packed product, so it computes the whole-sequence call's numbers (up to the summation order of a one-sample
/// batch, which uses the latency kernel in both). The stream packs the layer's weights at construction: after
/// changing them call `update_weights(layer)`. Inference only (no dropout), forward in time only (a go_backwards
/// layer is refused: a stream cannot see the future), and no mask: a sample whose step is masked out keeps its
/// state, so do not step it. A stream is a value: copies step independently; one stream per thread.
///
/// @tparam Units, Features  the layer's sizes fixed at compile time (Eigen::Dynamic = read from the layer):
///     the step's loops then have compile-time trip counts (fully unrolled), the C++ counterpart of Keras'
///     `unroll=True`. A layer of other sizes is refused.
///
/// The initial state is the layer's stored state when the layer is stateful and holds one for `batch`
/// samples, else zeros. `reset()` / `reset(state)` set it; the layer's own stored state is never changed
/// (hand `state()` to `layer.reset_states(...)` to move it back).
template <class Scalar = float, class Activation = Tanh, int Units = Eigen::Dynamic, int Features = Eigen::Dynamic>
class SimpleRNNStream {
    static_assert(std::is_floating_point<Scalar>::value, "SimpleRNNStream: Scalar must be a floating-point type");
    static_assert(Units == Eigen::Dynamic || Units > 0, "SimpleRNNStream: Units must be positive or Eigen::Dynamic");
    static_assert(Features == Eigen::Dynamic || Features >= 0,
                  "SimpleRNNStream: Features must be >= 0 or Eigen::Dynamic");
    static constexpr int depth =
        Units != Eigen::Dynamic && Features != Eigen::Dynamic ? Units + Features : Eigen::Dynamic;
    using Product = detail::PackedProduct<Scalar, depth>;

  public:
    using Layer = SimpleRNN<Scalar, Activation>;
    /// `[batch, U]` view of the state / output of one step.
    using StateView = Eigen::Map<const RowMajorMatrix<Scalar>, 0, Eigen::OuterStride<>>;

    /// Packs the layer's weights and allocates every buffer for `batch` samples. Throws std::logic_error when
    /// the layer is not built or runs go_backwards, std::invalid_argument when batch < 1 or the layer's sizes
    /// differ from compile-time Units / Features.
    explicit SimpleRNNStream(const Layer& layer, Index batch = 1)
        : activation_(layer.activation()), batch_(batch), use_bias_(layer.use_bias()) {
        if (batch < 1)
            detail::throw_invalid("SimpleRNNStream", layer.name(), "batch",
                                  "must be >= 1, got " + std::to_string(batch));
        if (!layer.built()) {
            ELMAN_THROW(std::logic_error("SimpleRNNStream: layer '" + layer.name() +
                                         "' is not built; build it (options.input_dim, build() or set_weights) first"));
        }
        if (layer.go_backwards()) {
            ELMAN_THROW(
                std::logic_error("SimpleRNNStream: layer '" + layer.name() +
                                 "' has go_backwards=True; stepping forward in time cannot reverse a sequence"));
        }
        check_compile_time_size(layer, "units", Units, layer.units());
        check_compile_time_size(layer, "input_dim", Features, layer.input_dim());
        units_ = layer.units();
        features_ = layer.input_dim();
        packed_.pack(layer.recurrent_kernel(), layer.kernel(), layer.bias());
        work_.prepare(batch_, features_, units_, packed_.padded_units(), false, false);
        work_.stacked.setZero();
        if (layer.stateful() && layer.states().rank() == 2 && layer.states().dim(0) == batch_)
            state_rows() = layer.states().matrix();
    }

    Index batch() const noexcept { return batch_; }
    Index units() const noexcept { return units_; }
    Index features() const noexcept { return features_; }

    /// Re-reads the layer's weights (after training or set_weights), bias included. Throws
    /// std::invalid_argument when the layer's units, input_dim or use_bias differ from this stream's; never
    /// allocates.
    void update_weights(const Layer& layer) {
        if (layer.units() != units_ || layer.input_dim() != features_ || layer.use_bias() != use_bias_) {
            detail::throw_invalid("SimpleRNNStream", layer.name(), "layer",
                                  "has weights [" + std::to_string(layer.input_dim()) + ", " +
                                      std::to_string(layer.units()) + "], use_bias=" + bool_text(layer.use_bias()) +
                                      "; the stream was made for [" + std::to_string(features_) + ", " +
                                      std::to_string(units_) + "], use_bias=" + bool_text(use_bias_));
        }
        packed_.pack(layer.recurrent_kernel(), layer.kernel(), layer.bias());  // same sizes: no allocation
    }

    /// One timestep: `x` points to `[batch, F]` row-major values (not checked). Returns h_t `[batch, U]`.
    StateView step(const Scalar* x) noexcept {
        detail::RecurrenceIO<Scalar> io;
        io.layout = detail::SequenceLayout{batch_, 1, false};
        io.features = features_;
        io.units = units_;
        io.inputs = x;
        const Product product{&packed_, batch_ == 1};
        auto h = state_rows();
        detail::recurrence_step<detail::StepExtras::none>(io, activation_, product, work_, 0, batch_, h, 0);
        return state();
    }

    /// Checked step: `x` must be `[batch, F]` (or `[batch, 1, F]`); throws std::invalid_argument otherwise.
    StateView step(TensorView<const Scalar> x) {
        const bool ok = (x.rank() == 2 && x.dim(0) == batch_ && x.dim(1) == features_) ||
                        (x.rank() == 3 && x.dim(0) == batch_ && x.dim(1) == 1 && x.dim(2) == features_);
        if (!ok) {
            ELMAN_THROW(std::invalid_argument("SimpleRNNStream: step input must have shape [" + std::to_string(batch_) +
                                              ", " + std::to_string(features_) + "], got " + x.shape().to_string()));
        }
        return step(x.data());
    }

    /// h_t `[batch, U]` after the last step (the initial state before any).
    StateView state() const noexcept {
        return StateView(work_.stacked.data(), batch_, units_, Eigen::OuterStride<>(work_.stacked.cols()));
    }

    /// State := zeros.
    void reset() noexcept { state_rows().setZero(); }
    /// State := `state` (`[batch, U]`); throws std::invalid_argument on another shape.
    void reset(TensorView<const Scalar> state) {
        if (state.rank() != 2 || state.dim(0) != batch_ || state.dim(1) != units_) {
            ELMAN_THROW(std::invalid_argument("SimpleRNNStream: state must have shape [" + std::to_string(batch_) +
                                              ", " + std::to_string(units_) + "], got " + state.shape().to_string()));
        }
        state_rows() = state.matrix();
    }

  private:
    // The state lives in the product's operand (columns [0, U) of each row): no copy per step.
    detail::StridedRows<Scalar> state_rows() noexcept {
        return detail::StridedRows<Scalar>(work_.stacked.data(), batch_, units_,
                                           Eigen::OuterStride<>(work_.stacked.cols()));
    }
    static const char* bool_text(bool b) noexcept { return b ? "true" : "false"; }
    static void check_compile_time_size(const Layer& layer, const char* what, int fixed, Index actual) {
        if (fixed != Eigen::Dynamic && actual != fixed) {
            detail::throw_invalid(
                layer.name(), what,
                "is " + std::to_string(actual) + ", the stream's compile-time size is " + std::to_string(fixed));
        }
    }

    Activation activation_;
    Index batch_ = 0, units_ = 0, features_ = 0;
    bool use_bias_ = true;
    detail::PackedWeights<Scalar> packed_;
    detail::SliceWorkspace<Scalar> work_;
};

ELMAN_NAMESPACE_END
// #include <elman/tensor.hpp>
// #include <elman/train/backward.hpp>
// Backpropagation through time for SimpleRNN: gradients of one call from what the call recorded.

// #include <elman/config.hpp>
// #include <elman/detail/backward_engine.hpp>
// #include <elman/detail/errors.hpp>
// #include <elman/detail/resize.hpp>
// #include <elman/shape.hpp>
// #include <elman/simple_rnn.hpp>
// #include <elman/simple_rnn_call.hpp>
// #include <elman/tensor.hpp>

#include <Eigen/Core>

#include <optional>
#include <string>
#include <type_traits>

ELMAN_NAMESPACE_BEGIN

/// Gradients of a scalar loss with respect to everything one SimpleRNN call depended on. Weight gradients
/// have the layer's weight types and Keras layouts (row-major; the bias a `[1, U]` row), data gradients are
/// Tensors shaped like the data.
template <class Scalar>
struct Gradients {
    using Matrix = RowMajorMatrix<Scalar>;
    /// d loss / d kernel `[F, U]`.
    Matrix kernel;
    /// d loss / d recurrent_kernel `[U, U]`.
    Matrix recurrent_kernel;
    /// d loss / d bias `[1, U]`; 0 x 0 without use_bias.
    Matrix bias;
    /// d loss / d inputs, shaped like the call's inputs (`[B, T, F]`, or `[T, B, F]` when time_major).
    Tensor<Scalar> inputs;
    /// d loss / d h_{-1} `[B, U]`: the state entering the first processed step, whatever its source (the
    /// `initial_state` argument, zeros, or a stateful layer's stored state). For a stateful layer this is
    /// informational only: as in Keras, no gradient flows into earlier calls. If TF 2.4's stateful rule made
    /// the call ignore an explicit `initial_state`, that argument's true gradient is zero.
    Tensor<Scalar> initial_state;
};

/// Whether backward() adds the layer's own penalties (see backward()).
enum class Regularization { include, exclude };

namespace detail {

// std::type_identity (C++20): keeps a parameter out of template argument deduction, so a mutable
// TensorView<Scalar> or a Tensor converts to the TensorView<const Scalar> parameter.
template <class T>
struct non_deduced {
    using type = T;
};
template <class T>
using non_deduced_t = typename non_deduced<T>::type;

// The layer's side of backward(): its weights, activation, threads and backward workspaces.
struct BackwardAccess {
    template <class Scalar, class Activation>
    static void run(const SimpleRNN<Scalar, Activation>& layer, const ForwardTrace<Scalar>& trace,
                    const UpstreamGradients<Scalar>& upstream, const BackwardOutputs<Scalar>& out) {
        layer.backward_engine_.run(layer.weights_, layer.activation_, trace, upstream, layer.engine_.pool(),
                                   layer.engine_.threads(), out);
    }
};

// `grad += d(penalty(t) / t.dim(0)) / d t`: Keras' activity regularization of one returned tensor.
template <class Scalar>
void add_activity_gradient(const Regularizer& regularizer, const Tensor<Scalar>& t, RowMajorMatrix<Scalar>& grad) {
    if (t.dim(0) == 0) return;
    RowMajorMatrix<Scalar> g = RowMajorMatrix<Scalar>::Zero(grad.rows(), grad.cols());
    regularizer.add_gradient(t.matrix(), g);
    grad += g / static_cast<Scalar>(t.dim(0));
}

}  // namespace detail

/// Backpropagation through time (docs/keras-semantics.md, gradients) for one call of `layer`, from the ForwardTrace
/// that call recorded (`CallArgs::trace`) and the Result it returned, written into `gradients`. The forward
/// recurrence is not re-run: every value comes from the trace, so dropout masks, the step mask, go_backwards and the
/// stateful initial state are exactly the call's. `gradients`' buffers are reused: a training loop that keeps one
/// Gradients object allocates nothing after its first step (the by-value overload below allocates every result).
///
/// @param grad_output  d loss / d `result.output`, same shape (`[B, U]`, or the `[B, T, U]` sequence in
///                     processing order with return_sequences; `[T, B, U]` when time_major).
/// @param grad_state   d loss / d final state `[B, U]` (the returned state with return_state); none = zero.
/// @param regularization  `include` (default): the result is the gradient of
///                     `loss + layer.regularization_loss() + layer.activity_regularization_loss(result)`, i.e.
///                     Keras' training objective; `exclude`: of `loss` alone.
///
/// Masked steps pass the state and output gradients straight through to the previous step and contribute
/// nothing to the weights or inputs; zero_output_for_mask stops the output gradient at masked steps; the output
/// gradient left over before the first step is dropped (Keras' output carry starts at a constant zero).
///
/// Runs on the layer's packed kernels (whatever its backend) and on `layer.threads()` threads, with results
/// bit-identical for every thread count; it counts as a call of the layer: not concurrently with another call or
/// backward on the same layer.
///
/// Throws std::invalid_argument when the trace is empty or from another layer shape, or when `result`,
/// `grad_output` or `grad_state` do not have the call's shapes (naming the argument, expected vs. actual), before
/// anything is written; `grad_output` and `grad_state` must not view `gradients`' buffers.
template <class Scalar, class Activation>
void backward(const SimpleRNN<Scalar, Activation>& layer, const ForwardTrace<Scalar>& trace,
              const Result<Scalar>& result, detail::non_deduced_t<TensorView<const Scalar>> grad_output,
              Gradients<Scalar>& gradients,
              detail::non_deduced_t<std::optional<TensorView<const Scalar>>> grad_state = std::nullopt,
              Regularization regularization = Regularization::include) {
    using RowMatrix = RowMajorMatrix<Scalar>;
    const std::string& name = layer.name();
    const Index B = trace.batch, T = trace.timesteps, F = trace.features, U = trace.units;
    const bool time_major = trace.time_major;

    // ---- validation: everything is checked before any work ----
    if (T <= 0 || trace.states.rows() != (T + 1) * B || trace.preactivations.rows() != T * B) {
        detail::throw_invalid(name, "trace",
                              "is empty or incomplete: pass a ForwardTrace through CallArgs::trace in "
                              "the call being differentiated");
    }
    if (!layer.built() || U != layer.units() || F != layer.input_dim() || trace.inputs.rows() != B * T ||
        trace.inputs.cols() != F) {
        detail::throw_invalid(name, "trace",
                              "does not belong to this layer: expected units=" + std::to_string(layer.units()) +
                                  ", features=" + std::to_string(layer.input_dim()) +
                                  ", got units=" + std::to_string(U) + ", features=" + std::to_string(F));
    }
    const Shape output_shape = trace.return_sequences ? (time_major ? Shape{T, B, U} : Shape{B, T, U}) : Shape{B, U};
    if (result.output.shape() != output_shape) {
        detail::throw_shape_error(name, "result.output", output_shape.to_string(), result.output.shape(),
                                  "the Result of the call that filled the trace");
    }
    if (grad_output.shape() != output_shape) {
        detail::throw_shape_error(name, "grad_output", output_shape.to_string(), grad_output.shape(),
                                  "one gradient per element of the returned output");
    }
    if (grad_state && grad_state->shape() != Shape{B, U}) {
        detail::throw_shape_error(name, "grad_state", Shape{B, U}.to_string(), grad_state->shape(),
                                  "one gradient per element of the final state");
    }

    const auto& opts = layer.options();
    const bool with_penalties = regularization == Regularization::include;

    // Upstream gradients, plus the activity regularizer's on every returned tensor. They are copied only for
    // that, or when they view `gradients` (reusing one Gradients across stacked layers), which is rewritten below.
    auto views_gradients = [&gradients](TensorView<const Scalar> v) {
        auto hits = [&v](const Scalar* p, Index n) {
            return detail::overlaps(v.data(), static_cast<std::size_t>(v.size()) * sizeof(Scalar), p,
                                    static_cast<std::size_t>(n) * sizeof(Scalar));
        };
        return hits(gradients.kernel.data(), gradients.kernel.size()) ||
               hits(gradients.recurrent_kernel.data(), gradients.recurrent_kernel.size()) ||
               hits(gradients.bias.data(), gradients.bias.size()) ||
               hits(gradients.inputs.data(), gradients.inputs.size()) ||
               hits(gradients.initial_state.data(), gradients.initial_state.size());
    };
    const bool activity = with_penalties && opts.activity_regularizer;
    detail::UpstreamGradients<Scalar> upstream{grad_output.data(), grad_state ? grad_state->data() : nullptr};
    RowMatrix g_out, g_state;
    if (activity || views_gradients(grad_output)) {
        g_out = grad_output.matrix();
        if (activity) detail::add_activity_gradient(*opts.activity_regularizer, result.output, g_out);
        upstream.output = g_out.data();
    }
    if ((activity && result.state) || (grad_state && views_gradients(*grad_state))) {
        g_state = grad_state ? RowMatrix(grad_state->matrix()) : RowMatrix::Zero(B, U);
        if (activity && result.state) detail::add_activity_gradient(*opts.activity_regularizer, *result.state, g_state);
        upstream.state = g_state.data();
    }

    // ---- the backward recurrence and the weight gradients (detail/backward_engine.hpp) ----
    Gradients<Scalar>& g = gradients;
    detail::fit(g.kernel, F, U);
    detail::fit(g.recurrent_kernel, U, U);
    detail::fit(g.bias, layer.use_bias() ? 1 : 0, layer.use_bias() ? U : 0);
    g.inputs.resize(time_major ? Shape{T, B, F} : Shape{B, T, F});
    g.initial_state.resize(Shape{B, U});
    detail::BackwardOutputs<Scalar> out;
    out.kernel = &g.kernel;
    out.recurrent_kernel = &g.recurrent_kernel;
    out.bias = layer.use_bias() ? &g.bias : nullptr;
    out.inputs = g.inputs.data();
    out.initial_state = g.initial_state.data();
    detail::BackwardAccess::run(layer, trace, upstream, out);

    if (with_penalties) {
        if (opts.kernel_regularizer) opts.kernel_regularizer->add_gradient(layer.kernel(), g.kernel);
        if (opts.recurrent_regularizer)
            opts.recurrent_regularizer->add_gradient(layer.recurrent_kernel(), g.recurrent_kernel);
        if (opts.bias_regularizer && layer.use_bias()) opts.bias_regularizer->add_gradient(layer.bias(), g.bias);
    }
}

/// As above, returning new Gradients.
template <class Scalar, class Activation>
Gradients<Scalar> backward(const SimpleRNN<Scalar, Activation>& layer, const ForwardTrace<Scalar>& trace,
                           const Result<Scalar>& result, detail::non_deduced_t<TensorView<const Scalar>> grad_output,
                           detail::non_deduced_t<std::optional<TensorView<const Scalar>>> grad_state = std::nullopt,
                           Regularization regularization = Regularization::include) {
    Gradients<Scalar> gradients;
    backward(layer, trace, result, grad_output, gradients, grad_state, regularization);
    return gradients;
}

ELMAN_NAMESPACE_END
// #include <elman/train/optimizers.hpp>
// Keras optimizers (SGD with momentum/Nesterov, Adam) updating weights in place, then applying constraints.

// #include <elman/config.hpp>
// #include <elman/constraints.hpp>
// #include <elman/exceptions.hpp>
// #include <elman/simple_rnn.hpp>
// #include <elman/train/backward.hpp>
// #include <elman/train/variable.hpp>

#include <Eigen/Core>

#include <cmath>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

ELMAN_NAMESPACE_BEGIN

/// The trainable weights of a SimpleRNN paired with their gradients, in Keras' order (kernel,
/// recurrent_kernel, bias when use_bias), each with the layer's constraint. The list may be built once and
/// reused for every step (the Variables refer to the layer's Parameters and to the members of `grads`, whose
/// every update the layer sees), as long as the layer and `grads` stay where they are.
template <class Scalar, class Activation>
std::vector<Variable<Scalar>> trainable_variables(SimpleRNN<Scalar, Activation>& layer,
                                                  const Gradients<Scalar>& grads) {
    const auto& o = layer.options();
    auto& w = layer.weights();
    std::vector<Variable<Scalar>> vars;
    vars.emplace_back(layer.name() + "/kernel", w.kernel(), grads.kernel, o.kernel_constraint);
    vars.emplace_back(layer.name() + "/recurrent_kernel", w.recurrent_kernel(), grads.recurrent_kernel,
                      o.recurrent_constraint);
    if (layer.use_bias()) vars.emplace_back(layer.name() + "/bias", w.bias(), grads.bias, o.bias_constraint);
    return vars;
}

namespace detail {

// Per-variable optimizer state ("slots"), keyed by position in apply_gradients' list as Keras keys them by
// variable. The list must keep its length and sizes from call to call.
template <class Scalar>
class Slots {
  public:
    using Array = Eigen::Array<Scalar, Eigen::Dynamic, 1>;

    void check(const char* optimizer, const std::vector<Variable<Scalar>>& vars) {
        if (!initialised_) {
            for (const auto& v : vars) sizes_.push_back(v.size());
            initialised_ = true;
        }
        bool same = vars.size() == sizes_.size();
        for (std::size_t i = 0; same && i < vars.size(); ++i) same = vars[i].size() == sizes_[i];
        if (!same) {
            ELMAN_THROW(
                std::invalid_argument(std::string(optimizer) +
                                      ".apply_gradients: `vars` must list the same variables in the same order on "
                                      "every call (the optimizer keeps per-variable state): expected " +
                                      describe(sizes_) + ", got " + describe(vars)));
        }
    }
    /// Slot `k` of variable `i`, zero-initialised on first use.
    Array& get(std::size_t k, std::size_t i) {
        if (slots_.size() <= k) slots_.resize(k + 1);
        if (slots_[k].size() != sizes_.size()) {
            slots_[k].clear();
            for (Index n : sizes_) slots_[k].push_back(Array::Zero(n));
        }
        return slots_[k][i];
    }

  private:
    static std::string describe(const std::vector<Index>& sizes) {
        std::string s = std::to_string(sizes.size()) + " variables of sizes [";
        for (std::size_t i = 0; i < sizes.size(); ++i) s += (i ? ", " : "") + std::to_string(sizes[i]);
        return s + "]";
    }
    static std::string describe(const std::vector<Variable<Scalar>>& vars) {
        std::vector<Index> sizes;
        for (const auto& v : vars) sizes.push_back(v.size());
        return describe(sizes);
    }

    std::vector<Index> sizes_;
    bool initialised_ = false;
    std::vector<std::vector<Array>> slots_;
};

inline void check_hyper(const char* optimizer, const char* argument, double value, bool ok, const char* expected) {
    if (!ok || std::isnan(value)) {
        ELMAN_THROW(std::invalid_argument(std::string(optimizer) + ": `" + argument + "` must be " + expected +
                                          ", got " + std::to_string(value)));
    }
}

}  // namespace detail

/// Keras `tf.keras.optimizers.SGD(learning_rate=0.01, momentum=0.0, nesterov=False)` (TF 2.4 update):
///   momentum == 0:  w -= lr * g
///   otherwise:      v = momentum * v - lr * g;  w += v   (nesterov: w += momentum * v - lr * g)
/// Each variable's constraint is applied right after its update.
template <class Scalar>
class SGD {
  public:
    explicit SGD(double learning_rate = 0.01, double momentum = 0.0, bool nesterov = false)
        : learning_rate_(learning_rate), momentum_(momentum), nesterov_(nesterov) {
        detail::check_hyper("SGD", "learning_rate", learning_rate, learning_rate >= 0, ">= 0");
        detail::check_hyper("SGD", "momentum", momentum, momentum >= 0 && momentum <= 1, "in [0, 1]");
    }

    double learning_rate() const noexcept { return learning_rate_; }
    void set_learning_rate(double lr) {
        detail::check_hyper("SGD", "learning_rate", lr, lr >= 0, ">= 0");
        learning_rate_ = lr;
    }
    double momentum() const noexcept { return momentum_; }
    bool nesterov() const noexcept { return nesterov_; }
    /// Number of apply_gradients calls so far (Keras `optimizer.iterations`).
    long long iterations() const noexcept { return iterations_; }

    /// One training step over every variable (Keras `apply_gradients(zip(grads, vars))`).
    void apply_gradients(const std::vector<Variable<Scalar>>& vars) {
        slots_.check("SGD", vars);
        const Scalar lr = static_cast<Scalar>(learning_rate_), mu = static_cast<Scalar>(momentum_);
        for (std::size_t i = 0; i < vars.size(); ++i) {
            vars[i].update([&](auto& w, const auto& g) {
                if (momentum_ == 0.0) {
                    w -= lr * g;
                } else {
                    auto& v = slots_.get(0, i);
                    v = mu * v - lr * g;
                    if (nesterov_) {
                        w += mu * v - lr * g;
                    } else {
                        w += v;
                    }
                }
            });
        }
        ++iterations_;
    }

  private:
    double learning_rate_, momentum_;
    bool nesterov_;
    long long iterations_ = 0;
    detail::Slots<Scalar> slots_;
};

/// Keras `tf.keras.optimizers.Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)` (TF 2.4's
/// ResourceApplyAdam, amsgrad=False), with t = iterations + 1:
///   m = beta_1 m + (1 - beta_1) g;  v = beta_2 v + (1 - beta_2) g^2
///   w -= lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) * m / (sqrt(v) + epsilon)
/// Keras' epsilon is the paper's "epsilon hat" (added after the bias correction is folded into lr).
/// Each variable's constraint is applied right after its update.
template <class Scalar>
class Adam {
  public:
    explicit Adam(double learning_rate = 0.001, double beta_1 = 0.9, double beta_2 = 0.999, double epsilon = 1e-7)
        : learning_rate_(learning_rate), beta_1_(beta_1), beta_2_(beta_2), epsilon_(epsilon) {
        detail::check_hyper("Adam", "learning_rate", learning_rate, learning_rate >= 0, ">= 0");
        detail::check_hyper("Adam", "beta_1", beta_1, beta_1 >= 0 && beta_1 < 1, "in [0, 1)");
        detail::check_hyper("Adam", "beta_2", beta_2, beta_2 >= 0 && beta_2 < 1, "in [0, 1)");
        detail::check_hyper("Adam", "epsilon", epsilon, epsilon >= 0, ">= 0");
    }

    double learning_rate() const noexcept { return learning_rate_; }
    void set_learning_rate(double lr) {
        detail::check_hyper("Adam", "learning_rate", lr, lr >= 0, ">= 0");
        learning_rate_ = lr;
    }
    double beta_1() const noexcept { return beta_1_; }
    double beta_2() const noexcept { return beta_2_; }
    double epsilon() const noexcept { return epsilon_; }
    long long iterations() const noexcept { return iterations_; }

    /// One training step over every variable (Keras `apply_gradients(zip(grads, vars))`).
    void apply_gradients(const std::vector<Variable<Scalar>>& vars) {
        slots_.check("Adam", vars);
        const double t = static_cast<double>(iterations_ + 1);
        const Scalar lr_t =
            static_cast<Scalar>(learning_rate_ * std::sqrt(1.0 - std::pow(beta_2_, t)) / (1.0 - std::pow(beta_1_, t)));
        const Scalar b1 = static_cast<Scalar>(beta_1_), b2 = static_cast<Scalar>(beta_2_);
        const Scalar eps = static_cast<Scalar>(epsilon_);
        for (std::size_t i = 0; i < vars.size(); ++i) {
            vars[i].update([&](auto& w, const auto& g) {
                auto& m = slots_.get(0, i);
                auto& v = slots_.get(1, i);
                m += (g - m) * (Scalar(1) - b1);
                v += (g.square() - v) * (Scalar(1) - b2);
                w -= lr_t * m / (v.sqrt() + eps);
            });
        }
        ++iterations_;
    }

  private:
    double learning_rate_, beta_1_, beta_2_, epsilon_;
    long long iterations_ = 0;
    detail::Slots<Scalar> slots_;
};

ELMAN_NAMESPACE_END
// #include <elman/train/variable.hpp>
// #include <elman/version.hpp>
