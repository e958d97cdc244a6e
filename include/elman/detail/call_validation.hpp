// SPDX-License-Identifier: MIT
// Checks of a SimpleRNN call's arguments, before anything is changed (Keras' messages where Keras has one).
#pragma once

#include <elman/config.hpp>
#include <elman/detail/errors.hpp>
#include <elman/exceptions.hpp>
#include <elman/mask.hpp>
#include <elman/shape.hpp>
#include <elman/simple_rnn_call.hpp>
#include <elman/simple_rnn_options.hpp>
#include <elman/tensor.hpp>

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
