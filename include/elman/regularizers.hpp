// SPDX-License-Identifier: MIT
// Keras weight/activity regularizers: L1, L2 and L1L2 (no 1/2 factor, factors stored as float32 like Keras).
#pragma once

#include <elman/config.hpp>
#include <elman/exceptions.hpp>

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
