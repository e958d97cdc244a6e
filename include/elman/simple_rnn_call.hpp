// SPDX-License-Identifier: MIT
// The call arguments, the typed result and the recorded forward pass of SimpleRNN.
#pragma once

#include <elman/config.hpp>
#include <elman/mask.hpp>
#include <elman/tensor.hpp>

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
