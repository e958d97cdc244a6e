// SPDX-License-Identifier: MIT
// Keras weight constraints (MaxNorm, NonNeg, UnitNorm, MinMaxNorm), applied by optimizers after each update.
#pragma once

#include <elman/config.hpp>
#include <elman/exceptions.hpp>

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
