// SPDX-License-Identifier: MIT
// Constructor arguments of SimpleRNN, under their Keras names.
#pragma once

#include <elman/config.hpp>
#include <elman/constraints.hpp>
#include <elman/initializers.hpp>
#include <elman/regularizers.hpp>

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
