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

/// Throws std::invalid_argument (std::length_error for overflowing sizes) naming the argument, expected vs.
/// actual shape, when `inputs`, `args.mask`, `args.initial_state` or a training call's dropout rate cannot be
/// run by a layer with `options`, `units` and `facts`. Returns the call's extents.
template <class Scalar>
CallShape validate_call(const SimpleRNNOptions& options, Index units, const CallFacts& facts,
                        const TensorView<const Scalar>& inputs, const CallArgs<Scalar>& args) {
    const std::string& name = options.name;
    if (inputs.rank() != 3) {
        ELMAN_THROW(std::invalid_argument(
            "SimpleRNN '" + name + "': `inputs` must have rank 3 (" +
            (options.time_major ? "[timesteps, batch, features]" : "[batch, timesteps, features]") +
            "), expected ndim=3, found ndim=" + std::to_string(inputs.rank()) +
            ". Full shape received: " + inputs.shape().to_string()));
    }
    const Index batch = options.time_major ? inputs.dim(1) : inputs.dim(0);
    const Index timesteps = options.time_major ? inputs.dim(0) : inputs.dim(1);
    const Index features = inputs.dim(2);
    const Index stateful_batch = options.stateful ? facts.stateful_batch : -1;
    auto expected_inputs = [&] {
        const Index b = stateful_batch > 0 ? stateful_batch : -1;
        const Index f = facts.built ? facts.input_dim : -1;
        return options.time_major ? detail::expected_shape_string({-1, b, f})
                                  : detail::expected_shape_string({b, -1, f});
    };
    if (batch < 0 || timesteps < 0 || features < 0) {
        detail::throw_shape_error(name, "inputs", expected_inputs(), inputs.shape(), "negative extent");
    }
    if (facts.built && features != facts.input_dim) {
        detail::throw_shape_error(
            name, "inputs", expected_inputs(), inputs.shape(),
            "feature dimension must equal the built input_dim " + std::to_string(facts.input_dim));
    }
    if (timesteps == 0) {
        detail::throw_shape_error(name, "inputs", expected_inputs(), inputs.shape(),
                                  "timesteps must be >= 1: Keras cannot run a RNN over an empty sequence");
    }
    if (stateful_batch > 0 && batch != stateful_batch) {
        detail::throw_shape_error(name, "inputs", expected_inputs(), inputs.shape(),
                                  "a stateful layer keeps its batch size " + std::to_string(stateful_batch));
    }
    if (options.stateful && batch == 0) {
        detail::throw_shape_error(name, "inputs", expected_inputs(), inputs.shape(),
                                  "a stateful layer needs batch >= 1");
    }
    // Sizes of everything the call allocates; throws std::length_error on overflow.
    Shape({batch, timesteps, std::max(features, units)}).size();
    if (features > 0 && !facts.built) Shape({features, units}).size();

    if (!args.mask.empty()) {
        const Shape& m = args.mask.shape();
        const Index d0 = options.time_major ? timesteps : batch, d1 = options.time_major ? batch : timesteps;
        const bool ok =
            (m.rank() == 2 && m[0] == d0 && m[1] == d1) || (m.rank() == 3 && m[0] == d0 && m[1] == d1 && m[2] == 1);
        if (!ok) {
            detail::throw_shape_error(name, "mask", detail::expected_shape_string({d0, d1}), m,
                                      "one flag per sample and timestep; [B, T, 1] is accepted too");
        }
    }
    if (args.initial_state) {
        const Shape expected{batch, units};
        if (args.initial_state->shape() != expected) {
            detail::throw_shape_error(name, "initial_state", expected.to_string(), args.initial_state->shape(),
                                      "one state row of `units` values per sample");
        }
    }
    if (args.training && (options.dropout >= 1.0 || options.recurrent_dropout >= 1.0)) {
        const bool input_rate = options.dropout >= 1.0;
        detail::throw_invalid(name, input_rate ? "dropout" : "recurrent_dropout",
                              "rate must be a scalar tensor or a float in the range [0, 1), got 1 (a training "
                              "call cannot drop every unit)");
    }
    return {batch, timesteps, features};
}

}  // namespace detail
ELMAN_NAMESPACE_END
