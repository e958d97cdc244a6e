// SPDX-License-Identifier: MIT
// Keras optimizers (SGD with momentum/Nesterov, Adam) updating weights in place, then applying constraints.
#pragma once

#include <elman/config.hpp>
#include <elman/constraints.hpp>
#include <elman/exceptions.hpp>
#include <elman/simple_rnn.hpp>
#include <elman/train/backward.hpp>
#include <elman/train/variable.hpp>

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
