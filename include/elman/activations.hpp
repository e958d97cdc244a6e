// SPDX-License-Identifier: MIT
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
#pragma once

#include <elman/config.hpp>

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
