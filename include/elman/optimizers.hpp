// SPDX-License-Identifier: MIT
// Keras optimizers (SGD with momentum/Nesterov, Adam) updating weights in place, then applying constraints.
#pragma once

#include <elman/backward.hpp>
#include <elman/config.hpp>
#include <elman/constraints.hpp>
#include <elman/simple_rnn.hpp>

#include <Eigen/Core>

#include <cmath>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

ELMAN_NAMESPACE_BEGIN

/// One trainable weight as an optimizer sees it: the weight (updated in place), its gradient, and the Keras
/// constraint applied right after each update of that weight. Holds pointers: the weight and the gradient must
/// outlive the Variable and keep their sizes. Variables are meant to live for one apply_gradients call (see
/// trainable_variables).
template <class Scalar>
class Variable {
  public:
    /// `value` and `gradient` are Eigen matrices/vectors of the same shape (any storage order each).
    /// Throws std::invalid_argument naming `name` when the shapes differ.
    template <class W, class G>
    Variable(std::string name, Eigen::PlainObjectBase<W>& value, const Eigen::PlainObjectBase<G>& gradient,
             std::optional<Constraint> constraint = std::nullopt)
        : name_(std::move(name)), value_(value.data()), gradient_(gradient.data()), rows_(value.rows()),
          cols_(value.cols()), row_major_(W::IsRowMajor), is_vector_(W::IsVectorAtCompileTime),
          constraint_(std::move(constraint)) {
        static_assert(
            std::is_same<typename W::Scalar, Scalar>::value && std::is_same<typename G::Scalar, Scalar>::value,
            "Variable: weight and gradient must have the optimizer's Scalar type");
        if (gradient.rows() != rows_ || gradient.cols() != cols_) {
            throw std::invalid_argument("Variable '" + name_ + "': gradient shape (" + std::to_string(gradient.rows()) +
                                        ", " + std::to_string(gradient.cols()) + ") does not match the weight shape (" +
                                        std::to_string(rows_) + ", " + std::to_string(cols_) + ")");
        }
        // Row-major storage of a matrix with one row or column is the same memory as column-major.
        if (rows_ == 1 || cols_ == 1) row_major_ = false;
    }

    const std::string& name() const noexcept { return name_; }
    Index size() const noexcept { return rows_ * cols_; }
    /// The weight and its gradient as flat arrays (element order is irrelevant to the element-wise updates).
    Eigen::Map<Eigen::Array<Scalar, Eigen::Dynamic, 1>> value() const noexcept { return {value_, size()}; }
    Eigen::Map<const Eigen::Array<Scalar, Eigen::Dynamic, 1>> gradient() const noexcept { return {gradient_, size()}; }

    /// w <- constraint(w) with Keras' axis convention (spec §11); no-op without a constraint.
    void constrain() const {
        if (!constraint_) return;
        if (row_major_) {
            Eigen::Map<RowMajorMatrix<Scalar>> w(value_, rows_, cols_);
            constraint_->apply(w, is_vector_);
        } else {
            Eigen::Map<Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>> w(value_, rows_, cols_);
            constraint_->apply(w, is_vector_);
        }
    }

  private:
    std::string name_;
    Scalar* value_;
    const Scalar* gradient_;
    Index rows_, cols_;
    bool row_major_, is_vector_;
    std::optional<Constraint> constraint_;
};

/// The trainable weights of a SimpleRNN paired with their gradients, in Keras' order (kernel,
/// recurrent_kernel, bias when use_bias), each with the layer's constraint. Build the list anew for every step,
/// right before apply_gradients: it takes the weights through the layer's *_mutable() accessors, which tell the
/// layer its weights are about to change (its packed backend repacks on the next call only then).
template <class Scalar, class Activation>
std::vector<Variable<Scalar>> trainable_variables(SimpleRNN<Scalar, Activation>& layer,
                                                  const Gradients<Scalar>& grads) {
    const auto& o = layer.options();
    std::vector<Variable<Scalar>> vars;
    vars.emplace_back(layer.name() + "/kernel", layer.kernel_mutable(), grads.kernel, o.kernel_constraint);
    vars.emplace_back(layer.name() + "/recurrent_kernel", layer.recurrent_kernel_mutable(), grads.recurrent_kernel,
                      o.recurrent_constraint);
    if (layer.use_bias())
        vars.emplace_back(layer.name() + "/bias", layer.bias_mutable(), grads.bias, o.bias_constraint);
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
            throw std::invalid_argument(std::string(optimizer) +
                                        ".apply_gradients: `vars` must list the same variables in the same order on "
                                        "every call (the optimizer keeps per-variable state): expected " +
                                        describe(sizes_) + ", got " + describe(vars));
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
        throw std::invalid_argument(std::string(optimizer) + ": `" + argument + "` must be " + expected + ", got " +
                                    std::to_string(value));
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
            auto w = vars[i].value();
            const auto g = vars[i].gradient();
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
            vars[i].constrain();
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
            auto w = vars[i].value();
            const auto g = vars[i].gradient();
            auto& m = slots_.get(0, i);
            auto& v = slots_.get(1, i);
            m += (g - m) * (Scalar(1) - b1);
            v += (g.square() - v) * (Scalar(1) - b2);
            w -= lr_t * m / (v.sqrt() + eps);
            vars[i].constrain();
        }
        ++iterations_;
    }

  private:
    double learning_rate_, beta_1_, beta_2_, epsilon_;
    long long iterations_ = 0;
    detail::Slots<Scalar> slots_;
};

ELMAN_NAMESPACE_END
